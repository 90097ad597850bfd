//! `tgctl connect --provider firezone [--wait] ... [-- CMD]`: run `firezone-headless-client`
//! for this job and wait until it is usable.
//!
//! The ladder, under one deadline: preflight (privileges, binary, TUN, CAP_NET_ADMIN) -> token
//! (`--token-file`, `--token -`, `FIREZONE_TOKEN`, or `--mint` one for this job) -> start (the
//! client, with the token in its environment and a per-job `FIREZONE_ID`/`FIREZONE_NAME`) ->
//! online (its `READY=1` on our notify socket; no polling) -> the same `--resolve` / `--probe`
//! steps as Twingate. `disconnect` stops the client, deletes a minted token and the job's client
//! record. Exit codes as for Twingate: 7 not ready within --timeout, 8 the client failed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::super::Ctx;
use super::super::connect::{
    Climb, ConnectArgs, Signals, StageTime, job_key_name, ms, probe_until, resolve_until, run_command, shell_words,
    write_outputs,
};
use super::super::status::StatusOutput;
use super::firezone_only;
use crate::api::firezone as api;
use crate::config::{self, env};
use crate::connect::Stage;
use crate::connect::firezone::{self, Launch};
use crate::connect::notify::{Notified, NotifySocket};
use crate::connect::preflight::{self, Machine};
use crate::connect::probe::{self, Probed, Resolved};
use crate::connect::process::{Runner, human, process_alive};
use crate::connect::secret::Masker;
use crate::connect::state::{self, ConnectState, FirezoneState, MintedKey};
use crate::error::{Error, Kind, Result};
use crate::output::{Format, Progress};
use crate::parse;

/// How long a minted token lives unless --mint-expires-in says otherwise: longer than any hosted
/// CI job (GitHub's limit is 6 h), and `disconnect` deletes it anyway.
pub const DEFAULT_MINT_LIFETIME: Duration = Duration::from_secs(6 * 3600);
/// How long the client gets to exit after SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Twingate's connect rejects the Firezone-only flags.
pub fn reject_firezone_flags(args: &ConnectArgs) -> Result<()> {
    if args.token_file.is_some() || args.token.is_some() || args.mint_expires_in.is_some() {
        return Err(firezone_only("--token-file, --token and --mint-expires-in"));
    }
    Ok(())
}

fn reject_twingate_flags(args: &ConnectArgs) -> Result<()> {
    if args.service_key_file.is_some() || args.service_key.is_some() {
        return Err(Error::usage("--service-key-file and --service-key are for Twingate service keys")
            .hint("Firezone takes a service-account token: --token-file PATH, --token - (stdin) or FIREZONE_TOKEN"));
    }
    if args.install {
        return Err(Error::usage("--install is available for the Twingate client only").hint(firezone::INSTALL_HINT));
    }
    Ok(())
}

/// What `connect --provider firezone` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirezoneConnectResult {
    /// `online` (with --wait) or `started`.
    pub status: String,
    pub provider: String,
    pub client_bin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    pub elapsed_ms: u64,
    pub stages: Vec<StageTime>,
    pub firezone_id: String,
    pub name: String,
    /// The last `STATUS=` the client sent before `READY=1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted_token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<Timestamp>,
    pub resolved: Vec<Resolved>,
    pub probes: Vec<Probed>,
    pub client_pid: u32,
    pub client_log: String,
    pub state_file: String,
}

/// The token, masked, and where it came from.
struct Token {
    secret: SecretString,
    masker: Masker,
    minted: Option<MintedKey>,
    expires_at: Option<Timestamp>,
}

fn masker_for(ctx: &Ctx, secret: &str) -> Masker {
    let m = Masker::for_key(secret, None);
    for s in m.secrets() {
        ctx.printer.mask(s);
    }
    m
}

pub async fn run(ctx: &Ctx, args: ConnectArgs) -> Result<()> {
    let t0 = Instant::now();
    reject_twingate_flags(&args)?;
    let timeout = parse::duration(&args.timeout)?;
    if timeout.is_zero() {
        return Err(Error::usage("--timeout must be more than 0"));
    }
    let mut targets = Vec::new();
    for p in &args.probe {
        targets.push((p.clone(), probe::parse_target(p).map_err(Error::usage)?));
    }
    let mint_lifetime = match &args.mint_expires_in {
        Some(text) => parse::duration(text)?,
        None => DEFAULT_MINT_LIFETIME,
    };
    if mint_lifetime < Duration::from_secs(60) {
        return Err(Error::usage("--mint-expires-in must be at least a minute"));
    }
    let wait = args.wait || !args.resolve.is_empty() || !args.probe.is_empty() || !args.command.is_empty();
    let mut signals = Signals::new()?;

    // The token is read and masked before anything else is printed.
    let given = read_token(ctx, &args)?;
    let given = given.map(|secret| {
        let masker = masker_for(ctx, secret.expose_secret());
        Token { secret, masker, minted: None, expires_at: None }
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
    if given.is_none() && !args.mint {
        return Err(Error::usage("no Firezone token given").hint(
            "pass --token-file PATH, --token - (stdin), set FIREZONE_TOKEN, or use --mint --service-account NAME with FIREZONE_API_TOKEN",
        ));
    }

    let progress = ctx.printer.progress("Connecting through Firezone: preflight checks");
    let mut stages: Vec<StageTime> = Vec::new();
    let t = Instant::now();
    let machine = Machine::from_env(&ctx.env);
    let (bin, runner, version) = tokio::select! {
        r = preflight_all(ctx, &args, &machine) => r?,
        sig = signals.recv() => {
            progress.finish();
            return Err(Error::new(Kind::Interrupted, format!("interrupted ({sig}) during preflight; nothing was started")));
        }
    };
    stages.push(StageTime { stage: Stage::Preflight, ms: ms(t.elapsed()) });
    let deadline = t0 + timeout;

    let job = job_key_name(&ctx.env);
    let name = ctx.env.get(env::FIREZONE_NAME).map_or_else(|| job.clone(), str::to_owned);
    let firezone_id = firezone::job_firezone_id(&ctx.env, &job);
    let client_log = config::state_dir(&ctx.env)?.join("firezone-client.log");
    let mut st = ConnectState::new("firezone", &bin, runner.sudo.is_some(), client_log.display().to_string());
    st.firezone = Some(FirezoneState {
        firezone_id: firezone_id.clone(),
        name: name.clone(),
        client_pid: 0,
        client_log: client_log.clone(),
        notify_dir: None,
    });

    // Token: given, or minted now (and recorded before anything else happens).
    let t = Instant::now();
    let token = match given {
        Some(t) => t,
        None => {
            progress.set_message("Minting a client token for this job");
            mint(ctx, &args, &name, mint_lifetime, &mut st, &state_path).await?
        }
    };
    stages.push(StageTime { stage: Stage::Key, ms: ms(t.elapsed()) });
    st.key_id = token.minted.as_ref().map(|m| m.id.clone());
    st.key_expires_at = token.expires_at;

    // Everything from here on is undone on failure or interruption.
    let mut child: Option<tokio::process::Child> = None;
    let mut current = Stage::Start;
    let mut outcome = Outcome::default();
    let launched = Launched { bin: &bin, runner: &runner, token: &token, firezone_id: &firezone_id, name: &name };
    let climbed = {
        let fut = climb(
            ctx,
            &launched,
            &args,
            &targets,
            wait,
            deadline,
            &progress,
            &mut st,
            &state_path,
            &mut stages,
            &mut current,
            &mut outcome,
            &mut child,
        );
        tokio::select! {
            r = fut => r,
            sig = signals.recv() => Err(Climb::Interrupted(sig)),
        }
    };
    let elapsed = t0.elapsed();
    progress.finish();
    if let Err(failure) = climbed {
        return Err(fail(ctx, &token, &args, &mut st, &state_path, current, failure, elapsed, child).await);
    }

    st.status = if wait { "online" } else { "started" }.to_owned();
    st.online_at = wait.then(Timestamp::now);
    state::save(&state_path, &st)?;
    let minted_id = token.minted.as_ref().map(|m| m.id.clone());
    write_outputs(ctx, args.env_file.as_deref(), &st.status, elapsed, minted_id.as_deref())?;
    let result = FirezoneConnectResult {
        status: st.status.clone(),
        provider: "firezone".to_owned(),
        client_bin: bin.display().to_string(),
        client_version: Some(version).filter(|v| !v.is_empty()),
        elapsed_ms: ms(elapsed),
        stages,
        firezone_id,
        name,
        client_status: outcome.notified.status.clone(),
        minted_token_id: minted_id,
        token_expires_at: token.expires_at,
        resolved: outcome.resolved,
        probes: outcome.probes,
        client_pid: st.firezone.as_ref().map_or(0, |f| f.client_pid),
        client_log: client_log.display().to_string(),
        state_file: state_path.display().to_string(),
    };
    if args.command.is_empty() {
        ctx.printer.success(&format!("Connected through Firezone in {} ({})", human(elapsed), result.status));
        return print_result(ctx, &result);
    }
    ctx.printer.success(&format!(
        "Connected through Firezone in {}; running {}",
        human(elapsed),
        shell_words(&args.command)
    ));
    let code = run_command(ctx, &args.command, &[], &mut signals, &mut st, &state_path).await;
    match super::super::disconnect::undo(ctx, &mut st, &state_path, false).await {
        Ok(report) => {
            for w in &report.warnings {
                ctx.printer.warn(w);
            }
            ctx.printer.info("Disconnected.");
        }
        Err(e) => ctx.printer.warn(&format!("disconnecting after the command: {}", e.message)),
    }
    if let Some(mut c) = child {
        // disconnect stopped it; reap it.
        let _ = tokio::time::timeout(Duration::from_secs(1), c.wait()).await;
    }
    ctx.set_exit_code(code);
    Ok(())
}

#[derive(Debug, Default)]
struct Outcome {
    notified: Notified,
    resolved: Vec<Resolved>,
    probes: Vec<Probed>,
}

/// What the client is started with.
struct Launched<'a> {
    bin: &'a Path,
    runner: &'a Runner,
    token: &'a Token,
    firezone_id: &'a str,
    name: &'a str,
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

#[allow(clippy::too_many_arguments)]
async fn climb(
    ctx: &Ctx,
    l: &Launched<'_>,
    args: &ConnectArgs,
    targets: &[(String, (String, u16))],
    wait: bool,
    deadline: Instant,
    progress: &Progress,
    st: &mut ConnectState,
    state_path: &Path,
    stages: &mut Vec<StageTime>,
    current: &mut Stage,
    outcome: &mut Outcome,
    child: &mut Option<tokio::process::Child>,
) -> std::result::Result<(), Climb> {
    let save = |st: &ConnectState| state::save(state_path, st).map_err(|e| Climb::Client(e.message, Vec::new()));
    let state_dir = config::state_dir(&ctx.env).map_err(|e| Climb::Client(e.message, Vec::new()))?;

    // start
    *current = Stage::Start;
    progress.set_message("Starting the Firezone client");
    let t = Instant::now();
    let notify = NotifySocket::bind(&state_dir).map_err(|e| Climb::Client(e.message, Vec::new()))?;
    let portal_url = ctx.env.get(env::FIREZONE_API_URL).filter(|u| u.starts_with("ws://") || u.starts_with("wss://"));
    if let Some(fz) = st.firezone.as_mut() {
        fz.notify_dir = Some(notify.dir().to_owned());
    }
    st.ran_start = true;
    save(st)?;
    let log = PathBuf::from(&st.log);
    let spawned = firezone::spawn(&Launch {
        bin: l.bin,
        sudo: l.runner.sudo.as_deref(),
        token: &l.token.secret,
        firezone_id: l.firezone_id,
        name: l.name,
        notify_socket: notify.path(),
        portal_url,
        log: &log,
    })
    .map_err(|e| Climb::Client(format!("cannot start {}: {e}", l.bin.display()), Vec::new()))?;
    let pid = spawned.id().unwrap_or_default();
    *child = Some(spawned);
    st.pids.push(pid);
    if let Some(fz) = st.firezone.as_mut() {
        fz.client_pid = pid;
    }
    save(st)?;
    stages.push(StageTime { stage: Stage::Start, ms: ms(t.elapsed()) });
    let Some(proc_) = child.as_mut() else { return Err(Climb::Client("the client did not start".into(), Vec::new())) };
    if !wait {
        return Ok(());
    }

    // online: the client's own READY=1, its exit, or the deadline, whichever comes first.
    *current = Stage::Online;
    progress.set_message("Waiting for the Firezone client's READY=1");
    let t = Instant::now();
    let budget = deadline.saturating_duration_since(Instant::now());
    tokio::select! {
        r = notify.ready(&mut outcome.notified) => r.map_err(|e| Climb::Client(format!("reading the notify socket: {e}"), Vec::new()))?,
        status = proc_.wait() => {
            return Err(Climb::Client(format!("the client {} before it was ready", exit_text(status)), Vec::new()));
        }
        () = tokio::time::sleep_until(deadline.into()) => {
            let last = outcome.notified.status.as_deref().map(|s| format!("; last status: {s}")).unwrap_or_default();
            return Err(Climb::Timeout(format!("the client did not send READY=1 within {}{last}", human(budget)), Vec::new()));
        }
    }
    let ready_in = t.elapsed();
    drop(notify);
    if let Some(fz) = st.firezone.as_mut() {
        fz.notify_dir = None;
    }
    stages.push(StageTime { stage: Stage::Online, ms: ms(ready_in) });
    progress.println(&format!("The Firezone client is ready (READY=1) after {}", human(ready_in)));

    // resolve and probe, while watching that the client stays up
    let ladder = async {
        if !args.resolve.is_empty() {
            *current = Stage::Resolve;
            let t = Instant::now();
            for host in &args.resolve {
                progress.set_message(&format!("Resolving {host}"));
                outcome.resolved.push(resolve_until(host, args.require_private, deadline).await?);
            }
            stages.push(StageTime { stage: Stage::Resolve, ms: ms(t.elapsed()) });
        }
        if !targets.is_empty() {
            *current = Stage::Probe;
            let t = Instant::now();
            for (text, (host, port)) in targets {
                progress.set_message(&format!("Connecting to {text}"));
                outcome.probes.push(probe_until(text, host, *port, deadline, None).await?);
            }
            stages.push(StageTime { stage: Stage::Probe, ms: ms(t.elapsed()) });
        }
        Ok::<(), Climb>(())
    };
    tokio::select! {
        r = ladder => r,
        status = proc_.wait() => Err(Climb::Client(format!("the client {} after it was ready", exit_text(status)), Vec::new())),
    }
}

/// Stops the client, shows its log (masked), undoes what was done, and builds the error.
#[allow(clippy::too_many_arguments)]
async fn fail(
    ctx: &Ctx,
    token: &Token,
    args: &ConnectArgs,
    st: &mut ConnectState,
    state_path: &Path,
    stage: Stage,
    failure: Climb,
    elapsed: Duration,
    child: Option<tokio::process::Child>,
) -> Error {
    let (kind, message, mut details) = match failure {
        Climb::Timeout(m, d) => {
            (Kind::ConnectTimeout, format!("connect timed out at stage {stage} after {}: {m}", human(elapsed)), d)
        }
        Climb::Client(m, d) => (Kind::ClientFailed, format!("connect failed at stage {stage}: {m}"), d),
        Climb::Interrupted(sig) => (Kind::Interrupted, format!("interrupted ({sig}) at stage {stage}"), Vec::new()),
    };
    // Stop the client first, so that its log is complete.
    let mut child = child;
    if let Some(pid) = st.firezone.as_ref().map(|f| f.client_pid).filter(|p| *p != 0) {
        firezone::stop(pid, STOP_GRACE, child.as_mut()).await;
    }
    let tail = firezone::tail(Path::new(&st.log), 20);
    let rejected =
        tail.iter().any(|l| l.contains("401") || l.contains("Unauthorized") || l.contains("nvalid or expired token"));
    if !tail.is_empty() {
        details.push(format!("last {} lines of the client's output ({}):", tail.len(), st.log));
        details.extend(tail.iter().map(|l| token.masker.mask(l)));
    }
    st.status = "failed".to_owned();
    let _ = state::save(state_path, st);
    let undone = super::super::disconnect::undo(ctx, st, state_path, true).await;
    let status = match kind {
        Kind::ConnectTimeout => "timeout",
        Kind::Interrupted => "interrupted",
        _ => "failed",
    };
    let minted = token.minted.as_ref().map(|m| m.id.as_str());
    if let Err(e) = write_outputs(ctx, args.env_file.as_deref(), status, elapsed, minted) {
        ctx.printer.warn(&e.message);
    }
    let mut hint = match kind {
        Kind::ConnectTimeout => "the client was stopped; raise --timeout, or check that the service account's groups have policies and a gateway is online".to_owned(),
        Kind::Interrupted => "the client was stopped".to_owned(),
        _ if rejected => "the portal rejected the token: check FIREZONE_TOKEN (it may be expired or revoked), or mint one per job with --mint --service-account NAME".to_owned(),
        _ => "the client was stopped; its output is above".to_owned(),
    };
    match undone {
        Ok(report) => details.extend(report.warnings),
        Err(e) => hint = format!("{hint}; cleaning up failed too ({}): run `tgctl disconnect`", e.message),
    }
    let mut error = Error::new(kind, message).hint(hint);
    error.details = details;
    error
}

/// Preflight: privileges, the client binary, the machine, the client's version.
async fn preflight_all(ctx: &Ctx, args: &ConnectArgs, machine: &Machine) -> Result<(PathBuf, Runner, String)> {
    let runner = preflight::privileges(&ctx.env).await?;
    let bin = firezone::find_client(&ctx.env, args.client_bin.as_deref())?;
    preflight::machine_checks(machine, runner.sudo.is_none())?;
    let out = runner.run(&bin, &["--version"], None, Duration::from_secs(10), false).await.map_err(|e| {
        Error::new(Kind::ClientFailed, format!("preflight: cannot run the client {}: {e}", bin.display()))
            .hint(firezone::INSTALL_HINT)
    })?;
    if !out.success() {
        return Err(Error::new(
            Kind::ClientFailed,
            format!("preflight: `{} --version` failed: {}", bin.display(), out.text()),
        )
        .hint(firezone::INSTALL_HINT));
    }
    Ok((bin, runner, out.stdout.lines().next().unwrap_or_default().trim().to_owned()))
}

/// The token from --token-file, --token - or FIREZONE_TOKEN (None with --mint).
fn read_token(ctx: &Ctx, args: &ConnectArgs) -> Result<Option<SecretString>> {
    let text = if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --token-file {}: {e}", path.display())))?;
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
        text
    } else if let Some(v) = &args.token {
        if v != "-" {
            return Err(Error::usage("--token takes only `-` (read the token from stdin)").hint(
                "a token on the command line is visible to every process; use --token-file, stdin or FIREZONE_TOKEN",
            ));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::usage(format!("cannot read the token from stdin: {e}")))?;
        text
    } else if args.mint {
        return Ok(None);
    } else {
        match ctx.env.get(env::FIREZONE_TOKEN) {
            Some(t) => t.to_owned(),
            None => return Ok(None),
        }
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::usage("the Firezone token is empty"));
    }
    if trimmed.contains(char::is_whitespace) {
        return Err(Error::usage("the Firezone token contains whitespace: it is not one token"));
    }
    Ok(Some(SecretString::from(trimmed.to_owned())))
}

/// --mint: a token for this job, recorded in the state file at once.
async fn mint(
    ctx: &Ctx,
    args: &ConnectArgs,
    name: &str,
    lifetime: Duration,
    st: &mut ConnectState,
    state_path: &Path,
) -> Result<Token> {
    let client = ctx.firezone()?;
    let account = api::resolve_service_account(&client, args.service_account.as_deref().unwrap_or_default()).await?;
    let expires_at = jiff::SignedDuration::try_from(lifetime)
        .ok()
        .and_then(|d| Timestamp::now().checked_add(d).ok())
        .ok_or_else(|| Error::usage("--mint-expires-in is too long"))?;
    let created = api::create_token(&client, &account.id, expires_at).await?;
    let masker = masker_for(ctx, created.secret.expose_secret());
    let minted =
        MintedKey { id: created.token.id.clone(), name: name.to_owned(), service_account_id: account.id.clone() };
    st.minted_key = Some(minted.clone());
    state::save(state_path, st)?;
    ctx.printer.info(&format!("Minted client token {} for {:?} (expires {})", minted.id, account.name, expires_at));
    Ok(Token {
        secret: created.secret,
        masker,
        minted: Some(minted),
        expires_at: created.token.expires_at.or(Some(expires_at)),
    })
}

fn print_result(ctx: &Ctx, r: &FirezoneConnectResult) -> Result<()> {
    match ctx.printer.format() {
        Format::Json | Format::Ndjson => ctx.printer.json(r),
        Format::Id => ctx.printer.raw(&r.firezone_id),
        Format::Table => {
            let stages: Vec<String> =
                r.stages.iter().map(|s| format!("{} {}", s.stage, human(Duration::from_millis(s.ms)))).collect();
            let mut rows: Vec<(&str, String)> = vec![
                ("status", r.status.clone()),
                ("elapsed", human(Duration::from_millis(r.elapsed_ms))),
                ("stages", stages.join(", ")),
                ("client", format!("{} ({})", r.client_bin, r.client_version.as_deref().unwrap_or("unknown version"))),
                ("firezone id", r.firezone_id.clone()),
                ("name", r.name.clone()),
            ];
            if let Some(m) = &r.minted_token_id {
                rows.push(("minted token", m.clone()));
            }
            for res in &r.resolved {
                let addrs: Vec<String> = res.addresses.iter().map(ToString::to_string).collect();
                rows.push(("resolved", format!("{} -> {}", res.host, addrs.join(", "))));
            }
            for p in &r.probes {
                rows.push(("probed", format!("{} ({})", p.target, p.address)));
            }
            let mut text = String::new();
            for (k, v) in &rows {
                if ctx.printer.stdout_is_tty() {
                    text.push_str(&format!("{:<13} {v}\n", format!("{k}:")));
                } else {
                    text.push_str(&format!("{}\t{v}\n", k.replace(' ', "_")));
                }
            }
            ctx.printer.raw(&text)
        }
    }
}

/// `tgctl status` for a Firezone connection (or none): whether the client tgctl started runs.
pub fn status(ctx: &Ctx, st: Option<&ConnectState>, path: &Path) -> Result<()> {
    let fz = st.and_then(|s| s.firezone.as_ref());
    let alive = fz.is_some_and(|f| f.client_pid != 0 && process_alive(f.client_pid));
    let bin = st.map(|s| s.client_bin.clone()).or_else(|| firezone::find_client(&ctx.env, None).ok());
    let client_state = match (st, alive) {
        (Some(s), true) if s.status == "online" => "online",
        (Some(_), true) => "running",
        (_, false) if bin.is_none() => "not-installed",
        _ => "not-running",
    };
    let now = Timestamp::now();
    let out = StatusOutput {
        client_state: client_state.to_owned(),
        connected: st.is_some(),
        connect_status: st.map(|s| s.status.clone()),
        client_bin: bin.map(|b| b.display().to_string()),
        key_id: None,
        key_expires_at: None,
        minted_key_id: st.and_then(|s| s.minted_key.as_ref().map(|m| m.id.clone())),
        started_at: st.map(|s| s.started_at),
        online_at: st.and_then(|s| s.online_at),
        uptime_seconds: st.and_then(|s| s.online_at).map(|t| (now.as_second() - t.as_second()).max(0)),
        resources: Vec::new(),
        state_file: st.map(|_| path.display().to_string()),
        // Proxy mode and forwards are Twingate's.
        network_mode: None,
        proxy: None,
        proxy_accepting: None,
        forwards: Vec::new(),
    };
    ctx.printer.object(&out)
}
