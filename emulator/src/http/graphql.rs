//! `POST /api/graphql/`: faults, the API key, rate limits, permission levels, then execution.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::Positioned;
use async_graphql::parser::types::{DocumentOperations, OperationType, Selection, SelectionSet};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

use super::{Ctx, DropConnection, errors, json_response};
use crate::app::App;
use crate::faults::{FaultKind, FaultRule};
use crate::gql::Snapshot;
use crate::model::Level;

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

/// Parse the request's document (kept in the request for execution) and say what it does.
fn classify(req: &mut async_graphql::Request) -> OpInfo {
    let operation_name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else {
        return OpInfo { write: false, root_fields: Vec::new() };
    };
    let op = match (&doc.operations, &operation_name) {
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

pub(super) async fn graphql(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let app = &ctx.app;
    app.with_stats(|s| s.requests += 1);
    let mut req: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return errors(StatusCode::BAD_REQUEST, &format!("The request body must be a JSON GraphQL request: {e}"));
        }
    };
    let op = classify(&mut req);
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
    let fault = app.faults.take(op.write, &op.root_fields);
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

/// A request refused before it runs: HTTP 400 and `errors` without `data`, as graphene-django
/// answers when an error has no path (graphene_django/views.py, `get_response`).
fn refused(errors: Vec<serde_json::Value>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({ "errors": errors }))
}

async fn process(app: &Arc<App>, headers: &HeaderMap, mut req: async_graphql::Request, op: &OpInfo) -> Response {
    let token = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
    let Some((token, level)) = token.and_then(|t| app.token_level(t).map(|l| (t, l))) else {
        return errors(StatusCode::UNAUTHORIZED, "Invalid API key");
    };

    let admitted = app.limits().admit(token, op.write, Instant::now());
    if let Err(wait) = admitted {
        app.with_stats(|s| s.rate_limited += 1);
        let mut resp = errors(StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests");
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return resp;
    }
    app.with_stats(|s| if op.write { s.writes += 1 } else { s.reads += 1 });

    // graphql-core's validation and variable coercion, then (below) async-graphql's own.
    let variables = req.variables.clone();
    let operation_name = req.operation_name.clone();
    if let Ok(doc) = req.parsed_query() {
        let problems = app.rules.check(doc, &variables, operation_name.as_deref());
        if !problems.is_empty() {
            return refused(problems.iter().map(|p| p.to_json()).collect());
        }
    }

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

    let req = req.data(Snapshot(app.store.snapshot())).data(Arc::clone(&app.store));
    let result = app.schema.execute(req).await;
    if op.write {
        app.persist_or_log().await;
    }
    // An error without a path (syntax, validation, variables) makes it a 400 without `data`;
    // errors raised while resolving are a 200 with `data` and `errors` (graphene-django).
    let before_execution = !result.errors.is_empty() && result.errors.iter().any(|e| e.path.is_empty());
    match serde_json::to_value(&result) {
        Ok(serde_json::Value::Object(mut v)) if before_execution => {
            v.remove("data");
            json_response(StatusCode::BAD_REQUEST, &serde_json::Value::Object(v))
        }
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => errors(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
