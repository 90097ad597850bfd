//! The broker's configuration file (TOML): where to listen, the database, the Admin API, the
//! OIDC issuers it trusts and the policy rules that map a job's claims to a service account.
//! docs/broker.md shows a complete file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// A key's life is never longer than this: the API counts key expiry in days, and a CI job
/// needs its key for one job.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (default `sqlite://tgctl-broker.db` beside the config) or `postgres://...`.
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub api: ApiConfig,
    #[serde(default)]
    pub lease: LeaseConfig,
    #[serde(default, rename = "issuer")]
    pub issuers: Vec<IssuerConfig>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// Where the audit log goes as JSON lines (besides the database); default: stdout.
    #[serde(default)]
    pub audit_file: Option<PathBuf>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8787))
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The Admin API's GraphQL URL; or `network` (`acme` -> https://acme.twingate.com/api/graphql/).
    pub url: Option<String>,
    pub network: Option<String>,
    /// A file holding the API token (mode 0600). Else TGCTL_BROKER_API_TOKEN.
    pub token_file: Option<PathBuf>,
    /// The tenant's limits (the API allows 60 reads and 20 writes a minute); the broker paces
    /// every write through one pacer.
    #[serde(default = "default_reads")]
    pub reads_per_minute: u32,
    #[serde(default = "default_writes")]
    pub writes_per_minute: u32,
}

fn default_reads() -> u32 {
    60
}
fn default_writes() -> u32 {
    20
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseConfig {
    /// Added to the job token's remaining lifetime to give the lease's end.
    #[serde(default = "default_grace", with = "duration")]
    pub grace: Duration,
    /// How often the reaper looks for ended leases.
    #[serde(default = "default_reap", with = "duration")]
    pub reap_every: Duration,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self { grace: default_grace(), reap_every: default_reap() }
    }
}

fn default_grace() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_reap() -> Duration {
    Duration::from_secs(30)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The name rules refer to (`github`, `gitlab`, ...).
    pub name: String,
    /// The issuer URL exactly as tokens carry it in `iss`.
    pub url: String,
    /// Accepted `aud` values; a token must carry one of them.
    pub audiences: Vec<String>,
    /// The least time between two JWKS fetches caused by an unknown `kid` (a flood of forged
    /// kids must not become a flood of requests to the issuer).
    #[serde(default = "default_refetch", with = "duration")]
    pub jwks_refetch_min: Duration,
    /// Cached keys are fetched again after this long, even without an unknown kid.
    #[serde(default = "default_jwks_ttl", with = "duration")]
    pub jwks_ttl: Duration,
}

fn default_refetch() -> Duration {
    Duration::from_secs(10)
}
fn default_jwks_ttl() -> Duration {
    Duration::from_secs(3600)
}

/// Claims -> a service account, with limits. Every listed claim must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name for audit lines and metrics.
    pub name: String,
    /// The issuer's `name`.
    pub issuer: String,
    /// Claim name -> one value or a list of allowed values. A value ending in `*` matches by
    /// prefix (`refs/heads/release/*`). Booleans and numbers compare as their JSON text.
    pub claims: BTreeMap<String, ClaimMatch>,
    /// The service account's ID.
    pub service_account: String,
    /// The longest a key minted under this rule lives (at most 1 day).
    #[serde(default = "default_rule_life", with = "duration")]
    pub max_lifetime: Duration,
    /// Keys of this rule alive at once.
    #[serde(default = "default_concurrent")]
    pub max_concurrent: u32,
    /// Pre-minted keys kept ready for this rule's service account (0: mint on demand).
    #[serde(default)]
    pub pool: u32,
}

fn default_rule_life() -> Duration {
    Duration::from_secs(3600)
}
fn default_concurrent() -> u32 {
    10
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ClaimMatch {
    // A list first: a list is a `toml::Value` too.
    Any(Vec<toml::Value>),
    One(toml::Value),
}

impl ClaimMatch {
    pub fn allows(&self, claim: &serde_json::Value) -> bool {
        let text = match claim {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => claim.to_string(),
            _ => return false,
        };
        let one = |want: &toml::Value| {
            let want = match want {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match want.strip_suffix('*') {
                Some(prefix) => text.starts_with(prefix),
                None => text == want,
            }
        };
        match self {
            ClaimMatch::One(v) => one(v),
            ClaimMatch::Any(vs) => vs.iter().any(one),
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut config: Config = toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        if config.database.is_none() {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            config.database = Some(format!("sqlite://{}", dir.join("tgctl-broker.db").display()));
        }
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        for issuer in &self.issuers {
            let url = reqwest::Url::parse(&issuer.url).with_context(|| format!("issuer {}: bad url", issuer.name))?;
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]" | "::1"));
            if url.scheme() != "https" && !loopback {
                bail!("issuer {}: the URL must be https (plain http only on loopback, for tests)", issuer.name);
            }
            if issuer.audiences.is_empty() {
                bail!("issuer {}: list at least one audience", issuer.name);
            }
        }
        for rule in &self.rules {
            if !self.issuers.iter().any(|i| i.name == rule.issuer) {
                bail!("rule {}: no issuer named {:?}", rule.name, rule.issuer);
            }
            if rule.claims.is_empty() {
                bail!("rule {}: list the claims it requires (a rule without claims would allow every job)", rule.name);
            }
            if rule.max_lifetime > MAX_LEASE || rule.max_lifetime.is_zero() {
                bail!("rule {}: max_lifetime must be between 1s and 1d", rule.name);
            }
        }
        Ok(())
    }
}

/// Durations in the config are text: `90s`, `15m`, `1h`, `1d` (tgctl's own parser).
mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        tgctl::parse::duration(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_matching() {
        let m: ClaimMatch = ClaimMatch::Any(vec!["refs/heads/main".into(), "refs/tags/v*".into()]);
        assert!(m.allows(&serde_json::json!("refs/heads/main")));
        assert!(m.allows(&serde_json::json!("refs/tags/v1.2")));
        assert!(!m.allows(&serde_json::json!("refs/heads/mainx")));
        assert!(!m.allows(&serde_json::json!(["refs/heads/main"])));
        let b = ClaimMatch::One(toml::Value::Boolean(true));
        assert!(b.allows(&serde_json::json!(true)));
        assert!(b.allows(&serde_json::json!("true")));
        assert!(!b.allows(&serde_json::json!(false)));
    }
}
