//! The [`Provider`] trait: what the engine asks of a headless client (Twingate's, Firezone's,
//! or another), and the types both sides share. The engine (`super::engine`) runs the stages
//! and keeps the budget; a provider knows its client, its credential and its API. Providers
//! live in `super::providers`, one folder each.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;

use super::args::ConnectArgs;
use super::client::{ClientError, ClientResource};
use super::events::Events;
use super::proxy::NetworkMode;
use super::secret::Masker;
use super::state::{ConnectState, State};
use super::status::StatusOutput;
use super::undo::UndoReport;
use crate::api::{Client, Dialect};
use crate::config::{Env, ProviderKind};
use crate::error::{Error, Kind, Result};

/// What the engine and the providers need from the command that runs them.
pub(crate) struct Host<'a> {
    pub(crate) env: &'a Env,
    /// `--network`: a credential for another network is refused.
    pub(crate) network: Option<&'a str>,
    pub(crate) events: Events,
    /// A client of this provider's management API (to mint and revoke credentials), made
    /// when first needed: a connection with a given credential needs no API token.
    pub(crate) api: &'a dyn Fn() -> Result<Client>,
}

/// Why the engine stopped short of a usable connection.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The budget ran out (exit 7): what was awaited, and details.
    Timeout(String, Vec<String>),
    /// The client failed (exit 8): what failed, and details.
    Client(String, Vec<String>),
    /// The credential was refused (exit 9): what said so, and the one-line remedy.
    Refused(String, String),
    /// SIGINT or SIGTERM (exit 130).
    Interrupted(nix::sys::signal::Signal),
}

impl Failure {
    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Failure::Timeout(message.into(), Vec::new())
    }

    pub(crate) fn client(message: impl Into<String>) -> Self {
        Failure::Client(message.into(), Vec::new())
    }

    /// A client command that failed, its output masked.
    pub(crate) fn from_client(e: ClientError, masker: &Masker) -> Self {
        let said = masker.mask(&e.output);
        let details = if said.is_empty() { Vec::new() } else { vec![format!("{} said: {said}", e.command)] };
        if e.timed_out {
            Failure::Timeout(format!("`{}` {}", e.command, e.reason), details)
        } else {
            Failure::Client(format!("`{}` {}", e.command, e.reason), details)
        }
    }

    /// An error of ours (saving the state file, a socket) while climbing.
    pub(crate) fn from_error(e: Error) -> Self {
        Failure::client(e.message)
    }
}

/// What the job gets besides the result: the network mode and its environment (proxy mode's
/// `HTTP_PROXY` and friends).
#[derive(Debug, Clone)]
pub(crate) struct JobEnv {
    pub(crate) mode: NetworkMode,
    pub(crate) vars: Vec<(&'static str, String)>,
}

/// What a failure leaves to show: lines of the client's log (masked) and the hints.
#[derive(Debug, Clone, Default)]
pub(crate) struct Diagnosis {
    pub(crate) details: Vec<String>,
    /// The hint for a timeout (exit 7).
    pub(crate) timeout_hint: String,
    /// The hint for a failed client (exit 8).
    pub(crate) failed_hint: String,
}

/// The engine's measurements of a connection that succeeded, for the provider's report.
#[derive(Debug, Clone)]
pub(crate) struct Connected {
    /// `online` (with --wait) or `started`.
    pub(crate) status: String,
    pub(crate) elapsed: Duration,
    pub(crate) stages: Vec<StageTime>,
    pub(crate) resolved: Vec<super::probe::Resolved>,
    pub(crate) probes: Vec<super::probe::Probed>,
    pub(crate) resources: Vec<ClientResource>,
    pub(crate) state_file: String,
}

/// Time of one stage.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageTime {
    pub(crate) stage: super::Stage,
    pub(crate) ms: u64,
}

/// How a report is shown as a table: its ID (`-o id`), its rows, and the resources under them.
pub(crate) trait Summary {
    fn id(&self) -> &str;
    /// Label and value; `time` renders a timestamp (relative on a terminal), or the text given
    /// for none.
    fn rows(&self, time: &dyn Fn(Option<&Timestamp>, &str) -> String) -> Vec<(&'static str, String)>;
    fn resources(&self) -> &[ClientResource] {
        &[]
    }
    /// The width labels are padded to on a terminal.
    fn label_width(&self) -> usize {
        12
    }
}

/// A headless client, from its flags to its undo.
///
/// The engine calls these in order: [`from_args`](Self::from_args) (flags only),
/// [`read_credential`](Self::read_credential), [`check_credential`](Self::check_credential),
/// [`preflight`](Self::preflight), [`record`](Self::record), [`mint`](Self::mint) when no
/// credential was given, [`setup`](Self::setup), [`start`](Self::start),
/// [`wait_online`](Self::wait_online), then its own resolve, probe and forward stages (watching
/// [`exited`](Self::exited)), [`resources`](Self::resources) and [`report`](Self::report).
/// On failure it asks for a [`diagnose`](Self::diagnose) and runs [`undo`](Self::undo).
///
/// The futures are not `Send`: tgctl runs on a current-thread runtime and uses providers
/// through generics only.
#[allow(async_fn_in_trait)]
pub(crate) trait Provider: Sized {
    /// Which `--provider` this is.
    const KIND: ProviderKind;
    /// The management API that mints and revokes its credentials.
    const API: Dialect;
    /// The result of a connection: JSON from this struct, a table from its [`Summary`].
    type Report: Serialize + Summary;

    /// Checks the flags (those of other providers are refused) before anything happens.
    fn from_args(args: &ConnectArgs) -> Result<Self>;

    /// The first line of progress.
    fn title(&self) -> &'static str;

    /// Reads the credential given (file, stdin or environment) and has its secrets masked.
    /// False when none was given.
    fn read_credential(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<bool>;

    /// The usage error for no credential and nothing to mint one with.
    fn missing_credential(&self) -> Error;

    /// Validates a given credential (fields, expiry, network) before anything starts.
    fn check_credential(&mut self, host: &Host<'_>) -> Result<()>;

    /// Finds (or installs) the client and checks the machine. Returns how long an install
    /// took: that time is not taken from the budget.
    async fn preflight(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<Duration>;

    /// The record of the new connection, before anything is started.
    fn record(&self, host: &Host<'_>) -> Result<ConnectState>;

    /// Mints a credential for this job, recorded (and saved) before it is used.
    async fn mint(&mut self, host: &Host<'_>, args: &ConnectArgs, st: &mut State) -> Result<()>;

    /// Writes what is known of the credential (ID, expiry) into the record.
    fn note_credential(&self, st: &mut ConnectState);

    /// True when the client is configured before it starts (the `setup` stage).
    fn has_setup(&self) -> bool {
        false
    }

    async fn setup(&mut self, _host: &Host<'_>, _st: &mut State, _deadline: Instant) -> Result<(), Failure> {
        Ok(())
    }

    /// Starts the client; success does not mean it will come up.
    async fn start(&mut self, host: &Host<'_>, st: &mut State, deadline: Instant) -> Result<(), Failure>;

    /// Waits until the client says it is online.
    async fn wait_online(
        &mut self,
        host: &Host<'_>,
        st: &mut State,
        deadline: Instant,
        stall_after: Duration,
    ) -> Result<(), Failure>;

    /// Proxy mode: the client's HTTP proxy, which resolves, probes and forwards go through.
    fn via(&self) -> Option<SocketAddr> {
        None
    }

    /// Resolves when the client exits on its own after it came online (never, for a client
    /// that is not our child).
    async fn exited(&mut self) -> Failure {
        std::future::pending().await
    }

    /// The resources the client lists (information, not a gate).
    async fn resources(&self, _host: &Host<'_>, _deadline: Instant) -> Vec<ClientResource> {
        Vec::new()
    }

    /// After a failure: the client's last words (masked) and what to do.
    async fn diagnose(&mut self, st: &mut State, kind: Kind) -> Diagnosis;

    /// The key ID written to step outputs and the env file.
    fn output_key_id(&self) -> Option<String>;

    /// Proxy settings and the network mode for the job (None: nothing to write).
    fn job_env(&self, _host: &Host<'_>) -> Option<JobEnv> {
        None
    }

    fn report(&self, st: &State, c: &Connected) -> Self::Report;

    /// The line that says the connection is up (`running` is the command about to run).
    fn connected(&self, c: &Connected, running: Option<&str>) -> String;

    /// After `-- CMD` and the undo: reap what this process started.
    async fn reap(&mut self) {}

    /// Undoes what `st` records (`disconnect`), saving progress as it goes; removes the state
    /// file when nothing is left.
    async fn undo(host: &Host<'_>, st: &mut State, quiet: bool) -> Result<UndoReport>;

    /// `tgctl status`: the client and the recorded connection, if any.
    async fn status(host: &Host<'_>, st: Option<&State>, client_bin: Option<&Path>) -> Result<StatusOutput>;
}
