//! End to end: every noun's main verbs, through the real `tgctl`, against the real emulator.

use serde_json::Value;

use crate::common::*;
use crate::emulator::Emulator;

fn unlimited() -> Emulator {
    Emulator::start(&["--seed", "demo", "--reads-per-minute", "0", "--writes-per-minute", "0"])
}

fn names(v: Value, field: &str) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x[field].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_networks_and_connectors() {
    let emu = unlimited();
    let r = emu.run(&["remote-network", "list", "-o", "json"]).await;
    assert!(names(r.success().json(), "name").contains(&"Production".to_owned()));
    emu.run(&["remote-network", "create", "Staging", "--location", "aws"]).await.success();
    emu.run(&["remote-network", "update", "Staging", "--name", "Staging EU", "--location", "google-cloud"])
        .await
        .success();
    let r = emu.run(&["remote-network", "get", "Staging EU", "-o", "json"]).await;
    assert_eq!(r.success().json()["name"], "Staging EU");

    emu.run(&["connector", "create", "--remote-network", "Staging EU", "--name", "eu-1"]).await.success();
    let r = emu.run(&["connector", "list", "--remote-network", "Staging EU", "-o", "json"]).await;
    assert_eq!(names(r.success().json(), "name"), vec!["eu-1"]);
    let out = emu.state.path().join("connector.env");
    let r = emu.run(&["connector", "tokens", "eu-1", "--out", out.to_str().unwrap(), "--format", "env", "--yes"]).await;
    r.success();
    assert_eq!(file_mode(&out), 0o600);
    let env = std::fs::read_to_string(&out).unwrap();
    assert!(env.contains("TWINGATE_ACCESS_TOKEN=") && env.contains("TWINGATE_REFRESH_TOKEN="));
    for line in env.lines().filter_map(|l| l.split_once('=').map(|(_, v)| v)).filter(|v| v.len() > 20) {
        assert!(!r.stdout().contains(line) && !r.stderr().contains(line), "a connector token was printed");
    }
    emu.run(&["connector", "delete", "eu-1", "--yes"]).await.success();
    emu.run(&["remote-network", "delete", "Staging EU", "--yes"]).await.success();
    emu.run(&["remote-network", "get", "Staging EU"]).await.failure(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_and_access() {
    let emu = unlimited();
    emu.run(&["service-account", "create", "ci"]).await.success();
    emu.run(&[
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
    ])
    .await
    .success();
    let r = emu.run(&["resource", "get", "db", "-o", "json"]).await;
    let v = r.success().json().clone();
    assert_eq!(v["alias"], "db.example.internal");
    // Omitted flags leave fields alone; --clear-alias clears.
    emu.run(&["resource", "update", "db", "--inactive"]).await.success();
    let r = emu.run(&["resource", "get", "db", "-o", "json"]).await;
    let after = r.success().json().clone();
    assert_eq!(after["alias"], "db.example.internal");
    assert_eq!(after["protocols"], v["protocols"]);
    emu.run(&["resource", "update", "db", "--clear-alias"]).await.success();
    let r = emu.run(&["resource", "get", "db", "-o", "json"]).await;
    assert!(r.success().json()["alias"].is_null());
    // Browser shortcuts are refused on CIDR ranges by the API.
    emu.run(&[
        "resource",
        "create",
        "vpc",
        "--address",
        "10.0.0.0/16",
        "--remote-network",
        "Production",
        "--browser-shortcut",
    ])
    .await
    .failure(5);

    emu.run(&["resource", "access", "add", "db", "--group", "Engineering", "--service-account", "ci"]).await.success();
    let r = emu.run(&["resource", "access", "list", "db", "-o", "json"]).await;
    let mut principals = names(r.success().json(), "principalName");
    principals.sort();
    assert_eq!(principals, vec!["Engineering", "ci"]);
    emu.run(&["resource", "access", "set", "db", "--service-account", "ci", "--yes"])
        .await
        .success()
        .stderr_has("removed");
    let r = emu.run(&["service-account", "get", "ci", "-o", "json"]).await;
    assert_eq!(r.success().json()["resources"][0]["name"], "db");
    emu.run(&["resource", "access", "remove", "db", "--service-account", "ci", "--yes"]).await.success();
    emu.run(&["resource", "delete", "db", "--yes"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_users_and_policies() {
    let emu = unlimited();
    let r = emu.run(&["user", "list", "-o", "json"]).await;
    let users = r.success().json().clone();
    let email = users[0]["email"].as_str().unwrap().to_owned();
    emu.run(&["group", "create", "Deployers", "--user", &email]).await.success();
    let r = emu.run(&["group", "get", "Deployers", "-o", "json"]).await;
    assert_eq!(r.success().json()["users"][0]["email"], email.as_str());
    emu.run(&["group", "update", "Deployers", "--remove-user", &email, "--name", "Release"]).await.success();
    emu.run(&["group", "update", "Everyone", "--name", "x"]).await.failure(5);
    emu.run(&["group", "delete", "Release", "--yes"]).await.success();

    emu.run(&["user", "invite", "new.hire@example.com", "--role", "devops", "--send-invite"]).await.success();
    let r = emu.run(&["user", "get", "new.hire@example.com", "-o", "json"]).await;
    let u = r.success().json().clone();
    assert_eq!(u["state"].as_str().unwrap().to_ascii_lowercase(), "pending");
    assert_eq!(emu.stats().await["invitations"], 1);
    emu.run(&["user", "update", "new.hire@example.com", "--state", "disabled"]).await.failure_any();
    emu.run(&["user", "update", "new.hire@example.com", "--role", "member"]).await.success();
    emu.run(&["user", "delete", "new.hire@example.com", "--yes"]).await.success();

    let r = emu.run(&["security-policy", "list", "-o", "json"]).await;
    let policies = names(r.success().json(), "name");
    let policy = policies.iter().find(|n| *n != "Default Policy").unwrap().clone();
    emu.run(&["security-policy", "update", &policy, "--add-group", "Engineering"]).await.success();
    let r = emu.run(&["security-policy", "get", &policy, "-o", "json"]).await;
    assert!(r.success().stdout().contains("Engineering"));
}

#[tokio::test(flavor = "multi_thread")]
async fn devices_in_bulk() {
    let emu = unlimited();
    let r = emu.run(&["device", "list", "-o", "json"]).await;
    let devices = r.success().json().clone();
    let ids: Vec<String> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"].as_str().map(str::to_ascii_lowercase) == Some("active".into()))
        .take(2)
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    emu.run(&["device", "block", &ids[0], &ids[1], "--yes"]).await.success();
    let r = emu.run(&["device", "get", &ids[0], "-o", "json"]).await;
    assert_eq!(r.success().json()["state"], "blocked");
    emu.run(&["device", "unblock", &ids[0], &ids[1]]).await.success();
    emu.run(&["device", "untrust", &ids[0]]).await.success();
    let r = emu.run(&["device", "get", &ids[0], "-o", "json"]).await;
    assert_eq!(r.success().json()["isTrusted"], false);
    // A device that isn't archived can't be unarchived: reported per device, exit 5... or skipped.
    let r = emu.run(&["device", "unarchive", &ids[0]]).await;
    assert!(r.code() == 0 || r.code() == 5, "{}", r.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_raw_api_and_the_schema() {
    let emu = unlimited();
    let r = emu.run(&["api", "query { remoteNetworks(first: 1) { totalCount } }"]).await;
    assert!(r.success().json()["remoteNetworks"]["totalCount"].as_i64().unwrap() >= 2);
    let r = emu.run(&["api", "schema"]).await;
    r.success().stdout_has("type QueriesRoot").stdout_has("serviceAccountKeyCreate");
    emu.run(&["api", "query { nope }"]).await.failure(5);
}

// ---- issue 18: "did you mean" for misspelt names, one place for every noun ----

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_name_gets_a_did_you_mean_for_every_noun() {
    let emu = crate::emulator::Emulator::start(&["--seed", "demo"]);
    emu.run(&["service-account", "create", "ci-deployer"]).await.success();
    let key = emu.state.path().join("k.json");
    emu.run(&[
        "key",
        "create",
        "--service-account",
        "ci-deployer",
        "--name",
        "nightly",
        "--key-file",
        key.to_str().unwrap(),
    ])
    .await
    .success();
    for (args, wanted) in [
        (vec!["service-account", "get", "ci-deplyer"], "ci-deployer"),
        (vec!["resource", "get", "prod_db"], "prod-db"),
        (vec!["group", "get", "engineering"], "Engineering"),
        (vec!["remote-network", "get", "Prodution"], "Production"),
        (vec!["connector", "get", "calm-oter"], "calm-otter"),
        (vec!["user", "get", "ada@exmple.com"], "ada@example.com"),
        (vec!["service-key", "get", "nigthly"], "nightly"),
    ] {
        let r = emu.run(&args).await;
        r.failure(4).stderr_has(&format!("did you mean `{wanted}`?"));
    }
    // Nothing close: the plain hint, no guess.
    let r = emu.run(&["resource", "get", "zzzzzzzz"]).await;
    r.failure(4).stderr_has("names are matched exactly");
    assert!(!r.stderr().contains("did you mean"), "{}", r.stderr());
    // Verbs: clap's own suggestion.
    emu.run(&["service-account", "lst"]).await.failure(2).stderr_has("similar subcommands exist: 'ls', 'list'");
}
