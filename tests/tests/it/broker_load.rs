//! Scale: 50 jobs at once through one broker against the emulator's write limit. The broker's
//! one pacer (tgctl's own, in memory) keeps every write under the limit: no 429 reaches the
//! API's counters, every job gets a key, every lease ends with its key revoked and deleted.
//!
//! The emulator has no time scale (its window is 60 s of real time, docs/emulator.md), so the
//! limit is raised instead, to 100 writes a minute on both sides: 50 mints, then 100 revokes
//! and deletes, of which the last 50 must wait for the window (about a minute).

use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::broker_world::*;
use crate::emulator::Emulator;

const JOBS: usize = 50;
const WRITES_PER_MINUTE: u32 = 100;

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_jobs_get_keys_with_no_429_and_every_lease_is_revoked() {
    let limit = WRITES_PER_MINUTE.to_string();
    let emu = Emulator::start(&["--writes-per-minute", &limit]);
    let run = emu.run(&["service-account", "create", "ci", "-q", "-o", "id"]).await;
    let sa = run.success().stdout().trim().to_owned();
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(&sa))
        // The test's own `service-account create` was one write of the same token in this
        // minute: the broker's budget is the rest (docs/broker.md: give the broker its own token).
        .replace("[api]\n", &format!("[api]\nwrites_per_minute = {}\n", WRITES_PER_MINUTE - 1));
    let broker = BrokerProc::start(dir.path(), &cfg, &[("TGCTL_BROKER_API_TOKEN", &emu.var("TWINGATE_API_TOKEN"))]);
    let before = emu.stats().await;

    let tokens: Vec<String> = (0..JOBS).map(|_| issuer.token("acme/app", "refs/heads/main")).collect();
    let url = broker.url.clone();
    let jobs = tokens.into_iter().map(|token| {
        let url = url.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let resp = http.post(format!("{url}/v1/keys")).bearer_auth(&token).send().await.unwrap();
            let status = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(status, 200, "{body}");
            let lease = body["lease_id"].as_str().unwrap().to_owned();
            // The job runs, then releases its lease.
            let resp = http.delete(format!("{url}/v1/keys/{lease}")).bearer_auth(&token).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 202);
            lease
        })
    });
    let mut leases = Vec::new();
    for job in jobs {
        leases.push(job.await.unwrap());
    }
    assert_eq!(leases.len(), JOBS);
    assert_eq!(emu.applied("serviceAccountKeyCreate").await, JOBS as u64);

    // The reaper revokes and deletes all of them, paced: the last ones wait for the window.
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    while emu.applied("serviceAccountKeyDelete").await < JOBS as u64 {
        assert!(std::time::Instant::now() < deadline, "not every lease ended: {}", emu.stats().await);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(emu.applied("serviceAccountKeyRevoke").await, JOBS as u64, "each key revoked once");
    let after = emu.stats().await;
    assert_eq!(after["rateLimited"], before["rateLimited"], "a write met the API's limit: {after}");
    let keys = emu.run(&["service-key", "list", "--service-account", &sa, "-o", "json"]).await;
    assert_eq!(keys.success().json(), serde_json::json!([]));
    let (_, metrics) = broker.get("/metrics").await;
    assert!(metrics.contains(&format!("tgctl_broker_leases{{state=\"ended\"}} {JOBS}")), "{metrics}");
}

/// The bench (bench/broker_jobs.sh runs it): JOBS jobs at once at the real limit (20 writes a
/// minute on the emulator, the broker's default pacing), each minting and releasing; prints the
/// jobs a minute sustained until every key is revoked and deleted, and the 429s (must be 0).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark of minutes: bench/broker_jobs.sh"]
async fn bench_sustained_jobs_per_minute() {
    let jobs: usize = crate::common::host_env("BROKER_BENCH_JOBS").and_then(|v| v.parse().ok()).unwrap_or(20);
    let emu = Emulator::start(&["--writes-per-minute", "20"]);
    let run = emu.run(&["service-account", "create", "ci", "-q", "-o", "id"]).await;
    let sa = run.success().stdout().trim().to_owned();
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    // The setup's one write above shares the token's minute: the broker paces 19 until it passes.
    let cfg = config(&issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(&sa))
        .replace("[api]\n", "[api]\nwrites_per_minute = 19\n");
    let broker = BrokerProc::start(dir.path(), &cfg, &[("TGCTL_BROKER_API_TOKEN", &emu.var("TWINGATE_API_TOKEN"))]);
    let t0 = std::time::Instant::now();
    let url = broker.url.clone();
    let handles: Vec<_> = (0..jobs)
        .map(|_| {
            let (url, token) = (url.clone(), issuer.token("acme/app", "refs/heads/main"));
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let body: serde_json::Value =
                    http.post(format!("{url}/v1/keys")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
                let lease = body["lease_id"].as_str().expect("a lease").to_owned();
                let started = t0.elapsed();
                http.delete(format!("{url}/v1/keys/{lease}")).bearer_auth(&token).send().await.unwrap();
                started
            })
        })
        .collect();
    let mut starts = Vec::new();
    for h in handles {
        starts.push(h.await.unwrap());
    }
    while emu.applied("serviceAccountKeyDelete").await < jobs as u64 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let all = t0.elapsed();
    starts.sort();
    let stats = emu.stats().await;
    let per_minute = jobs as f64 / all.as_secs_f64() * 60.0;
    #[allow(clippy::print_stdout, reason = "the bench's report")]
    {
        println!("broker bench: {jobs} jobs at 20 writes/min");
        println!(
            "  last job got its key after {:.1}s (median {:.1}s)",
            starts[jobs - 1].as_secs_f64(),
            starts[jobs / 2].as_secs_f64()
        );
        println!("  every key revoked and deleted after {:.1}s", all.as_secs_f64());
        println!("  sustained: {per_minute:.2} jobs/minute (ceiling 20/3 = 6.67)");
        println!("  429s from the API: {}", stats["rateLimited"]);
    }
    assert_eq!(stats["rateLimited"], 0);
}
