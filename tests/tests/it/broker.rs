//! tgctl-broker through the real binary: token verification against a local OIDC issuer,
//! policy, minting and releasing against the real emulator, audit, and a crash mid-mint.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::broker_world::*;
use crate::emulator::Emulator;

/// A service account on the emulator, for the rule.
async fn service_account(emu: &Emulator, name: &str) -> String {
    let run = emu.run(&["service-account", "create", name, "-q", "-o", "id"]).await;
    run.success();
    run.stdout().trim().to_owned()
}

fn broker_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![("TGCTL_BROKER_API_TOKEN".into(), emu.var("TWINGATE_API_TOKEN"))]
}

fn start(dir: &std::path::Path, issuer: &Issuer, emu: &Emulator, sa: &str) -> BrokerProc {
    let env = broker_env(emu);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    BrokerProc::start(dir, &config(issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(sa)), &env)
}

/// The emulator's keys of a service account: (name, status).
async fn keys(emu: &Emulator, sa: &str) -> Vec<(String, String)> {
    let run = emu.run(&["service-key", "list", "--service-account", sa, "-o", "json"]).await;
    run.success();
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap().to_owned(), k["status"].as_str().unwrap().to_owned()))
        .collect()
}

async fn wait_until<F: AsyncFn() -> bool>(what: &str, f: F) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_without_policy_serves_healthz_and_refuses_every_key() {
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProc::start(dir.path(), &config(&issuer, None, None), &[]);
    let (status, body) = broker.get("/healthz").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
    let (status, metrics) = broker.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("tgctl_broker_key_requests_total{outcome=\"no_policy\"} 1"), "{metrics}");
    assert!(broker.log().contains("no policy"), "{}", broker.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_refuses_bad_tokens_with_one_answer_and_a_policy_miss_with_403() {
    let emu = Emulator::start(&[]);
    let sa = service_account(&emu, "broker-ci").await;
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let stranger = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), &issuer, &emu, &sa);
    let a = rsa_key("issuer-a");
    let good = || issuer.claims("acme/app", "refs/heads/main");
    let with = |patch: Value| {
        let mut c = good();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        Issuer::sign(&c, &a, Algorithm::RS256, "key-a")
    };
    let t = now();
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": "key-a"})), b64(&good()));
    let hs256 = Issuer::sign(&good(), &EncodingKey::from_secret(b"key-a").unwrap(), Algorithm::HS256, "key-a");
    let mut stranger_claims = good();
    stranger_claims["iss"] = json!(stranger.url());
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("not a JWT", Some("not-a-token".into())),
        ("forged", Some(Issuer::sign(&good(), &rsa_key("forger"), Algorithm::RS256, "key-a"))),
        ("expired", Some(with(json!({"exp": t - 600, "iat": t - 900, "nbf": t - 900})))),
        ("not yet valid", Some(with(json!({"nbf": t + 600})))),
        ("issued in the future", Some(with(json!({"iat": t + 600})))),
        ("wrong audience", Some(with(json!({"aud": "someone-else"})))),
        ("wrong issuer", Some(Issuer::sign(&stranger_claims, &a, Algorithm::RS256, "key-a"))),
        ("unknown kid", Some(Issuer::sign(&good(), &rsa_key("issuer-b"), Algorithm::RS256, "key-b"))),
        ("alg none", Some(none)),
        ("HS256", Some(hs256)),
    ];
    let mut bodies = Vec::new();
    for (what, token) in &cases {
        let (status, body) = broker.post_key(token.as_deref()).await;
        assert_eq!(status, 401, "{what}: {body}");
        bodies.push(body);
    }
    // Replayed: the same token twice; the first is a good one and mints.
    let token = issuer.token("acme/app", "refs/heads/main");
    let (status, body) = broker.post_key(Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = broker.post_key(Some(&token)).await;
    assert_eq!(status, 401, "replayed: {body}");
    bodies.push(body);
    // One answer for every refusal: nothing tells the caller which check failed.
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:#?}");
    assert_eq!(bodies[0]["error"], "unauthorized");
    let text = bodies[0].to_string();
    for leak in ["app-main", "acme", "kid", "aud", "expired", "issuer", "policy"] {
        assert!(!text.contains(leak), "the 401 body tells {leak:?}: {text}");
    }
    // A policy miss: a good token whose claims no rule allows.
    for (repo, r) in [("acme/other", "refs/heads/main"), ("acme/app", "refs/heads/dev")] {
        let (status, body) = broker.post_key(Some(&issuer.token(repo, r))).await;
        assert_eq!(status, 403, "{repo}@{r}: {body}");
        assert_eq!(body["error"], "forbidden");
    }
    // The reasons are in the log and the metrics, for the operator.
    let (_, metrics) = broker.get("/metrics").await;
    for reason in ["bad signature", "expired", "wrong audience", "unknown issuer", "unknown kid", "replayed"] {
        assert!(metrics.contains(&format!("reason=\"{reason}\"")), "{reason}: {metrics}");
    }
    assert!(!broker.log().contains(&token), "the log shows a token");
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_follows_key_rotation_with_one_refetch() {
    let emu = Emulator::start(&[]);
    let sa = service_account(&emu, "broker-ci").await;
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), &issuer, &emu, &sa);
    let (status, body) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 200);
    assert_eq!(issuer.jwks_fetches().await, 1, "keys are cached");
    // The issuer rotates to an EC key: the unknown kid makes the broker fetch the set again.
    issuer.publish(vec![jwk(&ec_key(), Algorithm::ES256, "key-ec")]).await;
    let token = Issuer::sign(&issuer.claims("acme/app", "refs/tags/v1.2.0"), &ec_key(), Algorithm::ES256, "key-ec");
    let (status, body) = broker.post_key(Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issuer.jwks_fetches().await, 1, "after reset: one fetch of the new set");
    // The old key is gone from the set: its tokens are refused now.
    let (status, _) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_mints_releases_and_audits_against_the_emulator() {
    let emu = Emulator::start(&[]);
    let sa = service_account(&emu, "broker-ci").await;
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), &issuer, &emu, &sa);
    let (status, body) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 200, "{body}");
    let lease = body["lease_id"].as_str().unwrap().to_owned();
    let doc: Value = serde_json::from_str(body["service_key"].as_str().unwrap()).expect("a service key document");
    let sa_pk = {
        use base64::Engine;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&sa).unwrap()).unwrap()
    };
    assert_eq!(format!("ServiceAccount:{}", doc["service_account_id"].as_str().unwrap()), sa_pk);
    let expires = body["expires_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    assert!(expires - now() <= 300 + 15 * 60 && expires - now() > 300, "token life + grace: {body}");
    let ks = keys(&emu, &sa).await;
    assert_eq!(ks.len(), 1);
    assert!(ks[0].0.starts_with("tgctl-broker-") && ks[0].1 == "active", "{ks:?}");
    // Another job's identity cannot release it.
    let (status, _) = broker.delete_key(&issuer.token("acme/app", "refs/tags/v9"), &lease).await;
    assert_eq!(status, 404);
    // The same job (a fresh token of the same subject) releases it; the reaper revokes and deletes.
    let (status, body) = broker.delete_key(&issuer.token("acme/app", "refs/heads/main"), &lease).await;
    assert_eq!(status, 202, "{body}");
    wait_until("the key is deleted", async || keys(&emu, &sa).await.is_empty()).await;
    wait_until("the revoke is audited", async || broker.audit_lines().len() == 2).await;
    let events: Vec<String> = broker.audit_lines().iter().map(|l| l["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["mint", "revoke"]);
    let mint = &broker.audit_lines()[0];
    assert_eq!(mint["claims"]["repository"], "acme/app");
    assert_eq!(mint["claims"]["ref"], "refs/heads/main");
    assert_eq!(mint["claims"]["job_url"], "https://github.com/acme/app/actions/runs/4242");
    assert!(!mint.to_string().contains(&doc["private_key"].as_str().unwrap()[..40]), "the audit shows the key");
    let out = std::process::Command::new(crate::common::bin("tgctl-broker"))
        .args(["audit", "--since", "1d", "--config"])
        .arg(dir.path().join("broker.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("TIME"), "{table}");
    for want in ["mint", "revoke", &lease, "acme/app", "refs/heads/main", "actions/runs/4242"] {
        assert!(table.contains(want), "{want}: {table}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_killed_mid_mint_leaves_no_active_key_unrecorded() {
    let emu = Emulator::start(&[]);
    let sa = service_account(&emu, "broker-ci").await;
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), &issuer, &emu, &sa);
    // The API creates the key, then takes 60 s to answer: the broker is killed in between.
    let fault = json!({"kind": "slow_after_apply", "ms": 60000, "operation": "serviceAccountKeyCreate"});
    emu.hook(reqwest::Method::POST, "faults", Some(fault)).await;
    let url = broker.url.clone();
    let token = issuer.token("acme/app", "refs/heads/main");
    let pending =
        tokio::spawn(
            async move { reqwest::Client::new().post(format!("{url}/v1/keys")).bearer_auth(token).send().await },
        );
    wait_until("the key is created", async || emu.applied("serviceAccountKeyCreate").await == 1).await;
    broker.child.kill().unwrap(); // SIGKILL
    broker.child.wait().unwrap();
    assert!(pending.await.unwrap().is_err(), "the caller got no key");
    let ks = keys(&emu, &sa).await;
    assert_eq!(ks.len(), 1);
    assert_eq!(ks[0].1, "active", "the key exists and nobody holds it");
    emu.hook(reqwest::Method::DELETE, "faults", None).await;
    // Restarted on the same database: the intent record leads the reaper to the key.
    let broker = start(dir.path(), &issuer, &emu, &sa);
    wait_until("the orphan key is gone", async || keys(&emu, &sa).await.is_empty()).await;
    // The audit line follows the delete (the reaper records, then writes it).
    let revokes = || broker.audit_lines().into_iter().filter(|l| l["event"] == "revoke").count();
    wait_until("the revoke is audited", async || revokes() >= 1).await;
    let revoked = broker.audit_lines().into_iter().filter(|l| l["event"] == "revoke").count();
    assert_eq!(revoked, 1, "{:?}", broker.audit_lines());
    let (_, metrics) = broker.get("/metrics").await;
    assert!(metrics.contains("tgctl_broker_reaped_total{why=\"left mid-mint\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_pool_serves_jobs_from_pre_minted_keys_sized_from_demand() {
    let emu = Emulator::start(&[]);
    let sa = service_account(&emu, "broker-ci").await;
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let env = broker_env(&emu);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cfg = config(&issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(&sa))
        .replace("max_concurrent = 60\n", "max_concurrent = 60\npool = 3\n")
        .replace("[api]\n", "[api]\nwrites_per_minute = 0\n");
    let mut broker = BrokerProc::start(dir.path(), &cfg, &env);
    let creates = async || emu.applied("serviceAccountKeyCreate").await;
    // No demand yet: nothing is minted ahead.
    broker.housekeeping_passes(2).await;
    assert_eq!(creates().await, 0);
    // Three jobs mint on demand; the pool then follows the demand (3, its most).
    for _ in 0..3 {
        assert_eq!(broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await.0, 200);
    }
    wait_until("the pool holds 3 keys", async || creates().await == 6).await;
    // The next job gets a pooled key: no mint on its way.
    let (status, body) = broker.post_key(Some(&issuer.token("acme/app", "refs/heads/main"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(creates().await, 6, "served from the pool");
    let doc: Value = serde_json::from_str(body["service_key"].as_str().unwrap()).unwrap();
    assert!(doc["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
    let expires = body["expires_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    assert!(expires > now() + 300, "the job's lease, not the pool's: {body}");
    // The pool is topped up again; it never holds more than its `pool`.
    wait_until("the pool is refilled", async || creates().await == 7).await;
    broker.housekeeping_passes(2).await;
    assert_eq!(creates().await, 7);
    let active = |ks: Vec<(String, String)>| ks.iter().filter(|k| k.1 == "active").count();
    assert_eq!(active(keys(&emu, &sa).await), 7, "4 jobs' keys and 3 pooled");
    // The pooled keys' secrets lived in the killed process only: the restarted broker revokes
    // and deletes them; the jobs' keys stay.
    broker.kill();
    let broker = start(dir.path(), &issuer, &emu, &sa);
    wait_until("the orphaned pool keys are gone", async || keys(&emu, &sa).await.len() == 4).await;
    assert_eq!(active(keys(&emu, &sa).await), 4);
    // (The count follows the delete: the reaper records the end, then counts it.)
    let reaped =
        async || broker.get("/metrics").await.1.contains("tgctl_broker_reaped_total{why=\"pool key unused\"} 3");
    wait_until("the pool keys are counted as reaped", reaped).await;
}
