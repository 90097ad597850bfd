//! Proxy mode's daemon: `twingated --http-proxy 127.0.0.1:PORT --tun off`, run directly as
//! Twingate documents, with the key in its environment (`TWINGATE_SERVICE_KEY`, never argv).
//! The Twingate provider drives it in place of the CLI: `setup` hands it the key, `start`
//! spawns it, `state` asks whether it is alive and its proxy accepts connections.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpStream;

use crate::config::env::{self, Env};
use crate::connect::client::{ClientError, ClientState};
use crate::connect::process::{Captured, end_group, is_executable, process_alive, which};
use crate::error::{Error, Kind, Result};

/// The daemon binary: `--daemon-bin`, `TGCTL_TWINGATED_BIN`, else `twingated` next to the
/// client, in the matching `sbin` directory (the packages install `/usr/bin/twingate` and
/// `/usr/sbin/twingated`), on PATH, or in `/usr/sbin` and `/sbin` (often not on a user's PATH).
pub(crate) fn find_daemon(env: &Env, flag: Option<&Path>, client_bin: &Path) -> Result<PathBuf> {
    let explicit = match (flag, env.get(env::TGCTL_TWINGATED_BIN)) {
        (Some(p), _) => Some((p.to_string_lossy().into_owned(), "--daemon-bin")),
        (None, Some(p)) => Some((p.to_owned(), "TGCTL_TWINGATED_BIN")),
        (None, None) => None,
    };
    if let Some((wanted, source)) = explicit {
        return which(&wanted, env.get(env::PATH)).ok_or_else(|| {
            Error::new(
                Kind::ClientFailed,
                format!("preflight: the daemon binary {wanted} ({source}) does not exist or is not executable"),
            )
            .hint(DAEMON_HINT)
        });
    }
    let mut candidates = Vec::new();
    if let Some(dir) = client_bin.parent() {
        candidates.push(dir.join("twingated"));
        if dir.file_name().is_some_and(|n| n == "bin")
            && let Some(up) = dir.parent()
        {
            candidates.push(up.join("sbin/twingated"));
        }
    }
    if let Some(p) = which("twingated", env.get(env::PATH)) {
        candidates.push(p);
    }
    candidates.extend([PathBuf::from("/usr/sbin/twingated"), PathBuf::from("/sbin/twingated")]);
    candidates.into_iter().find(|p| is_executable(p)).ok_or_else(|| {
        Error::new(
            Kind::ClientFailed,
            format!(
                "preflight: proxy mode needs the client's daemon `twingated`, which is not next to {} nor on PATH",
                client_bin.display()
            ),
        )
        .hint(DAEMON_HINT)
    })
}

pub(crate) const DAEMON_HINT: &str =
    "the Twingate package installs it as /usr/sbin/twingated; point --daemon-bin or TGCTL_TWINGATED_BIN at it";

/// The daemon in userspace mode.
#[derive(Debug, Clone)]
pub(crate) struct ProxyDaemon {
    pub(crate) bin: PathBuf,
    pub(crate) addr: SocketAddr,
    /// Where the daemon's stdout and stderr go (0600, in the state dir).
    pub(crate) log: PathBuf,
    /// `$XDG_RUNTIME_DIR` for the daemon (see [`runtime_dir`]).
    pub(crate) runtime_dir: PathBuf,
    key: Arc<Mutex<Option<SecretString>>>,
    pid: Arc<Mutex<Option<u32>>>,
    /// A status poll has seen the daemon since it was last started.
    polled: Arc<std::sync::atomic::AtomicBool>,
}

impl ProxyDaemon {
    pub(crate) fn new(bin: PathBuf, addr: SocketAddr, log: PathBuf, runtime_dir: PathBuf) -> Self {
        Self { bin, addr, log, runtime_dir, key: Arc::default(), pid: Arc::default(), polled: Arc::default() }
    }

    /// Keeps the key (JSON) for the daemon's environment.
    pub(crate) fn set_key(&self, key: &[u8]) {
        if let Ok(mut k) = self.key.lock() {
            *k = Some(SecretString::from(String::from_utf8_lossy(key).into_owned()));
        }
    }

    /// The daemon's pid (also its process group), while we know it.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid.lock().ok().and_then(|p| *p)
    }

    fn command_line(&self) -> String {
        format!("twingated --http-proxy {} --tun off", self.addr)
    }

    /// `twingated --http-proxy ADDR --tun off` in its own process group, the key in its
    /// environment only, its output appended to [`Self::log`]. Not waited for.
    pub(crate) fn start(&self) -> std::result::Result<Captured, ClientError> {
        let fail = |reason: String| ClientError {
            command: self.command_line(),
            reason,
            output: String::new(),
            timed_out: false,
            exited: false,
        };
        let key = self.key.lock().ok().and_then(|k| k.clone()).ok_or_else(|| fail("no key was set up".to_owned()))?;
        let log =
            open_private_append(&self.log).map_err(|e| fail(format!("cannot open {}: {e}", self.log.display())))?;
        let log2 = log.try_clone().map_err(|e| fail(e.to_string()))?;
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("--http-proxy")
            .arg(self.addr.to_string())
            .args(["--tun", "off"])
            .process_group(0)
            .env_remove(env::TWINGATE_API_TOKEN)
            .env(env::TWINGATE_SERVICE_KEY, key.expose_secret())
            .env(env::XDG_RUNTIME_DIR, &self.runtime_dir)
            .stdin(std::process::Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd.spawn().map_err(|e| fail(format!("cannot run it: {e}")))?;
        let pid = child.id();
        // Not waited for: the runtime reaps it if it exits while we run.
        drop(child);
        if let Ok(mut p) = self.pid.lock() {
            *p = pid;
        }
        self.polled.store(false, std::sync::atomic::Ordering::Relaxed);
        Ok(Captured { code: Some(0), stdout: String::new(), stderr: String::new(), pgid: pid })
    }

    pub(crate) async fn stop(&self) {
        let pid = self.pid.lock().ok().and_then(|mut p| p.take());
        if let Some(pid) = pid {
            end_group(pid).await;
        }
    }

    /// `not-running` when the daemon is gone, `starting` until its proxy accepts a connection,
    /// then `online`. The first poll after a start never says `not-running`: a daemon that
    /// exits at once counts as one that came up and crashed, so it is restarted at once rather
    /// than after `--stall-after`.
    pub(crate) async fn state(&self, timeout: Duration) -> ClientState {
        let first = !self.polled.swap(true, std::sync::atomic::Ordering::Relaxed);
        match self.pid() {
            Some(pid) if process_alive(pid) => {}
            Some(_) if first => return ClientState::Other("starting (the daemon exited; see its log)".to_owned()),
            _ => return ClientState::NotRunning,
        }
        match tokio::time::timeout(timeout.min(Duration::from_secs(1)), TcpStream::connect(self.addr)).await {
            Ok(Ok(_)) => ClientState::Online,
            _ => ClientState::Other("starting (its proxy does not accept connections yet)".to_owned()),
        }
    }
}

/// The runtime dir for the daemon: a daemon run without root needs a writable
/// `$XDG_RUNTIME_DIR` (`/run/user/<uid>`, which only a login session creates; reference
/// Addendum). The one given when it is a writable directory; else `<state dir>/runtime`,
/// created 0700 (a CI job often has no login session), and a note that says so.
pub(crate) fn runtime_dir(env: &Env, state_dir: &Path) -> Result<(PathBuf, Option<String>)> {
    let given = env.get(env::XDG_RUNTIME_DIR).map(PathBuf::from);
    if let Some(dir) = given.as_ref().filter(|d| writable_dir(d)) {
        return Ok((dir.clone(), None));
    }
    let ours = state_dir.join("runtime");
    {
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new().mode(0o700).create(&ours) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(Error::new(
                    Kind::ClientFailed,
                    format!(
                        "preflight: the daemon needs a writable runtime dir, and {} cannot be created: {e}",
                        ours.display()
                    ),
                )
                .hint("set XDG_RUNTIME_DIR to a directory this user can write"));
            }
        }
    }
    let why = match given {
        Some(d) => format!("XDG_RUNTIME_DIR ({}) is not writable", d.display()),
        None => "XDG_RUNTIME_DIR is not set".to_owned(),
    };
    Ok((ours.clone(), Some(format!("{why}; the daemon gets {} (0700) as its runtime dir", ours.display()))))
}

fn writable_dir(dir: &Path) -> bool {
    nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK).is_ok() && dir.is_dir()
}

fn open_private_append(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}
