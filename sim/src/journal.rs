//! The journal, for the `log=journal` variant: with systemd the client logs to the journal and
//! is read with `journalctl -u twingate` (reference §1.5; the Twingate action dumps it with
//! `--no-pager`). The daemon appends `<epoch ms>\t<line>` to `<dir>/journal`; this binary run as
//! `journalctl` (argv[0], through a symlink) reads it with the options tgctl uses: `-u UNIT`,
//! `-n N`, `--since @EPOCH`, `-f`, `-o cat|short-iso`, `--no-pager`.
//!
//! Only unit `twingate` has entries. Like the real journalctl run by a user who is neither root
//! nor in the `systemd-journal`/`adm` groups, a non-root caller sees none of the system unit's
//! lines, only journalctl's hint (journalctl(1), "Access Control"): root or sudo is needed.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

const FILE: &str = "journal";

/// Appends one line, as journald would store it.
pub(crate) fn append(dir: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(FILE)) {
        let _ = writeln!(f, "{}\t{line}", super::epoch_ms());
    }
}

struct Query {
    unit: String,
    lines: Option<usize>,
    since_ms: u128,
    follow: bool,
    cat: bool,
}

fn parse(args: &[String]) -> Result<Query, String> {
    let mut q = Query { unit: String::new(), lines: None, since_ms: 0, follow: false, cat: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("option {a} needs a value"));
        match a.as_str() {
            "-u" | "--unit" => q.unit = value()?,
            "-n" | "--lines" => q.lines = Some(value()?.parse().map_err(|_| "bad -n".to_owned())?),
            "--since" => {
                let v = value()?;
                let secs: u128 = v.trim_start_matches('@').parse().map_err(|_| format!("bad --since {v}"))?;
                q.since_ms = secs * 1000;
            }
            "-o" | "--output" => q.cat = value()? == "cat",
            "-f" | "--follow" => q.follow = true,
            "--no-pager" | "-q" => {}
            other => return Err(format!("unrecognized option '{other}'")),
        }
    }
    Ok(q)
}

fn entries(dir: &Path, since_ms: u128) -> Vec<(u128, String)> {
    let text = std::fs::read_to_string(dir.join(FILE)).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (t, line) = l.split_once('\t')?;
            Some((t.parse().ok()?, line.to_owned()))
        })
        .filter(|(t, _)| *t >= since_ms)
        .collect()
}

fn show(q: &Query, line: &str) -> String {
    if q.cat { line.to_owned() } else { format!("{} sim twingated[1]: {line}", super::rfc3339_now()) }
}

/// `journalctl ...`: exit code.
pub(crate) fn run(dir: &Path, args: &[String], max_lifetime: Duration) -> u8 {
    let q = match parse(args) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("journalctl: {e}");
            return 1;
        }
    };
    if !nix_is_root() {
        eprintln!(
            "Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n      Pass -q to turn off this notice."
        );
        return 0;
    }
    let all = if q.unit == "twingate" { entries(dir, q.since_ms) } else { Vec::new() };
    let shown = q.lines.map_or(0, |n| all.len().saturating_sub(n));
    for (_, line) in &all[shown..] {
        println!("{}", show(&q, line));
    }
    let _ = std::io::stdout().flush();
    if !q.follow {
        return 0;
    }
    let mut seen = all.len();
    let started = Instant::now();
    while started.elapsed() < max_lifetime && dir.exists() {
        std::thread::sleep(Duration::from_millis(5));
        let now = if q.unit == "twingate" { entries(dir, q.since_ms) } else { Vec::new() };
        for (_, line) in now.iter().skip(seen) {
            println!("{}", show(&q, line));
        }
        if std::io::stdout().flush().is_err() {
            return 0;
        }
        seen = now.len();
    }
    0
}

/// Root, or told to act as a caller without access (`TWINGATE_SIM_JOURNAL=denied`).
fn nix_is_root() -> bool {
    #[allow(clippy::disallowed_methods)] // the simulated client reads its environment as the real one does
    let denied = std::env::var("TWINGATE_SIM_JOURNAL").is_ok_and(|v| v == "denied");
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(2).and_then(|u| u.parse::<u32>().ok()));
    !denied && uid == Some(0)
}
