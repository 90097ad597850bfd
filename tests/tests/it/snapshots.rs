//! The `-o json` output contract: every verb of every CRUD noun, run through the real `tgctl`
//! against the real emulator (`--seed demo`), pinned with insta snapshots.
//!
//! IDs, times and temporary paths differ from run to run (the emulator's clock is the wall
//! clock), so before a value is compared, every Relay global ID becomes `<Type>`, every RFC 3339
//! time `<time>` and the test's directory `<dir>` ([`normalize`]). Everything else (field names,
//! enum spellings, nesting, nulls, numbers) is the contract: a change shows in review as a changed
//! `.snap` file (`cargo insta review`, or `INSTA_UPDATE=always` and `git diff`). Objects are
//! compared as maps: key order is not part of the contract.

use serde_json::Value;

use crate::common::*;
use crate::emulator::Emulator;

fn demo() -> Emulator {
    Emulator::start(&["--seed", "demo", "--reads-per-minute", "0", "--writes-per-minute", "0"])
}

/// A Relay global ID (base64 of `Type:pk`) becomes `<Type>`; an RFC 3339 time becomes `<time>`;
/// `dir` at the start of a path becomes `<dir>`.
fn normalize(v: Value, dir: &str) -> Value {
    match v {
        Value::String(s) => Value::String(normalize_str(&s, dir)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| normalize(v, dir)).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalize(v, dir))).collect()),
        other => other,
    }
}

fn normalize_str(s: &str, dir: &str) -> String {
    use base64::Engine;
    if let Some(rest) = s.strip_prefix(dir) {
        return format!("<dir>{rest}");
    }
    if s.parse::<jiff::Timestamp>().is_ok() {
        return "<time>".to_owned();
    }
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s)
        && let Ok(text) = String::from_utf8(bytes)
        && let Some((ty, pk)) = text.split_once(':')
        && !ty.is_empty()
        && ty.chars().all(|c| c.is_ascii_alphanumeric())
        && !pk.is_empty()
    {
        return format!("<{ty}>");
    }
    s.to_owned()
}

/// Runs `args -o json`, expects success, and returns stdout's JSON, normalized.
async fn json(emu: &Emulator, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let r = emu.run(&all).await;
    r.success();
    normalize(r.json(), emu.state.path().to_str().unwrap())
}

macro_rules! snap {
    ($name:literal, $emu:expr, $args:expr) => {
        insta::assert_json_snapshot!($name, json($emu, $args).await)
    };
}

#[test]
fn the_normalizer_redacts_ids_and_times_only() {
    let v = serde_json::json!({
        "id": gid("Resource", "12"), "at": "2026-01-01T00:00:00.123456+00:00", "name": "Production",
        "n": 3, "address": "10.0.0.0/16", "email": "ada@example.com", "list": ["abcd", gid("Group", "1")],
        "file": "/tmp/x/key.json"
    });
    assert_eq!(
        normalize(v, "/tmp/x"),
        serde_json::json!({
            "id": "<Resource>", "at": "<time>", "name": "Production", "n": 3, "address": "10.0.0.0/16",
            "email": "ada@example.com", "list": ["abcd", "<Group>"], "file": "<dir>/key.json"
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_network_json() {
    let emu = demo();
    snap!("remote_network_list", &emu, &["remote-network", "list"]);
    snap!("remote_network_get", &emu, &["remote-network", "get", "Production"]);
    snap!("remote_network_create", &emu, &["remote-network", "create", "Staging", "--location", "aws"]);
    snap!(
        "remote_network_update",
        &emu,
        &["remote-network", "update", "Staging", "--name", "Staging EU", "--location", "google-cloud", "--inactive"]
    );
    snap!("remote_network_delete", &emu, &["remote-network", "delete", "Staging EU", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn connector_json() {
    let emu = demo();
    snap!("connector_list", &emu, &["connector", "list"]);
    snap!("connector_get", &emu, &["connector", "get", "calm-otter"]);
    snap!("connector_create", &emu, &["connector", "create", "--remote-network", "Office", "--name", "snap-1"]);
    snap!("connector_update", &emu, &["connector", "update", "snap-1", "--name", "snap-2", "--no-notifications"]);
    let out = emu.state.path().join("connector.json");
    snap!("connector_tokens", &emu, &["connector", "tokens", "snap-2", "--out", out.to_str().unwrap(), "--yes"]);
    snap!("connector_delete", &emu, &["connector", "delete", "snap-2", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_json() {
    let emu = demo();
    emu.run(&["service-account", "create", "ci"]).await.success();
    snap!("resource_list", &emu, &["resource", "list"]);
    snap!("resource_get", &emu, &["resource", "get", "prod-db"]);
    snap!(
        "resource_create",
        &emu,
        &[
            "resource",
            "create",
            "db",
            "--address",
            "db.internal",
            "--remote-network",
            "Production",
            "--tcp",
            "5432,6000-6010",
            "--udp",
            "none",
            "--alias",
            "db.example.internal",
        ]
    );
    snap!("resource_update", &emu, &["resource", "update", "db", "--inactive", "--clear-alias", "--no-icmp"]);
    snap!(
        "resource_access_add",
        &emu,
        &["resource", "access", "add", "db", "--group", "Engineering", "--service-account", "ci"]
    );
    snap!("resource_access_list", &emu, &["resource", "access", "list", "db"]);
    snap!("resource_access_remove", &emu, &["resource", "access", "remove", "db", "--group", "Engineering", "--yes"]);
    snap!("resource_access_set", &emu, &["resource", "access", "set", "db", "--group", "Engineering", "--yes"]);
    snap!("resource_delete", &emu, &["resource", "delete", "db", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn group_json() {
    let emu = demo();
    snap!("group_list", &emu, &["group", "list"]);
    snap!("group_get", &emu, &["group", "get", "Engineering"]);
    snap!("group_create", &emu, &["group", "create", "Deployers", "--user", "ada@example.com", "--resource", "Wiki"]);
    snap!(
        "group_update",
        &emu,
        &[
            "group",
            "update",
            "Deployers",
            "--name",
            "Release",
            "--add-user",
            "grace@example.com",
            "--remove-resource",
            "Wiki"
        ]
    );
    snap!("group_delete", &emu, &["group", "delete", "Release", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_account_and_key_json() {
    let emu = demo();
    snap!("service_account_create", &emu, &["service-account", "create", "ci-deployer", "--resource", "Wiki"]);
    snap!(
        "service_account_update",
        &emu,
        &[
            "service-account",
            "update",
            "ci-deployer",
            "--name",
            "ci",
            "--add-resource",
            "NAS",
            "--remove-resource",
            "Wiki"
        ]
    );
    snap!("service_account_list", &emu, &["service-account", "list"]);
    let key = emu.state.path().join("key.json");
    let key = key.to_str().unwrap();
    snap!(
        "service_key_create",
        &emu,
        &[
            "service-key",
            "create",
            "--service-account",
            "ci",
            "--name",
            "k1",
            "--expires-in-days",
            "30",
            "--key-file",
            key
        ]
    );
    snap!("service_account_get", &emu, &["service-account", "get", "ci"]);
    snap!("service_key_list", &emu, &["service-key", "list", "--service-account", "ci"]);
    snap!("service_key_get", &emu, &["service-key", "get", "k1", "--service-account", "ci"]);
    snap!("service_key_rename", &emu, &["service-key", "rename", "k1", "k2", "--service-account", "ci"]);
    snap!(
        "service_key_rotate",
        &emu,
        &[
            "service-key",
            "rotate",
            "k2",
            "--service-account",
            "ci",
            "--name",
            "k3",
            "--expires-in-days",
            "30",
            "--key-file",
            key,
            "--force",
            "--yes",
        ]
    );
    snap!("service_key_revoke", &emu, &["service-key", "revoke", "k3", "--service-account", "ci", "--yes"]);
    snap!("service_key_delete", &emu, &["service-key", "delete", "k3", "--service-account", "ci", "--yes"]);
    snap!("service_account_delete", &emu, &["service-account", "delete", "ci", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn device_json() {
    let emu = demo();
    snap!("device_list", &emu, &["device", "list"]);
    snap!("device_get", &emu, &["device", "get", "Ada's MacBook Pro"]);
    snap!("device_trust", &emu, &["device", "trust", "LINUS-DESKTOP", "Margaret's iPhone"]);
    snap!("device_untrust", &emu, &["device", "untrust", "LINUS-DESKTOP", "--yes"]);
    snap!("device_archive", &emu, &["device", "archive", "LINUS-DESKTOP", "--yes"]);
    snap!("device_unarchive", &emu, &["device", "unarchive", "LINUS-DESKTOP"]);
    snap!("device_block", &emu, &["device", "block", "--filter", "serial=PF3ABC12", "--yes"]);
    snap!("device_unblock", &emu, &["device", "unblock", "Grace's ThinkPad"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn security_policy_json() {
    let emu = demo();
    snap!("security_policy_list", &emu, &["security-policy", "list"]);
    snap!("security_policy_get", &emu, &["security-policy", "get", "Require MFA and trusted device"]);
    snap!(
        "security_policy_update",
        &emu,
        &["security-policy", "update", "Require MFA and trusted device", "--add-group", "Finance (Okta)"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_json() {
    let emu = demo();
    snap!("user_list", &emu, &["user", "list"]);
    snap!("user_get", &emu, &["user", "get", "ada@example.com"]);
    snap!(
        "user_invite",
        &emu,
        &["user", "invite", "new.hire@example.com", "--first-name", "New", "--last-name", "Hire", "--role", "devops"]
    );
    snap!(
        "user_update",
        &emu,
        &["user", "update", "new.hire@example.com", "--role", "member", "--first-name", "Newer"]
    );
    snap!("user_delete", &emu, &["user", "delete", "new.hire@example.com", "--yes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_json() {
    let emu = demo();
    snap!(
        "api_query",
        &emu,
        &[
            "api",
            "query($n: String!) { users(filter: {email: {eq: $n}}) { edges { node { email role } } } }",
            "-f",
            "n=ada@example.com"
        ]
    );
}
