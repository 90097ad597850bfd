//! `connect`, `disconnect` and `status` through the real `tgctl` and the simulated client
//! (`twingate-sim`, found as `twingate` on PATH), on a fake machine (TGCTL_SYSROOT).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::emulator::Emulator;

/// A fake machine with the simulated client installed as `twingate`.
pub(crate) struct Rig {
    pub(crate) world: World,
    pub(crate) dir: TempDir,
}

impl Rig {
    pub(crate) async fn new(scenario: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for d in ["dev/net", "proc/self", "var/log", "sim", "bin"] {
            let p = if d == "sim" || d == "bin" { dir.path().join(d) } else { root.join(d) };
            std::fs::create_dir_all(p).unwrap();
        }
        std::fs::write(root.join("dev/net/tun"), "").unwrap();
        std::fs::write(
            root.join("proc/self/status"),
            "Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(bin(SIM_BIN), dir.path().join("bin/twingate")).unwrap();
        let path = format!("{}:{}", dir.path().join("bin").display(), host_env("PATH").unwrap_or_default());
        let world = World::new()
            .await
            .env("PATH", &path)
            .env("TGCTL_SYSROOT", root.to_str().unwrap())
            .env("TWINGATE_SIM_DIR", dir.path().join("sim").to_str().unwrap())
            .env("TWINGATE_SIM_LOG", root.join("var/log/twingated.log").to_str().unwrap())
            .env("TWINGATE_SIM_SCENARIO", scenario)
            .env("TWINGATE_SIM_MAX_LIFETIME", "120");
        Self { world, dir }
    }

    pub(crate) fn with_env(mut self, k: &str, v: &str) -> Self {
        self.world = self.world.env(k, v);
        self
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub(crate) fn sim_dir(&self) -> PathBuf {
        self.dir.path().join("sim")
    }

    pub(crate) fn state_file(&self) -> PathBuf {
        self.world.state_dir.path().join("connect.json")
    }

    pub(crate) fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_file()).unwrap()).unwrap()
    }

    /// A 0600 key file with the canary in its private key.
    pub(crate) fn key_file(&self, json: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(format!("key-{}.json", fastrand_name()));
        std::fs::write(&p, json).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.to_str().unwrap().to_owned()
    }

    pub(crate) async fn connect(&self, extra: &[&str]) -> Run {
        let key = self.key_file(&key_token("acme"));
        let mut args = vec!["connect", "--wait", "--service-key-file", key.as_str()];
        args.extend_from_slice(extra);
        self.world.run(&args).await
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        self.world.run(args).await
    }

    /// `twingate status` as the simulated client says it.
    pub(crate) fn client_status(&self) -> String {
        let out = self.sim_cmd().arg("status").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub(crate) fn sim_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(bin(SIM_BIN));
        c.env_clear()
            .env("TWINGATE_SIM_DIR", self.sim_dir())
            .env("TWINGATE_SIM_LOG", self.root().join("var/log/twingated.log"));
        c
    }

    pub(crate) fn daemon_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.sim_dir().join("twingated.pid")).ok()?.trim().parse().ok()
    }

    pub(crate) fn starts(&self) -> u32 {
        std::fs::read_to_string(self.sim_dir().join("starts")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
    }

    pub(crate) fn client_log(&self) -> String {
        std::fs::read_to_string(self.root().join("var/log/twingated.log")).unwrap_or_default()
    }

    /// Nothing was started: no key stored, no start.
    #[track_caller]
    pub(crate) fn nothing_started(&self) {
        assert!(!self.sim_dir().join("service_key.json").exists(), "the client got a key");
        assert_eq!(self.starts(), 0, "the client was started");
        assert!(!self.state_file().exists(), "a state file was left");
    }

    /// The client is stopped, its key removed, the state file gone.
    #[track_caller]
    pub(crate) fn all_undone(&self) {
        assert_eq!(self.client_status(), "not-running");
        // The client keeps what `setup` stored (it has no command to remove it), in its 0600 store.
        let store = self.sim_dir().join("service_key.json");
        if store.exists() {
            assert_eq!(file_mode(&store), 0o600);
        }
        assert!(!self.state_file().exists(), "the state file was left");
        if let Some(pid) = self.daemon_pid() {
            assert!(!alive(pid), "daemon {pid} is still running");
        }
    }

    /// No file outside the client's own 0600 key store holds the canary.
    #[track_caller]
    pub(crate) fn canary_only_in_client_store(&self) {
        let store = self.sim_dir().join("service_key.json");
        if store.exists() {
            assert_eq!(file_mode(&store), 0o600);
        }
        for root in [self.dir.path(), self.world.state_dir.path(), self.world.config_dir.path()] {
            for file in walk(root) {
                if file == store || file.file_name().is_some_and(|n| n.to_string_lossy().starts_with("key-")) {
                    continue;
                }
                let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
                assert!(!text.contains(CANARY_KEY), "canary in {}", file.display());
            }
        }
    }
}

fn fastrand_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
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

/// Alive and not a zombie (a daemon reparented to a non-reaping init lingers as one).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !matches!(s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next()), Some('Z' | 'X') | None)
    })
}

fn stage_names(v: &Value) -> Vec<String> {
    v["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap().to_owned()).collect()
}

// ---- the ladder ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn online_after_a_delay_then_status_and_disconnect() {
    let rig = Rig::new("online-after=400").await;
    let r = rig.run(&["status", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["clientState"], "not-running");
    assert_eq!(r.json()["connected"], false);

    let started = Instant::now();
    let r = rig.connect(&["-o", "json"]).await;
    r.success().no_secrets();
    assert!(started.elapsed() >= Duration::from_millis(400));
    let v = r.json();
    assert_eq!(v["status"], "online");
    assert_eq!(stage_names(&v), ["preflight", "key", "setup", "start", "online"]);
    assert_eq!(v["keyId"], "5c6bcf4e-0000-4000-8000-000000000001");
    assert_eq!(v["resources"].as_array().unwrap().len(), 2);
    assert_eq!(v["resources"][0]["name"], "prod-db");
    assert_eq!(v["restarts"], 0);
    assert_eq!(rig.client_status(), "online");
    assert_eq!(file_mode(&rig.state_file()), 0o600);
    let state = rig.state();
    assert_eq!(state["ranSetup"], true);
    assert_eq!(state["ranStart"], true);
    assert_eq!(state["status"], "online");
    rig.canary_only_in_client_store();

    let r = rig.run(&["status", "-o", "json"]).await;
    r.success().no_secrets();
    let s = r.json();
    assert_eq!(s["clientState"], "online");
    assert_eq!(s["connected"], true);
    assert_eq!(s["keyId"], "5c6bcf4e-0000-4000-8000-000000000001");
    assert_eq!(s["resources"][1]["alias"], "k8s.internal");
    assert!(s["uptimeSeconds"].as_i64().unwrap() >= 0);

    let r = rig.run(&["disconnect", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["stoppedClient"], true);
    assert_eq!(r.json()["removedClientKey"], false);
    r.stderr_has("it has no command to remove it");
    rig.all_undone();

    // Twice is fine.
    let r = rig.run(&["disconnect", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["connected"], false);
    let r = rig.run(&["status", "-o", "json"]).await;
    assert_eq!(r.json()["connected"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn table_output_off_a_terminal_is_tab_separated() {
    let rig = Rig::new("online-after=50").await;
    let r = rig.connect(&[]).await;
    r.success().no_secrets();
    assert!(r.stdout().lines().any(|l| l == "status\tonline"), "{}", r.stdout());
    assert!(r.stdout().contains("resource\tprod-db\tdb.prod.internal"));
    // Progress goes to stderr (which statuses a poll sees depends on timing: the client is online
    // 50 ms after start).
    assert!(r.stderr().contains("Waiting for the client to come online"), "{}", r.stderr());
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

/// Progress comes from the engine's events, rendered on stderr only: one timestamped line per
/// step off a terminal, the stages with -v, nothing with -q; stdout is the result alone.
#[tokio::test(flavor = "multi_thread")]
async fn progress_goes_to_stderr_as_timestamped_lines_and_stdout_is_the_result() {
    let rig = Rig::new("online-after=50").await;
    let r = rig.connect(&["-v"]).await;
    r.success().no_secrets();
    assert!(r.stdout().lines().any(|l| l == "status\tonline"), "stdout is the result: {}", r.stdout());
    let err = r.stderr();
    let stamped = |needle: &str| err.lines().any(|l| l.starts_with('[') && l.contains("] ") && l.contains(needle));
    for step in ["Connecting: preflight checks", "Configuring the client", "Waiting for the client to come online"] {
        assert!(stamped(step), "no timestamped line for {step:?} in:\n{err}");
    }
    let stages: Vec<&str> =
        err.lines().filter_map(|l| l.split_once("connect stage: ").map(|(_, s)| s.trim())).collect();
    assert_eq!(stages, ["preflight", "key", "setup", "start", "online"], "{err}");
    rig.run(&["disconnect"]).await.success();

    let r = rig.connect(&["-q"]).await;
    r.success().no_secrets();
    assert!(r.stdout().lines().any(|l| l == "status\tonline"), "{}", r.stdout());
    assert!(!r.stderr().contains("Waiting for the client"), "-q printed progress: {}", r.stderr());
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

/// With `-o json` the same events are JSON lines on stderr (`event`, `time`, and `message`,
/// `stage` or `error`), stages included without -v; stdout stays one JSON document, and a
/// failure's `{"error": ...}` is still the last line (docs/connect.md, "Progress").
#[tokio::test(flavor = "multi_thread")]
async fn with_json_output_progress_is_json_lines_on_stderr() {
    let rig = Rig::new("online-after=50").await;
    let r = rig.connect(&["-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["status"], "online", "stdout is one JSON result: {}", r.stdout());
    let events = json_events(&r.stderr());
    for e in &events {
        let time = e["time"].as_str().unwrap_or_default();
        assert!(time.parse::<jiff::Timestamp>().is_ok(), "no RFC 3339 time in {e}");
    }
    let of = |kind: &str, field: &str| -> Vec<String> {
        events.iter().filter(|e| e["event"] == kind).map(|e| e[field].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(of("stage", "stage"), ["preflight", "key", "setup", "start", "online"], "{}", r.stderr());
    let steps = of("step", "message");
    for step in ["Configuring the client", "Waiting for the client to come online (status: online)"] {
        assert!(steps.iter().any(|s| s.contains(step)), "no step {step:?} in {steps:?}");
    }
    assert_eq!(events.first().map(|e| e["event"].clone()), Some(json!("begin")), "{}", r.stderr());
    assert!(of("begin", "message").iter().any(|m| m.contains("Connecting: preflight checks")), "{}", r.stderr());
    rig.run(&["disconnect"]).await.success();

    // -q: warnings and errors only; a failure ends with the error object after the events.
    let rig = Rig::new("never").await;
    let r = rig.connect(&["--timeout", "1", "-o", "json", "-q"]).await;
    r.failure(7).no_secrets();
    assert_eq!(r.json_error()["code"], "connect_timeout");
    let events = json_events(&r.stderr());
    assert!(events.iter().all(|e| e["event"] == "warn" || e["event"] == "error"), "-q let through: {}", r.stderr());
    let r = rig.connect(&["--timeout", "1", "-o", "json"]).await;
    r.failure(7);
    let events = json_events(&r.stderr());
    assert!(events.iter().any(|e| e["event"] == "stage" && e["stage"] == "online"), "{}", r.stderr());
    rig.all_undone();
}

/// Every line of stderr is JSON: the events, then possibly `{"error": ...}` (not an event).
fn json_events(stderr: &str) -> Vec<Value> {
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\n{stderr}")))
        .collect();
    lines.into_iter().filter(|v: &Value| v.get("error").is_none() || v.get("event").is_some()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn never_online_times_out_with_exit_7_and_stops_the_client() {
    let rig = Rig::new("never").await;
    let started = Instant::now();
    let r = rig.connect(&["--timeout", "2"]).await;
    r.failure(7).no_secrets();
    assert!(started.elapsed() < Duration::from_secs(6));
    r.stderr_has("timed out at stage online").stderr_has("last status: authenticating");
    r.stderr_has("lines of the client log").stderr_has("sdwan_state: authenticating");
    rig.all_undone();
    rig.canary_only_in_client_store();
    // Disconnect after a failed connect is a no-op.
    rig.run(&["disconnect"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_weird_status_is_not_online() {
    let rig = Rig::new("weird=Connecting").await;
    let r = rig.connect(&["--timeout", "1", "-o", "json"]).await;
    r.failure(7);
    let e = r.json_error();
    assert_eq!(e["code"], "connect_timeout");
    assert!(e["message"].as_str().unwrap().contains("last status: Connecting"), "{e}");
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_client_is_restarted_within_the_budget() {
    let rig = Rig::new("never").await;
    let r = rig.connect(&["--timeout", "3", "--stall-after", "700ms"]).await;
    r.failure(7);
    r.stderr_has("restarting it");
    assert!(rig.starts() >= 3, "starts: {}", rig.starts());
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashing_client_fails_with_exit_8() {
    let rig = Rig::new("online-after=60000,crash-after=100").await;
    let r = rig.connect(&["--timeout", "20"]).await;
    r.failure(8).no_secrets();
    r.stderr_has("failed at stage online").stderr_has("stopped 4 times");
    r.stderr_has("simulated crash");
    assert_eq!(rig.starts(), 4);
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_crashes_once_is_restarted_and_comes_online() {
    let rig = Rig::new("online-after=500,crash-after=150,crashes=1").await;
    let r = rig.connect(&["--timeout", "10", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["restarts"], 1);
    assert_eq!(rig.starts(), 2);
    assert_eq!(rig.client_status(), "online");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flapping_client_is_caught_while_online() {
    let rig = Rig::new("flap=300").await;
    let r = rig.connect(&["--timeout", "10", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["status"], "online");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_and_start_failures_exit_8_naming_the_stage() {
    let rig = Rig::new("setup-fails").await;
    let r = rig.connect(&["--timeout", "5"]).await;
    r.failure(8).no_secrets();
    r.stderr_has("failed at stage setup").stderr_has("twingate setup --headless -");
    r.stderr_has("rejected the service key");
    assert!(!rig.state_file().exists());
    assert_eq!(rig.starts(), 0);

    // `twingate start`'s exit code decides nothing (reference §1.4): tgctl waits for `status`,
    // and the timeout shows the client's log.
    let rig = Rig::new("start-fails").await;
    let r = rig.connect(&["--timeout", "2"]).await;
    r.failure(7).no_secrets();
    r.stderr_has("its exit code decides nothing").stderr_has("failed to start the Twingate service");
    rig.all_undone();
}

// ---- keys ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn bad_keys_exit_2_and_expired_keys_exit_9_before_anything_starts() {
    let rig = Rig::new("online-after=10").await;
    let good: Value = serde_json::from_str(&key_token("acme")).unwrap();
    let mut expired = good.clone();
    expired["expires_at"] = json!("2001-01-01T00:00:00+00:00");
    let mut no_pk = good.clone();
    no_pk.as_object_mut().unwrap().remove("private_key");
    // An expired key (`expires_at` in the past) is a refused credential: exit 9.
    let cases: Vec<(String, &str, i32)> = vec![
        ("{not json".to_owned(), "not valid JSON", 2),
        (no_pk.to_string(), "no \"private_key\"", 2),
        (expired.to_string(), "expired", 9),
        ("%%%".to_owned(), "neither JSON nor base64", 2),
    ];
    for (text, expected, code) in cases {
        let key = rig.key_file(&text);
        let r = rig.run(&["connect", "--wait", "--service-key-file", &key]).await;
        r.failure(code).no_secrets().stderr_has(expected);
        rig.nothing_started();
    }
    // The wrong network.
    let key = rig.key_file(&key_token("acme"));
    let r = rig.run(&["connect", "--wait", "--network", "other", "--service-key-file", &key]).await;
    r.failure(2).no_secrets().stderr_has("not \"other\"");
    rig.nothing_started();
    // No key at all; a key on the command line.
    rig.run(&["connect", "--wait"]).await.failure(2).stderr_has("no service key");
    rig.run(&["connect", "--wait", "--service-key", "{}"]).await.failure(2).stderr_has("takes only `-`");
    rig.nothing_started();
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_come_from_stdin_or_the_environment_raw_or_base64() {
    use base64::Engine;
    let rig = Rig::new("online-after=20").await;
    let r = rig.world.run_with_stdin(&["connect", "--wait", "--service-key", "-"], &key_token("acme")).await;
    r.success().no_secrets();
    rig.run(&["disconnect"]).await.success();
    let b64 = base64::engine::general_purpose::STANDARD.encode(key_token("acme"));
    let mut c = rig.world.cmd();
    c.env("TWINGATE_SERVICE_KEY", &b64).args(["connect", "--wait", "--network", "acme"]);
    let r = run_blocking(c, None).await;
    r.success().no_secrets();
    // The daemon's environment never carries the key.
    let pid = rig.daemon_pid().unwrap();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(!String::from_utf8_lossy(&environ).contains(&b64));
    // What the client stored is the decoded JSON.
    let stored = std::fs::read_to_string(rig.sim_dir().join("service_key.json")).unwrap();
    assert!(stored.starts_with('{') && stored.contains(CANARY_KEY));
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_reaches_argv_output_or_other_files() {
    let rig = Rig::new("online-after=100,leak-log").await;
    let r = rig.connect(&[]).await;
    r.success().no_secrets();
    let pid = rig.daemon_pid().unwrap();
    assert!(alive(pid));
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(CANARY_KEY));
    assert!(!String::from_utf8_lossy(&cmdline).contains("PRIVATE KEY"));
    let store = rig.sim_dir().join("service_key.json");
    assert_eq!(file_mode(&store), 0o600);
    assert!(std::fs::read_to_string(&store).unwrap().contains(CANARY_KEY));
    // Every client command's argv: the key went on stdin only.
    let calls = std::fs::read_to_string(rig.sim_dir().join("calls")).unwrap();
    assert!(!calls.contains(CANARY_KEY) && !calls.contains("PRIVATE"), "{calls}");
    let calls: Vec<&str> = calls.lines().filter(|c| *c != "status").collect();
    assert_eq!(calls, ["--version", "setup --headless -", "start", "resources"]);
    let state = std::fs::read_to_string(rig.state_file()).unwrap();
    assert!(!state.contains(CANARY_KEY) && !state.contains("PRIVATE KEY"));
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
    let calls = std::fs::read_to_string(rig.sim_dir().join("calls")).unwrap();
    let calls: Vec<&str> = calls.lines().filter(|c| *c != "status").collect();
    // Only commands the real client has: no `reset`.
    assert_eq!(calls, ["--version", "setup --headless -", "start", "resources", "stop"]);

    // A leaky client log is masked in tgctl's failure report.
    let rig = Rig::new("never,leak-log").await;
    let r = rig.connect(&["--timeout", "1"]).await;
    r.failure(7).no_secrets();
    assert!(rig.client_log().contains(CANARY_KEY), "the scenario should have leaked");
    r.stderr_has("key material: ***");
}

#[tokio::test(flavor = "multi_thread")]
async fn github_actions_masks_first_and_writes_step_outputs() {
    let rig = Rig::new("online-after=20").await;
    let out = rig.dir.path().join("github_output");
    let env_file = rig.dir.path().join("connect.env");
    let key = rig.key_file(&key_token("acme"));
    let mut c = rig.world.cmd();
    c.env("GITHUB_ACTIONS", "true").env("GITHUB_OUTPUT", &out).args([
        "connect",
        "--wait",
        "--service-key-file",
        &key,
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    let r = run_blocking(c, None).await;
    r.success();
    let stderr = r.stderr();
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("::add-mask::"), "{stderr}");
    for line in stderr.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(CANARY_KEY), "{line}");
    }
    assert!(!r.stdout().contains(CANARY_KEY));
    let outputs = std::fs::read_to_string(&out).unwrap();
    assert!(outputs.contains("status=online\n"), "{outputs}");
    assert!(outputs.contains("elapsed-ms="));
    assert!(outputs.contains("key-id=5c6bcf4e-0000-4000-8000-000000000001\n"));
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.contains("TGCTL_CONNECT_STATUS=online\n") && env.contains("TGCTL_CONNECT_ELAPSED_MS="), "{env}");
    assert!(env.contains("TGCTL_CONNECT_KEY_ID=5c6bcf4e-0000-4000-8000-000000000001"));
    rig.run(&["disconnect"]).await.success();

    // On failure the outputs say so.
    let rig = Rig::new("never").await;
    let env_file = rig.dir.path().join("connect.env");
    let r = rig.connect(&["--timeout", "1", "--env-file", env_file.to_str().unwrap()]).await;
    r.failure(7);
    assert!(std::fs::read_to_string(&env_file).unwrap().contains("TGCTL_CONNECT_STATUS=timeout\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_connect_is_refused_until_disconnect() {
    let rig = Rig::new("online-after=10").await;
    rig.connect(&[]).await.success();
    rig.connect(&[]).await.failure(2).stderr_has("already connected").stderr_has("tgctl disconnect");
    rig.run(&["disconnect"]).await.success();
    rig.connect(&[]).await.success();
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

// ---- preflight -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_client_exits_8_with_how_to_install() {
    let rig = Rig::new("online-after=10").await;
    std::fs::remove_file(rig.dir.path().join("bin/twingate")).unwrap();
    let r = rig.connect(&["--install", "never"]).await;
    r.failure(8).stderr_has("not installed").stderr_has("--install never");
    rig.nothing_started();
    // --install auto is the default: tgctl tries to install it (here the key download fails at
    // once, before any apt-get runs).
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/apt/gpg.key"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&rig.world.server)
        .await;
    let key_url = format!("{}/apt/gpg.key", rig.world.server.uri());
    let rig = rig
        .with_env("TGCTL_TWINGATE_APT_KEY_URL", &key_url)
        .with_env("TGCTL_TWINGATE_APT_URL", "file:/nonexistent/apt/");
    let r = rig.connect(&[]).await;
    r.failure(8).stderr_has("Installing the Twingate client").stderr_has("cannot download");
    let r = rig.connect(&["--client-bin", "/nonexistent/twingate"]).await;
    r.failure(8).stderr_has("--client-bin");
    // TGCTL_TWINGATE_BIN finds it again.
    let mut c = rig.world.cmd();
    let key = rig.key_file(&key_token("acme"));
    c.env("TGCTL_TWINGATE_BIN", bin(SIM_BIN)).args(["connect", "--wait", "--service-key-file", &key]);
    run_blocking(c, None).await.success();
    // disconnect finds the client by its own flag or variable, never by the path in the state
    // (issue 15, item 1).
    rig.run(&["disconnect", "--client-bin", bin(SIM_BIN).to_str().unwrap()]).await.success();
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_without_tun_or_net_admin_exits_8_with_the_remedy() {
    let rig = Rig::new("online-after=10").await;
    std::fs::remove_file(rig.root().join("dev/net/tun")).unwrap();
    let r = rig.connect(&["-o", "json"]).await;
    r.failure(8);
    let e = r.json_error();
    assert_eq!(e["code"], "client_failed");
    assert!(e["message"].as_str().unwrap().contains("/dev/net/tun"));
    assert!(e["hint"].as_str().unwrap().contains("--device /dev/net/tun"));
    rig.nothing_started();

    std::fs::write(rig.root().join("dev/net/tun"), "").unwrap();
    std::fs::write(rig.root().join("proc/self/status"), "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n")
        .unwrap();
    let r = rig.connect(&[]).await;
    r.failure(8).stderr_has("CAP_NET_ADMIN").stderr_has("--cap-add NET_ADMIN");
    rig.nothing_started();
}

// ---- resolve and probe -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn resolve_localhost_with_and_without_require_private() {
    let rig = Rig::new("online-after=10").await;
    let r = rig.connect(&["--resolve", "localhost", "-o", "json"]).await;
    r.success();
    let v = r.json();
    assert_eq!(stage_names(&v).last().unwrap(), "resolve");
    assert_eq!(v["resolved"][0]["host"], "localhost");
    rig.run(&["disconnect"]).await.success();

    let r = rig.connect(&["--resolve", "localhost", "--require-private", "-o", "json"]).await;
    r.success();
    assert!(r.json()["resolved"][0]["addresses"].as_array().unwrap().iter().all(|a| {
        let ip: std::net::IpAddr = a.as_str().unwrap().parse().unwrap();
        ip.is_loopback()
    }));
    rig.run(&["disconnect"]).await.success();

    // A public address never counts as private; the budget runs out at stage resolve.
    let r = rig.connect(&["--resolve", "8.8.8.8", "--require-private", "--timeout", "2"]).await;
    r.failure(7).stderr_has("stage resolve").stderr_has("public address");
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_success_and_failure() {
    let rig = Rig::new("online-after=10").await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let r = rig.connect(&["--probe", &target, "-o", "json"]).await;
    r.success();
    let v = r.json();
    assert_eq!(v["probes"][0]["target"], target.as_str());
    assert_eq!(stage_names(&v).last().unwrap(), "probe");
    rig.run(&["disconnect"]).await.success();

    drop(listener);
    let r = rig.connect(&["--probe", &target, "--timeout", "2"]).await;
    r.failure(7).stderr_has("stage probe").stderr_has("did not accept a TCP connection");
    rig.all_undone();

    let starts = rig.starts();
    rig.connect(&["--probe", "no-port"]).await.failure(2).stderr_has("not HOST:PORT");
    assert_eq!(rig.starts(), starts, "a bad --probe started the client");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_probe_that_starts_listening_late_is_retried() {
    let rig = Rig::new("online-after=10").await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        let l = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let _ = l.accept();
    });
    let target = format!("127.0.0.1:{port}");
    let r = rig.connect(&["--probe", &target, "--timeout", "10", "-o", "json"]).await;
    r.success();
    assert!(r.json()["probes"][0]["attempts"].as_u64().unwrap() > 1);
    late.join().unwrap();
    rig.run(&["disconnect"]).await.success();
}

// ---- connect -- CMD --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_command_runs_inside_the_connection_and_its_status_is_ours() {
    let rig = Rig::new("online-after=50").await;
    let r = rig.connect(&["--", "sh", "-c", "test \"$(twingate status)\" = online && echo inside"]).await;
    r.success().no_secrets();
    assert_eq!(r.stdout(), "inside\n", "stdout is the command's");
    rig.all_undone();

    let r = rig.connect(&["--", "sh", "-c", "exit 3"]).await;
    r.failure(3);
    rig.all_undone();

    let r = rig.connect(&["--", "sh", "-c", "kill -TERM $$"]).await;
    r.failure(143);
    rig.all_undone();

    let r = rig.connect(&["--", "/nonexistent/cmd"]).await;
    r.failure(127);
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_is_forwarded_to_the_command_and_everything_is_torn_down() {
    let rig = Rig::new("online-after=20").await;
    let key = rig.key_file(&key_token("acme"));
    let mut c = rig.world.cmd();
    c.args(["connect", "--wait", "--service-key-file", &key, "--", "sh", "-c", "sleep 30 & wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let command_pid = loop {
        if let Ok(text) = std::fs::read_to_string(rig.state_file())
            && let Ok(v) = serde_json::from_str::<Value>(&text)
            && let Some(pid) = v["commandPid"].as_u64()
        {
            break u32::try_from(pid).unwrap();
        }
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let daemon = rig.daemon_pid().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let tgctl = i32::try_from(child.id()).unwrap();
    assert!(std::process::Command::new("kill").args(["-INT", &tgctl.to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "sh killed by SIGINT -> 128+2");
    assert!(!alive(command_pid), "the command survived");
    assert!(!alive(daemon), "the client daemon survived");
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_waiting_stops_the_client_and_exits_130() {
    let rig = Rig::new("never").await;
    let key = rig.key_file(&key_token("acme"));
    let mut c = rig.world.cmd();
    c.args(["connect", "--wait", "--service-key-file", &key, "--timeout", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while rig.client_status() != "authenticating" {
        assert!(Instant::now() < deadline, "the client never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let daemon = rig.daemon_pid().unwrap();
    assert!(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert!(!alive(daemon));
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn no_orphans_every_recorded_pid_is_gone_after_disconnect() {
    let rig = Rig::new("online-after=30").await;
    rig.connect(&[]).await.success();
    let state = rig.state();
    let mut pids: Vec<u32> =
        state["pids"].as_array().unwrap().iter().map(|p| u32::try_from(p.as_u64().unwrap()).unwrap()).collect();
    pids.push(rig.daemon_pid().unwrap());
    assert!(alive(rig.daemon_pid().unwrap()));
    rig.run(&["disconnect"]).await.success();
    for pid in pids {
        assert!(!alive(pid), "{pid} is still running");
    }
    rig.all_undone();
}

// ---- --mint ----------------------------------------------------------------------------------

const SA_UUID: &str = "2dd91f07-a726-4ee5-9e08-710fc4da8344";

fn key_node(id: &str, status: &str) -> Value {
    json!({
        "id": id, "name": "tgctl-gh-web-42-1-deploy", "status": status,
        "expiresAt": "2999-01-01T00:00:00.000000+00:00", "revokedAt": null,
        "createdAt": T0, "updatedAt": T0,
        "serviceAccount": {"id": gid("ServiceAccount", SA_UUID), "name": "ci"}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn mint_creates_a_job_key_and_disconnect_revokes_and_deletes_it() {
    let rig = Rig::new("online-after=20").await;
    let sa = gid("ServiceAccount", SA_UUID);
    let key_id = gid("ServiceAccountKey", "5c6bcf4e-0000-4000-8000-000000000001");
    rig.world
        .expect(
            "ServiceAccountGet",
            ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccount": {
                "id": sa, "name": "ci", "createdAt": T0, "updatedAt": T0,
                "resources": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []},
                "keys": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []}
            }}})),
            1,
        )
        .await;
    rig.world
        .expect(
            "ServiceKeyCreate",
            ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyCreate": {
                "ok": true, "error": null, "token": key_token("acme"), "entity": key_node(&key_id, "ACTIVE")
            }}})),
            1,
        )
        .await;
    rig.world
        .expect(
            "ServiceKeyRevoke",
            ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyRevoke": {
                "ok": true, "error": null, "entity": key_node(&key_id, "REVOKED")
            }}})),
            1,
        )
        .await;
    rig.world
        .expect(
            "ServiceKeyDelete",
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"serviceAccountKeyDelete": {"ok": true, "error": null}}})),
            1,
        )
        .await;
    let mut c = rig.world.cmd();
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/web")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_JOB", "deploy")
        .args(["connect", "--wait", "--mint", "--service-account", &sa, "--mint-expires-in-days", "2", "-o", "json"]);
    let r = run_blocking(c, None).await;
    r.success();
    assert!(!r.stdout().contains(CANARY_KEY) && !r.stdout().contains(CANARY_TOKEN));
    assert!(r.stderr().lines().filter(|l| !l.starts_with("::add-mask::")).all(|l| !l.contains(CANARY_KEY)));
    assert_eq!(r.json()["mintedKeyId"], key_id.as_str());
    let create = &rig.world.requests("ServiceKeyCreate").await[0]["variables"];
    // The job's name and a random suffix (cli/src/naming.rs): two runs never collide.
    let name = create["name"].as_str().unwrap();
    assert!(
        name.starts_with("tgctl-gh-web-42-1-deploy-") && name.len() == "tgctl-gh-web-42-1-deploy-".len() + 6,
        "{name}"
    );
    assert_eq!(create["expirationTime"], 2);
    assert_eq!(create["serviceAccountId"], sa.as_str());
    assert_eq!(rig.state()["mintedKey"]["id"], key_id.as_str());
    rig.canary_only_in_client_store();

    let r = rig.run(&["disconnect", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["revokedKeyId"], key_id.as_str());
    rig.all_undone();
    // The second disconnect has nothing left to revoke (the mocks expect exactly one call).
    rig.run(&["disconnect"]).await.success();
    assert_eq!(rig.world.requests("ServiceKeyRevoke").await.len(), 1);
    assert_eq!(rig.world.requests("ServiceKeyDelete").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minted_key_is_revoked_when_connect_fails() {
    let rig = Rig::new("never").await;
    let sa = gid("ServiceAccount", SA_UUID);
    let key_id = gid("ServiceAccountKey", "5c6bcf4e-0000-4000-8000-000000000001");
    rig.world
        .on(
            "ServiceAccountGet",
            json!({"serviceAccount": {
                "id": sa, "name": "ci", "createdAt": T0, "updatedAt": T0,
                "resources": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []},
                "keys": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []}
            }}),
        )
        .await;
    rig.world
        .on(
            "ServiceKeyCreate",
            json!({"serviceAccountKeyCreate": {"ok": true, "error": null, "token": key_token("acme"), "entity": key_node(&key_id, "ACTIVE")}}),
        )
        .await;
    rig.world
        .expect(
            "ServiceKeyRevoke",
            ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyRevoke": {
                "ok": true, "error": null, "entity": key_node(&key_id, "REVOKED")
            }}})),
            1,
        )
        .await;
    rig.world
        .expect(
            "ServiceKeyDelete",
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"serviceAccountKeyDelete": {"ok": true, "error": null}}})),
            1,
        )
        .await;
    let r = rig.run(&["connect", "--wait", "--mint", "--service-account", &sa, "--timeout", "1"]).await;
    r.failure(7).no_secrets();
    rig.all_undone();
    rig.run(&["disconnect"]).await.success();
}

// ---- end to end: the emulator mints, the simulated client logs in ------------------------------

/// The emulator (no rate limits) and a rig whose simulated client logs in to it.
async fn emulator_rig() -> (Emulator, Rig) {
    let emu = Emulator::start(&["--reads-per-minute", "0", "--writes-per-minute", "0"]);
    let rig = Rig::new("")
        .await
        .with_env("TGCTL_API_URL", &emu.var("TGCTL_API_URL"))
        .with_env("TWINGATE_API_TOKEN", &emu.var("TWINGATE_API_TOKEN"))
        .with_env("TWINGATE_SIM_API_URL", &emu.var("TGCTL_EMULATOR_URL"));
    (emu, rig)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_revoked_mid_connection_takes_the_client_offline() {
    let (_emu, rig) = emulator_rig().await;
    rig.run(&["service-account", "create", "ci", "--resource", "demo-web"]).await.success();
    let r = rig.run(&["connect", "--wait", "--mint", "--service-account", "ci", "--timeout", "20", "-o", "json"]).await;
    let minted = r.success().json()["mintedKeyId"].as_str().unwrap().to_owned();
    assert_eq!(rig.run(&["status", "-o", "json"]).await.success().json()["clientState"], "online");
    // Someone revokes the key while the job runs: the client goes offline within seconds.
    rig.run(&["service-key", "revoke", &minted, "--yes"]).await.success();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let state =
            rig.run(&["status", "-o", "json"]).await.json()["clientState"].as_str().unwrap_or_default().to_owned();
        if state != "online" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still online 10s after the key was revoked");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(rig.client_log().contains("key revoked"), "{}", rig.client_log());
    // disconnect still cleans up (the key is already revoked; it is deleted).
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
    let keys = rig.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(keys.json(), json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn end_to_end_with_the_emulator_mint_login_resources_revoke() {
    let (_emu, rig) = emulator_rig().await;
    rig.run(&["service-account", "create", "ci", "--resource", "demo-web"]).await.success();

    let r = rig.run(&["connect", "--wait", "--mint", "--service-account", "ci", "--timeout", "20", "-o", "json"]).await;
    r.success().no_secrets();
    let v = r.json();
    let minted = v["mintedKeyId"].as_str().unwrap().to_owned();
    // The resources are what the emulator granted the service account.
    let names: Vec<&str> = v["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["demo-web"]);
    assert!(rig.client_log().contains("headless login accepted"));
    let keys = rig.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(keys.json()[0]["id"], minted.as_str());
    assert_eq!(keys.json()[0]["status"], "active");

    let r = rig.run(&["disconnect", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["revokedKeyId"], minted.as_str());
    rig.all_undone();
    let keys = rig.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(keys.json(), json!([]), "the minted key was deleted");

    // A revoked key never comes online: the login is refused, and the client's "authentication
    // failed" log line ends the wait at once (exit 9, not a timeout).
    let key_file = rig.dir.path().join("revoked.json");
    let r =
        rig.run(&["service-key", "create", "--service-account", "ci", "--key-file", key_file.to_str().unwrap()]).await;
    r.success();
    let id = r.stdout().lines().find_map(|l| l.strip_prefix("id\t")).unwrap().to_owned();
    rig.run(&["service-key", "revoke", &id, "--yes"]).await.success();
    let r = rig.run(&["connect", "--wait", "--service-key-file", key_file.to_str().unwrap(), "--timeout", "60"]).await;
    r.failure(9).no_secrets().stderr_has("headless login refused: HTTP 401 key revoked");
    r.stderr_has("tgctl service-key create");
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn install_adds_the_signed_apt_repository_then_installs_twingate() {
    use std::os::unix::fs::PermissionsExt;
    let rig = Rig::new("online-after=10").await;
    let bin_dir = rig.dir.path().join("bin");
    std::fs::remove_file(bin_dir.join("twingate")).unwrap();
    let calls = rig.dir.path().join("apt-calls");
    // Fake apt-get: records its calls; `install` puts the client in place. Fake gpg: dearmors
    // by copying.
    let apt = format!(
        "#!/bin/sh\necho \"$DEBIAN_FRONTEND $*\" >> '{calls}'\ncase \"$1\" in install) ln -s '{sim}' '{bin}/twingate';; esac\n",
        calls = calls.display(),
        sim = bin(SIM_BIN).display(),
        bin = bin_dir.display()
    );
    let gpg = "#!/bin/sh\nout=\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\ncat > \"$out\"\n";
    for (name, text) in [("apt-get", apt.as_str()), ("gpg", gpg)] {
        std::fs::write(bin_dir.join(name), text).unwrap();
        std::fs::set_permissions(bin_dir.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGTEST\n-----END PGP PUBLIC KEY BLOCK-----\n";
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/apt/gpg.key"))
        .respond_with(ResponseTemplate::new(200).set_body_string(armored))
        .expect(1)
        .mount(&rig.world.server)
        .await;
    let key_url = format!("{}/apt/gpg.key", rig.world.server.uri());
    let rig = rig.with_env("TGCTL_TWINGATE_APT_KEY_URL", &key_url);
    // The machine has CA certificates: apt can fetch https without installing them first.
    std::fs::create_dir_all(rig.root().join("etc/ssl/certs")).unwrap();
    std::fs::write(rig.root().join("etc/ssl/certs/ca-certificates.crt"), "").unwrap();
    let r = rig.connect(&["--install"]).await;
    r.success().no_secrets().stderr_has("Installing the Twingate client");
    let keyring = rig.root().join("usr/share/keyrings/twingate-client-keyring.gpg");
    assert_eq!(std::fs::read_to_string(&keyring).unwrap(), armored);
    let list = std::fs::read_to_string(rig.root().join("etc/apt/sources.list.d/twingate.list")).unwrap();
    assert_eq!(list, format!("deb [signed-by={}] https://packages.twingate.com/apt/ * *\n", keyring.display()));
    let calls = std::fs::read_to_string(&calls).unwrap();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    assert!(lines[0].starts_with("noninteractive -q update -o Dir::Etc::sourcelist="), "{calls}");
    assert_eq!(lines[1], "noninteractive install -y -q --no-install-recommends -o Acquire::Retries=3 twingate");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

// ---- --docker-dns -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn docker_dns_points_the_daemon_at_the_client_and_disconnect_puts_it_back() {
    let rig = Rig::new("online-after=10").await;
    let daemon_json = rig.root().join("etc/docker/daemon.json");
    std::fs::create_dir_all(daemon_json.parent().unwrap()).unwrap();
    let before = "{\n  \"log-driver\": \"json-file\",\n  \"dns\": [\"8.8.8.8\"]\n}\n";
    std::fs::write(&daemon_json, before).unwrap();
    let r = rig.connect(&["--docker-dns"]).await;
    r.success().stderr_has("/etc/docker/daemon.json now uses the client's resolvers");
    // This fake machine has no systemd: nothing to restart, and it says so.
    r.stderr_has("restart it for the setting to apply");
    let during: Value = serde_json::from_str(&std::fs::read_to_string(&daemon_json).unwrap()).unwrap();
    assert_eq!(during["dns"], json!(["100.95.0.251", "100.95.0.252", "100.95.0.253", "100.95.0.254"]));
    assert_eq!(during["log-driver"], "json-file");
    rig.run(&["disconnect"]).await.success().stderr_has("Restoring the Docker daemon's DNS");
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&daemon_json).unwrap()).unwrap();
    assert_eq!(after, serde_json::from_str::<Value>(before).unwrap());
    rig.all_undone();

    // No daemon.json before: connect creates it, disconnect removes it.
    std::fs::remove_file(&daemon_json).unwrap();
    rig.connect(&["--docker-dns"]).await.success();
    assert!(daemon_json.exists());
    rig.run(&["disconnect"]).await.success();
    assert!(!daemon_json.exists(), "the file connect created is gone");

    // A broken daemon.json is left alone, and nothing stays connected.
    std::fs::write(&daemon_json, "{broken").unwrap();
    rig.connect(&["--docker-dns"]).await.failure(8).stderr_has("not valid JSON");
    assert_eq!(std::fs::read_to_string(&daemon_json).unwrap(), "{broken");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();

    // Proxy mode: containers cannot reach the resolvers; refused before anything starts.
    let r = rig.connect(&["--docker-dns", "--network-mode", "proxy"]).await;
    r.failure(2).stderr_has("--docker-dns needs TUN mode");
    assert!(!daemon_json.exists() || std::fs::read_to_string(&daemon_json).unwrap() == "{broken");
}
