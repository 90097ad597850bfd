//! Fault injection through POST /_emulator/faults: each kind, and how rules match.

mod common;

use std::time::{Duration, Instant};

use common::{Emu, unlimited};
use reqwest::Method;
use serde_json::{Value, json};

const READ: &str = "{ groups { totalCount } }";
const WRITE: &str = "mutation($n: String!) { groupCreate(name: $n) { ok } }";

async fn send(e: &Emu, query: &str, vars: Value) -> reqwest::Result<reqwest::Response> {
    e.http
        .post(e.emu.api_url())
        .header("X-API-KEY", e.token())
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
}

async fn group_count(e: &Emu, name: &str) -> i64 {
    let d = e.data("query($n: String!) { groups(filter: {name: {eq: $n}}) { totalCount } }", json!({"n": name})).await;
    d["groups"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn status_fault_replies_without_processing() {
    let e = Emu::start(unlimited()).await;
    e.hook(
        Method::POST,
        "faults",
        json!([{"kind": "status", "status": 503, "retryAfter": "2", "count": 2, "on": "write"}]),
    )
    .await;
    // Reads are not matched.
    assert_eq!(send(&e, READ, json!({})).await.unwrap().status(), 200);
    for _ in 0..2 {
        let resp = send(&e, WRITE, json!({"n": "s"})).await.unwrap();
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "2");
    }
    assert_eq!(group_count(&e, "s").await, 0, "not processed");
    assert_eq!(send(&e, WRITE, json!({"n": "s"})).await.unwrap().status(), 200, "count used up");
    assert_eq!(group_count(&e, "s").await, 1);
    // Without retryAfter there is no header.
    e.hook(Method::POST, "faults", json!({"kind": "status", "status": 500})).await;
    let resp = send(&e, READ, json!({})).await.unwrap();
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn latency_fault_delays_then_processes() {
    let e = Emu::start(unlimited()).await;
    e.hook(Method::POST, "faults", json!([{"kind": "latency", "ms": 400, "on": "any"}])).await;
    let t = Instant::now();
    let resp = send(&e, WRITE, json!({"n": "slow"})).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert_eq!(resp.status(), 200);
    assert_eq!(group_count(&e, "slow").await, 1);
}

#[tokio::test]
async fn drop_fault_closes_the_connection() {
    let e = Emu::start(unlimited()).await;
    e.hook(Method::POST, "faults", json!([{"kind": "drop"}])).await;
    let err = send(&e, READ, json!({})).await.expect_err("no response");
    assert!(!err.is_status(), "{err}");
    // The next request is fine.
    assert_eq!(send(&e, READ, json!({})).await.unwrap().status(), 200);
}

#[tokio::test]
async fn truncate_fault_processes_then_cuts_the_body() {
    let e = Emu::start(unlimited()).await;
    e.hook(Method::POST, "faults", json!([{"kind": "truncate", "on": "write"}])).await;
    let resp = send(&e, WRITE, json!({"n": "cut"})).await.unwrap();
    assert_eq!(resp.status(), 200);
    let len: usize = resp.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(len > 10);
    match resp.bytes().await {
        Err(_) => {}
        Ok(body) => {
            assert!(body.len() < len);
            assert!(serde_json::from_slice::<Value>(&body).is_err());
        }
    }
    assert_eq!(group_count(&e, "cut").await, 1, "processed");
}

#[tokio::test]
async fn non_json_and_html_faults() {
    let e = Emu::start(unlimited()).await;
    e.hook(Method::POST, "faults", json!([{"kind": "non_json"}, {"kind": "html"}])).await;
    let resp = send(&e, READ, json!({})).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert!(serde_json::from_str::<Value>(&resp.text().await.unwrap()).is_err());
    let resp = send(&e, READ, json!({})).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(resp.text().await.unwrap().contains("<html"));
    assert_eq!(send(&e, READ, json!({})).await.unwrap().status(), 200);
}

#[tokio::test]
async fn slow_after_apply_applies_the_mutation_before_the_client_gives_up() {
    let e = Emu::start(unlimited()).await;
    e.hook(
        Method::POST,
        "faults",
        json!([{"kind": "slow_after_apply", "ms": 1500, "on": "write", "operation": "groupCreate"}]),
    )
    .await;
    // Another operation is not matched.
    let resp = send(&e, "mutation { userCreate(email: \"x@example.com\") { ok } }", json!({})).await.unwrap();
    assert_eq!(resp.status(), 200);
    let err = e
        .http
        .post(e.emu.api_url())
        .header("X-API-KEY", e.token())
        .timeout(Duration::from_millis(300))
        .json(&json!({"query": WRITE, "variables": {"n": "applied"}}))
        .send()
        .await
        .expect_err("client timeout");
    assert!(err.is_timeout(), "{err}");
    // Applied although the client gave up (poll: a loaded machine may still be processing).
    let deadline = Instant::now() + Duration::from_secs(10);
    while group_count(&e, "applied").await == 0 {
        assert!(Instant::now() < deadline, "the mutation was never applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(group_count(&e, "applied").await, 1);
    assert_eq!(e.stats().await["applied"]["groupCreate"], 1);
}

#[tokio::test]
async fn rules_can_be_listed_and_cleared() {
    let e = Emu::start(unlimited()).await;
    let v = e.hook(Method::POST, "faults", json!({"rules": [{"kind": "status", "status": 502, "count": 0}]})).await;
    assert_eq!(v["active"], 1);
    for _ in 0..3 {
        assert_eq!(send(&e, READ, json!({})).await.unwrap().status(), 502, "count 0 = until cleared");
    }
    let v = e.hook(Method::DELETE, "faults", json!(null)).await;
    assert_eq!(v["active"], 0);
    assert_eq!(send(&e, READ, json!({})).await.unwrap().status(), 200);
    // Invalid rules are refused.
    let resp = e
        .http
        .post(format!("{}/_emulator/faults", e.emu.base_url()))
        .json(&json!([{"kind": "explode"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}
