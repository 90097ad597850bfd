//! Acting as a client's systemd notify socket: a unix datagram socket in a private (0700)
//! directory, named to the child in `NOTIFY_SOCKET`, on which we wait for `READY=1`. No
//! polling: the wait ends the moment the datagram arrives (firezone-headless-client sends it
//! once its tunnel interface is configured, reference notes §4.3).

use std::path::{Path, PathBuf};

use crate::config::private_dir;
use crate::error::{Error, Result};

/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

/// The listening socket; its directory is removed when it is dropped.
#[derive(Debug)]
pub(crate) struct NotifySocket {
    dir: PathBuf,
    path: PathBuf,
    socket: tokio::net::UnixDatagram,
}

/// What the client said before (and with) `READY=1`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notified {
    /// The last `STATUS=` text, if any.
    pub(crate) status: Option<String>,
    pub(crate) messages: u32,
}

impl NotifySocket {
    /// Binds `notify.sock` in a new private directory under `parent` (or under the temp dir when
    /// that path would be too long for a unix socket).
    pub(crate) fn bind(parent: &Path) -> Result<Self> {
        let unique = format!("fz-notify-{}-{:08x}", std::process::id(), fastrand::u32(..));
        let mut dir = parent.join(&unique);
        if dir.join("notify.sock").as_os_str().len() > MAX_SOCKET_PATH {
            dir = std::env::temp_dir().join(&unique);
        }
        private_dir(&dir)?;
        let path = dir.join("notify.sock");
        let socket = tokio::net::UnixDatagram::bind(&path).map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            Error::io(format!("creating the notify socket {}", path.display()), &e)
        })?;
        Ok(Self { dir, path, socket })
    }

    /// The socket's path, for `NOTIFY_SOCKET`.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The private directory holding it (recorded so `disconnect` can remove a leftover one).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Waits for a datagram carrying `READY=1`, keeping the last `STATUS=` seen on the way.
    pub(crate) async fn ready(&self, seen: &mut Notified) -> std::io::Result<()> {
        let mut buf = vec![0u8; 4096];
        loop {
            let n = self.socket.recv(&mut buf).await?;
            seen.messages += 1;
            let text = String::from_utf8_lossy(&buf[..n]);
            let mut ready = false;
            for line in text.lines().map(str::trim) {
                if line == "READY=1" {
                    ready = true;
                } else if let Some(status) = line.strip_prefix("STATUS=") {
                    seen.status = Some(status.to_owned());
                }
            }
            if ready {
                return Ok(());
            }
        }
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_ready_and_keeps_the_status() {
        let parent = tempfile::tempdir().unwrap();
        let sock = NotifySocket::bind(parent.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(sock.dir()).unwrap().permissions().mode() & 0o777, 0o700);
        let client = std::os::unix::net::UnixDatagram::unbound().unwrap();
        client.send_to(b"STATUS=Connecting", sock.path()).unwrap();
        client.send_to(b"WATCHDOG=1", sock.path()).unwrap();
        client.send_to(b"STATUS=Tunnel up\nREADY=1\n", sock.path()).unwrap();
        let mut seen = Notified::default();
        tokio::time::timeout(std::time::Duration::from_secs(5), sock.ready(&mut seen)).await.unwrap().unwrap();
        assert_eq!(seen.messages, 3);
        assert_eq!(seen.status.as_deref(), Some("Tunnel up"));
        let dir = sock.dir().to_owned();
        drop(sock);
        assert!(!dir.exists());
    }

    #[test]
    fn long_parents_fall_back_to_the_temp_dir() {
        let parent = tempfile::tempdir().unwrap();
        let deep = parent.path().join("x".repeat(120));
        std::fs::create_dir_all(&deep).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sock = rt.block_on(async { NotifySocket::bind(&deep) }).unwrap();
        assert!(sock.path().as_os_str().len() <= MAX_SOCKET_PATH);
    }
}
