//! `tgctl disconnect` of a Firezone connection: stop the client tgctl started, delete a token
//! minted for the job and the job's client record (`GET /clients?firezone_id=` then
//! `DELETE /clients/{id}`), remove the client's log and notify socket. Each step is saved as it
//! is done, so a failed disconnect can be finished by running it again.

use std::path::Path;

use super::super::Ctx;
use super::super::disconnect::UndoReport;
use super::connect::STOP_GRACE;
use crate::api::firezone as api;
use crate::connect::firezone;
use crate::connect::process::{end_group, group_exists};
use crate::connect::state::{self, ConnectState};
use crate::error::{Error, Kind, Result};

pub(crate) async fn undo(ctx: &Ctx, st: &mut ConnectState, path: &Path, quiet: bool) -> Result<UndoReport> {
    let mut report = UndoReport { connected: true, ..UndoReport::default() };
    let say = |m: &str| {
        if !quiet {
            ctx.printer.info(m);
        }
    };

    // The command first: it may be using the connection.
    if let Some(pid) = st.command_pid.take()
        && group_exists(pid)
    {
        end_group(pid).await;
        report.ended_process_groups += 1;
    }
    if st.ran_start {
        if let Some(pid) = st.firezone.as_ref().map(|f| f.client_pid).filter(|p| *p != 0) {
            say("Stopping the Firezone client");
            report.stopped_client = firezone::stop(pid, STOP_GRACE, None).await;
        }
        st.ran_start = false;
        state::save(path, st)?;
    }
    for pg in std::mem::take(&mut st.pids) {
        if group_exists(pg) {
            end_group(pg).await;
            report.ended_process_groups += 1;
        }
    }
    if let Some(fz) = st.firezone.as_mut() {
        if let Some(dir) = fz.notify_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        // The client's output may hold anything it logged; it goes with the connection.
        let _ = std::fs::remove_file(&fz.client_log);
    }
    state::save(path, st)?;

    let api_client = ctx.firezone();
    if let Some(minted) = st.minted_key.clone() {
        let client = api_client.as_ref().map_err(Clone::clone)?;
        say(&format!("Deleting the minted client token {}", minted.id));
        match api::delete_token(client, &minted.service_account_id, &minted.id).await {
            Ok(()) => {}
            Err(e) if e.kind == Kind::NotFound => {}
            Err(e) => {
                return Err(Error {
                    message: format!("could not delete the minted client token {}: {}", minted.id, e.message),
                    hint: Some(format!(
                        "run `tgctl disconnect` again, or `tgctl --provider firezone service-key revoke {} --service-account {} --yes`",
                        minted.id, minted.service_account_id
                    )),
                    ..e
                });
            }
        }
        report.revoked_key_id = Some(minted.id);
        st.minted_key = None;
        state::save(path, st)?;
    }
    if let Some(fz) = st.firezone.clone() {
        match &api_client {
            Ok(client) => {
                say(&format!("Deleting the client record of FIREZONE_ID {:?}", fz.firezone_id));
                match api::delete_clients_by_firezone_id(client, &fz.firezone_id).await {
                    Ok(ids) => report.deleted_client_ids = ids,
                    // Not asked for: a warning. With --mint the API is in use: an error to retry.
                    Err(e) if report.revoked_key_id.is_none() => report.warnings.push(format!(
                        "could not delete the client record of {:?} ({}); `tgctl --provider firezone client delete --firezone-id {} --yes` removes it",
                        fz.firezone_id, e.message, fz.firezone_id
                    )),
                    Err(e) => {
                        return Err(Error {
                            message: format!(
                                "could not delete the client record of {:?}: {}",
                                fz.firezone_id, e.message
                            ),
                            hint: Some(format!(
                                "run `tgctl disconnect` again, or `tgctl --provider firezone client delete --firezone-id {} --yes`",
                                fz.firezone_id
                            )),
                            ..e
                        });
                    }
                }
            }
            Err(_) => say(&format!(
                "The client record of FIREZONE_ID {:?} stays in the portal (set FIREZONE_API_TOKEN to have disconnect delete it)",
                fz.firezone_id
            )),
        }
        st.firezone = None;
        state::save(path, st)?;
    }
    state::remove(path)?;
    Ok(report)
}
