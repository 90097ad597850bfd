//! Leases: minting a key for a verified job, releasing it, and the reaper that revokes and
//! deletes keys whose lease ended (released, past its end, or left mid-mint by a crash).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use tgctl::api::Ref;
use tgctl::api::service_keys;
use tgctl::error::Kind;

use crate::Broker;
use crate::config::{MAX_LEASE, Rule};
use crate::metrics::label;
use crate::oidc::Verified;
use crate::store::{Lease, state};

/// The advisory lock key of the reaper's round (any fixed number; "tgbr").
const REAPER_LOCK: i64 = 0x7467_6272;

/// The API counts a key's expiry in whole days; the lease (at most 1 day) ends sooner and the
/// reaper revokes the key then.
const KEY_EXPIRY_DAYS: i64 = 1;

/// A mint that has not finished after this long is presumed dead (another replica's crash).
const MINT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Claims worth keeping in the audit trail (GitHub, GitLab, CircleCI names).
const AUDIT_CLAIMS: &[&str] = &[
    "sub",
    "repository",
    "ref",
    "environment",
    "workflow_ref",
    "job_workflow_ref",
    "run_id",
    "run_attempt",
    "actor",
    "project_path",
    "ref_protected",
    "pipeline_id",
    "job_id",
    "oidc.circleci.com/project-id",
    "oidc.circleci.com/job-id",
    "oidc.circleci.com/pipeline-id",
];

pub enum MintError {
    NoRule,
    TooMany,
    Api(tgctl::error::Error),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for MintError {
    fn from(e: anyhow::Error) -> Self {
        MintError::Internal(e)
    }
}

pub struct Minted {
    pub lease: Lease,
    pub key_id: String,
    pub token: SecretString,
}

/// Leases this process is minting right now (not stale, whatever their age).
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    fn add(&self, id: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_owned());
    }
    fn remove(&self, id: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
    fn has(&self, id: &str) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).contains(id)
    }
}

/// The first rule of the token's issuer whose every claim matches.
pub fn rule_for<'a>(rules: &'a [Rule], v: &Verified) -> Option<&'a Rule> {
    rules.iter().find(|r| {
        r.issuer == v.issuer && r.claims.iter().all(|(name, m)| v.claims.get(name).is_some_and(|c| m.allows(c)))
    })
}

/// The claims that go into the audit trail, and the job's URL where the claims tell it.
pub fn audit_claims(v: &Verified, rule: &Rule) -> Value {
    let mut out = Map::new();
    for name in AUDIT_CLAIMS.iter().copied().chain(rule.claims.keys().map(String::as_str)) {
        if let Some(c) = v.claims.get(name) {
            out.insert(name.to_owned(), c.clone());
        }
    }
    let s = |k: &str| v.claims.get(k).and_then(Value::as_str).map(str::to_owned);
    let job_url = match (s("repository"), s("run_id"), s("project_path"), s("job_id")) {
        // GitHub's token names the repository and run; the server is github.com unless the
        // issuer is a GitHub Enterprise one, whose tokens carry the same claims.
        (Some(repo), Some(run), _, _) => Some(format!("https://github.com/{repo}/actions/runs/{run}")),
        (_, _, Some(project), Some(job)) => {
            let iss = s("iss").unwrap_or_default();
            Some(format!("{}/{project}/-/jobs/{job}", iss.trim_end_matches('/')))
        }
        _ => None,
    };
    if let Some(url) = job_url {
        out.insert("job_url".into(), Value::String(url));
    }
    Value::Object(out)
}

impl Broker {
    pub async fn mint(&self, v: &Verified) -> Result<Minted, MintError> {
        let rule = rule_for(&self.config.rules, v).ok_or(MintError::NoRule)?;
        if self.store.live_count(&rule.name).await? >= i64::from(rule.max_concurrent) {
            return Err(MintError::TooMany);
        }
        let now = jiff::Timestamp::now().as_second();
        let token_left = (v.exp - now).max(0) as u64;
        let life = Duration::from_secs(token_left).saturating_add(self.config.lease.grace);
        let life = life.min(rule.max_lifetime).min(MAX_LEASE);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let claims = audit_claims(v, rule);
        let lease = Lease {
            key_name: format!("tgctl-broker-{}", &id[..12]),
            id,
            state: state::MINTING.into(),
            rule: rule.name.clone(),
            service_account: rule.service_account.clone(),
            subject: v.subject.clone(),
            key_id: None,
            created_at: now,
            expires_at: now + life.as_secs() as i64,
            claims: claims.to_string(),
        };
        self.in_flight.add(&lease.id);
        self.mint_recorded(lease).await
    }

    async fn mint_recorded(&self, mut lease: Lease) -> Result<Minted, MintError> {
        // The intent record, before the API is asked: a crash from here on leaves a row the
        // reaper follows to the key (by its name) and revokes.
        let inserted = self.store.insert(&lease).await;
        if let Err(e) = inserted {
            self.in_flight.remove(&lease.id);
            return Err(e.into());
        }
        let api = self.api()?;
        let created =
            service_keys::create(api, &lease.service_account, Some(lease.key_name.clone()), KEY_EXPIRY_DAYS).await;
        self.in_flight.remove(&lease.id);
        match created {
            Ok(created) => {
                self.metrics.inc("tgctl_broker_api_writes_total", label("op", "create_ok"));
                if !self.store.activate(&lease.id, &created.key.id).await? {
                    return Err(MintError::Internal(anyhow::anyhow!("lease {} changed while minting", lease.id)));
                }
                lease.state = state::ACTIVE.into();
                lease.key_id = Some(created.key.id.clone());
                self.audit("mint", &lease, &created.key.id).await;
                Ok(Minted { key_id: created.key.id, lease, token: created.token })
            }
            Err(e) => {
                self.metrics.inc("tgctl_broker_api_writes_total", label("op", "create_failed"));
                // outcome_unknown: the key may exist; the row stays `minting` and the reaper
                // reconciles it. Any other failure created nothing.
                if e.kind != Kind::OutcomeUnknown {
                    let now = jiff::Timestamp::now().as_second();
                    self.store.end(&lease.id, state::MINTING, state::FAILED, "mint failed", now).await?;
                }
                Err(MintError::Api(e))
            }
        }
    }

    fn api(&self) -> Result<&tgctl::api::Client, MintError> {
        self.api.as_ref().ok_or_else(|| MintError::Internal(anyhow::anyhow!("no Admin API token configured")))
    }

    /// Marks a lease released (the reaper revokes its key). `None`: no such lease for this job.
    pub async fn release(&self, v: &Verified, lease_id: &str) -> anyhow::Result<Option<String>> {
        let Some(lease) = self.store.get(lease_id).await? else { return Ok(None) };
        if lease.subject != v.subject {
            return Ok(None);
        }
        if lease.state == state::ACTIVE {
            self.store.transition(&lease.id, state::ACTIVE, state::RELEASING).await?;
            self.wake.notify_one();
            return Ok(Some(state::RELEASING.into()));
        }
        Ok(Some(lease.state))
    }

    /// One round of the reaper, on one replica at a time.
    pub async fn reap_once(&self) -> anyhow::Result<usize> {
        let Some(_guard) = self.store.exclusive(REAPER_LOCK).await? else { return Ok(0) };
        let now = jiff::Timestamp::now().as_second();
        // SQLite serves one process: a `minting` row this process is not minting was left by
        // a broker that died. With Postgres another replica may be minting it: wait it out.
        let stale_before = if self.store.postgres { now - MINT_TIMEOUT.as_secs() as i64 } else { i64::MAX };
        let mut done = 0;
        for lease in self.store.due(now, stale_before).await? {
            if lease.state == state::MINTING && self.in_flight.has(&lease.id) {
                continue;
            }
            let reason = match lease.state.as_str() {
                state::MINTING => "left mid-mint",
                state::ACTIVE => "expired",
                state::RELEASING => "released",
                _ => "resumed",
            };
            if lease.state != state::REVOKING
                && !self.store.transition(&lease.id, &lease.state, state::REVOKING).await?
            {
                continue;
            }
            match self.revoke_and_delete(&lease).await {
                Ok(key_id) => {
                    let now = jiff::Timestamp::now().as_second();
                    if self.store.end(&lease.id, state::REVOKING, state::ENDED, reason, now).await? {
                        self.metrics.inc("tgctl_broker_reaped_total", label("why", reason));
                        if let Some(key_id) = key_id {
                            self.audit("revoke", &lease, &key_id).await;
                        }
                        done += 1;
                    }
                }
                Err(e) => crate::log(&format!("lease {}: cannot revoke its key yet: {}", lease.id, e.message)),
            }
        }
        Ok(done)
    }

    /// Revokes and deletes the lease's key (found by its name when the mint was not recorded).
    /// `None` when there was no key.
    async fn revoke_and_delete(&self, lease: &Lease) -> Result<Option<String>, tgctl::error::Error> {
        let api = self.api.as_ref().ok_or_else(|| tgctl::error::Error::internal("no Admin API token configured"))?;
        let key_id = match &lease.key_id {
            Some(id) => Some(id.clone()),
            None => self.find_key(api, lease).await?,
        };
        let Some(key_id) = key_id else { return Ok(None) };
        match service_keys::revoke(api, &key_id).await {
            Ok(_) => self.metrics.inc("tgctl_broker_api_writes_total", label("op", "revoke_ok")),
            // Already revoked or gone: what we wanted.
            Err(e) if matches!(e.kind, Kind::NotFound | Kind::Rejected) => {}
            Err(e) => return Err(e),
        }
        match service_keys::delete(api, &key_id).await {
            Ok(()) => self.metrics.inc("tgctl_broker_api_writes_total", label("op", "delete_ok")),
            Err(e) if matches!(e.kind, Kind::NotFound) => {}
            Err(e) => return Err(e),
        }
        Ok(Some(key_id))
    }

    async fn find_key(&self, api: &tgctl::api::Client, lease: &Lease) -> Result<Option<String>, tgctl::error::Error> {
        let account = Ref { id: lease.service_account.clone(), name: String::new() };
        let mut after = None;
        loop {
            let page = service_keys::list_page(api, Some(&account), after.clone(), 100).await?;
            if let Some(k) = page.nodes.iter().find(|k| k.name == lease.key_name) {
                return Ok(Some(k.id.clone()));
            }
            if !page.has_next_page || page.end_cursor.is_none() || page.end_cursor == after {
                return Ok(None);
            }
            after = page.end_cursor;
        }
    }

    /// One audit event: a row in the store and a JSON line to the audit output.
    async fn audit(&self, event: &str, lease: &Lease, key_id: &str) {
        let now = jiff::Timestamp::now();
        let claims: Value = serde_json::from_str(&lease.claims).unwrap_or(Value::Null);
        let line = json!({
            "time": now.to_string(), "event": event, "lease_id": lease.id, "rule": lease.rule,
            "service_account": lease.service_account, "key_id": key_id,
            "expires_at": jiff::Timestamp::from_second(lease.expires_at).map(|t| t.to_string()).unwrap_or_default(),
            "claims": claims,
        });
        if let Err(e) = self.store.audit(now.as_second(), event, &lease.id, &lease.rule, &line.to_string()).await {
            crate::log(&format!("cannot store an audit record: {e}"));
        }
        self.audit_out.write_line(&line.to_string());
    }
}

/// The secret of a minted key, for the one answer that carries it.
pub fn expose(token: &SecretString) -> &str {
    token.expose_secret()
}
