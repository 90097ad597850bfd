//! Many concurrent mutations leave consistent state.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{Emu, empty_unlimited};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_group_creates() {
    let e = Arc::new(Emu::start(empty_unlimited()).await);
    let mut tasks = Vec::new();
    for t in 0..50 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..20 {
                ids.push(e.create_group(&format!("c-{t}-{i}")).await);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (1000, 1000));

    // Read them all back: exactly 1,000 new groups (plus Everyone), unique IDs and names.
    let q = "query($after: String) { groups(first: 1000, after: $after, filter: {type: {in: [MANUAL]}}) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } } }";
    let d = e.data(q, json!({})).await;
    assert_eq!(d["groups"]["totalCount"], 1000);
    assert_eq!(d["groups"]["pageInfo"]["hasNextPage"], false);
    let edges = d["groups"]["edges"].as_array().unwrap();
    let listed: HashSet<&str> = edges.iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    let names: HashSet<&str> = edges.iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!((listed.len(), names.len()), (1000, 1000));
    assert!(ids.iter().all(|id| listed.contains(id.as_str())));
    assert_eq!(e.stats().await["applied"]["groupCreate"], 1000);
}
