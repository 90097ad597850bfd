//! What `tgctl status` shows: the client, as its provider sees it, and the connection
//! `connect` recorded, with the proxy and forwards it left running.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::client::ClientResource;
use super::state::State;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusOutput {
    /// What `twingate status` says (`not-installed` when there is no client).
    pub(crate) client_state: String,
    /// A connection made by `tgctl connect` is recorded.
    pub(crate) connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connect_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_bin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key_expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minted_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) online_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uptime_seconds: Option<i64>,
    pub(crate) resources: Vec<ClientResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_file: Option<String>,
    /// `tun` or `proxy`, as connect recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) network_mode: Option<String>,
    /// Proxy mode: the client's HTTP proxy, and whether it accepts connections now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proxy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proxy_accepting: Option<bool>,
    /// Forwards started by `connect --forward`, and whether each still listens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) forwards: Vec<ForwardStatus>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ForwardStatus {
    pub(crate) listen: String,
    pub(crate) target: String,
    pub(crate) pid: u32,
    pub(crate) listening: bool,
}

/// Whether something accepts TCP connections on `addr` now.
async fn accepts(addr: &str) -> bool {
    tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr.to_owned()))
        .await
        .is_ok_and(|r| r.is_ok())
}

impl StatusOutput {
    /// The parts every provider shows the same way: what the record says, and whether the
    /// recorded proxy and forwards answer. `client_state`, `client_bin` and `resources` are
    /// the provider's.
    pub(crate) async fn recorded(st: Option<&State>, client_state: String) -> Self {
        let proxy = st.and_then(|s| s.proxy.clone());
        let proxy_accepting = match &proxy {
            Some(p) => Some(accepts(p).await),
            None => None,
        };
        let mut forwards = Vec::new();
        for f in st.map(|s| s.forwards.clone()).unwrap_or_default() {
            let listening = accepts(&f.listen).await;
            forwards.push(ForwardStatus { listen: f.listen, target: f.target, pid: f.pid, listening });
        }
        let now = Timestamp::now();
        StatusOutput {
            client_state,
            connected: st.is_some(),
            connect_status: st.map(|s| s.status.clone()),
            client_bin: None,
            key_id: st.and_then(|s| s.key_id.clone()),
            key_expires_at: st.and_then(|s| s.key_expires_at),
            minted_key_id: st.and_then(|s| s.minted_key.as_ref().map(|m| m.id.clone())),
            started_at: st.map(|s| s.started_at),
            online_at: st.and_then(|s| s.online_at),
            uptime_seconds: st.and_then(|s| s.online_at).map(|t| (now.as_second() - t.as_second()).max(0)),
            resources: st.map(|s| s.resources.clone()).unwrap_or_default(),
            state_file: st.map(|s| s.path().display().to_string()),
            network_mode: st.map(|s| s.network_mode.clone().unwrap_or_else(|| "tun".to_owned())),
            proxy,
            proxy_accepting,
            forwards,
        }
    }
}
