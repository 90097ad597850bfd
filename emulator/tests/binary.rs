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
