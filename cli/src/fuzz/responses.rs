//! Admin API answers into domain types, through the real transport.
//!
//! A local HTTP server answers every request with the generated response; each case calls the
//! `api::<noun>` function that sends the operation the response was shaped after, so the whole
//! path is exercised: HTTP status and headers (`Retry-After`), body classification, GraphQL
//! errors, `{ok: false}`, the generated `ResponseData`, and each noun's mapping (its `TryFrom`) into
//! its domain type. Responses are real answers of the emulator (`responses.json`, captured with
//! `tgctl` against `tgctl-emulator --seed demo`) with a few values removed, nulled or replaced,
//! or GraphQL errors, or any JSON, or any bytes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CANARY, any_json, check_error, config, edits, interesting_string, mutate};
use crate::api::pacer::Limits;
use crate::api::transport::LogLevel;
use crate::api::{Client, ClientOptions, Pacer, RetryPolicy};
use crate::error::Result;

fn fixtures() -> &'static serde_json::Map<String, Value> {
    static F: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    F.get_or_init(|| serde_json::from_str(include_str!("responses.json")).unwrap())
}

#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    retry_after: Option<String>,
    body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 server that answers every request with the current [`Answer`].
async fn serve(listener: tokio::net::TcpListener, answer: Arc<Mutex<Answer>>) {
    while let Ok((sock, _)) = listener.accept().await {
        // Without this, Nagle and delayed ACKs stall every answer by 40 ms.
        let _ = sock.set_nodelay(true);
        tokio::spawn(connection(sock, answer.clone()));
    }
}

async fn connection(mut sock: tokio::net::TcpStream, answer: Arc<Mutex<Answer>>) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if sock.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + len {
            if sock.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        buf.drain(..end + len);
        let a = answer.lock().unwrap().clone();
        let mut out = format!(
            "HTTP/1.1 {} Fuzz\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            a.status,
            a.content_type,
            a.body.len()
        );
        if let Some(r) = &a.retry_after {
            out.push_str(&format!("retry-after: {r}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&a.body);
        sock.write_all(&bytes).await?;
    }
}

fn client(addr: std::net::SocketAddr) -> Client {
    Client::new(ClientOptions {
        endpoint: format!("http://{addr}/api/graphql/").parse().unwrap(),
        token: SecretString::from(format!("token-{CANARY}")),
        pacer: Pacer::new(Limits { reads_per_minute: 0, writes_per_minute: 0 }, None),
        retry: RetryPolicy {
            attempt_timeout: Duration::from_secs(5),
            budget: Duration::from_secs(10),
            max_attempts: 3,
            scale: 0.0,
            ..RetryPolicy::default()
        },
        log: Arc::new(|_: LogLevel, line: &str| assert!(!line.contains(CANARY), "a log line quotes a secret: {line}")),
    })
    .unwrap()
}

const SA: &str = "U2VydmljZUFjY291bnQ6ZTYwMzk1ZjktM2U5Mi00NDM0LWIxY2MtNGM3NGFiNDBhZGE3";
const KEY: &str = "U2VydmljZUFjY291bnRLZXk6N2FmODMyNzItZGI1NC00YTMzLTg0ZjItOTExODQ4MTYwZGI1";

/// Calls the function that sends `op`; only the outcome matters.
async fn call(c: &Client, op: &str) -> Result<String> {
    use crate::api::*;
    let id = "SWQ6MQ==";
    let sa = Ref { id: SA.to_owned(), name: "fz".to_owned() };
    let any = NameFilter::default();
    Ok(match op {
        "AuthCheck" => format!("{:?}", auth::check(c).await?),
        "ConnectorGet" => format!("{:?}", connectors::get(c, id).await?),
        "ConnectorList" => format!("{:?}", connectors::list_page(c, &Default::default(), None, 100).await?.nodes),
        "DeviceGet" => format!("{:?}", devices::get(c, id).await?),
        "DeviceList" => format!("{:?}", devices::list_page(c, &Default::default(), None, 100).await?.nodes),
        "GroupGet" => format!("{:?}", groups::get(c, id).await?),
        "GroupList" => format!("{:?}", groups::list_page(c, &Default::default(), None, 100).await?.nodes),
        "RemoteNetworkGet" => format!("{:?}", remote_networks::get(c, id).await?),
        "RemoteNetworkList" => format!("{:?}", remote_networks::list_page(c, &any, None, 100).await?.nodes),
        "ResourceAccessList" => format!("{:?}", resources::access_page(c, id, None, 100).await?.nodes),
        "ResourceGet" => format!("{:?}", resources::get(c, id).await?),
        "ResourceList" => format!("{:?}", resources::list_page(c, &Default::default(), None, 100).await?.nodes),
        "SecurityPolicyGet" => format!("{:?}", security_policies::get(c, id).await?),
        "SecurityPolicyList" => format!("{:?}", security_policies::list_page(c, &any, None, None, 100).await?.nodes),
        "ServiceAccountCreate" => format!("{:?}", service_accounts::create(c, "fz", vec![]).await?),
        "ServiceAccountGet" => format!("{:?}", service_accounts::get(c, SA).await?),
        "ServiceAccountList" => format!("{:?}", service_accounts::list_page(c, &any, None, 100).await?.nodes),
        "ServiceKeyCreate" => format!("{:?}", service_keys::create(c, SA, None, 1).await?),
        "ServiceKeyDelete" => format!("{:?}", service_keys::delete(c, KEY).await?),
        "ServiceKeyGet" => format!("{:?}", service_keys::get(c, KEY).await?),
        "ServiceKeyListAll" => format!("{:?}", service_keys::list_page(c, None, None, 100).await?.nodes),
        "ServiceKeyListOfAccount" => format!("{:?}", service_keys::list_page(c, Some(&sa), None, 100).await?.nodes),
        "ServiceKeyRename" => format!("{:?}", service_keys::rename(c, KEY, "k3").await?),
        "ServiceKeyRevoke" => format!("{:?}", service_keys::revoke(c, KEY).await?),
        "UserGet" => format!("{:?}", users::get(c, id).await?),
        "UserList" => format!("{:?}", users::list_page(c, &Default::default(), None, 100).await?.nodes),
        other => panic!("no call for {other}"),
    })
}

/// The body of a generated response.
#[derive(Debug, Clone)]
enum Body {
    /// The real answer with a few edits.
    Mutated(Vec<super::Edit>),
    /// GraphQL errors, with or without data.
    Errors {
        messages: Vec<String>,
        code: Option<String>,
        with_data: bool,
    },
    /// `{ok: false}` (or odd `ok` values) in the first root field.
    NotOk(Value, Value),
    Json(Value),
    Bytes(Vec<u8>),
    Truncated(usize),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        6 => edits().prop_map(Body::Mutated),
        1 => (prop::collection::vec(interesting_string(), 0..3), prop::option::of(prop::sample::select(vec!["PERMISSION_DENIED".to_owned(), "X".to_owned()])), any::<bool>())
            .prop_map(|(messages, code, with_data)| Body::Errors { messages, code, with_data }),
        1 => (any_json(), any_json()).prop_map(|(ok, e)| Body::NotOk(ok, e)),
        1 => any_json().prop_map(Body::Json),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Bytes),
        1 => any::<usize>().prop_map(Body::Truncated),
    ]
}

fn render(real: &Value, body: &Body) -> Vec<u8> {
    match body {
        Body::Mutated(edits) => mutate(real, edits).to_string().into_bytes(),
        Body::Errors { messages, code, with_data } => {
            let errors: Vec<Value> =
                messages.iter().map(|m| json!({"message": m, "extensions": {"code": code}})).collect();
            let data = if *with_data { real["data"].clone() } else { Value::Null };
            json!({"data": data, "errors": errors}).to_string().into_bytes()
        }
        Body::NotOk(ok, error) => {
            let mut v = real.clone();
            if let Some(Value::Object(fields)) = v.get_mut("data")
                && let Some((_, Value::Object(payload))) = fields.iter_mut().next()
            {
                payload.insert("ok".into(), ok.clone());
                payload.insert("error".into(), error.clone());
            }
            v.to_string().into_bytes()
        }
        Body::Json(v) => v.to_string().into_bytes(),
        Body::Bytes(b) => b.clone(),
        Body::Truncated(n) => {
            let text = real.to_string().into_bytes();
            text[..n % (text.len() + 1)].to_vec()
        }
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        8 => Just(200u16),
        1 => prop::sample::select(vec![201u16, 204, 301, 304, 400, 401, 403, 404, 418, 429, 500, 501, 502, 503, 504]),
    ]
}

thread_local! {
    /// One runtime, server and client per test thread, for every case.
    static RIG: (tokio::runtime::Runtime, Arc<Mutex<Answer>>, Client) = {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new(Answer { status: 200, content_type: "application/json", retry_after: None, body: vec![] }));
        rt.spawn(serve(listener, answer.clone()));
        (rt, answer, client(addr))
    };
}

type Call<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<String>> + 'a>>;

/// Serves `answer` to whatever `run` sends; checks the promises on the outcome.
fn exercise(answer: Answer, op: &str, run: impl for<'a> FnOnce(&'a Client) -> Call<'a>) {
    RIG.with(|(rt, slot, c)| {
        *slot.lock().unwrap() = answer;
        let outcome = rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), run(c)).await });
        let outcome = outcome.unwrap_or_else(|_| panic!("{op} hung"));
        match outcome {
            Ok(out) => assert!(!out.contains(CANARY), "{op}: a secret in the domain value's Debug"),
            Err(e) => check_error(&e, &[]),
        }
    });
}

#[test]
fn every_captured_answer_maps() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let answer =
        Arc::new(Mutex::new(Answer { status: 200, content_type: "application/json", retry_after: None, body: vec![] }));
    rt.spawn(serve(listener, answer.clone()));
    let c = client(addr);
    for op in fixtures().keys() {
        answer.lock().unwrap().body = fixtures()[op].to_string().into_bytes();
        let out = rt.block_on(call(&c, op)).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert!(!out.contains(CANARY), "{op}: a secret in {out}");
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn api_answers_map_or_fail_cleanly(
        op in prop::sample::select(fixtures().keys().cloned().collect::<Vec<_>>()),
        body in body(),
        status in status(),
        content_type in prop::sample::select(vec!["application/json", "application/json", "text/html", "text/plain"]),
        retry_after in prop::option::of(prop_oneof!["[0-9]{1,3}", "[ -~]{0,12}", Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned())]),
    ) {
        let body = render(&fixtures()[&op], &body);
        exercise(Answer { status, content_type, retry_after, body }, &op, |c| {
            let op = op.clone();
            Box::pin(async move { call(c, &op).await })
        });
    }

    /// The same for Firezone's REST answers (`--provider firezone`), through the same transport.
    #[test]
    fn firezone_answers_map_or_fail_cleanly(
        op in prop::sample::select(fz_fixtures().keys().cloned().collect::<Vec<_>>()),
        body in body(),
        status in status(),
        content_type in prop::sample::select(vec!["application/json", "application/json", "text/html", "text/plain"]),
        retry_after in prop::option::of(prop_oneof!["[0-9]{1,3}", "[ -~]{0,12}"]),
    ) {
        let body = render(&fz_fixtures()[&op], &body);
        exercise(Answer { status, content_type, retry_after, body }, &op, |c| {
            let op = op.clone();
            Box::pin(async move { call_fz(c, &op).await })
        });
    }
}

// ---- Firezone ----------------------------------------------------------------------------------

const FZ_SA: &str = "2dd91f07-a726-4ee5-9e08-710fc4da8344";
const FZ_T0: &str = "2026-01-01T00:00:00.000000Z";

/// Answers in the shapes docs/firezone.md describes (as tgctl's own tests mock them).
fn fz_fixtures() -> &'static serde_json::Map<String, Value> {
    static F: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let actor = json!({"id": FZ_SA, "name": "ci", "type": "service_account", "email": null, "disabled_at": null,
            "last_seen_at": null, "inserted_at": FZ_T0, "updated_at": FZ_T0});
        let token = json!({"id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "actor_id": FZ_SA,
            "expires_at": "2027-01-01T00:00:00Z", "inserted_at": FZ_T0, "updated_at": FZ_T0});
        let mut created = token.clone();
        created["token"] = json!(format!(".SFMyNTY.g2gDaANt{CANARY}"));
        let client = json!({"id": "c0ffee00-0000-4000-8000-000000000001", "firezone_id": "tgctl-job", "actor_id": FZ_SA,
            "name": "tgctl-job", "online": true, "ipv4": "100.64.0.2", "ipv6": null, "last_seen_version": "1.5.12",
            "last_seen_at": FZ_T0, "created_at": FZ_T0});
        let group = json!({"id": "0b1f5c1e-1111-4222-8333-944455556666", "name": "ci"});
        let list = |items: Vec<Value>| json!({"data": items, "metadata": {"limit": 100, "count": 1, "next_page": null, "prev_page": null}});
        let mut m = serde_json::Map::new();
        m.insert("fz:service_account_page".into(), list(vec![actor.clone()]));
        m.insert("fz:get_actor".into(), json!({"data": actor}));
        m.insert("fz:resolve_service_account".into(), list(vec![actor.clone()]));
        m.insert("fz:create_service_account".into(), json!({"data": actor}));
        m.insert("fz:resolve_group".into(), list(vec![group]));
        m.insert("fz:token_page".into(), list(vec![token.clone()]));
        m.insert("fz:get_token".into(), json!({"data": token}));
        m.insert("fz:create_token".into(), json!({"data": created}));
        m.insert("fz:delete_all_tokens".into(), json!({"data": {"deleted_count": 3}}));
        m.insert("fz:client_page".into(), list(vec![client.clone()]));
        m.insert("fz:delete_clients_by_firezone_id".into(), list(vec![client]));
        m
    })
}

async fn call_fz(c: &Client, op: &str) -> Result<String> {
    use crate::api::firezone::*;
    Ok(match op {
        "fz:service_account_page" => format!("{:?}", service_account_page(c, None, 100).await?.nodes),
        "fz:get_actor" => format!("{:?}", get_actor(c, FZ_SA).await?),
        "fz:resolve_service_account" => format!("{:?}", resolve_service_account(c, "ci").await?),
        "fz:create_service_account" => format!("{:?}", create_service_account(c, "ci").await?),
        "fz:resolve_group" => format!("{:?}", resolve_group(c, "ci").await?),
        "fz:token_page" => format!("{:?}", token_page(c, FZ_SA, None, 100).await?.nodes),
        "fz:get_token" => format!("{:?}", get_token(c, FZ_SA, "6ba7b810-9dad-11d1-80b4-00c04fd430c8").await?),
        "fz:create_token" => format!("{:?}", create_token(c, FZ_SA, jiff::Timestamp::now()).await?.token),
        "fz:delete_all_tokens" => format!("{:?}", delete_all_tokens(c, FZ_SA).await?),
        "fz:client_page" => format!("{:?}", client_page(c, Some("tgctl-job"), None, 100).await?.nodes),
        "fz:delete_clients_by_firezone_id" => format!("{:?}", delete_clients_by_firezone_id(c, "tgctl-job").await?),
        other => panic!("no call for {other}"),
    })
}

#[test]
fn every_firezone_answer_maps() {
    for op in fz_fixtures().keys() {
        let answer = Answer {
            status: 200,
            content_type: "application/json",
            retry_after: None,
            body: fz_fixtures()[op].to_string().into_bytes(),
        };
        exercise(answer, op, |c| {
            Box::pin(async move {
                let out = call_fz(c, op).await;
                assert!(out.is_ok(), "{op}: {:?}", out.as_ref().err().map(|e| &e.message));
                out
            })
        });
    }
}
