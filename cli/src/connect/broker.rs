//! `connect --broker URL`: the job's OIDC ID token is traded at a tgctl-broker for a short-lived
//! service key, so the job holds neither an API token nor a service key. `disconnect` releases
//! the lease (the broker revokes and deletes the key; it also does at the lease's end).
//!
//! Where the job's token comes from, in this order:
//! - `TGCTL_ID_TOKEN`: any CI; GitLab's `id_tokens:` entry of that name (docs.gitlab.com,
//!   "OpenID Connect (OIDC) Authentication Using ID Tokens").
//! - GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD` with
//!   `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answering `{"value": TOKEN}`
//!   (docs.github.com, "Configuring OpenID Connect in cloud providers"; @actions/core
//!   `getIDToken`). The job needs `permissions: id-token: write`.
//! - CircleCI: `CIRCLE_OIDC_TOKEN_V2` (circleci.com/docs, "Using OpenID Connect tokens in jobs").

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::Env;
use crate::config::env;
use crate::error::{Error, Kind, Result};

/// A lease held at a broker, recorded in the state file so `disconnect` can release it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BrokerLease {
    pub(crate) url: String,
    pub(crate) lease_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) audience: Option<String>,
}

/// The broker's answer to `POST /v1/keys`.
pub(crate) struct Leased {
    pub(crate) lease: BrokerLease,
    pub(crate) key: SecretString,
    pub(crate) expires_at: Option<String>,
}

#[derive(Deserialize)]
struct KeyAnswer {
    lease_id: String,
    service_key: String,
    #[serde(default)]
    expires_at: Option<String>,
}

fn http() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("tgctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))
}

fn base(url: &str) -> Result<reqwest::Url> {
    let u = reqwest::Url::parse(url.trim_end_matches('/'))
        .map_err(|_| Error::usage(format!("--broker {url:?} is not a URL")).hint("e.g. https://broker.example.com"))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(Error::usage(format!("--broker {url:?} is not an http(s) URL")));
    }
    Ok(u)
}

/// The job's OIDC token (see the module doc for the sources).
pub(crate) async fn job_token(env: &Env, audience: Option<&str>) -> Result<SecretString> {
    if let Some(t) = env.get(env::TGCTL_ID_TOKEN) {
        return Ok(SecretString::from(t.trim().to_owned()));
    }
    if let (Some(url), Some(bearer)) =
        (env.get(env::ACTIONS_ID_TOKEN_REQUEST_URL), env.get(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN))
    {
        let mut url = reqwest::Url::parse(url)
            .map_err(|_| Error::new(Kind::Config, "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL"))?;
        if let Some(aud) = audience {
            url.query_pairs_mut().append_pair("audience", aud);
        }
        let resp = http()?.get(url).bearer_auth(bearer).send().await.map_err(|e| {
            Error::new(Kind::Network, format!("cannot get the job's OIDC token from GitHub: {}", e.without_url()))
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::new(
                Kind::AuthRejected,
                format!("GitHub refused the job's OIDC token request (HTTP {})", status.as_u16()),
            )
            .hint("give the job `permissions: id-token: write`"));
        }
        #[derive(Deserialize)]
        struct Value {
            value: String,
        }
        let v: Value = resp
            .json()
            .await
            .map_err(|_| Error::new(Kind::BadResponse, "GitHub's OIDC token answer has no `value`"))?;
        return Ok(SecretString::from(v.value));
    }
    if let Some(t) = env.get(env::CIRCLE_OIDC_TOKEN_V2) {
        return Ok(SecretString::from(t.trim().to_owned()));
    }
    Err(Error::usage("--broker needs the job's OIDC token, and none was found").hint(
        "GitHub: `permissions: id-token: write`; GitLab: `id_tokens: TGCTL_ID_TOKEN: aud: ...`; CircleCI: an OIDC-enabled job (CIRCLE_OIDC_TOKEN_V2); elsewhere: TGCTL_ID_TOKEN",
    ))
}

/// Asks the broker for a key. 401/403 from the broker are the job's identity or the policy.
pub(crate) async fn lease(env: &Env, url: &str, audience: Option<&str>) -> Result<Leased> {
    let base = base(url)?;
    let token = job_token(env, audience).await?;
    let endpoint = format!("{}/v1/keys", base.as_str().trim_end_matches('/'));
    let resp = http()?.post(&endpoint).bearer_auth(token.expose_secret()).send().await.map_err(|e| {
        Error::new(Kind::Network, format!("cannot reach the broker at {url}: {}", e.without_url()))
            .hint("check --broker and that the broker runs (GET /healthz)")
    })?;
    let status = resp.status().as_u16();
    match status {
        200 => {}
        401 => {
            return Err(Error::new(Kind::AuthRejected, "the broker did not accept this job's OIDC token")
                .hint("check --audience against the broker's issuer audiences, and the job's OIDC setup"));
        }
        403 => {
            return Err(Error::new(Kind::PermissionDenied, "the broker's policy does not allow this job")
                .hint("ask the broker's operator for a rule matching this repository and ref"));
        }
        429 => {
            return Err(Error::new(Kind::RateLimited, "the broker has this job's rule at its most keys; retry later"));
        }
        _ => {
            return Err(Error::new(Kind::Network, format!("the broker answered HTTP {status}")).hint("retry later"));
        }
    }
    let answer: KeyAnswer =
        resp.json().await.map_err(|_| Error::new(Kind::BadResponse, "the broker's answer is not a key lease"))?;
    Ok(Leased {
        lease: BrokerLease {
            url: base.as_str().trim_end_matches('/').to_owned(),
            lease_id: answer.lease_id,
            audience: audience.map(str::to_owned),
        },
        key: SecretString::from(answer.service_key),
        expires_at: answer.expires_at,
    })
}

/// Releases a lease (the broker revokes and deletes its key).
pub(crate) async fn release(env: &Env, lease: &BrokerLease) -> Result<()> {
    let token = job_token(env, lease.audience.as_deref()).await?;
    let endpoint = format!("{}/v1/keys/{}", lease.url, lease.lease_id);
    let resp = http()?.delete(&endpoint).bearer_auth(token.expose_secret()).send().await.map_err(|e| {
        Error::new(Kind::Network, format!("cannot reach the broker at {}: {}", lease.url, e.without_url()))
    })?;
    match resp.status().as_u16() {
        200..=299 | 404 => Ok(()),
        s => Err(Error::new(
            Kind::AuthRejected,
            format!("the broker refused to release lease {} (HTTP {s})", lease.lease_id),
        )
        .hint("the broker revokes the key when the lease ends")),
    }
}
