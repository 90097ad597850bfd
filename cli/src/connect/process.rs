//! Child processes: client commands (captured, time-boxed, in their own process group) and the
//! command run inside the connection (`connect -- CMD`). Nothing here leaves a zombie: every
//! child we spawn is awaited, and a timed-out one is killed with its whole group first.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::env;

/// How a captured command ended.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    /// Exit code, or None when killed by a signal.
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// Process group of the command (its pid), for cleanup of anything it left behind.
    pub(crate) pgid: Option<u32>,
}

impl Captured {
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout and stderr together, trimmed, for error messages.
    pub(crate) fn text(&self) -> String {
        let mut s = self.stdout.trim().to_owned();
        if !self.stderr.trim().is_empty() {
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(self.stderr.trim());
        }
        s
    }
}

/// Why a captured command did not finish.
#[derive(Debug)]
pub(crate) enum RunError {
    /// It could not be started (not found, not executable, ...).
    Spawn(std::io::Error),
    /// It ran past its time box and was killed (with its process group).
    TimedOut(Duration),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "cannot run it: {e}"),
            RunError::TimedOut(d) => write!(f, "it did not finish within {}", human(*d)),
        }
    }
}

/// Runs commands, prefixing privileged ones with `sudo -n` when we are not root.
#[derive(Debug, Clone)]
pub(crate) struct Runner {
    pub(crate) sudo: Option<PathBuf>,
}

impl Runner {
    pub(crate) fn new(sudo: Option<PathBuf>) -> Self {
        Self { sudo }
    }

    /// Runs `program args`, feeding `stdin` (a secret goes only this way, never argv), and
    /// captures its output. The command runs in its own process group; when it outlives
    /// `timeout`, the group is killed and the command reaped.
    pub(crate) async fn run(
        &self,
        program: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        timeout: Duration,
        privileged: bool,
    ) -> Result<Captured, RunError> {
        let mut cmd = match (&self.sudo, privileged) {
            (Some(sudo), true) => {
                let mut c = tokio::process::Command::new(sudo);
                c.arg("-n").arg(program);
                c
            }
            _ => tokio::process::Command::new(program),
        };
        cmd.args(args)
            .process_group(0)
            .kill_on_drop(true)
            // The key reaches the client on stdin only; its environment never carries it. Nor
            // the Admin API token: the client (a long-lived daemon, often root) has no use for it.
            .env_remove(env::TWINGATE_SERVICE_KEY)
            .env_remove(env::TWINGATE_API_TOKEN)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(RunError::Spawn)?;
        let pgid = child.id();
        // Abandoned before it ends (tgctl interrupted while the command runs): kill_on_drop
        // reaches only the direct child, so the guard ends its whole group.
        let mut guard = GroupGuard(pgid);
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A client that exits without reading is reported by its exit status, not here.
            let _ = pipe.write_all(bytes).await;
            let _ = pipe.shutdown().await;
            drop(pipe);
        }
        let out = child.stdout.take().map(|p| tokio::spawn(read_to_string(p)));
        let err = child.stderr.take().map(|p| tokio::spawn(read_to_string(p)));
        let waited = tokio::time::timeout(timeout, child.wait()).await;
        // It ended (or is killed below): what it left in its group (a daemon `start` forked) stays.
        guard.0 = None;
        let status = match waited {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => return Err(RunError::Spawn(e)),
            Err(_) => {
                if let Some(pg) = pgid {
                    kill_group(pg, nix::sys::signal::Signal::SIGKILL);
                }
                let _ = child.kill().await;
                let _ = child.wait().await;
                return Err(RunError::TimedOut(timeout));
            }
        };
        // A daemon that kept our pipes open must not hold us up: collect what is there.
        let grace = Duration::from_millis(300);
        let collect = |h: Option<tokio::task::JoinHandle<String>>| async move {
            match h {
                Some(h) => {
                    let abort = h.abort_handle();
                    match tokio::time::timeout(grace, h).await {
                        Ok(Ok(s)) => s,
                        _ => {
                            abort.abort();
                            String::new()
                        }
                    }
                }
                None => String::new(),
            }
        };
        let stdout = collect(out).await;
        let stderr = collect(err).await;
        Ok(Captured { code: status.code(), stdout, stderr, pgid })
    }
}

/// Kills a process group with SIGKILL when dropped, unless disarmed (`.0 = None`).
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            kill_group(pgid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

async fn read_to_string(mut pipe: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut buf = Vec::new();
    let _ = pipe.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// Sends `signal` to process group `pgid`; false when the group no longer exists.
pub(crate) fn kill_group(pgid: u32, signal: nix::sys::signal::Signal) -> bool {
    let Ok(raw) = i32::try_from(pgid) else { return false };
    if raw <= 1 {
        return false;
    }
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(raw), signal).is_ok()
}

/// True when process group `pgid` still has a member.
pub(crate) fn group_exists(pgid: u32) -> bool {
    let Ok(raw) = i32::try_from(pgid) else { return false };
    raw > 1 && nix::sys::signal::killpg(nix::unistd::Pid::from_raw(raw), None).is_ok()
}

#[cfg(test)]
mod start_time_tests {
    #[test]
    fn this_process_has_a_stable_start_time() {
        let me = std::process::id();
        let t = super::start_time(me).unwrap();
        assert_eq!(super::start_time(me), Some(t));
        assert_eq!(super::start_time(u32::MAX), None);
    }
}

/// True when `pid` is a live process (a zombie counts as gone).
pub(crate) fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    !matches!(stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next()), Some('Z' | 'X') | None)
}

/// When `pid` started, in clock ticks after boot (`/proc/PID/stat` field 22): with the PID it
/// names one process for good, since PIDs are reused (issue 15, item 5). None when it is gone.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (comm) is in parentheses and may hold spaces; fields 3.. follow the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Ends what is left of a process group: SIGTERM, a short grace, then SIGKILL.
pub(crate) async fn end_group(pgid: u32) {
    if !group_exists(pgid) {
        return;
    }
    kill_group(pgid, nix::sys::signal::Signal::SIGTERM);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        if !group_exists(pgid) {
            return;
        }
    }
    kill_group(pgid, nix::sys::signal::Signal::SIGKILL);
}

/// Finds `name` on PATH (a name with a slash is taken as a path).
pub(crate) fn which(name: &str, path_var: Option<&str>) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    let path_var = path_var.unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    path_var.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(name)).find(|p| is_executable(p))
}

pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `1.2s`, `340ms`, `2m05s`.
pub(crate) fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1_000)
    }
}

/// SIGINT and SIGTERM, caught for the whole of connect.
pub(crate) struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn new() -> crate::error::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let err = |e: std::io::Error| crate::error::Error::internal(format!("cannot handle signals: {e}"));
        Ok(Self {
            int: signal(SignalKind::interrupt()).map_err(err)?,
            term: signal(SignalKind::terminate()).map_err(err)?,
        })
    }

    pub(crate) async fn recv(&mut self) -> nix::sys::signal::Signal {
        tokio::select! {
            _ = self.int.recv() => nix::sys::signal::Signal::SIGINT,
            _ = self.term.recv() => nix::sys::signal::Signal::SIGTERM,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn captures_output_feeds_stdin_and_times_out() {
        let r = Runner::new(None);
        let out = r
            .run(Path::new("/bin/sh"), &["-c", "cat; echo err >&2"], Some(b"hello"), Duration::from_secs(5), true)
            .await
            .unwrap();
        assert!(out.success());
        assert_eq!(out.stdout, "hello");
        assert_eq!(out.stderr.trim(), "err");
        let started = std::time::Instant::now();
        let e = r
            .run(Path::new("/bin/sh"), &["-c", "sleep 30 & sleep 30"], None, Duration::from_millis(200), false)
            .await
            .unwrap_err();
        assert!(matches!(e, RunError::TimedOut(_)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            r.run(Path::new("/nonexistent/x"), &[], None, Duration::from_secs(1), false).await,
            Err(RunError::Spawn(_))
        ));
    }

    /// Found by tests/tests/it/signals.rs: a client call abandoned mid-run (tgctl interrupted)
    /// left the rest of its process group running.
    #[tokio::test]
    async fn an_abandoned_command_takes_its_whole_group_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; sleep 30", pid_file.display());
        let r = Runner::new(None);
        let args = ["-c", script.as_str()];
        let run = r.run(Path::new("/bin/sh"), &args, None, Duration::from_secs(60), false);
        assert!(tokio::time::timeout(Duration::from_millis(500), run).await.is_err(), "still running");
        let pid: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while process_alive(pid) {
            assert!(std::time::Instant::now() < deadline, "the background sleep {pid} survived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(340)), "340ms");
        assert_eq!(human(Duration::from_millis(1_250)), "1.2s");
        assert_eq!(human(Duration::from_secs(125)), "2m05s");
    }
}
