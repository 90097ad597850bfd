//! `tgctl disconnect`: undo exactly what `connect` recorded in its state file. Safe to run
//! twice, after a failed connect, or with no connection at all.

use clap::Args;

use super::Ctx;
use crate::config::ProviderKind;
use crate::connect::engine;
use crate::connect::provider::Provider;
use crate::connect::providers::{self, Visit};
use crate::connect::state::State;
use crate::connect::undo::UndoReport;
use crate::error::Result;
use crate::output::{Fmt, Tabular};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl disconnect                # in a post step, after_script or `when: always`
  tgctl disconnect -o json

What is undone comes from the state file connect wrote: the client is stopped if connect
started it, its stored key removed if connect set it up, leftover processes ended, and a key
minted with --mint revoked and deleted (this needs the API token). Nothing recorded: nothing
to do, exit 0.")]
pub(crate) struct DisconnectArgs {}

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

pub(crate) async fn run(ctx: &Ctx, _args: DisconnectArgs) -> Result<()> {
    let Some(mut st) = State::load(&ctx.env)? else {
        ctx.printer.info("Not connected: nothing to undo.");
        return ctx.printer.object(&UndoReport::default());
    };
    // The provider that connected, as recorded.
    let provider = ProviderKind::parse(&st.provider).unwrap_or_default();
    let report = providers::with(provider, Disconnect { ctx, st: &mut st }).await?;
    for w in &report.warnings {
        ctx.printer.warn(w);
    }
    ctx.printer.success("Disconnected.");
    ctx.printer.object(&report)
}

struct Disconnect<'a> {
    ctx: &'a Ctx,
    st: &'a mut State,
}

impl Visit for Disconnect<'_> {
    type Output = Result<UndoReport>;

    async fn visit<P: Provider>(self) -> Result<UndoReport> {
        let Disconnect { ctx, st } = self;
        ctx.hosted(P::API, async |host| engine::disconnect::<P>(host, st).await).await
    }
}
