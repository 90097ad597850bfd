//! The headless login (`POST /api/v4/headless/login`) and the `/_emulator/` test hooks.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{Ctx, PeerAddr, json_response};
use crate::faults::{FaultKind, FaultRule};
use crate::ids;
use crate::login::{LoginRequest, check_login, reachable};
use crate::model::Level;

pub(super) async fn login(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let req: LoginRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return json_response(StatusCode::BAD_REQUEST, &json!({"ok": false, "error": format!("bad request: {e}")}));
        }
    };
    let db = ctx.app.store.snapshot();
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

pub(super) async fn loopback_only(req: Request, next: Next) -> Response {
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

pub(super) async fn hook_tokens(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let level = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("level").and_then(Value::as_str).and_then(Level::parse));
    let Some(level) = level else {
        return bad_request("expected {\"level\": \"read|write|provision\"}");
    };
    let token = crate::new_api_token(level);
    let t = token.clone();
    let _ = ctx.app.store.commit(None, move |db| {
        db.api_tokens.insert(t, level);
        Ok::<(), std::convert::Infallible>(())
    });
    ctx.app.persist_or_log().await;
    json_response(StatusCode::OK, &json!({"token": token, "level": level.as_str()}))
}

pub(super) async fn hook_stats(State(ctx): State<Ctx>) -> Response {
    json_response(StatusCode::OK, &json!(ctx.app.stats()))
}

pub(super) async fn hook_faults_add(State(ctx): State<Ctx>, body: Bytes) -> Response {
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
    let mut faults = ctx.app.faults.lock();
    faults.extend(rules);
    json_response(StatusCode::OK, &json!({"active": faults.len(), "rules": *faults}))
}

pub(super) async fn hook_faults_list(State(ctx): State<Ctx>) -> Response {
    let faults = ctx.app.faults.lock();
    json_response(StatusCode::OK, &json!({"active": faults.len(), "rules": *faults}))
}

pub(super) async fn hook_faults_clear(State(ctx): State<Ctx>) -> Response {
    ctx.app.faults.lock().clear();
    json_response(StatusCode::OK, &json!({"active": 0, "rules": []}))
}

pub(super) async fn hook_clock(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let secs =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("advanceSeconds").and_then(Value::as_i64));
    let Some(secs) = secs else {
        return bad_request("expected {\"advanceSeconds\": N}");
    };
    let (db, _) = ctx.app.store.commit(None, move |db| {
        db.clock_offset_secs = db.clock_offset_secs.saturating_add(secs);
        Ok::<(), std::convert::Infallible>(())
    });
    ctx.app.persist_or_log().await;
    json_response(
        StatusCode::OK,
        &json!({"now": crate::model::format_ts(db.now()), "offsetSeconds": db.clock_offset_secs}),
    )
}

pub(super) async fn hook_rate_limits(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("expected {\"readsPerMinute\": N, \"writesPerMinute\": N}");
    };
    let get = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n.min(u64::from(u32::MAX)) as u32);
    let mut limits = ctx.app.limits();
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

pub(super) async fn hook_health() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}
