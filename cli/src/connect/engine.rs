//! The engine: one connection, from flags to a usable client, for any [`Provider`].
//!
//! Stages, under one budget (`--timeout`; an install is not counted): preflight -> key (the
//! credential, given or minted) -> setup (if the provider has one) -> start -> online ->
//! resolve -> probe -> forward (`super::climb`) -> supervise (`-- CMD`, `super::supervise`) ->
//! undo. Progress goes out as events; the state file records each step before it is taken,
//! so that whatever happens, `disconnect` can undo exactly what was done.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::Stage;
use super::args::ConnectArgs;
use super::climb::{self, Plan, Run};
use super::job::{ms, write_job_env, write_outputs};
use super::process::{Signals, human};
use super::provider::{Connected, Failure, Host, Provider, StageTime};
use super::proxy;
use super::state::State;
use super::supervise::{run_command, shell_words};
use crate::error::{Error, Kind, Result};

/// How a connect ended, for the command layer to print.
pub(crate) struct Done<R> {
    /// The result for stdout (None when a command ran, or with `--print-env`).
    pub(crate) report: Option<R>,
    /// `--print-env`: `export` lines for stdout instead of the result.
    pub(crate) print_env: Option<String>,
    /// `-- CMD`: the command's exit status, which tgctl exits with.
    pub(crate) exit_code: Option<i32>,
}

/// Connects with provider `P`: see the module doc.
pub(crate) async fn connect<P: Provider>(host: &Host<'_>, args: &ConnectArgs) -> Result<Done<P::Report>> {
    let events = &host.events;
    let mut provider = P::from_args(args)?;
    let t0 = Instant::now();
    let plan = Plan::from_args(args)?;
    let mut signals = Signals::new()?;

    // The credential is read and masked before anything else is printed.
    let given = provider.read_credential(host, args)?;
    let state_path = State::path_in(host.env)?;
    // Held to the end of this connect: a second one refuses instead of overwriting the state.
    let _lock = State::lock(host.env)?;
    if let Some(existing) = State::load_at(&state_path)? {
        return Err(Error::usage(format!(
            "already connected (since {}, status {}): {} exists",
            existing.started_at,
            existing.status,
            state_path.display()
        ))
        .hint("run `tgctl disconnect` first"));
    }
    if !given && !args.mint && args.broker.is_none() {
        return Err(provider.missing_credential());
    }
    // A bad credential is a usage error found before anything starts.
    let checked = if given {
        let t = Instant::now();
        provider.check_credential(host)?;
        Some(t.elapsed())
    } else {
        None
    };

    events.begin(provider.title());
    events.stage(Stage::Preflight);
    let mut stages: Vec<StageTime> = Vec::new();
    let stage_t = Instant::now();
    let install_time = tokio::select! {
        r = provider.preflight(host, args) => r?,
        sig = signals.recv() => {
            events.end();
            return Err(Error::new(Kind::Interrupted, format!("interrupted ({sig}) during preflight; nothing was started")));
        }
    };
    stages.push(StageTime { stage: Stage::Preflight, ms: ms(stage_t.elapsed().saturating_sub(install_time)) });
    let deadline = t0 + plan.timeout + install_time;

    let mut st = State::create(host.env, provider.record(host)?)?;
    events.stage(Stage::Key);
    match checked {
        Some(took) => stages.push(StageTime { stage: Stage::Key, ms: ms(took) }),
        None => {
            let t = Instant::now();
            provider.mint(host, args, &mut st).await?;
            stages.push(StageTime { stage: Stage::Key, ms: ms(t.elapsed()) });
        }
    }
    provider.note_credential(&mut st);

    // Everything from here on is undone on failure or interruption.
    let mut run = Run::new(stages, if provider.has_setup() { Stage::Setup } else { Stage::Start });
    let climbed = {
        let fut = climb::climb(host, &mut provider, &plan, &mut st, &mut run, deadline);
        tokio::select! {
            r = fut => r,
            sig = signals.recv() => Err(Failure::Interrupted(sig)),
        }
    };
    let elapsed = t0.elapsed();
    events.end();
    if let Err(failure) = climbed {
        return Err(fail(host, &mut provider, args, &mut st, run.current, failure, elapsed).await);
    }

    st.status = if plan.wait { "online" } else { "started" }.to_owned();
    st.online_at = plan.wait.then(Timestamp::now);
    st.resources = run.resources.clone();
    st.save()?;
    let status = st.status.clone();
    write_outputs(host.env, args.env_file.as_deref(), &status, elapsed, provider.output_key_id().as_deref())?;
    let job = provider.job_env(host);
    if let Some(j) = &job {
        write_job_env(host.env, args.env_file.as_deref(), &j.vars, j.mode)?;
    }
    let connected = Connected {
        status,
        elapsed,
        stages: run.stages,
        resolved: run.resolved,
        probes: run.probes,
        resources: run.resources,
        state_file: st.path().display().to_string(),
    };
    let report = provider.report(&st, &connected);
    if args.command.is_empty() {
        events.success(provider.connected(&connected, None));
        if args.print_env {
            let mut vars = vec![("TGCTL_CONNECT_STATUS", connected.status.clone())];
            if let Some(j) = job {
                vars.push(("TGCTL_NETWORK_MODE", j.mode.to_string()));
                vars.extend(j.vars);
            }
            return Ok(Done { report: None, print_env: Some(proxy::env_lines(&vars, true)), exit_code: None });
        }
        return Ok(Done { report: Some(report), print_env: None, exit_code: None });
    }

    // supervise: stdout belongs to the command; the summary goes to stderr.
    events.stage(Stage::Supervise);
    events.success(provider.connected(&connected, Some(&shell_words(&args.command))));
    let job_vars = job.map(|j| j.vars).unwrap_or_default();
    let code = run_command(events, &args.command, &job_vars, &mut signals, &mut st).await;
    events.stage(Stage::Undo);
    match P::undo(host, &mut st, false).await {
        Ok(report) => {
            for w in &report.warnings {
                events.warn(w.clone());
            }
            events.info("Disconnected.");
        }
        Err(e) => events.warn(format!("disconnecting after the command: {}", e.message)),
    }
    provider.reap().await;
    Ok(Done { report: None, print_env: None, exit_code: Some(code) })
}

/// Undoes what was done, and builds the error: stage, reason, the client's log (masked).
async fn fail<P: Provider>(
    host: &Host<'_>,
    provider: &mut P,
    args: &ConnectArgs,
    st: &mut State,
    stage: Stage,
    failure: Failure,
    elapsed: Duration,
) -> Error {
    let mut refused_hint = None;
    let (kind, message, mut details) = match failure {
        Failure::Timeout(m, d) => {
            (Kind::ConnectTimeout, format!("connect timed out at stage {stage} after {}: {m}", human(elapsed)), d)
        }
        Failure::Client(m, d) => (Kind::ClientFailed, format!("connect failed at stage {stage}: {m}"), d),
        Failure::Refused(m, remedy) => {
            refused_hint = Some(remedy);
            (Kind::CredentialRefused, format!("connect failed at stage {stage}: {m}"), Vec::new())
        }
        Failure::Interrupted(sig) => (Kind::Interrupted, format!("interrupted ({sig}) at stage {stage}"), Vec::new()),
    };
    let diagnosis = provider.diagnose(st, kind).await;
    details.extend(diagnosis.details);
    st.status = "failed".to_owned();
    let _ = st.save();
    host.events.stage(Stage::Undo);
    let undone = P::undo(host, st, true).await;
    let status = match kind {
        Kind::ConnectTimeout => "timeout",
        Kind::Interrupted => "interrupted",
        Kind::CredentialRefused => "refused",
        _ => "failed",
    };
    if let Err(e) =
        write_outputs(host.env, args.env_file.as_deref(), status, elapsed, provider.output_key_id().as_deref())
    {
        host.events.warn(e.message);
    }
    let mut hint = match kind {
        Kind::ConnectTimeout => diagnosis.timeout_hint,
        Kind::Interrupted => "the client was stopped".to_owned(),
        _ => refused_hint.unwrap_or(diagnosis.failed_hint),
    };
    match undone {
        Ok(report) => details.extend(report.warnings),
        Err(e) => hint = format!("{hint}; cleaning up failed too ({}): run `tgctl disconnect`", e.message),
    }
    let mut error = Error::new(kind, message).hint(hint);
    error.details = details;
    error
}

/// Undoes the recorded connection (`disconnect`).
pub(crate) async fn disconnect<P: Provider>(host: &Host<'_>, st: &mut State) -> Result<super::undo::UndoReport> {
    // Not while a connect is still working on this state (issue 15, item 2).
    let _lock = State::lock(host.env)?;
    P::undo(host, st, false).await
}
