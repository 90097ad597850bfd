//! `tgctl connect [--wait] ... [-- CMD ARGS]`: the readiness ladder (see `crate::connect`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Ctx;
use crate::api::service_accounts;
use crate::api::service_keys::{self, KeyDocument};
use crate::config::env;
use crate::connect::Stage;
use crate::connect::forward::{self as fwd, Forward};
use crate::connect::ladder::{self, Failure, cap};
use crate::connect::logs::LogMark;
use crate::connect::preflight::{self, Machine};
use crate::connect::probe::{self, Backoff, Probed, Resolved};
use crate::connect::process::{Runner, end_group, human, kill_group};
use crate::connect::provider::{ClientResource, Provider, Twingate};
use crate::connect::proxy::{self, NetworkMode, ProxyDaemon};
use crate::connect::secret::Masker;
use crate::connect::state::{self, ConnectState, MintedKey};
use crate::error::{Error, Kind, Result};
use crate::output::{Format, Progress};
use crate::parse;

const EXAMPLES: &str = "\
Examples:
  # GitHub Actions / any CI: key from a secret in the environment, wait until a host answers
  TWINGATE_SERVICE_KEY=\"$KEY\" tgctl connect --wait --probe db.internal:5432
  ...your steps...
  tgctl disconnect

  # Run one command inside the connection, then disconnect (exits with the command's status)
  tgctl connect --wait --service-key-file key.json --resolve db.internal --require-private -- ./migrate.sh

  # Mint a one-day key for this job with an API token; `disconnect` revokes and deletes it
  tgctl connect --wait --mint --service-account ci-deployer

  # Key on stdin (never on the command line)
  vault read -field=key secret/twingate | tgctl connect --wait --service-key -

  # Firezone: a service-account token from the environment (see docs/firezone.md)
  FIREZONE_TOKEN=\"$TOKEN\" tgctl connect --provider firezone --wait --probe db.internal:5432
  # A container without TUN or root: the client's HTTP proxy, exported to this shell, and a
  # local port for tools that do not speak HTTP proxies
  eval \"$(tgctl connect --wait --network-mode proxy --probe db.internal:5432 --forward 15432:db.internal:5432 --print-env)\"
  psql -h 127.0.0.1 -p 15432 ...

Exit codes: 0 connected, 2 bad key or flags (nothing started), 7 not usable within --timeout,
8 client missing or failed, 130 interrupted; with `-- CMD`, CMD's status (128+N if killed by
signal N). See docs/connect.md.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ConnectArgs {
    /// Wait until the client is online and every --resolve/--probe passes
    #[arg(long)]
    pub wait: bool,
    /// Read the service key (JSON, or base64 of it) from this file
    #[arg(long, value_name = "PATH", conflicts_with_all = ["service_key", "mint"])]
    pub service_key_file: Option<PathBuf>,
    /// `-` reads the service key from stdin (a key is never accepted on the command line);
    /// without a key flag, TWINGATE_SERVICE_KEY is used
    #[arg(long, value_name = "-", conflicts_with = "mint")]
    pub service_key: Option<String>,
    /// Mint a key for this job with the API token (`disconnect` revokes and deletes it)
    #[arg(long, requires = "service_account")]
    pub mint: bool,
    /// With --mint: the service account (name or ID)
    #[arg(long, value_name = "NAME|ID", requires = "mint")]
    pub service_account: Option<String>,
    /// With --mint: days until the minted key expires
    #[arg(long, value_name = "DAYS", default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub mint_expires_in_days: i64,
    /// The client binary [default: TGCTL_TWINGATE_BIN, else `twingate` on PATH]
    #[arg(long, value_name = "PATH")]
    pub client_bin: Option<PathBuf>,
    /// Install the client from Twingate's signed apt repository when it is missing
    #[arg(long)]
    pub install: bool,
    /// Time budget for everything after the install (e.g. 90, 90s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    pub timeout: String,
    /// Restart the client when it has not come online after this long (within --timeout)
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub stall_after: String,
    /// Wait until HOST resolves (repeatable)
    #[arg(long = "resolve", value_name = "HOST")]
    pub resolve: Vec<String>,
    /// With --resolve: every address must be private (RFC 1918, 100.64.0.0/10, loopback, fc00::/7)
    #[arg(long, requires = "resolve")]
    pub require_private: bool,
    /// Wait until HOST:PORT accepts a TCP connection (repeatable)
    #[arg(long = "probe", value_name = "HOST:PORT")]
    pub probe: Vec<String>,
    /// Append TGCTL_CONNECT_STATUS, TGCTL_CONNECT_ELAPSED_MS and TGCTL_CONNECT_KEY_ID to this
    /// file (GitLab dotenv, CircleCI $BASH_ENV, `source`)
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Firezone: read the service-account token from this file
    #[arg(long, value_name = "PATH", conflicts_with_all = ["token", "mint", "service_key_file", "service_key"])]
    pub token_file: Option<PathBuf>,
    /// Firezone: `-` reads the token from stdin; without a token flag, FIREZONE_TOKEN is used
    #[arg(long, value_name = "-", conflicts_with_all = ["mint", "service_key_file", "service_key"])]
    pub token: Option<String>,
    /// Firezone, with --mint: how long the minted token lives (default 6h; deleted at disconnect)
    #[arg(long, value_name = "DURATION", requires = "mint")]
    pub mint_expires_in: Option<String>,
    /// auto: TUN where preflight allows it (root or sudo, /dev/net/tun, CAP_NET_ADMIN), else the
    /// client's userspace HTTP proxy on loopback (no root); tun; proxy
    #[arg(long, value_enum, value_name = "MODE", default_value_t = NetworkMode::Auto)]
    pub network_mode: NetworkMode,
    /// Proxy mode: the loopback port of the client's HTTP proxy [default: a free port]
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub proxy_port: Option<u16>,
    /// Proxy mode: the daemon [default: TGCTL_TWINGATED_BIN, else `twingated` next to the
    /// client, on PATH, or in /usr/sbin]
    #[arg(long, value_name = "PATH")]
    pub daemon_bin: Option<PathBuf>,
    /// Serve 127.0.0.1:LOCAL_PORT, tunnelled to HOST:PORT, until `disconnect` (repeatable)
    #[arg(long = "forward", value_name = "LOCAL_PORT:HOST:PORT")]
    pub forward: Vec<String>,
    /// Print `export NAME=value` lines on stdout (the proxy settings in proxy mode) instead of
    /// the result, for `eval "$(tgctl connect ... --print-env)"`
    #[arg(long, conflicts_with = "command")]
    pub print_env: bool,
    /// A command to run inside the connection; tgctl disconnects afterwards and exits with its
    /// status
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Time of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    pub stage: Stage,
    pub ms: u64,
}

/// What `connect` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectResult {
    /// `online` (with --wait) or `started`.
    pub status: String,
    pub provider: String,
    pub client_bin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    pub elapsed_ms: u64,
    pub stages: Vec<StageTime>,
    pub restarts: u32,
    pub status_polls: u32,
    pub key_id: String,
    pub key_expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted_key_id: Option<String>,
    pub resolved: Vec<Resolved>,
    pub probes: Vec<Probed>,
    pub resources: Vec<ClientResource>,
    pub state_file: String,
    /// `tun` or `proxy`, and why (what `auto` found).
    pub network_mode: NetworkMode,
    pub network_mode_reason: String,
    /// Proxy mode: the proxy URL the job's HTTP_PROXY/HTTPS_PROXY/ALL_PROXY point at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forwards: Vec<state::ForwardRecord>,
}

/// SIGINT and SIGTERM, caught for the whole of connect.
pub(crate) struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn new() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let err = |e: std::io::Error| Error::internal(format!("cannot handle signals: {e}"));
        Ok(Self {
            int: signal(SignalKind::interrupt()).map_err(err)?,
            term: signal(SignalKind::terminate()).map_err(err)?,
        })
    }

    pub(crate) async fn recv(&mut self) -> nix::sys::signal::Signal {
        tokio::select! {
            _ = self.int.recv() => nix::sys::signal::Signal::SIGINT,
            _ = self.term.recv() => nix::sys::signal::Signal::SIGTERM,
        }
    }
}

/// The key, decoded, with its document and masker.
struct Key {
    json: SecretString,
    doc: KeyDocument,
    masker: Masker,
    minted: Option<MintedKey>,
}

pub async fn run(ctx: &Ctx, args: ConnectArgs) -> Result<()> {
    if ctx.provider()? == crate::config::ProviderKind::Firezone {
        // The Firezone client has no userspace proxy: only its TUN mode exists.
        let proxy_only = args.network_mode == crate::connect::proxy::NetworkMode::Proxy
            || args.proxy_port.is_some()
            || !args.forward.is_empty()
            || args.print_env;
        if proxy_only {
            return Err(Error::usage("--network-mode proxy, --proxy-port, --forward and --print-env are for the Twingate client; the Firezone client has no userspace proxy mode")
                .hint("run the Firezone client where it can create its TUN device (root or CAP_NET_ADMIN, /dev/net/tun)"));
        }
        return super::firezone::connect::run(ctx, args).await;
    }
    super::firezone::connect::reject_firezone_flags(&args)?;
    let t0 = Instant::now();
    let timeout = parse::duration(&args.timeout)?;
    if timeout.is_zero() {
        return Err(Error::usage("--timeout must be more than 0"));
    }
    let stall_after = parse::duration(&args.stall_after)?;
    if stall_after.is_zero() {
        return Err(Error::usage("--stall-after must be more than 0"));
    }
    let mut targets = Vec::new();
    for p in &args.probe {
        targets.push((p.clone(), probe::parse_target(p).map_err(Error::usage)?));
    }
    let mut forwards = Vec::new();
    for f in &args.forward {
        forwards.push(fwd::parse_spec(f).map_err(|e| Error::usage(format!("--forward {e}")))?);
    }
    let wait = args.wait
        || !args.resolve.is_empty()
        || !args.probe.is_empty()
        || !args.command.is_empty()
        || !forwards.is_empty();
    let mut signals = Signals::new()?;

    // The key is read and masked before anything else is printed.
    let key_text = read_key_input(ctx, &args)?;
    let early_masker = key_text.as_ref().map(|k| {
        let m = Masker::for_key(k.expose_secret(), KeyDocument::parse(k.expose_secret()).ok().as_ref());
        for s in m.secrets() {
            ctx.printer.mask(s);
        }
        m
    });

    let state_path = state::path(&ctx.env)?;
    if let Some(existing) = state::load(&state_path)? {
        return Err(Error::usage(format!(
            "already connected (since {}, status {}): {} exists",
            existing.started_at,
            existing.status,
            state_path.display()
        ))
        .hint("run `tgctl disconnect` first"));
    }

    // Without a key source, fail before preflight.
    if key_text.is_none() && !args.mint {
        return Err(Error::usage("no service key given").hint(
            "pass --service-key-file PATH, --service-key - (stdin), set TWINGATE_SERVICE_KEY, or use --mint --service-account NAME with an API token",
        ));
    }
    // A bad key is a usage error found before anything starts.
    let parsed_key = match (&key_text, &early_masker) {
        (Some(text), Some(masker)) => {
            let t = Instant::now();
            let k = parse_key(ctx, text, masker.clone(), None)?;
            Some((k, t.elapsed()))
        }
        _ => None,
    };

    let progress = ctx.printer.progress("Connecting: preflight checks");
    let mut stages: Vec<StageTime> = Vec::new();
    let stage_t = Instant::now();
    let machine = Machine::from_env(&ctx.env);
    let checks = preflight_all(ctx, &args, &machine, &progress);
    let (provider, version, install_time, mode) = tokio::select! {
        r = checks => r?,
        sig = signals.recv() => {
            progress.finish();
            return Err(Error::new(Kind::Interrupted, format!("interrupted ({sig}) during preflight; nothing was started")));
        }
    };
    let bin = provider.bin.clone();
    let runner = provider.runner.clone();
    stages.push(StageTime { stage: Stage::Preflight, ms: ms(stage_t.elapsed().saturating_sub(install_time)) });
    let deadline = t0 + timeout + install_time;
    progress.println(&format!("Network mode: {} ({})", mode.0, mode.1));
    if let Some(p) = &provider.proxy {
        if args.require_private {
            ctx.printer.warn("--require-private is not checked in proxy mode: names resolve on the far side of the proxy, inside Twingate");
        }
        if wait && targets.is_empty() && args.resolve.is_empty() {
            ctx.printer.info(&format!(
                "In proxy mode, readiness means the daemon runs and its proxy ({}) accepts connections; add --probe HOST:PORT to prove a resource is reachable",
                p.addr
            ));
        }
    }

    let mut st = ConnectState::new(provider.name(), &bin, runner.sudo.is_some(), provider.log_source().to_string());
    st.network = ctx.global.network.clone();
    st.network_mode = Some(mode.0.to_string());
    if let Some(p) = &provider.proxy {
        st.proxy = Some(p.addr.to_string());
        st.logs.push(p.log.clone());
    }

    // Key: validated already, or minted now.
    let key = match parsed_key {
        Some((k, took)) => {
            stages.push(StageTime { stage: Stage::Key, ms: ms(took) });
            k
        }
        None => {
            progress.set_message("Minting a service key for this job");
            let t = Instant::now();
            let k = mint(ctx, &args, &mut st, &state_path).await?;
            stages.push(StageTime { stage: Stage::Key, ms: ms(t.elapsed()) });
            k
        }
    };
    st.key_id = Some(key.doc.key_id.clone());
    st.key_expires_at = key.doc.expiry().ok().flatten();

    // Everything from here on is undone on failure or interruption. A failure shows only what
    // the client logged from here on.
    let log_mark = provider.log_source().mark();
    let mut current = Stage::Setup;
    let mut outcome = Outcome::default();
    let ladder_result = {
        let fut = climb(
            ctx,
            &provider,
            &key,
            &args,
            &targets,
            &forwards,
            wait,
            deadline,
            stall_after,
            &progress,
            &mut st,
            &state_path,
            &mut stages,
            &mut current,
            &mut outcome,
        );
        tokio::select! {
            r = fut => r,
            sig = signals.recv() => Err(Climb::Interrupted(sig)),
        }
    };
    let elapsed = t0.elapsed();
    if let Err(failure) = ladder_result {
        progress.finish();
        return Err(fail(ctx, &provider, &key, &args, &mut st, &state_path, current, failure, elapsed, &log_mark).await);
    }
    progress.finish();

    st.status = if wait { "online" } else { "started" }.to_owned();
    st.online_at = wait.then(Timestamp::now);
    st.resources = outcome.resources.clone();
    state::save(&state_path, &st)?;
    let status = st.status.clone();
    write_outputs(ctx, args.env_file.as_deref(), &status, elapsed, Some(&key.doc.key_id))?;
    // The network's host bypasses the proxy (the daemon and tgctl's API calls reach it directly).
    let network_host: Vec<String> = Some(key.doc.network.clone()).filter(|n| n.contains('.')).into_iter().collect();
    let job_env = provider.proxy.as_ref().map(|p| proxy::job_env(p.addr, &ctx.env, &network_host)).unwrap_or_default();
    write_job_env(ctx, args.env_file.as_deref(), &job_env, mode.0)?;
    let result = ConnectResult {
        status,
        provider: provider.name().to_owned(),
        client_bin: bin.display().to_string(),
        client_version: Some(version).filter(|v| !v.is_empty()),
        elapsed_ms: ms(elapsed),
        stages,
        restarts: outcome.restarts,
        status_polls: outcome.polls,
        key_id: key.doc.key_id.clone(),
        key_expires_at: st.key_expires_at,
        minted_key_id: key.minted.as_ref().map(|m| m.id.clone()),
        resolved: outcome.resolved,
        probes: outcome.probes,
        resources: outcome.resources,
        state_file: state_path.display().to_string(),
        network_mode: mode.0,
        network_mode_reason: mode.1.clone(),
        proxy_url: provider.proxy.as_ref().map(|p| format!("http://{}", p.addr)),
        forwards: st.forwards.clone(),
    };
    if args.command.is_empty() {
        ctx.printer.success(&format!("Connected in {} ({}, {} mode)", human(elapsed), result.status, mode.0));
        if args.print_env {
            let mut vars =
                vec![("TGCTL_CONNECT_STATUS", result.status.clone()), ("TGCTL_NETWORK_MODE", mode.0.to_string())];
            vars.extend(job_env);
            return ctx.printer.raw(&proxy::env_lines(&vars, true));
        }
        return print_result(ctx, &result);
    }
    // stdout belongs to the command: the summary goes to stderr.
    ctx.printer.success(&format!(
        "Connected in {} ({} resources); running {}",
        human(elapsed),
        result.resources.len(),
        shell_words(&args.command)
    ));
    let code = run_command(ctx, &args.command, &job_env, &mut signals, &mut st, &state_path).await;
    let undone = super::disconnect::undo(ctx, &mut st, &state_path, false).await;
    match undone {
        Ok(report) => {
            for w in &report.warnings {
                ctx.printer.warn(w);
            }
            ctx.printer.info("Disconnected.");
        }
        Err(e) => ctx.printer.warn(&format!("disconnecting after the command: {}", e.message)),
    }
    ctx.set_exit_code(code);
    Ok(())
}

#[derive(Debug, Default)]
struct Outcome {
    restarts: u32,
    polls: u32,
    resolved: Vec<Resolved>,
    probes: Vec<Probed>,
    resources: Vec<ClientResource>,
}

/// Why the ladder stopped short.
pub(crate) enum Climb {
    Timeout(String, Vec<String>),
    Client(String, Vec<String>),
    Interrupted(nix::sys::signal::Signal),
}

#[allow(clippy::too_many_arguments)]
async fn climb(
    ctx: &Ctx,
    provider: &Twingate,
    key: &Key,
    args: &ConnectArgs,
    targets: &[(String, (String, u16))],
    forwards: &[Forward],
    wait: bool,
    deadline: Instant,
    stall_after: Duration,
    progress: &Progress,
    st: &mut ConnectState,
    state_path: &Path,
    stages: &mut Vec<StageTime>,
    current: &mut Stage,
    outcome: &mut Outcome,
) -> std::result::Result<(), Climb> {
    let save = |st: &ConnectState| state::save(state_path, st).map_err(|e| Climb::Client(e.message, Vec::new()));
    let client_err = |e: crate::connect::provider::ClientError| {
        let said = key.masker.mask(&e.output);
        let details = if said.is_empty() { Vec::new() } else { vec![format!("{} said: {said}", e.command)] };
        if e.timed_out {
            Climb::Timeout(format!("`{}` {}", e.command, e.reason), details)
        } else {
            Climb::Client(format!("`{}` {}", e.command, e.reason), details)
        }
    };

    // setup
    *current = Stage::Setup;
    let via = provider.proxy.as_ref().map(|p| p.addr);
    progress.set_message(if via.is_some() {
        "Configuring the client (the key goes to the daemon's environment)"
    } else {
        "Configuring the client (twingate setup --headless -)"
    });
    let t = Instant::now();
    // In proxy mode nothing is stored (the key lives in the daemon's environment) and the
    // daemon is stopped through its process group, not `twingate stop`.
    st.ran_setup = via.is_none();
    save(st)?;
    provider.setup(key.json.expose_secret().as_bytes(), cap(deadline)).await.map_err(client_err)?;
    stages.push(StageTime { stage: Stage::Setup, ms: ms(t.elapsed()) });

    // start
    *current = Stage::Start;
    progress.set_message(&match via {
        Some(addr) => format!("Starting the client (twingated --http-proxy {addr} --tun off)"),
        None => "Starting the client (twingate start)".to_owned(),
    });
    let t = Instant::now();
    st.ran_start = via.is_none();
    save(st)?;
    let out = provider.start(cap(deadline)).await.map_err(client_err)?;
    if let Some(pg) = out.pgid {
        st.pids.push(pg);
        save(st)?;
    }
    stages.push(StageTime { stage: Stage::Start, ms: ms(t.elapsed()) });
    if !wait {
        outcome.resources = Vec::new();
        return Ok(());
    }

    // online
    *current = Stage::Online;
    progress.set_message("Waiting for the client to come online");
    let t = Instant::now();
    let mut watch = provider.log_source().watch();
    let mut pgids = st.pids.clone();
    let waited = ladder::wait_online(provider, deadline, stall_after, &mut watch, progress, &mut pgids).await;
    watch.close().await;
    if pgids != st.pids {
        st.pids = pgids;
        save(st)?;
    }
    let waited = waited.map_err(|f| match f {
        Failure::Timeout(m) => Climb::Timeout(m, Vec::new()),
        Failure::Client(m) => Climb::Client(m, Vec::new()),
    })?;
    outcome.restarts = waited.restarts;
    outcome.polls = waited.polls;
    stages.push(StageTime { stage: Stage::Online, ms: ms(t.elapsed()) });
    progress.println(&format!("The client is online after {}", human(t.elapsed())));

    // resolve
    if !args.resolve.is_empty() {
        *current = Stage::Resolve;
        let t = Instant::now();
        for host in &args.resolve {
            progress.set_message(&format!("Resolving {host}"));
            let resolved = match via {
                // Through the proxy: a tunnel to the host (port: a --probe's for it, else 443).
                Some(proxy) => {
                    let port = targets.iter().find(|(_, (h, _))| h == host).map_or(443, |(_, (_, p))| *p);
                    let text = proxy::authority(host, port);
                    probe_until(&text, host, port, deadline, Some(proxy)).await.map(|p| Resolved {
                        host: host.clone(),
                        addresses: Vec::new(),
                        attempts: p.attempts,
                        ms: p.ms,
                    })?
                }
                None => resolve_until(host, args.require_private, deadline).await?,
            };
            outcome.resolved.push(resolved);
        }
        stages.push(StageTime { stage: Stage::Resolve, ms: ms(t.elapsed()) });
    }

    // probe
    if !targets.is_empty() {
        *current = Stage::Probe;
        let t = Instant::now();
        for (text, (host, port)) in targets {
            progress.set_message(&format!("Connecting to {text}"));
            outcome.probes.push(probe_until(text, host, *port, deadline, via).await?);
        }
        stages.push(StageTime { stage: Stage::Probe, ms: ms(t.elapsed()) });
    }

    // forward
    if !forwards.is_empty() {
        *current = Stage::Forward;
        progress.set_message("Starting the port forwards");
        let t = Instant::now();
        let dir = state_path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let log = dir.join("forward.log");
        st.logs.push(log.clone());
        let started = fwd::spawn_background(forwards, via, &log, cap(deadline)).await;
        match started {
            Ok((pid, bound)) => {
                st.pids.push(pid);
                for f in &bound {
                    progress.println(&format!(
                        "Forwarding {f}{}",
                        via.map(|p| format!(" through {p}")).unwrap_or_default()
                    ));
                    st.forwards.push(state::ForwardRecord {
                        listen: format!("127.0.0.1:{}", f.local),
                        target: f.target(),
                        pid,
                    });
                }
                save(st)?;
            }
            Err((pid, why)) => {
                if let Some(pid) = pid {
                    st.pids.push(pid);
                }
                let _ = save(st);
                return Err(Climb::Client(format!("the port forwards did not start: {why}"), Vec::new()));
            }
        }
        stages.push(StageTime { stage: Stage::Forward, ms: ms(t.elapsed()) });
    }

    // The resource list is information, not a gate.
    match provider.resources(cap(deadline).min(Duration::from_secs(10))).await {
        Ok(r) => outcome.resources = r,
        Err(e) => ctx.printer.warn(&format!("could not list resources: `{}` {}", e.command, e.reason)),
    }
    Ok(())
}

pub(crate) async fn resolve_until(
    host: &str,
    require_private: bool,
    deadline: Instant,
) -> std::result::Result<Resolved, Climb> {
    let t = Instant::now();
    let mut backoff = Backoff::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        match probe::resolve_once(host, require_private, left.min(Duration::from_secs(10))).await {
            Ok(addresses) => return Ok(Resolved { host: host.to_owned(), addresses, attempts, ms: ms(t.elapsed()) }),
            Err(why) => {
                if Instant::now() >= deadline {
                    return Err(Climb::Timeout(
                        format!("{host} did not resolve ({why}; {attempts} attempts)"),
                        Vec::new(),
                    ));
                }
            }
        }
        tokio::time::sleep(backoff.next(deadline)).await;
    }
}

pub(crate) async fn probe_until(
    text: &str,
    host: &str,
    port: u16,
    deadline: Instant,
    via: Option<std::net::SocketAddr>,
) -> std::result::Result<Probed, Climb> {
    let t = Instant::now();
    let mut backoff = Backoff::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let once = match via {
            // In proxy mode the address is the proxy's: the far side is not visible.
            Some(proxy) => {
                proxy::connect_via(proxy, host, port, left.min(Duration::from_secs(10))).await.map(|_| proxy)
            }
            None => probe::probe_once(host, port, left.min(Duration::from_secs(10))).await,
        };
        match once {
            Ok(address) => {
                return Ok(Probed { target: text.to_owned(), address, attempts, ms: ms(t.elapsed()) });
            }
            Err(why) => {
                if Instant::now() >= deadline {
                    return Err(Climb::Timeout(
                        match via {
                            Some(p) => format!(
                                "{text} could not be reached through the proxy {p} ({why}; {attempts} attempts)"
                            ),
                            None => format!("{text} did not accept a TCP connection ({why}; {attempts} attempts)"),
                        },
                        Vec::new(),
                    ));
                }
            }
        }
        tokio::time::sleep(backoff.next(deadline)).await;
    }
}

/// Undoes what was done, and builds the error: stage, reason, the client's log (masked).
#[allow(clippy::too_many_arguments)]
async fn fail(
    ctx: &Ctx,
    provider: &Twingate,
    key: &Key,
    args: &ConnectArgs,
    st: &mut ConnectState,
    state_path: &Path,
    stage: Stage,
    failure: Climb,
    elapsed: Duration,
    mark: &LogMark,
) -> Error {
    let (kind, message, mut details) = match failure {
        Climb::Timeout(m, d) => {
            (Kind::ConnectTimeout, format!("connect timed out at stage {stage} after {}: {m}", human(elapsed)), d)
        }
        Climb::Client(m, d) => (Kind::ClientFailed, format!("connect failed at stage {stage}: {m}"), d),
        Climb::Interrupted(sig) => (Kind::Interrupted, format!("interrupted ({sig}) at stage {stage}"), Vec::new()),
    };
    let tail = provider.log_source().tail(provider.runner(), 20, Some(mark)).await;
    if !tail.is_empty() {
        details.push(format!("last {} lines of the client log ({}):", tail.len(), provider.log_source()));
        details.extend(tail.iter().map(|l| key.masker.mask(l)));
    }
    st.status = "failed".to_owned();
    let _ = state::save(state_path, st);
    let undone = super::disconnect::undo(ctx, st, state_path, true).await;
    let status = match kind {
        Kind::ConnectTimeout => "timeout",
        Kind::Interrupted => "interrupted",
        _ => "failed",
    };
    if let Err(e) = write_outputs(ctx, args.env_file.as_deref(), status, elapsed, Some(&key.doc.key_id)) {
        ctx.printer.warn(&e.message);
    }
    let mut hint = match kind {
        Kind::ConnectTimeout => "the client was stopped; raise --timeout, or check that the service account has resources and the network is reachable".to_owned(),
        Kind::Interrupted => "the client was stopped".to_owned(),
        _ => "the client was stopped; its log lines are above".to_owned(),
    };
    match undone {
        Ok(report) => details.extend(report.warnings),
        Err(e) => hint = format!("{hint}; cleaning up failed too ({}): run `tgctl disconnect`", e.message),
    }
    let mut error = Error::new(kind, message).hint(hint);
    error.details = details;
    error
}

/// Preflight: privileges, the client (installed if asked), the machine, the client's version,
/// and the network mode (with why). Returns the provider, its version, the time the install
/// took and the mode.
async fn preflight_all(
    ctx: &Ctx,
    args: &ConnectArgs,
    machine: &Machine,
    progress: &Progress,
) -> Result<(Twingate, String, Duration, (NetworkMode, String))> {
    // Proxy mode needs no privileges; auto asks, and falls back to proxy without them.
    let privileges = match args.network_mode {
        NetworkMode::Proxy => None,
        _ => Some(preflight::privileges(&ctx.env).await),
    };
    if let (NetworkMode::Tun, Some(Err(e))) = (args.network_mode, &privileges) {
        return Err(e.clone());
    }
    let mut install_time = Duration::ZERO;
    let bin = match preflight::find_client(&ctx.env, args.client_bin.as_deref()) {
        Ok(b) => b,
        Err(_) if args.install && args.client_bin.is_none() && ctx.env.get(env::TGCTL_TWINGATE_BIN).is_none() => {
            let runner = match privileges.clone() {
                Some(r) => r?,
                None => preflight::privileges(&ctx.env).await?,
            };
            let it = Instant::now();
            progress.set_message("Installing the Twingate client (apt)");
            preflight::install(&ctx.env, &runner, machine, &|m| progress.println(m)).await?;
            install_time = it.elapsed();
            progress.println(&format!("Installed the Twingate client in {}", human(install_time)));
            preflight::find_client(&ctx.env, None)?
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
    let mut provider = Twingate { bin: bin.clone(), runner, log: machine.log_source(), proxy: None };
    if mode == NetworkMode::Proxy {
        let daemon = proxy::find_daemon(&ctx.env, args.daemon_bin.as_deref(), &bin).map_err(|e| {
            if args.network_mode == NetworkMode::Auto {
                // Say why TUN was not used, and both ways out.
                let tun_hint = preflight::machine_checks(machine, true).err().and_then(|t| t.hint);
                let hint = match tun_hint {
                    Some(h) => format!("for TUN mode: {h}; for proxy mode: {}", proxy::DAEMON_HINT),
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
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let log = state::path(&ctx.env)?.with_file_name("twingated-proxy.log");
        provider.log = crate::connect::logs::LogSource::File(log.clone());
        provider.proxy = Some(ProxyDaemon::new(daemon, addr, log));
    }
    let version = provider.version().await.map_err(|e| {
        Error::new(Kind::ClientFailed, format!("preflight: cannot run the client {}: {}", bin.display(), e.reason))
            .hint(preflight::INSTALL_HINT)
    })?;
    Ok((provider, version, install_time, (mode, reason)))
}

/// Why `auto` chose proxy mode, from the preflight failure that ruled TUN out.
fn auto_reason(e: &Error) -> String {
    format!("auto: {}", e.message.trim_start_matches("preflight: "))
}

/// The key's text from --service-key-file, --service-key - or TWINGATE_SERVICE_KEY (None with
/// --mint).
fn read_key_input(ctx: &Ctx, args: &ConnectArgs) -> Result<Option<SecretString>> {
    if let Some(path) = &args.service_key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --service-key-file {}: {e}", path.display())))?;
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(path)
                && m.permissions().mode() & 0o077 != 0
            {
                ctx.printer.warn(&format!(
                    "{} is readable by other users (mode {:o}); `chmod 600` it",
                    path.display(),
                    m.permissions().mode() & 0o777
                ));
            }
        }
        return Ok(Some(SecretString::from(text)));
    }
    if let Some(v) = &args.service_key {
        if v != "-" {
            return Err(Error::usage("--service-key takes only `-` (read the key from stdin)")
                .hint("a key on the command line is visible to every process; use --service-key-file, stdin or TWINGATE_SERVICE_KEY"));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::usage(format!("cannot read the service key from stdin: {e}")))?;
        return Ok(Some(SecretString::from(text)));
    }
    if args.mint {
        return Ok(None);
    }
    Ok(ctx.env.get(env::TWINGATE_SERVICE_KEY).map(|k| SecretString::from(k.to_owned())))
}

/// Parses and validates a key (fields, expiry, --network), decoding base64 to the JSON the
/// client reads.
fn parse_key(ctx: &Ctx, text: &SecretString, masker: Masker, minted: Option<MintedKey>) -> Result<Key> {
    let doc = KeyDocument::parse(text.expose_secret())?;
    let network = ctx.global.network.as_deref().map(|n| n.trim().trim_end_matches(".twingate.com").to_owned());
    doc.validate(Timestamp::now(), network.as_deref())?;
    let json = KeyDocument::json_text(text.expose_secret())?;
    Ok(Key { json: SecretString::from(json), doc, masker, minted })
}

/// --mint: a key for this job, recorded in the state file before anything else happens.
async fn mint(ctx: &Ctx, args: &ConnectArgs, st: &mut ConnectState, state_path: &Path) -> Result<Key> {
    let account_arg = args.service_account.as_deref().unwrap_or_default();
    let client = ctx.client()?;
    let account = service_accounts::resolve(&client, account_arg).await?;
    let name = crate::naming::key_name(&ctx.env);
    let created = service_keys::create(&client, &account.id, Some(name.clone()), args.mint_expires_in_days).await?;
    let token = created.token.expose_secret();
    let masker = Masker::for_key(token, KeyDocument::parse(token).ok().as_ref());
    for s in masker.secrets() {
        ctx.printer.mask(s);
    }
    let minted = MintedKey { id: created.key.id.clone(), name, service_account_id: account.id.clone() };
    st.minted_key = Some(minted.clone());
    state::save(state_path, st)?;
    ctx.printer.info(&format!("Minted service key {:?} ({}) for {}", minted.name, minted.id, account.name));
    match parse_key(ctx, &created.token, masker, Some(minted)) {
        Ok(k) => Ok(k),
        Err(e) => {
            // Not usable: take it back at once.
            let _ = super::disconnect::undo(ctx, st, state_path, true).await;
            Err(Error { kind: Kind::BadResponse, ..e })
        }
    }
}

/// A key name that says which CI job it belongs to.
pub fn job_key_name(env: &env::Env) -> String {
    let g = |n: &str| env.get(n).map(str::to_owned);
    let parts: Vec<String> = if env.in_github_actions() {
        let repo = g(env::GITHUB_REPOSITORY).map(|r| r.rsplit('/').next().unwrap_or_default().to_owned());
        ["gh".to_owned()]
            .into_iter()
            .chain([repo, g(env::GITHUB_RUN_ID), g(env::GITHUB_RUN_ATTEMPT), g(env::GITHUB_JOB)].into_iter().flatten())
            .collect()
    } else if env.get(env::GITLAB_CI).is_some() || env.get(env::CI_JOB_ID).is_some() {
        let project = g(env::CI_PROJECT_PATH).map(|p| p.replace('/', "-"));
        ["gitlab".to_owned()].into_iter().chain([project, g(env::CI_JOB_ID)].into_iter().flatten()).collect()
    } else if env.get(env::CIRCLE_BUILD_NUM).is_some() {
        ["circleci".to_owned()]
            .into_iter()
            .chain(
                [g(env::CIRCLE_PROJECT_REPONAME), g(env::CIRCLE_BUILD_NUM), g(env::CIRCLE_JOB)].into_iter().flatten(),
            )
            .collect()
    } else if env.get(env::BUILDKITE_BUILD_NUMBER).is_some() {
        ["buildkite".to_owned()]
            .into_iter()
            .chain([g(env::BUILDKITE_PIPELINE_SLUG), g(env::BUILDKITE_BUILD_NUMBER)].into_iter().flatten())
            .collect()
    } else {
        vec![
            "connect".to_owned(),
            Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string(),
            std::process::id().to_string(),
        ]
    };
    let raw = format!("tgctl-{}", parts.join("-"));
    let clean: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    clean.chars().take(100).collect()
}

/// Step outputs under GitHub Actions, and the --env-file.
pub(crate) fn write_outputs(
    ctx: &Ctx,
    env_file: Option<&Path>,
    status: &str,
    elapsed: Duration,
    key_id: Option<&str>,
) -> Result<()> {
    let elapsed_ms = ms(elapsed);
    let key_id = key_id.unwrap_or_default();
    if ctx.env.in_github_actions()
        && let Some(path) = ctx.env.get(env::GITHUB_OUTPUT)
    {
        append(Path::new(path), &format!("status={status}\nelapsed-ms={elapsed_ms}\nkey-id={key_id}\n"))?;
    }
    if let Some(path) = env_file {
        append(
            path,
            &format!(
                "TGCTL_CONNECT_STATUS={status}\nTGCTL_CONNECT_ELAPSED_MS={elapsed_ms}\nTGCTL_CONNECT_KEY_ID={key_id}\n"
            ),
        )?;
    }
    Ok(())
}

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), &e))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(format!("writing {}", path.display()), &e))
}

/// The job's environment in proxy mode: appended to `$GITHUB_ENV` under GitHub Actions, and to
/// the --env-file (`export` lines when that file is CircleCI's `$BASH_ENV`, else `NAME=value`
/// lines). `TGCTL_NETWORK_MODE` goes to the --env-file in every mode.
fn write_job_env(ctx: &Ctx, env_file: Option<&Path>, vars: &[(&'static str, String)], mode: NetworkMode) -> Result<()> {
    if !vars.is_empty()
        && ctx.env.in_github_actions()
        && let Some(path) = ctx.env.get(env::GITHUB_ENV)
    {
        append(Path::new(path), &proxy::env_lines(vars, false))?;
    }
    if let Some(path) = env_file {
        let bash_env = ctx.env.get(env::BASH_ENV).map(Path::new);
        let export = bash_env.is_some_and(|b| b == path || (b.exists() && same_file(b, path)));
        let mut all = vec![("TGCTL_NETWORK_MODE", mode.to_string())];
        all.extend(vars.iter().cloned());
        append(path, &proxy::env_lines(&all, export))?;
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Runs CMD in its own process group, forwarding SIGINT/SIGTERM to it; returns its status
/// (128+N when killed by signal N).
pub(crate) async fn run_command(
    ctx: &Ctx,
    argv: &[String],
    job_env: &[(&'static str, String)],
    signals: &mut Signals,
    st: &mut ConnectState,
    state_path: &Path,
) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .process_group(0)
        .env_remove(env::TWINGATE_SERVICE_KEY)
        .env_remove(env::FIREZONE_TOKEN)
        .env("TGCTL_CONNECT_STATUS", "online");
    // Proxy mode: the proxy settings, so the command's HTTP clients use the connection.
    cmd.envs(job_env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
            ctx.printer.error(&Error::new(Kind::Usage, format!("cannot run {}: {e}", argv[0])));
            return code;
        }
    };
    let pid = child.id().unwrap_or_default();
    st.command_pid = Some(pid);
    st.pids.push(pid);
    let _ = state::save(state_path, st);
    let mut forwarded = 0;
    let status = loop {
        tokio::select! {
            s = child.wait() => break s,
            sig = signals.recv() => {
                forwarded += 1;
                let sig = if forwarded >= 3 { nix::sys::signal::Signal::SIGKILL } else { sig };
                ctx.printer.info(&format!("Forwarding {sig} to the command"));
                kill_group(pid, sig);
            }
        }
    };
    // Whatever the command left running in its group goes with it.
    end_group(pid).await;
    match status {
        Ok(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
        Err(e) => {
            ctx.printer.warn(&format!("waiting for the command: {e}"));
            1
        }
    }
}

fn print_result(ctx: &Ctx, r: &ConnectResult) -> Result<()> {
    match ctx.printer.format() {
        Format::Json | Format::Ndjson => ctx.printer.json(r),
        Format::Id => ctx.printer.raw(&r.key_id),
        Format::Table => {
            let f = ctx.printer.fmt();
            let stages = r
                .stages
                .iter()
                .map(|s| format!("{} {}", s.stage, human(Duration::from_millis(s.ms))))
                .collect::<Vec<_>>();
            let mut rows: Vec<(&str, String)> = vec![
                ("status", r.status.clone()),
                ("elapsed", human(Duration::from_millis(r.elapsed_ms))),
                ("stages", stages.join(", ")),
                ("client", format!("{} ({})", r.client_bin, r.client_version.as_deref().unwrap_or("unknown version"))),
                ("key", r.key_id.clone()),
                ("key expires", f.opt_time(r.key_expires_at.as_ref(), "never")),
            ];
            if let Some(m) = &r.minted_key_id {
                rows.push(("minted key", m.clone()));
            }
            rows.push(("restarts", r.restarts.to_string()));
            rows.push(("network mode", format!("{} ({})", r.network_mode, r.network_mode_reason)));
            if let Some(p) = &r.proxy_url {
                rows.push(("proxy", p.clone()));
            }
            for f in &r.forwards {
                rows.push(("forward", format!("{} -> {}", f.listen, f.target)));
            }
            for res in &r.resolved {
                let addrs: Vec<String> = res.addresses.iter().map(ToString::to_string).collect();
                rows.push(("resolved", format!("{} -> {}", res.host, addrs.join(", "))));
            }
            for p in &r.probes {
                rows.push(("probed", format!("{} ({})", p.target, p.address)));
            }
            let mut text = String::new();
            if f.is_tty() {
                for (k, v) in &rows {
                    text.push_str(&format!("{:<12} {v}\n", format!("{k}:")));
                }
                if !r.resources.is_empty() {
                    text.push_str("\nRESOURCES\n");
                    for res in &r.resources {
                        text.push_str(&format!(
                            "  {}  {}{}\n",
                            res.name,
                            res.address,
                            res.alias.as_deref().map(|a| format!("  ({a})")).unwrap_or_default()
                        ));
                    }
                }
            } else {
                for (k, v) in &rows {
                    text.push_str(&format!("{}\t{v}\n", k.replace(' ', "_")));
                }
                for res in &r.resources {
                    text.push_str(&format!(
                        "resource\t{}\t{}\t{}\n",
                        res.name,
                        res.address,
                        res.alias.as_deref().unwrap_or_default()
                    ));
                }
            }
            ctx.printer.raw(&text)
        }
    }
}

pub(crate) fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c)) {
                a.clone()
            } else {
                format!("{a:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_are_named_after_the_job() {
        let gha = env::Env::default()
            .with(env::GITHUB_ACTIONS, "true")
            .with(env::GITHUB_REPOSITORY, "acme/web app")
            .with(env::GITHUB_RUN_ID, "123")
            .with(env::GITHUB_RUN_ATTEMPT, "2")
            .with(env::GITHUB_JOB, "deploy");
        assert_eq!(job_key_name(&gha), "tgctl-gh-web-app-123-2-deploy");
        let gitlab = env::Env::default()
            .with(env::GITLAB_CI, "true")
            .with(env::CI_PROJECT_PATH, "g/p")
            .with(env::CI_JOB_ID, "9");
        assert_eq!(job_key_name(&gitlab), "tgctl-gitlab-g-p-9");
        let circle = env::Env::default().with(env::CIRCLE_BUILD_NUM, "7").with(env::CIRCLE_JOB, "build");
        assert_eq!(job_key_name(&circle), "tgctl-circleci-7-build");
        assert!(job_key_name(&env::Env::default()).starts_with("tgctl-connect-"));
    }
}
