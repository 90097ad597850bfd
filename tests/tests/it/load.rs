//! Load: many tgctl processes in parallel, sharing one API token, against the emulator with the
//! Admin API's default limits (60 reads and 20 writes a minute per token).
//!
//! - With the shared pacer (tgctl's defaults): no failures, every write applied exactly once,
//!   and no 429 at all: the processes pace themselves as one client.
//! - Without pacing (`TGCTL_*_PER_MINUTE=0`): the emulator answers 429s, which tgctl absorbs by
//!   waiting `Retry-After`; still no failures and every write applied exactly once.
//!
//! Each test needs just over one rate-limit window (about 65 s), since half the writes must wait
//! for the next minute. The full load (40 processes x 4 writes, about 8 minutes at 20 writes a
//! minute) is the same test with `TGCTL_LOAD_WRITES=4`: `bench/load.sh` (figures in
//! docs/reliability.md).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{bin, host_env};
use crate::emulator::Emulator;

struct Report {
    processes: usize,
    writes: u64,
    failures: Vec<String>,
    rate_limited: u64,
    applied: u64,
    accounts: usize,
    elapsed: Duration,
}

/// `workers` threads, each running `writes` tgctl writes (and a read after each) one after the
/// other; every process shares the emulator's token and one state dir (the pacer's log).
async fn load(emu: &Emulator, workers: usize, writes: usize, paced: bool) -> Report {
    let started = Instant::now();
    let mut threads = Vec::new();
    // The environment of `emu.cmd()` (token, URL, private dirs), for plain std::process use.
    let envs: Vec<(String, String)> = emu
        .cmd()
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
        .filter(|(k, _)| !(paced && k.ends_with("_PER_MINUTE")))
        .collect();
    for w in 0..workers {
        let envs = envs.clone();
        threads.push(std::thread::spawn(move || {
            let mut failures = Vec::new();
            for i in 0..writes {
                let name = format!("load-{w:02}-{i}");
                for args in [
                    vec!["service-account", "create", &name, "-q", "-o", "id"],
                    vec!["service-account", "get", &name, "-o", "json"],
                ] {
                    let out = Command::new(bin("tgctl"))
                        .env_clear()
                        .envs(envs.iter().map(|(k, v)| (k, v)))
                        .args(&args)
                        .stdin(std::process::Stdio::null())
                        .output()
                        .unwrap();
                    if !out.status.success() {
                        failures.push(format!("{}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
                    }
                }
            }
            failures
        }));
    }
    let failures = tokio::task::spawn_blocking(move || threads.into_iter().flat_map(|t| t.join().unwrap()).collect())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let stats = emu.stats().await;
    let listed = emu.run(&["service-account", "list", "--name-prefix", "load-", "-o", "json"]).await;
    let accounts: Value = serde_json::from_slice(&listed.0.stdout).unwrap_or(Value::Null);
    Report {
        processes: workers * writes * 2,
        writes: (workers * writes) as u64,
        failures,
        rate_limited: stats["rateLimited"].as_u64().unwrap_or(0),
        applied: stats["applied"]["serviceAccountCreate"].as_u64().unwrap_or(0),
        accounts: accounts.as_array().map_or(0, Vec::len),
        elapsed,
    }
}

#[track_caller]
fn check(r: &Report, what: &str) {
    assert!(r.failures.is_empty(), "{what}: {} failures, first: {}", r.failures.len(), r.failures[0]);
    assert_eq!(r.applied, r.writes, "{what}: every write applied exactly once");
    assert_eq!(r.accounts as u64, r.writes, "{what}: one account per write");
    // Shown with --nocapture; docs/reliability.md quotes these lines.
    let line = format!(
        "{what}: {} tgctl processes, {} writes, {} applied, {} failures, {} HTTP 429, {:.1} s",
        r.processes,
        r.writes,
        r.applied,
        r.failures.len(),
        r.rate_limited,
        r.elapsed.as_secs_f64()
    );
    if let Some(path) = host_env("TGCTL_LOAD_REPORT") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
        writeln!(f, "{line}").unwrap();
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_paced_processes_share_the_default_limits_without_a_429() {
    // TGCTL_LOAD_WRITES raises the writes per process for the long run of docs/reliability.md
    // (4: 160 writes at 20 a minute, about 8 minutes): `bench/load.sh`.
    let writes = host_env("TGCTL_LOAD_WRITES").and_then(|v| v.parse().ok()).unwrap_or(1);
    let emu = Emulator::start(&["--seed", "empty"]);
    let r = load(&emu, 40, writes, true).await;
    check(&r, &format!("paced, default limits, 40 x {writes} writes"));
    assert_eq!(r.rate_limited, 0, "the shared pacer keeps every process under the limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_unpaced_processes_absorb_429s_by_retry_after() {
    let emu = Emulator::start(&["--seed", "empty"]);
    let r = load(&emu, 40, 1, false).await;
    check(&r, "unpaced, default limits, 40 x 1 write");
    assert!(r.rate_limited > 0, "without pacing the emulator must have refused some requests");
}
