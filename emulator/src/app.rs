//! Shared server state: the data (one lock), stats, faults, rate limits and persistence.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gql::{ApiSchema, build_schema};
use crate::model::{Db, Level};

/// Why a mutation did not apply.
#[derive(Debug)]
pub enum MutErr {
    /// A GraphQL error (e.g. a malformed ID): the whole field fails.
    Gql(async_graphql::Error),
    /// A business error: `{ok: false, error}`.
    Biz(String),
}

impl From<async_graphql::Error> for MutErr {
    fn from(e: async_graphql::Error) -> Self {
        MutErr::Gql(e)
    }
}

pub fn biz<T>(msg: impl Into<String>) -> Result<T, MutErr> {
    Err(MutErr::Biz(msg.into()))
}

struct Current {
    version: u64,
    db: Arc<Db>,
}

#[derive(Default, Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub requests: u64,
    pub reads: u64,
    pub writes: u64,
    pub rate_limited: u64,
    pub applied: BTreeMap<String, u64>,
    pub invitations: u64,
    pub logins: u64,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Status,
    Latency,
    Drop,
    Truncate,
    NonJson,
    Html,
    SlowAfterApply,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FaultOn {
    Read,
    Write,
    #[default]
    Any,
}

/// One fault rule (see docs/emulator.md).
#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub kind: FaultKind,
    #[serde(default)]
    pub status: Option<u16>,
    /// Sent as the `Retry-After` header with `status`; a string or a number.
    #[serde(default)]
    pub retry_after: Option<serde_json::Value>,
    #[serde(default)]
    pub ms: Option<u64>,
    /// How many matching requests it applies to; 0 = every one until cleared. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub on: FaultOn,
    /// Only requests whose operation has this root field.
    #[serde(default)]
    pub operation: Option<String>,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    pub fn retry_after_header(&self) -> Option<String> {
        match &self.retry_after {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Per-token sliding 60-second windows.
#[derive(Default)]
pub struct RateLimiter {
    pub reads_per_minute: u32,
    pub writes_per_minute: u32,
    windows: HashMap<(String, bool), VecDeque<Instant>>,
}

pub const WINDOW: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// Admit a request (recording it) or return the seconds until a slot frees.
    pub fn admit(&mut self, token: &str, write: bool, now: Instant) -> Result<(), u64> {
        let limit = if write { self.writes_per_minute } else { self.reads_per_minute };
        if limit == 0 {
            return Ok(());
        }
        let window = self.windows.entry((token.to_string(), write)).or_default();
        while window.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            let oldest = *window.front().unwrap_or(&now);
            let wait = (oldest + WINDOW).saturating_duration_since(now);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        window.push_back(now);
        Ok(())
    }
}

pub struct App {
    current: RwLock<Current>,
    pub schema: ApiSchema,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub limits: Mutex<RateLimiter>,
    pub state_file: Option<PathBuf>,
    saved_version: tokio::sync::Mutex<u64>,
    tmp_counter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    pub fn new(db: Db, state_file: Option<PathBuf>, reads: u32, writes: u32) -> Arc<App> {
        Arc::new(App {
            current: RwLock::new(Current { version: 1, db: Arc::new(db) }),
            schema: build_schema(),
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(Vec::new()),
            limits: Mutex::new(RateLimiter {
                reads_per_minute: reads,
                writes_per_minute: writes,
                windows: HashMap::new(),
            }),
            state_file,
            saved_version: tokio::sync::Mutex::new(0),
            tmp_counter: AtomicU64::new(0),
        })
    }

    pub fn snapshot(&self) -> Arc<Db> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).db.clone()
    }

    /// Apply `f` to a copy of the data and swap it in when it succeeds, so a failed mutation
    /// never leaves partial changes. Returns the data after the call.
    pub fn commit<T>(
        &self,
        field: Option<&str>,
        f: impl FnOnce(&mut Db) -> Result<T, MutErr>,
    ) -> (Arc<Db>, Result<T, MutErr>) {
        if let Some(field) = field {
            *lock(&self.stats).applied.entry(field.to_string()).or_default() += 1;
        }
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        let mut work: Db = (*cur.db).clone();
        match f(&mut work) {
            Ok(v) => {
                cur.db = Arc::new(work);
                cur.version += 1;
                (cur.db.clone(), Ok(v))
            }
            Err(e) => (cur.db.clone(), Err(e)),
        }
    }

    pub fn token_level(&self, token: &str) -> Option<Level> {
        self.snapshot().api_tokens.get(token).copied()
    }

    pub fn stats(&self) -> Stats {
        let mut s = lock(&self.stats).clone();
        s.invitations = self.snapshot().invitations.len() as u64;
        s
    }

    pub fn with_stats(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut lock(&self.stats));
    }

    /// Take the first fault rule matching this request, counting it down.
    pub fn take_fault(&self, write: bool, root_fields: &[String]) -> Option<FaultRule> {
        let mut faults = lock(&self.faults);
        let idx = faults.iter().position(|r| {
            let on = match r.on {
                FaultOn::Any => true,
                FaultOn::Read => !write,
                FaultOn::Write => write,
            };
            on && r.operation.as_ref().is_none_or(|op| root_fields.iter().any(|f| f == op))
        })?;
        let rule = faults[idx].clone();
        if rule.count == 1 {
            faults.remove(idx);
        } else if rule.count > 1 {
            faults[idx].count -= 1;
        }
        Some(rule)
    }

    /// Save the latest data to the state file (if any): write a temp file in the same
    /// directory, fsync it, rename it over the target, fsync the directory.
    pub async fn persist(&self) -> std::io::Result<()> {
        let Some(path) = self.state_file.clone() else { return Ok(()) };
        let mut saved = self.saved_version.lock().await;
        let (version, db) = {
            let cur = self.current.read().unwrap_or_else(|e| e.into_inner());
            (cur.version, cur.db.clone())
        };
        if version <= *saved {
            return Ok(());
        }
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || write_atomic(&path, &db, n)).await.map_err(std::io::Error::other)??;
        *saved = version;
        Ok(())
    }
}

/// A new file that only its owner can read: the state holds the provision-level API token.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Write the temp file 0600 (it holds the API tokens), fsync, rename over `path`, fsync the dir.
pub fn write_atomic(path: &Path, db: &Db, n: u64) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(db).map_err(std::io::Error::other)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn load_state(path: &Path) -> std::io::Result<Option<Db>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("state file {} is not valid: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let mut rl = RateLimiter { reads_per_minute: 2, writes_per_minute: 1, ..Default::default() };
        let t0 = Instant::now();
        assert!(rl.admit("t", false, t0).is_ok());
        assert!(rl.admit("t", false, t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(rl.admit("t", false, t0 + Duration::from_secs(20)), Err(40));
        assert!(rl.admit("t", false, t0 + Duration::from_secs(60)).is_ok());
        assert!(rl.admit("t", true, t0).is_ok());
        assert_eq!(rl.admit("t", true, t0 + Duration::from_millis(59_500)), Err(1));
        assert!(rl.admit("u", true, t0).is_ok());
    }
}
