//! HTTP: the accept loop (ours, so a fault can drop a connection), routes, and handlers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection, SelectionSet};
use async_graphql::parser::{Positioned, parse_query};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::app::{App, FaultKind, FaultRule};
use crate::gql::Snapshot;
use crate::ids;
use crate::login::{LoginRequest, check_login, reachable};
use crate::model::Level;

/// The peer address of the connection a request came on.
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

/// Put on a response to make the connection close without sending it.
#[derive(Clone, Copy, Debug)]
struct DropConnection;

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for Dropped {}

#[derive(Clone)]
pub struct Ctx {
    pub app: Arc<App>,
    pub log_requests: bool,
}

pub fn router(ctx: Ctx) -> Router {
    let hooks = Router::new()
        .route("/tokens", post(hook_tokens))
        .route("/stats", get(hook_stats))
        .route("/faults", post(hook_faults_add).delete(hook_faults_clear).get(hook_faults_list))
        .route("/clock", post(hook_clock))
        .route("/rate-limits", post(hook_rate_limits))
        .route("/health", get(hook_health))
        .layer(middleware::from_fn(loopback_only));
    Router::new()
        .route("/api/graphql/", post(graphql))
        .route("/api/graphql", post(graphql))
        .route(crate::login::LOGIN_PATH, post(login))
        .nest("/_emulator", hooks)
        .with_state(ctx)
}

/// Serve `listener` until `shutdown` fires, then let open requests finish (up to 5 s).
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: tokio::sync::oneshot::Receiver<()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        crate::log(&format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    req.extensions_mut().insert(PeerAddr(peer));
                    async move {
                        let resp = router.oneshot(req.map(Body::new)).await.unwrap_or_else(|e: Infallible| match e {});
                        if resp.extensions().get::<DropConnection>().is_some() {
                            return Err(Dropped);
                        }
                        Ok(resp)
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn errors(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"errors": [{"message": message}]}))
}

// ---------------------------------------------------------------------------------------------
// GraphQL

/// What a request does, from its document: mutation or not, and its root field names.
struct OpInfo {
    write: bool,
    root_fields: Vec<String>,
}

fn collect_fields(
    set: &Positioned<SelectionSet>,
    fragments: &std::collections::HashMap<
        async_graphql::Name,
        Positioned<async_graphql::parser::types::FragmentDefinition>,
    >,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    for item in &set.node.items {
        match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.to_string();
                if !name.starts_with("__") && !out.contains(&name) {
                    out.push(name);
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = fragments.get(&s.node.fragment_name.node) {
                    collect_fields(&frag.node.selection_set, fragments, out, depth + 1);
                }
            }
            Selection::InlineFragment(i) => collect_fields(&i.node.selection_set, fragments, out, depth + 1),
        }
    }
}

fn classify(req: &async_graphql::Request) -> OpInfo {
    let Ok(doc) = parse_query(&req.query) else {
        return OpInfo { write: false, root_fields: Vec::new() };
    };
    let op = match (&doc.operations, &req.operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    let Some(op) = op else {
        return OpInfo { write: false, root_fields: Vec::new() };
    };
    let mut root_fields = Vec::new();
    collect_fields(&op.node.selection_set, &doc.fragments, &mut root_fields, 0);
    OpInfo { write: op.node.ty == OperationType::Mutation, root_fields }
}

/// The level a root field needs.
fn needed_level(write: bool, field: &str) -> Level {
    match field {
        "connectorGenerateTokens"
        | "serviceAccountKeyCreate"
        | "serviceAccountKeyRevoke"
        | "serviceAccountKeyDelete" => Level::Provision,
        _ if write => Level::Write,
        _ => Level::Read,
    }
}

fn status_reason(code: StatusCode) -> String {
    format!("{} {}", code.as_u16(), code.canonical_reason().unwrap_or("Error"))
}

const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Sign in - Twingate</title></head><body><div id=\"root\"><h1>Sign in to your Twingate \
network</h1><form method=\"post\" action=\"/login\"><input name=\"email\" type=\"email\">\
<button type=\"submit\">Continue</button></form></div></body></html>\n";

async fn graphql(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let app = &ctx.app;
    app.with_stats(|s| s.requests += 1);
    let req: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return errors(StatusCode::BAD_REQUEST, &format!("The request body must be a JSON GraphQL request: {e}"));
        }
    };
    let op = classify(&req);
    let label = op.root_fields.join(",");
    let resp = handle_graphql(&ctx, &headers, req, &op).await;
    if ctx.log_requests {
        crate::log(&format!(
            "graphql {} [{}] -> {} in {} ms",
            if op.write { "mutation" } else { "query" },
            label,
            if resp.extensions().get::<DropConnection>().is_some() {
                "dropped".to_string()
            } else {
                resp.status().as_u16().to_string()
            },
            started.elapsed().as_millis()
        ));
    }
    resp
}

async fn handle_graphql(ctx: &Ctx, headers: &HeaderMap, req: async_graphql::Request, op: &OpInfo) -> Response {
    let app = &ctx.app;
    let fault = app.take_fault(op.write, &op.root_fields);
    if let Some(rule) = &fault {
        match rule.kind {
            FaultKind::Status => {
                let code = StatusCode::from_u16(rule.status.unwrap_or(503)).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut resp = errors(code, &status_reason(code));
                if let Some(ra) = rule.retry_after_header()
                    && let Ok(v) = HeaderValue::from_str(&ra)
                {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return resp;
            }
            FaultKind::Latency => {
                tokio::time::sleep(Duration::from_millis(rule.ms.unwrap_or(1000))).await;
            }
            FaultKind::Drop => {
                let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                resp.extensions_mut().insert(DropConnection);
                return resp;
            }
            FaultKind::NonJson => {
                let mut resp =
                    (StatusCode::OK, "upstream connect error or disconnect/reset before headers").into_response();
                resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                return resp;
            }
            FaultKind::Html => {
                let mut resp = (StatusCode::OK, LOGIN_PAGE).into_response();
                resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                return resp;
            }
            FaultKind::Truncate | FaultKind::SlowAfterApply => {}
        }
    }

    let resp = process(app, headers, req, op).await;

    match fault {
        Some(FaultRule { kind: FaultKind::SlowAfterApply, ms, .. }) => {
            tokio::time::sleep(Duration::from_millis(ms.unwrap_or(1000))).await;
            resp
        }
        Some(FaultRule { kind: FaultKind::Truncate, .. }) => truncate(resp).await,
        _ => resp,
    }
}

/// Announce the full length, send the first half of the body, then break the connection.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // Yield the half, then pause (so hyper flushes the head and the half) before failing the
    // body, which makes hyper close the connection short of the announced length.
    let first = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
    let fail = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Err(std::io::Error::other("truncated by a fault rule"))
    });
    Response::from_parts(parts, Body::from_stream(futures_util::StreamExt::chain(first, fail)))
}

async fn process(app: &Arc<App>, headers: &HeaderMap, req: async_graphql::Request, op: &OpInfo) -> Response {
    let token = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
    let Some((token, level)) = token.and_then(|t| app.token_level(t).map(|l| (t, l))) else {
        return errors(StatusCode::UNAUTHORIZED, "Invalid API key");
    };

    let admitted = app.limits.lock().unwrap_or_else(|e| e.into_inner()).admit(token, op.write, Instant::now());
    if let Err(wait) = admitted {
        app.with_stats(|s| s.rate_limited += 1);
        let mut resp = errors(StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests");
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return resp;
    }
    app.with_stats(|s| if op.write { s.writes += 1 } else { s.reads += 1 });

    for field in &op.root_fields {
        let need = needed_level(op.write, field);
        if level < need {
            return json_response(
                StatusCode::OK,
                &json!({
                    "data": null,
                    "errors": [{
                        "message": format!(
                            "Permission denied: {field} needs a {} API token",
                            need.as_str()
                        ),
                        "extensions": {"code": "PERMISSION_DENIED"}
                    }]
                }),
            );
        }
    }

    let req = req.data(Snapshot(app.snapshot())).data(app.clone());
    let result = app.schema.execute(req).await;
    if op.write
        && let Err(e) = app.persist().await
    {
        crate::log(&format!("saving the state failed: {e}"));
    }
    // Requests that fail before execution (syntax, validation, variables) are a 400, as on the
    // real API; errors raised while resolving are a 200 with `errors`.
    let status = if result.data == async_graphql::Value::Null
        && !result.errors.is_empty()
        && result.errors.iter().all(|e| e.path.is_empty())
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match serde_json::to_value(&result) {
        Ok(v) => json_response(status, &v),
        Err(e) => errors(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Headless login

async fn login(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let req: LoginRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return json_response(StatusCode::BAD_REQUEST, &json!({"ok": false, "error": format!("bad request: {e}")}));
        }
    };
    let db = ctx.app.snapshot();
    ctx.app.with_stats(|s| s.logins += 1);
    match check_login(&db, &req) {
        Ok(sa) => {
            let resources: Vec<Value> = reachable(&db, sa)
                .into_iter()
                .map(|(name, address, alias)| json!({"name": name, "address": address, "alias": alias}))
                .collect();
            let id = ids::encode("ServiceAccount", db.service_accounts[&sa].uuid);
            json_response(StatusCode::OK, &json!({"ok": true, "serviceAccountId": id.0, "resources": resources}))
        }
        Err(reason) => {
            if ctx.log_requests {
                crate::log(&format!("headless login refused: {reason}"));
            }
            json_response(StatusCode::UNAUTHORIZED, &json!({"ok": false, "error": reason}))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Test hooks

async fn loopback_only(req: Request, next: Next) -> Response {
    let ok = req.extensions().get::<PeerAddr>().is_some_and(|p| p.0.ip().to_canonical().is_loopback());
    if !ok {
        return json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": "the /_emulator/ hooks only answer loopback clients"}),
        );
    }
    next.run(req).await
}

fn bad_request(msg: impl std::fmt::Display) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": msg.to_string()}))
}

async fn persist_or_log(app: &App) {
    if let Err(e) = app.persist().await {
        crate::log(&format!("saving the state failed: {e}"));
    }
}

async fn hook_tokens(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let level = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("level").and_then(Value::as_str).and_then(Level::parse));
    let Some(level) = level else {
        return bad_request("expected {\"level\": \"read|write|provision\"}");
    };
    let token = crate::new_api_token(level);
    let t = token.clone();
    let _ = ctx.app.commit(None, move |db| {
        db.api_tokens.insert(t, level);
        Ok(())
    });
    persist_or_log(&ctx.app).await;
    json_response(StatusCode::OK, &json!({"token": token, "level": level.as_str()}))
}

async fn hook_stats(State(ctx): State<Ctx>) -> Response {
    json_response(StatusCode::OK, &json!(ctx.app.stats()))
}

async fn hook_faults_add(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("not JSON: {e}")),
    };
    let list = match value {
        Value::Array(_) => value,
        Value::Object(ref m) if m.contains_key("rules") => m["rules"].clone(),
        other => Value::Array(vec![other]),
    };
    let rules: Vec<FaultRule> = match serde_json::from_value(list) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("invalid fault rule: {e}")),
    };
    if let Some(r) =
        rules.iter().find(|r| r.kind == FaultKind::Status && r.status.is_some_and(|s| StatusCode::from_u16(s).is_err()))
    {
        return bad_request(format!("invalid status {:?}", r.status));
    }
    let mut faults = ctx.app.faults.lock().unwrap_or_else(|e| e.into_inner());
    faults.extend(rules);
    json_response(StatusCode::OK, &json!({"active": faults.len(), "rules": *faults}))
}

async fn hook_faults_list(State(ctx): State<Ctx>) -> Response {
    let faults = ctx.app.faults.lock().unwrap_or_else(|e| e.into_inner());
    json_response(StatusCode::OK, &json!({"active": faults.len(), "rules": *faults}))
}

async fn hook_faults_clear(State(ctx): State<Ctx>) -> Response {
    ctx.app.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    json_response(StatusCode::OK, &json!({"active": 0, "rules": []}))
}

async fn hook_clock(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let secs =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("advanceSeconds").and_then(Value::as_i64));
    let Some(secs) = secs else {
        return bad_request("expected {\"advanceSeconds\": N}");
    };
    let (db, _) = ctx.app.commit(None, move |db| {
        db.clock_offset_secs = db.clock_offset_secs.saturating_add(secs);
        Ok(())
    });
    persist_or_log(&ctx.app).await;
    json_response(
        StatusCode::OK,
        &json!({"now": crate::model::format_ts(db.now()), "offsetSeconds": db.clock_offset_secs}),
    )
}

async fn hook_rate_limits(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("expected {\"readsPerMinute\": N, \"writesPerMinute\": N}");
    };
    let get = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n.min(u64::from(u32::MAX)) as u32);
    let mut limits = ctx.app.limits.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = get("readsPerMinute") {
        limits.reads_per_minute = r;
    }
    if let Some(w) = get("writesPerMinute") {
        limits.writes_per_minute = w;
    }
    json_response(
        StatusCode::OK,
        &json!({"readsPerMinute": limits.reads_per_minute, "writesPerMinute": limits.writes_per_minute}),
    )
}

async fn hook_health() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}
