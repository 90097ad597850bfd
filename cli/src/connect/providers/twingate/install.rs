//! The Twingate client on this machine: finding `twingate`, its log, and the documented apt
//! install (`connect --install`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::env::{self, Env};
use crate::connect::logs::LogSource;
use crate::connect::preflight::{Machine, failed};
use crate::connect::process::{Runner, which};
use crate::error::{Error, Result};

pub(crate) const APT_KEY_URL: &str = "https://packages.twingate.com/apt/gpg.key";
pub(crate) const APT_KEYRING: &str = "/usr/share/keyrings/twingate-client-keyring.gpg";
pub(crate) const APT_LIST: &str = "/etc/apt/sources.list.d/twingate.list";
pub(crate) const INSTALL_HINT: &str = "install it with `tgctl connect --install ...` (Debian/Ubuntu: the signed apt repository), or `curl -fsSL https://binaries.twingate.com/client/linux/install.sh | sudo bash`; or point --client-bin / TGCTL_TWINGATE_BIN at it";

/// Where the client logs: the journal under systemd, else `/var/log/twingated.log`.
pub(crate) fn log_source(machine: &Machine) -> LogSource {
    if machine.has_systemd() {
        LogSource::Journal { unit: "twingate".to_owned() }
    } else {
        LogSource::File(machine.path("/var/log/twingated.log"))
    }
}

/// The client binary: --client-bin, TGCTL_TWINGATE_BIN, else `twingate` on PATH.
pub(crate) fn find_client(env: &Env, flag: Option<&Path>) -> Result<PathBuf> {
    let (wanted, source) = match (flag, env.get(env::TGCTL_TWINGATE_BIN)) {
        (Some(p), _) => (p.to_string_lossy().into_owned(), "--client-bin"),
        (None, Some(p)) => (p.to_owned(), "TGCTL_TWINGATE_BIN"),
        (None, None) => ("twingate".to_owned(), "PATH"),
    };
    match which(&wanted, env.get(env::PATH)) {
        Some(p) => Ok(p),
        None if source == "PATH" => {
            Err(failed("the Twingate client (`twingate`) is not installed (not found on PATH)", INSTALL_HINT))
        }
        None => Err(failed(
            format!("the client binary {wanted} ({source}) does not exist or is not executable"),
            INSTALL_HINT,
        )),
    }
}

/// The documented apt installation: the signed repository key into /usr/share/keyrings, the
/// list line, then `apt-get install -y twingate`.
pub(crate) async fn install(env: &Env, runner: &Runner, machine: &Machine, log: &dyn Fn(&str)) -> Result<()> {
    let path_var = env.get(env::PATH);
    let Some(apt) = which("apt-get", path_var) else {
        return Err(failed(
            "--install needs apt-get (Debian or Ubuntu)",
            "install the client yourself: `curl -fsSL https://binaries.twingate.com/client/linux/install.sh | sudo bash`",
        ));
    };
    let key_url = env.get(env::TGCTL_TWINGATE_APT_KEY_URL).unwrap_or(APT_KEY_URL);
    log(&format!("Downloading the Twingate apt key from {key_url}"));
    let armored = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::internal(format!("cannot build an HTTP client: {e}")))?
        .get(key_url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(format!("cannot download {key_url}: {e}"), "check the network, then retry"))?
        .bytes()
        .await
        .map_err(|e| failed(format!("cannot download {key_url}: {e}"), "check the network, then retry"))?;
    if !armored.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        return Err(failed(
            format!("{key_url} did not return an armored PGP key"),
            "retry later, or install the client yourself",
        ));
    }
    let long = Duration::from_secs(600);
    let keyring = machine.path(APT_KEYRING);
    if runner.sudo.is_none() {
        for dir in
            [keyring.parent(), machine.path(APT_LIST).parent().map(Path::to_path_buf).as_deref()].into_iter().flatten()
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), &e))?;
        }
    }
    let keyring_str = keyring.to_string_lossy().into_owned();
    let gpg = which("gpg", path_var);
    let keyring_used = match gpg {
        Some(gpg) => {
            let out = runner
                .run(&gpg, &["--batch", "--yes", "--dearmor", "-o", &keyring_str], Some(&armored), long, true)
                .await
                .map_err(|e| failed(format!("gpg --dearmor: {e}"), "install gnupg, or install the client yourself"))?;
            if !out.success() {
                return Err(failed(format!("gpg --dearmor failed: {}", out.text()), "install the client yourself"));
            }
            keyring_str
        }
        None => {
            // apt reads an armored key directly when the file name ends in .asc.
            let asc = keyring.with_extension("asc");
            write_privileged(runner, &asc, &armored).await?;
            asc.to_string_lossy().into_owned()
        }
    };
    let line = format!("deb [signed-by={keyring_used}] https://packages.twingate.com/apt/ * *\n");
    write_privileged(runner, &machine.path(APT_LIST), line.as_bytes()).await?;
    log("Running apt-get update (the Twingate repository only) and apt-get install -y twingate");
    let list_opt = format!("Dir::Etc::sourcelist={}", machine.path(APT_LIST).display());
    let steps: [Vec<&str>; 2] = [
        vec!["update", "-o", &list_opt, "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"],
        vec!["install", "-y", "--no-install-recommends", "twingate"],
    ];
    let apt_str = apt.to_string_lossy().into_owned();
    for args in steps {
        // Through `env`, so the setting survives sudo's environment reset.
        let mut full = vec!["DEBIAN_FRONTEND=noninteractive", apt_str.as_str()];
        full.extend_from_slice(&args);
        let out = runner
            .run(Path::new("env"), &full, None, long, true)
            .await
            .map_err(|e| failed(format!("apt-get {}: {e}", args[0]), "install the client yourself"))?;
        if !out.success() {
            let text = out.text();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(5)..];
            return Err(failed(
                format!("apt-get {} failed: {}", args[0], tail.join(" / ")),
                "install the client yourself",
            ));
        }
    }
    Ok(())
}

async fn write_privileged(runner: &Runner, path: &Path, bytes: &[u8]) -> Result<()> {
    match &runner.sudo {
        None => std::fs::write(path, bytes).map_err(|e| Error::io(format!("writing {}", path.display()), &e)),
        Some(_) => {
            let p = path.to_string_lossy();
            let out = runner
                .run(Path::new("tee"), &[p.as_ref()], Some(bytes), Duration::from_secs(30), true)
                .await
                .map_err(|e| failed(format!("writing {p}: {e}"), "install the client yourself"))?;
            if out.success() {
                Ok(())
            } else {
                Err(failed(format!("writing {p}: {}", out.stderr.trim()), "install the client yourself"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn log_source_follows_systemd() {
        let d = tempfile::tempdir().unwrap();
        let m = Machine { root: d.path().to_owned() };
        assert_eq!(log_source(&m), LogSource::File(d.path().join("var/log/twingated.log")));
        std::fs::create_dir_all(d.path().join("run/systemd/system")).unwrap();
        assert!(matches!(log_source(&m), LogSource::Journal { .. }));
    }

    #[test]
    fn client_lookup_names_its_source() {
        let env = Env::default().with(env::PATH, "/nonexistent");
        let e = find_client(&env, None).unwrap_err();
        assert_eq!(e.kind, Kind::ClientFailed);
        assert!(e.hint.unwrap().contains("--install"));
        let env = env.with(env::TGCTL_TWINGATE_BIN, "/nonexistent/twingate");
        assert!(find_client(&env, None).unwrap_err().message.contains("TGCTL_TWINGATE_BIN"));
        assert_eq!(find_client(&env, Some(Path::new("/bin/sh"))).unwrap(), PathBuf::from("/bin/sh"));
    }
}
