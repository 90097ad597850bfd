//! The running emulator's shared state: the data store, the schema, request statistics, fault
//! rules and rate limits. The HTTP layer holds one `App`; the GraphQL layer sees only the store.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::faults::Faults;
use crate::gql::{ApiSchema, Rules, build_schema};
use crate::model::{Db, Level};
use crate::ratelimit::RateLimiter;
use crate::store::Store;

#[derive(Default, Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stats {
    pub(crate) requests: u64,
    pub(crate) reads: u64,
    pub(crate) writes: u64,
    pub(crate) rate_limited: u64,
    pub(crate) applied: std::collections::BTreeMap<String, u64>,
    pub(crate) invitations: u64,
    pub(crate) logins: u64,
}

pub(crate) struct App {
    pub(crate) store: Arc<Store>,
    pub(crate) schema: ApiSchema,
    /// graphql-core's checks, run before the schema sees a request.
    pub(crate) rules: Rules,
    stats: Mutex<Stats>,
    pub(crate) faults: Faults,
    limits: Mutex<RateLimiter>,
}

impl App {
    pub(crate) fn new(db: Db, state_file: Option<std::path::PathBuf>, reads: u32, writes: u32) -> Arc<App> {
        let schema = build_schema();
        let rules = Rules::new(&schema.sdl());
        Arc::new(App {
            store: Arc::new(Store::new(db, state_file)),
            schema,
            rules,
            stats: Mutex::new(Stats::default()),
            faults: Faults::default(),
            limits: Mutex::new(RateLimiter::new(reads, writes)),
        })
    }

    pub(crate) fn token_level(&self, token: &str) -> Option<Level> {
        self.store.snapshot().api_tokens.get(token).copied()
    }

    pub(crate) fn stats(&self) -> Stats {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
        s.applied = self.store.applied();
        s.invitations = self.store.snapshot().invitations.len() as u64;
        s
    }

    pub(crate) fn with_stats(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub(crate) fn limits(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Save the data (see `Store::persist`), logging a failure rather than failing the request.
    pub(crate) async fn persist_or_log(&self) {
        if let Err(e) = self.store.persist().await {
            crate::log(&format!("saving the state failed: {e}"));
        }
    }
}
