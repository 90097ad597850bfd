//! `connect.json` in the state dir: what connect did, so that `disconnect` undoes exactly that.
//! Written (mode 0600) before each step, so that a connect that dies half-way still leaves an
//! accurate record. Never holds the key itself.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::provider::ClientResource;
use crate::config::{self, Env, write_private_file};
use crate::error::{Error, Kind, Result};

pub const FILE_NAME: &str = "connect.json";

/// A key minted for this connection (revoked and deleted by `disconnect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintedKey {
    /// The Admin API ID of the key.
    pub id: String,
    pub name: String,
    pub service_account_id: String,
}

/// Firezone: the client tgctl runs itself, and its identity in the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirezoneState {
    /// `FIREZONE_ID` given to the client: its client record is deleted by `disconnect`.
    pub firezone_id: String,
    pub name: String,
    /// The client's process group (its pid).
    pub client_pid: u32,
    /// The client's stdout and stderr (0600, removed by `disconnect`).
    pub client_log: PathBuf,
    /// The private directory of the notify socket, while it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectState {
    pub version: u32,
    pub provider: String,
    pub client_bin: PathBuf,
    /// Privileged client commands were run through `sudo -n`.
    pub sudo: bool,
    /// We ran `setup` (so the client holds our key and `disconnect` removes it).
    pub ran_setup: bool,
    /// We ran `start` (so `disconnect` stops the client).
    pub ran_start: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted_key: Option<MintedKey>,
    /// The key's `key_id` and expiry, from the key document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// connecting, online, failed.
    pub status: String,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_at: Option<Timestamp>,
    /// The tgctl process that connected.
    pub tgctl_pid: u32,
    /// Process groups we spawned that may outlive their leader (`twingate start`'s, the
    /// command's); `disconnect` ends whatever is left in them.
    #[serde(default)]
    pub pids: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_pid: Option<u32>,
    pub log: String,
    #[serde(default)]
    pub resources: Vec<ClientResource>,
    /// Set for `provider: firezone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firezone: Option<FirezoneState>,
    /// `tun` or `proxy` (absent: tun, from before proxy mode existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Proxy mode: the daemon's HTTP proxy (`127.0.0.1:PORT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// Forwards served by a background `tgctl forward` (its process group is in `pids`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forwards: Vec<ForwardRecord>,
    /// Log files of ours (the proxy daemon's output, the forwarder's), removed by `disconnect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<PathBuf>,
}

/// A forward that `connect --forward` started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardRecord {
    /// `127.0.0.1:PORT`.
    pub listen: String,
    pub target: String,
    pub pid: u32,
}

impl ConnectState {
    pub fn new(provider: &str, client_bin: &Path, sudo: bool, log: String) -> Self {
        Self {
            version: 1,
            provider: provider.to_owned(),
            client_bin: client_bin.to_owned(),
            sudo,
            ran_setup: false,
            ran_start: false,
            minted_key: None,
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
        }
    }

    /// True when there is nothing left to undo.
    pub fn is_empty(&self) -> bool {
        !self.ran_setup
            && !self.ran_start
            && self.minted_key.is_none()
            && self.pids.is_empty()
            && self.firezone.is_none()
    }
}

/// The state file's path (the state dir is created 0700 if needed).
pub fn path(env: &Env) -> Result<PathBuf> {
    Ok(config::state_dir(env)?.join(FILE_NAME))
}

pub fn load(path: &Path) -> Result<Option<ConnectState>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::new(Kind::Config, format!("{} is not a connect state file: {e}", path.display()))
                .hint("remove it once you have stopped the client yourself (`twingate stop`)")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), &e)),
    }
}

pub fn save(path: &Path, state: &ConnectState) -> Result<()> {
    let text = serde_json::to_vec_pretty(state).map_err(|e| Error::internal(format!("cannot encode state: {e}")))?;
    write_private_file(path, &text, true)
}

pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("removing {}", path.display()), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let mut s =
            ConnectState::new("twingate", Path::new("/usr/bin/twingate"), false, "/var/log/twingated.log".into());
        assert!(s.is_empty());
        s.ran_setup = true;
        s.minted_key = Some(MintedKey { id: "k".into(), name: "n".into(), service_account_id: "sa".into() });
        save(&p, &s).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load(&p).unwrap().unwrap(), s);
        remove(&p).unwrap();
        remove(&p).unwrap();
        assert!(load(&p).unwrap().is_none());
    }
}
