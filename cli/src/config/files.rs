//! Private files and directories: created 0700/0600 from the start, written atomically.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Kind, Result};

/// Creates `dir` (and parents) readable only by the user.
pub fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), &e))
}

/// Writes `bytes` to `path` with mode 0600. Never opens an existing file for writing: the
/// content goes to a new temp file in the same directory, which is then renamed over `path`
/// (only when `replace` is true; otherwise an existing `path` is an error and nothing changes).
pub fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !replace && path.exists() {
        return Err(Error::new(Kind::Usage, format!("{} already exists", path.display()))
            .hint("choose another path, or pass --force to replace it"));
    }
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

/// The numeric user ID (for per-user temp directories).
pub fn user_id() -> u32 {
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
