//! `disconnect` and `status` of a Firezone connection: stop the client tgctl started, delete a
//! token minted for the job and the job's client record (`GET /clients?firezone_id=` then
//! `DELETE /clients/{id}`), remove the client's log and notify socket. Each step is saved as it
//! is done, so a failed disconnect can be finished by running it again.

use std::path::Path;

use super::client::{self, STOP_GRACE};
use crate::api::firezone as api;
use crate::connect::process::process_alive;
use crate::connect::provider::Host;
use crate::connect::state::State;
use crate::connect::status::StatusOutput;
use crate::connect::undo::{self, UndoReport};
use crate::error::{Error, Kind, Result};

pub(crate) async fn undo(host: &Host<'_>, st: &mut State, quiet: bool) -> Result<UndoReport> {
    let mut report = UndoReport::connected();
    let say = |m: &str| {
        if !quiet {
            host.events.info(m);
        }
    };

    undo::end_command(st, &mut report).await;
    if st.ran_start {
        if let Some(pid) = st.firezone.as_ref().map(|f| f.client_pid).filter(|p| *p != 0 && st.still_ours(*p)) {
            say("Stopping the Firezone client");
            report.stopped_client = client::stop(pid, STOP_GRACE, None).await;
        }
        st.ran_start = false;
        st.save()?;
    }
    undo::end_groups(st, &mut report).await;
    if let Some(fz) = st.firezone.as_mut() {
        let (notify_dir, client_log) = (fz.notify_dir.take(), fz.client_log.clone());
        // Only what this connection made, where it makes it (issue 15, item 1).
        if let Some(dir) = notify_dir {
            st.remove_own_dir(&dir, "fz-notify-");
        }
        // The client's output may hold anything it logged; it goes with the connection.
        st.remove_own_file(&client_log);
    }
    st.save()?;

    let api_client = (host.api)();
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
        st.save()?;
    }
    if let Some(mut fz) = st.firezone.clone() {
        // The portal keeps the client's external_id: sha256 of a UUID FIREZONE_ID.
        fz.firezone_id = super::client::portal_id(&fz.firezone_id);
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
        st.save()?;
    }
    undo::finish(st)?;
    Ok(report)
}

/// `tgctl status` for a Firezone connection (or none): whether the client tgctl started runs.
pub(crate) async fn status(host: &Host<'_>, st: Option<&State>, _client_bin: Option<&Path>) -> Result<StatusOutput> {
    let fz = st.and_then(|s| s.firezone.as_ref());
    let alive = fz.is_some_and(|f| f.client_pid != 0 && process_alive(f.client_pid));
    let bin = st.map(|s| s.client_bin.clone()).or_else(|| client::find_client(host.env, None).ok());
    let client_state = match (st, alive) {
        (Some(s), true) if s.status == "online" => "online",
        (Some(_), true) => "running",
        (_, false) if bin.is_none() => "not-installed",
        _ => "not-running",
    };
    let mut out = StatusOutput::recorded(st, client_state.to_owned()).await;
    out.client_bin = bin.map(|b| b.display().to_string());
    // The key is a token tgctl does not read; proxy mode and forwards are Twingate's.
    out.key_id = None;
    out.key_expires_at = None;
    out.resources = Vec::new();
    out.network_mode = None;
    out.proxy = None;
    out.proxy_accepting = None;
    out.forwards = Vec::new();
    Ok(out)
}
