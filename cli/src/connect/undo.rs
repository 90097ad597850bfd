//! Undoing a connection (`disconnect`, a failed connect, the end of `connect -- CMD`): what was
//! undone, and the steps every provider takes. Each provider's `undo` runs its own steps in
//! its own order between these, saving the state after each so that an interrupted or failed
//! undo can be finished by running `disconnect` again.

use serde::Serialize;

use super::process::{end_group, group_exists};
use super::state::State;
use crate::error::Result;

/// What was undone.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UndoReport {
    /// False when there was no connection to undo.
    pub(crate) connected: bool,
    pub(crate) stopped_client: bool,
    pub(crate) removed_client_key: bool,
    pub(crate) ended_process_groups: u32,
    /// Forwards started by `connect --forward` that were stopped.
    pub(crate) stopped_forwards: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) revoked_key_id: Option<String>,
    /// Firezone: the client records deleted from the portal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) deleted_client_ids: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

impl UndoReport {
    /// The report of a connection being undone.
    pub(crate) fn connected() -> Self {
        Self { connected: true, ..Self::default() }
    }
}

/// The command run with `connect -- CMD` goes first: it may be using the connection.
pub(crate) async fn end_command(st: &mut State, report: &mut UndoReport) {
    if let Some(pid) = st.command_pid.take()
        && group_exists(pid)
        && st.still_ours(pid)
    {
        end_group(pid).await;
        report.ended_process_groups += 1;
    }
}

/// Ends what is left in the process groups we spawned. Returns how many were still there.
pub(crate) async fn end_groups(st: &mut State, report: &mut UndoReport) -> u32 {
    let mut ended = 0;
    for pg in std::mem::take(&mut st.pids) {
        if group_exists(pg) && !st.still_ours(pg) {
            report.warnings.push(format!(
                "process {pg} is no longer the one connect started (its start time differs); left alone"
            ));
            continue;
        }
        if group_exists(pg) {
            end_group(pg).await;
            report.ended_process_groups += 1;
            ended += 1;
        }
    }
    ended
}

/// The last step: our own log files (a client's output may hold what a leaky client printed)
/// and the state file itself.
pub(crate) fn finish(st: &mut State) -> Result<()> {
    for log in std::mem::take(&mut st.logs) {
        st.remove_own_file(&log);
    }
    st.remove()
}
