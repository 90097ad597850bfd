//! `tgctl disconnect`: undo exactly what `connect` recorded in its state file. Safe to run
//! twice, after a failed connect, or with no connection at all.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::api::service_keys::{self, KeyStatus};
use crate::config::env;
use crate::connect::preflight::Machine;
use crate::connect::process::{Runner, end_group, group_exists, which};
use crate::connect::provider::{Provider, Twingate};
use crate::connect::state::{self, ConnectState};
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl disconnect                # in a post step, after_script or `when: always`
  tgctl disconnect -o json

What is undone comes from the state file connect wrote: the client is stopped if connect
started it, its stored key removed if connect set it up, leftover processes ended, and a key
minted with --mint revoked and deleted (this needs the API token). Nothing recorded: nothing
to do, exit 0.")]
pub struct DisconnectArgs {}

/// What was undone.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoReport {
    /// False when there was no connection to undo.
    pub connected: bool,
    pub stopped_client: bool,
    pub removed_client_key: bool,
    pub ended_process_groups: u32,
    /// Forwards started by `connect --forward` that were stopped.
    pub stopped_forwards: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_key_id: Option<String>,
    /// Firezone: the client records deleted from the portal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted_client_ids: Vec<String>,
    pub warnings: Vec<String>,
}

impl Tabular for UndoReport {
    fn headers() -> &'static [&'static str] {
        &["connected", "stopped client", "removed client key", "ended process groups", "revoked key"]
    }

    fn cells(&self, _f: &Fmt) -> Vec<String> {
        vec![
            self.connected.to_string(),
            self.stopped_client.to_string(),
            self.removed_client_key.to_string(),
            self.ended_process_groups.to_string(),
            self.revoked_key_id.clone().unwrap_or_default(),
        ]
    }

    fn id(&self) -> &str {
        self.revoked_key_id.as_deref().unwrap_or_default()
    }
}

pub async fn run(ctx: &Ctx, _args: DisconnectArgs) -> Result<()> {
    let path = state::path(&ctx.env)?;
    let Some(mut st) = state::load(&path)? else {
        ctx.printer.info("Not connected: nothing to undo.");
        return ctx.printer.object(&UndoReport::default());
    };
    let report = undo(ctx, &mut st, &path, false).await?;
    for w in &report.warnings {
        ctx.printer.warn(w);
    }
    ctx.printer.success("Disconnected.");
    ctx.printer.object(&report)
}

const STEP: Duration = Duration::from_secs(30);

/// Undoes what `st` records, saving progress so that an interrupted or failed undo can be
/// finished by running `disconnect` again. The state file is removed once nothing is left.
pub(crate) async fn undo(ctx: &Ctx, st: &mut ConnectState, path: &Path, quiet: bool) -> Result<UndoReport> {
    if st.provider == "firezone" {
        return super::firezone::disconnect::undo(ctx, st, path, quiet).await;
    }
    let mut report = UndoReport { connected: true, ..UndoReport::default() };
    let sudo = if st.sudo { which("sudo", ctx.env.get(env::PATH)) } else { None };
    let provider = Twingate {
        bin: st.client_bin.clone(),
        runner: Runner::new(sudo),
        log: Machine::from_env(&ctx.env).log_source(),
        // Proxy mode: the daemon and the forwarder are ended through their process groups.
        proxy: None,
    };
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
    let client_present = provider.bin.exists();
    if st.ran_start {
        if client_present {
            say("Stopping the client (twingate stop)");
            match provider.stop(STEP).await {
                Ok(()) => report.stopped_client = true,
                Err(e) => {
                    report.warnings.push(format!("`{}` {}; the client may still be running", e.command, e.reason))
                }
            }
        } else {
            report.warnings.push(format!("{} is gone; cannot stop the client", provider.bin.display()));
        }
        st.ran_start = false;
        state::save(path, st)?;
    }
    let proxy_mode = st.network_mode.as_deref() == Some("proxy");
    if proxy_mode && !st.pids.is_empty() {
        say("Stopping the client's proxy daemon and the port forwards");
    }
    for pg in std::mem::take(&mut st.pids) {
        if group_exists(pg) {
            end_group(pg).await;
            report.ended_process_groups += 1;
            report.stopped_client |= proxy_mode;
        }
    }
    report.stopped_forwards = u32::try_from(std::mem::take(&mut st.forwards).len()).unwrap_or(u32::MAX);
    state::save(path, st)?;
    if st.ran_setup {
        if client_present {
            say("Removing the client's headless configuration");
            match provider.forget(STEP).await {
                Ok(()) => report.removed_client_key = true,
                Err(e) => report.warnings.push(format!(
                    "`{}` {}: the client may still hold the service key in its configuration",
                    e.command, e.reason
                )),
            }
        }
        st.ran_setup = false;
        state::save(path, st)?;
    }
    if let Some(minted) = st.minted_key.clone() {
        say(&format!("Revoking and deleting the minted key {:?}", minted.name));
        revoke_and_delete(ctx, &minted.id).await.map_err(|e| {
            let hint =
                format!("run `tgctl disconnect` again, or `tgctl service-key delete {} --revoke --yes`", minted.id);
            Error {
                hint: Some(hint),
                message: format!("could not revoke the minted key {}: {}", minted.id, e.message),
                ..e
            }
        })?;
        report.revoked_key_id = Some(minted.id);
        st.minted_key = None;
        state::save(path, st)?;
    }
    // Our own logs (the proxy daemon's output may hold what a leaky client printed).
    for log in std::mem::take(&mut st.logs) {
        let _ = std::fs::remove_file(log);
    }
    state::remove(path)?;
    Ok(report)
}

/// Revoke (unless already revoked or expired), then delete (a key already gone is fine).
async fn revoke_and_delete(ctx: &Ctx, id: &str) -> Result<()> {
    let client = ctx.client()?;
    if let Err(e) = service_keys::revoke(&client, id).await {
        match service_keys::get(&client, id).await {
            Ok(k) if k.status != KeyStatus::Active => {}
            Err(g) if g.kind == Kind::NotFound => return Ok(()),
            _ => return Err(e),
        }
    }
    match service_keys::delete(&client, id).await {
        Err(e) if e.kind == Kind::NotFound => Ok(()),
        other => other,
    }
}
