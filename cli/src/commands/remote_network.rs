//! `tgctl remote-network list|get|create|update|delete`.

use clap::{Args, Subcommand};

use super::{ActiveFilter, ActiveSet, Ctx, ListArgs};
use crate::api::remote_networks::{self, Changes, Location, NetworkType, RemoteNetwork};
use crate::api::{Page, label, paginate};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum RemoteNetworkCommand {
    /// List remote networks
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl remote-network list
  tgctl remote-network list --name-prefix aws- --location aws -o json
  tgctl remote-network list --inactive -o id"
    )]
    List(ListNetworksArgs),
    /// Show a remote network
    #[command(after_help = "Examples:
  tgctl remote-network get aws-prod
  tgctl remote-network get UmVtb3RlTmV0d29yazo5Njc0OTU= -o json")]
    Get(NetworkArg),
    /// Create a remote network
    #[command(after_help = "Examples:
  tgctl remote-network create aws-prod --location aws
  tgctl remote-network create egress --type exit --location google-cloud
  tgctl remote-network create lab --inactive -o id   # prints the new ID only")]
    Create(CreateArgs),
    /// Rename a remote network, move it, or turn it on or off
    #[command(after_help = "Examples:
  tgctl remote-network update aws-prod --name aws-production
  tgctl remote-network update lab --inactive
  tgctl remote-network update lab --location on-premise --active")]
    Update(UpdateArgs),
    /// Delete a remote network (its connectors and resources go with it)
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl remote-network delete lab          # asks for confirmation on a terminal
  tgctl remote-network delete lab --yes    # scripts"
    )]
    Delete(NetworkArg),
}

#[derive(Debug, Args)]
pub(crate) struct ListNetworksArgs {
    #[command(flatten)]
    pub(crate) list: ListArgs,
    /// Only networks in this location
    #[arg(long, value_enum)]
    pub(crate) location: Option<Location>,
    /// Only networks of this type
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) network_type: Option<NetworkType>,
    #[command(flatten)]
    pub(crate) active: ActiveFilter,
}

#[derive(Debug, Args)]
pub(crate) struct NetworkArg {
    /// Name or ID of the remote network
    pub(crate) remote_network: String,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the new remote network
    pub(crate) name: String,
    /// Where the network is
    #[arg(long, value_enum, default_value_t = Location::Other)]
    pub(crate) location: Location,
    /// Regular, or exit (internet traffic leaves through it)
    #[arg(long = "type", value_enum, value_name = "TYPE", default_value_t = NetworkType::Regular)]
    pub(crate) network_type: NetworkType,
    /// Create it turned off
    #[arg(long)]
    pub(crate) inactive: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name or ID of the remote network
    pub(crate) remote_network: String,
    /// New name
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// New location
    #[arg(long, value_enum)]
    pub(crate) location: Option<Location>,
    #[command(flatten)]
    pub(crate) active: ActiveSet,
}

impl Tabular for RemoteNetwork {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "location", "type", "active", "connectors", "resources", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            label(&self.location),
            label(&self.network_type),
            f.yes_no(self.is_active),
            self.connector_count.to_string(),
            self.resource_count.to_string(),
            f.time(&self.created_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d: Vec<(&'static str, String)> = Self::headers().iter().copied().zip(self.cells(f)).collect();
        d.push(("updated", f.time(&self.updated_at)));
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: RemoteNetworkCommand) -> Result<()> {
    match command {
        RemoteNetworkCommand::List(a) => list(ctx, a).await,
        RemoteNetworkCommand::Get(a) => get(ctx, a).await,
        RemoteNetworkCommand::Create(a) => create(ctx, a).await,
        RemoteNetworkCommand::Update(a) => update(ctx, a).await,
        RemoteNetworkCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListNetworksArgs) -> Result<()> {
    let limit = args.list.limit()?;
    let client = ctx.client()?;
    let filter = args.list.name_filter();
    let active = args.active.get();
    let keep = |n: &RemoteNetwork| {
        args.location.is_none_or(|l| n.location == l)
            && args.network_type.is_none_or(|t| n.network_type == t)
            && active.is_none_or(|a| n.is_active == a)
    };
    let mut out = ctx.printer.list::<RemoteNetwork>();
    paginate(
        limit,
        |after, first| {
            let (client, filter) = (&client, &filter);
            async move {
                let page = remote_networks::list_page(client, filter, after, first).await?;
                Ok(Page { nodes: page.nodes.into_iter().filter(keep).collect(), ..page })
            }
        },
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: NetworkArg) -> Result<()> {
    let client = ctx.client()?;
    let network = remote_networks::find(&client, &args.remote_network).await?;
    ctx.printer.object(&network)
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    super::non_empty("name", &args.name)?;
    let client = ctx.client()?;
    let network =
        remote_networks::create(&client, &args.name, args.location, args.network_type, !args.inactive).await?;
    ctx.printer.success(&format!("Created remote network {:?} ({}).", network.name, network.id));
    ctx.printer.object(&network)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    let changes = Changes { name: args.name.clone(), is_active: args.active.get(), location: args.location };
    if changes.name.is_none() && changes.is_active.is_none() && changes.location.is_none() {
        return Err(Error::usage("nothing to change").hint("pass --name, --location, --active or --inactive"));
    }
    if let Some(name) = &changes.name {
        super::non_empty("name", name)?;
    }
    let client = ctx.client()?;
    let target = remote_networks::find(&client, &args.remote_network).await?;
    let network = remote_networks::update(&client, &target.id, changes).await?;
    ctx.printer.success(&format!("Updated remote network {:?}.", network.name));
    ctx.printer.object(&network)
}

async fn delete(ctx: &Ctx, args: NetworkArg) -> Result<()> {
    let client = ctx.client()?;
    let target = remote_networks::find(&client, &args.remote_network).await?;
    ctx.confirm(&format!(
        "delete remote network {:?} ({}) with its {} connector(s) and {} resource(s)",
        target.name, target.id, target.connector_count, target.resource_count
    ))?;
    remote_networks::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted remote network {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}
