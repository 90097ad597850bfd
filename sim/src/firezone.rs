//! `firezone-sim`: a stand-in for `firezone-headless-client`, for tgctl's tests and benchmarks.
//! It behaves as the reference notes (§4.2, §4.3) describe the real client:
//!
//! - The token comes from `FIREZONE_TOKEN` in the environment. A token that also appears in argv
//!   is refused (exit 1): tgctl must never put it there. No token: exit 1.
//! - `FIREZONE_ID` and `FIREZONE_NAME` are recorded (the real client registers with them).
//! - It reads the variables its `main.rs` reads (clap `env =` attributes and `std::env::var`,
//!   firezone/firezone `rust/headless-client/src/main.rs` at df8139e8): [`READS`]. The names of
//!   those present (values only for the non-secret ones) go to the `env` file.
//! - Readiness is a systemd notification: once "the tunnel is up" it sends `READY=1`, and
//!   nothing else (no `STATUS=`: `linux.rs` `notify_service_controller` sends
//!   `NotifyState::Ready` only), to the datagram socket named by `NOTIFY_SOCKET`.
//! - Any error prints an error chain to stderr and exits 1. A rejected token is
//!   `Firezone disconnected` caused by `Authentication token invalid` (`main.rs`:
//!   `Event::Disconnected(error)` with context "Firezone disconnected"; phoenix-channel
//!   `Error::InvalidToken`, `#[error("Authentication token invalid")]`). SIGTERM/SIGINT end it.
//! - `FIREZONE_ID`: the portal sees sha256 (hex) of it when it is a UUID, the ID itself
//!   otherwise (phoenix-channel `login_url.rs`, `LoginUrl::client`); recorded as `external_id`.
//! - `--version`, and `--check` (validates the configuration: 0 or 1, no connection).
//! - Logs go to stdout, as the real client's do without `LOG_DIR`.
//!
//! Scenarios, from `FIREZONE_SIM_SCENARIO` (comma-separated): `ready-after=<ms>` (default 200),
//! `never` (never ready), `crash-after=<ms>` (exit 1, "Firezone disconnected"), `bad-token`
//! (the portal rejects the token after 50 ms), `leak-log` (logs the token, to test masking),
//! `portal-unreachable=<n>` (the first n runs cannot reach the portal at start and exit 1 on
//! purpose: "The Headless Client will bail out here if there's no Internet ... so when it fails
//! it will be restarted with backoff", `main.rs`; the count is kept in the `starts` file).
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
    portal_unreachable: u64,
}

/// Every variable the real client reads (see the module doc), in `main.rs`'s order.
const READS: &[&str] = &[
    "FIREZONE_DNS_CONTROL",
    "LOG_DIR",
    "MAX_PARTITION_TIME",
    "FIREZONE_API_URL",
    "FIREZONE_NAME",
    "FIREZONE_ID",
    "FIREZONE_ACTIVATE_INTERNET_RESOURCE",
    "FIREZONE_NO_TELEMETRY",
    "FIREZONE_METRICS",
    "OTLP_GRPC_ENDPOINT",
    "FIREZONE_TOKEN_PATH",
    "FIREZONE_INC_BUF",
    "FIREZONE_FLOW_LOGS",
    "FIREZONE_TOKEN",
    "RUST_LOG",
    "NOTIFY_SOCKET",
];

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
                "portal-unreachable" => s.portal_unreachable = ms()?,
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
/// Linux only, like the client it stands in for (elsewhere it only compiles, for the workspace's
/// Windows check).
#[cfg(not(target_os = "linux"))]
fn notify(_message: &str) -> std::io::Result<()> {
    Ok(())
}

#[cfg(target_os = "linux")]
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

/// What the portal sees of `FIREZONE_ID`: sha256 (hex) of a UUID, any other ID as it is.
fn external_id(id: &str) -> String {
    if is_uuid(id) { sha256_hex(id.as_bytes()) } else { id.to_owned() }
}

/// `uuid::Uuid::from_str` forms: hyphenated, simple, braced, urn.
fn is_uuid(s: &str) -> bool {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(s);
    let hex = |p: &str| p.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [one] => one.len() == 32 && hex(one),
        [a, b, c, d, e] => {
            [a.len(), b.len(), c.len(), d.len(), e.len()] == [8, 4, 4, 4, 12] && parts.iter().all(|p| hex(p))
        }
        _ => false,
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
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
    let mut env_text = String::new();
    for name in READS {
        match var(name) {
            Some(_) if *name == "FIREZONE_TOKEN" => env_text.push_str("TOKEN=present\n"),
            Some(v) => env_text.push_str(&format!("{name}={v}\n")),
            None => {}
        }
    }
    if let Some(id) = &firezone_id {
        env_text.push_str(&format!("external_id={}\n", external_id(id)));
    }
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
    let starts =
        std::fs::read_to_string(dir.join("starts")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0u64) + 1;
    let _ = std::fs::write(dir.join("starts"), starts.to_string());
    if starts <= scenario.portal_unreachable {
        log("Failed to resolve the portal's host; exiting (expects to be restarted)");
        return fail(
            "Failed to connect to the portal",
            &["failed to lookup address information: Temporary failure in name resolution"],
        );
    }
    let rejected = scenario.bad_token || var("FIREZONE_SIM_VALID_TOKEN").is_some_and(|v| v != token);
    if rejected {
        std::thread::sleep(Duration::from_millis(50));
        log("portal connection failed");
        return fail("Firezone disconnected", &["Authentication token invalid"]);
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
