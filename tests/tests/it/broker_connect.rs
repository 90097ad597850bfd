//! `tgctl connect --broker` end to end: a fake GitHub OIDC token endpoint and a local issuer on
//! loopback, the real broker, the real emulator and the simulated Twingate client. The job's
//! environment holds no API token and no service key.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::broker_world::*;
use crate::common::*;
use crate::emulator::Emulator;

/// A fake machine for the simulated client (as connect.rs's rig): TUN, capabilities, `twingate`.
fn machine(dir: &Path) -> Vec<(String, String)> {
    let root = dir.join("root");
    for d in ["dev/net", "proc/self", "var/log"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(dir.join("sim")).unwrap();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(root.join("dev/net/tun"), "").unwrap();
    std::fs::write(
        root.join("proc/self/status"),
        "Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(bin(SIM_BIN), dir.join("bin/twingate")).unwrap();
    let path = format!("{}:{}", dir.join("bin").display(), host_env("PATH").unwrap_or_default());
    [
        ("PATH", path),
        ("TGCTL_SYSROOT", root.display().to_string()),
        ("TWINGATE_SIM_DIR", dir.join("sim").display().to_string()),
        ("TWINGATE_SIM_LOG", root.join("var/log/twingated.log").display().to_string()),
        ("TWINGATE_SIM_MAX_LIFETIME", "120".into()),
        ("TGCTL_STATE_DIR", dir.join("state").display().to_string()),
        ("TGCTL_CONFIG_DIR", dir.join("config").display().to_string()),
        ("TGCTL_NO_KEYRING", "1".into()),
        ("NO_COLOR", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// tgctl as the job runs it: only the machine's and the CI's variables, no API token, no key.
async fn job(env: &[(String, String)], args: &[&str]) -> Run {
    let mut c = Command::new(bin("tgctl"));
    c.env_clear().args(args).stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    run_blocking(c, None).await
}

async fn keys(emu: &Emulator, sa: &str) -> Vec<Value> {
    let run = emu.run(&["service-key", "list", "--service-account", sa, "-o", "json"]).await;
    run.success();
    run.json().as_array().unwrap().clone()
}

struct Stage {
    emu: Emulator,
    issuer: Issuer,
    sa: String,
    broker: BrokerProc,
    _dir: tempfile::TempDir,
}

async fn stage() -> Stage {
    let emu = Emulator::start(&[]);
    let run = emu.run(&["service-account", "create", "ci", "--resource", "demo-web", "-q", "-o", "id"]).await;
    let sa = run.success().stdout().trim().to_owned();
    let issuer = Issuer::start(vec![jwk(&rsa_key("issuer-a"), Algorithm::RS256, "key-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let token = emu.var("TWINGATE_API_TOKEN");
    let broker = BrokerProc::start(
        dir.path(),
        &config(&issuer, Some((&emu.var("TGCTL_API_URL"), "")), Some(&sa)),
        &[("TGCTL_BROKER_API_TOKEN", &token)],
    );
    Stage { emu, issuer, sa, broker, _dir: dir }
}

async fn wait_no_keys(emu: &Emulator, sa: &str) {
    for _ in 0..100 {
        if keys(emu, sa).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the broker did not revoke and delete the job's key: {:?}", keys(emu, sa).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_a_broker_from_github_actions_and_disconnect_releases_the_lease() {
    let s = stage().await;
    // GitHub's token endpoint: the request token as bearer, the audience as a query parameter.
    let github = MockServer::start().await;
    let id_token = s.issuer.token("acme/app", "refs/heads/main");
    Mock::given(method("GET"))
        .and(path("/idtoken"))
        .and(query_param("audience", AUDIENCE))
        .and(header("authorization", "Bearer gh-request-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 1, "value": id_token})))
        .mount(&github)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = machine(dir.path());
    env.push(("TWINGATE_SIM_API_URL".into(), s.emu.var("TGCTL_EMULATOR_URL")));
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    env.push(("CI".into(), "true".into()));
    env.push(("ACTIONS_ID_TOKEN_REQUEST_URL".into(), format!("{}/idtoken?api-version=2.0", github.uri())));
    env.push(("ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(), "gh-request-token".into()));
    assert!(!env.iter().any(|(k, _)| k.contains("API_TOKEN") || k.contains("SERVICE_KEY")));

    let r = job(
        &env,
        &["connect", "--wait", "--broker", &s.broker.url, "--audience", AUDIENCE, "--timeout", "20", "-o", "json"],
    )
    .await;
    r.success();
    assert!(r.stderr().contains("Leased a service key from the broker"), "{}", r.stderr());
    let ks = keys(&s.emu, &s.sa).await;
    assert_eq!(ks.len(), 1, "{ks:?}");
    assert_eq!(ks[0]["status"], "active");
    let out = r.json();
    let names: Vec<&str> = out["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["demo-web"], "the client logged in with the broker's key");
    // The key's secret was masked before anything else was printed, and never shown.
    let key_doc = std::fs::read_to_string(dir.path().join("sim/service_key.json")).unwrap();
    let private = serde_json::from_str::<Value>(&key_doc).unwrap()["private_key"].as_str().unwrap().to_owned();
    let secret_line = private.lines().find(|l| l.len() > 40).unwrap().to_owned();
    // (GitHub hears of it once, in the `::add-mask::` command that hides it from the log.)
    assert!(r.stderr().lines().any(|l| l.starts_with("::add-mask::")), "{}", r.stderr());
    let shown = r.stderr().lines().filter(|l| !l.starts_with("::add-mask::")).any(|l| l.contains(&secret_line));
    assert!(!shown && !r.stdout().contains(&secret_line), "the key was printed");
    assert!(!r.stderr().contains(&id_token) && !r.stdout().contains(&id_token), "the OIDC token was printed");
    let state = std::fs::read_to_string(dir.path().join("state/connect.json")).unwrap();
    assert!(state.contains("brokerLease") && !state.contains(&secret_line) && !state.contains(&id_token));

    let r = job(&env, &["disconnect"]).await;
    r.success();
    assert!(r.stderr().contains("Releasing the broker's lease"), "{}", r.stderr());
    assert!(!dir.path().join("state/connect.json").exists());
    wait_no_keys(&s.emu, &s.sa).await;
    let events: Vec<String> = s.broker.audit_lines().iter().map(|l| l["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["mint", "revoke"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_a_broker_reads_gitlab_and_circleci_tokens_and_says_what_is_missing() {
    let s = stage().await;
    for var in ["TGCTL_ID_TOKEN", "CIRCLE_OIDC_TOKEN_V2"] {
        let dir = tempfile::tempdir().unwrap();
        let mut env = machine(dir.path());
        env.push(("TWINGATE_SIM_API_URL".into(), s.emu.var("TGCTL_EMULATOR_URL")));
        env.push((var.into(), s.issuer.token("acme/app", "refs/heads/main")));
        job(&env, &["connect", "--wait", "--broker", &s.broker.url, "--timeout", "20"]).await.success();
        assert_eq!(keys(&s.emu, &s.sa).await.len(), 1, "{var}");
        job(&env, &["disconnect"]).await.success();
        wait_no_keys(&s.emu, &s.sa).await;
    }
    // No token anywhere: a usage error before anything starts.
    let dir = tempfile::tempdir().unwrap();
    let env = machine(dir.path());
    let r = job(&env, &["connect", "--wait", "--broker", &s.broker.url]).await;
    r.failure(2).stderr_has("--broker needs the job's OIDC token");
    // A job the policy does not allow: exit 3 (permission), nothing started.
    let dir = tempfile::tempdir().unwrap();
    let mut env = machine(dir.path());
    env.push(("TGCTL_ID_TOKEN".into(), s.issuer.token("acme/other", "refs/heads/main")));
    let r = job(&env, &["connect", "--wait", "--broker", &s.broker.url]).await;
    r.failure(3).stderr_has("the broker's policy does not allow this job");
    assert!(!dir.path().join("state/connect.json").exists());
    assert!(keys(&s.emu, &s.sa).await.is_empty());
}
