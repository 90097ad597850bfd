//! Twingate's Linux client in headless mode: `twingate setup --headless -` (key on stdin),
//! `twingate start`, `twingate status` polled until `online` (restarting a stalled client), and
//! in proxy mode the daemon run directly with its userspace HTTP proxy (no root, no TUN).
//!
//! - [`cli`]: the `twingate` commands the ladder polls and restarts.
//! - [`daemon`]: proxy mode's `twingated --http-proxy ... --tun off`.
//! - [`install`]: finding the client, its log, the apt install.
//! - [`key`]: the service key (given, or minted with the API token).
//! - [`report`]: what connect prints.
//! - [`undo`]: `disconnect` and `status`.

pub(crate) mod cli;
pub(crate) mod daemon;
mod docker_dns;
mod install;
mod key;
mod report;
mod undo;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use self::cli::Cli;
use self::key::Key;
use self::report::ConnectResult;
use crate::api::Dialect;
use crate::config::{ProviderKind, env};
use crate::connect::args::{ConnectArgs, InstallMode};
use crate::connect::client::ClientResource;
use crate::connect::job::ms;
use crate::connect::ladder::{self, Polled, cap};
use crate::connect::logs::{LogMark, LogSource};
use crate::connect::preflight::{self, Machine};
use crate::connect::process::{Runner, human};
use crate::connect::provider::{Connected, Diagnosis, Failure, Host, JobEnv, Provider};
use crate::connect::proxy::{self, NetworkMode};
use crate::connect::secret::Masker;
use crate::connect::state::{ConnectState, State};
use crate::connect::status::StatusOutput;
use crate::connect::undo::UndoReport;
use crate::error::{Error, Kind, Result};

/// A Twingate connection in the making.
pub(crate) struct Twingate {
    /// The key's text as given (None: minted).
    given: Option<SecretString>,
    key: Option<Key>,
    masker: Masker,
    client: Option<Cli>,
    version: String,
    mode: NetworkMode,
    mode_reason: String,
    /// Where the client's log ended before setup: a failure shows only what came after.
    mark: Option<LogMark>,
    restarts: u32,
    polls: u32,
    /// `--docker-dns`: point dockerd at the client's resolvers once online.
    docker_dns: bool,
}

impl Twingate {
    fn client(&self) -> Result<&Cli, Failure> {
        self.client.as_ref().ok_or_else(|| Failure::client("the client was not found"))
    }

    fn key_id(&self) -> String {
        self.key.as_ref().map(|k| k.doc.key_id.clone()).unwrap_or_default()
    }
}

impl Provider for Twingate {
    const KIND: ProviderKind = ProviderKind::Twingate;
    const API: Dialect = Dialect::Twingate;
    type Report = ConnectResult;

    fn from_args(args: &ConnectArgs) -> Result<Self> {
        if args.token_file.is_some() || args.token.is_some() || args.mint_expires_in.is_some() {
            return Err(Error::usage(
                "--token-file, --token and --mint-expires-in is available with --provider firezone only",
            )
            .hint(
                "pass --provider firezone, set TGCTL_PROVIDER=firezone, or use a profile with provider = \"firezone\"",
            ));
        }
        if args.docker_dns && args.network_mode == NetworkMode::Proxy {
            return Err(Error::usage(
                "--docker-dns needs TUN mode: containers reach the client's resolvers through its tunnel",
            )
            .hint("drop --network-mode proxy (TUN needs root or sudo and /dev/net/tun), or drop --docker-dns"));
        }
        Ok(Self {
            given: None,
            key: None,
            masker: Masker::default(),
            client: None,
            version: String::new(),
            mode: args.network_mode,
            mode_reason: String::new(),
            mark: None,
            restarts: 0,
            polls: 0,
            docker_dns: args.docker_dns,
        })
    }

    fn title(&self) -> &'static str {
        "Connecting: preflight checks"
    }

    fn read_credential(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<bool> {
        self.given = key::read_input(host, args)?;
        if let Some(text) = &self.given {
            self.masker = key::masker(host, text.expose_secret());
        }
        Ok(self.given.is_some())
    }

    fn missing_credential(&self) -> Error {
        Error::usage("no service key given").hint(
            "pass --service-key-file PATH, --service-key - (stdin), set TWINGATE_SERVICE_KEY, or use --mint --service-account NAME with an API token",
        )
    }

    fn check_credential(&mut self, host: &Host<'_>) -> Result<()> {
        if let Some(text) = &self.given {
            self.key = Some(key::parse(host, text, self.masker.clone(), None)?);
        }
        Ok(())
    }

    async fn preflight(&mut self, host: &Host<'_>, args: &ConnectArgs) -> Result<Duration> {
        let machine = Machine::from_env(host.env);
        let (client, version, install_time, (mode, reason)) = preflight_all(host, args, &machine).await?;
        host.events.note(format!("Network mode: {mode} ({reason})"));
        if let Some(p) = &client.proxy {
            if args.require_private {
                host.events.warn("--require-private is not checked in proxy mode: names resolve on the far side of the proxy, inside Twingate");
            }
            if args.waits() && args.probe.is_empty() && args.resolve.is_empty() {
                host.events.info(format!(
                    "In proxy mode, readiness means the daemon runs and its proxy ({}) accepts connections; add --probe HOST:PORT to prove a resource is reachable",
                    p.addr
                ));
            }
        }
        if self.docker_dns && mode == NetworkMode::Proxy {
            return Err(Error::usage(format!(
                "--docker-dns needs TUN mode: containers reach the client's resolvers through its tunnel ({reason})"
            ))
            .hint("run as root or with sudo where /dev/net/tun exists (--network-mode tun), or drop --docker-dns"));
        }
        // A failure shows only what the client logged from here on.
        self.mark = Some(client.log.mark());
        self.client = Some(client);
        self.version = version;
        self.mode = mode;
        self.mode_reason = reason;
        Ok(install_time)
    }

    fn record(&self, host: &Host<'_>) -> Result<ConnectState> {
        let client = self.client.as_ref().ok_or_else(|| Error::internal("preflight did not run"))?;
        let mut st =
            ConnectState::new(Self::KIND.as_str(), &client.bin, client.runner.sudo.is_some(), client.log.to_string());
        st.network = host.network.map(str::to_owned);
        st.network_mode = Some(self.mode.to_string());
        if let Some(p) = &client.proxy {
            st.proxy = Some(p.addr.to_string());
            st.logs.push(p.log.clone());
        }
        Ok(st)
    }

    async fn mint(&mut self, host: &Host<'_>, args: &ConnectArgs, st: &mut State) -> Result<()> {
        let k = match &args.broker {
            Some(url) => {
                host.events.step("Getting a service key for this job from the broker");
                key::from_broker(host, url, args.audience.as_deref(), st).await?
            }
            None => {
                host.events.step("Minting a service key for this job");
                key::mint(host, args, st).await?
            }
        };
        self.masker = k.masker.clone();
        self.key = Some(k);
        Ok(())
    }

    fn note_credential(&self, st: &mut ConnectState) {
        if let Some(k) = &self.key {
            st.key_id = Some(k.doc.key_id.clone());
            st.key_expires_at = k.doc.expiry().ok().flatten();
        }
    }

    fn has_setup(&self) -> bool {
        true
    }

    async fn setup(&mut self, host: &Host<'_>, st: &mut State, deadline: Instant) -> Result<(), Failure> {
        let client = self.client()?;
        let key = self.key.as_ref().ok_or_else(|| Failure::client("no service key"))?;
        let via = client.proxy.as_ref().map(|p| p.addr);
        host.events.step(if via.is_some() {
            "Configuring the client (the key goes to the daemon's environment)"
        } else {
            "Configuring the client (twingate setup --headless -)"
        });
        // In proxy mode nothing is stored (the key lives in the daemon's environment) and the
        // daemon is stopped through its process group, not `twingate stop`.
        st.ran_setup = via.is_none();
        st.save().map_err(Failure::from_error)?;
        client
            .setup(key.json.expose_secret().as_bytes(), cap(deadline))
            .await
            .map_err(|e| Failure::from_client(e, &self.masker))
    }

    async fn start(&mut self, host: &Host<'_>, st: &mut State, deadline: Instant) -> Result<(), Failure> {
        let client = self.client()?;
        let via = client.proxy.as_ref().map(|p| p.addr);
        host.events.step(match via {
            Some(addr) => format!("Starting the client (twingated --http-proxy {addr} --tun off)"),
            None => "Starting the client (twingate start)".to_owned(),
        });
        st.ran_start = via.is_none();
        st.save().map_err(Failure::from_error)?;
        let out = match client.start(cap(deadline)).await {
            Ok(out) => out,
            // `twingate start`'s exit code decides nothing: it is 0 when the TUN device fails
            // later and non-zero while the daemon still comes up (reference §1.4, PR #84;
            // Addendum). `status` and the log decide; a failure shows the log.
            Err(e) if e.exited => {
                let said = self.masker.mask(e.output.trim());
                let said = said.lines().next().map(|l| format!(" ({l})")).unwrap_or_default();
                host.events.note(format!(
                    "`{}` {}{said}; its exit code decides nothing, waiting for `twingate status`",
                    e.command, e.reason
                ));
                return Ok(());
            }
            Err(e) => return Err(Failure::from_client(e, &self.masker)),
        };
        if let Some(pg) = out.pgid {
            st.record_group(pg);
            st.save().map_err(Failure::from_error)?;
        }
        Ok(())
    }

    async fn wait_online(
        &mut self,
        host: &Host<'_>,
        st: &mut State,
        deadline: Instant,
        stall_after: Duration,
    ) -> Result<(), Failure> {
        let client = self.client()?;
        host.events.step("Waiting for the client to come online");
        let t = Instant::now();
        let mut watch = client.log.watch(self.mark.as_ref());
        let mut restarted = Vec::new();
        let masker = self.masker.clone();
        let refusal = move |line: &str| refused_line(line, &masker);
        let waited =
            ladder::wait_online(client, deadline, stall_after, &mut watch, &host.events, &mut restarted, &refusal)
                .await;
        watch.close().await;
        if !restarted.is_empty() {
            for pg in restarted {
                st.record_group(pg);
            }
            st.save().map_err(Failure::from_error)?;
        }
        let waited = waited?;
        self.restarts = waited.restarts;
        self.polls = waited.polls;
        host.events.note(format!("The client is online after {}", human(t.elapsed())));
        if self.docker_dns {
            host.events.step("Pointing the Docker daemon's DNS at the client's resolvers (--docker-dns)");
            let machine = Machine::from_env(host.env);
            let mut save = |rec: docker_dns::DockerDnsRecord| {
                st.docker_dns = Some(serde_json::to_value(rec).map_err(|e| Error::internal(e.to_string()))?);
                st.save()
            };
            let runner = self.client()?.runner.clone();
            let done = docker_dns::apply(host.env, &runner, &machine, &mut save).await.map_err(Failure::from_error)?;
            host.events.note(format!("{} now uses the client's resolvers; {done}", docker_dns::DAEMON_JSON));
        }
        Ok(())
    }

    fn via(&self) -> Option<SocketAddr> {
        self.client.as_ref().and_then(|c| c.proxy.as_ref()).map(|p| p.addr)
    }

    async fn resources(&self, host: &Host<'_>, deadline: Instant) -> Vec<ClientResource> {
        let Some(client) = &self.client else { return Vec::new() };
        match client.resources(cap(deadline).min(Duration::from_secs(10))).await {
            Ok(r) => r,
            Err(e) => {
                host.events.warn(format!("could not list resources: `{}` {}", e.command, e.reason));
                Vec::new()
            }
        }
    }

    async fn diagnose(&mut self, _st: &mut State, _kind: Kind) -> Diagnosis {
        let mut details = Vec::new();
        if let Some(client) = &self.client {
            let tail = client.log.tail(&client.runner, 20, self.mark.as_ref()).await;
            if !tail.is_empty() {
                details.push(format!("last {} lines of the client log ({}):", tail.len(), client.log));
                details.extend(tail.iter().map(|l| self.masker.mask(l)));
            } else if let LogSource::Journal { unit } = &client.log {
                // The system journal shows a unit's lines to root (or the systemd-journal and
                // adm groups) only (journalctl(1)); through sudo when tgctl has it.
                details.push(format!(
                    "journalctl -u {unit} showed no lines for this connection{}",
                    if client.runner.sudo.is_none() && !nix::unistd::geteuid().is_root() {
                        format!(": reading the system journal needs root; run `sudo journalctl -u {unit}`")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        Diagnosis {
            details,
            timeout_hint: "the client was stopped; raise --timeout, or check that the service account has resources and the network is reachable".to_owned(),
            failed_hint: "the client was stopped; its log lines are above".to_owned(),
        }
    }

    fn output_key_id(&self) -> Option<String> {
        Some(self.key_id())
    }

    fn job_env(&self, host: &Host<'_>) -> Option<JobEnv> {
        // The network's host bypasses the proxy (the daemon and tgctl's API calls reach it
        // directly).
        let network = self.key.as_ref().map(|k| k.doc.network.clone()).unwrap_or_default();
        let network_host: Vec<String> = Some(network).filter(|n| n.contains('.')).into_iter().collect();
        let vars = self
            .client
            .as_ref()
            .and_then(|c| c.proxy.as_ref())
            .map(|p| proxy::job_env(p.addr, host.env, &network_host))
            .unwrap_or_default();
        Some(JobEnv { mode: self.mode, vars })
    }

    fn report(&self, st: &State, c: &Connected) -> ConnectResult {
        let client = self.client.as_ref();
        ConnectResult {
            status: c.status.clone(),
            provider: Self::KIND.as_str().to_owned(),
            client_bin: client.map(|c| c.bin.display().to_string()).unwrap_or_default(),
            client_version: Some(self.version.clone()).filter(|v| !v.is_empty()),
            elapsed_ms: ms(c.elapsed),
            stages: c.stages.clone(),
            restarts: self.restarts,
            status_polls: self.polls,
            key_id: self.key_id(),
            key_expires_at: st.key_expires_at,
            minted_key_id: self.key.as_ref().and_then(|k| k.minted.as_ref()).map(|m| m.id.clone()),
            resolved: c.resolved.clone(),
            probes: c.probes.clone(),
            resources: c.resources.clone(),
            state_file: c.state_file.clone(),
            network_mode: self.mode,
            network_mode_reason: self.mode_reason.clone(),
            proxy_url: self.via().map(|addr| format!("http://{addr}")),
            forwards: st.forwards.clone(),
        }
    }

    fn connected(&self, c: &Connected, running: Option<&str>) -> String {
        match running {
            None => format!("Connected in {} ({}, {} mode)", human(c.elapsed), c.status, self.mode),
            Some(cmd) => format!("Connected in {} ({} resources); running {cmd}", human(c.elapsed), c.resources.len()),
        }
    }

    async fn undo(host: &Host<'_>, st: &mut State, quiet: bool) -> Result<UndoReport> {
        undo::undo(host, st, quiet).await
    }

    async fn status(host: &Host<'_>, st: Option<&State>, client_bin: Option<&Path>) -> Result<StatusOutput> {
        undo::status(host, st, client_bin).await
    }
}

/// Preflight: privileges, the client (installed if asked), the machine, the client's version,
/// and the network mode (with why). Returns the client, its version, the time the install
/// took and the mode.
async fn preflight_all(
    host: &Host<'_>,
    args: &ConnectArgs,
    machine: &Machine,
) -> Result<(Cli, String, Duration, (NetworkMode, String))> {
    let events = &host.events;
    // Proxy mode needs no privileges; auto asks, and falls back to proxy without them.
    let privileges = match args.network_mode {
        NetworkMode::Proxy => None,
        _ => Some(preflight::privileges(host.env).await),
    };
    if let (NetworkMode::Tun, Some(Err(e))) = (args.network_mode, &privileges) {
        return Err(e.clone());
    }
    let mut install_time = Duration::ZERO;
    let request = install::Request::new(host.env, &args.client_version)?;
    let bin = match install::find_client(host.env, args.client_bin.as_deref()) {
        Ok(b) => b,
        Err(_)
            if args.install == InstallMode::Auto
                && args.client_bin.is_none()
                && host.env.get(env::TGCTL_TWINGATE_BIN).is_none() =>
        {
            // Without root or passwordless sudo, the error lists the commands to run.
            let runner = match privileges.clone() {
                Some(r) => r.ok(),
                None => preflight::privileges(host.env).await.ok(),
            };
            let it = Instant::now();
            events.step("Installing the Twingate client (it is not on PATH; --install auto)");
            install::install(host.env, runner.as_ref(), machine, &request, &|m| events.note(m)).await?;
            install_time = it.elapsed();
            events.note(format!("Installed the Twingate client in {}", human(install_time)));
            install::find_client(host.env, None)?
        }
        Err(e) if args.install == InstallMode::Never => {
            return Err(Error { hint: Some(format!("--install never: {}", install::INSTALL_HINT)), ..e });
        }
        Err(e) => return Err(e),
    };
    let (mode, reason, runner) = match (args.network_mode, privileges) {
        (NetworkMode::Proxy, _) => (NetworkMode::Proxy, "--network-mode proxy".to_owned(), Runner::new(None)),
        (NetworkMode::Tun, Some(Ok(runner))) => {
            preflight::machine_checks(machine, runner.sudo.is_none())?;
            (NetworkMode::Tun, "--network-mode tun".to_owned(), runner)
        }
        (_, Some(Ok(runner))) => match preflight::machine_checks(machine, runner.sudo.is_none()) {
            Ok(()) => (NetworkMode::Tun, "auto: TUN is available".to_owned(), runner),
            Err(e) => (NetworkMode::Proxy, auto_reason(&e), Runner::new(None)),
        },
        (_, Some(Err(e))) => (NetworkMode::Proxy, auto_reason(&e), Runner::new(None)),
        (_, None) => (NetworkMode::Proxy, "auto".to_owned(), Runner::new(None)),
    };
    let mut client = Cli { bin: bin.clone(), runner, log: install::log_source(machine), proxy: None };
    if mode == NetworkMode::Proxy {
        let daemon = daemon::find_daemon(host.env, args.daemon_bin.as_deref(), &bin).map_err(|e| {
            if args.network_mode == NetworkMode::Auto {
                // Say why TUN was not used, and both ways out.
                let tun_hint = preflight::machine_checks(machine, true).err().and_then(|t| t.hint);
                let hint = match tun_hint {
                    Some(h) => format!("for TUN mode: {h}; for proxy mode: {}", daemon::DAEMON_HINT),
                    None => e.hint.clone().unwrap_or_default(),
                };
                Error::new(
                    Kind::ClientFailed,
                    format!("{} ({reason}; {})", e.message, "proxy mode was chosen because TUN cannot be used"),
                )
                .hint(hint)
            } else {
                e
            }
        })?;
        let port = match args.proxy_port {
            Some(p) => p,
            None => proxy::free_port()?,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = State::path_in(host.env)?.with_file_name("twingated-proxy.log");
        let state_dir = log.parent().map(Path::to_path_buf).unwrap_or_default();
        let (runtime, note) = daemon::runtime_dir(host.env, &state_dir)?;
        if let Some(n) = note {
            events.note(n);
        }
        client.log = crate::connect::logs::LogSource::File(log.clone());
        client.proxy = Some(daemon::ProxyDaemon::new(daemon, addr, log, runtime));
    }
    let version = client.version().await.map_err(|e| {
        Error::new(Kind::ClientFailed, format!("preflight: cannot run the client {}: {}", bin.display(), e.reason))
            .hint(install::INSTALL_HINT)
    })?;
    if let Some(pinned) = request.version.as_deref().filter(|v| !version.contains(v)) {
        events.warn(format!(
            "--client-version {pinned}: the client found is {version}; using it (tgctl installs a client only where there is none)"
        ));
    }
    Ok((client, version, install_time, (mode, reason)))
}

/// The remedy for a refused service key (exit 9).
pub(crate) const REFUSED_REMEDY: &str = "the service key was revoked, expired or deleted: create a new one with `tgctl service-key create --service-account NAME --key-file key.json`, or mint one per job with --mint --service-account NAME";

/// A client log line that says the controller refused the key: the client logs
/// `authentication failed` and stays short of online (issue 14 §7; the refused-key variant of
/// twingate-sim). Such a key never comes online, so waiting on is pointless.
fn refused_line(line: &str, masker: &Masker) -> Option<Failure> {
    line.to_ascii_lowercase().contains("authentication failed").then(|| {
        let said = masker.mask(line.trim());
        Failure::Refused(
            format!("the client could not log in with the service key (its log: {said})"),
            REFUSED_REMEDY.to_owned(),
        )
    })
}

/// Why `auto` chose proxy mode, from the preflight failure that ruled TUN out.
fn auto_reason(e: &Error) -> String {
    format!("auto: {}", e.message.trim_start_matches("preflight: "))
}
