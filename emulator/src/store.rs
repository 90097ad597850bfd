//! The data behind one lock, the mutation counter, and the `--state` file.
//!
//! Each mutation works on a copy of the data and swaps it in when it succeeds, so concurrent
//! mutations serialise cleanly and a failed one changes nothing. The GraphQL layer reaches the
//! data only through this type (never through `App`), which keeps `gql` below `app`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::model::Db;

struct Current {
    version: u64,
    db: Arc<Db>,
}

pub(crate) struct Store {
    current: RwLock<Current>,
    /// Mutation fields that ran (successfully or not), per field: `GET /_emulator/stats`.
    applied: Mutex<BTreeMap<String, u64>>,
    state_file: Option<PathBuf>,
    saved_version: tokio::sync::Mutex<u64>,
    tmp_counter: AtomicU64,
}

impl Store {
    pub(crate) fn new(db: Db, state_file: Option<PathBuf>) -> Store {
        Store {
            current: RwLock::new(Current { version: 1, db: Arc::new(db) }),
            applied: Mutex::new(BTreeMap::new()),
            state_file,
            saved_version: tokio::sync::Mutex::new(0),
            tmp_counter: AtomicU64::new(0),
        }
    }

    /// The data as it is now; a request reads one consistent snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Db> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).db.clone()
    }

    /// Apply `f` to a copy of the data and swap it in when it succeeds, so a failed mutation
    /// never leaves partial changes. `field` (a mutation's name) is counted as applied either
    /// way. Returns the data after the call.
    pub(crate) fn commit<T, E>(
        &self,
        field: Option<&str>,
        f: impl FnOnce(&mut Db) -> Result<T, E>,
    ) -> (Arc<Db>, Result<T, E>) {
        if let Some(field) = field {
            *self.applied.lock().unwrap_or_else(|e| e.into_inner()).entry(field.to_string()).or_default() += 1;
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

    pub(crate) fn applied(&self) -> BTreeMap<String, u64> {
        self.applied.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Save the latest data to the state file (if any): write a temp file (mode 0600: it holds
    /// the API tokens) in the same directory, fsync it, rename it over the target, fsync the
    /// directory.
    pub(crate) async fn persist(&self) -> std::io::Result<()> {
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

fn write_atomic(path: &Path, db: &Db, n: u64) -> std::io::Result<()> {
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

pub(crate) fn load_state(path: &Path) -> std::io::Result<Option<Db>> {
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
