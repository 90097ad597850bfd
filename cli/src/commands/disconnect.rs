//! `tgctl disconnect`: undo exactly what `connect` recorded in its state file. Safe to run
//! twice, after a failed connect, or with no connection at all.

use clap::Args;

use super::Ctx;
#[cfg(unix)]
use crate::config::ProviderKind;
#[cfg(unix)]
use crate::connect::engine;
#[cfg(unix)]
use crate::connect::provider::Provider;
#[cfg(unix)]
use crate::connect::providers::{self, Visit};
#[cfg(unix)]
use crate::connect::state::State;
#[cfg(unix)]
use crate::connect::undo::UndoReport;
use crate::error::Result;
#[cfg(unix)]
use crate::output::{Fmt, Tabular};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl disconnect                # in a post step, after_script or `when: always`
  tgctl disconnect -o json
  tgctl disconnect --client-bin /opt/twingate/bin/twingate   # a client connect found by --client-bin

What is undone comes from the state file connect wrote: the client is stopped if connect
started it, its stored key removed if connect set it up, leftover processes ended, and a key
minted with --mint revoked and deleted (this needs the API token). Nothing recorded: nothing
to do, exit 0.")]
pub(crate) struct DisconnectArgs {
    /// The client binary to stop and reset (default: TGCTL_TWINGATE_BIN, else `twingate` on
    /// PATH). Never the path recorded by connect: the state is not trusted to name a program.
    #[arg(long, value_name = "PATH")]
    pub(crate) client_bin: Option<std::path::PathBuf>,
}

#[cfg(unix)]
impl Tabular for UndoReport {
    fn headers() -> &'static [&'static str] {
        &["connected", "stopped client", "removed client key", "ended process groups", "revoked key"]
    }

    fn cells(&self, _f: &Fmt) -> Vec<String> {
        vec![
            self.connected.to_string(),
            self.stopped_client.to_string(),
            self.removed_client_key.to_string(),
            self.ended_process_groups.to_string(),
            self.revoked_key_id.clone().unwrap_or_default(),
        ]
    }

    fn id(&self) -> &str {
        self.revoked_key_id.as_deref().unwrap_or_default()
    }
}

/// Elsewhere than Linux (not compiled there: the clients it supervises are Linux programs).
#[cfg(not(unix))]
pub(crate) async fn run(_ctx: &Ctx, _args: DisconnectArgs) -> Result<()> {
    Err(crate::connect::unsupported_os(std::env::consts::OS)
        .unwrap_or_else(|| crate::error::Error::internal("unreachable")))
}

#[cfg(unix)]
pub(crate) async fn run(ctx: &Ctx, args: DisconnectArgs) -> Result<()> {
    if let Some(e) = crate::connect::unsupported_os(std::env::consts::OS) {
        return Err(e);
    }
    let Some(mut st) = State::load(&ctx.env)? else {
        ctx.printer.info("Not connected: nothing to undo.");
        return ctx.printer.object(&UndoReport::default());
    };
    // The provider that connected, as recorded.
    let provider = ProviderKind::parse(&st.provider).unwrap_or_default();
    let client_bin = args.client_bin.as_deref();
    let report = providers::with(provider, Disconnect { ctx, st: &mut st, client_bin }).await?;
    for w in &report.warnings {
        ctx.printer.warn(w);
    }
    ctx.printer.success("Disconnected.");
    ctx.printer.object(&report)
}

#[cfg(unix)]
struct Disconnect<'a> {
    ctx: &'a Ctx,
    st: &'a mut State,
    client_bin: Option<&'a std::path::Path>,
}

#[cfg(unix)]
impl Visit for Disconnect<'_> {
    type Output = Result<UndoReport>;

    async fn visit<P: Provider>(self) -> Result<UndoReport> {
        let Disconnect { ctx, st, client_bin } = self;
        ctx.hosted(P::API, async |host| match client_bin {
            // --client-bin: the client is found as TGCTL_TWINGATE_BIN would find it.
            Some(bin) => {
                let env = host.env.clone().with(crate::config::env::TGCTL_TWINGATE_BIN, bin.to_string_lossy());
                let host = crate::connect::provider::Host {
                    env: &env,
                    network: host.network,
                    events: host.events.clone(),
                    api: host.api,
                };
                engine::disconnect::<P>(&host, st).await
            }
            None => engine::disconnect::<P>(host, st).await,
        })
        .await
    }
}
