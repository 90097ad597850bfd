//! `tgctl --provider firezone client list|delete`: the clients (devices) registered in the
//! portal, so a CI job's device can be removed after the job (`disconnect` does it for the
//! connections it made).

use clap::{Args, Subcommand};

use super::super::Ctx;
use crate::api::firezone::{self, FzClient};
use crate::api::{collect, paginate};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// List clients, all or those with one FIREZONE_ID or of one service account
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl --provider firezone client list
  tgctl --provider firezone client list --firezone-id tgctl-gh-web-123-1-deploy -o json
  tgctl --provider firezone client list --service-account ci-deployer --online -o id"
    )]
    List(ListArgs),
    /// Delete a client record (by ID, or every record with a FIREZONE_ID)
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl --provider firezone client delete 6ba7b810-9dad-11d1-80b4-00c04fd430c8 --yes
  # After a CI job: every record the job's client registered
  tgctl --provider firezone client delete --firezone-id \"$FIREZONE_ID\" --yes"
    )]
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only clients that presented this FIREZONE_ID
    #[arg(long, value_name = "ID")]
    pub(crate) firezone_id: Option<String>,
    /// Only clients of this service account (name or ID)
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub(crate) service_account: Option<String>,
    /// Only clients that are online now
    #[arg(long)]
    pub(crate) online: bool,
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The client's ID
    #[arg(required_unless_present = "firezone_id", conflicts_with = "firezone_id")]
    pub(crate) client: Option<String>,
    /// Delete every client record with this FIREZONE_ID
    #[arg(long, value_name = "ID")]
    pub(crate) firezone_id: Option<String>,
}

impl Tabular for FzClient {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "firezone id", "online", "version", "last seen"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            f.opt(self.firezone_id.as_deref()),
            self.online.map_or_else(String::new, |o| o.to_string()),
            f.opt(self.last_seen_version.as_deref()),
            f.opt_time(self.last_seen_at.as_ref(), "never"),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ClientCommand) -> Result<()> {
    match command {
        ClientCommand::List(a) => list(ctx, a).await,
        ClientCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let client = ctx.firezone()?;
    let actor = match &args.service_account {
        Some(a) => Some(firezone::resolve_service_account(&client, a).await?.id),
        None => None,
    };
    let keep = |c: &FzClient| {
        actor.as_ref().is_none_or(|a| c.actor_id.as_ref() == Some(a)) && (!args.online || c.online == Some(true))
    };
    let mut out = ctx.printer.list::<FzClient>();
    paginate(
        args.limit,
        |cursor, first| {
            let client = &client;
            let id = args.firezone_id.as_deref();
            async move {
                let page = firezone::client_page(client, id, cursor, first).await?;
                Ok(crate::api::Page { nodes: page.nodes.into_iter().filter(keep).collect(), ..page })
            }
        },
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

async fn delete(ctx: &Ctx, args: DeleteArgs) -> Result<()> {
    let client = ctx.firezone()?;
    let targets: Vec<FzClient> = match (&args.client, &args.firezone_id) {
        (Some(id), _) => vec![firezone::get_client(&client, id).await?],
        (None, Some(fid)) => {
            let found = collect(None, |cursor, first| firezone::client_page(&client, Some(fid), cursor, first)).await?;
            if found.is_empty() {
                ctx.printer.info(&format!("No client record has FIREZONE_ID {fid:?}; nothing to delete."));
            }
            found
        }
        (None, None) => return Err(Error::usage("pass a client ID or --firezone-id")),
    };
    if targets.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = targets.iter().map(|c| format!("{:?} ({})", c.name, c.id)).collect();
    ctx.confirm(&format!("delete client record(s) {}", names.join(", ")))?;
    for c in &targets {
        firezone::delete_client(&client, &c.id).await?;
        ctx.printer.success(&format!("Deleted client {:?} ({}).", c.name, c.id));
        ctx.printer.deleted(&c.id, &c.name)?;
    }
    Ok(())
}
