//! Waiting for `online`: poll `status` fast (100 ms, ×1.5, at most 2 s), poll at once when the
//! client's log grows, restart the client when it stalls or falls back to `not-running`, all
//! within one deadline.

use std::time::{Duration, Instant};

use super::logs::LogWatch;
use super::probe::Backoff;
use super::process::human;
use super::provider::{ClientState, Provider};
use crate::output::Progress;

/// How many times a client that came up and then stopped is restarted before we give up.
pub const MAX_CRASH_RESTARTS: u32 = 3;
/// Each client command is capped at this (and at the remaining budget).
pub const COMMAND_CAP: Duration = Duration::from_secs(30);
/// A status poll gets at least this long, even at the very end of the budget.
const STATUS_MIN: Duration = Duration::from_millis(500);
/// Log-triggered polls are at least this far apart.
const MIN_POLL_GAP: Duration = Duration::from_millis(20);

/// Why waiting failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The budget ran out with the client still not online (exit 7).
    Timeout(String),
    /// The client failed: a command failed, or it kept stopping (exit 8).
    Client(String),
}

/// How the wait went.
#[derive(Debug, Clone, Default)]
pub struct Waited {
    pub polls: u32,
    pub restarts: u32,
    pub states: Vec<String>,
}

pub fn cap(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).min(COMMAND_CAP).max(Duration::from_millis(1))
}

pub async fn wait_online<P: Provider>(
    provider: &P,
    deadline: Instant,
    stall_after: Duration,
    watch: &mut LogWatch,
    progress: &Progress,
    pgids: &mut Vec<u32>,
) -> Result<Waited, Failure> {
    let mut waited = Waited::default();
    let mut backoff = Backoff::default();
    let mut since_start = Instant::now();
    let mut up = false;
    let mut crashes = 0;
    let mut last: Option<ClientState> = None;
    // The last answer that was a real status (not a failure to ask), for the report.
    let mut last_known: Option<ClientState> = None;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() && waited.polls > 0 {
            return Err(match last_known.or(last) {
                Some(ClientState::NotRunning) => {
                    Failure::Client("the client is not running (status: not-running)".to_owned())
                }
                Some(s) => Failure::Timeout(format!("the client did not come online (last status: {s})")),
                None => Failure::Timeout("the client did not come online".to_owned()),
            });
        }
        // A status poll may overrun the deadline a little rather than be cut off unanswered.
        let state = provider.state(remaining.clamp(STATUS_MIN, COMMAND_CAP)).await;
        let polled_at = Instant::now();
        waited.polls += 1;
        if last.as_ref() != Some(&state) {
            progress.set_message(&format!("Waiting for the client to come online (status: {state})"));
            waited.states.push(state.to_string());
            backoff.reset();
        }
        match &state {
            ClientState::Online => return Ok(waited),
            ClientState::NotRunning if up => {
                crashes += 1;
                if crashes > MAX_CRASH_RESTARTS {
                    return Err(Failure::Client(format!(
                        "the client stopped {crashes} times after starting (status: not-running); gave up after {MAX_CRASH_RESTARTS} restarts"
                    )));
                }
                progress.println(&format!(
                    "The client fell back to not-running; restarting it ({crashes}/{MAX_CRASH_RESTARTS})"
                ));
                restart(provider, deadline, pgids).await?;
                waited.restarts += 1;
                since_start = Instant::now();
                up = false;
                last = None;
                backoff.reset();
                continue;
            }
            ClientState::NotRunning => {}
            ClientState::Other(_) if state.is_unknown() => {}
            ClientState::Other(_) => up = true,
        }
        if !state.is_unknown() {
            last_known = Some(state.clone());
        }
        last = Some(state);
        let remaining = deadline.saturating_duration_since(Instant::now());
        // Restart a stalled client, unless too little time is left for it to come up.
        if since_start.elapsed() >= stall_after && remaining > Duration::from_secs(1) {
            let s = last.as_ref().map(ToString::to_string).unwrap_or_default();
            progress.println(&format!("The client has been {s} for {}; restarting it", human(since_start.elapsed())));
            restart(provider, deadline, pgids).await?;
            waited.restarts += 1;
            since_start = Instant::now();
            up = false;
            last = None;
            backoff.reset();
            continue;
        }
        let wait = backoff.next(deadline);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = watch.changed(polled_at + MIN_POLL_GAP) => {}
        }
    }
}

async fn restart<P: Provider>(provider: &P, deadline: Instant, pgids: &mut Vec<u32>) -> Result<(), Failure> {
    // A stop that fails is not fatal: start tells whether the client can run.
    let _ = provider.stop(cap(deadline)).await;
    match provider.start(cap(deadline)).await {
        Ok(out) => {
            if let Some(pg) = out.pgid
                && !pgids.contains(&pg)
            {
                pgids.push(pg);
            }
            Ok(())
        }
        Err(e) if e.timed_out => Err(Failure::Timeout(format!("restarting the client: `{}` {}", e.command, e.reason))),
        Err(e) => Err(Failure::Client(format!("restarting the client: `{}` {}", e.command, e.reason))),
    }
}
