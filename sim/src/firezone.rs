//! `firezone-sim`: a stand-in for `firezone-headless-client`, for tgctl's tests and benchmarks.
//! It behaves as the reference notes (§4.2, §4.3) describe the real client:
//!
//! - The token comes from `FIREZONE_TOKEN` in the environment. A token that also appears in argv
//!   is refused (exit 1): tgctl must never put it there. No token: exit 1.
//! - `FIREZONE_ID` and `FIREZONE_NAME` are recorded (the real client registers with them).
//! - Readiness is a systemd notification: once "the tunnel is up" it sends `READY=1` to the
//!   datagram socket named by `NOTIFY_SOCKET` (after a `STATUS=` message at start).
//! - Any error prints an error chain to stderr and exits 1: a rejected token (`Caused by: ...
//!   401 Unauthorized`), or `Firezone disconnected`. SIGTERM/SIGINT end it.
//! - `--version`, and `--check` (validates the configuration: 0 or 1, no connection).
//! - Logs go to stdout, as the real client's do without `LOG_DIR`.
//!
//! Scenarios, from `FIREZONE_SIM_SCENARIO` (comma-separated): `ready-after=<ms>` (default 200),
//! `never` (never ready), `crash-after=<ms>` (exit 1, "Firezone disconnected"), `bad-token`
//! (the portal rejects the token after 50 ms), `leak-log` (logs the token, to test masking).
//! `FIREZONE_SIM_VALID_TOKEN`: when set, any other token is rejected like `bad-token`.
//!
//! Files in `FIREZONE_SIM_DIR` (default `$TMPDIR/firezone-sim`): `calls` (argv of every run,
//! one per line), `env` (`FIREZONE_ID=`, `FIREZONE_NAME=`, `NOTIFY_SOCKET=`, `TOKEN=present`
//! lines of the last run; never the token), `client.pid`, `events` (`ready <epoch ms>`, written
//! just before `READY=1` is sent, for benchmarks). `FIREZONE_SIM_MAX_LIFETIME`: seconds after
//! which a forgotten client exits (default 600).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const VERSION: &str = "firezone-headless-client 1.5.12";

#[derive(Debug, Default)]
struct Scenario {
    ready_after: Option<u64>,
    crash_after: Option<u64>,
    bad_token: bool,
    leak_log: bool,
}

impl Scenario {
    fn parse(text: &str) -> Result<Self, String> {
        let mut s = Scenario { ready_after: Some(200), ..Scenario::default() };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').map_or((part, None), |(n, v)| (n, Some(v)));
            let ms = || -> Result<u64, String> {
                value
                    .and_then(|v| v.trim().trim_end_matches("ms").parse().ok())
                    .ok_or_else(|| format!("scenario directive {part:?} needs a number of milliseconds"))
            };
            match name {
                "ready-after" => s.ready_after = Some(ms()?),
                "never" => s.ready_after = None,
                "crash-after" => s.crash_after = Some(ms()?),
                "bad-token" => s.bad_token = true,
                "leak-log" => s.leak_log = true,
                _ => return Err(format!("unknown scenario directive {part:?}")),
            }
        }
        Ok(s)
    }
}

#[allow(clippy::disallowed_methods)] // the simulated client reads its environment as the real one does
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

fn log(line: &str) {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    println!("{secs:.6} INFO firezone_headless_client: {line}");
    let _ = std::io::stdout().flush();
}

/// The error chain the real client prints (anyhow's `{:?}`), and exit 1.
fn fail(message: &str, causes: &[&str]) -> ExitCode {
    let mut text = format!("Error: {message}\n");
    if !causes.is_empty() {
        text.push_str("\nCaused by:\n");
        for (i, c) in causes.iter().enumerate() {
            text.push_str(&format!("    {i}: {c}\n"));
        }
    }
    eprint!("{text}");
    ExitCode::from(1)
}

fn append(path: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

/// `sd_notify`: one datagram to `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket).
fn notify(message: &str) -> std::io::Result<()> {
    let Some(target) = var("NOTIFY_SOCKET") else { return Ok(()) };
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    if let Some(name) = target.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        sock.send_to_addr(message.as_bytes(), &addr)?;
    } else {
        sock.send_to(message.as_bytes(), &target)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = var("FIREZONE_SIM_DIR").map_or_else(|| std::env::temp_dir().join("firezone-sim"), PathBuf::from);
    let _ = std::fs::create_dir_all(&dir);
    append(&dir.join("calls"), &args.join(" "));
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("{VERSION}");
        return ExitCode::SUCCESS;
    }
    let scenario = match Scenario::parse(&var("FIREZONE_SIM_SCENARIO").unwrap_or_default()) {
        Ok(s) => s,
        Err(e) => return fail(&e, &[]),
    };
    let Some(token) = var("FIREZONE_TOKEN") else {
        return fail("Token not found", &["FIREZONE_TOKEN is not set and /etc/dev.firezone.client/token is missing"]);
    };
    if args.iter().any(|a| a.contains(token.as_str())) {
        return fail("refusing to run: the token was passed in argv", &["argv is visible to every process"]);
    }
    let firezone_id = var("FIREZONE_ID");
    let name = var("FIREZONE_NAME");
    let env_text = format!(
        "FIREZONE_ID={}\nFIREZONE_NAME={}\nNOTIFY_SOCKET={}\nTOKEN=present\n",
        firezone_id.as_deref().unwrap_or_default(),
        name.as_deref().unwrap_or_default(),
        var("NOTIFY_SOCKET").unwrap_or_default()
    );
    let _ = std::fs::write(dir.join("env"), env_text);
    if args.iter().any(|a| a == "--check") {
        return ExitCode::SUCCESS;
    }
    let _ = std::fs::write(dir.join("client.pid"), std::process::id().to_string());

    let started = Instant::now();
    log(&format!("{VERSION} starting; firezone_id={}", firezone_id.as_deref().unwrap_or("(generated)")));
    if scenario.leak_log {
        log(&format!("debug: using token {token}"));
    }
    let _ = notify("STATUS=Connecting to the portal");
    let rejected = scenario.bad_token || var("FIREZONE_SIM_VALID_TOKEN").is_some_and(|v| v != token);
    if rejected {
        std::thread::sleep(Duration::from_millis(50));
        log("portal connection failed");
        return fail(
            "Failed to connect to the portal",
            &["Failed to join the `client` topic", "Invalid or expired token: 401 Unauthorized"],
        );
    }
    let max_lifetime =
        Duration::from_secs(var("FIREZONE_SIM_MAX_LIFETIME").and_then(|v| v.parse().ok()).unwrap_or(600));
    let mut ready = false;
    loop {
        let t = started.elapsed();
        let ms = t.as_millis() as u64;
        if scenario.crash_after.is_some_and(|c| ms >= c) {
            log("portal connection lost");
            return fail("Firezone disconnected", &[]);
        }
        if !ready && scenario.ready_after.is_some_and(|r| ms >= r) {
            log("Tunnel ready");
            append(&dir.join("events"), &format!("ready {}", now_ms()));
            if let Err(e) = notify("READY=1") {
                log(&format!("sd_notify failed: {e}"));
            }
            ready = true;
        }
        if t >= max_lifetime {
            log("maximum lifetime reached; exiting");
            return ExitCode::SUCCESS;
        }
        // Wake exactly when the next event is due (or every second).
        let next = [scenario.crash_after, if ready { None } else { scenario.ready_after }]
            .into_iter()
            .flatten()
            .filter(|&e| e > ms)
            .min()
            .map_or(1_000, |e| e - ms)
            .min(1_000);
        std::thread::sleep(Duration::from_millis(next.max(1)));
    }
}
