//! Firezone's headless client (`firezone-headless-client`), run by tgctl for the job: the token
//! (given, or minted with `FIREZONE_API_TOKEN`) in its environment with a per-job
//! `FIREZONE_ID`/`FIREZONE_NAME`, online when it sends `READY=1` to our notify socket (no
//! polling). `disconnect` stops it, deletes a minted token and the job's client record. See
//! docs/firezone.md.
//!
//! - [`client`]: finding, starting and stopping the client.
//! - [`notify`]: the notify socket.
//! - [`token`]: the token (given, or minted).
//! - [`report`]: what connect prints.
//! - [`undo`]: `disconnect` and `status`.

mod client;
pub(crate) mod notify;
mod report;
mod token;
mod undo;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use self::client::{Launch, STOP_GRACE};
use self::notify::{Notified, NotifySocket};
use self::report::FirezoneConnectResult;
use self::token::Token;
use crate::api::Dialect;
use crate::config::{ProviderKind, env};
use crate::connect::args::ConnectArgs;
use crate::connect::job::{job_key_name, ms};
use crate::connect::preflight::{self, Machine};
use crate::connect::process::{Runner, human};
use crate::connect::provider::{Connected, Diagnosis, Failure, Host, Provider};
use crate::connect::proxy::NetworkMode;
use crate::connect::secret::Masker;
use crate::connect::state::{ConnectState, FirezoneState, State};
use crate::connect::status::StatusOutput;
use crate::connect::undo::UndoReport;
use crate::error::{Error, Kind, Result};
use crate::parse;

/// The remedy for a token the portal refused (exit 9).
const TOKEN_REMEDY: &str = "the token was revoked, expired or mistyped: create a new service-account token (or mint one per job with --mint --service-account NAME and FIREZONE_API_TOKEN)";
/// Restarts of a client that exits before READY=1, and their backoff (doubling).
const MAX_RESTARTS: u32 = 5;
const RESTART_FIRST: Duration = Duration::from_millis(250);
const RESTART_MAX: Duration = Duration::from_secs(4);

/// How long a minted token lives unless --mint-expires-in says otherwise: longer than any hosted
/// CI job (GitHub's limit is 6 h), and `disconnect` deletes it anyway.
const DEFAULT_MINT_LIFETIME: Duration = Duration::from_secs(6 * 3600);

/// A Firezone connection in the making.
pub(crate) struct Firezone {
    mint_lifetime: Duration,
    token: Option<Token>,
    masker: Masker,
    bin: PathBuf,
    runner: Runner,
    version: String,
    firezone_id: String,
    name: String,
    client_log: PathBuf,
    notify: Option<NotifySocket>,
    notified: Notified,
    /// The client, while this process runs it.
    child: Option<tokio::process::Child>,
}

fn exit_text(status: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => format!("exited with status {c}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            _ => "exited".to_owned(),
        },
        Err(e) => format!("could not be waited for ({e})"),
    }
}

impl Firezone {
    /// Spawns the client (again, after an exit before READY=1) and records its process group.
    fn launch(&mut self, host: &Host<'_>, st: &mut State) -> Result<(), Failure> {
        let token = self.token.as_ref().ok_or_else(|| Failure::client("no token"))?;
        let notify = self.notify.as_ref().ok_or_else(|| Failure::client("no notify socket"))?;
        let portal_url =
            host.env.get(env::FIREZONE_API_URL).filter(|u| u.starts_with("ws://") || u.starts_with("wss://"));
        let log = PathBuf::from(&st.log);
        let spawned = client::spawn(&Launch {
            bin: &self.bin,
            sudo: self.runner.sudo.as_deref(),
            token: &token.secret,
            firezone_id: &self.firezone_id,
            name: &self.name,
            notify_socket: notify.path(),
            portal_url,
            log: &log,
        })
        .map_err(|e| Failure::client(format!("cannot start {}: {e}", self.bin.display())))?;
        let pid = spawned.id().unwrap_or_default();
        self.child = Some(spawned);
        st.record_group(pid);
        if let Some(fz) = st.firezone.as_mut() {
            fz.client_pid = pid;
        }
        st.save().map_err(Failure::from_error)
    }
}

impl Provider for Firezone {
    const KIND: ProviderKind = ProviderKind::Firezone;
    const API: Dialect = Dialect::Firezone;
    type Report = FirezoneConnectResult;

    fn from_args(args: &ConnectArgs) -> Result<Self> {
        // The Firezone client has no userspace proxy: only its TUN mode exists.
        let proxy_only = args.network_mode == NetworkMode::Proxy
            || args.proxy_port.is_some()
            || !args.forward.is_empty()
            || args.print_env;
        if proxy_only {
            return Err(Error::usage("--network-mode proxy, --proxy-port, --forward and --print-env are for the Twingate client; the Firezone client has no userspace proxy mode")
                .hint("run the Firezone client where it can create its TUN device (root or CAP_NET_ADMIN, /dev/net/tun)"));
        }
        if args.broker.is_some() {
            return Err(Error::usage("--broker is for Twingate service keys (tgctl-broker)").hint(
                "Firezone takes a service-account token: --token-file PATH, --token - (stdin) or FIREZONE_TOKEN",
            ));
        }
        if args.service_key_file.is_some() || args.service_key.is_some() {
            return Err(Error::usage("--service-key-file and --service-key are for Twingate service keys").hint(
                "Firezone takes a service-account token: --token-file PATH, --token - (stdin) or FIREZONE_TOKEN",
            ));
        }
        // `--install auto` is every provider's default; tgctl installs the Twingate client only.
        if args.client_version != "latest" || args.docker_dns {
            return Err(Error::usage("--client-version and --docker-dns are available for the Twingate client only")
                .hint(client::INSTALL_HINT));
        }
        let mint_lifetime = match &args.mint_expires_in {
            Some(text) => parse::duration(text)?,
            None => DEFAULT_MINT_LIFETIME,
        };
        if mint_lifetime < Duration::from_secs(60) {
            return Err(Error::usage("--mint-expires-in must be at least a minute"));
        }
        Ok(Self {
            mint_lifetime,
            token: None,
            masker: Masker::default(),
            bin: PathBuf::new(),
            runner: Runner::new(None),
            version: String::new(),
            firezone_id: String::new(),
            name: String::new(),
            client_log: PathBuf::new(),
            notify: None,
            notified: Notified::default(),
            child: None,
        })
    }

    fn title(&self) -> &'static str {
        "Connecting through Firezone: preflight checks"
    }

    fn read_credential(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<bool> {
        let Some(secret) = token::read(host, args)? else { return Ok(false) };
        let masker = token::masker_for(host, secrecy::ExposeSecret::expose_secret(&secret));
        self.masker = masker.clone();
        self.token = Some(Token { secret, masker, minted: None, expires_at: None });
        Ok(true)
    }

    fn missing_credential(&self) -> Error {
        Error::usage("no Firezone token given").hint(
            "pass --token-file PATH, --token - (stdin), set FIREZONE_TOKEN, or use --mint --service-account NAME with FIREZONE_API_TOKEN",
        )
    }

    fn check_credential(&mut self, _host: &Host<'_>) -> Result<()> {
        Ok(())
    }

    async fn preflight(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<Duration> {
        let machine = Machine::from_env(host.env);
        let runner = preflight::privileges(host.env).await?;
        let bin = client::find_client(host.env, args.client_bin.as_deref())?;
        preflight::machine_checks(&machine, runner.sudo.is_none())?;
        let out = runner.run(&bin, &["--version"], None, Duration::from_secs(10), false).await.map_err(|e| {
            Error::new(Kind::ClientFailed, format!("preflight: cannot run the client {}: {e}", bin.display()))
                .hint(client::INSTALL_HINT)
        })?;
        if !out.success() {
            return Err(Error::new(
                Kind::ClientFailed,
                format!("preflight: `{} --version` failed: {}", bin.display(), out.text()),
            )
            .hint(client::INSTALL_HINT));
        }
        self.version = out.stdout.lines().next().unwrap_or_default().trim().to_owned();
        self.bin = bin;
        self.runner = runner;
        let job = job_key_name(host.env);
        self.name = host.env.get(env::FIREZONE_NAME).map_or_else(|| job.clone(), str::to_owned);
        self.firezone_id = client::job_firezone_id(host.env, &job);
        self.client_log = State::path_in(host.env)?.with_file_name("firezone-client.log");
        Ok(Duration::ZERO)
    }

    fn record(&self, _host: &Host<'_>) -> Result<ConnectState> {
        let mut st = ConnectState::new(
            Self::KIND.as_str(),
            &self.bin,
            self.runner.sudo.is_some(),
            self.client_log.display().to_string(),
        );
        st.firezone = Some(FirezoneState {
            firezone_id: self.firezone_id.clone(),
            name: self.name.clone(),
            client_pid: 0,
            client_log: self.client_log.clone(),
            notify_dir: None,
        });
        Ok(st)
    }

    async fn mint(&mut self, host: &Host<'_>, args: &ConnectArgs, st: &mut State) -> Result<()> {
        host.events.step("Minting a client token for this job");
        let t = token::mint(host, args, &self.name, self.mint_lifetime, st).await?;
        self.masker = t.masker.clone();
        self.token = Some(t);
        Ok(())
    }

    fn note_credential(&self, st: &mut ConnectState) {
        st.key_id = self.token.as_ref().and_then(|t| t.minted.as_ref()).map(|m| m.id.clone());
        st.key_expires_at = self.token.as_ref().and_then(|t| t.expires_at);
    }

    async fn start(&mut self, host: &Host<'_>, st: &mut State, _deadline: Instant) -> Result<(), Failure> {
        host.events.step("Starting the Firezone client");
        let notify = NotifySocket::bind(st.dir()).map_err(Failure::from_error)?;
        if let Some(fz) = st.firezone.as_mut() {
            fz.notify_dir = Some(notify.dir().to_owned());
        }
        self.notify = Some(notify);
        st.ran_start = true;
        st.save().map_err(Failure::from_error)?;
        // A fresh log for this connection; restarts append to it.
        let _ = std::fs::remove_file(&st.log);
        self.launch(host, st)
    }

    async fn wait_online(
        &mut self,
        host: &Host<'_>,
        st: &mut State,
        deadline: Instant,
        _stall_after: Duration,
    ) -> Result<(), Failure> {
        host.events.step("Waiting for the Firezone client's READY=1");
        let t = Instant::now();
        let budget = deadline.saturating_duration_since(Instant::now());
        let mut restarts = 0;
        loop {
            // The client's own READY=1, its exit, or the deadline, whichever comes first.
            let (Some(child), Some(notify)) = (self.child.as_mut(), self.notify.as_ref()) else {
                return Err(Failure::client("the client did not start"));
            };
            let notified = &mut self.notified;
            let status = tokio::select! {
                r = notify.ready(notified) => {
                    r.map_err(|e| Failure::client(format!("reading the notify socket: {e}")))?;
                    break;
                }
                status = child.wait() => status,
                () = tokio::time::sleep_until(deadline.into()) => {
                    let last = notified.status.as_deref().map(|s| format!("; last status: {s}")).unwrap_or_default();
                    return Err(Failure::timeout(format!("the client did not send READY=1 within {}{last}", human(budget))));
                }
            };
            let why = format!("the client {} before it was ready", exit_text(status));
            let tail = client::tail(Path::new(&st.log), 20);
            // A refused token: "Authentication token invalid" (phoenix-channel's
            // `Error::InvalidToken`, in the client's error chain). It will not get better.
            if tail.iter().any(|l| l.contains(client::TOKEN_INVALID)) {
                return Err(Failure::Refused(
                    format!("{why}: the portal said \"{}\"", client::TOKEN_INVALID),
                    TOKEN_REMEDY.to_owned(),
                ));
            }
            // Anything else before READY=1 (the portal unreachable at start, on purpose: the
            // client "should always be running under a manager like systemd ... so when it
            // fails it will be restarted with backoff", its main.rs): restarted, with backoff,
            // within the budget.
            restarts += 1;
            let wait = RESTART_FIRST.saturating_mul(1 << (restarts - 1).min(5)).min(RESTART_MAX);
            if restarts > MAX_RESTARTS || Instant::now() + wait >= deadline {
                let tries = if restarts > 1 { format!(" (after {} restarts)", restarts - 1) } else { String::new() };
                return Err(Failure::client(format!("{why}{tries}")));
            }
            host.events.note(format!("{why}; restarting it in {} ({restarts}/{MAX_RESTARTS})", human(wait)));
            tokio::time::sleep(wait).await;
            self.launch(host, st)?;
        }
        let ready_in = t.elapsed();
        self.notify = None;
        if let Some(fz) = st.firezone.as_mut() {
            fz.notify_dir = None;
        }
        host.events.note(format!("The Firezone client is ready (READY=1) after {}", human(ready_in)));
        Ok(())
    }

    async fn exited(&mut self) -> Failure {
        match self.child.as_mut() {
            Some(child) => {
                let status = child.wait().await;
                Failure::client(format!("the client {} after it was ready", exit_text(status)))
            }
            None => std::future::pending().await,
        }
    }

    async fn diagnose(&mut self, st: &mut State, _kind: Kind) -> Diagnosis {
        // Stop the client first, so that its log is complete.
        if let Some(pid) = st.firezone.as_ref().map(|f| f.client_pid).filter(|p| *p != 0) {
            client::stop(pid, STOP_GRACE, self.child.as_mut()).await;
        }
        let tail = client::tail(Path::new(&st.log), 20);
        let rejected = tail
            .iter()
            .any(|l| l.contains("Authentication token invalid") || l.contains("401") || l.contains("Unauthorized"));
        let mut details = Vec::new();
        if !tail.is_empty() {
            details.push(format!("last {} lines of the client's output ({}):", tail.len(), st.log));
            details.extend(tail.iter().map(|l| self.masker.mask(l)));
        }
        let failed_hint = if rejected {
            "the portal rejected the token: check FIREZONE_TOKEN (it may be expired or revoked), or mint one per job with --mint --service-account NAME"
        } else {
            "the client was stopped; its output is above"
        };
        Diagnosis {
            details,
            timeout_hint: "the client was stopped; raise --timeout, or check that the service account's groups have policies and a gateway is online".to_owned(),
            failed_hint: failed_hint.to_owned(),
        }
    }

    fn output_key_id(&self) -> Option<String> {
        self.token.as_ref().and_then(|t| t.minted.as_ref()).map(|m| m.id.clone())
    }

    fn report(&self, st: &State, c: &Connected) -> FirezoneConnectResult {
        FirezoneConnectResult {
            status: c.status.clone(),
            provider: Self::KIND.as_str().to_owned(),
            client_bin: self.bin.display().to_string(),
            client_version: Some(self.version.clone()).filter(|v| !v.is_empty()),
            elapsed_ms: ms(c.elapsed),
            stages: c.stages.clone(),
            firezone_id: self.firezone_id.clone(),
            name: self.name.clone(),
            client_status: self.notified.status.clone(),
            minted_token_id: self.output_key_id(),
            token_expires_at: self.token.as_ref().and_then(|t| t.expires_at),
            resolved: c.resolved.clone(),
            probes: c.probes.clone(),
            client_pid: st.firezone.as_ref().map_or(0, |f| f.client_pid),
            client_log: self.client_log.display().to_string(),
            state_file: c.state_file.clone(),
        }
    }

    fn connected(&self, c: &Connected, running: Option<&str>) -> String {
        match running {
            None => format!("Connected through Firezone in {} ({})", human(c.elapsed), c.status),
            Some(cmd) => format!("Connected through Firezone in {}; running {cmd}", human(c.elapsed)),
        }
    }

    async fn reap(&mut self) {
        if let Some(mut c) = self.child.take() {
            // disconnect stopped it; reap it.
            let _ = tokio::time::timeout(Duration::from_secs(1), c.wait()).await;
        }
    }

    async fn undo(host: &Host<'_>, st: &mut State, quiet: bool) -> Result<UndoReport> {
        undo::undo(host, st, quiet).await
    }

    async fn status(host: &Host<'_>, st: Option<&State>, client_bin: Option<&Path>) -> Result<StatusOutput> {
        undo::status(host, st, client_bin).await
    }
}
