//! `tgctl security-policy list|get|update`. The API cannot create or delete policies.

use clap::{Args, Subcommand};

use super::{Ctx, ListArgs};
use crate::api::security_policies::{self, GroupChanges, PolicyType, SecurityPolicy};
use crate::api::{Ref, groups, label, paginate};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum SecurityPolicyCommand {
    /// List security policies
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl security-policy list
  tgctl security-policy list --type resource -o json"
    )]
    List(ListPoliciesArgs),
    /// Show a security policy and the groups it applies to
    #[command(after_help = "Examples:
  tgctl security-policy get \"Default Policy\"
  tgctl security-policy get U2VjdXJpdHlQb2xpY3k6MjE0MDY5 -o json")]
    Get(PolicyArg),
    /// Change the groups a security policy applies to
    #[command(after_help = "Examples:
  tgctl security-policy update \"Strict Policy\" --add-group Contractors --remove-group Interns
  tgctl security-policy update \"Strict Policy\" --set-groups Contractors,Vendors
  tgctl security-policy update \"Strict Policy\" --set-groups '' --yes    # no groups at all")]
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListPoliciesArgs {
    #[command(flatten)]
    pub(crate) list: ListArgs,
    /// Only policies of this type
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) policy_type: Option<PolicyType>,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArg {
    /// Name or ID of the security policy
    pub(crate) policy: String,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name or ID of the security policy
    pub(crate) policy: String,
    /// Apply the policy to this group (name or ID); repeatable
    #[arg(long = "add-group", value_name = "GROUP")]
    pub(crate) add_groups: Vec<String>,
    /// Stop applying it to this group (name or ID); repeatable
    #[arg(long = "remove-group", value_name = "GROUP")]
    pub(crate) remove_groups: Vec<String>,
    /// Apply it to exactly these groups (comma-separated names or IDs; '' for none)
    #[arg(long, value_name = "GROUPS", conflicts_with_all = ["add_groups", "remove_groups"])]
    pub(crate) set_groups: Option<String>,
}

impl Tabular for SecurityPolicy {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "type", "groups", "updated"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            label(&self.policy_type),
            self.group_count.to_string(),
            f.time(&self.updated_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let groups = match &self.groups {
            Some(g) => f.list(&g.iter().map(|g| g.name.clone()).collect::<Vec<_>>(), "none"),
            None => self.group_count.to_string(),
        };
        vec![
            ("id", self.id.clone()),
            ("name", self.name.clone()),
            ("type", label(&self.policy_type)),
            ("groups", groups),
            ("created", f.time(&self.created_at)),
            ("updated", f.time(&self.updated_at)),
        ]
    }
}

pub(crate) async fn run(ctx: &Ctx, command: SecurityPolicyCommand) -> Result<()> {
    match command {
        SecurityPolicyCommand::List(a) => list(ctx, a).await,
        SecurityPolicyCommand::Get(a) => get(ctx, a).await,
        SecurityPolicyCommand::Update(a) => update(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListPoliciesArgs) -> Result<()> {
    let limit = args.list.limit()?;
    let client = ctx.client()?;
    let filter = args.list.name_filter();
    let mut out = ctx.printer.list::<SecurityPolicy>();
    paginate(
        limit,
        |after, first| security_policies::list_page(&client, &filter, args.policy_type, after, first),
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: PolicyArg) -> Result<()> {
    let client = ctx.client()?;
    let found = security_policies::find(&client, &args.policy).await?;
    let policy = match found.groups {
        Some(_) => found,
        None => security_policies::get(&client, &found.id)
            .await?
            .ok_or_else(|| Error::not_found(format!("security policy {:?} disappeared", found.name)))?,
    };
    ctx.printer.object(&policy)
}

async fn group_refs(client: &crate::api::Client, names: &[String]) -> Result<Vec<Ref>> {
    let mut out: Vec<Ref> = Vec::with_capacity(names.len());
    for n in names {
        let g = Ref::of(&groups::find(client, n).await?);
        if !out.iter().any(|o| o.id == g.id) {
            out.push(g);
        }
    }
    Ok(out)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if args.add_groups.is_empty() && args.remove_groups.is_empty() && args.set_groups.is_none() {
        return Err(Error::usage("nothing to change").hint("pass --add-group, --remove-group or --set-groups"));
    }
    let set_names: Option<Vec<String>> = args
        .set_groups
        .as_ref()
        .map(|s| s.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect());
    let client = ctx.client()?;
    let policy = security_policies::find(&client, &args.policy).await?;
    let added = group_refs(&client, &args.add_groups).await?;
    let removed = group_refs(&client, &args.remove_groups).await?;
    if let Some(g) = added.iter().find(|a| removed.iter().any(|r| r.id == a.id)) {
        return Err(Error::usage(format!("group {:?} is both added and removed", g.name)));
    }
    let set = match &set_names {
        Some(names) => Some(group_refs(&client, names).await?),
        None => None,
    };
    if let Some(set) = &set {
        // Replacing the groups can take the policy away from some: name them and confirm.
        let current = security_policies::get(&client, &policy.id).await?.and_then(|p| p.groups).unwrap_or_default();
        let dropped: Vec<&str> =
            current.iter().filter(|c| !set.iter().any(|s| s.id == c.id)).map(|c| c.name.as_str()).collect();
        if !dropped.is_empty() {
            ctx.confirm(&format!(
                "stop applying security policy {:?} to {}",
                policy.name,
                dropped.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ")
            ))?;
        }
    }
    let ids = |refs: &[Ref]| refs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let changes = GroupChanges { set: set.as_deref().map(ids), added: ids(&added), removed: ids(&removed) };
    let updated = security_policies::update(&client, &policy.id, &changes).await?;
    ctx.printer.success(&format!(
        "Updated security policy {:?}: it applies to {} group(s).",
        updated.name, updated.group_count
    ));
    ctx.printer.object(&updated)
}
