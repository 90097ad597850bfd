//! The Firezone headless client (`firezone-headless-client`), run by tgctl itself.
//!
//! Unlike Twingate's client it has no `status` command and no daemon of its own: it runs in the
//! foreground until stopped, and says it is ready with `sd_notify(READY=1)`. So it is not
//! polled: tgctl starts it as a detached child in its own process group, gives it the token in
//! its environment (`FIREZONE_TOKEN`, never argv) and a private notify socket
//! ([`super::notify`]), and stops it with SIGTERM (it exits cleanly on it).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::config::env::{self, Env};
use crate::connect::preflight::failed;
use crate::connect::process::{group_exists, kill_group, process_alive, which};
use crate::error::Result;

pub(crate) const BIN_NAME: &str = "firezone-headless-client";
pub(crate) const INSTALL_HINT: &str = "download the static binary from https://www.firezone.dev/dl/firezone-client-headless-linux/latest/x86_64 (or aarch64), `chmod +x` it, and put it on PATH as firezone-headless-client, or point --client-bin / TGCTL_FIREZONE_BIN at it";

/// How the client reports a token the portal refused: phoenix-channel's `Error::InvalidToken`,
/// `#[error("Authentication token invalid")]` (firezone/firezone
/// `rust/libs/connlib/phoenix-channel/src/lib.rs`), in the error chain it prints on exit.
pub(crate) const TOKEN_INVALID: &str = "Authentication token invalid";

/// How long the client gets to exit after SIGTERM before SIGKILL.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// Every environment variable the client reads (firezone/firezone
/// `rust/headless-client/src/main.rs` at df8139e8: the clap `env =` attributes of `Cli`, `env`
/// of `otlp_grpc_endpoint`, `std::env::var("RUST_LOG")`, `TOKEN_ENV_KEY`; and sd_notify's
/// `NOTIFY_SOCKET`). Under sudo each must be named in `--preserve-env`, or sudo drops it. The one
/// list: what the client's environment is built from.
const CLIENT_READS: &[&str] = &[
    env::FIREZONE_TOKEN,
    env::FIREZONE_ID,
    env::FIREZONE_NAME,
    env::FIREZONE_API_URL,
    "FIREZONE_DNS_CONTROL",
    "LOG_DIR",
    "MAX_PARTITION_TIME",
    "FIREZONE_ACTIVATE_INTERNET_RESOURCE",
    "FIREZONE_NO_TELEMETRY",
    "FIREZONE_METRICS",
    "OTLP_GRPC_ENDPOINT",
    "FIREZONE_TOKEN_PATH",
    "FIREZONE_INC_BUF",
    "FIREZONE_FLOW_LOGS",
    "RUST_LOG",
    "NOTIFY_SOCKET",
];

pub(crate) fn client_reads() -> &'static [&'static str] {
    CLIENT_READS
}

/// `--preserve-env=...` for sudo: every variable the client reads ([`client_reads`]).
pub(crate) fn preserve_env_arg() -> String {
    format!("--preserve-env={}", client_reads().join(","))
}

/// Variables that never reach the client: other credentials tgctl may hold.
const WITHHELD: &[&str] = &[
    env::FIREZONE_API_TOKEN,
    env::TWINGATE_API_TOKEN,
    env::TWINGATE_SERVICE_KEY,
    env::FIREZONE_TOKEN,
    env::FIREZONE_ID,
    env::FIREZONE_NAME,
    env::FIREZONE_API_URL,
    "NOTIFY_SOCKET",
];

/// --client-bin, else TGCTL_FIREZONE_BIN, else `firezone-headless-client` on PATH.
pub(crate) fn find_client(env: &Env, flag: Option<&Path>) -> Result<PathBuf> {
    let (wanted, source) = match (flag, env.get(env::TGCTL_FIREZONE_BIN)) {
        (Some(p), _) => (p.to_string_lossy().into_owned(), "--client-bin"),
        (None, Some(p)) => (p.to_owned(), "TGCTL_FIREZONE_BIN"),
        (None, None) => (BIN_NAME.to_owned(), "PATH"),
    };
    match which(&wanted, env.get(env::PATH)) {
        Some(p) => Ok(p),
        None if source == "PATH" => Err(failed(
            format!("the Firezone headless client (`{BIN_NAME}`) is not installed (not found on PATH)"),
            INSTALL_HINT,
        )),
        None => Err(failed(
            format!("the client binary {wanted} ({source}) does not exist or is not executable"),
            INSTALL_HINT,
        )),
    }
}

/// How to start the client.
pub(crate) struct Launch<'a> {
    pub(crate) bin: &'a Path,
    /// `sudo` when not root: the client needs CAP_NET_ADMIN.
    pub(crate) sudo: Option<&'a Path>,
    pub(crate) token: &'a SecretString,
    pub(crate) firezone_id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) notify_socket: &'a Path,
    /// The portal URL for the client, only when FIREZONE_API_URL was a ws(s):// URL.
    pub(crate) portal_url: Option<&'a str>,
    /// stdout and stderr go here (created 0600).
    pub(crate) log: &'a Path,
}

/// Starts the client detached (own process group, stdin closed, output to the log file). The
/// token and identity travel in its environment only; with sudo, `--preserve-env` names them.
pub(crate) fn spawn(l: &Launch<'_>) -> std::io::Result<tokio::process::Child> {
    let log = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(l.log)?
    };
    let mut cmd = match l.sudo {
        Some(sudo) => {
            let mut c = tokio::process::Command::new(sudo);
            c.arg("-n").arg(preserve_env_arg()).arg(l.bin);
            c
        }
        None => tokio::process::Command::new(l.bin),
    };
    for v in WITHHELD {
        cmd.env_remove(v);
    }
    cmd.env(env::FIREZONE_TOKEN, l.token.expose_secret())
        .env(env::FIREZONE_ID, l.firezone_id)
        .env(env::FIREZONE_NAME, l.name)
        .env("NOTIFY_SOCKET", l.notify_socket);
    if let Some(url) = l.portal_url {
        cmd.env(env::FIREZONE_API_URL, url);
    }
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(false);
    cmd.spawn()
}

/// Stops the client's process group: SIGTERM (the client then removes its routes and DNS),
/// up to `grace` to exit, then SIGKILL. False when it was already gone. `child` is the client
/// when this process started it (it is reaped here); otherwise its leader counts as gone once
/// it is a zombie (an init that does not reap leaves one behind).
pub(crate) async fn stop(pgid: u32, grace: Duration, child: Option<&mut tokio::process::Child>) -> bool {
    let gone = |pgid: u32| !group_exists(pgid) || !process_alive(pgid);
    if gone(pgid) {
        if let Some(c) = child {
            let _ = c.try_wait();
        }
        return false;
    }
    kill_group(pgid, nix::sys::signal::Signal::SIGTERM);
    if let Some(c) = child {
        if tokio::time::timeout(grace, c.wait()).await.is_err() {
            kill_group(pgid, nix::sys::signal::Signal::SIGKILL);
            let _ = tokio::time::timeout(Duration::from_secs(2), c.wait()).await;
        }
        return true;
    }
    let until = std::time::Instant::now() + grace;
    while std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if gone(pgid) {
            return true;
        }
    }
    kill_group(pgid, nix::sys::signal::Signal::SIGKILL);
    true
}

/// The last `n` lines of the client's log.
pub(crate) fn tail(log: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect()
}

/// What the portal keeps of `FIREZONE_ID` (the client's `external_id`): sha256, in hex, of an ID
/// that parses as a UUID; any other ID as it is (phoenix-channel `login_url.rs`,
/// `LoginUrl::client`: `if uuid::Uuid::from_str(&device_id).is_ok() { hex::encode(sha2::Sha256::
/// digest(device_id)) } else { device_id }`). The client record is found by this value.
pub(crate) fn portal_id(firezone_id: &str) -> String {
    use sha2::Digest;
    if is_uuid(firezone_id) {
        sha2::Sha256::digest(firezone_id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    } else {
        firezone_id.to_owned()
    }
}

/// The forms `uuid::Uuid::from_str` accepts: hyphenated, simple (32 hex digits), braced, URN.
fn is_uuid(s: &str) -> bool {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(s);
    let hex = |p: &str| p.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [one] => one.len() == 32 && hex(one),
        [..] if parts.len() == 5 => parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p)),
        _ => false,
    }
}

/// `FIREZONE_ID` for this job: the job's name (readable in the portal, and what `client list
/// --firezone-id` takes), unless FIREZONE_ID is set.
pub(crate) fn job_firezone_id(env: &Env, job_name: &str) -> String {
    env.get(env::FIREZONE_ID).map_or_else(|| job_name.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_token_is_in_the_environment_only_and_secrets_are_withheld() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("client.sh");
        std::fs::write(&script, "#!/bin/sh\necho \"argv: $*\"\nenv | sort\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let log = dir.path().join("client.log");
        let token = SecretString::from("fz-token-canary-123".to_owned());
        let notify = dir.path().join("notify.sock");
        let mut child = spawn(&Launch {
            bin: &script,
            sudo: None,
            token: &token,
            firezone_id: "job-1",
            name: "tgctl-job-1",
            notify_socket: &notify,
            portal_url: None,
            log: &log,
        })
        .unwrap();
        assert!(child.wait().await.unwrap().success());
        let out = std::fs::read_to_string(&log).unwrap();
        assert!(out.contains("FIREZONE_TOKEN=fz-token-canary-123"), "{out}");
        assert!(out.contains("FIREZONE_ID=job-1") && out.contains("NOTIFY_SOCKET="), "{out}");
        let argv = out.lines().find(|l| l.starts_with("argv:")).unwrap();
        assert!(!argv.contains("canary"));
        assert!(!out.contains("FIREZONE_API_TOKEN="));
        assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(tail(&log, 1).len(), 1);
    }

    #[test]
    fn the_portal_sees_sha256_of_a_uuid_and_other_ids_as_they_are() {
        assert_eq!(portal_id("tgctl-job-1"), "tgctl-job-1");
        let uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
        // sha256 of the UUID's text (as `sha256sum` of it without a newline gives).
        assert_eq!(portal_id(uuid), "e5855ff48799c52c9ccf80b82bab9492c347a316876dbeaafef22b0bd4fac13d");
        assert_eq!(portal_id(&uuid.replace('-', "")).len(), 64);
        assert_eq!(portal_id(&format!("{{{uuid}}}")).len(), 64);
        assert_eq!(portal_id("6ba7b810-9dad-11d1-80b4"), "6ba7b810-9dad-11d1-80b4");
    }

    #[tokio::test]
    async fn under_sudo_every_variable_the_client_reads_is_preserved() {
        // A stand-in for sudo's env_reset: only the variables --preserve-env names survive.
        let dir = tempfile::tempdir().unwrap();
        let sudo = dir.path().join("sudo");
        std::fs::write(
            &sudo,
            "#!/bin/sh\n[ \"$1\" = -n ] && shift\nlist=${1#--preserve-env=}; shift\necho \"preserve: $list\"\nkeep=$(for n in $(echo \"$list\" | tr , ' '); do v=$(printenv \"$n\") && echo \"$n=$v\"; done)\nexec env -i $keep \"$@\"\n",
        )
        .unwrap();
        let client = dir.path().join("client.sh");
        std::fs::write(&client, "#!/bin/sh\nenv | sort\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        for p in [&sudo, &client] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let log = dir.path().join("client.log");
        let token = SecretString::from("fz-token-canary-456".to_owned());
        let notify = dir.path().join("notify.sock");
        let mut child = spawn(&Launch {
            bin: &client,
            sudo: Some(&sudo),
            token: &token,
            firezone_id: "job-2",
            name: "tgctl-job-2",
            notify_socket: &notify,
            portal_url: Some("wss://portal.example/"),
            log: &log,
        })
        .unwrap();
        assert!(child.wait().await.unwrap().success());
        let out = std::fs::read_to_string(&log).unwrap();
        let preserved: Vec<&str> = out.lines().next().unwrap().trim_start_matches("preserve: ").split(',').collect();
        assert_eq!(preserved, client_reads());
        for line in ["FIREZONE_TOKEN=fz-token-canary-456", "FIREZONE_ID=job-2", "FIREZONE_NAME=tgctl-job-2"] {
            assert!(out.lines().any(|l| l == line), "{line} did not survive sudo: {out}");
        }
        assert!(out.contains("FIREZONE_API_URL=wss://portal.example/") && out.contains("NOTIFY_SOCKET="), "{out}");
    }
}
