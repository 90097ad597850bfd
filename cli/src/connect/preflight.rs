//! Preflight: everything that can be checked before the client is touched, each failure with
//! its remedy. Machine paths are read under `TGCTL_SYSROOT` (default `/`), so tests can fake a
//! machine without a TUN device or without CAP_NET_ADMIN.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::logs::LogSource;
use super::process::{Runner, which};
use crate::config::env::{self, Env};
use crate::error::{Error, Kind, Result};

/// CAP_NET_ADMIN's bit in the capability masks of /proc/<pid>/status.
const CAP_NET_ADMIN: u32 = 12;

pub const APT_KEY_URL: &str = "https://packages.twingate.com/apt/gpg.key";
pub const APT_KEYRING: &str = "/usr/share/keyrings/twingate-client-keyring.gpg";
pub const APT_LIST: &str = "/etc/apt/sources.list.d/twingate.list";
pub const INSTALL_HINT: &str = "install it with `tgctl connect --install ...` (Debian/Ubuntu: the signed apt repository), or `curl -fsSL https://binaries.twingate.com/client/linux/install.sh | sudo bash`; or point --client-bin / TGCTL_TWINGATE_BIN at it";

/// The machine as seen through the sysroot.
#[derive(Debug, Clone)]
pub struct Machine {
    pub root: PathBuf,
}

impl Machine {
    pub fn from_env(env: &Env) -> Self {
        Self { root: PathBuf::from(env.get(env::TGCTL_SYSROOT).unwrap_or("/")) }
    }

    /// An absolute machine path under the sysroot.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    pub fn has_systemd(&self) -> bool {
        self.path("/run/systemd/system").is_dir()
    }

    pub fn log_source(&self) -> LogSource {
        if self.has_systemd() {
            LogSource::Journal { unit: "twingate".to_owned() }
        } else {
            LogSource::File(self.path("/var/log/twingated.log"))
        }
    }
}

/// What preflight found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub client_bin: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    pub root: bool,
    pub sudo: bool,
    pub systemd: bool,
    pub log: String,
    pub installed: bool,
}

pub(crate) fn failed(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::new(Kind::ClientFailed, format!("preflight: {}", message.into())).hint(hint.into())
}

/// Root, or passwordless sudo (then privileged client commands run through `sudo -n`).
pub async fn privileges(env: &Env) -> Result<Runner> {
    if nix::unistd::geteuid().is_root() {
        return Ok(Runner::new(None));
    }
    let Some(sudo) = which("sudo", env.get(env::PATH)) else {
        return Err(failed(
            "not running as root, and sudo is not installed",
            "run tgctl as root, or install sudo and allow this user passwordless sudo",
        ));
    };
    let ok = Runner::new(None).run(&sudo, &["-n", "true"], None, Duration::from_secs(10), false).await;
    match ok {
        Ok(out) if out.success() => Ok(Runner::new(Some(sudo))),
        _ => Err(failed(
            "not running as root, and `sudo -n true` fails (sudo wants a password)",
            "run tgctl as root, or allow this user passwordless sudo (e.g. `user ALL=(ALL) NOPASSWD: ALL` in /etc/sudoers.d)",
        )),
    }
}

/// The client binary: --client-bin, TGCTL_TWINGATE_BIN, else `twingate` on PATH.
pub fn find_client(env: &Env, flag: Option<&Path>) -> Result<PathBuf> {
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

/// TUN device, CAP_NET_ADMIN.
pub fn machine_checks(machine: &Machine, root: bool) -> Result<()> {
    let tun = machine.path("/dev/net/tun");
    if !tun.exists() {
        return Err(failed(
            "/dev/net/tun does not exist: the client cannot create its tunnel",
            "in Docker, run with `--device /dev/net/tun --cap-add NET_ADMIN`; on a VM, load the module (`modprobe tun`); in Kubernetes, mount /dev/net/tun and add the NET_ADMIN capability",
        ));
    }
    let status = machine.path("/proc/self/status");
    if let Ok(text) = std::fs::read_to_string(&status) {
        // As root the client gets our effective set; through sudo, at most our bounding set.
        let field = if root { "CapEff" } else { "CapBnd" };
        if let Some(mask) = capability_mask(&text, field)
            && mask & (1 << CAP_NET_ADMIN) == 0
        {
            return Err(failed(
                format!("CAP_NET_ADMIN is missing ({field} {mask:016x}): the client cannot configure its tunnel"),
                "in Docker, add `--cap-add NET_ADMIN`; in Kubernetes, add NET_ADMIN to securityContext.capabilities.add (AWS Fargate cannot)",
            ));
        }
    }
    Ok(())
}

fn capability_mask(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == field).then(|| u64::from_str_radix(v.trim(), 16).ok()).flatten()
    })
}

/// The documented apt installation: the signed repository key into /usr/share/keyrings, the
/// list line, then `apt-get install -y twingate`.
pub async fn install(env: &Env, runner: &Runner, machine: &Machine, log: &dyn Fn(&str)) -> Result<()> {
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

    fn fake_machine(tun: bool, cap_eff: &str) -> (tempfile::TempDir, Machine) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("dev/net")).unwrap();
        std::fs::create_dir_all(dir.path().join("proc/self")).unwrap();
        if tun {
            std::fs::write(dir.path().join("dev/net/tun"), "").unwrap();
        }
        std::fs::write(
            dir.path().join("proc/self/status"),
            format!("Name:\ttgctl\nCapEff:\t{cap_eff}\nCapBnd:\t000001ffffffffff\n"),
        )
        .unwrap();
        let m = Machine { root: dir.path().to_owned() };
        (dir, m)
    }

    #[test]
    fn tun_and_capability_are_checked_with_remedies() {
        let (_d, m) = fake_machine(true, "0000000000001000");
        machine_checks(&m, true).unwrap();
        let (_d, m) = fake_machine(false, "0000000000001000");
        let e = machine_checks(&m, true).unwrap_err();
        assert_eq!(e.kind, Kind::ClientFailed);
        assert!(e.message.contains("/dev/net/tun") && e.hint.unwrap().contains("--device /dev/net/tun"));
        let (_d, m) = fake_machine(true, "0000000000000000");
        let e = machine_checks(&m, true).unwrap_err();
        assert!(e.message.contains("CAP_NET_ADMIN") && e.hint.unwrap().contains("NET_ADMIN"));
        // Through sudo, the bounding set is what counts.
        machine_checks(&m, false).unwrap();
    }

    #[test]
    fn log_source_follows_systemd() {
        let (d, m) = fake_machine(true, "0");
        assert_eq!(m.log_source(), LogSource::File(d.path().join("var/log/twingated.log")));
        std::fs::create_dir_all(d.path().join("run/systemd/system")).unwrap();
        assert!(matches!(m.log_source(), LogSource::Journal { .. }));
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
