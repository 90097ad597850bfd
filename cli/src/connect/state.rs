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
