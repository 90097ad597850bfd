//! HTTP: the accept loop (ours, so a fault can drop a connection), routes, and shared replies.
//! `graphql.rs` answers the API (faults, auth, rate limits, execution), `hooks.rs` the headless
//! login and the `/_emulator/` test hooks.

mod graphql;
mod hooks;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::app::App;

/// The peer address of the connection a request came on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerAddr(pub SocketAddr);

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
pub(crate) struct Ctx {
    pub(crate) app: Arc<App>,
    pub(crate) log_requests: bool,
}

pub fn router(ctx: Ctx) -> Router {
    let hooks = Router::new()
        .route("/tokens", post(hooks::hook_tokens))
        .route("/stats", get(hooks::hook_stats))
        .route("/faults", post(hooks::hook_faults_add).delete(hooks::hook_faults_clear).get(hooks::hook_faults_list))
        .route("/clock", post(hooks::hook_clock))
        .route("/rate-limits", post(hooks::hook_rate_limits))
        .route("/health", get(hooks::hook_health))
        .layer(middleware::from_fn(hooks::loopback_only));
    Router::new()
        .route("/api/graphql/", post(graphql::graphql))
        .route("/api/graphql", post(graphql::graphql))
        .route(crate::login::LOGIN_PATH, post(hooks::login))
        .nest("/_emulator", hooks)
        .with_state(ctx)
}

/// Serve `listener` until `shutdown` fires, then let open requests finish (up to 5 s).
pub(crate) async fn serve(listener: TcpListener, router: Router, mut shutdown: tokio::sync::oneshot::Receiver<()>) {
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
