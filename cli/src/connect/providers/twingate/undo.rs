//! `disconnect` and `status` of a Twingate connection: stop the client if connect started it,
//! remove its stored key if connect set it up, end leftover processes (in proxy mode the daemon
//! and the forwarder), revoke and delete a minted key.

use std::path::Path;
use std::time::Duration;

use super::cli::Cli;
use super::{docker_dns, install};
use crate::api::Client;
use crate::api::service_keys::{self, KeyStatus};
use crate::config::env;
use crate::connect::client::ClientState;
use crate::connect::ladder::Polled;
use crate::connect::preflight::Machine;
use crate::connect::process::{Runner, which};
use crate::connect::provider::Host;
use crate::connect::state::State;
use crate::connect::status::StatusOutput;
use crate::connect::undo::{self, UndoReport};
use crate::error::{Error, Kind, Result};

const STEP: Duration = Duration::from_secs(30);

pub(crate) async fn undo(host: &Host<'_>, st: &mut State, quiet: bool) -> Result<UndoReport> {
    let mut report = UndoReport::connected();
    let sudo = if st.sudo { which("sudo", host.env.get(env::PATH)) } else { None };
    // Never a path read from the state (issue 15, item 1): another user could have written it.
    // The client is found now, as connect found it: TGCTL_TWINGATE_BIN, else PATH.
    let bin = install::find_client(host.env, None).unwrap_or_else(|_| std::path::PathBuf::from("twingate"));
    let client = Cli {
        bin,
        runner: Runner::new(sudo),
        log: install::log_source(&Machine::from_env(host.env)),
        // Proxy mode: the daemon and the forwarder are ended through their process groups.
        proxy: None,
    };
    let say = |m: &str| {
        if !quiet {
            host.events.info(m);
        }
    };

    undo::end_command(st, &mut report).await;
    if let Some(value) = st.docker_dns.clone() {
        say("Restoring the Docker daemon's DNS (--docker-dns)");
        let machine = Machine::from_env(host.env);
        let restored = match serde_json::from_value::<docker_dns::DockerDnsRecord>(value) {
            Ok(rec) => docker_dns::undo(host.env, &client.runner, &machine, &rec).await,
            Err(e) => Err(Error::new(Kind::Config, format!("the --docker-dns record is unreadable: {e}"))),
        };
        match restored {
            Ok(notes) => {
                for n in notes {
                    say(&n);
                }
            }
            Err(e) => report.warnings.push(format!(
                "{}: {} may still name the client's resolvers",
                e.message,
                docker_dns::DAEMON_JSON
            )),
        }
        st.docker_dns = None;
        st.save()?;
    }
    let client_present = client.bin.exists();
    if st.ran_start {
        if client_present {
            say("Stopping the client (twingate stop)");
            match client.stop(STEP).await {
                Ok(()) => report.stopped_client = true,
                Err(e) => {
                    report.warnings.push(format!("`{}` {}; the client may still be running", e.command, e.reason))
                }
            }
        } else {
            report.warnings.push(format!("{} is gone; cannot stop the client", client.bin.display()));
        }
        st.ran_start = false;
        st.save()?;
    }
    let proxy_mode = st.network_mode.as_deref() == Some("proxy");
    if proxy_mode && !st.pids.is_empty() {
        say("Stopping the client's proxy daemon and the port forwards");
    }
    if undo::end_groups(st, &mut report).await > 0 {
        report.stopped_client |= proxy_mode;
    }
    report.stopped_forwards = u32::try_from(std::mem::take(&mut st.forwards).len()).unwrap_or(u32::MAX);
    st.save()?;
    if st.ran_setup {
        // The Linux client has no command that removes the key `setup --headless` stored (no
        // `reset`, no `desetup`: reference Addendum), and where it keeps it is not documented,
        // so it stays, and we say so. A minted key is revoked below, which is what stops it.
        say(&match (&st.minted_key, &st.key_id) {
            (Some(_), _) => "The client keeps its headless configuration (it has no command to remove it); the minted key in it is revoked next".to_owned(),
            (None, Some(id)) => format!("The client keeps the service key {id} in its headless configuration (it has no command to remove it); revoke it with `tgctl service-key revoke` when no job needs it"),
            (None, None) => "The client keeps the service key in its headless configuration (it has no command to remove it)".to_owned(),
        });
        st.ran_setup = false;
        st.save()?;
    }
    if let Some(minted) = st.minted_key.clone() {
        say(&format!("Revoking and deleting the minted key {:?}", minted.name));
        let revoked = match (host.api)() {
            Ok(client) => revoke_and_delete(&client, &minted.id).await,
            Err(e) => Err(e),
        };
        revoked.map_err(|e| {
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
        st.save()?;
    }
    if let Some(lease) = st.broker_lease.clone() {
        say(&format!("Releasing the broker's lease {}", lease.lease_id));
        // Not fatal: the broker revokes the key when the lease ends anyway.
        if let Err(e) = crate::connect::broker::release(host.env, &lease).await {
            report.warnings.push(format!("{}; the broker revokes the key when the lease ends", e.message));
        }
        st.broker_lease = None;
        st.save()?;
    }
    undo::finish(st)?;
    Ok(report)
}

/// Revoke (unless already revoked or expired), then delete (a key already gone is fine).
async fn revoke_and_delete(client: &Client, id: &str) -> Result<()> {
    if let Err(e) = service_keys::revoke(client, id).await {
        match service_keys::get(client, id).await {
            Ok(k) if k.status != KeyStatus::Active => {}
            Err(g) if g.kind == Kind::NotFound => return Ok(()),
            _ => return Err(e),
        }
    }
    match service_keys::delete(client, id).await {
        Err(e) if e.kind == Kind::NotFound => Ok(()),
        other => other,
    }
}

/// `tgctl status`: what `twingate status` says (and its resources when online), with the
/// recorded connection.
pub(crate) async fn status(host: &Host<'_>, st: Option<&State>, client_bin: Option<&Path>) -> Result<StatusOutput> {
    let bin = match (client_bin, st) {
        (Some(b), _) => install::find_client(host.env, Some(b)).ok(),
        // Never the recorded path (issue 15, item 1): the client is found as connect found it.
        _ => install::find_client(host.env, None).ok(),
    };
    let sudo = st.filter(|s| s.sudo).and_then(|_| which("sudo", host.env.get(env::PATH)));
    let (client_state, live_resources) = match &bin {
        None => ("not-installed".to_owned(), None),
        Some(b) => {
            let client = Cli {
                bin: b.clone(),
                runner: Runner::new(sudo),
                log: install::log_source(&Machine::from_env(host.env)),
                proxy: None,
            };
            let s = client.state(Duration::from_secs(10)).await;
            let resources =
                if s == ClientState::Online { client.resources(Duration::from_secs(10)).await.ok() } else { None };
            (s.to_string(), resources)
        }
    };
    let mut out = StatusOutput::recorded(st, client_state).await;
    out.client_bin = bin.map(|b| b.display().to_string());
    if let Some(r) = live_resources {
        out.resources = r;
    }
    Ok(out)
}
