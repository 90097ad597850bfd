//! `tgctl connect [--wait] ... [-- CMD ARGS]`: runs the connect engine (`crate::connect`) with
//! the provider chosen when the command line was parsed, renders its progress, prints its
//! result.

#[cfg(unix)]
use serde::Serialize;

use super::Ctx;
use crate::config::ProviderKind;
pub(crate) use crate::connect::args::ConnectArgs;
#[cfg(unix)]
use crate::connect::engine;
#[cfg(unix)]
use crate::connect::provider::{Provider, Summary};
#[cfg(unix)]
use crate::connect::providers::{self, Visit};
use crate::error::Result;
#[cfg(unix)]
use crate::output::Format;

/// Elsewhere than Linux (not compiled there: the clients it supervises are Linux programs).
#[cfg(not(unix))]
pub(crate) async fn run(_ctx: &Ctx, _provider: ProviderKind, _args: ConnectArgs) -> Result<()> {
    Err(crate::connect::unsupported_os(std::env::consts::OS)
        .unwrap_or_else(|| crate::error::Error::internal("unreachable")))
}

#[cfg(unix)]
pub(crate) async fn run(ctx: &Ctx, provider: ProviderKind, args: ConnectArgs) -> Result<()> {
    if let Some(e) = crate::connect::unsupported_os(std::env::consts::OS) {
        return Err(e);
    }
    providers::with(provider, Connect { ctx, args }).await
}

#[cfg(unix)]
struct Connect<'a> {
    ctx: &'a Ctx,
    args: ConnectArgs,
}

#[cfg(unix)]
impl Visit for Connect<'_> {
    type Output = Result<()>;

    async fn visit<P: Provider>(self) -> Result<()> {
        let Connect { ctx, args } = self;
        let done = ctx.hosted(P::API, async |host| engine::connect::<P>(host, &args).await).await?;
        if let Some(code) = done.exit_code {
            ctx.set_exit_code(code);
        }
        if let Some(text) = done.print_env {
            return ctx.printer.raw(&text);
        }
        match done.report {
            Some(report) => print_report(ctx, &report),
            None => Ok(()),
        }
    }
}

/// The result on stdout: JSON, the key's ID, or label/value rows (tab-separated off a
/// terminal) with the client's resources.
#[cfg(unix)]
fn print_report<R: Serialize + Summary>(ctx: &Ctx, r: &R) -> Result<()> {
    match ctx.printer.format() {
        Format::Json | Format::Ndjson => ctx.printer.json(r),
        Format::Id => ctx.printer.raw(r.id()),
        Format::Table => {
            let f = ctx.printer.fmt();
            let rows = r.rows(&|t, none| f.opt_time(t, none));
            let mut text = String::new();
            if f.is_tty() {
                let width = r.label_width();
                for (k, v) in &rows {
                    text.push_str(&format!("{:<width$} {v}\n", format!("{k}:")));
                }
                if !r.resources().is_empty() {
                    text.push_str("\nRESOURCES\n");
                    for res in r.resources() {
                        text.push_str(&format!(
                            "  {}  {}{}\n",
                            res.name,
                            res.address,
                            res.alias.as_deref().map(|a| format!("  ({a})")).unwrap_or_default()
                        ));
                    }
                }
            } else {
                for (k, v) in &rows {
                    text.push_str(&format!("{}\t{v}\n", k.replace(' ', "_")));
                }
                for res in r.resources() {
                    text.push_str(&format!(
                        "resource\t{}\t{}\t{}\n",
                        res.name,
                        res.address,
                        res.alias.as_deref().unwrap_or_default()
                    ));
                }
            }
            // Resource names come from the client's status (the API): ESC and BEL made visible.
            ctx.printer.raw(&crate::output::escape_controls(&text, true))
        }
    }
}
