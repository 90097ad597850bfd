//! Issue 15: security and state hardening. Each test here failed on the main of 2026-12-06
//! (a panic, exit 101 in debug and 134 in release, or a leak) and proves one fix through the real
//! binary.

use crate::common::*;

/// Neither a debug panic (101) nor a release abort (134), and no panic message.
#[track_caller]
pub fn no_panic(run: &Run) -> &Run {
    assert!(
        !matches!(run.code(), 101 | 134) && !run.stderr().contains("panicked"),
        "tgctl panicked (exit {})\nstdout: {}\nstderr: {}",
        run.code(),
        run.stdout(),
        run.stderr()
    );
    run
}

// ---- item 7: numeric env values are range-checked -----------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn numeric_env_values_out_of_range_are_a_usage_error_naming_the_variable() {
    let w = World::new().await;
    w.on("ServiceKeyListAll", serde_json::json!({"serviceAccounts": conn(vec![], None)})).await;
    for (var, value, range) in [
        ("TGCTL_RETRY_BUDGET", "1e19", "from 0 to 86400"),
        ("TGCTL_BACKOFF_SCALE", "inf", "from 0 to 1000"),
        ("TGCTL_BACKOFF_SCALE", "1e300", "from 0 to 1000"),
        ("TGCTL_HTTP_TIMEOUT", "NaN", "from 0.001 to 86400"),
        ("TGCTL_WRITES_PER_MINUTE", "-1", "from 0 to 100000"),
    ] {
        let run = w.run_env(&["service-key", "list"], &[(var, value)]).await;
        no_panic(&run);
        run.failure(2).stderr_has(var).stderr_has(range);
        assert_eq!(run.stderr().lines().filter(|l| l.starts_with("error")).count(), 1, "{}", run.stderr());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_backoff_scale_never_reaches_the_retry_loop() {
    // On main, TGCTL_BACKOFF_SCALE=inf panicked at the first retry (Duration::mul_f64).
    let w = World::new().await;
    w.on_response("ServiceKeyListAll", wiremock::ResponseTemplate::new(503)).await;
    let run = w.run_env(&["-o", "json", "service-key", "list"], &[("TGCTL_BACKOFF_SCALE", "inf")]).await;
    no_panic(&run);
    run.failure(2);
    assert_eq!(run.json_error()["code"], "usage", "{}", run.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn help_environment_shows_each_numeric_range() {
    let w = World::new().await;
    let run = w.run(&["help", "environment"]).await;
    run.success();
    let out = run.stdout();
    let at = out.find("TGCTL_RETRY_BUDGET").unwrap();
    assert!(out[at..].contains("Range: 0 to 86400"), "{out}");
}

// ---- item 17: a reader that goes away -------------------------------------------------------

/// Runs tgctl with stdout and stderr both on a pipe whose reader is already gone (EPIPE on
/// every write, as `tgctl -v ... 2>&1 | head -c1` once head has exited).
async fn run_into_closed_pipe(w: &World, args: &[&str]) -> Run {
    let mut c = w.cmd();
    c.args(args);
    tokio::task::spawn_blocking(move || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        c.stdout(writer.try_clone().unwrap()).stderr(writer);
        let status = c.status().unwrap();
        Run(std::process::Output { status, stdout: Vec::new(), stderr: Vec::new() })
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn epipe_on_stdout_and_stderr_is_a_quiet_exit_with_the_works_code() {
    let w = World::new().await;
    let accounts: Vec<_> = (0..50).map(|i| crate::service_account_node(&format!("{i}"), &format!("sa-{i}"))).collect();
    w.on("ServiceAccountList", serde_json::json!({"serviceAccounts": conn(accounts, None)})).await;
    // Success: -v writes debug lines to stderr, the list goes to stdout; both pipes are broken.
    for args in [&["-v", "service-account", "list"][..], &["-v", "-o", "json", "service-account", "list"][..]] {
        let run = run_into_closed_pipe(&w, args).await;
        assert_eq!(run.code(), 0, "{args:?}: exit {}", run.code());
    }
    // A failure keeps its own exit code (auth rejected: 3) even when its error cannot be printed.
    let w = World::new().await;
    w.on_response("ServiceAccountList", wiremock::ResponseTemplate::new(401)).await;
    let run = run_into_closed_pipe(&w, &["-v", "service-account", "list"]).await;
    assert_eq!(run.code(), 3, "exit {}", run.code());
}

// ---- item 14: clap's usage errors honour -o json --------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_from_the_parser_are_json_with_o_json() {
    let w = World::new().await;
    for args in [
        &["-o", "json", "service-key", "list", "--bogus"][..],
        &["service-key", "create", "sa", "--output=json", "--expires-in"][..],
        &["-vo", "ndjson", "service-key", "create", "sa", "--expires-in-days", "9999"][..],
    ] {
        let run = w.run(args).await;
        no_panic(&run);
        run.failure(2);
        let err = run.json_error();
        assert_eq!(err["code"], "usage", "{args:?}: {}", run.stderr());
        assert_eq!(err["exitCode"], 2);
        assert!(err["message"].as_str().unwrap().len() > 5, "{err}");
        assert_eq!(run.stderr().lines().count(), 1, "one JSON line: {}", run.stderr());
    }
    // Without -o json, clap's own text stays.
    let run = w.run(&["service-key", "list", "--bogus"]).await;
    run.failure(2).stderr_has("error: unexpected argument '--bogus'");
}

// ---- item 10: terminal escapes from the API --------------------------------------------------

const EVIL: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J";

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_from_the_api_are_escaped_in_human_output_and_exact_in_json() {
    use crate::service_account::sa_id;
    let w = World::new().await;
    w.on(
        "ServiceAccountList",
        serde_json::json!({"serviceAccounts": conn(vec![crate::service_account_node("1", EVIL)], None)}),
    )
    .await;
    w.on(
        "ServiceAccountGet",
        serde_json::json!({"serviceAccount": {
            "id": sa_id(1), "name": EVIL, "createdAt": T0, "updatedAt": T0,
            "resources": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []},
            "keys": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []}
        }}),
    )
    .await;
    let id = sa_id(1);
    /// (what, argv, extra env)
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let human: Vec<Case> = vec![
        ("tsv list", vec!["service-account", "list"], vec![]),
        ("tty list", vec!["service-account", "list"], vec![("TGCTL_FORCE_TTY", "1")]),
        ("get", vec!["service-account", "get", &id], vec![]),
        ("tty get", vec!["service-account", "get", &id], vec![("TGCTL_FORCE_TTY", "1")]),
    ];
    for (what, args, env) in human {
        let run = w.run_env(&args, &env).await;
        run.success();
        let all = run.stdout() + &run.stderr();
        assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{what}: raw control characters: {all:?}");
        assert!(run.stdout().contains("evil\\e]0;pwned\\x07"), "{what}: {:?}", run.stdout());
    }
    // JSON keeps the value exact.
    let run = w.run(&["service-account", "get", &id, "-o", "json"]).await;
    assert_eq!(run.success().json()["name"], EVIL);
    let run = w.run(&["service-account", "list", "-o", "json"]).await;
    assert_eq!(run.success().json()[0]["name"], EVIL);
}

// ---- item 12: secrets echoed -------------------------------------------------------------------

const URL_PASSWORD: &str = "URLPASSWORD5eCr3t";

#[tokio::test(flavor = "multi_thread")]
async fn a_url_password_is_redacted_everywhere() {
    let w = World::new().await;
    w.on("ServiceAccountList", serde_json::json!({"serviceAccounts": conn(vec![], None)})).await;
    w.on("AuthCheck", serde_json::json!({"serviceAccounts": conn(vec![], None)})).await;
    let with_password = w.api_url().replace("http://", &format!("http://ci-user:{URL_PASSWORD}@"));
    let unreachable = format!("http://ci-user:{URL_PASSWORD}@127.0.0.1:9/api/graphql/");
    let runs = [
        ("-v list", vec!["-v", "service-account", "list"], with_password.clone()),
        ("-v -o json list", vec!["-v", "-o", "json", "service-account", "list"], with_password.clone()),
        ("auth status", vec!["auth", "status", "--offline"], with_password.clone()),
        ("auth status -o json", vec!["auth", "status", "--offline", "-o", "json"], with_password.clone()),
        ("network error", vec!["service-account", "list"], unreachable.clone()),
        ("network error -o json", vec!["-v", "-o", "json", "service-account", "list"], unreachable.clone()),
    ];
    for (what, args, url) in runs {
        let run = w.run_env(&args, &[("TGCTL_API_URL", url.as_str()), ("TGCTL_RETRY_BUDGET", "0")]).await;
        no_panic(&run);
        let all = run.stdout() + &run.stderr();
        assert!(!all.contains(URL_PASSWORD), "{what}: the URL password is shown: {all}");
        if what.starts_with("-v") || what.starts_with("auth") {
            assert!(all.contains("http://***@127.0.0.1"), "{what}: {all}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_key_in_the_wrong_field_is_never_quoted() {
    let m = crate::sim_machine::SimMachine::new("", None);
    let pem = serde_json::from_str::<serde_json::Value>(&key_token("acme")).unwrap()["private_key"].clone();
    for field in ["expires_at", "network", "key_id"] {
        let mut v: serde_json::Value = serde_json::from_str(&key_token("acme")).unwrap();
        v[field] = pem.clone();
        for format in ["table", "json"] {
            let r = m.run_stdin(&["connect", "--wait", "--service-key", "-", "-v", "-o", format], &v.to_string()).await;
            no_panic(&r);
            r.failure(2).no_secrets().stderr_has(field);
            assert!(!r.stderr().contains("BEGIN PRIVATE"), "{field}: {}", r.stderr());
        }
    }
    m.all_undone();
}

// ---- items 6 and 16: key-file targets --------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn key_files_never_replace_special_files_or_follow_dangling_links_and_nothing_is_minted() {
    use wiremock::ResponseTemplate;
    let w = World::new().await;
    crate::service_account::mount_lookup(&w).await;
    // Not one key may be minted for a target that cannot take it.
    w.expect(
        "ServiceKeyCreate",
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": crate::service_key::created("k")})),
        1,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dangling = dir.path().join("dangling.json");
    std::os::unix::fs::symlink(dir.path().join("gone/key.json"), &dangling).unwrap();
    let cases = [
        (fifo.to_str().unwrap(), "a FIFO"),
        ("/dev/null", "a character device"),
        (dangling.to_str().unwrap(), "does not exist"),
        (dir.path().to_str().unwrap(), "a directory"),
    ];
    for (target, says) in cases {
        for force in [true, false] {
            let mut args = vec!["service-key", "create", "--service-account", "ci", "--key-file", target];
            if force {
                args.push("--force");
            }
            let run = w.run(&args).await;
            no_panic(&run);
            run.failure(2).stderr_has(says).stderr_has("nothing was created").no_secrets();
        }
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    // `-` is stdout: the one create that is allowed to mint.
    let run = w.run(&["service-key", "create", "--service-account", "ci", "--key-file", "-"]).await;
    run.success().stdout_has(CANARY_KEY);
}

// ---- item 11: concurrent auth login -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_logins_to_different_profiles_all_keep_endpoint_and_token() {
    let w = World::new().await;
    let mut cmds = Vec::new();
    for i in 0..20 {
        let mut c = w.cmd();
        c.env_remove("TWINGATE_API_TOKEN").args([
            "--profile",
            &format!("p{i}"),
            "--network",
            &format!("net{i}"),
            "auth",
            "login",
            "--no-verify",
        ]);
        cmds.push(c);
    }
    let runs = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let children: Vec<_> = cmds
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = c.spawn().unwrap();
                child.stdin.take().unwrap().write_all(format!("token-{i}").as_bytes()).unwrap();
                child
            })
            .collect();
        children.into_iter().map(|c| Run(c.wait_with_output().unwrap())).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for run in &runs {
        no_panic(run);
        run.success();
    }
    let config = std::fs::read_to_string(w.config_path("config.toml")).unwrap();
    let creds = std::fs::read_to_string(w.config_path("credentials.toml")).unwrap();
    for i in 0..20 {
        let p = format!("p{i}");
        assert_eq!(toml_field(&config, &p, "network"), Some(format!("net{i}")), "{config}");
        assert_eq!(toml_field(&creds, &p, "token"), Some(format!("token-{i}")), "profile {p}");
        // And tgctl itself reads them back.
        let mut c = w.cmd();
        c.env_remove("TGCTL_API_URL").env_remove("TWINGATE_API_TOKEN");
        c.args(["--profile", &p, "auth", "status", "--offline", "-o", "json"]);
        let status = run_blocking(c, None).await;
        let v = status.success().json();
        assert_eq!(v["network"], format!("net{i}"), "{v}");
        assert_eq!(v["tokenSource"]["kind"], "file", "{v}");
    }
    // One default, set by whichever login came first; no temp files left behind.
    assert!(config.lines().any(|l| l.starts_with("profile = \"p")), "{config}");
    let leftovers: Vec<_> = std::fs::read_dir(w.config_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The string `key` of `[profiles.NAME]` in a TOML file tgctl wrote (one level, no tables inside).
fn toml_field(text: &str, profile: &str, key: &str) -> Option<String> {
    let header = format!("[profiles.{profile}]");
    let section = text.split_once(&format!("{header}\n"))?.1;
    let section = section.split("\n[").next().unwrap_or_default();
    section
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")).and_then(|v| v.strip_suffix('"')).map(str::to_owned))
}

// ---- item 13: the pacer says when it falls back ------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_state_dir_makes_the_pacer_say_once_that_it_paces_this_process_only() {
    let w = World::new().await;
    let page = |pk: &str| crate::service_account_node(pk, &format!("sa-{pk}"));
    w.on("ServiceAccountList", serde_json::json!({"serviceAccounts": conn(vec![page("1")], Some("p1"))})).await;
    w.on_vars(
        "ServiceAccountList",
        serde_json::json!({"after": "p1"}),
        serde_json::json!({"serviceAccounts": conn(vec![page("2")], None)}),
    )
    .await;
    let not_a_dir = w.state_dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let env = [("TGCTL_STATE_DIR", not_a_dir.to_str().unwrap()), ("TGCTL_READS_PER_MINUTE", "60")];
    let run = w.run_env(&["service-account", "list"], &env).await;
    no_panic(&run);
    run.success().stdout_has("sa-2");
    assert_eq!(run.stderr().matches("pacing this process only").count(), 1, "{}", run.stderr());
    run.stderr_has("warning:");
    // With a usable state dir, nothing is said.
    let run = w.run_env(&["service-account", "list"], &[("TGCTL_READS_PER_MINUTE", "60")]).await;
    assert!(!run.success().stderr().contains("pacing this process only"), "{}", run.stderr());
}

// ---- item 1: a state dir anyone could have made ------------------------------------------------

/// A connect.json as another user could craft it: the "client" is `client_bin`, and `logs`
/// names files to delete.
fn crafted_state(client_bin: &std::path::Path, logs: &[&std::path::Path]) -> String {
    serde_json::json!({
        "version": 1, "provider": "twingate", "clientBin": client_bin, "sudo": false,
        "ranSetup": true, "ranStart": true, "status": "online", "startedAt": "2026-01-01T00:00:00Z",
        "tgctlPid": 1, "pids": [], "log": "/var/log/twingated.log", "logs": logs
    })
    .to_string()
}

/// A script that leaves `marker` behind when run.
fn marker_script(dir: &std::path::Path, marker: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("evil-client");
    std::fs::write(&script, format!("#!/bin/sh\necho ran >> {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_dir_of_another_user_or_a_link_is_refused_and_nothing_from_it_runs() {
    let w = World::new().await;
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("marker");
    let script = marker_script(outside.path(), &marker);
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "root's file").unwrap();
    let state = crafted_state(&script, &[&victim]);

    // Another user's directory, named by TGCTL_STATE_DIR or found at $TMPDIR/tgctl-<uid>.
    let theirs = outside.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("connect.json"), &state).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let tmpdir = outside.path().join("tmp");
    let default_dir = tmpdir.join(format!("tgctl-{}", nix_uid()));
    std::fs::create_dir_all(&default_dir).unwrap();
    std::fs::write(default_dir.join("connect.json"), &state).unwrap();
    std::os::unix::fs::chown(&default_dir, Some(65534), Some(65534)).unwrap();
    // A link to a directory of ours.
    let link = outside.path().join("link");
    std::os::unix::fs::symlink(w.state_dir.path(), &link).unwrap();

    for verb in ["disconnect", "status"] {
        let run = w.run_env(&[verb], &[("TGCTL_STATE_DIR", theirs.to_str().unwrap())]).await;
        no_panic(&run);
        run.failure(2).stderr_has("belongs to uid 65534");
        let mut c = w.cmd();
        c.env_remove("TGCTL_STATE_DIR").env("TMPDIR", &tmpdir).arg(verb);
        let run = run_blocking(c, None).await;
        no_panic(&run);
        run.failure(2).stderr_has("belongs to uid 65534");
        let run = w.run_env(&[verb], &[("TGCTL_STATE_DIR", link.to_str().unwrap())]).await;
        no_panic(&run);
        run.failure(2).stderr_has("is a symbolic link");
    }
    assert!(!marker.exists(), "a client binary named in a foreign state was run");
    assert!(victim.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_never_runs_a_recorded_binary_nor_deletes_what_it_did_not_create() {
    let w = World::new().await;
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("marker");
    let script = marker_script(outside.path(), &marker);
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "root's file").unwrap();
    // A link in our own dir to a file elsewhere: removing "our log" must not follow it.
    let linked = w.state_dir.path().join("twingated-proxy.log");
    std::os::unix::fs::symlink(&victim, &linked).unwrap();
    std::fs::write(w.state_dir.path().join("connect.json"), crafted_state(&script, &[&victim, &linked])).unwrap();
    // No `twingate` on PATH: the client steps fail with warnings, and nothing else is run.
    let mut c = w.cmd();
    c.env("PATH", "/usr/bin:/bin").arg("disconnect");
    let run = run_blocking(c, None).await;
    no_panic(&run);
    assert!(!marker.exists(), "disconnect ran the client binary named in the state: {}", run.stderr());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's file", "a file named in the state was deleted");
}

fn nix_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // The uid this test runs as: the owner of a file it just made.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid()
}

// ---- item 2: two concurrent connects ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_second_concurrent_connect_mint_refuses_and_no_key_or_daemon_is_lost() {
    use crate::sim_machine::SimMachine;
    let emu = crate::emulator::Emulator::start(&[
        "--seed",
        "demo",
        "--api-token",
        CANARY_TOKEN,
        "--reads-per-minute",
        "0",
        "--writes-per-minute",
        "0",
    ]);
    let m = SimMachine::new("online-after=4000", Some(&emu));
    m.run(&["service-account", "create", "ci"]).await.success();
    let connect = ["connect", "--wait", "--mint", "--service-account", "ci", "--timeout", "20"];
    // Three at once: on main each passed the "already connected?" check before any saved, each
    // minted a key and started a client, and the last save won.
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let mut c = m.cmd();
            c.args(connect);
            tokio::spawn(run_blocking(c, None))
        })
        .collect();
    let mut ok = 0;
    for r in runs {
        let r = r.await.unwrap();
        no_panic(&r);
        if r.code() == 0 {
            ok += 1;
        } else {
            r.failure(2);
            let e = r.stderr();
            assert!(e.contains("is working on this connection") || e.contains("already connected"), "{e}");
        }
    }
    assert_eq!(ok, 1, "exactly one connect may win");
    // One key was minted, and the state names it.
    let keys = m.run(&["service-key", "list", "-o", "json"]).await;
    let active: Vec<_> =
        keys.success().json().as_array().unwrap().iter().filter(|k| k["status"] == "active").cloned().collect();
    assert_eq!(active.len(), 1, "{active:?}");
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(m.state_file()).unwrap()).unwrap();
    assert_eq!(state["mintedKey"]["id"], active[0]["id"]);
    m.run(&["disconnect"]).await.success();
    m.all_undone();
    let keys = m.run(&["service-key", "list", "-o", "json"]).await;
    assert!(keys.success().json().as_array().unwrap().iter().all(|k| k["status"] != "active"), "{}", keys.stdout());
}

// ---- item 5: stale PIDs -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_leaves_alone_a_process_that_reuses_a_recorded_pid() {
    use std::os::unix::process::CommandExt;
    let w = World::new().await;
    // Someone else's process group, whose ID the state names (as after the PID was reused).
    let mut other = std::process::Command::new("sleep").arg("30").process_group(0).spawn().unwrap();
    let pid = other.id();
    let mut state: serde_json::Value =
        serde_json::from_str(&crafted_state(std::path::Path::new("/nonexistent/twingate"), &[])).unwrap();
    state["ranStart"] = false.into();
    state["ranSetup"] = false.into();
    state["pids"] = serde_json::json!([pid]);
    state["commandPid"] = pid.into();
    // A start time recorded for that PID at connect time: not this process's.
    state["startTimes"] = serde_json::json!({ pid.to_string(): 1 });
    std::fs::write(w.state_dir.path().join("connect.json"), state.to_string()).unwrap();
    let run = w.run(&["disconnect"]).await;
    no_panic(&run);
    run.success().stderr_has("left alone");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(other.try_wait().unwrap().is_none(), "disconnect killed a process it did not start");
    // No start time recorded at all (a state from before): not signalled either.
    state.as_object_mut().unwrap().remove("startTimes");
    std::fs::write(w.state_dir.path().join("connect.json"), state.to_string()).unwrap();
    let run = w.run(&["disconnect"]).await;
    no_panic(&run).success();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(other.try_wait().unwrap().is_none(), "disconnect killed a process it did not start");
    other.kill().unwrap();
    other.wait().unwrap();
}

// ---- item 3: a restarted proxy daemon is recorded before it is used ---------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_proxy_daemon_is_ended_after_sigkill_plus_disconnect_and_after_sigint() {
    use crate::sim_machine::{SimMachine, daemons_of};
    for signal in ["KILL", "INT"] {
        // The first daemon dies at start-up and is restarted; a probe of a closed port keeps
        // connect waiting while we signal it.
        let m = SimMachine::new("online-after=20,crash-after=0,crashes=1", None);
        let key = m.key_file("key.json", &key_token("acme"));
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
        let mut c = m.cmd();
        c.args(["connect", "--wait", "--network-mode", "proxy", "--service-key-file", &key, "--timeout", "60"]);
        c.args(["--probe", &closed]);
        let err_log = std::fs::File::create(m.path("work/connect.err")).unwrap();
        c.stdout(std::process::Stdio::null()).stderr(err_log);
        let mut tgctl = c.spawn().unwrap();
        m.wait_for("the restarted daemon", 50, |m| {
            std::fs::read_to_string(m.path("sim/calls")).unwrap_or_default().matches("twingated ").count() >= 2
                && !daemons_of(m).is_empty()
        });
        let daemons = daemons_of(&m);
        let pid = tgctl.id();
        let status = std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
        assert!(status.unwrap().success());
        let waited = tgctl.wait().unwrap();
        if signal == "KILL" {
            let run = m.run(&["disconnect"]).await;
            no_panic(&run);
            run.success();
        } else {
            let err = std::fs::read_to_string(m.path("work/connect.err")).unwrap_or_default();
            assert_eq!(waited.code(), Some(130), "SIGINT exits 130: {err}");
        }
        m.wait_for("the daemons to end", 30, |m| daemons_of(m).is_empty());
        assert!(daemons.iter().all(|d| !crate::sim_machine::alive(*d)), "SIG{signal}: a daemon survived");
        assert!(!m.state_file().exists(), "SIG{signal}: the state file was left");
    }
}

// ---- item 8: tokens inherited by children -------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn children_get_no_credential_but_the_one_they_need() {
    use crate::sim_machine::{SimMachine, processes_of};
    let secrets = [
        ("FIREZONE_API_TOKEN", "fz-api-token-canary-9d1"),
        ("FIREZONE_TOKEN", "fz-client-token-canary-4e2"),
        ("TWINGATE_API_TOKEN", "tg-api-token-canary-7c3"),
    ];
    for mode in ["proxy", "tun"] {
        let mut m = SimMachine::new("online-after=20", None);
        for (k, v) in secrets {
            m = m.with_env(k, v);
        }
        let key = m.key_file("key.json", &key_token("acme"));
        let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = echo.local_addr().unwrap();
        let local = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut args = vec!["connect", "--wait", "--network-mode", mode, "--service-key-file", &key];
        let forward = format!("{local}:127.0.0.1:{}", target.port());
        if mode == "proxy" {
            args.extend(["--forward", forward.as_str()]);
        }
        let run = m.run(&args).await;
        no_panic(&run);
        run.success();
        let children = processes_of(&m);
        assert!(!children.is_empty(), "{mode}: no child process found");
        let mut saw_key = false;
        for (pid, argv) in &children {
            let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
                .into_owned();
            for (name, value) in secrets {
                assert!(!environ.contains(value), "{mode}: {name} reached {argv} (pid {pid})");
            }
            saw_key |= environ.contains(CANARY_KEY);
            if argv.contains("forward") {
                assert!(!environ.contains(CANARY_KEY), "the forwarder got the service key");
            }
        }
        // Proxy mode: the daemon gets the key in TWINGATE_SERVICE_KEY, as twingated reads it.
        assert_eq!(saw_key, mode == "proxy", "{mode}: {children:?}");
        m.run(&["disconnect"]).await.success();
        m.all_undone();
    }
}

// ---- item 4: a minted key is named before it exists ---------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn list_orphaned_and_disconnect_find_the_key_an_intent_record_names() {
    use crate::sim_machine::SimMachine;
    let emu = crate::emulator::Emulator::start(&[
        "--seed",
        "demo",
        "--api-token",
        CANARY_TOKEN,
        "--reads-per-minute",
        "0",
        "--writes-per-minute",
        "0",
    ]);
    let m = SimMachine::new("online-after=20", Some(&emu));
    m.run(&["service-account", "create", "ci"]).await.success();
    let account = m.run(&["service-account", "get", "ci", "-o", "json"]).await.success().json()["id"].clone();
    // What a connect --mint killed right after the API minted its key leaves behind: the key,
    // ACTIVE, and the intent record written before asking for it.
    let name = "tgctl-connect-killed-abc123";
    let key_file = m.path("work/minted.json");
    m.run(&[
        "service-key",
        "create",
        "--service-account",
        "ci",
        "--name",
        name,
        "--key-file",
        key_file.to_str().unwrap(),
    ])
    .await
    .success();
    let mut state: serde_json::Value =
        serde_json::from_str(&crafted_state(std::path::Path::new("/nonexistent/twingate"), &[])).unwrap();
    state["ranStart"] = false.into();
    state["ranSetup"] = false.into();
    state["status"] = "connecting".into();
    state["mintIntent"] = serde_json::json!({"name": name, "serviceAccountId": account, "at": "2026-12-06T03:00:00Z"});
    std::fs::write(m.state_file(), state.to_string()).unwrap();
    // service-key list --orphaned finds it (and only it).
    let orphans = m.run(&["service-key", "list", "--orphaned", "-o", "json"]).await;
    let orphans = orphans.success().json();
    assert_eq!(orphans.as_array().map(Vec::len), Some(1), "{orphans}");
    assert_eq!(orphans[0]["name"], name);
    assert_eq!(orphans[0]["status"], "active");
    let run = m.run(&["disconnect", "-o", "json"]).await;
    no_panic(&run);
    run.success();
    assert!(!m.state_file().exists());
    let keys = m.run(&["service-key", "list", "-o", "json"]).await;
    let named: Vec<_> =
        keys.success().json().as_array().unwrap().iter().filter(|k| k["name"] == name).cloned().collect();
    assert!(named.iter().all(|k| k["status"] != "active"), "the key named by the intent is still active: {named:?}");
    let orphans = m.run(&["service-key", "list", "--orphaned", "-o", "json"]).await;
    assert_eq!(orphans.success().json(), serde_json::json!([]));
}
