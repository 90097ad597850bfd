//! `tgctl auth ...`: login from stdin, status, logout, and the missing-token paths.

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;

const LOGIN_TOKEN: &str = "tgctl-canary-login-token-55aa";

fn check_ok() -> serde_json::Value {
    json!({"remoteNetworks": {"totalCount": 2}})
}

#[tokio::test(flavor = "multi_thread")]
async fn login_reads_stdin_verifies_and_stores_in_a_0600_file() {
    let w = World::new().await;
    w.on("AuthCheck", check_ok()).await;
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login"]);
    let r = run_blocking(c, Some(format!("{LOGIN_TOKEN}\n"))).await;
    r.success().stderr_has("Logged in").stderr_has("mode 0600");
    assert!(!r.stdout().contains(LOGIN_TOKEN) && !r.stderr().contains(LOGIN_TOKEN));
    let received = w.server.received_requests().await.unwrap();
    assert_eq!(received[0].headers.get("x-api-key").unwrap(), LOGIN_TOKEN);
    let creds = w.config_path("credentials.toml");
    assert_eq!(file_mode(&creds), 0o600);
    let config = std::fs::read_to_string(w.config_path("config.toml")).unwrap();
    assert!(!config.contains(LOGIN_TOKEN), "the token must not be in config.toml");
    assert!(config.contains("api_url"), "{config}");

    // Later commands use the stored token and say where it came from.
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").args(["auth", "status", "-o", "json"]);
    let r = run_blocking(c, None).await;
    let v = r.success().json();
    assert_eq!(v["tokenSource"]["kind"], "file");
    assert_eq!(v["tokenValid"], true);
    assert!(!r.stdout().contains(LOGIN_TOKEN));

    // Logout removes it; then commands fail with exit 3 and a hint.
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "logout"]);
    run_blocking(c, None).await.success().stderr_has("Removed the stored token");
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["service-account", "list"]);
    run_blocking(c, None).await.failure(3).stderr_has("no API token").stderr_has("tgctl auth login");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_a_rejected_token_stores_nothing() {
    let w = World::new().await;
    w.on_response("AuthCheck", ResponseTemplate::new(401)).await;
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login"]);
    let r = run_blocking(c, Some(LOGIN_TOKEN.to_owned())).await;
    r.failure(3).stderr_has("nothing was stored");
    assert!(!r.stderr().contains(LOGIN_TOKEN));
    assert!(!w.config_path("credentials.toml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn login_rejects_empty_input_and_never_takes_the_token_from_argv() {
    let w = World::new().await;
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login"]);
    run_blocking(c, Some("\n".into())).await.failure(2).stderr_has("no token was given");
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login", "--token", "x"]);
    run_blocking(c, None).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_to_a_network_builds_the_tenant_endpoint() {
    let w = World::new().await;
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").args([
        "auth",
        "login",
        "--network",
        "acme",
        "--no-verify",
    ]);
    run_blocking(c, Some(LOGIN_TOKEN.into())).await.success();
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").args(["auth", "status", "--offline", "-o", "json"]);
    let v = run_blocking(c, None).await.success().json();
    assert_eq!(v["endpoint"], "https://acme.twingate.com/api/graphql/");
    assert_eq!(v["network"], "acme");
    assert_eq!(v["tokenValid"], serde_json::Value::Null);
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login", "--network", "not a name"]);
    run_blocking(c, Some(LOGIN_TOKEN.into())).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn env_token_overrides_and_status_says_so() {
    let w = World::new().await;
    w.on("AuthCheck", check_ok()).await;
    let r = w.run(&["auth", "status"]).await;
    r.success().stdout_has("environment variable TWINGATE_API_TOKEN").no_secrets();
}

#[tokio::test(flavor = "multi_thread")]
async fn status_with_a_rejected_token_is_exit_3() {
    let w = World::new().await;
    w.on_response("AuthCheck", ResponseTemplate::new(401)).await;
    w.run(&["auth", "status"]).await.failure(3).stderr_has("was rejected").no_secrets();
}

#[tokio::test(flavor = "multi_thread")]
async fn no_network_and_no_url_is_exit_3_with_a_hint() {
    let w = World::new().await;
    let mut c = w.cmd();
    c.env_remove("TGCTL_API_URL").args(["service-account", "list"]);
    run_blocking(c, None).await.failure(3).stderr_has("no network given").stderr_has("--network");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_config_file_is_a_clear_error() {
    let w = World::new().await;
    std::fs::write(w.config_path("config.toml"), "profile = [").unwrap();
    w.run(&["auth", "status"]).await.failure(2).stderr_has("config.toml is not valid");
}

// ---- issue 18: one precedence (flag > environment > profile), and status says where from ----

#[tokio::test(flavor = "multi_thread")]
async fn flag_beats_environment_beats_profile_and_status_says_where_each_came_from() {
    let w = World::new().await;
    w.on("AuthCheck", check_ok()).await;
    // A profile logged in against a custom endpoint (the mock stands for the emulator).
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env("TWINGATE_NETWORK", "demo").args(["auth", "login"]);
    run_blocking(c, Some(LOGIN_TOKEN.into())).await.success();

    // The profile alone: its api_url, its network, and the stored token, all said.
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").args(["auth", "status", "-o", "json"]);
    let r = run_blocking(c, None).await;
    let v = r.success().json();
    assert_eq!(v["endpoint"], w.api_url(), "the profile's api_url is used: {v}");
    assert_eq!(v["network"], "demo");
    assert_eq!(
        v["sources"]["endpoint"],
        serde_json::json!({"kind": "profile", "profile": "default", "key": "api_url"})
    );
    assert_eq!(v["sources"]["network"], serde_json::json!({"kind": "profile", "profile": "default", "key": "network"}));
    assert_eq!(v["sources"]["profile"], serde_json::json!({"kind": "configFile", "key": "profile"}));
    assert_eq!(v["tokenValid"], true, "the check went to the profile's endpoint");

    // The environment beats the profile, and a notice says what it overrode.
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").env("TWINGATE_NETWORK", "acme").args([
        "auth",
        "status",
        "--offline",
        "-o",
        "json",
    ]);
    let r = run_blocking(c, None).await;
    let v = r.success().json();
    assert_eq!(v["endpoint"], "https://acme.twingate.com/api/graphql/");
    assert_eq!(v["sources"]["endpoint"], serde_json::json!({"kind": "env", "variable": "TWINGATE_NETWORK"}));
    r.stderr_has("TWINGATE_NETWORK overrides the api_url").stderr_has("of profile \"default\"");

    // The flag beats the environment (TGCTL_API_URL is set by the harness).
    let r = w.run(&["auth", "status", "--offline", "--network", "flagged", "-o", "json"]).await;
    let v = r.success().json();
    assert_eq!(v["endpoint"], "https://flagged.twingate.com/api/graphql/");
    assert_eq!(v["sources"]["endpoint"], serde_json::json!({"kind": "flag", "flag": "--network"}));
    assert_eq!(v["sources"]["network"], serde_json::json!({"kind": "flag", "flag": "--network"}));

    // At a terminal the sources are rows of their own.
    let r = w.run_env(&["auth", "status", "--offline"], &[("TGCTL_FORCE_TTY", "1")]).await;
    r.success()
        .stdout_has("Endpoint source  environment variable TGCTL_API_URL")
        .stdout_has("Profile source   config.toml (profile)");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_network_of_a_profile_logged_in_with_network() {
    let w = World::new().await;
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").env_remove("TGCTL_API_URL").args([
        "auth",
        "login",
        "--network",
        "acme",
        "--no-verify",
    ]);
    run_blocking(c, Some(LOGIN_TOKEN.into())).await.success();
    // With an endpoint URL from the environment (the emulator's), the network is still known.
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "status", "--offline", "-o", "json"]);
    let v = run_blocking(c, None).await.success().json();
    assert_eq!(v["network"], "acme", "{v}");
    assert_eq!(v["endpoint"], w.api_url());
    let mut c = w.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "status", "--offline"]);
    run_blocking(c, None).await.success().stdout_has("network\tacme\n");
}
