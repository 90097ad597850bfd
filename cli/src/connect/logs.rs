//! The client's log: `/var/log/twingated.log` without systemd, `journalctl -u twingate` with it.
//! Read for the last lines on failure, and watched so that a new line triggers a status poll
//! at once (a state change is logged before the next scheduled poll would see it).

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::AsyncBufReadExt;

use super::process::{Runner, end_group};

/// A position in the client's log.
#[derive(Debug, Clone)]
pub(crate) struct LogMark {
    offset: u64,
    since: std::time::SystemTime,
}

/// Where the client logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogSource {
    File(PathBuf),
    Journal { unit: String },
}

impl std::fmt::Display for LogSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogSource::File(p) => write!(f, "{}", p.display()),
            LogSource::Journal { unit } => write!(f, "journalctl -u {unit}"),
        }
    }
}

impl LogSource {
    /// Where the log ends now, so that a later [`tail`](Self::tail) shows only what this
    /// connection logged.
    pub(crate) fn mark(&self) -> LogMark {
        let offset = match self {
            LogSource::File(p) => file_len(p),
            LogSource::Journal { .. } => 0,
        };
        LogMark { offset, since: std::time::SystemTime::now() }
    }

    /// The last `n` lines since `mark` (best effort: empty when the log cannot be read).
    pub(crate) async fn tail(&self, runner: &Runner, n: usize, mark: Option<&LogMark>) -> Vec<String> {
        match self {
            LogSource::File(path) => tail_file(path, n, mark.map_or(0, |m| m.offset)),
            LogSource::Journal { unit } => {
                let count = n.to_string();
                let since = mark
                    .and_then(|m| m.since.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| format!("@{}", d.as_secs()));
                let mut args = vec!["-u", unit.as_str(), "-n", count.as_str(), "--no-pager", "-o", "short-iso"];
                if let Some(s) = &since {
                    args.extend(["--since", s.as_str()]);
                }
                match runner.run(std::path::Path::new("journalctl"), &args, None, Duration::from_secs(5), true).await {
                    Ok(out) => last_lines(&out.stdout, n),
                    Err(_) => Vec::new(),
                }
            }
        }
    }

    /// Starts watching for new lines; [`LogWatch::new_lines`] hands out those after `mark`
    /// (a file's; the journal is followed from now).
    pub(crate) fn watch(&self, mark: Option<&LogMark>) -> LogWatch {
        match self {
            LogSource::File(path) => {
                let len = file_len(path);
                LogWatch::File { path: path.clone(), len, read: mark.map_or(len, |m| m.offset) }
            }
            LogSource::Journal { unit } => {
                let mut cmd = tokio::process::Command::new("journalctl");
                cmd.args(["-u", unit, "-f", "-n", "0", "-o", "cat"])
                    .process_group(0)
                    .kill_on_drop(true)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null());
                match cmd.spawn() {
                    Ok(mut child) => match child.stdout.take() {
                        Some(out) => {
                            let lines = tokio::io::BufReader::new(out).lines();
                            LogWatch::Journal(Box::new(JournalFollower { child, lines, unread: Vec::new() }))
                        }
                        None => LogWatch::None,
                    },
                    Err(_) => LogWatch::None,
                }
            }
        }
    }
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The last `n` lines after byte `from` (all of the file if it has shrunk since: rotated).
fn tail_file(path: &std::path::Path, n: usize, from: u64) -> Vec<String> {
    let Ok(mut f) = std::fs::File::open(path) else { return Vec::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let from = if from > len { 0 } else { from };
    let start = len.saturating_sub(64 * 1024).max(from);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    // Starting mid-file (not at our mark): drop the partial first line.
    let text =
        if start > from { text.split_once('\n').map_or("", |(_, rest)| rest).to_owned() } else { text.into_owned() };
    last_lines(&text, n)
}

fn last_lines(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| (*l).to_owned()).collect()
}

/// Notices new log lines.
pub(crate) enum LogWatch {
    None,
    File { path: PathBuf, len: u64, read: u64 },
    Journal(Box<JournalFollower>),
}

/// `journalctl -f`, in its own process group.
pub(crate) struct JournalFollower {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// Lines read that [`LogWatch::new_lines`] has not handed out yet.
    unread: Vec<String>,
}

impl LogWatch {
    /// Resolves when the log has grown (never, when nothing can be watched). Not before
    /// `not_before`, so a chatty log cannot make us poll the client in a tight loop.
    pub(crate) async fn changed(&mut self, not_before: Instant) {
        tokio::time::sleep_until(not_before.into()).await;
        match self {
            LogWatch::None => std::future::pending().await,
            LogWatch::File { path, len, .. } => loop {
                let now = file_len(path);
                if now != *len {
                    *len = now;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(15)).await;
            },
            LogWatch::Journal(j) => match j.lines.next_line().await {
                Ok(Some(line)) => j.unread.push(line),
                _ => {
                    *self = LogWatch::None;
                    std::future::pending::<()>().await;
                }
            },
        }
    }

    /// The whole lines logged since the last call (from the start of the watch at first).
    pub(crate) fn new_lines(&mut self) -> Vec<String> {
        match self {
            LogWatch::None => Vec::new(),
            LogWatch::Journal(j) => std::mem::take(&mut j.unread),
            LogWatch::File { path, read, .. } => {
                let Ok(mut f) = std::fs::File::open(&*path) else { return Vec::new() };
                let end = f.metadata().map(|m| m.len()).unwrap_or(0);
                if end < *read {
                    *read = 0; // rotated
                }
                let mut buf = Vec::new();
                if f.seek(SeekFrom::Start(*read)).is_err() || f.take(end - *read).read_to_end(&mut buf).is_err() {
                    return Vec::new();
                }
                // Only whole lines; a partial last line is read next time.
                let whole = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                *read += whole as u64;
                String::from_utf8_lossy(&buf[..whole]).lines().map(str::to_owned).collect()
            }
        }
    }

    /// Stops the journal follower (and reaps it).
    pub(crate) async fn close(self) {
        if let LogWatch::Journal(j) = self {
            let mut child = j.child;
            if let Some(pid) = child.id() {
                end_group(pid).await;
            }
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_the_last_lines_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("twingated.log");
        let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, text).unwrap();
        let tail = tail_file(&p, 20, 0);
        assert_eq!(tail.len(), 20);
        assert_eq!(tail[0], "line 11");
        assert_eq!(tail[19], "line 30");
        assert!(tail_file(&dir.path().join("missing"), 20, 0).is_empty());
        // Only what was logged after the mark.
        let mark = LogSource::File(p.clone()).mark();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"new 1\nnew 2\n"))
            .unwrap();
        assert_eq!(tail_file(&p, 20, mark.offset), ["new 1", "new 2"]);
        // A rotated (shorter) file is read from its start.
        std::fs::write(&p, "rotated\n").unwrap();
        assert_eq!(tail_file(&p, 20, mark.offset), ["rotated"]);
    }
}
