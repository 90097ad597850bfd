//! The transport's error mapping, retries and pacing, through the real binary.

use std::time::Duration;

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::common::*;

fn accounts_page() -> serde_json::Value {
    json!({"serviceAccounts": {
        "pageInfo": {"endCursor": null, "hasNextPage": false},
        "totalCount": 1,
        "edges": [{"node": {
            "id": gid("ServiceAccount", "2dd91f07-a726-4ee5-9e08-710fc4da8344"), "name": "ci",
            "createdAt": T0, "updatedAt": T0,
            "resources": {"totalCount": 2},
            "keys": {"totalCount": 1, "edges": [{"node": {"status": "ACTIVE"}}]}
        }}]
    }})
}

fn ok_list() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": accounts_page() }))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_retries_5xx_then_succeeds() {
    let w = World::new().await;
    // The failing mock has priority and is used up after two answers.
    wiremock::Mock::given(wiremock::matchers::body_partial_json(json!({"operationName": "ServiceAccountList"})))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&w.server)
        .await;
    w.expect("ServiceAccountList", ok_list(), 1).await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()[0]["name"], "ci");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_retried_after_retry_after_and_without_it() {
    for header in [Some("0"), None] {
        let w = World::new().await;
        let mut limited =
            ResponseTemplate::new(429).set_body_json(json!({"errors": [{"message": "429 Too Many Requests"}]}));
        if let Some(h) = header {
            limited = limited.insert_header("Retry-After", h);
        }
        wiremock::Mock::given(wiremock::matchers::body_partial_json(json!({"operationName": "ServiceAccountList"})))
            .respond_with(limited)
            .up_to_n_times(1)
            .expect(1)
            .with_priority(1)
            .mount(&w.server)
            .await;
        w.expect("ServiceAccountList", ok_list(), 1).await;
        let r = w.run(&["service-account", "list", "-o", "id"]).await;
        r.success().no_secrets();
        assert_eq!(r.stdout().lines().count(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_in_seconds_is_honoured() {
    let w = World::new().await.env("TGCTL_BACKOFF_SCALE", "1");
    wiremock::Mock::given(wiremock::matchers::body_partial_json(json!({"operationName": "ServiceAccountList"})))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&w.server)
        .await;
    w.on_response("ServiceAccountList", ok_list()).await;
    let started = std::time::Instant::now();
    w.run(&["service-account", "list"]).await.success().stderr_has("retry after 1s");
    assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After was not waited for");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_beyond_the_budget_fails_with_exit_6() {
    let w = World::new().await.env("TGCTL_RETRY_BUDGET", "5").env("TGCTL_BACKOFF_SCALE", "1");
    w.on_response("ServiceAccountList", ResponseTemplate::new(429).insert_header("Retry-After", "60")).await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    r.failure(6).no_secrets();
    assert_eq!(r.json_error()["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_5xx_on_a_read_gives_up_with_exit_6() {
    let w = World::new().await.env("TGCTL_RETRY_BUDGET", "1");
    w.on_response("ServiceAccountList", ResponseTemplate::new(500)).await;
    let r = w.run(&["service-account", "list"]).await;
    r.failure(6).stderr_has("HTTP 500").stderr_has("retry budget");
    assert!(w.requests("ServiceAccountList").await.len() > 1, "a read should have been retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mutation_that_times_out_after_sending_is_not_resent() {
    let w = World::new().await.env("TGCTL_HTTP_TIMEOUT", "0.5");
    w.expect(
        "ServiceAccountCreate",
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)).set_body_json(json!({"data": {}})),
        1,
    )
    .await;
    let r = w.run(&["service-account", "create", "ci", "-o", "json"]).await;
    r.failure(6).no_secrets();
    let e = r.json_error();
    assert_eq!(e["code"], "outcome_unknown");
    assert!(e["message"].as_str().unwrap().contains("timed out"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mutation_answered_with_5xx_is_not_resent() {
    let w = World::new().await;
    w.expect("ServiceAccountCreate", ResponseTemplate::new(502), 1).await;
    let r = w.run(&["service-account", "create", "ci"]).await;
    r.failure(6).stderr_has("not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mutation_answered_429_is_retried_because_it_was_not_processed() {
    let w = World::new().await;
    wiremock::Mock::given(wiremock::matchers::body_partial_json(json!({"operationName": "ServiceAccountCreate"})))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&w.server)
        .await;
    let created = json!({"serviceAccountCreate": {"ok": true, "error": null, "entity": {
        "id": gid("ServiceAccount", "x"), "name": "ci", "createdAt": T0, "updatedAt": T0,
        "resources": {"totalCount": 0, "edges": []}}}});
    w.expect("ServiceAccountCreate", ResponseTemplate::new(200).set_body_json(json!({"data": created})), 1).await;
    w.run(&["service-account", "create", "ci", "-o", "id"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_api_is_exit_6_with_a_hint() {
    let w = World::new().await.env("TGCTL_API_URL", "http://127.0.0.1:9/api/graphql/").env("TGCTL_RETRY_BUDGET", "1");
    let r = w.run(&["service-account", "list"]).await;
    r.failure(6).stderr_has("cannot connect").stderr_has("hint:");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_html_and_missing_data_are_clear_errors() {
    let cases = [
        (ResponseTemplate::new(200).set_body_string("{\"data\": {\"serviceAcc"), "not valid JSON"),
        (ResponseTemplate::new(200).set_body_raw("<html><body>Sign in</body></html>", "text/html"), "HTML page"),
        (ResponseTemplate::new(200).set_body_json(json!({"data": null})), "no data"),
        (
            ResponseTemplate::new(200).set_body_json(json!({"data": {"serviceAccounts": {"oops": 1}}})),
            "unexpected shape",
        ),
    ];
    for (response, needle) in cases {
        let w = World::new().await.env("TGCTL_RETRY_BUDGET", "0.2");
        w.on_response("ServiceAccountList", response).await;
        let r = w.run(&["service-account", "list"]).await;
        assert_ne!(r.code(), 0);
        assert!(r.code() == 6 || r.code() == 1, "exit {}", r.code());
        r.stderr_has(needle).no_secrets();
        assert_eq!(r.stderr().lines().filter(|l| l.starts_with("error:")).count(), 1, "{}", r.stderr());
        assert!(!r.stderr().contains("panicked"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_errors_keep_every_message_and_exit_5() {
    let w = World::new().await;
    w.on_response(
        "ServiceAccountList",
        ResponseTemplate::new(200).set_body_json(
            json!({"data": null, "errors": [{"message": "first problem"}, {"message": "second problem"}]}),
        ),
    )
    .await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    r.failure(5);
    let e = r.json_error();
    assert_eq!(e["code"], "graphql_error");
    assert_eq!(e["details"], json!(["first problem", "second problem"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn http_401_is_exit_3_and_never_echoes_the_token() {
    let w = World::new().await;
    w.on_response(
        "ServiceAccountList",
        ResponseTemplate::new(401).set_body_json(json!({"errors": [{"message": "Invalid API key"}]})),
    )
    .await;
    let r = w.run(&["service-account", "list", "-v"]).await;
    r.failure(3).stderr_has("rejected the token").stderr_has("tgctl auth login").no_secrets();
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_errors_are_exit_3() {
    let w = World::new().await;
    w.on_response(
        "ServiceAccountCreate",
        ResponseTemplate::new(200).set_body_json(json!({"data": null, "errors": [{"message": "Permission denied: serviceAccountCreate needs a write API token", "extensions": {"code": "PERMISSION_DENIED"}}]})),
    )
    .await;
    w.run(&["service-account", "create", "ci"]).await.failure(3).stderr_has("Permission denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_output_logs_requests_but_not_the_token() {
    let w = World::new().await;
    w.on("ServiceAccountList", accounts_page()).await;
    let r = w.run(&["service-account", "list", "-v"]).await;
    r.success().stderr_has("debug: POST").stderr_has("ServiceAccountList").no_secrets();
    // The token was sent in the header, as the API wants.
    let received = w.server.received_requests().await.unwrap();
    assert_eq!(received[0].headers.get("x-api-key").unwrap(), CANARY_TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pacer_spaces_writes_across_processes() {
    // 2 writes a minute: the third create (in a third process) must wait ~61s, so with a short
    // retry budget we can't test the wait itself; instead check the shared log makes a second
    // process see the first one's writes: with limit 1, the second run pauses and says so.
    let w = World::new().await.env("TGCTL_WRITES_PER_MINUTE", "1");
    let created = json!({"serviceAccountCreate": {"ok": true, "error": null, "entity": {
        "id": gid("ServiceAccount", "x"), "name": "ci", "createdAt": T0, "updatedAt": T0,
        "resources": {"totalCount": 0, "edges": []}}}});
    w.on("ServiceAccountCreate", created).await;
    w.run(&["service-account", "create", "ci"]).await.success();
    let mut c = w.cmd();
    c.args(["service-account", "create", "ci"]);
    // Read stderr until the pacing notice appears (or the process ends), then stop the process:
    // no fixed wait.
    let handle = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut child = c.stderr(std::process::Stdio::piped()).stdout(std::process::Stdio::null()).spawn().unwrap();
        let mut seen = String::new();
        for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap_or_default();
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("pacing: waiting") {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        seen
    });
    let stderr = handle.await.unwrap();
    assert!(stderr.contains("pacing: waiting"), "second process did not pace: {stderr}");
    assert_eq!(w.requests("ServiceAccountCreate").await.len(), 1, "the paced write must not have been sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_page_is_not_retried_and_reads_stop_after_ten_attempts() {
    let w = World::new().await;
    w.expect("ServiceAccountList", ResponseTemplate::new(404).set_body_string("Not Found"), 1).await;
    w.run(&["service-account", "list"]).await.failure(1).stderr_has("HTTP 404");

    let w = World::new().await;
    w.expect("ServiceAccountList", ResponseTemplate::new(503), 10).await;
    w.run(&["service-account", "list"]).await.failure(6).stderr_has("gave up after 10 attempt(s)");
}
