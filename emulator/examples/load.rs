//! Load benchmark of the emulator: C concurrent clients, each sending M requests (a mix of reads
//! and writes), over real HTTP on loopback. Reports requests a second and latency percentiles,
//! then checks that the state is consistent (every created group exists exactly once).
//!
//! Run: `cargo run --release -p tgctl-emulator --example load -- [clients] [requests-per-client]`
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const LIST: &str = "query L($first: Int) { groups(first: $first) { totalCount edges { node { id name } } } }";
const CREATE: &str = "mutation C($name: String!) { groupCreate(name: $name) { ok error entity { id } } }";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let clients = args.first().copied().unwrap_or(50);
    let per_client = args.get(1).copied().unwrap_or(200);
    let emu = tgctl_emulator::start(tgctl_emulator::Config {
        seed: tgctl_emulator::Seed::Empty,
        reads_per_minute: 0,
        writes_per_minute: 0,
        ..Default::default()
    })
    .await
    .expect("start the emulator");
    let url = emu.api_url();
    let token = emu.token().to_owned();
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut created = 0usize;
            for i in 0..per_client {
                // One write in four.
                let body = if i % 4 == 0 {
                    json!({"query": CREATE, "variables": {"name": format!("load-{c}-{i}")}})
                } else {
                    json!({"query": LIST, "variables": {"first": 20}})
                };
                let t = Instant::now();
                let resp: Value =
                    http.post(&url).header("X-API-KEY", &token).json(&body).send().await.unwrap().json().await.unwrap();
                latencies.push(t.elapsed());
                if resp.pointer("/data/groupCreate/ok") == Some(&Value::Bool(true)) {
                    created += 1;
                }
            }
            (latencies, created)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut created = 0;
    for t in tasks {
        let (l, c) = t.await.unwrap();
        latencies.extend(l);
        created += c;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;

    // Consistency: every acknowledged create is there, once (paging 1,000 at a time).
    let mut names: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Value = http
            .post(&url)
            .header("X-API-KEY", &token)
            .json(&json!({"query": "query P($after: String) { groups(first: 1000, after: $after) { pageInfo { endCursor hasNextPage } edges { node { name } } } }", "variables": {"after": after}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let edges = page.pointer("/data/groups/edges").and_then(Value::as_array).cloned().unwrap_or_default();
        names.extend(
            edges
                .iter()
                .filter_map(|e| e.pointer("/node/name").and_then(Value::as_str))
                .filter(|n| n.starts_with("load-"))
                .map(str::to_owned),
        );
        if page.pointer("/data/groups/pageInfo/hasNextPage") != Some(&Value::Bool(true)) {
            break;
        }
        after = page.pointer("/data/groups/pageInfo/endCursor").and_then(Value::as_str).map(str::to_owned);
    }
    let before = names.len();
    names.sort();
    names.dedup();
    println!(
        "{}",
        json!({
            "clients": clients,
            "requests": latencies.len(),
            "seconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
            "requestsPerSecond": (latencies.len() as f64 / elapsed.as_secs_f64()).round(),
            "latencyMs": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
            "groupsCreated": created,
            "groupsFound": before,
            "consistent": created == before && before == names.len(),
        })
    );
}
