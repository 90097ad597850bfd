//! What a Firezone connect prints: JSON from [`FirezoneConnectResult`], a table from its rows.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::connect::probe::{Probed, Resolved};
use crate::connect::process::human;
use crate::connect::provider::{StageTime, Summary};

/// What `connect --provider firezone` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FirezoneConnectResult {
    /// `online` (with --wait) or `started`.
    pub(crate) status: String,
    pub(crate) provider: String,
    pub(crate) client_bin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_version: Option<String>,
    pub(crate) elapsed_ms: u64,
    pub(crate) stages: Vec<StageTime>,
    pub(crate) firezone_id: String,
    pub(crate) name: String,
    /// The last `STATUS=` the client sent before `READY=1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minted_token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token_expires_at: Option<Timestamp>,
    pub(crate) resolved: Vec<Resolved>,
    pub(crate) probes: Vec<Probed>,
    pub(crate) client_pid: u32,
    pub(crate) client_log: String,
    pub(crate) state_file: String,
}

impl Summary for FirezoneConnectResult {
    fn id(&self) -> &str {
        &self.firezone_id
    }

    fn rows(&self, _time: &dyn Fn(Option<&Timestamp>, &str) -> String) -> Vec<(&'static str, String)> {
        let r = self;
        let stages: Vec<String> =
            r.stages.iter().map(|s| format!("{} {}", s.stage, human(Duration::from_millis(s.ms)))).collect();
        let mut rows: Vec<(&str, String)> = vec![
            ("status", r.status.clone()),
            ("elapsed", human(Duration::from_millis(r.elapsed_ms))),
            ("stages", stages.join(", ")),
            ("client", format!("{} ({})", r.client_bin, r.client_version.as_deref().unwrap_or("unknown version"))),
            ("firezone id", r.firezone_id.clone()),
            ("name", r.name.clone()),
        ];
        if let Some(m) = &r.minted_token_id {
            rows.push(("minted token", m.clone()));
        }
        for res in &r.resolved {
            let addrs: Vec<String> = res.addresses.iter().map(ToString::to_string).collect();
            rows.push(("resolved", format!("{} -> {}", res.host, addrs.join(", "))));
        }
        for p in &r.probes {
            rows.push(("probed", format!("{} ({})", p.target, p.address)));
        }
        rows
    }

    fn label_width(&self) -> usize {
        13
    }
}
