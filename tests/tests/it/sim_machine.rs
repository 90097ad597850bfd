//! A fake machine for the reliability tests (secret hygiene, signals): a sysroot with a TUN
//! device and CAP_NET_ADMIN, the simulated client on PATH as `twingate`, private config and
//! state dirs, and optionally the emulator as the Admin API (its simulated client then logs in
//! to it with the key).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common::*;
use crate::emulator::Emulator;

pub struct SimMachine {
    pub dir: TempDir,
    env: Vec<(String, String)>,
}

impl SimMachine {
    /// A machine whose client behaves as `scenario` says; with `emu`, tgctl and the client's
    /// login use the emulator, else there is no API (`TGCTL_API_URL` points nowhere).
    pub fn new(scenario: &str, emu: Option<&Emulator>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for d in ["root/dev/net", "root/proc/self", "root/var/log", "sim", "bin", "config", "state", "work"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(root.join("dev/net/tun"), "").unwrap();
        std::fs::write(
            root.join("proc/self/status"),
            "Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n",
        )
        .unwrap();
        // `twingate` for the CLI, `twingated` for the daemon proxy mode starts directly.
        for name in ["twingate", "twingated"] {
            std::os::unix::fs::symlink(bin(SIM_BIN), dir.path().join("bin").join(name)).unwrap();
        }
        let path = format!("{}:{}", dir.path().join("bin").display(), host_env("PATH").unwrap_or_default());
        let p = |rel: &str| dir.path().join(rel).to_string_lossy().into_owned();
        let mut env = vec![
            ("PATH".to_owned(), path),
            ("HOME".to_owned(), p("work")),
            ("TGCTL_CONFIG_DIR".to_owned(), p("config")),
            ("TGCTL_STATE_DIR".to_owned(), p("state")),
            ("TGCTL_NO_KEYRING".to_owned(), "1".to_owned()),
            ("TGCTL_READS_PER_MINUTE".to_owned(), "0".to_owned()),
            ("TGCTL_WRITES_PER_MINUTE".to_owned(), "0".to_owned()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
            ("TGCTL_SYSROOT".to_owned(), p("root")),
            ("TWINGATE_SIM_DIR".to_owned(), p("sim")),
            ("TWINGATE_SIM_LOG".to_owned(), p("root/var/log/twingated.log")),
            ("TWINGATE_SIM_SCENARIO".to_owned(), scenario.to_owned()),
            ("TWINGATE_SIM_MAX_LIFETIME".to_owned(), "120".to_owned()),
            // Inherited by everything tgctl starts: how the tests find this machine's processes.
            ("TGCTL_TEST_MACHINE".to_owned(), dir.path().to_string_lossy().into_owned()),
        ];
        match emu {
            Some(emu) => {
                env.push(("TGCTL_API_URL".to_owned(), emu.var("TGCTL_API_URL")));
                env.push(("TWINGATE_API_TOKEN".to_owned(), emu.var("TWINGATE_API_TOKEN")));
                env.push(("TWINGATE_SIM_API_URL".to_owned(), emu.var("TGCTL_EMULATOR_URL")));
            }
            None => env.push(("TGCTL_API_URL".to_owned(), "http://127.0.0.1:9/api/graphql/".to_owned())),
        }
        Self { dir, env }
    }

    /// One more variable in tgctl's environment (and so its children's).
    pub fn with_env(mut self, k: &str, v: &str) -> Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// The same machine with `firezone-sim` as the client (`--provider firezone` through
    /// `TGCTL_PROVIDER`), in `fzsim/`, behaving as `scenario` says; no Firezone API.
    pub fn firezone(scenario: &str) -> Self {
        let m = Self::new("", None);
        std::fs::create_dir_all(m.path("fzsim")).unwrap();
        let fzsim = m.path("fzsim").to_string_lossy().into_owned();
        m.with_env("TGCTL_PROVIDER", "firezone")
            .with_env("TGCTL_FIREZONE_BIN", bin("firezone-sim").to_str().unwrap())
            .with_env("FIREZONE_SIM_DIR", &fzsim)
            .with_env("FIREZONE_SIM_SCENARIO", scenario)
            .with_env("FIREZONE_SIM_MAX_LIFETIME", "60")
            .with_env("FIREZONE_API_URL", "http://127.0.0.1:9")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn state_file(&self) -> PathBuf {
        self.path("state/connect.json")
    }

    /// The key store of the simulated client (0600 while it holds a key).
    pub fn client_key_store(&self) -> PathBuf {
        self.path("sim/service_key.json")
    }

    /// tgctl with this machine's environment, stdin closed.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin("tgctl"));
        c.env_clear().stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        run_blocking(c, None).await
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        run_blocking(c, None).await
    }

    pub async fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.cmd();
        c.args(args);
        run_blocking(c, Some(stdin.to_owned())).await
    }

    /// A 0600 key file under work/.
    pub fn key_file(&self, name: &str, json: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path("work").join(name);
        std::fs::write(&p, json).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// `twingate status` as the simulated client says it.
    pub fn client_status(&self) -> String {
        let out = Command::new(bin(SIM_BIN))
            .env_clear()
            .env("TWINGATE_SIM_DIR", self.path("sim"))
            .env("TWINGATE_SIM_LOG", self.path("root/var/log/twingated.log"))
            .arg("status")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn daemon_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.path("sim/twingated.pid")).ok()?.trim().parse().ok()
    }

    /// The argv of every client invocation so far.
    pub fn client_calls(&self) -> String {
        std::fs::read_to_string(self.path("sim/calls")).unwrap_or_default()
    }

    /// Waits until `cond` holds (or panics after `secs`).
    pub fn wait_for(&self, what: &str, secs: u64, cond: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !cond(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Nothing of a connection is left: no client process, no state file. The client keeps the
    /// key its `setup` stored, in its own 0600 store: it has no command to remove it (reference
    /// Addendum: no `reset`, no `desetup`).
    #[track_caller]
    pub fn all_undone(&self) {
        assert_eq!(self.client_status(), "not-running", "the client is still running");
        if self.client_key_store().exists() {
            assert_eq!(file_mode(&self.client_key_store()), 0o600, "the client's key store");
        }
        assert!(!self.state_file().exists(), "the state file was left");
        if let Some(pid) = self.daemon_pid() {
            assert!(!alive(pid), "daemon {pid} is still running");
        }
    }
}

/// Every regular file under `dir` (symlinks not followed).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_symlink() {
            continue;
        }
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Alive and not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !matches!(s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next()), Some('Z' | 'X') | None)
    })
}

/// Live processes (not zombies) started, directly or not, by this machine's tgctl runs (they
/// carry its `TGCTL_TEST_MACHINE` in their environment), with their argv.
pub fn processes_of(machine: &SimMachine) -> Vec<(u32, String)> {
    let marker = format!("TGCTL_TEST_MACHINE={}\0", machine.dir.path().display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if String::from_utf8_lossy(&environ).contains(&marker) && alive(pid) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            out.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    out
}

/// The machine's client processes (`twingate*` or `firezone*` in argv).
pub fn daemons_of(machine: &SimMachine) -> Vec<u32> {
    processes_of(machine)
        .into_iter()
        .filter(|(_, argv)| argv.contains("twingate") || argv.contains("firezone"))
        .map(|(pid, _)| pid)
        .collect()
}
