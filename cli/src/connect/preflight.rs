//! Preflight: what every client needs of the machine (privileges, the TUN device,
//! CAP_NET_ADMIN), each failure with its remedy; a provider adds its own (its binary, an
//! install). Machine paths are read under `TGCTL_SYSROOT` (default `/`), so tests can fake a
//! machine without a TUN device or without CAP_NET_ADMIN.

use std::path::PathBuf;
use std::time::Duration;

use super::process::{Runner, which};
use crate::config::env::{self, Env};
use crate::error::{Error, Kind, Result};

/// CAP_NET_ADMIN's bit in the capability masks of /proc/<pid>/status.
const CAP_NET_ADMIN: u32 = 12;

/// The machine as seen through the sysroot.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) root: PathBuf,
}

impl Machine {
    pub(crate) fn from_env(env: &Env) -> Self {
        Self { root: PathBuf::from(env.get(env::TGCTL_SYSROOT).unwrap_or("/")) }
    }

    /// An absolute machine path under the sysroot.
    pub(crate) fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    pub(crate) fn has_systemd(&self) -> bool {
        self.path("/run/systemd/system").is_dir()
    }
}

pub(crate) fn failed(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::new(Kind::ClientFailed, format!("preflight: {}", message.into())).hint(hint.into())
}

/// Root, or passwordless sudo (then privileged client commands run through `sudo -n`).
pub(crate) async fn privileges(env: &Env) -> Result<Runner> {
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

/// TUN device, CAP_NET_ADMIN.
pub(crate) fn machine_checks(machine: &Machine, root: bool) -> Result<()> {
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
}
