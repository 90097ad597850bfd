//! Verification of a CI job's OIDC ID token.
//!
//! Per configured issuer: OpenID discovery (`/.well-known/openid-configuration`, whose `issuer`
//! must equal the configured URL, OpenID Connect Discovery 1.0 §4.3) gives `jwks_uri`; the JWKS
//! is cached and fetched again when it is older than `jwks_ttl`, or when a token names a `kid`
//! the cache lacks (key rotation), at most once per `jwks_refetch_min`.
//!
//! A token is accepted only when: its `alg` is asymmetric (RS*, PS*, ES*, EdDSA: `none` and
//! HMAC are refused, RFC 8725 §3.1-3.2), it names a `kid` the issuer publishes (and the key's own
//! `alg`, when given, is the same), the signature verifies, `iss` is a configured issuer, `aud`
//! holds one of its audiences, and `exp`, `nbf` and `iat` hold within 60 s of skew. Replay (`jti`)
//! is checked by the caller against the store, which replicas share.
//!
//! The reason a token was refused goes to the log and metrics, never to the caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::config::IssuerConfig;
use crate::metrics::{Metrics, label};

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const SKEW_SECS: u64 = 60;

/// Only asymmetric algorithms: a shared secret would let whoever knows it mint tokens, and the
/// JWKS of an OIDC provider is public.
const ALLOWED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The configured issuer's name.
    pub issuer: String,
    pub claims: Map<String, Value>,
    /// `jti`, or a hash of the token when the issuer sets none: the replay key.
    pub replay_id: String,
    pub exp: i64,
    /// `iss` + `sub`: who may release what this token obtained.
    pub subject: String,
}

/// Why a token was refused: for logs and metrics only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub &'static str);

struct KeyCache {
    jwks_uri: Option<String>,
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

struct Issuer {
    config: IssuerConfig,
    cache: Mutex<KeyCache>,
}

pub struct Verifier {
    issuers: Vec<Issuer>,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
}

impl Verifier {
    pub fn new(configs: &[IssuerConfig], metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tgctl-broker/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let issuers = configs
            .iter()
            .map(|c| Issuer {
                config: c.clone(),
                cache: Mutex::new(KeyCache { jwks_uri: None, keys: Vec::new(), fetched: None }),
            })
            .collect();
        Ok(Self { issuers, http, metrics })
    }

    pub async fn verify(&self, token: &str) -> Result<Verified, Refused> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refused("malformed or unknown alg"))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(Refused("algorithm not allowed"));
        }
        let kid = header.kid.as_deref().ok_or(Refused("no kid"))?;
        // The issuer is chosen by the unverified `iss`; the signature is then checked with that
        // issuer's keys only, and `iss` again by the validation below.
        let peek: Map<String, Value> =
            jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| Refused("malformed claims"))?;
        let iss = peek.get("iss").and_then(Value::as_str).ok_or(Refused("no iss"))?;
        let issuer = self.issuers.iter().find(|i| i.config.url == iss).ok_or(Refused("unknown issuer"))?;
        let jwk = self.key(issuer, kid).await?;
        if let Some(key_alg) = &jwk.common.key_algorithm
            && format!("{key_alg:?}") != format!("{:?}", header.alg)
        {
            return Err(Refused("alg differs from the key's"));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| Refused("unusable key"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&issuer.config.url]);
        validation.set_audience(&issuer.config.audiences);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = SKEW_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            Refused(match e.kind() {
                K::InvalidSignature => "bad signature",
                K::ExpiredSignature => "expired",
                K::ImmatureSignature => "not yet valid (nbf)",
                K::InvalidAudience => "wrong audience",
                K::InvalidIssuer => "wrong issuer",
                K::MissingRequiredClaim(_) => "missing claim",
                _ => "invalid token",
            })
        })?;
        let claims = data.claims;
        let now = jiff::Timestamp::now().as_second();
        let iat = claims.get("iat").and_then(Value::as_i64).ok_or(Refused("iat is not a number"))?;
        if iat > now + SKEW_SECS as i64 {
            return Err(Refused("issued in the future (iat)"));
        }
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or(Refused("exp is not a number"))?;
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        let replay_id = match claims.get("jti").and_then(Value::as_str) {
            Some(jti) if !jti.is_empty() => format!("{iss}#{jti}"),
            _ => format!("{iss}#sha256:{:x}", Sha256::digest(token.as_bytes())),
        };
        Ok(Verified { issuer: issuer.config.name.clone(), subject: format!("{iss}#{sub}"), claims, replay_id, exp })
    }

    /// The issuer's key with this kid: from the cache, or after one (rate-limited) refetch.
    async fn key(&self, issuer: &Issuer, kid: &str) -> Result<Jwk, Refused> {
        let mut cache = issuer.cache.lock().await;
        let stale = cache.fetched.is_none_or(|t| t.elapsed() >= issuer.config.jwks_ttl);
        let found = cache.keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid)).cloned();
        match found {
            Some(k) if !stale => return Ok(k),
            _ => {}
        }
        let may_fetch = cache.fetched.is_none_or(|t| t.elapsed() >= issuer.config.jwks_refetch_min) || stale;
        if may_fetch {
            match self.fetch(&issuer.config, &mut cache).await {
                Ok(()) => {}
                Err(e) => {
                    crate::log(&format!("issuer {}: cannot fetch its keys: {e}", issuer.config.name));
                    // Keep serving the keys we had: an issuer's outage must not turn into ours.
                    if let Some(k) = found {
                        return Ok(k);
                    }
                    return Err(Refused("issuer keys unavailable"));
                }
            }
        }
        cache.keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid)).cloned().ok_or(Refused("unknown kid"))
    }

    async fn fetch(&self, config: &IssuerConfig, cache: &mut KeyCache) -> anyhow::Result<()> {
        // Counted as tried, so a failing issuer is not asked again at once either.
        cache.fetched = Some(Instant::now());
        self.metrics.inc("tgctl_broker_jwks_fetches_total", label("issuer", &config.name));
        let jwks_uri = match &cache.jwks_uri {
            Some(u) => u.clone(),
            None => {
                let url = format!("{}/.well-known/openid-configuration", config.url.trim_end_matches('/'));
                let doc: Value = self.http.get(&url).send().await?.error_for_status()?.json().await?;
                if doc.get("issuer").and_then(Value::as_str) != Some(config.url.as_str()) {
                    anyhow::bail!("its discovery document names another issuer");
                }
                let uri = doc
                    .get("jwks_uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow::anyhow!("its discovery document has no jwks_uri"))?
                    .to_owned();
                cache.jwks_uri = Some(uri.clone());
                uri
            }
        };
        let set: Value = self.http.get(&jwks_uri).send().await?.error_for_status()?.json().await?;
        let keys = set.get("keys").and_then(Value::as_array).ok_or_else(|| anyhow::anyhow!("its JWKS has no keys"))?;
        // A key of a type this crate does not know is skipped, not fatal: the set may hold more.
        cache.keys = keys.iter().filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok()).collect();
        Ok(())
    }
}
