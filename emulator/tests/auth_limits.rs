//! API keys, permission levels and rate limits.

mod common;

use common::{Emu, unlimited};
use serde_json::{Value, json};
use tgctl_emulator::Config;

#[tokio::test]
async fn api_keys_are_checked() {
    let e = Emu::start(unlimited()).await;
    let q = "{ groups { totalCount } }";
    for token in [None, Some("nope")] {
        let (status, body) = e.post(token, q, json!({})).await;
        assert_eq!(status, 401);
        assert_eq!(body, json!({"errors": [{"message": "Invalid API key"}]}));
    }
    // The header name is case-insensitive.
    for name in ["X-API-KEY", "x-api-key", "X-Api-Key"] {
        let resp =
            e.http.post(e.emu.api_url()).header(name, e.token()).json(&json!({"query": q})).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    // Both endpoint spellings work.
    let url = format!("{}/api/graphql", e.emu.base_url());
    let resp = e.http.post(url).header("X-API-KEY", e.token()).json(&json!({"query": q})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // A fixed token from the config is accepted.
    let fixed = Emu::start(Config { api_token: Some("fixed-token".into()), ..unlimited() }).await;
    assert_eq!(fixed.post(Some("fixed-token"), q, json!({})).await.0, 200);
}

fn denied(field: &str, level: &str) -> Value {
    json!({"data": null, "errors": [{"message": format!("Permission denied: {field} needs a {level} API token"), "extensions": {"code": "PERMISSION_DENIED"}}]})
}

#[tokio::test]
async fn permission_levels() {
    let e = Emu::start(unlimited()).await;
    let read = e.new_token("read").await;
    let write = e.new_token("write").await;
    let provision = e.new_token("provision").await;
    let connector = e.data("{ connectors(first: 1) { edges { node { id } } } }", json!({})).await;
    let connector = connector["connectors"]["edges"][0]["node"]["id"].clone();

    let query = "{ users { totalCount } }";
    let write_m = "mutation { groupCreate(name: \"perm\") { ok } }";
    let provision_m = "mutation($c: ID!) { connectorGenerateTokens(connectorId: $c) { ok } }";
    let vars = json!({"c": connector});
    for t in [&read, &write, &provision] {
        assert_eq!(e.post(Some(t), query, json!({})).await.0, 200);
    }
    assert_eq!(e.post(Some(&read), write_m, json!({})).await, (200, denied("groupCreate", "write")));
    assert_eq!(
        e.post(Some(&read), provision_m, vars.clone()).await,
        (200, denied("connectorGenerateTokens", "provision"))
    );
    assert_eq!(
        e.post(Some(&write), provision_m, vars.clone()).await,
        (200, denied("connectorGenerateTokens", "provision"))
    );
    let (status, body) = e.post(Some(&write), write_m, json!({})).await;
    assert_eq!((status, body["data"]["groupCreate"]["ok"].clone()), (200, json!(true)));
    let (_, body) = e.post(Some(&provision), provision_m, vars.clone()).await;
    assert_eq!(body["data"]["connectorGenerateTokens"]["ok"], true);

    // Each service-key credential mutation needs provision; renaming needs only write.
    let sa = e.create_service_account("perm", json!([])).await;
    let create =
        "mutation($s: ID!) { serviceAccountKeyCreate(serviceAccountId: $s, expirationTime: 0) { ok entity { id } } }";
    assert_eq!(e.post(Some(&write), create, json!({"s": sa})).await.1, denied("serviceAccountKeyCreate", "provision"));
    let (_, body) = e.post(Some(&provision), create, json!({"s": sa})).await;
    let key = body["data"]["serviceAccountKeyCreate"]["entity"]["id"].clone();
    let rename = "mutation($k: ID!) { serviceAccountKeyUpdate(id: $k, name: \"n\") { ok } }";
    assert_eq!(e.post(Some(&write), rename, json!({"k": key})).await.1["data"]["serviceAccountKeyUpdate"]["ok"], true);
    for (field, m) in [
        ("serviceAccountKeyRevoke", "mutation($k: ID!) { serviceAccountKeyRevoke(id: $k) { ok } }"),
        ("serviceAccountKeyDelete", "mutation($k: ID!) { serviceAccountKeyDelete(id: $k) { ok } }"),
    ] {
        assert_eq!(e.post(Some(&write), m, json!({"k": key})).await.1, denied(field, "provision"));
        assert_eq!(e.post(Some(&provision), m, json!({"k": key})).await.1["data"][field]["ok"], true);
    }
    // Denied mutations were not applied.
    let stats = e.stats().await;
    assert_eq!(stats["applied"]["groupCreate"], 1);
    assert_eq!(stats["applied"]["connectorGenerateTokens"], 1);
    assert_eq!(stats["applied"]["serviceAccountKeyCreate"], 1);

    // An unknown level is refused by the hook.
    let resp = e
        .http
        .post(format!("{}/_emulator/tokens", e.emu.base_url()))
        .json(&json!({"level": "root"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn writes_are_limited_to_20_a_minute() {
    let e = Emu::start(Config::default()).await;
    let m = "mutation($n: String!) { groupCreate(name: $n) { ok } }";
    for i in 0..20 {
        let (status, body) = e.post(Some(&e.token()), m, json!({"n": format!("g{i}")})).await;
        assert_eq!(status, 200, "write {i}: {body}");
    }
    let resp = e
        .http
        .post(e.emu.api_url())
        .header("X-API-KEY", e.token())
        .json(&json!({"query": m, "variables": {"n": "g20"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"errors": [{"message": "429 Too Many Requests"}]}));

    // The 429 was not processed.
    let stats = e.stats().await;
    assert_eq!(stats["applied"]["groupCreate"], 20);
    assert_eq!(stats["rateLimited"], 1);
    assert_eq!(stats["writes"], 20);
    let d = e.data("{ groups(filter: {name: {eq: \"g20\"}}) { totalCount } }", json!({})).await;
    assert_eq!(d["groups"]["totalCount"], 0);

    // Reads have their own budget; limits are per token.
    assert_eq!(e.post(Some(&e.token()), "{ groups { totalCount } }", json!({})).await.0, 200);
    let other = e.new_token("write").await;
    assert_eq!(e.post(Some(&other), m, json!({"n": "other"})).await.0, 200);

    // The hook changes the limits; 0 = unlimited.
    let v = e.hook(reqwest::Method::POST, "rate-limits", json!({"writesPerMinute": 0})).await;
    assert_eq!(v, json!({"readsPerMinute": 60, "writesPerMinute": 0}));
    assert_eq!(e.post(Some(&e.token()), m, json!({"n": "free"})).await.0, 200);
}

#[tokio::test]
async fn reads_are_limited_and_retry_after_counts_down() {
    let e = Emu::start(Config { reads_per_minute: 3, ..Config::default() }).await;
    let q = "{ groups { totalCount } }";
    for _ in 0..3 {
        assert_eq!(e.post(Some(&e.token()), q, json!({})).await.0, 200);
    }
    let resp =
        e.http.post(e.emu.api_url()).header("X-API-KEY", e.token()).json(&json!({"query": q})).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((50..=60).contains(&retry), "{retry}");
    // Writes are still allowed.
    assert_eq!(e.post(Some(&e.token()), "mutation { groupCreate(name: \"w\") { ok } }", json!({})).await.0, 200);
}
