//! The test harness: a mock Admin API, a private config/state dir, and a `tgctl` command wired to
//! both, with canary secrets that must never appear in any output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An API token that must never be printed.
pub const CANARY_TOKEN: &str = "tgctl-canary-api-token-7f3a9c";
/// Part of a service key that must never be printed except where the user asked for the key.
pub const CANARY_KEY: &str = "CANARYPRIVATEKEYMATERIAL0123456789";

/// The simulated Twingate client (workspace member `sim/`, package `tgctl-sim`). Tests put it
/// on PATH as `twingate` (a symlink) or pass it as `TGCTL_TWINGATE_BIN`.
pub const SIM_BIN: &str = "twingate-sim";

/// A variable of the test process's own environment (the harness's settings and PATH). The one
/// place the tests read it (clippy.toml disallows `std::env::var` elsewhere).
#[allow(clippy::disallowed_methods)]
pub fn host_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Path of a workspace binary built by `cargo build --workspace --bins` (`tgctl`,
/// `twingate-sim`, ...); `TGCTL_TEST_BIN_<NAME>` overrides it.
pub fn bin(name: &str) -> PathBuf {
    let var = format!("TGCTL_TEST_BIN_{}", name.to_ascii_uppercase().replace('-', "_"));
    if let Some(p) = host_env(&var) {
        return PathBuf::from(p);
    }
    let path = assert_cmd::cargo::cargo_bin(name);
    assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` first", path.display());
    path
}

/// One isolated tgctl world.
pub struct World {
    pub server: MockServer,
    pub config_dir: TempDir,
    pub state_dir: TempDir,
    pub extra_env: Vec<(String, String)>,
}

impl World {
    pub async fn new() -> Self {
        Self {
            server: MockServer::start().await,
            config_dir: tempfile::tempdir().unwrap(),
            state_dir: tempfile::tempdir().unwrap(),
            extra_env: Vec::new(),
        }
    }

    pub fn api_url(&self) -> String {
        format!("{}/api/graphql/", self.server.uri())
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.extra_env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// The same world (mock, dirs) with one more variable, for a single run.
    pub fn clone_env(&self, k: &str, v: &str) -> WorldView<'_> {
        WorldView { world: self, extra: vec![(k.to_owned(), v.to_owned())] }
    }

    /// `tgctl` with a clean environment pointing at the mock.
    pub fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(bin("tgctl"));
        c.env_clear()
            .env("PATH", host_env("PATH").unwrap_or_default())
            .env("HOME", self.config_dir.path())
            .env("TGCTL_API_URL", self.api_url())
            .env("TWINGATE_API_TOKEN", CANARY_TOKEN)
            .env("TGCTL_CONFIG_DIR", self.config_dir.path())
            .env("TGCTL_STATE_DIR", self.state_dir.path())
            .env("TGCTL_NO_KEYRING", "1")
            .env("TGCTL_BACKOFF_SCALE", "0")
            .env("TGCTL_READS_PER_MINUTE", "0")
            .env("TGCTL_WRITES_PER_MINUTE", "0")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }

    /// Runs tgctl off the async runtime (the mock server lives on it).
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        run_blocking(c, None).await
    }

    pub async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut c = self.cmd();
        c.args(args);
        run_blocking(c, Some(stdin.to_owned())).await
    }

    /// Answers operation `op` with `data` (as `{"data": data}`), any number of times.
    pub async fn on(&self, op: &str, data: Value) {
        self.on_response(op, ResponseTemplate::new(200).set_body_json(json!({ "data": data }))).await;
    }

    pub async fn on_response(&self, op: &str, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path("/api/graphql/"))
            .and(body_partial_json(json!({ "operationName": op })))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Like `on`, but the mock must be hit exactly `n` times (checked when the world drops).
    pub async fn expect(&self, op: &str, response: ResponseTemplate, n: u64) {
        Mock::given(method("POST"))
            .and(path("/api/graphql/"))
            .and(body_partial_json(json!({ "operationName": op })))
            .respond_with(response)
            .expect(n)
            .named(op)
            .mount(&self.server)
            .await;
    }

    /// Answers operation `op` with `data` only when its variables include `vars` (matched
    /// partially); takes priority over [`World::on`].
    pub async fn on_vars(&self, op: &str, vars: Value, data: Value) {
        Mock::given(method("POST"))
            .and(path("/api/graphql/"))
            .and(body_partial_json(json!({ "operationName": op, "variables": vars })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Answers the first request for `op` with `data`; later requests fall through to other mocks.
    pub async fn on_first(&self, op: &str, data: Value) {
        Mock::given(method("POST"))
            .and(path("/api/graphql/"))
            .and(body_partial_json(json!({ "operationName": op })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&self.server)
            .await;
    }

    /// Answers `op` with GraphQL errors.
    pub async fn on_errors(&self, op: &str, messages: &[&str]) {
        let errors: Vec<Value> = messages.iter().map(|m| json!({"message": m})).collect();
        self.on_response(op, ResponseTemplate::new(200).set_body_json(json!({"data": null, "errors": errors}))).await;
    }

    /// The variables of every request received for `op`.
    pub async fn vars(&self, op: &str) -> Vec<Value> {
        self.requests(op).await.into_iter().map(|b| b["variables"].clone()).collect()
    }

    /// Bodies of the requests received for `op`.
    pub async fn requests(&self, op: &str) -> Vec<Value> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter(|b| b["operationName"] == op)
            .collect()
    }

    pub fn config_path(&self, name: &str) -> PathBuf {
        self.config_dir.path().join(name)
    }
}

/// A world seen with extra environment variables.
pub struct WorldView<'w> {
    world: &'w World,
    extra: Vec<(String, String)>,
}

impl WorldView<'_> {
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.world.cmd();
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c.args(args);
        run_blocking(c, None).await
    }
}

pub async fn run_blocking(mut c: std::process::Command, stdin: Option<String>) -> Run {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        if stdin.is_some() {
            c.stdin(std::process::Stdio::piped());
        }
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("spawn tgctl");
        if let Some(text) = stdin {
            // tgctl may exit (a usage error) before reading stdin: a broken pipe is its answer.
            let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
        }
        Run(child.wait_with_output().expect("wait for tgctl"))
    })
    .await
    .unwrap()
}

/// A finished tgctl run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout()))
    }
    /// The JSON error object printed on stderr with `-o json`.
    pub fn json_error(&self) -> Value {
        let line = self.stderr().lines().last().unwrap_or_default().to_owned();
        serde_json::from_str::<Value>(&line)
            .unwrap_or_else(|e| panic!("stderr is not a JSON error ({e}): {}", self.stderr()))["error"]
            .clone()
    }
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code(), 0, "expected success\nstdout: {}\nstderr: {}", self.stdout(), self.stderr());
        self
    }
    #[track_caller]
    pub fn failure(&self, code: i32) -> &Self {
        assert_eq!(self.code(), code, "expected exit {code}\nstdout: {}\nstderr: {}", self.stdout(), self.stderr());
        self
    }
    /// Any failure (non-zero exit), without panicking.
    #[track_caller]
    pub fn failure_any(&self) -> &Self {
        assert_ne!(self.code(), 0, "expected a failure\nstdout: {}\nstderr: {}", self.stdout(), self.stderr());
        assert!(!self.stderr().contains("panicked"), "{}", self.stderr());
        self
    }
    /// No secret canary anywhere in stdout or stderr.
    #[track_caller]
    pub fn no_secrets(&self) -> &Self {
        for canary in [CANARY_TOKEN, CANARY_KEY] {
            assert!(!self.stdout().contains(canary), "canary {canary} on stdout: {}", self.stdout());
            assert!(!self.stderr().contains(canary), "canary {canary} on stderr: {}", self.stderr());
        }
        self
    }
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(self.stderr().contains(needle), "stderr lacks {needle:?}: {}", self.stderr());
        self
    }
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(self.stdout().contains(needle), "stdout lacks {needle:?}: {}", self.stdout());
        self
    }
}

// ---- fixtures -------------------------------------------------------------------------------

pub fn gid(ty: &str, pk: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{ty}:{pk}"))
}

/// A connection page: `{pageInfo, totalCount, edges: [{node}]}`; `next` is the end cursor when
/// there are more pages.
pub fn conn(nodes: Vec<Value>, next: Option<&str>) -> Value {
    let total = nodes.len();
    json!({
        "pageInfo": {"endCursor": next.map_or_else(|| json!("last"), |c| json!(c)), "hasNextPage": next.is_some()},
        "totalCount": total,
        "edges": nodes.into_iter().map(|n| json!({"cursor": "c", "node": n})).collect::<Vec<_>>()
    })
}

/// A successful mutation payload.
pub fn ok_entity(entity: Value) -> Value {
    json!({"ok": true, "error": null, "entity": entity})
}

/// A rejected mutation payload.
pub fn not_ok(message: &str) -> Value {
    json!({"ok": false, "error": message, "entity": null})
}

pub const T0: &str = "2026-01-01T00:00:00.000000+00:00";

/// A service key JSON whose private key carries the canary.
pub fn key_token(network: &str) -> String {
    json!({
        "version": "1",
        "network": format!("{network}.twingate.com"),
        "service_account_id": "2dd91f07-a726-4ee5-9e08-710fc4da8344",
        "private_key": format!("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49{CANARY_KEY}\n-----END PRIVATE KEY-----\n"),
        "key_id": "5c6bcf4e-0000-4000-8000-000000000001",
        "expires_at": "2999-01-01T00:00:00+00:00",
        "login_path": "/api/v4/headless/login"
    })
    .to_string()
}

pub fn file_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

impl World {
    /// Runs tgctl with extra environment variables.
    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        run_blocking(c, None).await
    }
}
