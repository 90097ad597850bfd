//! `connect` against each documented variant of the real Twingate client (issue 14), through the
//! real `tgctl` and `twingate-sim` switched by `TWINGATE_SIM_VARIANT` (sim/src/variant.rs cites
//! where each variant was seen). A variant found later is one switch there and one test here.

use crate::common::*;
use crate::connect::Rig;

/// A rig whose simulated client behaves as `variant`.
async fn rig(scenario: &str, variant: &str) -> Rig {
    Rig::new(scenario).await.with_env("TWINGATE_SIM_VARIANT", variant)
}

/// connect --wait succeeds, says online, lists the resources; disconnect undoes it.
async fn connects(rig: &Rig) -> serde_json::Value {
    let r = rig.connect(&["--timeout", "10", "-o", "json"]).await;
    r.success().no_secrets();
    let out = r.json();
    assert_eq!(out["status"], "online", "{out}");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_status_word_variant_comes_online() {
    for variant in ["status=dashed", "status=joined", "status=prose", "waiting=offline", "status=prose,waiting=offline"]
    {
        let rig = rig("online-after=150", variant).await;
        let out = connects(&rig).await;
        assert_eq!(out["resources"].as_array().map(Vec::len), Some(2), "{variant}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn not_yet_words_are_never_online_and_time_out_with_exit_7() {
    for (variant, word) in [("waiting=offline", "offline"), ("status=prose", "Twingate Client status: authenticating.")]
    {
        let rig = rig("never", variant).await;
        let r = rig.connect(&["--timeout", "1", "-o", "json"]).await;
        r.failure(7).no_secrets();
        let e = r.json_error();
        assert_eq!(e["code"], "connect_timeout");
        assert!(e["message"].as_str().unwrap().contains(&format!("last status: {word}")), "{variant}: {e}");
        rig.all_undone();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn not_running_in_either_spelling_after_online_is_a_crash_that_is_restarted() {
    for variant in ["status=dashed", "status=joined", "status=prose"] {
        let rig = rig("online-after=400,crash-after=150,crashes=1", variant).await;
        let r = rig.connect(&["--timeout", "10", "-o", "json"]).await;
        r.success();
        assert_eq!(r.json()["restarts"], 1, "{variant}");
        rig.run(&["disconnect"]).await.success();
        rig.all_undone();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_parse_with_and_without_section_headings() {
    for variant in ["resources=sections", "resources=plain"] {
        let rig = rig("online-after=50", variant).await;
        let out = connects(&rig).await;
        let names: Vec<&str> =
            out["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["prod-db", "k8s-api"], "{variant}: {out}");
        assert_eq!(out["resources"][1]["alias"], "k8s.internal");
        assert_eq!(out["resources"][0]["kind"], "main");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_that_exits_non_zero_while_the_daemon_comes_up_connects() {
    let rig = rig("online-after=100", "start=nonzero").await;
    let r = rig.connect(&["--timeout", "10", "-o", "json"]).await;
    r.success().no_secrets();
    r.stderr_has("its exit code decides nothing");
    assert_eq!(r.json()["status"], "online");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_that_exits_0_while_tun_fails_shows_the_log_and_fails_fast() {
    // `start` said 0; `status` falls back to not-running each time: restarted, then given up
    // long before the budget, with the log that says why.
    let rig = rig("online-after=100", "start=tun-fails").await;
    let r = rig.connect(&["--timeout", "30"]).await;
    r.failure(8).no_secrets();
    r.stderr_has("gave up after 3 restarts").stderr_has("Failed to create the TUN device sdwan0");
    rig.all_undone();
}

/// A machine with systemd: the client logs to the journal, read with `journalctl -u twingate`.
async fn systemd_rig(scenario: &str, variant: &str) -> Rig {
    let rig = rig(scenario, &format!("log=journal,{variant}")).await;
    std::fs::create_dir_all(rig.root().join("run/systemd/system")).unwrap();
    std::os::unix::fs::symlink(bin(SIM_BIN), rig.dir.path().join("bin/journalctl")).unwrap();
    rig
}

#[tokio::test(flavor = "multi_thread")]
async fn with_systemd_the_journal_tail_is_shown_masked_on_failure() {
    let rig = systemd_rig("never,leak-log", "status=joined").await;
    let r = rig.connect(&["--timeout", "1"]).await;
    r.failure(7).no_secrets();
    r.stderr_has("client log (journalctl -u twingate)").stderr_has("sdwan_state: authenticating");
    r.stderr_has("key material: ***");
    assert!(rig.client_log().is_empty(), "with systemd nothing goes to the log file");
    rig.all_undone();

    // The log watch follows the journal: a client online in 150 ms is seen at once.
    let rig = systemd_rig("online-after=150", "").await;
    connects(&rig).await;

    // A journal that shows nothing (a caller without access): said, not silent.
    let rig = systemd_rig("never", "").await.with_env("TWINGATE_SIM_JOURNAL", "denied");
    let r = rig.connect(&["--timeout", "1"]).await;
    r.failure(7).stderr_has("journalctl -u twingate showed no lines");
    rig.all_undone();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_is_only_asked_commands_it_has() {
    let rig = rig("online-after=50", "").await;
    connects(&rig).await;
    let calls = std::fs::read_to_string(rig.sim_dir().join("calls")).unwrap();
    let real = ["--version", "setup --headless -", "start", "stop", "status", "resources"];
    for call in calls.lines() {
        assert!(real.contains(&call), "tgctl called `twingate {call}`, which the real client does not have");
    }
    // And the simulated client, like the real one, has no `reset`.
    let out = rig.sim_cmd().arg("reset").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_fails_at_once_with_exit_9_in_every_mode() {
    // The client logs "authentication failed" and stays short of online: connect does not wait
    // out its 60 s budget (it would exit 7 then).
    for extra in [&[][..], &["--network-mode", "proxy"][..]] {
        let rig = rig("refused", "").await;
        if !extra.is_empty() {
            std::os::unix::fs::symlink(bin(SIM_BIN), rig.dir.path().join("bin/twingated")).unwrap();
        }
        let mut args = vec!["--timeout", "60", "-o", "json"];
        args.extend_from_slice(extra);
        let r = rig.connect(&args).await;
        r.failure(9).no_secrets();
        let e = r.json_error();
        assert_eq!(e["code"], "credential_refused", "{extra:?}: {e}");
        assert!(e["message"].as_str().unwrap().contains("authentication failed"), "{e}");
        assert!(e["hint"].as_str().unwrap().contains("tgctl service-key create"), "{e}");
        rig.all_undone();
    }
    // With systemd, the line comes from the journal.
    let rig = systemd_rig("refused", "").await;
    rig.connect(&["--timeout", "60"]).await.failure(9).stderr_has("authentication failed");
    rig.all_undone();
}

// ---- the Firezone headless client ----------------------------------------------------------------

use crate::firezone::FzRig;

#[tokio::test(flavor = "multi_thread")]
async fn firezone_readiness_is_ready_1_alone() {
    // firezone-sim sends READY=1 and nothing else, as the real client does.
    let rig = FzRig::new("ready-after=100").await;
    let r = rig.connect(&["-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["status"], "online");
    assert!(r.json()["clientStatus"].is_null());
    r.stderr_has("ready (READY=1)");
    rig.world.run(&["disconnect"]).await.success();
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn firezone_portal_unreachable_at_start_is_restarted_with_backoff() {
    // The client exits on purpose when the portal is unreachable at start; tgctl restarts it,
    // as the supervisor it expects would.
    let rig = FzRig::new("portal-unreachable=2,ready-after=50").await;
    let r = rig.connect(&["--timeout", "30", "-o", "json"]).await;
    r.success().no_secrets();
    r.stderr_has("restarting it in 250ms (1/5)").stderr_has("restarting it in 500ms (2/5)");
    assert_eq!(rig.sim("starts").trim(), "3");
    rig.world.run(&["disconnect"]).await.success();
    rig.all_undone(None);

    // Unreachable for good: given up after the restarts, with the client's error.
    let rig = FzRig::new("portal-unreachable=100").await;
    let r = rig.connect(&["--timeout", "30"]).await;
    r.failure(8).no_secrets().stderr_has("after 5 restarts").stderr_has("Failed to connect to the portal");
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn firezone_gets_every_setting_it_reads_and_its_record_is_found_by_the_hashed_id() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, ResponseTemplate};
    let uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    let rig = FzRig::new("ready-after=50")
        .await
        .with_env("FIREZONE_ID", uuid)
        .with_env("FIREZONE_API_TOKEN", CANARY_TOKEN)
        .with_env("FIREZONE_DNS_CONTROL", "etc-resolv-conf")
        .with_env("RUST_LOG", "debug")
        .with_env("MAX_PARTITION_TIME", "5m");
    rig.connect(&[]).await.success().no_secrets();
    // The client's settings reach it (firezone-sim records what it reads, as main.rs reads it).
    let env = rig.sim("env");
    for line in ["FIREZONE_DNS_CONTROL=etc-resolv-conf", "RUST_LOG=debug", "MAX_PARTITION_TIME=5m"] {
        assert!(env.lines().any(|l| l == line), "{line}: {env}");
    }
    // What the portal keeps is what the client computed from FIREZONE_ID: disconnect finds the
    // record by that value (the mock answers only to it).
    let external = env.lines().find_map(|l| l.strip_prefix("external_id=")).unwrap().to_owned();
    assert_ne!(external, uuid);
    let record = serde_json::json!({"id": "c1", "external_id": external, "actor_id": "a1", "name": "ci",
        "online": true, "ipv4": null, "ipv6": null, "last_seen_version": "1.5.12",
        "last_seen_at": "2026-01-01T00:00:00Z", "created_at": "2026-01-01T00:00:00Z"});
    Mock::given(method("GET"))
        .and(path("/clients"))
        .and(query_param("firezone_id", external.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": [record.clone()],
            "metadata": {"limit": 100, "count": 1, "next_page": null, "prev_page": null}})))
        .expect(1)
        .mount(&rig.world.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/clients/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": record})))
        .expect(1)
        .mount(&rig.world.server)
        .await;
    let r = rig.world.run(&["disconnect", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["deletedClientIds"][0], "c1");
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rootless_daemon_gets_a_writable_runtime_dir() {
    // The daemon (variant runtime-dir=required, as a daemon run without root) exits without a
    // writable $XDG_RUNTIME_DIR; a CI job often has none (no login session).
    let rig =
        rig("online-after=50", "runtime-dir=required").await.with_env("XDG_RUNTIME_DIR", "/nonexistent/run/user/1001");
    std::os::unix::fs::symlink(bin(SIM_BIN), rig.dir.path().join("bin/twingated")).unwrap();
    let r = rig.connect(&["--network-mode", "proxy", "--timeout", "10", "-o", "json"]).await;
    r.success().no_secrets();
    r.stderr_has("XDG_RUNTIME_DIR (/nonexistent/run/user/1001) is not writable; the daemon gets");
    let runtime = rig.world.state_dir.path().join("runtime");
    assert_eq!(file_mode(&runtime), 0o700);
    let pid = rig.daemon_pid().unwrap();
    let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap()).into_owned();
    assert!(environ.split('\0').any(|v| v == format!("XDG_RUNTIME_DIR={}", runtime.display())), "{environ}");
    rig.run(&["disconnect"]).await.success();
    rig.all_undone();
}
