//! The HTTP API. Every refusal of a token is the same 401 body: a caller learns nothing about
//! why (which issuer, which claim, which key), so a probe cannot map the policy.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::Broker;
use crate::lease::{MintError, expose};
use crate::metrics::label;
use crate::oidc::Verified;

pub fn router(broker: Arc<Broker>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/keys", post(create_key))
        .route("/v1/keys/{lease}", delete(release_key))
        .with_state(broker)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (status, Json(json!({"error": code, "message": message}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    r
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "unauthorized", "send a valid OIDC ID token as `Authorization: Bearer TOKEN`")
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn metrics(State(b): State<Arc<Broker>>) -> Response {
    let mut gauges = Vec::new();
    if let Ok(counts) = b.store.counts().await {
        for (state, n) in counts {
            gauges.push(("tgctl_broker_leases", "leases by state", label("state", &state), n));
        }
    }
    let text = b.metrics.render(&gauges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The bearer token, verified; the reason of a refusal goes to the log and metrics only.
async fn authenticate(b: &Broker, headers: &HeaderMap) -> Result<Verified, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        b.metrics.inc("tgctl_broker_token_rejections_total", label("reason", "missing"));
        return Err(unauthorized());
    };
    b.verifier.verify(token).await.map_err(|refused| {
        b.metrics.inc("tgctl_broker_token_rejections_total", label("reason", refused.0));
        crate::log(&format!("token refused: {}", refused.0));
        unauthorized()
    })
}

async fn create_key(State(b): State<Arc<Broker>>, headers: HeaderMap) -> Response {
    let outcome = |o: &str| b.metrics.inc("tgctl_broker_key_requests_total", label("outcome", o));
    if b.config.rules.is_empty() {
        outcome("no_policy");
        return error(StatusCode::FORBIDDEN, "forbidden", "this broker has no policy: it grants no keys");
    }
    let v = match authenticate(&b, &headers).await {
        Ok(v) => v,
        Err(r) => {
            outcome("unauthorized");
            return r;
        }
    };
    let now = jiff::Timestamp::now().as_second();
    match b.store.use_token(&v.replay_id, v.exp, now).await {
        Ok(true) => {}
        Ok(false) => {
            b.metrics.inc("tgctl_broker_token_rejections_total", label("reason", "replayed"));
            crate::log("token refused: replayed");
            outcome("unauthorized");
            return unauthorized();
        }
        Err(e) => {
            crate::log(&format!("store: {e:#}"));
            outcome("error");
            return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the broker's database is unavailable");
        }
    }
    match b.mint(&v).await {
        Ok(m) => {
            outcome("minted");
            let expires = jiff::Timestamp::from_second(m.lease.expires_at).map(|t| t.to_string()).unwrap_or_default();
            Json(json!({
                "lease_id": m.lease.id,
                "expires_at": expires,
                "service_account": m.lease.service_account,
                "key_id": m.key_id,
                "service_key": expose(&m.token),
            }))
            .into_response()
        }
        Err(MintError::NoRule) => {
            outcome("forbidden");
            crate::log("no rule allows the job");
            error(StatusCode::FORBIDDEN, "forbidden", "no rule of this broker's policy allows this job")
        }
        Err(MintError::TooMany) => {
            outcome("too_many");
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_keys",
                "this job's rule has its most keys alive; retry later",
            )
        }
        Err(MintError::Api(e)) => {
            outcome("api_error");
            crate::log(&format!("mint failed: {} ({})", e.message, e.code()));
            error(StatusCode::BAD_GATEWAY, "api_error", "the Admin API did not mint a key; retry later")
        }
        Err(MintError::Internal(e)) => {
            outcome("error");
            crate::log(&format!("mint failed: {e:#}"));
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the broker could not mint a key")
        }
    }
}

async fn release_key(State(b): State<Arc<Broker>>, Path(lease): Path<String>, headers: HeaderMap) -> Response {
    let outcome = |o: &str| b.metrics.inc("tgctl_broker_releases_total", label("outcome", o));
    let v = match authenticate(&b, &headers).await {
        Ok(v) => v,
        Err(r) => {
            outcome("unauthorized");
            return r;
        }
    };
    match b.release(&v, &lease).await {
        Ok(Some(state)) => {
            outcome("released");
            (StatusCode::ACCEPTED, Json(json!({"lease_id": lease, "state": state}))).into_response()
        }
        Ok(None) => {
            outcome("not_found");
            error(StatusCode::NOT_FOUND, "not_found", "no such lease for this job")
        }
        Err(e) => {
            outcome("error");
            crate::log(&format!("release failed: {e:#}"));
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the broker's database is unavailable")
        }
    }
}
