//! What a Twingate connect prints: JSON from [`ConnectResult`], a table from its rows.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::connect::client::ClientResource;
use crate::connect::probe::{Probed, Resolved};
use crate::connect::process::human;
use crate::connect::provider::{StageTime, Summary};
use crate::connect::proxy::NetworkMode;
use crate::connect::state;

/// What `connect` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectResult {
    /// `online` (with --wait) or `started`.
    pub(crate) status: String,
    pub(crate) provider: String,
    pub(crate) client_bin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_version: Option<String>,
    pub(crate) elapsed_ms: u64,
    pub(crate) stages: Vec<StageTime>,
    pub(crate) restarts: u32,
    pub(crate) status_polls: u32,
    pub(crate) key_id: String,
    pub(crate) key_expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minted_key_id: Option<String>,
    pub(crate) resolved: Vec<Resolved>,
    pub(crate) probes: Vec<Probed>,
    pub(crate) resources: Vec<ClientResource>,
    pub(crate) state_file: String,
    /// `tun` or `proxy`, and why (what `auto` found).
    pub(crate) network_mode: NetworkMode,
    pub(crate) network_mode_reason: String,
    /// Proxy mode: the proxy URL the job's proxy variables point at (--proxy-env).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proxy_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) forwards: Vec<state::ForwardRecord>,
}

impl Summary for ConnectResult {
    fn id(&self) -> &str {
        &self.key_id
    }

    fn rows(&self, time: &dyn Fn(Option<&Timestamp>, &str) -> String) -> Vec<(&'static str, String)> {
        let r = self;
        let stages =
            r.stages.iter().map(|s| format!("{} {}", s.stage, human(Duration::from_millis(s.ms)))).collect::<Vec<_>>();
        let mut rows: Vec<(&str, String)> = vec![
            ("status", r.status.clone()),
            ("elapsed", human(Duration::from_millis(r.elapsed_ms))),
            ("stages", stages.join(", ")),
            ("client", format!("{} ({})", r.client_bin, r.client_version.as_deref().unwrap_or("unknown version"))),
            ("key", r.key_id.clone()),
            ("key expires", time(r.key_expires_at.as_ref(), "never")),
        ];
        if let Some(m) = &r.minted_key_id {
            rows.push(("minted key", m.clone()));
        }
        rows.push(("restarts", r.restarts.to_string()));
        rows.push(("network mode", format!("{} ({})", r.network_mode, r.network_mode_reason)));
        if let Some(p) = &r.proxy_url {
            rows.push(("proxy", p.clone()));
        }
        for f in &r.forwards {
            rows.push(("forward", format!("{} -> {}", f.listen, f.target)));
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

    fn resources(&self) -> &[ClientResource] {
        &self.resources
    }
}
