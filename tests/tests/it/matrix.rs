//! The failure matrix: every API verb of the foundation against every way the API can fail.
//!
//! For each verb: success; GraphQL errors; HTTP 401; not found (`null`) for reads that fetch one
//! object, `ok:false` for writes; 429 with and without `Retry-After` then success; 5xx then
//! success (reads retry, writes must not be re-sent); a timeout after sending (writes not re-sent);
//! malformed JSON. In every case, with `-v`, no canary secret appears in any output.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::body_partial_json;
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    Write,
}

struct Verb {
    args: Vec<String>,
    /// The operation under test.
    op: &'static str,
    /// Its root field (for null / ok:false answers).
    field: &'static str,
    kind: Kind,
    /// Answers for the operations the verb makes before `op` (lookups, status checks).
    setup: Vec<(&'static str, Value)>,
    success: Value,
    /// Whether a `null` answer means "not found" for this verb.
    nullable: bool,
}

fn sa() -> String {
    gid("ServiceAccount", "2dd91f07-a726-4ee5-9e08-710fc4da8344")
}
fn key() -> String {
    gid("ServiceAccountKey", "6f1d2a3b-0000-4000-8000-000000000001")
}

fn account() -> Value {
    json!({"id": sa(), "name": "ci", "createdAt": T0, "updatedAt": T0,
        "resources": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []},
        "keys": {"totalCount": 0, "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": []}})
}

fn key_node(status: &str) -> Value {
    json!({"id": key(), "name": "nightly", "status": status, "expiresAt": null, "revokedAt": null,
        "createdAt": T0, "updatedAt": T0, "serviceAccount": {"id": sa(), "name": "ci"}})
}

fn verbs(key_file: &str) -> Vec<Verb> {
    let sa_get = ("ServiceAccountGet", json!({"serviceAccount": account()}));
    let key_get = |s: &str| ("ServiceKeyGet", json!({"serviceAccountKey": key_node(s)}));
    let list = json!({"serviceAccounts": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "totalCount": 1,
        "edges": [{"node": {"id": sa(), "name": "ci", "createdAt": T0, "updatedAt": T0, "resources": {"totalCount": 0}, "keys": {"totalCount": 0, "edges": []}}}]}});
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Verb {
            args: s(&["auth", "status"]),
            op: "AuthCheck",
            field: "remoteNetworks",
            kind: Kind::Read,
            setup: vec![],
            success: json!({"remoteNetworks": {"totalCount": 1}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-account", "list"]),
            op: "ServiceAccountList",
            field: "serviceAccounts",
            kind: Kind::Read,
            setup: vec![],
            success: list,
            nullable: false,
        },
        Verb {
            args: s(&["service-account", "get", &sa()]),
            op: "ServiceAccountGet",
            field: "serviceAccount",
            kind: Kind::Read,
            setup: vec![],
            success: json!({"serviceAccount": account()}),
            nullable: true,
        },
        Verb {
            args: s(&["service-account", "create", "ci"]),
            op: "ServiceAccountCreate",
            field: "serviceAccountCreate",
            kind: Kind::Write,
            setup: vec![],
            success: json!({"serviceAccountCreate": {"ok": true, "error": null, "entity": account()}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-account", "update", &sa(), "--name", "ci2"]),
            op: "ServiceAccountUpdate",
            field: "serviceAccountUpdate",
            kind: Kind::Write,
            setup: vec![sa_get.clone()],
            success: json!({"serviceAccountUpdate": {"ok": true, "error": null, "entity": account()}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-account", "delete", &sa(), "--yes"]),
            op: "ServiceAccountDelete",
            field: "serviceAccountDelete",
            kind: Kind::Write,
            setup: vec![sa_get.clone()],
            success: json!({"serviceAccountDelete": {"ok": true, "error": null}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-key", "list", "--service-account", &sa()]),
            op: "ServiceKeyListOfAccount",
            field: "serviceAccount",
            kind: Kind::Read,
            setup: vec![sa_get.clone()],
            success: json!({"serviceAccount": {"id": sa(), "name": "ci", "keys": {"pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": [{"node": key_node("ACTIVE")}]}}}),
            nullable: true,
        },
        Verb {
            args: s(&["service-key", "get", &key()]),
            op: "ServiceKeyGet",
            field: "serviceAccountKey",
            kind: Kind::Read,
            setup: vec![],
            success: json!({"serviceAccountKey": key_node("ACTIVE")}),
            nullable: true,
        },
        Verb {
            args: s(&["service-key", "create", "--service-account", &sa(), "--key-file", key_file, "--force"]),
            op: "ServiceKeyCreate",
            field: "serviceAccountKeyCreate",
            kind: Kind::Write,
            setup: vec![sa_get.clone()],
            success: json!({"serviceAccountKeyCreate": {"ok": true, "error": null, "token": key_token("acme"), "entity": key_node("ACTIVE")}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-key", "rename", &key(), "new-name"]),
            op: "ServiceKeyRename",
            field: "serviceAccountKeyUpdate",
            kind: Kind::Write,
            setup: vec![key_get("ACTIVE")],
            success: json!({"serviceAccountKeyUpdate": {"ok": true, "error": null, "entity": key_node("ACTIVE")}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-key", "revoke", &key(), "--yes"]),
            op: "ServiceKeyRevoke",
            field: "serviceAccountKeyRevoke",
            kind: Kind::Write,
            setup: vec![key_get("ACTIVE")],
            success: json!({"serviceAccountKeyRevoke": {"ok": true, "error": null, "entity": key_node("REVOKED")}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-key", "delete", &key(), "--yes"]),
            op: "ServiceKeyDelete",
            field: "serviceAccountKeyDelete",
            kind: Kind::Write,
            setup: vec![key_get("REVOKED")],
            success: json!({"serviceAccountKeyDelete": {"ok": true, "error": null}}),
            nullable: false,
        },
        Verb {
            args: s(&["service-key", "rotate", &key(), "--key-file", key_file, "--force", "--yes"]),
            op: "ServiceKeyCreate",
            field: "serviceAccountKeyCreate",
            kind: Kind::Write,
            setup: vec![key_get("REVOKED")],
            success: json!({"serviceAccountKeyCreate": {"ok": true, "error": null, "token": key_token("acme"), "entity": key_node("ACTIVE")}}),
            nullable: false,
        },
    ]
}

async fn world(verb: &Verb) -> World {
    let w = World::new().await.env("TGCTL_HTTP_TIMEOUT", "0.5").env("TGCTL_RETRY_BUDGET", "3");
    for (op, data) in &verb.setup {
        w.on(op, data.clone()).await;
    }
    w
}

/// Mounts a response for the verb's op that is used `times` times, ahead of any other.
async fn first(w: &World, verb: &Verb, response: ResponseTemplate, times: u64) {
    Mock::given(body_partial_json(json!({"operationName": verb.op})))
        .respond_with(response)
        .up_to_n_times(times)
        .expect(times)
        .with_priority(1)
        .named(format!("{} (first answers)", verb.op))
        .mount(&w.server)
        .await;
}

async fn then_success(w: &World, verb: &Verb, times: u64) {
    w.expect(verb.op, ResponseTemplate::new(200).set_body_json(json!({"data": verb.success})), times).await;
}

async fn run(w: &World, verb: &Verb) -> Run {
    let mut args: Vec<&str> = verb.args.iter().map(String::as_str).collect();
    args.extend(["-v", "-o", "json"]);
    let r = w.run(&args).await;
    r.no_secrets();
    assert!(!r.stderr().contains("panicked"), "{:?}: {}", verb.args, r.stderr());
    r
}

#[track_caller]
fn check(r: &Run, verb: &Verb, case: &str, code: i32) {
    assert_eq!(r.code(), code, "{case} for `{}`\nstdout: {}\nstderr: {}", verb.args.join(" "), r.stdout(), r.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_against_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.json");
    for verb in verbs(key_file.to_str().unwrap()) {
        // Success.
        let w = world(&verb).await;
        then_success(&w, &verb, 1).await;
        check(&run(&w, &verb).await, &verb, "success", 0);

        // GraphQL errors: exit 5 with every message kept.
        let w = world(&verb).await;
        w.expect(
            verb.op,
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": null, "errors": [{"message": "boom one"}, {"message": "boom two"}]})),
            1,
        )
        .await;
        let r = run(&w, &verb).await;
        check(&r, &verb, "GraphQL errors", 5);
        assert_eq!(r.json_error()["details"], json!(["boom one", "boom two"]));

        // 401: exit 3, never retried.
        let w = world(&verb).await;
        w.expect(verb.op, ResponseTemplate::new(401), 1).await;
        check(&run(&w, &verb).await, &verb, "401", 3);

        // Not found (null) for reads of one object; ok:false for writes.
        if verb.nullable {
            let w = world(&verb).await;
            w.expect(verb.op, ResponseTemplate::new(200).set_body_json(json!({"data": {verb.field: null}})), 1).await;
            check(&run(&w, &verb).await, &verb, "null entity", 4);
        }
        if verb.kind == Kind::Write {
            let w = world(&verb).await;
            w.expect(
                verb.op,
                ResponseTemplate::new(200).set_body_json(
                    json!({"data": {verb.field: {"ok": false, "error": "not allowed", "entity": null}}}),
                ),
                1,
            )
            .await;
            let r = run(&w, &verb).await;
            check(&r, &verb, "ok:false", 5);
            assert!(r.json_error()["message"].as_str().unwrap().contains("not allowed"));
        }

        // 429 with and without Retry-After, then success: for reads and writes alike.
        for retry_after in [Some("0"), None] {
            let w = world(&verb).await;
            let mut limited = ResponseTemplate::new(429);
            if let Some(v) = retry_after {
                limited = limited.insert_header("Retry-After", v);
            }
            first(&w, &verb, limited, 1).await;
            then_success(&w, &verb, 1).await;
            check(&run(&w, &verb).await, &verb, "429 then success", 0);
        }

        // 5xx then success: a read retries; a write is not re-sent.
        let w = world(&verb).await;
        first(&w, &verb, ResponseTemplate::new(503), 1).await;
        match verb.kind {
            Kind::Read => {
                then_success(&w, &verb, 1).await;
                check(&run(&w, &verb).await, &verb, "5xx then success", 0);
            }
            Kind::Write => {
                then_success(&w, &verb, 0).await;
                let r = run(&w, &verb).await;
                check(&r, &verb, "5xx on a write", 6);
                assert_eq!(r.json_error()["code"], "outcome_unknown");
            }
        }

        // A timeout after sending: a read retries; a write is sent exactly once.
        let w = world(&verb).await;
        let slow =
            ResponseTemplate::new(200).set_delay(Duration::from_secs(2)).set_body_json(json!({"data": verb.success}));
        first(&w, &verb, slow, 1).await;
        match verb.kind {
            Kind::Read => {
                then_success(&w, &verb, 1).await;
                check(&run(&w, &verb).await, &verb, "timeout then success", 0);
            }
            Kind::Write => {
                then_success(&w, &verb, 0).await;
                let r = run(&w, &verb).await;
                check(&r, &verb, "timeout on a write", 6);
                assert_eq!(r.json_error()["code"], "outcome_unknown");
            }
        }

        // Malformed JSON: a clear error, no panic (reads retry it until the budget ends).
        let w = world(&verb).await.env("TGCTL_RETRY_BUDGET", "0.3");
        w.on_response(verb.op, ResponseTemplate::new(200).set_body_string("{\"data\": {")).await;
        let r = run(&w, &verb).await;
        // A read: an answer of an unexpected shape (exit 1); a write: its outcome is unknown (6).
        let (code, exit) = match verb.kind {
            Kind::Read => ("bad_response", 1),
            Kind::Write => ("outcome_unknown", 6),
        };
        check(&r, &verb, "malformed JSON", exit);
        assert_eq!(r.json_error()["code"], code, "{}", r.stderr());
    }
}
