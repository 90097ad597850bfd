//! One test per row of the exit-code table (cli/src/error.rs, `tgctl help exit-codes`, README.md,
//! docs/exit-codes.md), through the real binary. Rows 7 and 130 need the simulated client and a
//! signal; their tests live with connect: `connect::never_online_times_out_with_exit_7_and_stops_the_client`
//! and the `signals` module (docs/exit-codes.md lists them).

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::device::device;

fn network(pk: &str, name: &str) -> serde_json::Value {
    json!({
        "id": gid("RemoteNetwork", pk), "name": name, "isActive": true, "location": "AWS", "networkType": "REGULAR",
        "createdAt": T0, "updatedAt": T0, "connectors": {"totalCount": 0}, "resources": {"totalCount": 0}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_0_success() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws")], None)})).await;
    w.run(&["remote-network", "list"]).await.success().stdout_has("aws");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_1_an_answer_of_an_unexpected_shape() {
    let w = World::new().await.env("TGCTL_RETRY_BUDGET", "0.2");
    w.on("RemoteNetworkList", json!({"remoteNetworks": {"edges": [{"node": {"id": 5}}]}})).await;
    let r = w.run(&["remote-network", "list", "-o", "json"]).await;
    r.failure(1);
    assert_eq!(r.json_error()["code"], "bad_response");
    assert_eq!(r.json_error()["exitCode"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_2_usage() {
    let w = World::new().await;
    w.run(&["remote-network", "list", "--bogus"]).await.failure(2);
    let r = w.run(&["remote-network", "get", &gid("Group", "1"), "-o", "json"]).await;
    r.failure(2);
    assert_eq!(r.json_error()["code"], "usage");
    assert!(w.requests("RemoteNetworkGet").await.is_empty(), "bad input is refused before any request");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_3_auth() {
    let w = World::new().await;
    w.on_response("RemoteNetworkList", ResponseTemplate::new(401)).await;
    let r = w.run(&["remote-network", "list", "-o", "json"]).await;
    r.failure(3).no_secrets();
    assert_eq!(r.json_error()["code"], "auth_rejected");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_4_not_found() {
    let w = World::new().await;
    w.on("RemoteNetworkGet", json!({"remoteNetwork": null})).await;
    let r = w.run(&["remote-network", "get", &gid("RemoteNetwork", "9"), "-o", "json"]).await;
    r.failure(4);
    assert_eq!(r.json_error()["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_5_rejected_by_the_api() {
    let w = World::new().await;
    w.on("RemoteNetworkGet", json!({"remoteNetwork": network("1", "aws")})).await;
    w.on("RemoteNetworkDelete", json!({"remoteNetworkDelete": {"ok": false, "error": "Remote network is in use"}}))
        .await;
    let r = w.run(&["remote-network", "delete", &gid("RemoteNetwork", "1"), "--yes", "-o", "json"]).await;
    r.failure(5);
    assert_eq!(r.json_error()["code"], "rejected");
    assert!(r.json_error()["message"].as_str().unwrap().contains("in use"));
}

/// Issue 17: a 500 on a bulk device verb is a server error (6), not a refusal (5); the mutation
/// is not re-sent (its outcome is unknown) and the other devices are still attempted.
#[tokio::test(flavor = "multi_thread")]
async fn exit_6_a_server_error_on_a_bulk_device_verb() {
    let w = World::new().await;
    w.on_vars("DeviceGet", json!({"id": gid("Device", "1")}), json!({"device": device("1", "mac", "ACTIVE", false)}))
        .await;
    w.on_vars("DeviceGet", json!({"id": gid("Device", "2")}), json!({"device": device("2", "pc", "ACTIVE", false)}))
        .await;
    w.expect("DeviceTrust", ResponseTemplate::new(500), 2).await;
    let r = w.run(&["device", "trust", &gid("Device", "1"), &gid("Device", "2"), "-o", "json"]).await;
    r.failure(6);
    assert_eq!(r.json_error()["code"], "outcome_unknown");
    let results: Vec<String> = r.json().as_array().unwrap().iter().map(|o| o["result"].to_string()).collect();
    assert_eq!(results, ["\"failed\"", "\"failed\""]);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_8_the_client_is_missing() {
    let w = World::new().await;
    let key = w.config_path("key.json");
    std::fs::write(&key, key_token("acme")).unwrap();
    let r = w
        .run_env(
            &["connect", "--wait", "--service-key-file", key.to_str().unwrap(), "-o", "json"],
            &[("TGCTL_TWINGATE_BIN", "/nonexistent/twingate")],
        )
        .await;
    r.failure(8).no_secrets();
    assert_eq!(r.json_error()["code"], "client_failed");
}

/// Issue 17: a mutation that answers `ok: true` with a null entity succeeded; tgctl reads the
/// object back and says so, instead of failing.
#[tokio::test(flavor = "multi_thread")]
async fn ok_true_with_a_null_entity_is_success_read_back() {
    let w = World::new().await;
    w.on("RemoteNetworkGet", json!({"remoteNetwork": network("1", "aws-eu")})).await;
    w.expect(
        "RemoteNetworkUpdate",
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"remoteNetworkUpdate": {"ok": true, "error": null, "entity": null}}})),
        1,
    )
    .await;
    let r = w.run(&["remote-network", "update", &gid("RemoteNetwork", "1"), "--name", "aws-eu", "-o", "json"]).await;
    r.success().stderr_has("returned no object; reading it back");
    assert_eq!(r.json()["name"], "aws-eu");
}

/// Issue 18 item 7: a host that does not exist in DNS is not transient: one attempt, and the
/// message names the host and what to check. A name under `.invalid` resolves nowhere (RFC 6761).
#[tokio::test(flavor = "multi_thread")]
async fn a_network_name_that_does_not_resolve_fails_at_once() {
    let w = World::new().await;
    let mut c = w.cmd();
    c.env_remove("TGCTL_API_URL").env("TWINGATE_URL", "invalid").env("TGCTL_RETRY_BUDGET", "600").args([
        "--network",
        "acme-typo",
        "remote-network",
        "list",
        "-v",
    ]);
    let r = run_blocking(c, None).await;
    r.failure(2).stderr_has("acme-typo.invalid does not resolve: check --network").no_secrets();
    assert!(!r.stderr().contains("attempt 2"), "a missing host was retried: {}", r.stderr());
    assert!(!r.stderr().contains("retrying"), "{}", r.stderr());
}

/// The help's table is the one in error.rs (the docs' copies are checked by a unit test).
#[tokio::test(flavor = "multi_thread")]
async fn help_exit_codes_prints_the_table_and_its_markdown() {
    let w = World::new().await;
    let r = w.run(&["help", "exit-codes"]).await;
    for row in
        ["  0  success", "  1  an error", "  2  bad flags", "130  interrupted", "bad_response", "outcome_unknown"]
    {
        r.success().stdout_has(row);
    }
    let r = w.run(&["help", "exit-codes", "--markdown"]).await;
    r.success().stdout_has("| 6 | network failure");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(
        readme.contains(r.stdout().trim()),
        "README.md's exit-code table differs from `tgctl help exit-codes --markdown`"
    );
}
