//! The `supervise` stage: `connect -- CMD` runs CMD inside the connection, in its own process
//! group, with SIGINT and SIGTERM forwarded to it; the connection is undone afterwards.

use super::events::{Event, Events};
use super::process::{Signals, end_group, kill_group};
use super::state::State;
use crate::config::env;
use crate::error::{Error, Kind};

/// Runs CMD in its own process group, forwarding SIGINT/SIGTERM to it; returns its status
/// (128+N when killed by signal N).
pub(crate) async fn run_command(
    events: &Events,
    argv: &[String],
    job_env: &[(&'static str, String)],
    signals: &mut Signals,
    st: &mut State,
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
            events.send(Event::Error(Error::new(Kind::Usage, format!("cannot run {}: {e}", argv[0]))));
            return code;
        }
    };
    let pid = child.id().unwrap_or_default();
    st.command_pid = Some(pid);
    st.record_group(pid);
    let _ = st.save();
    let mut forwarded = 0;
    let status = loop {
        tokio::select! {
            s = child.wait() => break s,
            sig = signals.recv() => {
                forwarded += 1;
                let sig = if forwarded >= 3 { nix::sys::signal::Signal::SIGKILL } else { sig };
                events.info(format!("Forwarding {sig} to the command"));
                kill_group(pid, sig);
            }
        }
    };
    // Whatever the command left running in its group goes with it.
    end_group(pid).await;
    match status {
        Ok(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
        Err(e) => {
            events.warn(format!("waiting for the command: {e}"));
            1
        }
    }
}

/// CMD as a shell would show it.
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
