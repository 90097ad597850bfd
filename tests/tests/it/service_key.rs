//! `tgctl service-key ...` through the real binary: the lifecycle, the once-only secret.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::service_account::{mount_lookup, sa_id};

fn key_id(n: &str) -> String {
    gid("ServiceAccountKey", n)
}

fn key_node(n: &str, name: &str, status: &str, expires: Option<&str>) -> Value {
    json!({
        "id": key_id(n), "name": name, "status": status, "expiresAt": expires, "revokedAt": null,
        "createdAt": T0, "updatedAt": T0,
        "serviceAccount": {"id": sa_id(1), "name": "ci"}
    })
}

fn keys_of_account(nodes: Vec<Value>) -> Value {
    json!({"serviceAccount": {"id": sa_id(1), "name": "ci", "keys": {
        "pageInfo": {"endCursor": null, "hasNextPage": false},
        "edges": nodes.into_iter().map(|n| json!({"node": n})).collect::<Vec<_>>()
    }}})
}

pub fn created(name: &str) -> Value {
    json!({"serviceAccountKeyCreate": {"ok": true, "error": null, "token": key_token("acme"),
        "entity": key_node("new", name, "ACTIVE", Some("2999-01-01T00:00:00+00:00"))}})
}

async fn mount_get(w: &World, n: &str, status: &str) {
    w.on(
        "ServiceKeyGet",
        json!({"serviceAccountKey": key_node(n, "nightly", status, Some("2999-01-01T00:00:00+00:00"))}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_of_one_account_filters_by_status_and_expiry() {
    let w = World::new().await;
    mount_lookup(&w).await;
    let soon = jiff_in_days(10);
    w.on(
        "ServiceKeyListOfAccount",
        keys_of_account(vec![
            key_node("1", "soon", "ACTIVE", Some(&soon)),
            key_node("2", "later", "ACTIVE", Some("2999-01-01T00:00:00+00:00")),
            key_node("3", "gone", "REVOKED", None),
            key_node("4", "old", "ACTIVE", Some("2001-01-01T00:00:00+00:00")),
            key_node("5", "forever", "ACTIVE", None),
        ]),
    )
    .await;
    let names = |r: &Run| {
        r.json().as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let r = w.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(names(r.success()), vec!["soon", "later", "gone", "old", "forever"]);
    // The API's status is the truth (issue 17): a key it reports ACTIVE is active, even past its
    // expiry by this machine's clock; --expiring-within lists it with the others due soon.
    assert_eq!(r.json()[3]["status"], "active");
    let r = w.run(&["key", "ls", "--service-account", "ci", "--expiring-within", "30d", "-o", "json"]).await;
    assert_eq!(names(r.success()), vec!["soon", "old"]);
    let r = w.run(&["service-key", "list", "--service-account", "ci", "--status", "revoked", "-o", "json"]).await;
    assert_eq!(names(r.success()), vec!["gone"]);
    w.run(&["service-key", "list", "--expiring-within", "soon"]).await.failure(2).stderr_has("not a duration");
}

fn jiff_in_days(days: u64) -> String {
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(days * 86_400);
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Format as RFC 3339 (UTC) without a date library: days since epoch → civil date.
    let (d, s) = (secs / 86_400, secs % 86_400);
    let (y, m, dd) = civil(d as i64);
    format!("{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}+00:00", s / 3600, (s / 60) % 60, s % 60)
}

fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_across_all_accounts() {
    let w = World::new().await;
    w.on(
        "ServiceKeyListAll",
        json!({"serviceAccounts": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": [
            {"node": {"id": sa_id(1), "name": "ci", "keys": {"pageInfo": {"endCursor": null, "hasNextPage": false},
                "edges": [{"node": key_node("1", "a", "ACTIVE", None)}]}}},
            {"node": {"id": sa_id(2), "name": "ops", "keys": {"pageInfo": {"endCursor": null, "hasNextPage": false},
                "edges": [{"node": key_node("2", "b", "REVOKED", None)}]}}}
        ]}}),
    )
    .await;
    let r = w.run(&["service-key", "list"]).await;
    let out = r.success().stdout();
    assert!(out.contains("\ta\tci\tactive\t\t") || out.contains("\ta\tci\tactive\tnever\t"), "{out}");
    assert!(out.contains("\tb\tops\trevoked\t"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_writes_a_0600_file_once_and_never_prints_the_key() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(200).set_body_json(json!({"data": created("job-1")})), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key.json");
    let r = w
        .run(&[
            "service-key",
            "create",
            "--service-account",
            "ci",
            "--name",
            "job-1",
            "--expires-in-days",
            "7",
            "--key-file",
            file.to_str().unwrap(),
            "-v",
        ])
        .await;
    r.success().no_secrets().stderr_has("mode 0600");
    assert_eq!(file_mode(&file), 0o600);
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains(CANARY_KEY));
    let body = &w.requests("ServiceKeyCreate").await[0];
    assert_eq!(body["variables"], json!({"serviceAccountId": sa_id(1), "expirationTime": 7, "name": "job-1"}));
    // A second create refuses to overwrite, before creating anything.
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--key-file", file.to_str().unwrap()]).await;
    r.failure(2).stderr_has("already exists").stderr_has("nothing was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_force_replaces_the_file() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.on("ServiceKeyCreate", created("job")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key.json");
    std::fs::write(&file, "old").unwrap();
    let p = file.to_str().unwrap();
    w.run(&["key", "create", "--service-account", "ci", "--key-file", p, "--force"]).await.success().no_secrets();
    assert!(std::fs::read_to_string(&file).unwrap().contains(CANARY_KEY));
    assert_eq!(file_mode(&file), 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_prints_the_key_to_a_pipe_but_refuses_a_terminal() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(200).set_body_json(json!({"data": created("job")})), 2).await;
    // stdout is a pipe: the key is the only thing on stdout.
    let r = w.run(&["service-key", "create", "--service-account", "ci"]).await;
    r.success();
    assert_eq!(r.stdout().trim(), key_token("acme"));
    assert!(!r.stderr().contains(CANARY_KEY));
    // -o json: metadata plus the key in `token`.
    let r = w.run(&["service-key", "create", "--service-account", "ci", "-o", "json"]).await;
    let v = r.success().json();
    assert_eq!(v["name"], "job");
    assert_eq!(v["token"], key_token("acme"));
    // A (forced) terminal: refused, and nothing is created (expect(2) above).
    let r = w.run_env(&["service-key", "create", "--service-account", "ci"], &[("TGCTL_FORCE_TTY", "1")]).await;
    r.failure(2).stderr_has("refusing to print a service key to the terminal").no_secrets();
}

#[tokio::test(flavor = "multi_thread")]
async fn create_masks_the_key_under_github_actions_before_printing_it() {
    let w = World::new().await.env("GITHUB_ACTIONS", "true");
    mount_lookup(&w).await;
    w.on("ServiceKeyCreate", created("job")).await;
    let r = w.run(&["service-key", "create", "--service-account", "ci"]).await;
    r.success();
    let stderr = r.stderr();
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("::add-mask::"), "masking must come first: {stderr}");
    assert!(stderr.contains(&format!("::add-mask::{}", key_token("acme"))));
    assert!(
        stderr.lines().any(|l| l.starts_with("::add-mask::") && l.contains(CANARY_KEY) && !l.contains('{')),
        "the private key line is masked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_validates_expiry_flags() {
    let w = World::new().await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(500), 0).await;
    for args in [
        vec!["--expires-in-days", "0"],
        vec!["--expires-in-days", "366"],
        vec!["--expires-in-days", "30", "--no-expiry"],
    ] {
        let mut full = vec!["service-key", "create", "--service-account", "ci"];
        full.extend(args);
        w.run(&full).await.failure(2);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_no_expiry_sends_zero_days() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.on("ServiceKeyCreate", created("job")).await;
    w.run(&["service-key", "create", "--service-account", "ci", "--no-expiry"]).await.success();
    assert_eq!(w.requests("ServiceKeyCreate").await[0]["variables"]["expirationTime"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_key_without_a_token_is_reported() {
    let w = World::new().await;
    mount_lookup(&w).await;
    let mut data = created("job");
    data["serviceAccountKeyCreate"]["token"] = Value::Null;
    w.on("ServiceKeyCreate", data).await;
    w.run(&["service-key", "create", "--service-account", "ci"]).await.failure(1).stderr_has("returned no token");
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_only_while_active() {
    let w = World::new().await;
    mount_get(&w, "1", "REVOKED").await;
    w.expect("ServiceKeyRename", ResponseTemplate::new(500), 0).await;
    w.run(&["service-key", "rename", &key_id("1"), "new"])
        .await
        .failure(5)
        .stderr_has("only active keys can be renamed");

    let w = World::new().await;
    mount_get(&w, "1", "ACTIVE").await;
    w.on(
        "ServiceKeyRename",
        json!({"serviceAccountKeyUpdate": {"ok": true, "error": null, "entity": key_node("1", "new", "ACTIVE", None)}}),
    )
    .await;
    let r = w.run(&["service-key", "rename", &key_id("1"), "new", "-o", "json"]).await;
    assert_eq!(r.success().json()["name"], "new");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_confirms_and_is_final() {
    let w = World::new().await;
    mount_get(&w, "1", "ACTIVE").await;
    w.expect(
        "ServiceKeyRevoke",
        ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyRevoke": {"ok": true, "error": null, "entity": key_node("1", "nightly", "REVOKED", None)}}})),
        1,
    )
    .await;
    w.run(&["service-key", "revoke", &key_id("1")]).await.failure(2).stderr_has("--yes");
    let r = w.run(&["service-key", "revoke", &key_id("1"), "--yes", "-o", "json"]).await;
    assert_eq!(r.success().json()["status"], "revoked");

    let w = World::new().await;
    mount_get(&w, "1", "REVOKED").await;
    w.expect("ServiceKeyRevoke", ResponseTemplate::new(500), 0).await;
    w.run(&["service-key", "revoke", &key_id("1"), "--yes"]).await.success().stderr_has("already revoked");
}

/// Issue 17: the API's `status` is the truth. A key it reports ACTIVE whose `expiresAt` has
/// passed by this machine's clock still works as far as the API is concerned, so revoke revokes
/// it (the clock only adds a hint), and list shows it active.
#[tokio::test(flavor = "multi_thread")]
async fn an_active_key_past_its_expiry_by_our_clock_is_revoked() {
    let w = World::new().await;
    let past = Some("2020-01-01T00:00:00+00:00");
    w.on("ServiceKeyGet", json!({"serviceAccountKey": key_node("1", "nightly", "ACTIVE", past)})).await;
    w.expect(
        "ServiceKeyRevoke",
        ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyRevoke": {"ok": true, "error": null, "entity": key_node("1", "nightly", "REVOKED", past)}}})),
        1,
    )
    .await;
    let r = w.run(&["service-key", "revoke", &key_id("1"), "--yes", "-o", "json"]).await;
    r.success().stderr_has("the API reports it active");
    assert_eq!(r.json()["status"], "revoked");
    assert!(!r.stderr().contains("already"), "{}", r.stderr());
    let r = w.run(&["service-key", "get", &key_id("1"), "-o", "json"]).await;
    assert_eq!(r.success().json()["status"], "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_requires_revoke_first() {
    let w = World::new().await;
    mount_get(&w, "1", "ACTIVE").await;
    w.expect("ServiceKeyDelete", ResponseTemplate::new(500), 0).await;
    w.run(&["service-key", "delete", &key_id("1"), "--yes"])
        .await
        .failure(5)
        .stderr_has("must be revoked before it is deleted");

    let w = World::new().await;
    mount_get(&w, "1", "ACTIVE").await;
    w.on("ServiceKeyRevoke", json!({"serviceAccountKeyRevoke": {"ok": true, "error": null, "entity": key_node("1", "nightly", "REVOKED", None)}})).await;
    w.expect(
        "ServiceKeyDelete",
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"serviceAccountKeyDelete": {"ok": true, "error": null}}})),
        1,
    )
    .await;
    let r = w.run(&["service-key", "rm", &key_id("1"), "--revoke", "--yes", "-o", "id"]).await;
    assert_eq!(r.success().stdout().trim(), key_id("1"));
    assert_eq!(w.requests("ServiceKeyRevoke").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_rejected_by_the_api_says_why() {
    let w = World::new().await;
    mount_get(&w, "1", "REVOKED").await;
    w.on("ServiceKeyDelete", json!({"serviceAccountKeyDelete": {"ok": false, "error": "Service Key must be revoked before it can be deleted"}})).await;
    w.run(&["service-key", "delete", &key_id("1"), "--yes"]).await.failure(5).stderr_has("must be revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_by_name_searches_and_reports_ambiguity() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.on(
        "ServiceKeyListOfAccount",
        keys_of_account(vec![
            key_node("1", "dup", "ACTIVE", None),
            key_node("2", "dup", "REVOKED", None),
            key_node("3", "one", "ACTIVE", None),
        ]),
    )
    .await;
    let r = w.run(&["service-key", "get", "one", "--service-account", "ci", "-o", "json"]).await;
    assert_eq!(r.success().json()["id"], key_id("3"));
    let r = w.run(&["service-key", "get", "dup", "--service-account", "ci"]).await;
    r.failure(2).stderr_has("2 service keys are named");
    w.run(&["service-key", "get", "missing", "--service-account", "ci"]).await.failure(4);
    let w = World::new().await;
    w.on("ServiceKeyGet", json!({"serviceAccountKey": null})).await;
    w.run(&["service-key", "get", &key_id("404")]).await.failure(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_creates_writes_then_revokes_and_deletes() {
    let w = World::new().await;
    mount_get(&w, "old", "ACTIVE").await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(200).set_body_json(json!({"data": created("nightly-new")})), 1)
        .await;
    w.expect("ServiceKeyRevoke", ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccountKeyRevoke": {"ok": true, "error": null, "entity": key_node("old", "nightly", "REVOKED", None)}}})), 1).await;
    w.expect(
        "ServiceKeyDelete",
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"serviceAccountKeyDelete": {"ok": true, "error": null}}})),
        1,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.json");
    let r = w
        .run(&["service-key", "rotate", &key_id("old"), "--key-file", file.to_str().unwrap(), "--delete-old", "--yes"])
        .await;
    r.success().no_secrets().stderr_has("Revoked the old key").stderr_has("Deleted the old key");
    assert!(std::fs::read_to_string(&file).unwrap().contains(CANARY_KEY));
    // Order: create before revoke before delete.
    let order: Vec<String> = w
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["operationName"].as_str().unwrap().to_owned())
        .filter(|op| op != "ServiceKeyGet")
        .collect();
    assert_eq!(order, vec!["ServiceKeyCreate", "ServiceKeyRevoke", "ServiceKeyDelete"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_keeps_the_old_key_when_the_new_one_cannot_be_written() {
    let w = World::new().await;
    mount_get(&w, "old", "ACTIVE").await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(200).set_body_json(json!({"data": created("n")})), 0).await;
    w.expect("ServiceKeyRevoke", ResponseTemplate::new(500), 0).await;
    let r = w.run(&["service-key", "rotate", &key_id("old"), "--key-file", "/nonexistent-dir/key.json", "--yes"]).await;
    r.failure(2).stderr_has("does not exist");
}

// ---- issue 18: rotation keeps name and lifetime, units on day counts, unique default names ----

/// Days between a key's creation and its expiry, from `-o json` output.
fn lifetime_days(key: &Value) -> i64 {
    let at = |f: &str| key[f].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    (at("expiresAt") - at("createdAt") + 43_200) / 86_400
}

#[tokio::test(flavor = "multi_thread")]
async fn rotate_keeps_the_old_keys_name_and_lifetime_and_says_so() {
    let emu = crate::emulator::Emulator::start(&["--seed", "demo"]);
    let file = emu.state.path().join("key.json");
    let f = file.to_str().unwrap();
    emu.run(&["service-account", "create", "ci", "--resource", "prod-db"]).await.success();
    let r = emu
        .run(&["service-key", "create", "--service-account", "ci", "--name", "nightly", "--expires-in-days", "30"])
        .await;
    r.success();

    let r = emu
        .run(&["service-key", "rotate", "nightly", "--service-account", "ci", "--key-file", f, "--yes", "-o", "json"])
        .await;
    let new = r.success().no_secrets().json();
    assert_eq!(new["name"], "nightly", "the name is kept");
    assert_eq!(lifetime_days(&new), 30, "the lifetime is kept, not 365 days: {new}");
    r.stderr_has("has the old key's name, with the old key's lifetime (30 days)").stderr_has("Revoked the old key");
    let keys = emu.run(&["service-key", "list", "--service-account", "ci", "-o", "json"]).await.success().json();
    let statuses: Vec<(&str, &str)> =
        keys.as_array().unwrap().iter().map(|k| (k["name"].as_str().unwrap(), k["status"].as_str().unwrap())).collect();
    assert_eq!(statuses.iter().filter(|(n, s)| *n == "nightly" && *s == "active").count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|(n, s)| *n == "nightly" && *s == "revoked").count(), 1, "{statuses:?}");

    // Told otherwise, it does what it is told, and says that instead. The new "nightly" is the
    // only active one; name it by ID (two keys are named nightly now).
    let id = new["id"].as_str().unwrap();
    let r = emu
        .run(&[
            "key",
            "rotate",
            id,
            "--key-file",
            f,
            "--force",
            "--expires-in",
            "7d",
            "--name",
            "weekly",
            "--delete-old",
            "--yes",
            "-o",
            "json",
        ])
        .await;
    let weekly = r.success().json();
    assert_eq!((weekly["name"].as_str(), lifetime_days(&weekly)), (Some("weekly"), 7));
    r.stderr_has("is named \"weekly\", with 7 days (as asked);").stderr_has("was revoked and deleted");

    // A key that never expires is replaced by one that never expires.
    emu.run(&["key", "create", "--service-account", "ci", "--name", "forever", "--no-expiry"]).await.success();
    let r = emu
        .run(&[
            "key",
            "rotate",
            "forever",
            "--service-account",
            "ci",
            "--key-file",
            f,
            "--force",
            "--yes",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(r.success().json()["expiresAt"], Value::Null);
    r.stderr_has("with the old key's lifetime (no expiry)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_count_without_a_unit_is_refused_with_a_hint() {
    let w = World::new().await;
    w.expect("ServiceKeyListOfAccount", ResponseTemplate::new(500), 0).await;
    w.expect("ServiceKeyListAll", ResponseTemplate::new(500), 0).await;
    w.expect("ServiceKeyCreate", ResponseTemplate::new(500), 0).await;
    let r = w.run(&["service-key", "list", "--status", "active", "--expiring-within", "30"]).await;
    r.failure(2)
        .stderr_has("'--expiring-within <DURATION>': the number has no unit")
        .stderr_has("--expiring-within 30d");
    assert_eq!(r.stderr().matches("--expiring-within 30").count(), 1, "said once: {}", r.stderr());
    assert!(!r.stderr().contains("panicked"));
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--expires-in", "30"]).await;
    r.failure(2).stderr_has("--expires-in 30: the number has no unit").stderr_has("30d");
    // With the unit it works, and 30d means 30 days.
    let w = World::new().await;
    mount_lookup(&w).await;
    let soon = jiff_in_days(29);
    let late = jiff_in_days(31);
    w.on(
        "ServiceKeyListOfAccount",
        keys_of_account(vec![
            key_node("1", "soon", "ACTIVE", Some(&soon)),
            key_node("2", "late", "ACTIVE", Some(&late)),
        ]),
    )
    .await;
    let r = w.run(&["key", "list", "--service-account", "ci", "--expiring-within", "30d", "-o", "id"]).await;
    assert_eq!(r.success().stdout().trim(), key_id("1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn default_key_names_are_unique_within_one_job_and_minute() {
    let w = World::new().await.env("CI_JOB_ID", "4242").env("CI_PROJECT_PATH", "group/app");
    mount_lookup(&w).await;
    w.on("ServiceKeyCreate", created("whatever")).await;
    for _ in 0..3 {
        w.run(&["service-key", "create", "--service-account", "ci"]).await.success();
    }
    let names: Vec<String> = w
        .requests("ServiceKeyCreate")
        .await
        .iter()
        .map(|b| b["variables"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3);
    for n in &names {
        assert!(
            n.starts_with("tgctl-gitlab-group-app-4242-") && n.len() == "tgctl-gitlab-group-app-4242-".len() + 6,
            "{n}"
        );
    }
    let unique: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), 3, "{names:?}");
}
