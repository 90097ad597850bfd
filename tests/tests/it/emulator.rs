//! End to end: the real `tgctl` against the real emulator (`tgctl-emulator serve`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::common::*;

/// A running emulator; killed on drop.
pub struct Emulator {
    child: Child,
    pub env: Vec<(String, String)>,
    pub state: tempfile::TempDir,
}

impl Emulator {
    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(bin("tgctl-emulator"))
            .args(["serve", "--port", "0", "--quiet"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut env = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while !env.iter().any(|(k, _): &(String, String)| k == "TGCTL_EMULATOR_URL") {
            let line = lines.next().expect("the emulator printed its URL").unwrap();
            if let Some((k, v)) = line.split_once('=') {
                env.push((k.to_owned(), v.to_owned()));
            }
        }
        Self { child, env, state: tempfile::tempdir().unwrap() }
    }

    pub fn var(&self, name: &str) -> String {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap()
    }

    /// tgctl pointed at this emulator, pacing off unless a test turns it on.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin("tgctl"));
        c.env_clear()
            .env("PATH", host_env("PATH").unwrap_or_default())
            .env("TGCTL_API_URL", self.var("TGCTL_API_URL"))
            .env("TWINGATE_API_TOKEN", self.var("TWINGATE_API_TOKEN"))
            .env("TGCTL_CONFIG_DIR", self.state.path().join("config"))
            .env("TGCTL_STATE_DIR", self.state.path().join("state"))
            .env("TGCTL_NO_KEYRING", "1")
            .env("TGCTL_READS_PER_MINUTE", "0")
            .env("TGCTL_WRITES_PER_MINUTE", "0")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[]).await
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        run_blocking(c, None).await
    }

    pub async fn hook(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/_emulator/{path}", self.var("TGCTL_EMULATOR_URL"));
        let mut req = reqwest::Client::new().request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    pub async fn stats(&self) -> Value {
        self.hook(reqwest::Method::GET, "stats", None).await
    }

    pub async fn applied(&self, field: &str) -> u64 {
        self.stats().await["applied"][field].as_u64().unwrap_or(0)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_lifecycle_end_to_end() {
    let emu = Emulator::start(&["--seed", "demo"]);
    let key_file = emu.state.path().join("key.json");
    let kf = key_file.to_str().unwrap();
    emu.run(&["service-account", "create", "ci", "--resource", "demo-web"]).await.success();
    let r = emu.run(&["service-account", "get", "ci", "-o", "json"]).await;
    assert_eq!(r.success().json()["resources"][0]["name"], "demo-web");

    let r = emu
        .run(&[
            "service-key",
            "create",
            "--service-account",
            "ci",
            "--name",
            "job",
            "--expires-in-days",
            "1",
            "--key-file",
            kf,
            "-o",
            "json",
        ])
        .await;
    let key = r.success().json();
    assert_eq!(key["status"], "active");
    assert_eq!(file_mode(&key_file), 0o600);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert!(saved["private_key"].as_str().unwrap().contains("BEGIN PRIVATE KEY"));
    assert!(!r.stdout().contains("PRIVATE KEY") && !r.stderr().contains("PRIVATE KEY"));

    emu.run(&["service-key", "rename", "job", "job-renamed", "--service-account", "ci"]).await.success();
    emu.run(&["service-key", "delete", "job-renamed", "--service-account", "ci", "--yes"])
        .await
        .failure(5)
        .stderr_has("revoked before");
    emu.run(&["service-key", "revoke", "job-renamed", "--service-account", "ci", "--yes"]).await.success();
    emu.run(&["service-key", "rename", "job-renamed", "again", "--service-account", "ci"]).await.failure(5);
    emu.run(&["service-key", "delete", "job-renamed", "--service-account", "ci", "--yes"]).await.success();
    let r = emu.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(r.success().json(), json!([]));

    // Expiry by the emulator's clock: a 1-day key is expired two days later, and can be deleted.
    let kf2 = emu.state.path().join("key2.json");
    emu.run(&[
        "service-key",
        "create",
        "--service-account",
        "ci",
        "--name",
        "short",
        "--expires-in-days",
        "1",
        "--key-file",
        kf2.to_str().unwrap(),
    ])
    .await
    .success();
    emu.hook(reqwest::Method::POST, "clock", Some(json!({"advanceSeconds": 2 * 86_400}))).await;
    let r = emu.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(r.success().json()[0]["status"], "expired");
    emu.run(&["service-key", "delete", "short", "--service-account", "ci", "--yes"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_against_the_emulator() {
    let emu = Emulator::start(&["--seed", "empty"]);
    emu.run(&["service-account", "create", "ci"]).await.success();
    let f = emu.state.path().join("k.json");
    let f = f.to_str().unwrap();
    emu.run(&["service-key", "create", "--service-account", "ci", "--name", "nightly", "--key-file", f])
        .await
        .success();
    emu.run(&[
        "service-key",
        "rotate",
        "nightly",
        "--service-account",
        "ci",
        "--key-file",
        f,
        "--force",
        "--delete-old",
        "--yes",
    ])
    .await
    .success();
    let r = emu.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    let keys = r.success().json();
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys[0]["status"], "active");
    // Rotation keeps the old key's name (issue 18, item 1).
    assert_eq!(keys[0]["name"], "nightly");
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_past_50_and_100() {
    let emu = Emulator::start(&["--seed", "empty", "--writes-per-minute", "0", "--reads-per-minute", "0"]);
    for i in 0..120 {
        let mut c = emu.cmd();
        c.args(["service-account", "create", &format!("sa-{i:03}"), "-q", "-o", "id"]);
        run_blocking(c, None).await.success();
    }
    let r = emu.run(&["service-account", "list", "-o", "json"]).await;
    let all = r.success().json();
    assert_eq!(all.as_array().unwrap().len(), 120);
    let mut names: Vec<_> = all.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect();
    names.dedup();
    assert_eq!(names.len(), 120, "no account twice");
    let r = emu.run(&["service-account", "list", "--limit", "105", "-o", "id"]).await;
    assert_eq!(r.success().stdout().lines().count(), 105);
    let r = emu.run(&["service-account", "list", "--name-prefix", "sa-11", "-o", "id"]).await;
    assert_eq!(r.success().stdout().lines().count(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_write_job_with_the_pacer_meets_no_429() {
    let emu = Emulator::start(&["--seed", "empty", "--writes-per-minute", "150", "--reads-per-minute", "0"]);
    for i in 0..200 {
        let mut c = emu.cmd();
        c.env("TGCTL_WRITES_PER_MINUTE", "150").args([
            "service-account",
            "create",
            &format!("paced-{i}"),
            "-q",
            "-o",
            "id",
        ]);
        run_blocking(c, None).await.success();
    }
    let stats = emu.stats().await;
    assert_eq!(stats["rateLimited"], 0, "{stats}");
    assert_eq!(emu.applied("serviceAccountCreate").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_pacing_429s_are_absorbed_by_retry_after() {
    let emu = Emulator::start(&["--seed", "empty", "--writes-per-minute", "150", "--reads-per-minute", "0"]);
    for i in 0..200 {
        let mut c = emu.cmd();
        c.args(["service-account", "create", &format!("unpaced-{i}"), "-q", "-o", "id"]);
        run_blocking(c, None).await.success();
    }
    let stats = emu.stats().await;
    assert!(stats["rateLimited"].as_u64().unwrap() >= 1, "expected the emulator to rate-limit: {stats}");
    assert_eq!(emu.applied("serviceAccountCreate").await, 200, "every write applied exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_reads_recover_and_writes_are_applied_at_most_once() {
    let emu = Emulator::start(&["--seed", "demo"]);
    // A write whose answer comes after the client's timeout: applied once, reported, not re-sent.
    emu.hook(reqwest::Method::POST, "faults", Some(json!({"kind": "slow_after_apply", "ms": 3000, "on": "write"})))
        .await;
    let r = emu.run_env(&["service-account", "create", "slow", "-o", "json"], &[("TGCTL_HTTP_TIMEOUT", "0.5")]).await;
    r.failure(6);
    assert_eq!(r.json_error()["code"], "outcome_unknown");
    assert_eq!(emu.applied("serviceAccountCreate").await, 1);

    // Reads recover from 503, a dropped connection and a truncated body.
    for fault in [
        json!({"kind": "status", "status": 503, "on": "read"}),
        json!({"kind": "drop", "on": "read"}),
        json!({"kind": "truncate", "on": "read"}),
    ] {
        emu.hook(reqwest::Method::POST, "faults", Some(fault.clone())).await;
        emu.run_env(&["service-account", "list", "-o", "id"], &[("TGCTL_BACKOFF_SCALE", "0")]).await.success();
    }
    // A write refused with 503 is not re-sent and not applied; a dropped write is not re-sent.
    for fault in [json!({"kind": "status", "status": 503, "on": "write"}), json!({"kind": "drop", "on": "write"})] {
        emu.hook(reqwest::Method::POST, "faults", Some(fault)).await;
        let before = emu.stats().await["requests"].as_u64().unwrap();
        emu.run(&["service-account", "create", "never"]).await.failure(6);
        let after = emu.stats().await["requests"].as_u64().unwrap();
        assert_eq!(after - before, 1, "a write is sent once");
    }
    assert_eq!(emu.applied("serviceAccountCreate").await, 1);
    // An HTML page: a clear message, exit 1 (an answer of an unexpected shape).
    emu.hook(reqwest::Method::POST, "faults", Some(json!({"kind": "html"}))).await;
    emu.run(&["service-account", "list"]).await.failure(1).stderr_has("HTML page");
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_levels() {
    let emu = Emulator::start(&["--seed", "demo"]);
    let read = emu.hook(reqwest::Method::POST, "tokens", Some(json!({"level": "read"}))).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = emu.hook(reqwest::Method::POST, "tokens", Some(json!({"level": "write"}))).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    emu.run_env(&["service-account", "list"], &[("TWINGATE_API_TOKEN", &read)]).await.success();
    emu.run_env(&["service-account", "create", "x"], &[("TWINGATE_API_TOKEN", &read)])
        .await
        .failure(3)
        .stderr_has("Permission denied");
    emu.run_env(&["service-account", "create", "x"], &[("TWINGATE_API_TOKEN", &write)]).await.success();
    let r = emu.run_env(&["service-key", "create", "--service-account", "x"], &[("TWINGATE_API_TOKEN", &write)]).await;
    r.failure(3).stderr_has("provision API token");
    emu.run_env(&["service-account", "list"], &[("TWINGATE_API_TOKEN", "nonsense")]).await.failure(3);
}
