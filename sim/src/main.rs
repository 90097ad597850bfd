//! `twingate-sim`: a stand-in for the Twingate Linux client's headless CLI, for tgctl's tests
//! and benchmarks. It implements the surface `tgctl connect` uses, with the real outputs:
//!
//! - `setup --headless -` (or `--headless=-`, or `--headless FILE`): reads the service key JSON
//!   and stores it with mode 0600 in the state dir.
//! - `start`: forks a background daemon (argv[0] `twingated`, its own process group, no stdio)
//!   that writes its state; returns 0 at once, like the real `start` does even when the daemon
//!   fails later.
//! - `stop`, `status` (one word: `online`, `not-running`, `authenticating`, or what the scenario
//!   says), `resources` (tab-separated), `--version`. There is no `reset` and no `desetup`: the
//!   real client has neither (reference Addendum); an unknown command prints usage, exit 2.
//! - The output of `status`, `resources` and `start`, and where the log goes, follow the
//!   variants of the real client chosen by `TWINGATE_SIM_VARIANT` (see `variant.rs`).
//!
//! Behaviour comes from the environment:
//! - `TWINGATE_SIM_DIR`: state dir (default `$TMPDIR/twingate-sim`).
//! - `TWINGATE_SIM_LOG`: the daemon's log file (default `<dir>/twingated.log`), like
//!   `/var/log/twingated.log` on a machine without systemd.
//! - `TWINGATE_SIM_SCENARIO`: comma-separated directives: `online-after=<ms>` (default 200),
//!   `never`, `flap=<ms>` (authenticating, then online and not-running in turns of <ms>),
//!   `crash-after=<ms>` (the daemon exits; status becomes not-running), `crashes=<n>` (only the
//!   first n starts crash), `weird=<word>`, `start-fails`, `setup-fails`, `leak-log` (the daemon
//!   logs the private key, to test masking), `refused` (the controller refuses the key: the
//!   daemon stays `authenticating` and logs `authentication failed` lines, issue 14 §7),
//!   `listen-after=<ms>` (the userspace daemon's start-up takes <ms> before its HTTP proxy
//!   listens: the real twingated logs its first line about a second after it is started,
//!   journal in pastebin.com/C62kf54t, and the Spacelift wrapper waits "`sleep 12` … increase
//!   if tunnel isn't ready", reference §1.7).
//! - `TWINGATE_SIM_RESOURCES`: `name=address[=alias];...` (default two resources).
//! - `TWINGATE_SIM_API_URL`: emulator mode. The daemon logs in at `<url><login_path>` with the
//!   key (ECDSA P-256 signature over `<key_id>:<timestamp>`) and is `online` only while that
//!   returns 200, checking every second; `resources` lists what the 200 answer lists.
//! - `TWINGATE_SIM_MAX_LIFETIME`: seconds after which a forgotten daemon exits (default 600).
//!
//! Invoked as `twingated` (argv[0], e.g. through a symlink) with `--http-proxy ADDR --tun off`
//! (or `TWINGATE_HTTP_PROXY`/`TWINGATE_TUN=off`), it is the daemon in userspace mode: it runs in
//! the foreground, takes the key from `TWINGATE_SERVICE_KEY` (else from `setup`), logs to
//! stderr as well as the log file, and serves an HTTP CONNECT proxy on ADDR that reaches local
//! listeners only while the key is valid (see `proxy.rs`). It writes the same pid and state files,
//! so `status`, `resources` and `stop` see it.
//!
//! Files in the state dir: `service_key.json` (0600), `twingated.pid`, `state`, `starts`,
//! `events` (`online <epoch ms>` lines, for benchmarks), `status-calls` (one byte per call),
//! `calls` (the argv of every invocation, one per line).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod journal;
mod login;
mod proxy;
mod variant;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const VERSION: &str = "Twingate 2026.190.6704 | 0.193.0";
const KEY_FILE: &str = "service_key.json";
const PID_FILE: &str = "twingated.pid";
const STATE_FILE: &str = "state";
const STOP_FILE: &str = "stop-request";
const STARTS_FILE: &str = "starts";
pub(crate) const RESOURCES_FILE: &str = "resources.tsv";
const DAEMON_ARG: &str = "__daemon";

fn main() -> ExitCode {
    let argv0 = std::env::args().next().unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sim = match Sim::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("twingate-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let first = args.first().map(String::as_str).unwrap_or("");
    let as_daemon = Path::new(&argv0).file_name().is_some_and(|n| n == "twingated") && first != DAEMON_ARG;
    if Path::new(&argv0).file_name().is_some_and(|n| n == "journalctl") {
        return ExitCode::from(journal::run(&sim.dir, &args, sim.max_lifetime));
    }
    // Every invocation's argv, so tests can check what the client was asked (and that no
    // secret ever travelled in argv).
    if first != DAEMON_ARG
        && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(sim.path("calls"))
    {
        let prefix = if as_daemon { "twingated " } else { "" };
        let _ = writeln!(f, "{prefix}{}", args.join(" "));
    }
    let result = match first {
        "--version" | "-V" if as_daemon => {
            println!("{VERSION}");
            Ok(0)
        }
        _ if as_daemon => {
            sim.log_to_stderr = true;
            sim.userspace_daemon(&args)
        }
        "--version" | "-V" | "version" => {
            println!("{VERSION}");
            Ok(0)
        }
        "setup" => sim.setup(&args[1..]),
        "start" => sim.start(),
        "stop" => sim.stop(),
        "status" => sim.status(),
        "resources" => sim.resources(),
        DAEMON_ARG => sim.daemon(),
        _ => {
            // The real client's commands (reference §1.2 and Addendum); `config`, `report`
            // and the service/desktop commands are not simulated.
            eprintln!("Usage: twingate [setup --headless FILE|-] [start|stop|status|resources|config|report|help]");
            Ok(2)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

type Res<T> = Result<T, String>;

#[derive(Debug, Clone, Default)]
struct Scenario {
    /// None: never online.
    online_after: Option<u64>,
    flap: Option<u64>,
    crash_after: Option<u64>,
    crashes: Option<u64>,
    weird: Option<String>,
    start_fails: bool,
    setup_fails: bool,
    leak_log: bool,
    refused: bool,
    /// Userspace daemon: ms of start-up before its HTTP proxy listens.
    listen_after: Option<u64>,
}

impl Scenario {
    fn parse(text: &str) -> Res<Scenario> {
        let mut s = Scenario { online_after: Some(200), ..Scenario::default() };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').map_or((part, None), |(n, v)| (n, Some(v)));
            let ms = || -> Res<u64> {
                value
                    .and_then(|v| v.trim().trim_end_matches("ms").parse().ok())
                    .ok_or_else(|| format!("scenario directive {part:?} needs a number of milliseconds"))
            };
            match name {
                "online-after" => s.online_after = Some(ms()?),
                "never" => s.online_after = None,
                "flap" => s.flap = Some(ms()?.max(1)),
                "crash-after" => s.crash_after = Some(ms()?),
                "crashes" => s.crashes = Some(ms()?),
                "weird" => s.weird = Some(value.unwrap_or("starting").to_owned()),
                "start-fails" => s.start_fails = true,
                "setup-fails" => s.setup_fails = true,
                "leak-log" => s.leak_log = true,
                "refused" => s.refused = true,
                "listen-after" => s.listen_after = Some(ms()?),
                _ => return Err(format!("unknown scenario directive {part:?}")),
            }
        }
        Ok(s)
    }

    /// The status word `t` ms after the daemon started.
    fn state_at(&self, t: u64) -> String {
        if let Some(w) = &self.weird {
            return w.clone();
        }
        if self.refused {
            return "authenticating".to_owned();
        }
        if let Some(p) = self.flap {
            return match t / p {
                0 => "authenticating",
                n if n % 2 == 1 => "online",
                _ => "not-running",
            }
            .to_owned();
        }
        match self.online_after {
            Some(after) if t >= after => "online".to_owned(),
            _ => "authenticating".to_owned(),
        }
    }
}

pub(crate) struct Sim {
    dir: PathBuf,
    log: PathBuf,
    scenario: Scenario,
    variant: variant::Variant,
    api_url: Option<String>,
    max_lifetime: Duration,
    resources: Vec<(String, String, String)>,
    /// The userspace daemon logs to stderr too (the real one logs to its output when run in the
    /// foreground).
    log_to_stderr: bool,
}

impl Sim {
    fn from_env() -> Res<Sim> {
        #[allow(clippy::disallowed_methods)] // the simulated client reads its environment as the real one does
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let dir = var("TWINGATE_SIM_DIR").map_or_else(|| std::env::temp_dir().join("twingate-sim"), PathBuf::from);
        let log = var("TWINGATE_SIM_LOG").map_or_else(|| dir.join("twingated.log"), PathBuf::from);
        let scenario = Scenario::parse(&var("TWINGATE_SIM_SCENARIO").unwrap_or_default())?;
        let variant = variant::Variant::parse(&var("TWINGATE_SIM_VARIANT").unwrap_or_default())?;
        let max_lifetime =
            Duration::from_secs(var("TWINGATE_SIM_MAX_LIFETIME").and_then(|v| v.parse().ok()).unwrap_or(600));
        let resources = match var("TWINGATE_SIM_RESOURCES") {
            Some(spec) => spec
                .split(';')
                .filter(|r| !r.trim().is_empty())
                .map(|r| {
                    let mut f = r.splitn(3, '=').map(|s| s.trim().to_owned());
                    (f.next().unwrap_or_default(), f.next().unwrap_or_default(), f.next().unwrap_or_default())
                })
                .collect(),
            None => vec![
                ("prod-db".to_owned(), "db.prod.internal".to_owned(), String::new()),
                ("k8s-api".to_owned(), "10.20.0.1".to_owned(), "k8s.internal".to_owned()),
            ],
        };
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Sim {
            dir,
            log,
            scenario,
            variant,
            api_url: var("TWINGATE_SIM_API_URL"),
            max_lifetime,
            resources,
            log_to_stderr: false,
        })
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub(crate) fn log(&self, level: &str, message: &str) {
        if let Some(parent) = self.log.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let line = format!("[{}] [{level}] [client] {message}", rfc3339_now());
        // The userspace daemon run in the foreground writes its own output (`log_to_stderr`).
        if self.variant.journal && !self.log_to_stderr {
            journal::append(&self.dir, &line);
        } else if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&self.log) {
            let _ = writeln!(f, "{line}");
        }
        if self.log_to_stderr {
            eprintln!("{line}");
        }
    }

    // ---- commands ------------------------------------------------------------------------

    fn setup(&self, args: &[String]) -> Res<u8> {
        let source = match args {
            [flag, value] if flag == "--headless" => value.clone(),
            [flag] if flag.starts_with("--headless=") => flag["--headless=".len()..].to_owned(),
            _ => {
                eprintln!("Usage: twingate setup --headless <file|->");
                return Ok(2);
            }
        };
        let mut text = String::new();
        if source == "-" {
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
        } else {
            text = std::fs::read_to_string(&source).map_err(|e| format!("cannot read {source}: {e}"))?;
        }
        if self.scenario.setup_fails {
            self.log("ERROR", "headless setup failed: the controller rejected the service key");
            return Err("headless setup failed: the controller rejected the service key".to_owned());
        }
        let key: serde_json::Value =
            serde_json::from_str(text.trim()).map_err(|_| "the service key is not valid JSON".to_owned())?;
        for field in ["network", "service_account_id", "private_key", "key_id"] {
            if key.get(field).and_then(|v| v.as_str()).is_none_or(str::is_empty) {
                return Err(format!("the service key has no {field}"));
            }
        }
        write_file(&self.path(KEY_FILE), text.trim().as_bytes(), 0o600)?;
        let s = |f: &str| key[f].as_str().unwrap_or_default().to_owned();
        self.log("INFO", &format!("Headless mode configured for network {} (key {})", s("network"), s("key_id")));
        if self.scenario.leak_log {
            for line in s("private_key").lines() {
                self.log("DEBUG", &format!("key material: {line}"));
            }
        }
        println!("Twingate has been configured in headless mode.");
        Ok(0)
    }

    fn start(&self) -> Res<u8> {
        if self.daemon_pid().is_some() {
            println!("Twingate is already running.");
            return Ok(0);
        }
        if !self.path(KEY_FILE).exists() {
            return Err("Twingate is not configured; run `twingate setup --headless <file>` first".to_owned());
        }
        if self.scenario.start_fails {
            self.log("ERROR", "failed to start the Twingate service");
            return Err("Failed to start the Twingate service".to_owned());
        }
        let starts = read_number(&self.path(STARTS_FILE)) + 1;
        write_file(&self.path(STARTS_FILE), starts.to_string().as_bytes(), 0o644)?;
        let _ = std::fs::remove_file(self.path(STOP_FILE));
        let _ = std::fs::remove_file(self.path(STATE_FILE));
        let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
        let mut cmd = std::process::Command::new(exe);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.arg0("twingated").process_group(0);
        }
        let child = cmd
            .arg(DAEMON_ARG)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start twingated: {e}"))?;
        write_file(&self.path(PID_FILE), child.id().to_string().as_bytes(), 0o644)?;
        // Not waited for: the daemon outlives this command, like the real one.
        drop(child);
        if self.variant.start == variant::Start::Nonzero {
            // The daemon comes up all the same (variant `start=nonzero`).
            eprintln!("Error: timed out waiting for the Twingate service to start");
            return Ok(1);
        }
        println!("Twingate has been started.");
        Ok(0)
    }

    fn stop(&self) -> Res<u8> {
        let Some(pid) = self.daemon_pid() else {
            let _ = std::fs::remove_file(self.path(PID_FILE));
            println!("Twingate is not running.");
            return Ok(0);
        };
        write_file(&self.path(STOP_FILE), b"stop", 0o644)?;
        let deadline = Instant::now() + Duration::from_secs(3);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if alive(pid) {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = std::fs::remove_file(self.path(PID_FILE));
        let _ = std::fs::remove_file(self.path(STATE_FILE));
        self.log("INFO", "Twingate has been stopped");
        println!("Twingate has been stopped.");
        Ok(0)
    }

    fn status(&self) -> Res<u8> {
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(self.path("status-calls")) {
            let _ = f.write_all(b".");
        }
        let word = match self.daemon_pid() {
            None => "not-running".to_owned(),
            Some(_) => std::fs::read_to_string(self.path(STATE_FILE))
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "authenticating".to_owned()),
        };
        print!("{}", self.variant.status_text(&word));
        Ok(0)
    }

    fn resources(&self) -> Res<u8> {
        let online = self.daemon_pid().is_some()
            && std::fs::read_to_string(self.path(STATE_FILE)).is_ok_and(|s| s.trim() == "online");
        if !online {
            return Err("Twingate is not running".to_owned());
        }
        let rows = match std::fs::read_to_string(self.path(RESOURCES_FILE)) {
            Ok(text) if self.api_url.is_some() => text,
            _ => self.resources.iter().map(|(n, a, al)| format!("{n}\t{a}\t{al}\t-\n")).collect(),
        };
        print!("{}", self.variant.resources_text(&rows));
        Ok(0)
    }

    // ---- the daemon ----------------------------------------------------------------------

    /// The daemon's pid, when one is alive.
    fn daemon_pid(&self) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.path(PID_FILE)).ok()?.trim().parse().ok()?;
        alive(pid).then_some(pid)
    }

    fn owns_pid_file(&self, me: u32) -> bool {
        std::fs::read_to_string(self.path(PID_FILE)).is_ok_and(|s| s.trim() == me.to_string())
    }

    fn daemon(&self) -> Res<u8> {
        let key: Option<serde_json::Value> =
            std::fs::read_to_string(self.path(KEY_FILE)).ok().and_then(|t| serde_json::from_str(&t).ok());
        self.run_daemon(key, None)
    }

    /// `twingated --http-proxy ADDR --tun off`: the daemon in the foreground, in userspace mode.
    fn userspace_daemon(&self, args: &[String]) -> Res<u8> {
        #[allow(clippy::disallowed_methods)] // the simulated client reads its environment as the real one does
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let opts = match proxy::Options::parse(args, var) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("twingated: {e}\nUsage: twingated --http-proxy HOST:PORT --tun off");
                return Ok(2);
            }
        };
        if opts.tun {
            self.log("ERROR", "TUN mode needs root and /dev/net/tun (simulated: only --tun off is supported)");
            return Ok(1);
        }
        // A daemon run without root needs a writable runtime dir (reference Addendum).
        if self.variant.runtime_dir_required || !is_root() {
            let ok = var("XDG_RUNTIME_DIR").is_some_and(|d| writable_dir(Path::new(&d)));
            if !ok {
                self.log(
                    "ERROR",
                    "XDG_RUNTIME_DIR is not set or not a writable directory; cannot create the control socket",
                );
                return Ok(1);
            }
        }
        let Some(addr) = opts.http_proxy else {
            eprintln!("twingated: --http-proxy HOST:PORT (or TWINGATE_HTTP_PROXY) is required with --tun off");
            return Ok(2);
        };
        if self.daemon_pid().is_some() {
            self.log("ERROR", "another twingated is running");
            return Ok(1);
        }
        // The key: TWINGATE_SERVICE_KEY (raw JSON, or base64 of it), else what setup stored.
        let key = match var("TWINGATE_SERVICE_KEY") {
            Some(text) => Some(parse_key_text(&text).ok_or("TWINGATE_SERVICE_KEY is not a service key")?),
            None => std::fs::read_to_string(self.path(KEY_FILE)).ok().and_then(|t| serde_json::from_str(&t).ok()),
        };
        let starts = read_number(&self.path(STARTS_FILE)) + 1;
        write_file(&self.path(STARTS_FILE), starts.to_string().as_bytes(), 0o644)?;
        let _ = std::fs::remove_file(self.path(STOP_FILE));
        let _ = std::fs::remove_file(self.path(STATE_FILE));
        let shared = std::sync::Arc::new(proxy::Shared::default());
        let log_sim =
            Sim { log_to_stderr: true, scenario: Scenario::default(), resources: Vec::new(), ..self.shallow() };
        let logger: proxy::Logger = std::sync::Arc::new(move |level: &str, message: &str| log_sim.log(level, message));
        // `crash-after=0`: the daemon dies at start-up, before its proxy listens.
        if self.scenario.crash_after == Some(0) && self.scenario.crashes.is_none_or(|n| starts <= n) {
            self.log("ERROR", "fatal: cannot start (simulated crash at start-up); exiting");
            return Ok(1);
        }
        if let Some(ms) = self.scenario.listen_after {
            self.log("INFO", "Starting Twingate Client");
            let until = Instant::now() + Duration::from_millis(ms);
            while Instant::now() < until {
                if self.path(STOP_FILE).exists() || !self.dir.exists() {
                    return Ok(0);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        match proxy::serve(&addr, shared.clone(), logger) {
            Ok(local) => self.log("INFO", &format!("HTTP proxy listening on {local} (tun off)")),
            Err(e) => {
                self.log("ERROR", &e);
                return Ok(1);
            }
        }
        self.run_daemon(key, Some(shared))
    }

    /// A copy that shares paths and settings (for the proxy threads' logger).
    fn shallow(&self) -> Sim {
        Sim {
            dir: self.dir.clone(),
            log: self.log.clone(),
            scenario: self.scenario.clone(),
            variant: self.variant.clone(),
            api_url: self.api_url.clone(),
            max_lifetime: self.max_lifetime,
            resources: self.resources.clone(),
            log_to_stderr: self.log_to_stderr,
        }
    }

    fn run_daemon(&self, key: Option<serde_json::Value>, proxy: Option<std::sync::Arc<proxy::Shared>>) -> Res<u8> {
        let me = std::process::id();
        let started = Instant::now();
        let starts = read_number(&self.path(STARTS_FILE));
        write_file(&self.path(PID_FILE), me.to_string().as_bytes(), 0o644)?;
        self.log("INFO", &format!("Starting Twingate Client (simulated, pid {me})"));
        let key = key.ok_or("no headless configuration")?;
        self.log(
            "INFO",
            &format!(
                "Using service key {} for network {}",
                key["key_id"].as_str().unwrap_or("?"),
                key["network"].as_str().unwrap_or("?")
            ),
        );
        if proxy.is_some() && self.scenario.leak_log {
            for line in key["private_key"].as_str().unwrap_or_default().lines() {
                self.log("DEBUG", &format!("key material: {line}"));
            }
        }
        let crash = self.scenario.crash_after.filter(|_| self.scenario.crashes.is_none_or(|n| starts <= n));
        let mut login = self.api_url.as_ref().map(|url| login::Login::new(url, &key));
        let mut last = String::new();
        let mut refused_logged: Option<Instant> = None;
        loop {
            let exit = |sim: &Sim, code: u8| -> Res<u8> {
                if sim.owns_pid_file(me) {
                    let _ = std::fs::remove_file(sim.path(PID_FILE));
                    let _ = std::fs::remove_file(sim.path(STATE_FILE));
                }
                Ok(code)
            };
            if self.path(STOP_FILE).exists() {
                let _ = std::fs::remove_file(self.path(STOP_FILE));
                self.log("INFO", "Stopping Twingate Client");
                return exit(self, 0);
            }
            if !self.dir.exists() || !self.owns_pid_file(me) || started.elapsed() > self.max_lifetime {
                return exit(self, 0);
            }
            let t = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if proxy.is_none() && self.variant.start == variant::Start::TunFails && t >= 30 {
                // `start` said 0; the daemon cannot bring up TUN and exits (reference §1.4, PR #84).
                self.log("ERROR", "Failed to create the TUN device sdwan0: Operation not permitted (os error 1)");
                self.log("ERROR", "fatal: the tunnel could not be set up; exiting");
                return exit(self, 1);
            }
            if self.scenario.refused && refused_logged.is_none_or(|l| l.elapsed() >= Duration::from_secs(1)) {
                refused_logged = Some(Instant::now());
                self.log("ERROR", "authentication failed: the controller refused the service key (HTTP 401)");
            }
            if crash.is_some_and(|after| t >= after) {
                self.log("ERROR", "fatal: the tunnel went away (simulated crash); exiting");
                return exit(self, 1);
            }
            let state = match &mut login {
                Some(l) => l.state(self),
                None => self.scenario.state_at(t),
            };
            if state != last {
                if let Some(shared) = &proxy {
                    if let Ok(mut s) = shared.state.lock() {
                        s.clone_from(&state);
                    }
                    shared.online.store(state == "online", std::sync::atomic::Ordering::Release);
                }
                write_file(&self.path(STATE_FILE), state.as_bytes(), 0o644)?;
                self.log("INFO", &format!("sdwan_state: {state}"));
                if state == "online"
                    && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(self.path("events"))
                {
                    let _ = writeln!(f, "online {}", epoch_ms());
                }
                last = state;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2)) == Some("0"))
}

fn writable_dir(dir: &Path) -> bool {
    let probe = dir.join(format!(".twingate-sim-{}", std::process::id()));
    let ok = dir.is_dir() && std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(probe);
    ok
}

/// True when `pid` is a live (not zombie) `twingated` process.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, Some('Z' | 'X') | None) {
        return false;
    }
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        let argv0 = c.split(|b| *b == 0).next().unwrap_or_default();
        argv0 == b"twingated" || argv0.ends_with(b"/twingated")
    })
}

/// A service key given as raw JSON or base64 of it.
fn parse_key_text(text: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let t = text.trim();
    if t.starts_with('{') {
        return serde_json::from_str(t).ok();
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn read_number(path: &Path) -> u64 {
    std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

/// Writes atomically (temp file + rename) with `mode`.
pub(crate) fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Res<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

fn epoch_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

fn rfc3339_now() -> String {
    let ms = epoch_ms();
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+00:00", rem / 3_600, rem % 3_600 / 60, rem % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_parse_and_drive_the_state() {
        let s = Scenario::parse("online-after=100").unwrap();
        assert_eq!(s.state_at(50), "authenticating");
        assert_eq!(s.state_at(100), "online");
        assert_eq!(Scenario::parse("never").unwrap().state_at(1_000_000), "authenticating");
        let f = Scenario::parse("flap=10").unwrap();
        assert_eq!(
            [f.state_at(5), f.state_at(15), f.state_at(25), f.state_at(35)],
            ["authenticating", "online", "not-running", "online"]
        );
        assert_eq!(Scenario::parse("weird=Connecting").unwrap().state_at(1), "Connecting");
        let c = Scenario::parse("crash-after=50,crashes=1,online-after=10").unwrap();
        assert_eq!((c.crash_after, c.crashes, c.online_after), (Some(50), Some(1), Some(10)));
        assert_eq!(Scenario::parse("listen-after=30000").unwrap().listen_after, Some(30000));
        assert!(Scenario::parse("bogus").is_err());
        assert!(Scenario::parse("online-after=soon").is_err());
    }

    #[test]
    fn log_times_look_like_rfc3339() {
        let t = rfc3339_now();
        assert_eq!(t.len(), "2026-01-01T00:00:00.000+00:00".len(), "{t}");
        assert!(t.starts_with("20"));
    }
}
