//! Private files and directories: created 0700/0600 from the start, written atomically.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Kind, Result};

/// Creates `dir` (and parents) readable only by the user.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), &e))
}

/// Checks that `dir` is a directory of this user that no one else can write to, looking at the
/// directory itself (opened with `O_NOFOLLOW`, checked with `fstat`): a symbolic link, another
/// user's directory or one others may write to is refused (issue 15, item 1). On a shared
/// machine another user can create `$TMPDIR/tgctl-<uid>` first and fill it with a crafted state.
pub(crate) fn verify_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let shown = dir.display();
        let hint = "remove it, or set TGCTL_STATE_DIR to a directory of your own (mode 0700)";
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
            .open(dir)
            .map_err(|e| {
                let is_link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
                if is_link {
                    Error::new(
                        Kind::Config,
                        format!(
                            "the state dir {shown} is a symbolic link; tgctl only uses a real directory of its own"
                        ),
                    )
                    .hint(hint)
                } else {
                    Error::io(format!("opening the state dir {shown}"), &e)
                }
            })?;
        let meta = file.metadata().map_err(|e| Error::io(format!("checking the state dir {shown}"), &e))?;
        let me = nix::unistd::geteuid().as_raw();
        if meta.uid() != me {
            return Err(Error::new(
                Kind::Config,
                format!(
                    "the state dir {shown} belongs to uid {}, not to you (uid {me}); another user may have made it",
                    meta.uid()
                ),
            )
            .hint(hint));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(Error::new(
                Kind::Config,
                format!("the state dir {shown} is writable by other users (mode {:o})", meta.mode() & 0o7777),
            )
            .hint(format!("chmod 700 {shown}, or set TGCTL_STATE_DIR to a directory of your own")));
        }
    }
    Ok(())
}

/// Checks what is at `path` before a secret is made for it (issue 15, items 6 and 16), so a key
/// is never minted for a file it cannot go to: nothing there is fine; a regular file (or a link
/// to one) needs `replace`; a dangling link, a directory, a FIFO, a device or a socket is refused
/// even with --force (renaming over a device node would replace it with a regular file).
pub(crate) fn check_secret_target(path: &Path, replace: bool) -> Result<()> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("checking {shown}"), &e)),
    };
    let exists = || {
        Err(Error::new(Kind::Usage, format!("{shown} already exists"))
            .hint("choose another path, or pass --force to replace it"))
    };
    let target = if meta.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(target) => target,
            Err(_) => {
                let to = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
                return Err(Error::usage(format!("{shown} is a symbolic link to {to:?}, which does not exist"))
                    .hint("remove the link or choose another path"));
            }
        }
    } else {
        meta
    };
    if target.is_file() {
        return if replace { Ok(()) } else { exists() };
    }
    let what = file_kind(&target.file_type());
    Err(Error::usage(format!(
        "{shown} is {what}, not a regular file; a secret is only written to a new or regular file"
    ))
    .hint("choose a file path; to print the secret on stdout, leave the file option out or pass -"))
}

fn file_kind(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() { "a directory" } else { "not a regular file" }
}

/// Writes `bytes` to `path` with mode 0600. Never opens an existing file for writing: the
/// content goes to a new temp file in the same directory, which is then renamed over `path`
/// (only when `replace` is true; otherwise an existing `path` is an error and nothing changes).
pub(crate) fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    check_secret_target(path, replace)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), fastrand::u32(..)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if replace {
            std::fs::rename(&tmp, path)
        } else {
            // hard_link fails if `path` appeared meanwhile: never clobber.
            std::fs::hard_link(&tmp, path).and_then(|()| std::fs::remove_file(&tmp))
        }
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return Err(Error::new(Kind::Usage, format!("{} already exists", path.display()))
                .hint("choose another path, or pass --force to replace it"));
        }
        return Err(Error::io(format!("writing {}", path.display()), &e));
    }
    Ok(())
}

/// Takes the exclusive lock of a config dir (`.lock`, 0600), held until the file is dropped:
/// every read-modify-write of config.toml and credentials.toml happens under it (issue 15,
/// item 11). Blocks while another tgctl holds it; the lock goes with the process.
pub(crate) fn lock_dir(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join(".lock");
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(nix::libc::O_NOFOLLOW);
    }
    let file = options.open(&path).map_err(|e| Error::io(format!("opening the lock {}", path.display()), &e))?;
    file.lock().map_err(|e| Error::io(format!("locking {}", path.display()), &e))?;
    Ok(file)
}

/// The numeric user ID (for per-user temp directories).
pub(crate) fn user_id() -> u32 {
    #[cfg(unix)]
    {
        nix::unistd::getuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_directories_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        private_dir(&nested).unwrap();
        assert_eq!(std::fs::metadata(&nested).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_dangling_links_and_special_files() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("missing/key.json"), &link).unwrap();
        assert!(check_secret_target(&link, true).unwrap_err().message.contains("does not exist"));
        assert!(check_secret_target(Path::new("/dev/null"), true).unwrap_err().message.contains("character device"));
        assert!(check_secret_target(dir.path(), true).unwrap_err().message.contains("directory"));
        assert!(check_secret_target(&dir.path().join("new"), false).is_ok());
    }

    #[test]
    fn refuses_to_overwrite_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        write_private_file(&path, b"one", false).unwrap();
        let err = write_private_file(&path, b"two", false).unwrap_err();
        assert!(err.message.contains("already exists"));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_private_file(&path, b"two", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp files left behind");
    }
}
