//! Help, topics, completions, version, streams and exit-code conventions.

use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn help_lists_nouns_and_every_verb_has_examples() {
    let w = World::new().await;
    let r = w.run(&["--help"]).await;
    r.success().stdout_has("service-account").stdout_has("service-key").stdout_has("Examples:");
    for path in [
        vec!["auth", "login"],
        vec!["auth", "status"],
        vec!["auth", "logout"],
        vec!["service-account", "list"],
        vec!["service-account", "get"],
        vec!["service-account", "create"],
        vec!["service-account", "update"],
        vec!["service-account", "delete"],
        vec!["service-key", "list"],
        vec!["service-key", "get"],
        vec!["service-key", "create"],
        vec!["service-key", "rename"],
        vec!["service-key", "revoke"],
        vec!["service-key", "delete"],
        vec!["service-key", "rotate"],
        vec!["completions"],
    ] {
        let mut args = path.clone();
        args.push("--help");
        let r = w.run(&args).await;
        r.success().stdout_has("Examples:");
        let mut help = vec!["help"];
        help.extend(path);
        w.run(&help).await.success().stdout_has("Examples:");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_document_environment_and_exit_codes() {
    let w = World::new().await;
    w.run(&["help", "environment"]).await.success().stdout_has("TWINGATE_API_TOKEN").stdout_has("TGCTL_API_URL");
    let r = w.run(&["help", "exit-codes"]).await;
    for code in ["  0", "  2", "  3", "  4", "  5", "  6", "  7", "  8", "130"] {
        r.stdout_has(code);
    }
    w.run(&["help", "nonsense"]).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_are_valid_bash() {
    let w = World::new().await;
    let r = w.run(&["completions", "bash"]).await;
    let script = r.success().stdout();
    assert!(script.contains("service-key"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tgctl.bash");
    std::fs::write(&path, &script).unwrap();
    let status = std::process::Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(status.success(), "bash -n rejected the completion script");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        w.run(&["completions", shell]).await.success();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn version_and_usage_errors() {
    let w = World::new().await;
    w.run(&["--version"]).await.success().stdout_has("tgctl ");
    w.run(&["service-key", "frobnicate"]).await.failure(2);
    w.run(&["-o", "yaml", "service-account", "list"]).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_errors_are_one_object_on_stderr_and_stdout_stays_empty() {
    let w = World::new().await;
    w.on("ServiceAccountList", json!({"serviceAccounts": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "totalCount": 0, "edges": []}})).await;
    let r = w.run(&["service-account", "get", "missing", "-o", "json"]).await;
    r.failure(4);
    assert!(r.stdout().is_empty());
    let e = r.json_error();
    assert_eq!(e["code"], "not_found");
    assert_eq!(e["exitCode"], 4);
    assert!(e["hint"].as_str().unwrap().contains("tgctl service-account list"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_list_is_success_with_an_empty_array() {
    let w = World::new().await;
    w.on("ServiceAccountList", json!({"serviceAccounts": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "totalCount": 0, "edges": []}})).await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    assert_eq!(r.success().json(), json!([]));
    let r = w.run(&["service-account", "list"]).await;
    assert!(r.success().stdout().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_exits_zero_quietly() {
    let w = World::new().await;
    let nodes: Vec<_> = (0..100)
        .map(|i| json!({"node": {"id": gid("ServiceAccount", &format!("u-{i}")), "name": format!("sa-{i}"), "createdAt": T0, "updatedAt": T0,
            "resources": {"totalCount": 0}, "keys": {"totalCount": 0, "edges": []}}}))
        .collect();
    w.on("ServiceAccountList", json!({"serviceAccounts": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "totalCount": 100, "edges": nodes}})).await;
    let mut c = w.cmd();
    c.args(["service-account", "list", "-o", "ndjson"]);
    let out = tokio::task::spawn_blocking(move || {
        let mut child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

// ---- issue 18: tables fit the terminal ----

#[tokio::test(flavor = "multi_thread")]
async fn tables_fit_the_terminal_width_and_wide_or_a_pipe_keep_everything() {
    let emu = crate::emulator::Emulator::start(&["--seed", "demo"]);
    let account = "ci-a-very-long-service-account-name-for-the-nightly-deploy-pipeline";
    let key = "a-key-whose-name-goes-on-and-on-for-longer-than-any-column-should";
    emu.run(&["service-account", "create", account]).await.success();
    let file = emu.state.path().join("k.json");
    let r = emu
        .run(&[
            "key",
            "create",
            "--service-account",
            account,
            "--name",
            key,
            "--key-file",
            file.to_str().unwrap(),
            "-o",
            "json",
        ])
        .await;
    let id = r.success().json()["id"].as_str().unwrap().to_owned();

    for columns in ["80", "100"] {
        let tty = [("TGCTL_FORCE_TTY", "1"), ("COLUMNS", columns)];
        let width: usize = columns.parse().unwrap();
        for args in
            [vec!["key", "list"], vec!["resource", "list"], vec!["service-account", "list"], vec!["device", "list"]]
        {
            let out = emu.run_env(&args, &tty).await.success().stdout();
            assert!(!out.is_empty());
            for line in out.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at {width} columns: {} chars: {line}",
                    line.chars().count()
                );
            }
        }
        let out = emu.run_env(&["key", "list"], &tty).await.stdout();
        assert!(!out.contains(&id), "IDs are short at a terminal:\n{out}");
        assert!(out.contains('…'), "long names are cut with …:\n{out}");
    }
    // -o wide and --wide: whole IDs and names, however wide.
    for wide in [vec!["key", "list", "-o", "wide"], vec!["key", "list", "--wide"]] {
        let out = emu.run_env(&wide, &[("TGCTL_FORCE_TTY", "1"), ("COLUMNS", "80")]).await.success().stdout();
        assert!(out.contains(&id) && out.contains(key) && out.contains(account), "{out}");
    }
    // Off a terminal: tab-separated, full values.
    let out = emu.run(&["key", "list"]).await.success().stdout();
    let row = out.lines().find(|l| l.contains(key)).unwrap();
    assert!(row.starts_with(&format!("{id}\t{key}\t{account}\t")), "{row}");
}
