//! `TGCTL_CHECK_ARGS`: the parse-only mode the CI wrappers' tests use (scripts/lib/argv-check.py).
//! It parses and does nothing else: no API request, no client started.

use crate::common::World;

#[tokio::test]
async fn one_command_line_is_parsed_and_nothing_runs() {
    // `.expect(0)`: any request to the API fails the test when the world drops.
    let w = World::new().await.env("TGCTL_CHECK_ARGS", "1");
    w.expect("ServiceAccountList", wiremock::ResponseTemplate::new(500), 0).await;
    w.run(&["service-account", "list"]).await.success();
    w.run(&["connect", "--wait", "--timeout", "90s", "--probe", "db.internal:5432"]).await.success();
    let r = w.run(&["connect", "--wait", "--no-such-flag"]).await;
    r.failure(2);
    assert!(r.stderr().contains("--no-such-flag"), "{}", r.stderr());
    w.run(&["connect", "--network-mode", "sideways"]).await.failure(2);
}

#[tokio::test]
async fn a_file_of_command_lines_gets_one_verdict_a_line() {
    let w = World::new().await;
    let file = w.state_dir.path().join("argv.jsonl");
    std::fs::write(
        &file,
        "[\"connect\",\"--wait\",\"--mint\",\"--service-account\",\"ci\"]\n\n[\"disconnect\",\"--bogus\"]\n[\"status\"]\nnot json\n",
    )
    .unwrap();
    let r = w.clone_env("TGCTL_CHECK_ARGS", file.to_str().unwrap()).run(&[]).await;
    r.failure(2);
    let lines: Vec<String> = r.stdout().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0], "ok");
    assert!(lines[1].starts_with("error: ") && lines[1].contains("--bogus"), "{}", lines[1]);
    assert_eq!(lines[2], "ok");
    assert!(lines[3].contains("not a JSON array"), "{}", lines[3]);
    std::fs::write(&file, "[\"status\"]\n").unwrap();
    w.clone_env("TGCTL_CHECK_ARGS", file.to_str().unwrap()).run(&[]).await.success();
}
