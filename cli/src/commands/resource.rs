//! `tgctl resource list|get|create|update|delete`; `resource access` is in resource_access.rs.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};

use super::{ActiveSet, Ctx, ListArgs, resource_access, tri};
use crate::api::resources::{self, Changes, Filter, NewResource, Protocols, Resource};
use crate::api::{Patch, label, paginate, remote_networks, security_policies};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};
use crate::parse::{self, Ports};

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// List resources
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl resource list
  tgctl resource list --remote-network aws-prod --tag env=prod
  tgctl resource list --name-contains db -o json"
    )]
    List(ListResourcesArgs),
    /// Show a resource with everyone who has access to it
    #[command(after_help = "Examples:
  tgctl resource get prod-db
  tgctl resource get UmVzb3VyY2U6MTI3NTIxMw== -o json")]
    Get(ResourceArg),
    /// Create a resource: an FQDN, IP, CIDR range or wildcard in a remote network
    #[command(after_help = "Examples:
  tgctl resource create prod-db --address db.internal --remote-network aws-prod --tcp 5432 --udp none --no-icmp
  tgctl resource create office --address 10.0.0.0/16 --remote-network office --tag team=it
  tgctl resource create wiki --address wiki.corp --remote-network aws-prod --alias wiki.example.com \\
    --tcp 443,8000-8100 --browser-shortcut --security-policy \"Strict Policy\"

Ports: `all` (default), `none`, or ports and inclusive ranges separated by commas (443,8000-8100).")]
    Create(CreateArgs),
    /// Change a resource; flags not given leave their field alone
    #[command(after_help = "Examples:
  tgctl resource update prod-db --tcp 5432,6432           # UDP and ICMP stay as they are
  tgctl resource update prod-db --clear-alias --clear-security-policy
  tgctl resource update prod-db --tag owner=dba --remove-tag legacy
  tgctl resource update prod-db --inactive")]
    Update(UpdateArgs),
    /// Delete a resource
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl resource delete prod-db          # asks for confirmation on a terminal
  tgctl resource delete prod-db --yes    # scripts"
    )]
    Delete(ResourceArg),
    /// Who may reach a resource: groups and service accounts
    #[command(subcommand)]
    Access(resource_access::AccessCommand),
}

#[derive(Debug, Args)]
pub struct ListResourcesArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only the resources of this remote network (name or ID)
    #[arg(long, value_name = "REMOTE_NETWORK")]
    pub remote_network: Option<String>,
    /// Only resources with this tag (KEY=VALUE); repeat to require several
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ResourceArg {
    /// Name or ID of the resource
    pub resource: String,
}

/// Protocol flags shared by create and update.
#[derive(Debug, Args)]
pub struct ProtocolArgs {
    /// TCP ports: all, none, or e.g. 443,8000-8100
    #[arg(long, value_name = "PORTS")]
    pub tcp: Option<String>,
    /// UDP ports: all, none, or e.g. 53,5000-5010
    #[arg(long, value_name = "PORTS")]
    pub udp: Option<String>,
    /// Allow ICMP (ping)
    #[arg(long, conflicts_with = "no_icmp")]
    pub icmp: bool,
    /// Don't allow ICMP (ping)
    #[arg(long)]
    pub no_icmp: bool,
}

impl ProtocolArgs {
    fn is_empty(&self) -> bool {
        self.tcp.is_none() && self.udp.is_none() && !self.icmp && !self.no_icmp
    }

    /// `base` with the given flags applied; `None` when no flag was given.
    fn apply(&self, base: &Protocols) -> Result<Option<Protocols>> {
        if self.is_empty() {
            return Ok(None);
        }
        let parse = |flag: &str, text: &Option<String>, current: &Ports| -> Result<Ports> {
            match text {
                Some(t) => parse::ports(t).map_err(|e| Error { message: format!("--{flag}: {}", e.message), ..e }),
                None => Ok(current.clone()),
            }
        };
        Ok(Some(Protocols {
            tcp: parse("tcp", &self.tcp, &base.tcp)?,
            udp: parse("udp", &self.udp, &base.udp)?,
            allow_icmp: tri(self.icmp, self.no_icmp).unwrap_or(base.allow_icmp),
        }))
    }
}

/// Visibility flags shared by create and update.
#[derive(Debug, Args)]
pub struct DisplayArgs {
    /// Show it in the client's resource list
    #[arg(long, conflicts_with = "hidden")]
    pub visible: bool,
    /// Hide it from the client's resource list
    #[arg(long)]
    pub hidden: bool,
    /// Show a browser shortcut for it in the client (not for CIDR or wildcard addresses)
    #[arg(long, conflicts_with = "no_browser_shortcut")]
    pub browser_shortcut: bool,
    /// No browser shortcut
    #[arg(long)]
    pub no_browser_shortcut: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name of the new resource
    pub name: String,
    /// FQDN, IP address, CIDR range or wildcard (*.internal.example.com)
    #[arg(long)]
    pub address: String,
    /// Remote network (name or ID) the resource is in
    #[arg(long, value_name = "REMOTE_NETWORK")]
    pub remote_network: String,
    /// Another name clients may use for it
    #[arg(long)]
    pub alias: Option<String>,
    #[command(flatten)]
    pub protocols: ProtocolArgs,
    #[command(flatten)]
    pub display: DisplayArgs,
    /// A tag, KEY=VALUE; repeatable
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Security policy (name or ID); default: the network's default policy
    #[arg(long, value_name = "POLICY")]
    pub security_policy: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Name or ID of the resource
    pub resource: String,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// New address
    #[arg(long)]
    pub address: Option<String>,
    /// Move it to this remote network (name or ID)
    #[arg(long, value_name = "REMOTE_NETWORK")]
    pub remote_network: Option<String>,
    /// New alias
    #[arg(long, conflicts_with = "clear_alias")]
    pub alias: Option<String>,
    /// Remove the alias
    #[arg(long)]
    pub clear_alias: bool,
    #[command(flatten)]
    pub protocols: ProtocolArgs,
    #[command(flatten)]
    pub display: DisplayArgs,
    /// Set a tag, KEY=VALUE (other tags stay); repeatable
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Remove the tag with this key; repeatable
    #[arg(long = "remove-tag", value_name = "KEY")]
    pub remove_tags: Vec<String>,
    /// Remove all tags (with --tag: replace them)
    #[arg(long)]
    pub clear_tags: bool,
    /// Security policy (name or ID)
    #[arg(long, value_name = "POLICY", conflicts_with = "clear_security_policy")]
    pub security_policy: Option<String>,
    /// Use the default policy again
    #[arg(long)]
    pub clear_security_policy: bool,
    #[command(flatten)]
    pub active: ActiveSet,
}

impl Tabular for Resource {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "address", "alias", "remote network", "protocols", "active", "access"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.address.clone(),
            f.opt(self.alias.as_deref()),
            self.remote_network.name.clone(),
            self.protocols.summary(),
            f.yes_no(self.is_active),
            self.access_count.to_string(),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut d = vec![
            ("id", self.id.clone()),
            ("name", self.name.clone()),
            ("kind", self.kind.clone()),
            ("address", self.address.clone()),
            ("alias", f.opt(self.alias.as_deref())),
            ("remote network", format!("{} ({})", self.remote_network.name, self.remote_network.id)),
            ("tcp", self.protocols.tcp.to_text()),
            ("udp", self.protocols.udp.to_text()),
            ("icmp", f.yes_no(self.protocols.allow_icmp)),
            ("active", f.yes_no(self.is_active)),
            ("visible", f.yes_no(self.is_visible)),
            ("browser shortcut", f.yes_no(self.is_browser_shortcut_enabled)),
            ("security policy", self.security_policy.as_ref().map_or_else(|| "default".to_owned(), |p| p.name.clone())),
            ("tags", f.list(&tags, "none")),
        ];
        match &self.access {
            Some(access) => {
                let text: Vec<String> =
                    access.iter().map(|a| format!("{} ({})", a.principal_name, label(&a.principal_type))).collect();
                d.push(("access", f.list(&text, "none")));
            }
            None => d.push(("access", self.access_count.to_string())),
        }
        d.push(("created", f.time(&self.created_at)));
        d.push(("updated", f.time(&self.updated_at)));
        d
    }
}

pub async fn run(ctx: &Ctx, command: ResourceCommand) -> Result<()> {
    match command {
        ResourceCommand::List(a) => list(ctx, a).await,
        ResourceCommand::Get(a) => get(ctx, a).await,
        ResourceCommand::Create(a) => create(ctx, a).await,
        ResourceCommand::Update(a) => update(ctx, a).await,
        ResourceCommand::Delete(a) => delete(ctx, a).await,
        ResourceCommand::Access(c) => resource_access::run(ctx, c).await,
    }
}

fn parse_tags(tags: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags {
        let (k, v) = parse::key_value(t)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Error::usage(format!("the tag {k:?} is given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// A light check that catches URLs and typos before the API does.
fn check_address(address: &str) -> Result<()> {
    let a = address.trim();
    if a.is_empty() {
        return Err(Error::usage("the address must not be empty"));
    }
    if a.contains("://") || a.contains(char::is_whitespace) || a.contains('/') && !a.contains('.') && !a.contains(':') {
        return Err(Error::usage(format!("{address:?} is not an address"))
            .hint("use an FQDN (db.internal), an IP (10.0.0.5), a CIDR range (10.0.0.0/16) or a wildcard (*.internal); not a URL"));
    }
    Ok(())
}

async fn list(ctx: &Ctx, args: ListResourcesArgs) -> Result<()> {
    let limit = args.list.limit()?;
    let tags = parse_tags(&args.tags)?;
    let client = ctx.client()?;
    let remote_network = match &args.remote_network {
        Some(n) => Some(remote_networks::find(&client, n).await?.id),
        None => None,
    };
    let filter = Filter { name: args.list.name_filter(), remote_network, tags };
    let mut out = ctx.printer.list::<Resource>();
    paginate(limit, |after, first| resources::list_page(&client, &filter, after, first), |page| out.push_page(page))
        .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: ResourceArg) -> Result<()> {
    let client = ctx.client()?;
    let mut resource = resources::find(&client, &args.resource).await?;
    let access = resources::access_all(&client, &resource.id).await?;
    resource.access_count = access.len() as i64;
    resource.access = Some(access);
    ctx.printer.object(&resource)
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    super::non_empty("name", &args.name)?;
    check_address(&args.address)?;
    let protocols = args.protocols.apply(&Protocols::default())?;
    let tags = parse_tags(&args.tags)?.into_iter().collect();
    let client = ctx.client()?;
    // Resolve every name first: a typo must fail before anything is created.
    let network = remote_networks::find(&client, &args.remote_network).await?;
    let policy = match &args.security_policy {
        Some(p) => Some(security_policies::find(&client, p).await?.id),
        None => None,
    };
    let new = NewResource {
        name: args.name.clone(),
        address: args.address.trim().to_owned(),
        remote_network_id: network.id,
        protocols,
        alias: args.alias.clone(),
        is_visible: tri(args.display.visible, args.display.hidden),
        is_browser_shortcut_enabled: tri(args.display.browser_shortcut, args.display.no_browser_shortcut),
        security_policy_id: policy,
        tags,
    };
    let resource = resources::create(&client, new).await?;
    ctx.printer.success(&format!("Created resource {:?} ({}).", resource.name, resource.id));
    ctx.printer.object(&resource)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if let Some(name) = &args.name {
        super::non_empty("name", name)?;
    }
    if let Some(address) = &args.address {
        check_address(address)?;
    }
    let new_tags = parse_tags(&args.tags)?;
    let touches_tags = !new_tags.is_empty() || !args.remove_tags.is_empty() || args.clear_tags;
    let nothing = args.name.is_none()
        && args.address.is_none()
        && args.remote_network.is_none()
        && args.alias.is_none()
        && !args.clear_alias
        && args.protocols.is_empty()
        && tri(args.display.visible, args.display.hidden).is_none()
        && tri(args.display.browser_shortcut, args.display.no_browser_shortcut).is_none()
        && !touches_tags
        && args.security_policy.is_none()
        && !args.clear_security_policy
        && args.active.get().is_none();
    if nothing {
        return Err(
            Error::usage("nothing to change").hint("see `tgctl resource update --help` for what can be changed")
        );
    }
    // Check the port syntax before any request.
    args.protocols.apply(&Protocols::default())?;
    let client = ctx.client()?;
    let current = resources::find(&client, &args.resource).await?;
    let remote_network_id = match &args.remote_network {
        Some(n) => Some(remote_networks::find(&client, n).await?.id),
        None => None,
    };
    let security_policy_id = match &args.security_policy {
        Some(p) => Patch::Set(security_policies::find(&client, p).await?.id),
        None => Patch::from_flags(None, args.clear_security_policy),
    };
    let tags = if !touches_tags {
        Patch::Keep
    } else if args.clear_tags && new_tags.is_empty() {
        Patch::Clear
    } else {
        let mut tags: BTreeMap<String, String> = if args.clear_tags { BTreeMap::new() } else { current.tags.clone() };
        for key in &args.remove_tags {
            if tags.remove(key).is_none() && !args.clear_tags {
                ctx.printer.warn(&format!("resource {:?} has no tag {key:?}", current.name));
            }
        }
        tags.extend(new_tags);
        Patch::Set(tags)
    };
    let changes = Changes {
        name: args.name.clone(),
        address: args.address.as_ref().map(|a| a.trim().to_owned()),
        remote_network_id,
        protocols: args.protocols.apply(&current.protocols)?,
        is_active: args.active.get(),
        is_visible: tri(args.display.visible, args.display.hidden),
        is_browser_shortcut_enabled: tri(args.display.browser_shortcut, args.display.no_browser_shortcut),
        alias: Patch::from_flags(args.alias.clone(), args.clear_alias),
        security_policy_id,
        tags,
    };
    let resource = resources::update(&client, &current.id, &changes).await?;
    ctx.printer.success(&format!("Updated resource {:?}.", resource.name));
    ctx.printer.object(&resource)
}

async fn delete(ctx: &Ctx, args: ResourceArg) -> Result<()> {
    let client = ctx.client()?;
    let target = resources::find(&client, &args.resource).await?;
    ctx.confirm(&format!(
        "delete resource {:?} ({}, {}); {} group(s) and service account(s) lose access",
        target.name, target.id, target.address, target.access_count
    ))?;
    resources::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted resource {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}

// ---- access -----------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_flags_apply_over_the_current_protocols() {
        let args = ProtocolArgs { tcp: Some("443".into()), udp: None, icmp: false, no_icmp: true };
        let p = args.apply(&Protocols::default()).unwrap().unwrap();
        assert_eq!((p.tcp.to_text(), p.udp, p.allow_icmp), ("443".to_owned(), Ports::All, false));
        let none = ProtocolArgs { tcp: None, udp: None, icmp: false, no_icmp: false };
        assert!(none.apply(&Protocols::default()).unwrap().is_none());
        let bad = ProtocolArgs { tcp: None, udp: Some("70000".into()), icmp: false, no_icmp: false };
        assert!(bad.apply(&Protocols::default()).unwrap_err().message.starts_with("--udp: port 70000"));
    }

    #[test]
    fn addresses_are_checked_lightly() {
        for ok in ["db.internal", "10.0.0.5", "10.0.0.0/16", "*.corp.example.com", "fe80::1", "host-?.corp"] {
            check_address(ok).unwrap();
        }
        for bad in ["", "https://db.internal", "db internal"] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
