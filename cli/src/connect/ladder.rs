//! Waiting for `online`, for clients that answer a status command: poll `status` every
//! [`POLL_EVERY`] (a cheap local call), and at once when the client's log grows; restart the
//! client when it stalls or falls back to `not-running`, all within one deadline. Running out
//! of the deadline is a timeout (exit 7) whatever the last status was.

use std::time::{Duration, Instant};

use super::client::{ClientError, ClientState};
use super::events::Events;
use super::logs::LogWatch;
use super::process::{Captured, human};
use super::provider::Failure;

/// A client the ladder can poll and restart.
#[allow(async_fn_in_trait)]
pub(crate) trait Polled {
    async fn state(&self, timeout: Duration) -> ClientState;
    async fn start(&self, timeout: Duration) -> Result<Captured, ClientError>;
    async fn stop(&self, timeout: Duration) -> Result<(), ClientError>;
}

/// How many times a client that came up and then stopped is restarted before we give up.
pub(crate) const MAX_CRASH_RESTARTS: u32 = 3;
/// Each client command is capped at this (and at the remaining budget).
pub(crate) const COMMAND_CAP: Duration = Duration::from_secs(30);
/// A status poll gets at least this long, even at the very end of the budget.
const STATUS_MIN: Duration = Duration::from_millis(500);
/// Log-triggered polls are at least this far apart.
const MIN_POLL_GAP: Duration = Duration::from_millis(20);
/// How often `status` is asked while waiting: online is seen within this (median half of it)
/// plus one status call; bench/connect_latency.sh measures both and tgctl's CPU.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(80);
/// A client still not running this long after a start has died, even if no poll saw it up (a
/// daemon that exits at once, as when its TUN device fails, can die between two polls).
const NOT_RUNNING_GRACE: Duration = Duration::from_secs(2);

/// How the wait went.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waited {
    pub(crate) polls: u32,
    pub(crate) restarts: u32,
    pub(crate) states: Vec<String>,
}

pub(crate) fn cap(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).min(COMMAND_CAP).max(Duration::from_millis(1))
}

pub(crate) async fn wait_online<P: Polled>(
    provider: &P,
    deadline: Instant,
    stall_after: Duration,
    watch: &mut LogWatch,
    events: &Events,
    started: &(dyn Fn(u32) + Sync),
    refusal: &dyn Fn(&str) -> Option<Failure>,
) -> Result<Waited, Failure> {
    let mut waited = Waited::default();
    let mut since_start = Instant::now();
    let mut up = false;
    let mut crashes = 0;
    let mut last: Option<ClientState> = None;
    // The last answer that was a real status (not a failure to ask), for the report.
    let mut last_known: Option<ClientState> = None;
    loop {
        // A refused credential never comes online: its log line ends the wait at once.
        if let Some(f) = watch.new_lines().iter().find_map(|l| refusal(l)) {
            return Err(f);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() && waited.polls > 0 {
            return Err(match last_known.or(last) {
                Some(s) => Failure::timeout(format!("the client did not come online (last status: {s})")),
                None => Failure::timeout("the client did not come online"),
            });
        }
        // A status poll may overrun the deadline a little rather than be cut off unanswered.
        let state = provider.state(remaining.clamp(STATUS_MIN, COMMAND_CAP)).await;
        let polled_at = Instant::now();
        waited.polls += 1;
        if last.as_ref() != Some(&state) {
            events.step(format!("Waiting for the client to come online (status: {state})"));
            waited.states.push(state.to_string());
        }
        match &state {
            ClientState::Online => {
                // A refusal logged while the status was asked wins over `online`.
                return match watch.new_lines().iter().find_map(|l| refusal(l)) {
                    Some(f) => Err(f),
                    None => Ok(waited),
                };
            }
            ClientState::NotRunning if up || since_start.elapsed() >= NOT_RUNNING_GRACE => {
                crashes += 1;
                if crashes > MAX_CRASH_RESTARTS {
                    return Err(Failure::client(format!(
                        "the client stopped {crashes} times after starting (status: not-running); gave up after {MAX_CRASH_RESTARTS} restarts"
                    )));
                }
                events.note(format!("The client is not running; restarting it ({crashes}/{MAX_CRASH_RESTARTS})"));
                restart(provider, deadline, started).await?;
                waited.restarts += 1;
                since_start = Instant::now();
                up = false;
                last = None;
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
            events.note(format!("The client has been {s} for {}; restarting it", human(since_start.elapsed())));
            restart(provider, deadline, started).await?;
            waited.restarts += 1;
            since_start = Instant::now();
            up = false;
            last = None;
            continue;
        }
        let wait = POLL_EVERY.min(deadline.saturating_duration_since(Instant::now()));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = watch.changed(polled_at + MIN_POLL_GAP) => {}
        }
    }
}

/// Stops and starts the client; the process group of each start is handed to `started` at once
/// (it records it in the state file before the group is used: issue 15, item 3).
async fn restart<P: Polled>(provider: &P, deadline: Instant, started: &(dyn Fn(u32) + Sync)) -> Result<(), Failure> {
    // A stop that fails is not fatal: start tells whether the client can run.
    let _ = provider.stop(cap(deadline)).await;
    match provider.start(cap(deadline)).await {
        Ok(out) => {
            if let Some(pg) = out.pgid {
                started(pg);
            }
            Ok(())
        }
        Err(e) if e.timed_out => Err(Failure::timeout(format!("restarting the client: `{}` {}", e.command, e.reason))),
        // A start that exits non-zero may still bring the daemon up (`twingate start`, reference
        // Addendum): the next status poll decides.
        Err(e) if e.exited => Ok(()),
        Err(e) => Err(Failure::client(format!("restarting the client: `{}` {}", e.command, e.reason))),
    }
}
