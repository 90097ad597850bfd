//! The service key lifecycle, the key JSON, and the headless login endpoint.

mod common;

use common::{Emu, unlimited};
use serde_json::{Value, json};

const CREATE: &str = "mutation($sa: ID!, $days: Int!, $name: String) {
  serviceAccountKeyCreate(serviceAccountId: $sa, expirationTime: $days, name: $name) {
    ok error token entity { id name status expiresAt revokedAt serviceAccount { id } } } }";
const KEY_Q: &str = "query($id: ID) { serviceAccountKey(id: $id) { id name status expiresAt revokedAt } }";
const RENAME: &str =
    "mutation($id: ID!, $n: String!) { serviceAccountKeyUpdate(id: $id, name: $n) { ok error entity { name } } }";
const REVOKE: &str = "mutation($id: ID!) { serviceAccountKeyRevoke(id: $id) { ok error entity { status revokedAt } } }";
const DELETE: &str = "mutation($id: ID!) { serviceAccountKeyDelete(id: $id) { ok error } }";

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn login(e: &Emu, body: Value) -> (u16, Value) {
    let url = format!("{}{}", e.emu.base_url(), tgctl_emulator::LOGIN_PATH);
    let resp = e.http.post(url).json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn signed(key: &Value, ts: i64) -> Value {
    let pem = key["private_key"].as_str().unwrap();
    let key_id = key["key_id"].as_str().unwrap();
    json!({
        "service_account_id": key["service_account_id"],
        "key_id": key_id,
        "timestamp": ts,
        "signature": tgctl_emulator::sign_login(pem, key_id, ts).unwrap(),
    })
}

#[tokio::test]
async fn key_lifecycle() {
    let e = Emu::start(unlimited()).await;
    let sa = e.create_service_account("deployer", json!([])).await;

    for days in [-1, 366] {
        let d = e.data(CREATE, json!({"sa": sa, "days": days})).await;
        assert_eq!(
            d["serviceAccountKeyCreate"],
            json!({"ok": false, "error": "A value from 0-365 is required.", "token": null, "entity": null})
        );
    }

    // 0 = never expires.
    let p = e.ok("serviceAccountKeyCreate", CREATE, json!({"sa": sa, "days": 0, "name": "forever"})).await;
    assert_eq!(p["entity"]["status"], "ACTIVE");
    assert_eq!(p["entity"]["expiresAt"], Value::Null);
    assert_eq!(p["entity"]["serviceAccount"]["id"], sa);
    let forever = p["entity"]["id"].as_str().unwrap().to_string();

    // A 30-day key: rename, revoke, can't revoke again, can't rename, delete.
    let p = e.ok("serviceAccountKeyCreate", CREATE, json!({"sa": sa, "days": 30, "name": "k30"})).await;
    let k30 = p["entity"]["id"].as_str().unwrap().to_string();
    let expires: jiff::Timestamp = p["entity"]["expiresAt"].as_str().unwrap().parse().unwrap();
    let days = (expires.as_second() - now_secs()) as f64 / 86400.0;
    assert!((29.9..30.1).contains(&days), "{days}");

    let d = e.data(DELETE, json!({"id": k30})).await;
    assert_eq!(
        d["serviceAccountKeyDelete"],
        json!({"ok": false, "error": "Service Key must be revoked before it can be deleted"})
    );
    let p = e.ok("serviceAccountKeyUpdate", RENAME, json!({"id": k30, "n": "renamed"})).await;
    assert_eq!(p["entity"]["name"], "renamed");
    let p = e.ok("serviceAccountKeyRevoke", REVOKE, json!({"id": k30})).await;
    assert_eq!(p["entity"]["status"], "REVOKED");
    assert!(p["entity"]["revokedAt"].is_string());
    let d = e.data(REVOKE, json!({"id": k30})).await;
    assert_eq!(d["serviceAccountKeyRevoke"]["ok"], false);
    // Renaming a revoked key: no public source says the API refuses it.
    let p = e.ok("serviceAccountKeyUpdate", RENAME, json!({"id": k30, "n": "again"})).await;
    assert_eq!(p["entity"]["name"], "again");
    e.ok("serviceAccountKeyDelete", DELETE, json!({"id": k30})).await;
    let d = e.data(KEY_Q, json!({"id": k30})).await;
    assert_eq!(d["serviceAccountKey"], Value::Null);

    // A 1-day key expires when the clock passes expiresAt; then it can be deleted but not revoked.
    let p = e.ok("serviceAccountKeyCreate", CREATE, json!({"sa": sa, "days": 1})).await;
    let k1 = p["entity"]["id"].as_str().unwrap().to_string();
    assert!(!p["entity"]["name"].as_str().unwrap().is_empty());
    e.hook(reqwest::Method::POST, "clock", json!({"advanceSeconds": 86400 - 120})).await;
    assert_eq!(e.data(KEY_Q, json!({"id": k1})).await["serviceAccountKey"]["status"], "ACTIVE");
    let clock = e.hook(reqwest::Method::POST, "clock", json!({"advanceSeconds": 240})).await;
    assert_eq!(clock["offsetSeconds"], 86400 + 120);
    assert_eq!(e.data(KEY_Q, json!({"id": k1})).await["serviceAccountKey"]["status"], "EXPIRED");
    let d = e.data(REVOKE, json!({"id": k1})).await;
    assert_eq!(d["serviceAccountKeyRevoke"]["ok"], false);
    e.ok("serviceAccountKeyDelete", DELETE, json!({"id": k1})).await;
    // The never-expiring key is still active.
    assert_eq!(e.data(KEY_Q, json!({"id": forever})).await["serviceAccountKey"]["status"], "ACTIVE");

    // Keys listed under their service account.
    let d = e
        .data(
            "query($id: ID!) { serviceAccount(id: $id) { keys { totalCount edges { node { id status } } } } }",
            json!({"id": sa}),
        )
        .await;
    assert_eq!(d["serviceAccount"]["keys"]["totalCount"], 1);
    // Deleting the service account removes its keys.
    e.ok(
        "serviceAccountDelete",
        "mutation($id: ID!) { serviceAccountDelete(id: $id) { ok error } }",
        json!({"id": sa}),
    )
    .await;
    assert_eq!(e.data(KEY_Q, json!({"id": forever})).await["serviceAccountKey"], Value::Null);
}

#[tokio::test]
async fn key_json_signs_an_accepted_login_until_revoked() {
    let e = Emu::start(unlimited()).await;
    let res = e
        .data("{ resources(filter: {name: {in: [\"demo-web\", \"Wiki\"]}}) { edges { node { id } } } }", json!({}))
        .await;
    let res_ids: Vec<Value> =
        res["resources"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].clone()).collect();
    assert_eq!(res_ids.len(), 2);
    let sa = e.create_service_account("ci", json!(res_ids)).await;
    let p = e.ok("serviceAccountKeyCreate", CREATE, json!({"sa": sa, "days": 7, "name": "ci-key"})).await;
    let token = p["token"].as_str().unwrap();
    assert!(!token.contains('\n'), "compact JSON");
    let key: Value = serde_json::from_str(token).expect("the token is JSON");
    let obj = key.as_object().unwrap();
    let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["expires_at", "key_id", "login_path", "network", "private_key", "service_account_id", "version"]
    );
    assert_eq!(key["version"], "1");
    assert_eq!(key["network"], "demo.twingate.com");
    assert_eq!(key["login_path"], "/api/v4/headless/login");
    let decoded =
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sa.as_bytes()).unwrap())
            .unwrap();
    assert_eq!(decoded, format!("ServiceAccount:{}", key["service_account_id"].as_str().unwrap()));
    let key_decoded = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, p["entity"]["id"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(key_decoded, format!("ServiceAccountKey:{}", key["key_id"].as_str().unwrap()));
    let expires: jiff::Timestamp = key["expires_at"].as_str().unwrap().parse().expect("RFC 3339");
    assert!(expires.as_second() > now_secs());

    // The private key is a PKCS#8 PEM of a P-256 key.
    let pem = key["private_key"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    use p256::pkcs8::DecodePrivateKey;
    p256::SecretKey::from_pkcs8_pem(pem).expect("valid PKCS#8 P-256 key");

    // A correctly signed login is accepted and lists the reachable active resources.
    let ts = now_secs();
    let (status, body) = login(&e, signed(&key, ts)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["serviceAccountId"], sa);
    let mut names: Vec<&str> =
        body["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Wiki", "demo-web"]);
    let web = body["resources"].as_array().unwrap().iter().find(|r| r["name"] == "demo-web").unwrap();
    assert_eq!(web["address"], "127.0.0.1");
    assert_eq!(web["alias"], "web.demo.internal");

    // Bad signature, stale timestamp, unknown key.
    let mut bad = signed(&key, ts);
    bad["signature"] = json!(tgctl_emulator::sign_login(pem, "other", ts).unwrap());
    assert_eq!(login(&e, bad).await, (401, json!({"ok": false, "error": "bad signature"})));
    assert_eq!(login(&e, signed(&key, ts - 600)).await, (401, json!({"ok": false, "error": "stale timestamp"})));
    let mut unknown = key.clone();
    unknown["key_id"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(login(&e, signed(&unknown, ts)).await, (401, json!({"ok": false, "error": "unknown key"})));

    // Revoked: rejected.
    e.ok("serviceAccountKeyRevoke", REVOKE, json!({"id": p["entity"]["id"]})).await;
    assert_eq!(login(&e, signed(&key, now_secs())).await, (401, json!({"ok": false, "error": "key revoked"})));

    // Expired: rejected (timestamps follow the emulator's clock).
    let p = e.ok("serviceAccountKeyCreate", CREATE, json!({"sa": sa, "days": 1})).await;
    let key2: Value = serde_json::from_str(p["token"].as_str().unwrap()).unwrap();
    assert_eq!(login(&e, signed(&key2, now_secs())).await.0, 200);
    e.hook(reqwest::Method::POST, "clock", json!({"advanceSeconds": 2 * 86400})).await;
    assert_eq!(
        login(&e, signed(&key2, now_secs() + 2 * 86400)).await,
        (401, json!({"ok": false, "error": "key expired"}))
    );
}
