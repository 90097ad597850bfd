//! `tgctl status`: the local connection, as the client and connect's state file see it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use jiff::Timestamp;
use serde::Serialize;

use super::Ctx;
use crate::config::env;
use crate::connect::preflight::{self, Machine};
use crate::connect::process::{Runner, human, which};
use crate::connect::provider::{ClientResource, ClientState, Provider, Twingate};
use crate::connect::state;
use crate::error::Result;
use crate::output::{Fmt, Tabular};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl status
  tgctl status -o json | jq -r .clientState")]
pub struct StatusArgs {
    /// The client binary [default: the one connect used, else TGCTL_TWINGATE_BIN, else `twingate` on PATH]
    #[arg(long, value_name = "PATH")]
    pub client_bin: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusOutput {
    /// What `twingate status` says (`not-installed` when there is no client).
    pub client_state: String,
    /// A connection made by `tgctl connect` is recorded.
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_bin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<i64>,
    pub resources: Vec<ClientResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_file: Option<String>,
    /// `tun` or `proxy`, as connect recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Proxy mode: the client's HTTP proxy, and whether it accepts connections now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_accepting: Option<bool>,
    /// Forwards started by `connect --forward`, and whether each still listens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forwards: Vec<ForwardStatus>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardStatus {
    pub listen: String,
    pub target: String,
    pub pid: u32,
    pub listening: bool,
}

impl Tabular for StatusOutput {
    fn headers() -> &'static [&'static str] {
        &["client state", "connected", "key", "key expires", "uptime", "resources"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        self.details(f).into_iter().map(|(_, v)| v).collect()
    }

    fn id(&self) -> &str {
        self.key_id.as_deref().unwrap_or_default()
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d = vec![("client state", self.client_state.clone()), ("connected", self.connected.to_string())];
        if let Some(s) = &self.connect_status {
            d.push(("connect status", s.clone()));
        }
        if let Some(b) = &self.client_bin {
            d.push(("client", b.clone()));
        }
        if let Some(k) = &self.key_id {
            d.push(("key", k.clone()));
            d.push(("key expires", f.opt_time(self.key_expires_at.as_ref(), "never")));
        }
        if let Some(m) = &self.minted_key_id {
            d.push(("minted key", m.clone()));
        }
        if let Some(u) = self.uptime_seconds {
            d.push(("uptime", human(Duration::from_secs(u.unsigned_abs()))));
        }
        if let Some(m) = &self.network_mode {
            d.push(("network mode", m.clone()));
        }
        if let Some(p) = &self.proxy {
            let up = if self.proxy_accepting == Some(true) { "accepting" } else { "not accepting" };
            d.push(("proxy", format!("http://{p} ({up})")));
        }
        for f in &self.forwards {
            let up = if f.listening { "" } else { " (not listening)" };
            d.push(("forward", format!("{} -> {}{up}", f.listen, f.target)));
        }
        let names: Vec<String> = self.resources.iter().map(|r| format!("{} ({})", r.name, r.address)).collect();
        d.push(("resources", names.join(", ")));
        d
    }
}

pub async fn run(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let path = state::path(&ctx.env)?;
    let st = state::load(&path)?;
    let firezone = match &st {
        Some(s) => s.provider == "firezone",
        None => ctx.provider()? == crate::config::ProviderKind::Firezone,
    };
    if firezone {
        return super::firezone::connect::status(ctx, st.as_ref(), &path);
    }
    let bin = match (&args.client_bin, &st) {
        (Some(b), _) => preflight::find_client(&ctx.env, Some(b)).ok(),
        (None, Some(s)) if s.client_bin.exists() => Some(s.client_bin.clone()),
        _ => preflight::find_client(&ctx.env, None).ok(),
    };
    let sudo = st.as_ref().filter(|s| s.sudo).and_then(|_| which("sudo", ctx.env.get(env::PATH)));
    let (client_state, live_resources) = match &bin {
        None => ("not-installed".to_owned(), None),
        Some(b) => {
            let provider = Twingate {
                bin: b.clone(),
                runner: Runner::new(sudo),
                log: Machine::from_env(&ctx.env).log_source(),
                proxy: None,
            };
            let s = provider.state(Duration::from_secs(10)).await;
            let resources =
                if s == ClientState::Online { provider.resources(Duration::from_secs(10)).await.ok() } else { None };
            (s.to_string(), resources)
        }
    };
    let accepts = |addr: &str| {
        let addr = addr.to_owned();
        async move {
            tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr))
                .await
                .is_ok_and(|r| r.is_ok())
        }
    };
    let proxy = st.as_ref().and_then(|s| s.proxy.clone());
    let proxy_accepting = match &proxy {
        Some(p) => Some(accepts(p).await),
        None => None,
    };
    let mut forwards = Vec::new();
    for f in st.as_ref().map(|s| s.forwards.clone()).unwrap_or_default() {
        let listening = accepts(&f.listen).await;
        forwards.push(ForwardStatus { listen: f.listen, target: f.target, pid: f.pid, listening });
    }
    let now = Timestamp::now();
    let out = StatusOutput {
        client_state,
        connected: st.is_some(),
        connect_status: st.as_ref().map(|s| s.status.clone()),
        client_bin: bin.map(|b| b.display().to_string()),
        key_id: st.as_ref().and_then(|s| s.key_id.clone()),
        key_expires_at: st.as_ref().and_then(|s| s.key_expires_at),
        minted_key_id: st.as_ref().and_then(|s| s.minted_key.as_ref().map(|m| m.id.clone())),
        started_at: st.as_ref().map(|s| s.started_at),
        online_at: st.as_ref().and_then(|s| s.online_at),
        uptime_seconds: st.as_ref().and_then(|s| s.online_at).map(|t| (now.as_second() - t.as_second()).max(0)),
        resources: live_resources.or_else(|| st.as_ref().map(|s| s.resources.clone())).unwrap_or_default(),
        state_file: st.as_ref().map(|_| path.display().to_string()),
        network_mode: st.as_ref().map(|s| s.network_mode.clone().unwrap_or_else(|| "tun".to_owned())),
        proxy,
        proxy_accepting,
        forwards,
    };
    ctx.printer.object(&out)
}
