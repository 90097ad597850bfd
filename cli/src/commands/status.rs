//! `tgctl status`: the local connection, as the client and connect's state file see it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::Ctx;
use crate::config::ProviderKind;
use crate::connect::process::human;
use crate::connect::provider::Provider;
use crate::connect::providers::{self, Visit};
use crate::connect::state::State;
use crate::connect::status::StatusOutput;
use crate::error::Result;
use crate::output::{Fmt, Tabular};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl status
  tgctl status -o json | jq -r .clientState")]
pub(crate) struct StatusArgs {
    /// The client binary [default: the one connect used, else TGCTL_TWINGATE_BIN, else `twingate` on PATH]
    #[arg(long, value_name = "PATH")]
    pub(crate) client_bin: Option<PathBuf>,
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

pub(crate) async fn run(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let st = State::load(&ctx.env)?;
    // The provider that connected, as recorded; else the one in effect.
    let provider = match &st {
        Some(s) => ProviderKind::parse(&s.provider).unwrap_or_default(),
        None => ctx.provider()?,
    };
    let out =
        providers::with(provider, Status { ctx, st: st.as_ref(), client_bin: args.client_bin.as_deref() }).await?;
    ctx.printer.object(&out)
}

struct Status<'a> {
    ctx: &'a Ctx,
    st: Option<&'a State>,
    client_bin: Option<&'a Path>,
}

impl Visit for Status<'_> {
    type Output = Result<StatusOutput>;

    async fn visit<P: Provider>(self) -> Result<StatusOutput> {
        let Status { ctx, st, client_bin } = self;
        ctx.hosted(P::API, async |host| P::status(host, st, client_bin).await).await
    }
}
