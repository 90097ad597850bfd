//! tgctl-broker on Postgres: two replicas on one database. The reaper runs on one replica at a
//! time (an advisory lock) and each lease moves between states only by compare-and-set, so no
//! key is revoked twice. A real Postgres: a throwaway cluster (initdb, pg_ctl) in a temp dir,
//! run as `nobody` when the tests run as root (Postgres refuses root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::broker_world::*;
use crate::common::host_env;
use crate::emulator::Emulator;

/// The directory of initdb and pg_ctl: on PATH, or where Debian's `postgresql` puts them.
fn pg_bin() -> Option<PathBuf> {
    let on_path = host_env("PATH").unwrap_or_default();
    for dir in on_path.split(':').map(PathBuf::from) {
        if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// A throwaway Postgres cluster; stopped on drop.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn run(bin: &Path, args: &[&str]) -> std::process::Output {
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        c.args(args).output().expect("run a Postgres tool")
    }

    #[allow(clippy::print_stderr, reason = "a skipped test says so, loudly")]
    fn start() -> Option<Cluster> {
        let Some(bin) = pg_bin() else {
            eprintln!(
                "\n\n*** SKIPPED: no initdb/pg_ctl (install Debian's postgresql: scripts/install-test-tools.sh) ***\n"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if is_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let out =
            Self::run(&bin.join("initdb"), &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "broker", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.path().display());
        let log = dir.path().join("pg.log");
        let out = Self::run(
            &bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-o", &opts, "-l", log.to_str().unwrap(), "-w", "start"],
        );
        assert!(out.status.success(), "pg_ctl start: {}", std::fs::read_to_string(&log).unwrap_or_default());
        Some(Cluster { bin, data, port, _dir: dir })
    }

    fn url(&self) -> String {
        format!("postgres://broker@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Self::run(&self.bin.join("pg_ctl"), &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_one_postgres_revoke_each_key_once() {
    let Some(pg) = Cluster::start() else { return };
    let emu = Emulator::start(&["--writes-per-minute", "0"]);
    let run = emu.run(&["service-account", "create", "ci", "-q", "-o", "id"]).await;
    let sa = run.success().stdout().trim().to_owned();
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let cfg = format!(
        "database = \"{}\"\n{}",
        pg.url(),
        config(&issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(&sa))
            .replace("reap_every = \"1s\"", "reap_every = \"200ms\"")
            // Pacing is not what this test is about (broker_load.rs is).
            .replace("[api]\n", "[api]\nwrites_per_minute = 0\n")
    );
    let token = emu.var("TWINGATE_API_TOKEN");
    let env = [("TGCTL_BROKER_API_TOKEN", token.as_str())];
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = BrokerProc::start(da.path(), &cfg, &env);
    let b = BrokerProc::start(db.path(), &cfg, &env);

    // Jobs reach either replica; each releases through the other one.
    const N: usize = 12;
    let mut leases = Vec::new();
    for i in 0..N {
        let (mint, release) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let t = issuer.token("acme/app", "refs/heads/main");
        let (status, body) = mint.post_key(Some(&t)).await;
        assert_eq!(status, 200, "{body}");
        leases.push((release, t, body["lease_id"].as_str().unwrap().to_owned()));
    }
    // A token used at one replica is a replay at the other: the used-token table is shared.
    let t = issuer.token("acme/app", "refs/heads/main");
    assert_eq!(a.post_key(Some(&t)).await.0, 200);
    assert_eq!(b.post_key(Some(&t)).await.0, 401);
    for (replica, t, lease) in &leases {
        assert_eq!(replica.delete_key(t, lease).await.0, 202);
    }
    // Both reapers run every 200 ms; the advisory lock lets one at a time.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while emu.applied("serviceAccountKeyDelete").await < N as u64 {
        if std::time::Instant::now() > deadline {
            panic!("leases not ended: {}\na: {}\nb: {}", emu.stats().await, a.log(), b.log());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both replicas' reapers pass again: a second revoke would have happened by then.
    a.housekeeping_passes(2).await;
    b.housekeeping_passes(2).await;
    assert_eq!(emu.applied("serviceAccountKeyRevoke").await, N as u64, "a key was revoked twice");
    assert_eq!(emu.applied("serviceAccountKeyDelete").await, N as u64, "a key was deleted twice");
    let reaped = |m: &str| -> u64 {
        m.lines()
            .filter(|l| l.starts_with("tgctl_broker_reaped_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let (ra, rb) = (reaped(&a.get("/metrics").await.1), reaped(&b.get("/metrics").await.1));
    assert_eq!(ra + rb, N as u64, "each lease ended by exactly one replica (a: {ra}, b: {rb})");
    let revokes = a.audit_lines().iter().chain(b.audit_lines().iter()).filter(|l| l["event"] == "revoke").count();
    assert_eq!(revokes, N, "one audit line per revoke");
}
