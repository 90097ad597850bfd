//! The one transport: every request, GraphQL (Twingate's Admin API, [`Client::execute`]) or
//! REST (Firezone's API, [`Client::rest`]), goes through one core loop, [`Client::send`]:
//! pace, send, classify, and maybe wait and retry, inside one time budget.
//!
//! Classification has a shared part and a per-protocol part. Shared, in this order: HTTP 401/403,
//! 429, 5xx, an answer that broke off, an HTML page instead of the API. Then GraphQL: a body that
//! is not JSON, GraphQL `errors`, other HTTP errors, missing `data`, `{ok: false}` payloads; or
//! REST: 404, 400/422 (with the validation errors), other HTTP errors, a body that is not JSON.
//!
//! Retries use capped exponential backoff with jitter (or the server's `Retry-After`). Reads
//! (GraphQL queries, REST GETs) are retried on connect errors, timeouts, 429 and 5xx. Writes
//! (mutations, any other HTTP method) are retried only when the server provably did not process
//! them: the connection was never made, or the server answered 429. A write whose fate is unknown
//! is reported, never re-sent. The [`Pacer`] keeps requests under the rate limits in the first
//! place.

use std::time::{Duration, Instant, SystemTime};

use graphql_client::GraphQLQuery;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::answer::{
    Answer, Failure, Interpret, Retry, graphql_answer, no_such_host, outcome_unknown, reqwest_reason, rest_answer,
    send_failure,
};
pub(crate) use super::answer::{Dialect, parse_retry_after};
use super::pacer::{OpKind, Pacer};
use crate::error::{Error, Kind, Result};

pub(crate) use super::log::LogFn;
pub use super::log::LogLevel;

/// Timeouts and retry budget.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// One HTTP attempt, connect to last byte.
    pub(crate) attempt_timeout: Duration,
    /// All attempts and waits of one request together.
    pub(crate) budget: Duration,
    /// At most this many attempts of one request, whatever the budget says.
    pub(crate) max_attempts: u32,
    /// Multiplies every wait (tests set 0).
    pub(crate) scale: f64,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(30),
            budget: Duration::from_secs(90),
            max_attempts: 10,
            scale: 1.0,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with equal jitter: half fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        let half = exp / 2;
        let jitter = Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64));
        self.scaled(half + jitter)
    }

    fn scaled(&self, d: Duration) -> Duration {
        if self.scale <= 0.0 { Duration::ZERO } else { d.mul_f64(self.scale) }
    }
}

/// How the client was configured.
pub struct ClientOptions {
    pub endpoint: reqwest::Url,
    pub token: SecretString,
    pub pacer: Pacer,
    pub retry: RetryPolicy,
    pub log: LogFn,
}

/// An authenticated Admin API client.
pub struct Client {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    token: SecretString,
    pacer: Pacer,
    retry: RetryPolicy,
    log: LogFn,
    dialect: Dialect,
}

/// One request as the core loop sends it, rebuilt for every attempt.
struct Outgoing {
    method: Method,
    url: reqwest::Url,
    /// A JSON body, serialized once.
    body: Option<Vec<u8>>,
    /// How the request is named in messages (`ServiceAccountList`, `POST /actors`).
    name: String,
    kind: OpKind,
    /// The `-v` line of an attempt, without the attempt number.
    label: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoint", &self.endpoint.as_str()).finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("tgctl/", env!("CARGO_PKG_VERSION"))));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10).min(options.retry.attempt_timeout))
            .timeout(options.retry.attempt_timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint: options.endpoint,
            token: options.token,
            pacer: options.pacer,
            retry: options.retry,
            log: options.log,
            dialect: Dialect::Twingate,
        })
    }

    /// The same client, talking to another API (authentication and hints follow).
    pub(crate) fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// A notice for the user (stderr, unless --quiet).
    pub(crate) fn notice(&self, message: &str) {
        (self.log)(LogLevel::Info, message);
    }

    /// Sends a typed operation.
    pub(crate) async fn post<Q: GraphQLQuery>(&self, variables: Q::Variables) -> Result<Q::ResponseData>
    where
        Q::Variables: Serialize,
    {
        let mut body = Q::build_query(variables);
        body.query = super::document::operation(body.query, body.operation_name);
        self.send_typed(&body, body.operation_name, body.query).await
    }

    /// Sends operation `Q` with hand-built variables: for updates, where an omitted variable
    /// leaves a field alone and an explicit `null` clears it (generated variables can't say both).
    /// The variables are first read as `Q`'s generated `Variables`, so a hand-built one that does
    /// not fit the operation is caught before anything is sent; what is sent is `variables`.
    pub(crate) async fn post_vars<Q: GraphQLQuery>(&self, variables: Value) -> Result<Q::ResponseData>
    where
        Q::Variables: DeserializeOwned,
    {
        let typed: Q::Variables = serde_json::from_value(variables.clone())
            .map_err(|e| Error::internal(format!("variables that do not fit the operation: {e}")))?;
        let typed = Q::build_query(typed);
        let query = super::document::operation(typed.query, typed.operation_name);
        let body = RawBody { query, variables, operation_name: typed.operation_name };
        self.send_typed(&body, typed.operation_name, query).await
    }

    async fn send_typed<B: Serialize, T: DeserializeOwned>(&self, body: &B, name: &str, query: &str) -> Result<T> {
        let data = self.execute(body, name, OpKind::of_document(query)).await?;
        serde_json::from_value(data).map_err(|e| {
            Error::new(Kind::BadResponse, format!("the API's answer to {name} has an unexpected shape: {e}"))
                .hint("the API may have changed; run `tgctl api schema` and report it")
        })
    }

    /// Sends any document (for `tgctl api`); returns `data`.
    pub(crate) async fn post_document(
        &self,
        query: &str,
        variables: Value,
        operation_name: Option<&str>,
    ) -> Result<Value> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            query: &'a str,
            variables: Value,
            #[serde(skip_serializing_if = "Option::is_none")]
            operation_name: Option<&'a str>,
        }
        let body = Body { query, variables, operation_name };
        let kind = OpKind::of_document(query);
        self.execute(&body, operation_name.unwrap_or(kind_word(kind)), kind).await
    }

    /// Sends a GraphQL body (a query or mutation, as `kind` says); returns `data`.
    pub(crate) async fn execute<B: Serialize>(&self, body: &B, name: &str, kind: OpKind) -> Result<Value> {
        let body =
            serde_json::to_vec(body).map_err(|e| Error::internal(format!("cannot encode the request {name}: {e}")))?;
        let request = Outgoing {
            method: Method::POST,
            url: self.endpoint.clone(),
            body: Some(body),
            name: name.to_owned(),
            kind,
            label: format!("POST {} {name} ({})", self.endpoint, kind_word(kind)),
        };
        self.send(&request, graphql_answer).await
    }

    /// Sends a REST request to `path` under the endpoint (`/actors`, with `query` pairs and an
    /// optional JSON body); returns the whole JSON answer (`Value::Null` for an empty one). GET
    /// is a read; every other method is a write, retried only when provably not processed.
    pub(crate) async fn rest(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let base = self.endpoint.as_str().trim_end_matches('/');
        let mut url = reqwest::Url::parse(&format!("{base}{path}"))
            .map_err(|e| Error::internal(format!("cannot build the URL of {path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let kind = if method == Method::GET { OpKind::Read } else { OpKind::Write };
        let name = format!("{method} {path}");
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::internal(format!("cannot encode the request {name}: {e}")))?;
        let label = format!("{method} {url}");
        let request = Outgoing { method, url, body, name, kind, label };
        self.send(&request, rest_answer).await
    }

    /// The core loop: pace, send, classify, maybe wait and retry, within the budget.
    async fn send(&self, request: &Outgoing, interpret: Interpret) -> Result<Value> {
        let (name, kind) = (request.name.as_str(), request.kind);
        let start = Instant::now();
        let deadline = start + self.retry.budget;
        let mut attempt: u32 = 0;
        loop {
            let log = self.log.clone();
            let limits = self.pacer.limits();
            self.pacer
                .acquire(kind, |wait| {
                    let per_minute = match kind {
                        OpKind::Read => limits.reads_per_minute,
                        OpKind::Write => limits.writes_per_minute,
                    };
                    log(
                        LogLevel::Info,
                        &format!(
                            "pacing: waiting {} to stay under {per_minute} {} a minute",
                            human_duration(wait),
                            kind.label()
                        ),
                    );
                })
                .await;
            attempt += 1;
            let sent = Instant::now();
            (self.log)(LogLevel::Debug, &format!("{} attempt {attempt}", request.label));
            let outcome = self.attempt(request, interpret).await;
            match outcome {
                Ok(data) => {
                    (self.log)(LogLevel::Debug, &format!("{name} succeeded in {} ms", sent.elapsed().as_millis()));
                    return Ok(data);
                }
                Err(failure) => {
                    let delay = match (&failure.retry, kind) {
                        (Retry::Safe(after), _) => {
                            Some(after.map_or_else(|| self.retry.backoff(attempt - 1), |d| self.retry.scaled(d)))
                        }
                        (Retry::IfRead, OpKind::Read) => Some(self.retry.backoff(attempt - 1)),
                        _ => None,
                    };
                    let Some(delay) = delay else {
                        return Err(failure.error);
                    };
                    if attempt >= self.retry.max_attempts || Instant::now() + delay > deadline {
                        let budget = human_duration(self.retry.budget);
                        let error = failure.error;
                        let gave_up = format!(
                            "gave up after {attempt} attempt(s) (at most {} within the {budget} retry budget; TGCTL_RETRY_BUDGET raises the budget)",
                            self.retry.max_attempts
                        );
                        let hint = match &error.hint {
                            Some(h) => format!("{h}; {gave_up}"),
                            None => gave_up,
                        };
                        return Err(Error { hint: Some(hint), ..error });
                    }
                    (self.log)(
                        LogLevel::Info,
                        &format!("{}; retrying {name} in {}", failure.error.message, human_duration(delay)),
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One attempt: send, then the shared classification, then the protocol's.
    async fn attempt(&self, request: &Outgoing, interpret: Interpret) -> Result<Value, Failure> {
        let (name, kind) = (request.name.as_str(), request.kind);
        let mut builder = self.http.request(request.method.clone(), request.url.clone());
        builder = match self.dialect {
            Dialect::Twingate => builder.header("X-API-KEY", self.token.expose_secret()),
            Dialect::Firezone => builder.bearer_auth(self.token.expose_secret()),
        };
        if let Some(body) = &request.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let response = builder.send().await.map_err(|e| match no_such_host(&e, &request.url) {
            Some(host) => Failure {
                error: Error::new(Kind::Config, format!("{host} does not resolve: {}", self.dialect.host_check())),
                retry: Retry::Never,
            },
            None => send_failure(&e, name, kind, self.dialect),
        })?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers().get(RETRY_AFTER), SystemTime::now());
        let is_html =
            response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
        let bytes = response.bytes().await;

        // 1. Authentication.
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let error = if status == StatusCode::UNAUTHORIZED {
                Error::new(Kind::AuthRejected, "the API rejected the token (HTTP 401)").hint(self.dialect.token_hint())
            } else {
                Error::new(Kind::PermissionDenied, "the token is not allowed to do this (HTTP 403)")
                    .hint(self.dialect.permission_hint())
            };
            return Err(Failure { error, retry: Retry::Never });
        }
        // 2. Rate limit: the server did not process the request.
        if status == StatusCode::TOO_MANY_REQUESTS {
            let message = match retry_after {
                Some(d) => format!("rate limited by the API (HTTP 429, retry after {})", human_duration(d)),
                None => "rate limited by the API (HTTP 429)".to_owned(),
            };
            let error = Error::new(Kind::RateLimited, message)
                .hint("another client may share this token; lower TGCTL_WRITES_PER_MINUTE / TGCTL_READS_PER_MINUTE");
            return Err(Failure { error, retry: Retry::Safe(retry_after) });
        }
        // 3. Server errors.
        if status.is_server_error() {
            let error = match kind {
                OpKind::Read => Error::new(Kind::Network, format!("the API answered HTTP {}", status.as_u16())),
                OpKind::Write => Error::new(
                    Kind::OutcomeUnknown,
                    format!(
                        "the API answered HTTP {} to {name}; it was not retried because it may have been applied",
                        status.as_u16()
                    ),
                )
                .hint("check the current state (e.g. with `list`) before running it again"),
            };
            let retry = if status == StatusCode::NOT_IMPLEMENTED { Retry::Never } else { Retry::IfRead };
            return Err(Failure { error, retry });
        }
        let bytes = match bytes {
            Ok(b) => b.to_vec(),
            Err(e) => {
                return Err(match kind {
                    OpKind::Read => Failure {
                        error: Error::new(
                            Kind::Network,
                            format!("reading the API's answer failed: {}", reqwest_reason(&e)),
                        ),
                        retry: Retry::IfRead,
                    },
                    OpKind::Write => outcome_unknown(name, "the connection broke while reading the answer"),
                });
            }
        };
        // 4. Not the API at all.
        let looks_html = is_html || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if looks_html {
            let error = Error::new(
                Kind::BadResponse,
                format!(
                    "the endpoint answered HTTP {} with an HTML page, not {}",
                    status.as_u16(),
                    self.dialect.api_name()
                ),
            )
            .hint(self.dialect.endpoint_hint());
            return Err(Failure { error, retry: Retry::Never });
        }
        // 5. The protocol's own rules.
        interpret(&Answer { status, bytes }, name, kind)
    }
}

fn kind_word(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Read => "query",
        OpKind::Write => "mutation",
    }
}

/// "3s", "1m 5s", "250ms".
pub(crate) fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs_f64().round() as u64;
    if secs < 60 { format!("{secs}s") } else { format!("{}m {}s", secs / 60, secs % 60) }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawBody {
    query: &'static str,
    variables: Value,
    operation_name: &'static str,
}

#[cfg(test)]
mod tests {
    use super::super::answer::{graphql_error, rejected_payload};
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let v = HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(Some(&v), now), Some(Duration::from_secs(7)));
        let v = HeaderValue::from_static("1.5");
        assert_eq!(parse_retry_after(Some(&v), now), Some(Duration::from_millis(1500)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let v = HeaderValue::from_str(&date).unwrap();
        assert_eq!(parse_retry_after(Some(&v), now), Some(Duration::from_secs(30)));
        let v = HeaderValue::from_static("soon");
        assert_eq!(parse_retry_after(Some(&v), now), None);
        assert_eq!(parse_retry_after(None, now), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_scales_to_zero() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            let d = p.backoff(attempt);
            assert!(d <= p.max_delay, "{d:?}");
        }
        assert!(p.backoff(0) <= p.base_delay);
        let zero = RetryPolicy { scale: 0.0, ..p };
        assert_eq!(zero.backoff(5), Duration::ZERO);
    }

    #[test]
    fn ok_false_payloads_are_rejections() {
        let data = serde_json::json!({"serviceAccountKeyDelete": {"ok": false, "error": "revoke it first"}});
        let e = rejected_payload(&data).unwrap();
        assert_eq!(e.kind, Kind::Rejected);
        assert!(e.message.contains("revoke it first"));
        assert!(rejected_payload(&serde_json::json!({"x": {"ok": true}})).is_none());
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer { status: StatusCode::from_u16(status).unwrap(), bytes: body.as_bytes().to_vec() }
    }

    #[test]
    fn rest_answers_map_to_kinds() {
        let ok = rest_answer(&answer(200, r#"{"data": {"id": "a"}}"#), "GET /actors/a", OpKind::Read).unwrap();
        assert_eq!(ok["data"]["id"], "a");
        assert_eq!(rest_answer(&answer(204, ""), "DELETE /clients/c", OpKind::Write).unwrap(), Value::Null);
        let e = rest_answer(&answer(404, r#"{"error": {"reason": "Not Found"}}"#), "GET /actors/x", OpKind::Read)
            .unwrap_err();
        assert_eq!(e.error.kind, Kind::NotFound);
        assert!(e.error.message.contains("Not Found"), "{}", e.error.message);
        assert!(matches!(e.retry, Retry::Never));
        let e = rest_answer(
            &answer(
                422,
                r#"{"error": {"reason": "Unprocessable Entity", "validation_errors": {"name": ["can't be blank"]}}}"#,
            ),
            "POST /actors",
            OpKind::Write,
        )
        .unwrap_err();
        assert_eq!(e.error.kind, Kind::Rejected);
        assert_eq!(e.error.details, vec!["name: can't be blank"]);
        let e = rest_answer(&answer(400, r#"{"errors": {"detail": "Bad Request"}}"#), "POST /actors", OpKind::Write)
            .unwrap_err();
        assert_eq!(e.error.kind, Kind::Usage);
        // A 2xx body that is not JSON: retried for a read, unknown for a write.
        assert!(matches!(
            rest_answer(&answer(200, "{oops"), "GET /actors", OpKind::Read).unwrap_err().retry,
            Retry::IfRead
        ));
        let e = rest_answer(&answer(201, "{oops"), "POST /actors", OpKind::Write).unwrap_err();
        assert_eq!(e.error.kind, Kind::OutcomeUnknown);
    }

    #[test]
    fn graphql_errors_keep_every_message() {
        let errors = vec![serde_json::json!({"message": "a"}), serde_json::json!({"message": "b"})];
        let e = graphql_error("Op", &errors);
        assert_eq!(e.kind, Kind::GraphQl);
        assert_eq!(e.details, vec!["a", "b"]);
        assert!(e.message.contains("and 1 more"));
        let e = graphql_error("Op", &[serde_json::json!({"message": "Unable to parse global ID"})]);
        assert_eq!(e.kind, Kind::Usage);
        let e =
            graphql_error("Op", &[serde_json::json!({"message": "x", "extensions": {"code": "PERMISSION_DENIED"}})]);
        assert_eq!(e.kind, Kind::PermissionDenied);
    }
}
