//! The fault matrix, end to end: the real `tgctl` against the real emulator, whose fault hooks
//! (`POST /_emulator/faults`) break the next request in every way the Admin API can break.
//!
//! For a read (`service-account list`) and a write (`service-account create`), and for GraphQL
//! errors and `ok: false` through `tgctl api`: the outcome (success after a retry, or a named exit
//! code and error code with a one-line message), no panic, how many requests reached the server,
//! and for writes how many times the server applied them (`/_emulator/stats` `applied`): never
//! more than once. With `TGCTL_FAULT_MATRIX_OUT=FILE` the test writes the table it asserted as
//! Markdown (docs/reliability.md holds a copy).

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::host_env;
use crate::emulator::Emulator;

#[derive(Debug, Clone, Copy, PartialEq)]
enum On {
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Exit 0 (after the retries the request count shows).
    Success,
    /// This exit code and this error code.
    Fails(i32, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Applied {
    Exactly(u64),
    /// The server may or may not have got to it (the client gave up first); never twice.
    AtMostOnce,
}

struct Case {
    name: &'static str,
    on: On,
    /// The fault rule (applies once), or none when the command itself provokes the error.
    fault: Option<Value>,
    /// `tgctl api` arguments for the GraphQL-error and `ok: false` cases; else the usual verb.
    api: Option<Vec<String>>,
    outcome: Outcome,
    /// Requests that reached the emulator.
    requests: u64,
    /// For writes: how often the mutation ran.
    applied: Option<Applied>,
    /// Wait this long after the run before reading the stats (slow faults finish late).
    settle_ms: u64,
}

fn fault(kind: &str, on: On, extra: Value) -> Option<Value> {
    let mut rule = json!({"kind": kind, "on": if on == On::Read { "read" } else { "write" }, "count": 1});
    if let (Value::Object(r), Value::Object(e)) = (&mut rule, extra) {
        r.extend(e);
    }
    Some(rule)
}

fn cases(key_id: &str) -> Vec<Case> {
    use Applied::*;
    use On::*;
    use Outcome::*;
    let mut out = Vec::new();
    for on in [Read, Write] {
        let w = on == Write;
        let retried = |name, fault| Case {
            name,
            on,
            fault,
            api: None,
            outcome: Success,
            requests: 2,
            applied: w.then_some(Exactly(1)),
            settle_ms: 0,
        };
        // Refused unprocessed: both retry.
        out.push(retried("429 with Retry-After", fault("status", on, json!({"status": 429, "retryAfter": "1"}))));
        out.push(retried("429 without Retry-After", fault("status", on, json!({"status": 429}))));
        // Server errors and broken connections: reads retry; a write may have been applied, so it
        // is reported (exit 6, outcome_unknown) and never re-sent.
        for (name, status) in [("HTTP 500", 500), ("HTTP 502", 502), ("HTTP 503", 503), ("HTTP 504", 504)] {
            let f = fault("status", on, json!({"status": status}));
            out.push(if w {
                Case {
                    name,
                    on,
                    fault: f,
                    api: None,
                    outcome: Fails(6, "outcome_unknown"),
                    requests: 1,
                    applied: Some(Exactly(0)),
                    settle_ms: 0,
                }
            } else {
                retried(name, f)
            });
        }
        let unknown = |name, fault, applied, settle_ms| Case {
            name,
            on,
            fault,
            api: None,
            outcome: Fails(6, "outcome_unknown"),
            requests: 1,
            applied: Some(applied),
            settle_ms,
        };
        let f = fault("drop", on, json!({}));
        out.push(if w {
            unknown("connection reset (drop)", f, Exactly(0), 0)
        } else {
            retried("connection reset (drop)", f)
        });
        let f = fault("latency", on, json!({"ms": 1500}));
        out.push(if w {
            unknown("slow answer past TGCTL_HTTP_TIMEOUT (latency)", f, AtMostOnce, 1500)
        } else {
            retried("slow answer past TGCTL_HTTP_TIMEOUT (latency)", f)
        });
        let f = fault("slow_after_apply", on, json!({"ms": 1500}));
        out.push(if w {
            unknown("applied, then answered past the timeout (slow_after_apply)", f, Exactly(1), 0)
        } else {
            retried("applied, then answered past the timeout (slow_after_apply)", f)
        });
        let f = fault("truncate", on, json!({}));
        out.push(if w { unknown("truncated body", f, Exactly(1), 0) } else { retried("truncated body", f) });
        let f = fault("non_json", on, json!({}));
        out.push(if w { unknown("non-JSON body", f, Exactly(0), 0) } else { retried("non-JSON body", f) });
        // An HTML page is the wrong endpoint: no retry helps.
        out.push(Case {
            name: "HTML login page",
            on,
            fault: fault("html", on, json!({})),
            api: None,
            outcome: Fails(1, "bad_response"),
            requests: 1,
            applied: w.then_some(Exactly(0)),
            settle_ms: 0,
        });
    }
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    out.push(Case {
        name: "GraphQL error: malformed ID (tgctl api)",
        on: On::Read,
        fault: None,
        api: Some(s(&["api", "query { serviceAccount(id: \"not-an-id!\") { id } }"])),
        outcome: Fails(2, "usage"),
        requests: 1,
        applied: None,
        settle_ms: 0,
    });
    out.push(Case {
        name: "GraphQL error: malformed ID (tgctl api)",
        on: On::Write,
        fault: None,
        api: Some(s(&["api", "mutation { serviceAccountDelete(id: \"not-an-id!\") { ok error } }"])),
        outcome: Fails(2, "usage"),
        requests: 1,
        applied: Some(Applied::AtMostOnce),
        settle_ms: 0,
    });
    out.push(Case {
        name: "ok: false: delete an active key (tgctl api)",
        on: On::Write,
        fault: None,
        api: Some(vec![
            "api".into(),
            "mutation($id: ID!) { serviceAccountKeyDelete(id: $id) { ok error } }".into(),
            "-f".into(),
            format!("id={key_id}"),
        ]),
        outcome: Fails(5, "rejected"),
        requests: 1,
        applied: Some(Applied::Exactly(1)),
        settle_ms: 0,
    });
    out
}

/// The mutation field a case's write runs.
fn field(case: &Case) -> &'static str {
    match &case.api {
        Some(a) if a[1].contains("serviceAccountKeyDelete") => "serviceAccountKeyDelete",
        Some(_) => "serviceAccountDelete",
        None => "serviceAccountCreate",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_for_reads_and_writes() {
    // Limits off: this is about faults (tests/tests/it/load.rs is about limits).
    let emu = Emulator::start(&["--seed", "empty", "--reads-per-minute", "0", "--writes-per-minute", "0"]);
    emu.run(&["service-account", "create", "fm-keys"]).await.success();
    let key_file = emu.state.path().join("k.json");
    let r = emu
        .run(&[
            "service-key",
            "create",
            "--service-account",
            "fm-keys",
            "--key-file",
            key_file.to_str().unwrap(),
            "-o",
            "id",
        ])
        .await;
    let key_id = r.success().stdout().trim().to_owned();

    let env = [("TGCTL_HTTP_TIMEOUT", "0.5"), ("TGCTL_BACKOFF_SCALE", "0"), ("TGCTL_RETRY_BUDGET", "20")];
    let mut rows = Vec::new();
    for (i, case) in cases(&key_id).iter().enumerate() {
        emu.hook(reqwest::Method::DELETE, "faults", None).await;
        if let Some(rule) = &case.fault {
            emu.hook(reqwest::Method::POST, "faults", Some(rule.clone())).await;
        }
        let before = emu.stats().await;
        let name = format!("fm-{i}");
        let args: Vec<String> = match (&case.api, case.on) {
            (Some(a), _) => a.clone(),
            (None, On::Read) => vec!["service-account".into(), "list".into()],
            (None, On::Write) => vec!["service-account".into(), "create".into(), name.clone()],
        };
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        argv.extend(["-o", "json", "-v"]);
        let r = emu.run_env(&argv, &env).await;
        tokio::time::sleep(Duration::from_millis(case.settle_ms)).await;
        let after = emu.stats().await;
        let label = format!("{} ({:?})", case.name, case.on);

        // No panic, whatever happened.
        assert!(!r.stderr().contains("panicked") && r.code() != 101, "{label}: panic\n{}", r.stderr());
        let outcome = match case.outcome {
            Outcome::Success => {
                r.success();
                "success after 1 retry".to_owned()
            }
            Outcome::Fails(exit, code) => {
                r.failure(exit);
                let e = r.json_error();
                assert_eq!(e["code"], code, "{label}: {e}");
                let message = e["message"].as_str().unwrap();
                assert!(!message.contains('\n') && !message.is_empty(), "{label}: {message:?}");
                if case.name.contains("malformed ID") {
                    // Named after what was sent (an anonymous mutation is not called a query).
                    let prefix = if case.on == On::Read { "query: " } else { "mutation: " };
                    assert!(message.starts_with(prefix), "{label}: {message}");
                }
                format!("exit {exit}, `{code}`: {message}")
            }
        };
        let sent = after["requests"].as_u64().unwrap() - before["requests"].as_u64().unwrap();
        assert_eq!(sent, case.requests, "{label}: requests that reached the emulator");
        let applied = match case.applied {
            None => "-".to_owned(),
            Some(expected) => {
                let f = field(case);
                let n = after["applied"][f].as_u64().unwrap_or(0) - before["applied"][f].as_u64().unwrap_or(0);
                match expected {
                    Applied::Exactly(e) => assert_eq!(n, e, "{label}: times {f} was applied"),
                    Applied::AtMostOnce => assert!(n <= 1, "{label}: {f} applied {n} times"),
                }
                // Whatever the case, never twice: and what tgctl says agrees with what happened.
                if case.on == On::Write && case.api.is_none() {
                    let listed = emu.run(&["service-account", "list", "-o", "json"]).await;
                    let count =
                        listed.success().json().as_array().unwrap().iter().filter(|a| a["name"] == name).count();
                    assert_eq!(count as u64, n, "{label}: accounts named {name}");
                }
                match expected {
                    Applied::Exactly(e) => e.to_string(),
                    Applied::AtMostOnce => format!("≤ 1 (this run: {n})"),
                }
            }
        };
        rows.push(format!(
            "| {} | {} | {} | {} | {} |",
            case.name,
            if case.on == On::Read { "read" } else { "write" },
            outcome.replace('|', "\\|"),
            case.requests,
            applied
        ));
    }
    if let Some(path) = host_env("TGCTL_FAULT_MATRIX_OUT") {
        let mut table =
            String::from("| fault | on | outcome | requests sent | times applied |\n| --- | --- | --- | --- | --- |\n");
        for row in &rows {
            table.push_str(row);
            table.push('\n');
        }
        std::fs::write(path, table).unwrap();
    }
}
