//! What one attempt of the transport got, classified: the shared rules (a host that does not
//! exist, a connection never made, a timeout) and each protocol's (GraphQL: `errors`, `data`,
//! `{ok: false}`; REST: status and error bodies), each with whether another attempt may be made.
//! The loop that acts on it is in `transport.rs`; this file imports nothing from it.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde_json::Value;

use super::pacer::OpKind;
use crate::error::{Error, Kind, Result};

/// Which API a client talks to: how it authenticates, and what its errors advise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Twingate's GraphQL Admin API: `X-API-KEY`.
    Twingate,
    /// Firezone's REST API: `Authorization: Bearer`.
    Firezone,
}

impl Dialect {
    pub(super) fn token_hint(self) -> &'static str {
        match self {
            Dialect::Twingate => "check the token and network, then run `tgctl auth login` or set TWINGATE_API_TOKEN",
            Dialect::Firezone => {
                "check FIREZONE_API_TOKEN (an API token from the admin portal: Settings > API Clients) and FIREZONE_API_URL"
            }
        }
    }

    pub(super) fn permission_hint(self) -> &'static str {
        match self {
            Dialect::Twingate => "use a token with the needed permission (Read, Write & Provision for keys)",
            Dialect::Firezone => "use an API token of an API client allowed to manage actors, tokens and clients",
        }
    }

    pub(super) fn endpoint_hint(self) -> &'static str {
        match self {
            Dialect::Twingate => {
                "check --network / TWINGATE_NETWORK (the tenant name in <network>.twingate.com) or TGCTL_API_URL"
            }
            Dialect::Firezone => "check FIREZONE_API_URL (default https://api.firezone.dev)",
        }
    }

    /// What to check when the API's host name does not exist.
    pub(super) fn host_check(self) -> &'static str {
        match self {
            Dialect::Twingate => "check --network (or TWINGATE_NETWORK, TWINGATE_URL, TGCTL_API_URL)",
            Dialect::Firezone => "check FIREZONE_API_URL",
        }
    }

    pub(super) fn connect_hint(self) -> &'static str {
        match self {
            Dialect::Twingate => "check the network name, TWINGATE_URL / TGCTL_API_URL and your connection",
            Dialect::Firezone => "check FIREZONE_API_URL and your connection",
        }
    }

    pub(super) fn api_name(self) -> &'static str {
        match self {
            Dialect::Twingate => "the Admin API",
            Dialect::Firezone => "the Firezone API",
        }
    }
}

/// What an attempt got back, for the per-protocol part of the classification.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) bytes: Vec<u8>,
}

/// The per-protocol part of the classification.
pub(super) type Interpret = fn(&Answer, &str, OpKind) -> Result<Value, Failure>;

/// Why one attempt failed, and whether another may be made.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) error: Error,
    pub(super) retry: Retry,
}

#[derive(Debug)]
pub(super) enum Retry {
    /// The request never reached the server (or the server refused it unprocessed).
    Safe(Option<Duration>),
    /// Retry only if the operation is a query.
    IfRead,
    Never,
}

/// A body that is not JSON: retried for a read; for a write, its fate is unknown.
pub(super) fn not_json(answer: &Answer, kind: OpKind) -> Failure {
    let error = Error::new(
        Kind::BadResponse,
        format!(
            "the API answered HTTP {} with a body that is not valid JSON ({} bytes)",
            answer.status.as_u16(),
            answer.bytes.len()
        ),
    );
    match kind {
        // A broken answer to a read is worth another try; an error page (4xx) is not.
        OpKind::Read if answer.status.is_success() => Failure { error, retry: Retry::IfRead },
        OpKind::Read => Failure { error, retry: Retry::Never },
        // A 4xx was not processed; a broken 2xx (or 3xx) might have been.
        OpKind::Write if answer.status.is_client_error() => Failure { error, retry: Retry::Never },
        OpKind::Write => Failure {
            error: Error { kind: Kind::OutcomeUnknown, ..error }
                .hint("the write may have been applied; check the current state before running it again"),
            retry: Retry::Never,
        },
    }
}

/// GraphQL: `errors`, then other HTTP errors, then `data`, then `{ok: false}` payloads.
pub(super) fn graphql_answer(answer: &Answer, name: &str, kind: OpKind) -> Result<Value, Failure> {
    let status = answer.status;
    let json: Value = serde_json::from_slice(&answer.bytes).map_err(|_| not_json(answer, kind))?;
    // GraphQL errors (HTTP 200 or 400).
    if let Some(errors) = json.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        return Err(Failure { error: graphql_error(name, errors), retry: Retry::Never });
    }
    if !status.is_success() {
        let error = Error::new(Kind::BadResponse, format!("the API answered HTTP {}", status.as_u16()));
        return Err(Failure { error, retry: Retry::Never });
    }
    // Missing data.
    let data = match json.get("data") {
        Some(Value::Null) | None => {
            let error = Error::new(Kind::BadResponse, format!("the API's answer to {name} has no data"));
            return Err(Failure { error, retry: Retry::Never });
        }
        Some(d) => d.clone(),
    };
    // {ok: false} payloads.
    if kind == OpKind::Write
        && let Some(error) = rejected_payload(&data)
    {
        return Err(Failure { error, retry: Retry::Never });
    }
    Ok(data)
}

/// REST (Firezone): 404, 400/422 with their reasons, other HTTP errors; a 2xx answer is the whole
/// JSON body (`Value::Null` when empty).
pub(super) fn rest_answer(answer: &Answer, name: &str, kind: OpKind) -> Result<Value, Failure> {
    let status = answer.status;
    let empty = answer.bytes.iter().all(u8::is_ascii_whitespace);
    if status.is_success() {
        if empty {
            return Ok(Value::Null);
        }
        return serde_json::from_slice(&answer.bytes).map_err(|_| not_json(answer, kind));
    }
    let json: Value = if empty { Value::Null } else { serde_json::from_slice(&answer.bytes).unwrap_or(Value::Null) };
    let (reason, details) = rest_reason(&json);
    let said = reason.map(|r| format!(": {r}")).unwrap_or_default();
    let mut error = match status {
        StatusCode::NOT_FOUND => Error::not_found(format!("{name}: not found (HTTP 404){said}")),
        StatusCode::BAD_REQUEST => Error::usage(format!("{name} was refused as a bad request (HTTP 400){said}")),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            Error::rejected(format!("{name} was rejected (HTTP {}){said}", status.as_u16()))
        }
        _ => Error::new(Kind::BadResponse, format!("{name}: the API answered HTTP {}{said}", status.as_u16())),
    };
    error.details = details;
    Err(Failure { error, retry: Retry::Never })
}

/// The reason of a REST error body: `{"error": {"reason": ...}}` (Firezone), `{"errors":
/// {"detail": ...}}` (Phoenix), or problem details (`detail` / `title`); validation errors as
/// `field: message` details.
pub(super) fn rest_reason(json: &Value) -> (Option<String>, Vec<String>) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let reason = text(json.pointer("/error/reason"))
        .or_else(|| text(json.pointer("/errors/detail")))
        .or_else(|| text(json.get("detail")))
        .or_else(|| text(json.get("title")))
        .or_else(|| text(json.get("error")));
    let mut details = Vec::new();
    for key in ["/error/validation_errors", "/errors", "/error/errors"] {
        if let Some(map) = json.pointer(key).and_then(Value::as_object) {
            for (field, messages) in map {
                if field == "detail" {
                    continue;
                }
                let list: Vec<String> = match messages {
                    Value::Array(a) => {
                        a.iter().map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned)).collect()
                    }
                    Value::String(s) => vec![s.clone()],
                    other => vec![other.to_string()],
                };
                details.push(format!("{field}: {}", list.join(", ")));
            }
        }
    }
    (reason, details)
}

pub(super) fn outcome_unknown(name: &str, why: &str) -> Failure {
    Failure {
        error: Error::new(
            Kind::OutcomeUnknown,
            format!("{why}; {name} may or may not have been applied, so it was not re-sent"),
        )
        .hint("check the current state (e.g. with `list`) before running it again"),
        retry: Retry::Never,
    }
}

pub(super) fn send_failure(e: &reqwest::Error, name: &str, kind: OpKind, dialect: Dialect) -> Failure {
    if e.is_connect() {
        // No connection means no request reached the server: safe to retry any operation.
        let error = Error::new(Kind::Network, format!("cannot connect to the API: {}", reqwest_reason(e)))
            .hint(dialect.connect_hint());
        return Failure { error, retry: Retry::Safe(None) };
    }
    match kind {
        OpKind::Read => {
            let what = if e.is_timeout() {
                "the request timed out".to_owned()
            } else {
                format!("the request failed: {}", reqwest_reason(e))
            };
            Failure {
                error: Error::new(Kind::Network, what).hint("TGCTL_HTTP_TIMEOUT sets the time one attempt may take"),
                retry: Retry::IfRead,
            }
        }
        OpKind::Write if e.is_timeout() => outcome_unknown(name, "the request timed out after it was sent"),
        OpKind::Write => {
            outcome_unknown(name, &format!("the request failed after it was sent ({})", reqwest_reason(e)))
        }
    }
}

/// The host, when `e` says that its name does not exist in DNS. That answer is final (a typo in
/// --network does not fix itself), unlike a temporary resolver failure (EAI_AGAIN), which stays
/// a retried network error. getaddrinfo's wording of EAI_NONAME/EAI_NODATA per platform: glibc
/// and musl ("Name or service not known", "No address associated with hostname", "Name does
/// not resolve"), macOS ("nodename nor servname provided, or not known"), Windows ("No such host
/// is known").
pub(super) fn no_such_host(e: &reqwest::Error, url: &reqwest::Url) -> Option<String> {
    const NONAME: [&str; 5] = [
        "name or service not known",
        "no address associated with hostname",
        "name does not resolve",
        "nodename nor servname provided",
        "no such host is known",
    ];
    if !e.is_connect() {
        return None;
    }
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut dns = false;
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        dns |= text.contains("dns error");
        if dns && NONAME.iter().any(|n| text.contains(n)) {
            return url.host_str().map(str::to_owned);
        }
        source = s.source();
    }
    None
}

/// The innermost cause, without URLs (which are ours and noisy).
pub(super) fn reqwest_reason(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    let text = source.to_string();
    if text.is_empty() { e.to_string() } else { text }
}

pub(super) fn graphql_error(name: &str, errors: &[Value]) -> Error {
    let messages: Vec<String> =
        errors.iter().map(|e| e.get("message").and_then(Value::as_str).unwrap_or("(no message)").to_owned()).collect();
    let permission = errors.iter().any(|e| {
        e.pointer("/extensions/code").and_then(Value::as_str) == Some("PERMISSION_DENIED")
            || e.get("message").and_then(Value::as_str).is_some_and(|m| m.starts_with("Permission denied"))
    });
    let first = messages.first().cloned().unwrap_or_default();
    let mut error = if permission {
        Error::new(Kind::PermissionDenied, format!("{name}: {first}"))
            .hint("create a token with the needed permission level in the Admin Console (Settings > API)")
    } else if first.contains("Unable to parse global ID") {
        Error::new(Kind::Usage, format!("{name}: {first}"))
            .hint("IDs look like U2VydmljZUFjY291bnQ6...; copy one from a `list` or pass the name")
    } else {
        Error::new(Kind::GraphQl, format!("{name} failed: {first}"))
    };
    if messages.len() > 1 {
        error.message.push_str(&format!(" (and {} more)", messages.len() - 1));
    }
    for m in messages {
        error = error.detail(m);
    }
    error
}

/// The first root field whose payload says `ok: false`.
pub(super) fn rejected_payload(data: &Value) -> Option<Error> {
    let fields = data.as_object()?;
    for (field, payload) in fields {
        if payload.get("ok").and_then(Value::as_bool) == Some(false) {
            let message = payload.get("error").and_then(Value::as_str).unwrap_or("no reason given");
            return Some(Error::rejected(format!("{field} was rejected: {message}")));
        }
    }
    None
}

/// `Retry-After` as seconds (integer or decimal) or an HTTP date.
pub(crate) fn parse_retry_after(value: Option<&HeaderValue>, now: SystemTime) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}
