//! `tgctl device`: lists, lookups and bulk actions.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;

pub fn device(pk: &str, name: &str, state: &str, trusted: bool) -> Value {
    json!({
        "id": gid("Device", pk), "name": name, "isTrusted": trusted, "activeState": state,
        "deviceType": "LAPTOP", "osName": "MAC_OS", "osVersion": "15.1", "clientVersion": "2025.1",
        "hardwareModel": "MacBookPro18,1", "manufacturerName": "Apple", "hostname": format!("{name}-host"),
        "username": "ada", "serialNumber": format!("SN{pk}"), "lastSuccessfulLoginAt": T0, "lastFailedLoginAt": null,
        "user": {"id": gid("User", "1"), "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
    })
}

fn all_devices() -> Value {
    json!({"devices": conn(vec![
        device("1", "mac", "ACTIVE", false),
        device("2", "pc", "ACTIVE", true),
        device("3", "old", "ARCHIVED", false),
        device("4", "dup", "ACTIVE", false),
        device("5", "dup", "ACTIVE", false),
    ], None)})
}

fn payload(op: &str, d: Value) -> Value {
    json!({ op: ok_entity(d) })
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_by_state_trust_serial_and_user() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.on("UserList", json!({"users": conn(vec![crate::group::user("1", "ada@example.com")], None)})).await;
    let r = w
        .run(&[
            "device",
            "list",
            "--state",
            "active",
            "--untrusted",
            "--serial",
            "SN1",
            "--user",
            "ada@example.com",
            "--name-contains",
            "MA",
            "-o",
            "json",
        ])
        .await;
    r.success();
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["name"], "mac");
    assert_eq!(rows[0]["state"], "active");
    assert_eq!(rows[0]["osName"], "mac-os");
    let f = &w.vars("DeviceList").await[0]["filter"];
    assert_eq!(f["activeState"], json!({"in": ["ACTIVE"]}));
    assert_eq!(f["isTrusted"], json!({"eq": false}));
    assert_eq!(f["serialNumber"]["eq"], "SN1");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_by_name_or_id() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.on("DeviceGet", json!({"device": null})).await;
    w.run(&["device", "get", "mac"]).await.success().stdout_has("serial\tSN1");
    w.run(&["device", "get", "dup"]).await.failure(2).stderr_has("2 devices are named \"dup\"");
    w.run(&["device", "get", &gid("Device", "9")]).await.failure(4);
    w.run(&["device", "get", &gid("User", "9")]).await.failure(2).stderr_has("is a User ID");
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_many_skips_devices_already_trusted() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.on_vars("DeviceGet", json!({"id": gid("Device", "3")}), json!({"device": device("3", "old", "ARCHIVED", false)}))
        .await;
    w.on("DeviceTrust", payload("deviceUpdate", device("1", "mac", "ACTIVE", true))).await;
    let r = w.run(&["device", "trust", "mac", "pc", &gid("Device", "3"), "-o", "json"]).await;
    r.success().stderr_has("Trusted 2 device(s); 1 already trusted.");
    let rows = r.json();
    let results: Vec<&str> = rows.as_array().unwrap().iter().map(|o| o["result"].as_str().unwrap()).collect();
    assert_eq!(results, vec!["unchanged", "changed", "changed"]);
    let mut ids: Vec<String> =
        w.vars("DeviceTrust").await.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    assert_eq!(ids, vec![gid("Device", "1"), gid("Device", "3")]);
    assert!(w.vars("DeviceTrust").await.iter().all(|v| v["isTrusted"] == true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_does_not_resolve_changes_nothing() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.expect("DeviceTrust", ResponseTemplate::new(500), 0).await;
    w.run(&["device", "trust", "mac", "nope"])
        .await
        .failure(4)
        .stderr_has("no device named \"nope\"")
        .stderr_has("nothing was changed");
    w.run(&["device", "trust", "mac", "dup"]).await.failure(2).stderr_has(&gid("Device", "5"));
    w.run(&["device", "trust"]).await.failure(2);
    w.run(&["device", "trust", "--filter", "colour=red"]).await.failure(2).stderr_has("unknown key");
}

#[tokio::test(flavor = "multi_thread")]
async fn block_by_filter_confirms_and_reports_each_failure() {
    let w = World::new().await;
    w.on_vars(
        "DeviceList",
        json!({"filter": {"isTrusted": {"eq": false}}}),
        json!({"devices": conn(vec![
        device("1", "mac", "ACTIVE", false), device("3", "old", "BLOCKED", false), device("4", "dup", "ACTIVE", false)
    ], None)}),
    )
    .await;
    w.on_vars(
        "DeviceBlock",
        json!({"id": gid("Device", "1")}),
        payload("deviceBlock", device("1", "mac", "BLOCKED", false)),
    )
    .await;
    w.on("DeviceBlock", json!({"deviceBlock": not_ok("Device is already deleted")})).await;

    let r = w.run(&["device", "block", "--filter", "trusted=false", "-o", "json"]).await;
    r.failure(2);
    assert_eq!(r.json_error()["code"], "confirmation_required");
    assert!(w.requests("DeviceBlock").await.is_empty());

    let r = w.run(&["device", "block", "--filter", "trusted=false", "--yes", "-o", "json"]).await;
    r.failure(5).stderr_has("could not block \"dup\": deviceBlock was rejected: Device is already deleted");
    let rows = r.json();
    let by_name = |n: &str| rows.as_array().unwrap().iter().find(|o| o["name"] == n).unwrap().clone();
    assert_eq!(by_name("mac")["result"], "changed");
    assert_eq!(by_name("mac")["state"], "blocked");
    assert_eq!(by_name("old")["result"], "unchanged");
    assert_eq!(by_name("dup")["result"], "failed");
    let err = r.json_error();
    assert_eq!(err["code"], "rejected");
    assert_eq!(err["message"], "1 of 3 device(s) could not be blocked");
    assert!(err["details"][0].as_str().unwrap().starts_with("dup ("));
    assert!(r.stderr().contains("Blocked 1 device(s); 1 already blocked; 1 failed."));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auth_failure_stops_the_run() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.expect("DeviceArchive", ResponseTemplate::new(403), 1).await;
    let r = w.run(&["device", "archive", "mac", "pc", "--yes", "-o", "json"]).await;
    r.failure(3).no_secrets();
    let rows = r.json();
    assert_eq!(rows[0]["result"], "failed");
    assert_eq!(rows[1]["result"], "skipped");
    assert!(r.json_error()["hint"].as_str().unwrap().contains("not attempted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unarchive_and_unblock_and_untrust_use_their_mutations() {
    let w = World::new().await;
    w.on("DeviceList", all_devices()).await;
    w.on("DeviceUnarchive", payload("deviceUnarchive", device("3", "old", "ACTIVE", false))).await;
    w.on("DeviceTrust", payload("deviceUpdate", device("2", "pc", "ACTIVE", false))).await;
    w.run(&["device", "unarchive", "old"]).await.success().stderr_has("Unarchived 1 device(s).");
    w.run(&["device", "untrust", "pc"]).await.success();
    assert_eq!(w.vars("DeviceTrust").await[0]["isTrusted"], false);
    w.run(&["device", "unblock", "pc"]).await.success().stderr_has("Unblocked 0 device(s); 1 already unblocked.");
    let r = w.run(&["device", "unblock", "--filter", "state=blocked"]).await;
    r.success();
}
