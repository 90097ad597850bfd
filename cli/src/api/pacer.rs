//! Client-side pacing that keeps tgctl under the Admin API's rate limits.
//!
//! The API allows 60 reads and 20 writes a minute per account (reference notes §1.4) and answers
//! 429 beyond that. Rather than meet the 429, the pacer keeps a sliding log of the send times of
//! the last requests of each kind and delays a request until fewer than `limit` were sent in the
//! last window. The window is a minute plus a small margin, so that the server, which sees the
//! requests a little later than we send them, never counts more than `limit` in any minute,
//! whether it uses a fixed or a sliding window.
//!
//! The log lives in a small file shared by every tgctl process using the same endpoint and token
//! (locked with `File::lock`), so a shell loop of many short tgctl invocations is paced as one
//! client. When the file can't be used (no usable state dir, or the file fails), the pacer falls
//! back to an in-process log and says so once on stderr (issue 15, item 13): other tgctl
//! processes are then not paced together with this one.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Read or write: queries and mutations have separate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Read,
    Write,
}

impl OpKind {
    /// Classifies a GraphQL document by its first operation keyword.
    pub(crate) fn of_document(document: &str) -> OpKind {
        // A write when any top-level definition is a mutation (fragments and other operations
        // may come first; strings and comments are skipped). Conservative for documents with
        // several operations: a write is never retried blindly.
        let mut depth = 0usize;
        let mut chars = document.chars();
        let mut word = String::new();
        while let Some(c) = chars.next() {
            match c {
                '#' => {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            break;
                        }
                    }
                }
                '"' => {
                    let mut escaped = false;
                    for n in chars.by_ref() {
                        match n {
                            '\\' if !escaped => escaped = true,
                            '"' if !escaped => break,
                            _ => escaped = false,
                        }
                    }
                }
                '{' | '(' => depth += 1,
                '}' | ')' => depth = depth.saturating_sub(1),
                c if depth == 0 && (c.is_ascii_alphanumeric() || c == '_') => {
                    word.push(c);
                    continue;
                }
                _ => {}
            }
            if word == "mutation" {
                return OpKind::Write;
            }
            word.clear();
        }
        if word == "mutation" { OpKind::Write } else { OpKind::Read }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            OpKind::Read => "reads",
            OpKind::Write => "writes",
        }
    }
}

/// Requests allowed per minute; 0 means unpaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub reads_per_minute: u32,
    pub writes_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { reads_per_minute: 60, writes_per_minute: 20 }
    }
}

impl Limits {
    fn of(&self, kind: OpKind) -> u32 {
        match kind {
            OpKind::Read => self.reads_per_minute,
            OpKind::Write => self.writes_per_minute,
        }
    }
}

/// The server's window plus a margin for the time a request takes to reach it.
pub(crate) const WINDOW: Duration = Duration::from_millis(61_000);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Log {
    #[serde(default)]
    reads: VecDeque<u64>,
    #[serde(default)]
    writes: VecDeque<u64>,
}

impl Log {
    fn of(&mut self, kind: OpKind) -> &mut VecDeque<u64> {
        match kind {
            OpKind::Read => &mut self.reads,
            OpKind::Write => &mut self.writes,
        }
    }

    /// Takes a slot now (returns zero) or says how long until one frees.
    fn take(&mut self, kind: OpKind, limit: u32, now_ms: u64) -> Duration {
        let window_ms = WINDOW.as_millis() as u64;
        let log = self.of(kind);
        while log.front().is_some_and(|&t| t + window_ms <= now_ms || t > now_ms + window_ms) {
            log.pop_front();
        }
        if (log.len() as u64) < u64::from(limit) {
            log.push_back(now_ms);
            return Duration::ZERO;
        }
        let oldest = log.front().copied().unwrap_or(now_ms);
        Duration::from_millis((oldest + window_ms).saturating_sub(now_ms).max(1))
    }
}

/// Paces requests per kind; see the module documentation.
pub struct Pacer {
    limits: Limits,
    file: Option<PathBuf>,
    local: Mutex<Log>,
    /// Where the fall-back notice goes, and why there is no file (when there is none).
    notice: Option<(crate::api::log::LogFn, Option<String>)>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("limits", &self.limits).field("file", &self.file).finish_non_exhaustive()
    }
}

/// The fall-back notice is said once per process, however many clients there are.
static FELL_BACK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Pacer {
    /// A pacer shared across processes through `file` (when given).
    pub fn new(limits: Limits, file: Option<PathBuf>) -> Self {
        Self { limits, file, local: Mutex::new(Log::default()), notice: None }
    }

    /// Says once (on `log`, as a warning) when pacing falls back to this process only: when
    /// there is no file (`no_file` says why) or the file cannot be used.
    pub(crate) fn noticing(mut self, log: crate::api::log::LogFn, no_file: Option<String>) -> Self {
        self.notice = Some((log, no_file));
        self
    }

    fn fell_back(&self, why: &str) {
        if let Some((log, _)) = &self.notice
            && !FELL_BACK.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            log(
                crate::api::log::LogLevel::Warn,
                &format!("the request pacer cannot share its log ({why}); pacing this process only"),
            );
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Zero when a slot was taken, else how long to wait before asking again.
    pub(crate) fn try_acquire(&self, kind: OpKind) -> Duration {
        let limit = self.limits.of(kind);
        if limit == 0 {
            return Duration::ZERO;
        }
        let now = now_ms();
        match &self.file {
            Some(path) => match take_in_file(path, kind, limit, now) {
                Ok(wait) => return wait,
                Err(e) => self.fell_back(&format!("{}: {e}", path.display())),
            },
            None => {
                if let Some((_, Some(why))) = &self.notice {
                    self.fell_back(why);
                }
            }
        }
        let mut log = self.local.lock().unwrap_or_else(|p| p.into_inner());
        log.take(kind, limit, now)
    }

    /// Waits until a request of this kind may be sent; `on_wait` hears about each wait.
    pub(crate) async fn acquire(&self, kind: OpKind, mut on_wait: impl FnMut(Duration)) {
        loop {
            let wait = self.try_acquire(kind);
            if wait.is_zero() {
                return;
            }
            on_wait(wait);
            tokio::time::sleep(wait).await;
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn take_in_file(path: &PathBuf, kind: OpKind, limit: u32, now: u64) -> std::io::Result<Duration> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file: File = options.open(path)?;
    file.lock()?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let mut log: Log = serde_json::from_str(&text).unwrap_or_default();
    let wait = log.take(kind, limit, now);
    if wait.is_zero() {
        let body = serde_json::to_vec(&log).map_err(std::io::Error::other)?;
        file.seek(SeekFrom::Start(0))?;
        file.set_len(0)?;
        file.write_all(&body)?;
    }
    file.unlock()?;
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_documents() {
        assert_eq!(OpKind::of_document("mutation X { a }"), OpKind::Write);
        assert_eq!(OpKind::of_document("  # c\nmutation X { a }"), OpKind::Write);
        assert_eq!(OpKind::of_document("query X { a }"), OpKind::Read);
        assert_eq!(OpKind::of_document("{ a }"), OpKind::Read);
        assert_eq!(OpKind::of_document("fragment F on X { a }\nmutation M { b { ...F } }"), OpKind::Write);
        assert_eq!(OpKind::of_document("query Q { mutation: a(x: \"mutation\") }"), OpKind::Read);
        assert_eq!(OpKind::of_document("# mutation\nquery { a }"), OpKind::Read);
        assert_eq!(OpKind::of_document("query A { a } mutation B { b }"), OpKind::Write);
    }

    #[test]
    fn sliding_log_allows_limit_then_waits_for_the_oldest() {
        let mut log = Log::default();
        for i in 0..3 {
            assert_eq!(log.take(OpKind::Write, 3, 1_000 + i), Duration::ZERO);
        }
        let wait = log.take(OpKind::Write, 3, 2_000);
        assert_eq!(wait, Duration::from_millis(1_000 + 61_000 - 2_000));
        // Reads are independent of writes.
        assert_eq!(log.take(OpKind::Read, 3, 2_000), Duration::ZERO);
        // Once the oldest leaves the window a slot frees.
        assert_eq!(log.take(OpKind::Write, 3, 1_000 + 61_000), Duration::ZERO);
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        let limit = 5;
        let mut log = Log::default();
        let mut sent = Vec::new();
        let mut now = 0u64;
        while sent.len() < 23 {
            let wait = log.take(OpKind::Write, limit, now);
            if wait.is_zero() {
                sent.push(now);
            } else {
                now += wait.as_millis() as u64;
            }
        }
        for (i, &t) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().filter(|&&u| u < t + 60_000).count();
            assert!(in_window <= limit as usize, "{in_window} requests within a minute of {t}");
        }
    }

    #[test]
    fn file_log_is_shared_between_pacers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pace.json");
        let limits = Limits { reads_per_minute: 2, writes_per_minute: 1 };
        let a = Pacer::new(limits, Some(path.clone()));
        let b = Pacer::new(limits, Some(path));
        assert!(a.try_acquire(OpKind::Write).is_zero());
        assert!(!b.try_acquire(OpKind::Write).is_zero(), "second process must wait");
        assert!(b.try_acquire(OpKind::Read).is_zero());
    }

    #[test]
    fn zero_limit_is_unpaced() {
        let p = Pacer::new(Limits { reads_per_minute: 0, writes_per_minute: 0 }, None);
        for _ in 0..1000 {
            assert!(p.try_acquire(OpKind::Write).is_zero());
        }
    }
}
