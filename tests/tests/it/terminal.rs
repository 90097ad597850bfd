//! tgctl at a real terminal: prompts, progress and table widths, through a pseudo-terminal.
//!
//! `script` (util-linux) runs tgctl on a new pty that is its controlling terminal, so stdin,
//! stdout and stderr are all terminals, as for a person typing; what the person types is
//! written to `script`'s stdin once the prompt has appeared on the pty.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::emulator::Emulator;

/// What a terminal session printed (stdout and stderr share the pty) and how tgctl exited.
pub struct Screen {
    pub code: i32,
    pub text: String,
}

impl Screen {
    #[track_caller]
    pub fn has(&self, needle: &str) -> &Self {
        assert!(self.text.contains(needle), "the terminal lacks {needle:?}:\n{}", self.text);
        self
    }
}

/// Single-quotes `s` for `sh -c`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `cmd` (with its environment) on a pty. When `answer` is given, it is typed once
/// `prompt` shows on the terminal. A session that is still running after `limit` is killed
/// and fails the test (a hang, not a slow machine: nothing here waits on time otherwise).
pub fn at_terminal(cmd: &Command, prompt: &str, answer: Option<&str>) -> Screen {
    // A pty made without a terminal around it has no size; give it one, as a window would.
    let mut line = format!("stty cols 100 rows 40; exec {}", quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(&a.to_string_lossy()));
    }
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &line, "/dev/null"]).env_clear().env("TERM", "xterm");
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    let mut child = script
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) runs tgctl on a pty");
    let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut out = child.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let mut stdin = child.stdin.take();
    let limit = Instant::now() + Duration::from_secs(120);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if let Some(a) = answer
            && stdin.is_some()
            && String::from_utf8_lossy(&seen.lock().unwrap()).contains(prompt)
        {
            let mut s = stdin.take().unwrap();
            s.write_all(a.as_bytes()).unwrap();
            s.flush().unwrap();
        }
        if Instant::now() > limit {
            let _ = child.kill();
            panic!("the terminal session hung:\n{}", String::from_utf8_lossy(&seen.lock().unwrap()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    reader.join().unwrap();
    let text = String::from_utf8_lossy(&seen.lock().unwrap()).replace("\r\n", "\n");
    Screen { code, text }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_at_a_prompt_changes_nothing_and_exits_0() {
    let emu = Emulator::start(&["--seed", "demo"]);
    emu.run(&["service-account", "create", "ci"]).await.success();
    let file = emu.state.path().join("k.json");
    emu.run(&["key", "create", "--service-account", "ci", "--name", "nightly", "--key-file", file.to_str().unwrap()])
        .await
        .success();

    let mut c = emu.cmd();
    c.args(["service-key", "revoke", "nightly", "--service-account", "ci"]);
    let screen = tokio::task::spawn_blocking(move || at_terminal(&c, "[y/N]", Some("n"))).await.unwrap();
    assert_eq!(screen.code, 0, "{}", screen.text);
    screen.has("this cannot be undone?").has("Answered no: nothing was changed.");
    assert!(!screen.text.contains("error"), "{}", screen.text);
    let v = emu.run(&["key", "get", "nightly", "--service-account", "ci", "-o", "json"]).await.success().json();
    assert_eq!(v["status"], "active", "a no changes nothing");

    // "y" goes ahead.
    let mut c = emu.cmd();
    c.args(["service-key", "revoke", "nightly", "--service-account", "ci"]);
    let screen = tokio::task::spawn_blocking(move || at_terminal(&c, "[y/N]", Some("y"))).await.unwrap();
    assert_eq!(screen.code, 0, "{}", screen.text);
    screen.has("Revoked service key");
    let v = emu.run(&["key", "get", "nightly", "--service-account", "ci", "-o", "json"]).await.success().json();
    assert_eq!(v["status"], "revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn long_lists_and_rotation_show_progress_at_a_terminal_and_plain_lines_elsewhere() {
    use serde_json::json;
    use wiremock::ResponseTemplate;
    use wiremock::matchers::body_partial_json;

    use crate::common::World;
    use crate::service_account::list_data;

    // Three pages of service accounts.
    let w = World::new().await;
    for (after, next, range) in
        [(None, Some("c1"), 0..100), (Some("c1"), Some("c2"), 100..200), (Some("c2"), None, 200..230)]
    {
        let nodes = range.map(|i| crate::service_account_node(&i.to_string(), &format!("sa-{i}"))).collect();
        // The first page (no cursor) is the fallback; later pages match their cursor first.
        let body = match after {
            Some(cursor) => json!({"operationName": "ServiceAccountList", "variables": {"after": cursor}}),
            None => json!({"operationName": "ServiceAccountList"}),
        };
        wiremock::Mock::given(body_partial_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": list_data(nodes, next)})))
            .with_priority(if after.is_some() { 1 } else { 10 })
            .mount(&w.server)
            .await;
    }
    let mut c = w.cmd();
    c.env("COLUMNS", "100").args(["service-account", "list"]);
    let screen = tokio::task::spawn_blocking(move || at_terminal(&c, "", None)).await.unwrap();
    assert_eq!(screen.code, 0, "{}", screen.text);
    screen.has("Listing: 100 so far").has("Listing: 200 so far").has("sa-229");
    // At a terminal in CI (CircleCI runs steps on a pty), no spinner either (`CI`, as
    // `tgctl help environment` says).
    let mut c = w.cmd();
    c.env("COLUMNS", "100").env("CI", "true").args(["service-account", "list"]);
    let screen = tokio::task::spawn_blocking(move || at_terminal(&c, "", None)).await.unwrap();
    assert_eq!(screen.code, 0, "{}", screen.text);
    screen.has("sa-229");
    assert!(!screen.text.contains("so far"), "a spinner in CI: {}", screen.text);
    // In a pipe (CI), no spinner: the rows are the progress.
    let r = w.run(&["service-account", "list"]).await;
    assert!(r.success().stderr().is_empty(), "{}", r.stderr());
    assert_eq!(r.stdout().lines().count(), 230);

    // Rotation: a spinner per stage at a terminal; one line per stage in a pipe.
    let emu = Emulator::start(&["--seed", "demo"]);
    emu.run(&["service-account", "create", "ci"]).await.success();
    let dir = emu.state.path();
    let (old, new) = (dir.join("old.json"), dir.join("new.json"));
    emu.run(&["key", "create", "--service-account", "ci", "--name", "nightly", "--key-file", old.to_str().unwrap()])
        .await
        .success();
    let mut c = emu.cmd();
    c.args(["key", "rotate", "nightly", "--service-account", "ci", "--key-file", new.to_str().unwrap(), "--yes"]);
    let screen = tokio::task::spawn_blocking(move || at_terminal(&c, "", None)).await.unwrap();
    assert_eq!(screen.code, 0, "{}", screen.text);
    screen.has("Creating the new key").has("Revoking the old key").has("Rotated service key \"nightly\"");
    let r = emu
        .run(&[
            "key",
            "rotate",
            "nightly",
            "--service-account",
            "ci",
            "--key-file",
            new.to_str().unwrap(),
            "--force",
            "--yes",
        ])
        .await;
    // Two keys are named nightly now (one revoked): the name is ambiguous, so rotate by ID.
    r.failure(2).stderr_has("2 service keys are named \"nightly\"");
    let id = emu.run(&["key", "list", "--service-account", "ci", "--status", "active", "-o", "id"]).await.stdout();
    let r = emu
        .run(&["key", "rotate", id.trim(), "--key-file", new.to_str().unwrap(), "--force", "--delete-old", "--yes"])
        .await;
    let lines: Vec<String> = r.success().stderr().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "one line per stage: written, revoked, deleted, summary: {lines:#?}");
    assert!(!r.stderr().contains("Creating the new key"), "no spinner text in a pipe");
}
