//! `tgctl group list|get|create|update|delete`. Only manual groups can be changed; tgctl says so
//! before sending anything.

use clap::{Args, Subcommand};

use super::{ActiveFilter, ActiveSet, Ctx, ListArgs};
use crate::api::groups::{self, Changes, Filter, Group, GroupType};
use crate::api::{self, Ref, label, paginate, resources, users};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum GroupCommand {
    /// List groups
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl group list
  tgctl group list --type manual --active
  tgctl group list --name-prefix eng- -o json"
    )]
    List(ListGroupsArgs),
    /// Show a group with its members and resources
    #[command(after_help = "Examples:
  tgctl group get Engineering
  tgctl group get R3JvdXA6MzQ4OTE= -o json")]
    Get(GroupArg),
    /// Create a (manual) group, optionally with members and resources
    #[command(after_help = "Examples:
  tgctl group create Oncall
  tgctl group create Oncall --user ada@example.com --user grace@example.com --resource prod-db")]
    Create(CreateArgs),
    /// Rename a manual group, turn it on or off, change its members or resources
    #[command(after_help = "Examples:
  tgctl group update Oncall --add-user ada@example.com --remove-user bob@example.com
  tgctl group update Oncall --add-resource grafana --remove-resource prod-db
  tgctl group update Oncall --name On-call --inactive")]
    Update(UpdateArgs),
    /// Delete a manual group
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl group delete Oncall          # asks for confirmation on a terminal
  tgctl group delete Oncall --yes    # scripts"
    )]
    Delete(GroupArg),
}

#[derive(Debug, Args)]
pub(crate) struct ListGroupsArgs {
    #[command(flatten)]
    pub(crate) list: ListArgs,
    /// Only groups of this type; repeat for several
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) types: Vec<GroupType>,
    #[command(flatten)]
    pub(crate) active: ActiveFilter,
}

#[derive(Debug, Args)]
pub(crate) struct GroupArg {
    /// Name or ID of the group
    pub(crate) group: String,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the new group
    pub(crate) name: String,
    /// Member (e-mail address or user ID); repeatable
    #[arg(long = "user", value_name = "USER")]
    pub(crate) users: Vec<String>,
    /// Resource (name or ID) the group may reach; repeatable
    #[arg(long = "resource", value_name = "RESOURCE")]
    pub(crate) resources: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name or ID of the group
    pub(crate) group: String,
    /// New name
    #[arg(long)]
    pub(crate) name: Option<String>,
    #[command(flatten)]
    pub(crate) active: ActiveSet,
    /// Add a member (e-mail address or user ID); repeatable
    #[arg(long = "add-user", value_name = "USER")]
    pub(crate) add_users: Vec<String>,
    /// Remove a member (e-mail address or user ID); repeatable
    #[arg(long = "remove-user", value_name = "USER")]
    pub(crate) remove_users: Vec<String>,
    /// Give the group a resource (name or ID); repeatable
    #[arg(long = "add-resource", value_name = "RESOURCE")]
    pub(crate) add_resources: Vec<String>,
    /// Take a resource (name or ID) from the group; repeatable
    #[arg(long = "remove-resource", value_name = "RESOURCE")]
    pub(crate) remove_resources: Vec<String>,
}

impl Tabular for Group {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "type", "active", "users", "resources", "security policy", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            label(&self.group_type),
            f.yes_no(self.is_active),
            self.user_count.to_string(),
            self.resource_count.to_string(),
            f.opt(self.security_policy.as_ref().map(|p| p.name.as_str())),
            f.time(&self.created_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d = vec![
            ("id", self.id.clone()),
            ("name", self.name.clone()),
            ("type", label(&self.group_type)),
            ("active", f.yes_no(self.is_active)),
            ("security policy", f.opt(self.security_policy.as_ref().map(|p| p.name.as_str()))),
        ];
        match &self.users {
            Some(users) => d.push(("users", f.list(&users.iter().map(|u| u.label()).collect::<Vec<_>>(), "none"))),
            None => d.push(("users", self.user_count.to_string())),
        }
        match &self.resources {
            Some(r) => d.push(("resources", f.list(&r.iter().map(|r| r.name.clone()).collect::<Vec<_>>(), "none"))),
            None => d.push(("resources", self.resource_count.to_string())),
        }
        d.push(("created", f.time(&self.created_at)));
        d.push(("updated", f.time(&self.updated_at)));
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::List(a) => list(ctx, a).await,
        GroupCommand::Get(a) => get(ctx, a).await,
        GroupCommand::Create(a) => create(ctx, a).await,
        GroupCommand::Update(a) => update(ctx, a).await,
        GroupCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListGroupsArgs) -> Result<()> {
    let limit = args.list.limit()?;
    let client = ctx.client()?;
    let mut types = args.types.clone();
    types.dedup();
    let filter = Filter { name: args.list.name_filter(), types, active: args.active.get() };
    let mut out = ctx.printer.list::<Group>();
    paginate(limit, |after, first| groups::list_page(&client, &filter, after, first), |page| out.push_page(page))
        .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: GroupArg) -> Result<()> {
    let client = ctx.client()?;
    let found = groups::find(&client, &args.group).await?;
    let group = groups::get(&client, &found.id)
        .await?
        .ok_or_else(|| Error::not_found(format!("group {:?} was deleted meanwhile", found.name)))?;
    ctx.printer.object(&group)
}

/// Users named on the command line (e-mail or ID), as IDs.
pub(crate) async fn user_ids(client: &api::Client, names: &[String]) -> Result<Vec<Ref>> {
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let u = users::find(client, n).await?;
        out.push(Ref { id: u.id.clone(), name: u.label() });
    }
    Ok(out)
}

async fn resource_ids(client: &api::Client, names: &[String]) -> Result<Vec<Ref>> {
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        out.push(resources::resolve(client, n).await?);
    }
    Ok(out)
}

fn ids(refs: &[Ref]) -> Vec<String> {
    refs.iter().map(|r| r.id.clone()).collect()
}

fn both(what: &str, added: &[Ref], removed: &[Ref]) -> Result<()> {
    match added.iter().find(|a| removed.iter().any(|r| r.id == a.id)) {
        Some(x) => Err(Error::usage(format!("{what} {:?} is both added and removed", x.name))),
        None => Ok(()),
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    super::non_empty("name", &args.name)?;
    let client = ctx.client()?;
    // Resolve every name first: a typo must fail before anything is created.
    let members = user_ids(&client, &args.users).await?;
    let resources = resource_ids(&client, &args.resources).await?;
    let group = groups::create(&client, &args.name, ids(&members), ids(&resources)).await?;
    ctx.printer.success(&format!("Created group {:?} ({}).", group.name, group.id));
    ctx.printer.object(&group)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    let nothing = args.name.is_none()
        && args.active.get().is_none()
        && args.add_users.is_empty()
        && args.remove_users.is_empty()
        && args.add_resources.is_empty()
        && args.remove_resources.is_empty();
    if nothing {
        return Err(Error::usage("nothing to change").hint(
            "pass --name, --active, --inactive, --add-user, --remove-user, --add-resource or --remove-resource",
        ));
    }
    if let Some(name) = &args.name {
        super::non_empty("name", name)?;
    }
    let client = ctx.client()?;
    let target = groups::find(&client, &args.group).await?;
    target.ensure_writable("change")?;
    let added_users = user_ids(&client, &args.add_users).await?;
    let removed_users = user_ids(&client, &args.remove_users).await?;
    both("user", &added_users, &removed_users)?;
    let added_resources = resource_ids(&client, &args.add_resources).await?;
    let removed_resources = resource_ids(&client, &args.remove_resources).await?;
    both("resource", &added_resources, &removed_resources)?;
    let changes = Changes {
        name: args.name.clone(),
        is_active: args.active.get(),
        added_users: ids(&added_users),
        removed_users: ids(&removed_users),
        added_resources: ids(&added_resources),
        removed_resources: ids(&removed_resources),
    };
    let group = groups::update(&client, &target.id, &changes).await?;
    ctx.printer.success(&format!("Updated group {:?}.", group.name));
    ctx.printer.object(&group)
}

async fn delete(ctx: &Ctx, args: GroupArg) -> Result<()> {
    let client = ctx.client()?;
    let target = groups::find(&client, &args.group).await?;
    target.ensure_writable("delete")?;
    ctx.confirm(&format!(
        "delete group {:?} ({}); its {} member(s) lose the access it gives to {} resource(s)",
        target.name, target.id, target.user_count, target.resource_count
    ))?;
    groups::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted group {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}
