//! The `tgctl-emulator` binary: the env lines it prints, serving, and stopping on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tgctl-emulator");

#[test]
fn schema_subcommand_prints_the_served_sdl() {
    let out = Command::new(BIN).arg("schema").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim_end(), tgctl_emulator::sdl().trim_end());
    assert!(text.contains("type QueriesRoot"));
}

#[tokio::test]
async fn serve_prints_env_lines_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--seed", "empty", "--network", "acme", "--api-token", "tok-123", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout).lines().take(4).map(Result::unwrap).collect();
    let vars: Vec<(&str, &str)> = lines.iter().map(|l| l.split_once('=').unwrap()).collect();
    let keys: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["TGCTL_API_URL", "TWINGATE_API_TOKEN", "TWINGATE_NETWORK", "TGCTL_EMULATOR_URL"]);
    let api_url = vars[0].1;
    assert!(api_url.starts_with("http://127.0.0.1:") && api_url.ends_with("/api/graphql/"), "{api_url}");
    assert_eq!(vars[1].1, "tok-123");
    assert_eq!(vars[2].1, "acme");
    assert_eq!(format!("{}/api/graphql/", vars[3].1), api_url);

    let http = reqwest::Client::new();
    let body: Value = http
        .post(api_url)
        .header("X-API-KEY", "tok-123")
        .json(&json!({"query": "{ users { totalCount } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["users"]["totalCount"], 1);
    let health: Value = http.get(format!("{}/_emulator/health", vars[3].1)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["ok"], true);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "the emulator did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The state file holds the provision-level API token: only its owner may read it, from the first
/// save on, after every save, and even when a world-readable file was there before (issue 15).
#[cfg(unix)]
#[tokio::test]
async fn the_state_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let canary = "tok-canary-7f3a";

    let serve = |path: &std::path::Path| {
        Command::new(BIN)
            .args(["serve", "--port", "0", "--seed", "empty", "--api-token", canary, "--quiet", "--state"])
            .arg(path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = serve(&path);
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap()).lines().take(4).map(Result::unwrap).collect();
    assert!(std::fs::read_to_string(&path).unwrap().contains(canary), "the token is in the state file");
    assert_eq!(mode(&path), 0o600, "after the first save");

    let api_url = lines[0].split_once('=').unwrap().1.to_string();
    let body: Value = reqwest::Client::new()
        .post(&api_url)
        .header("X-API-KEY", canary)
        .json(&json!({"query": "mutation { groupCreate(name: \"g\") { ok } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["groupCreate"]["ok"], true);
    assert_eq!(mode(&path), 0o600, "after a mutation's save");
    child.kill().unwrap();
    child.wait().unwrap();

    // A world-readable file left by an older version is replaced by a private one.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut child = serve(&path);
    let _: Vec<String> = BufReader::new(child.stdout.take().unwrap()).lines().take(4).map(Result::unwrap).collect();
    assert_eq!(mode(&path), 0o600, "an existing 0644 file is rewritten 0600 at start");
    child.kill().unwrap();
    child.wait().unwrap();
}
