//! `connect.json` in the state dir: what connect did, so that `disconnect` undoes exactly that.
//! Written (mode 0600) before each step, so that a connect that dies half-way still leaves an
//! accurate record. Never holds the key itself.
//!
//! [`State`] is the one way in: it finds the state dir, creates, loads, saves and removes the
//! file. Nothing else in tgctl opens `connect.json`, so rules about it (permissions, locking,
//! what may be trusted in it) are kept here.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::client::ClientResource;
use crate::config::{self, Env, write_private_file};
use crate::error::{Error, Kind, Result};

pub(crate) const FILE_NAME: &str = "connect.json";
/// The state dir's connect lock (an exclusive `flock` on the directory), held from connect's
/// check for an existing connection to its end, until dropped. Opened close-on-exec, so the
/// client and daemons never inherit it.
#[derive(Debug)]
pub(crate) struct StateLock {
    _file: std::fs::File,
}

/// The record of one connection and the file it lives in.
#[derive(Debug)]
pub(crate) struct State {
    path: PathBuf,
    record: ConnectState,
}

impl State {
    /// The state file of this user (the state dir is created 0700 if needed).
    pub(crate) fn path_in(env: &Env) -> Result<PathBuf> {
        Ok(config::state_dir(env)?.join(FILE_NAME))
    }

    /// Takes the state dir's connect lock, or refuses: two `connect`s (or a `disconnect` during
    /// a `connect`) never work on the same state at once (issue 15, item 2). Without it, a
    /// second `connect --mint` overwrote the first's record, leaving a live daemon and an
    /// ACTIVE key recorded nowhere.
    pub(crate) fn lock(env: &Env) -> Result<StateLock> {
        use std::os::unix::fs::OpenOptionsExt;
        // The lock is on the state dir itself (flock works on directories): no lock file to
        // leave behind or to race on when removing it.
        let dir = config::state_dir(env)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
            .open(&dir)
            .map_err(|e| Error::io(format!("opening {}", dir.display()), &e))?;
        match file.try_lock() {
            Ok(()) => Ok(StateLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::usage(
                "another tgctl connect is working on this connection",
            )
            .hint("wait for it to finish, then `tgctl disconnect`; parallel jobs need their own TGCTL_STATE_DIR")),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(format!("locking {}", dir.display()), &e)),
        }
    }

    /// The recorded connection, if there is one.
    pub(crate) fn load(env: &Env) -> Result<Option<State>> {
        Self::load_at(&Self::path_in(env)?)
    }

    pub(crate) fn load_at(path: &Path) -> Result<Option<State>> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                serde_json::from_str(&text).map(|record| Some(State { path: path.to_owned(), record })).map_err(|e| {
                    Error::new(Kind::Config, format!("{} is not a connect state file: {e}", path.display()))
                        .hint("remove it once you have stopped the client yourself (`twingate stop`)")
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), &e)),
        }
    }

    /// A new record for a connection about to be made; nothing is written until [`Self::save`].
    pub(crate) fn create(env: &Env, record: ConnectState) -> Result<State> {
        Ok(State { path: Self::path_in(env)?, record })
    }

    /// Writes the record (0600, atomically replacing the previous one).
    pub(crate) fn save(&self) -> Result<()> {
        let text = serde_json::to_vec_pretty(&self.record)
            .map_err(|e| Error::internal(format!("cannot encode state: {e}")))?;
        write_private_file(&self.path, &text, true)
    }

    /// Removes the file: nothing is left to undo.
    pub(crate) fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("removing {}", self.path.display()), &e)),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Records a process group we spawned that may outlive its leader (`disconnect` ends what
    /// is left in it). Not saved until [`Self::save`].
    pub(crate) fn record_group(&mut self, pgid: u32) {
        if !self.record.pids.contains(&pgid) {
            self.record.pids.push(pgid);
        }
        if let Some(t) = super::process::start_time(pgid) {
            self.record.start_times.insert(pgid, t);
        }
    }

    /// True when process group `pgid` is still the one this connection started, so that
    /// `disconnect` may signal it (issue 15, item 5): its leader has the start time recorded
    /// with it. A group whose leader is gone is still ours (Linux never gives a new process the
    /// ID of a process group that still exists); a leader with another start time, or none
    /// recorded, is someone else's process that reuses the PID.
    pub(crate) fn still_ours(&self, pgid: u32) -> bool {
        match super::process::start_time(pgid) {
            None => true,
            Some(now) => self.record.start_times.get(&pgid) == Some(&now),
        }
    }

    /// Removes a file this connection made: only a regular file (not a link) directly in the
    /// state dir, owned by this user. A path in the state naming anything else is left alone
    /// (issue 15, item 1): the state must never make tgctl delete what it did not create.
    pub(crate) fn remove_own_file(&self, path: &Path) -> bool {
        self.is_own(path, |m| m.file_type().is_file()) && std::fs::remove_file(path).is_ok()
    }

    /// Removes a directory this connection made (`prefix`: how its name starts), directly in the
    /// state dir or the temp dir, owned by this user and not a link.
    pub(crate) fn remove_own_dir(&self, path: &Path, prefix: &str) -> bool {
        let named = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix));
        let parent_ok = path.parent().is_some_and(|p| p == self.dir() || p == std::env::temp_dir());
        named && parent_ok && Self::owned(path, |m| m.file_type().is_dir()) && std::fs::remove_dir_all(path).is_ok()
    }

    fn is_own(&self, path: &Path, kind: impl Fn(&std::fs::Metadata) -> bool) -> bool {
        path.parent() == Some(self.dir()) && Self::owned(path, kind)
    }

    fn owned(path: &Path, kind: impl Fn(&std::fs::Metadata) -> bool) -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path)
            .is_ok_and(|m| kind(&m) && !m.file_type().is_symlink() && m.uid() == nix::unistd::geteuid().as_raw())
    }

    /// The state dir, where the files of this connection (logs, sockets) go.
    pub(crate) fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

impl std::ops::Deref for State {
    type Target = ConnectState;

    fn deref(&self) -> &ConnectState {
        &self.record
    }
}

impl std::ops::DerefMut for State {
    fn deref_mut(&mut self) -> &mut ConnectState {
        &mut self.record
    }
}

/// A key minted for this connection (revoked and deleted by `disconnect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MintedKey {
    /// The Admin API ID of the key.
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) service_account_id: String,
}

/// Firezone: the client tgctl runs itself, and its identity in the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FirezoneState {
    /// `FIREZONE_ID` given to the client: its client record is deleted by `disconnect`.
    pub(crate) firezone_id: String,
    pub(crate) name: String,
    /// The client's process group (its pid).
    pub(crate) client_pid: u32,
    /// The client's stdout and stderr (0600, removed by `disconnect`).
    pub(crate) client_log: PathBuf,
    /// The private directory of the notify socket, while it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notify_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectState {
    pub(crate) version: u32,
    pub(crate) provider: String,
    pub(crate) client_bin: PathBuf,
    /// Privileged client commands were run through `sudo -n`.
    pub(crate) sudo: bool,
    /// We ran `setup` (so the client holds our key and `disconnect` removes it).
    pub(crate) ran_setup: bool,
    /// We ran `start` (so `disconnect` stops the client).
    pub(crate) ran_start: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) minted_key: Option<MintedKey>,
    /// `--broker`: the lease `disconnect` releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) broker_lease: Option<crate::connect::broker::BrokerLease>,
    /// The key's `key_id` and expiry, from the key document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network: Option<String>,
    /// connecting, online, failed.
    pub(crate) status: String,
    pub(crate) started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) online_at: Option<Timestamp>,
    /// The tgctl process that connected.
    pub(crate) tgctl_pid: u32,
    /// Process groups we spawned that may outlive their leader (`twingate start`'s, the
    /// command's); `disconnect` ends whatever is left in them.
    #[serde(default)]
    pub(crate) pids: Vec<u32>,
    /// The start time (`/proc/PID/stat` field 22) of each group's leader when it was recorded:
    /// `disconnect` signals a group only while its leader is that same process.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) start_times: std::collections::BTreeMap<u32, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) command_pid: Option<u32>,
    pub(crate) log: String,
    #[serde(default)]
    pub(crate) resources: Vec<ClientResource>,
    /// Set for `provider: firezone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) firezone: Option<FirezoneState>,
    /// `tun` or `proxy` (absent: tun, from before proxy mode existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network_mode: Option<String>,
    /// Proxy mode: the daemon's HTTP proxy (`127.0.0.1:PORT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) proxy: Option<String>,
    /// Forwards served by a background `tgctl forward` (its process group is in `pids`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) forwards: Vec<ForwardRecord>,
    /// Log files of ours (the proxy daemon's output, the forwarder's), removed by `disconnect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) logs: Vec<PathBuf>,
    /// `--docker-dns`: what was changed in the Docker daemon's daemon.json, put back by `disconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) docker_dns: Option<serde_json::Value>,
}

/// A forward that `connect --forward` started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ForwardRecord {
    /// `127.0.0.1:PORT`.
    pub(crate) listen: String,
    pub(crate) target: String,
    pub(crate) pid: u32,
}

impl ConnectState {
    pub(crate) fn new(provider: &str, client_bin: &Path, sudo: bool, log: String) -> Self {
        Self {
            version: 1,
            provider: provider.to_owned(),
            client_bin: client_bin.to_owned(),
            sudo,
            ran_setup: false,
            ran_start: false,
            minted_key: None,
            broker_lease: None,
            key_id: None,
            key_expires_at: None,
            network: None,
            status: "connecting".to_owned(),
            started_at: Timestamp::now(),
            online_at: None,
            tgctl_pid: std::process::id(),
            pids: Vec::new(),
            start_times: std::collections::BTreeMap::new(),
            command_pid: None,
            log,
            resources: Vec::new(),
            firezone: None,
            network_mode: None,
            proxy: None,
            forwards: Vec::new(),
            logs: Vec::new(),
            docker_dns: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::default().with(crate::config::env::TGCTL_STATE_DIR, dir.path().to_str().unwrap());
        let p = dir.path().join(FILE_NAME);
        let record =
            ConnectState::new("twingate", Path::new("/usr/bin/twingate"), false, "/var/log/twingated.log".into());
        let mut s = State::create(&env, record).unwrap();
        assert_eq!(s.path(), p);
        s.ran_setup = true;
        s.minted_key = Some(MintedKey { id: "k".into(), name: "n".into(), service_account_id: "sa".into() });
        s.save().unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(*State::load(&env).unwrap().unwrap(), *s);
        s.remove().unwrap();
        s.remove().unwrap();
        assert!(State::load_at(&p).unwrap().is_none());
    }
}
