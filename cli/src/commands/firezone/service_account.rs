//! `tgctl --provider firezone service-account list|get|create|update|delete`: actors of type
//! `service_account`. Access comes from groups (and the policies on them), so `--add-group` and
//! `--remove-group` take the place of Twingate's resources.

use super::super::Ctx;
use super::super::ListArgs;
use super::super::service_account::{CreateArgs, GetArgs, ServiceAccountCommand, UpdateArgs};
use crate::api::firezone::{self, Actor, ClientToken};
use crate::api::{Client, collect, paginate};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

impl Tabular for Actor {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "status", "last seen", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            if self.disabled_at.is_some() { "disabled" } else { "active" }.to_owned(),
            f.opt_time(self.last_seen_at.as_ref(), "never"),
            f.opt_time(self.created_at.as_ref(), "unknown"),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d: Vec<(&'static str, String)> = Self::headers().iter().copied().zip(self.cells(f)).collect();
        if let Some(tokens) = &self.tokens {
            let now = jiff::Timestamp::now();
            let text: Vec<String> = tokens
                .iter()
                .map(|t| {
                    format!("{} ({}, expires {})", t.id, t.status(now), f.opt_time(t.expires_at.as_ref(), "never"))
                })
                .collect();
            d.push(("tokens", if text.is_empty() { "none".to_owned() } else { text.join(", ") }));
        }
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ServiceAccountCommand) -> Result<()> {
    match command {
        ServiceAccountCommand::List(a) => list(ctx, a).await,
        ServiceAccountCommand::Get(a) => get(ctx, a).await,
        ServiceAccountCommand::Create(a) => create(ctx, a).await,
        ServiceAccountCommand::Update(a) => update(ctx, a).await,
        ServiceAccountCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListArgs) -> Result<()> {
    let limit = args.limit()?;
    if args.name_regex.is_some() {
        return Err(Error::usage("--name-regex is not available with --provider firezone")
            .hint("use --name, --name-contains, --name-prefix or --name-suffix (filtered by tgctl)"));
    }
    let filter = args.name_filter();
    let keep = |a: &Actor| {
        filter.eq.as_ref().is_none_or(|n| &a.name == n)
            && filter.contains.as_ref().is_none_or(|n| a.name.contains(n.as_str()))
            && filter.starts_with.as_ref().is_none_or(|n| a.name.starts_with(n.as_str()))
            && filter.ends_with.as_ref().is_none_or(|n| a.name.ends_with(n.as_str()))
    };
    let client = ctx.firezone()?;
    let mut out = ctx.printer.list::<Actor>();
    paginate(
        limit,
        |cursor, first| {
            let client = &client;
            async move {
                let page = firezone::service_account_page(client, cursor, first).await?;
                Ok(crate::api::Page { nodes: page.nodes.into_iter().filter(keep).collect(), ..page })
            }
        },
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: GetArgs) -> Result<()> {
    let client = ctx.firezone()?;
    let mut account = firezone::resolve_service_account(&client, &args.service_account).await?;
    let tokens: Vec<ClientToken> =
        collect(None, |cursor, first| firezone::token_page(&client, &account.id, cursor, first)).await?;
    account.tokens = Some(tokens);
    ctx.printer.object(&account)
}

/// Group names or IDs to groups, all before anything changes.
async fn resolve_groups(client: &Client, names: &[String]) -> Result<Vec<firezone::Group>> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        out.push(firezone::resolve_group(client, name).await?);
    }
    Ok(out)
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    if args.name.trim().is_empty() {
        return Err(Error::usage("the name must not be empty"));
    }
    if !args.resources.is_empty() {
        return Err(no_resources());
    }
    let client = ctx.firezone()?;
    // A typo in a group name must fail before the account is created.
    let groups = resolve_groups(&client, &args.add_groups).await?;
    let account = firezone::create_service_account(&client, &args.name).await?;
    ctx.printer.success(&format!("Created service account {:?} ({}).", account.name, account.id));
    for g in &groups {
        firezone::set_membership(&client, &g.id, &account.id, true).await.map_err(|e| Error {
            hint: Some(format!(
                "the account {} exists; retry with `tgctl --provider firezone service-account update {} --add-group {}`",
                account.id, account.id, g.id
            )),
            ..e
        })?;
        ctx.printer.success(&format!("Added it to group {:?}.", g.name));
    }
    ctx.printer.object(&account)
}

fn no_resources() -> Error {
    Error::usage("Firezone service accounts get access through groups and policies, not resources")
        .hint("use --add-group / --remove-group (and a policy on the group in the admin portal)")
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if !args.add_resources.is_empty() || !args.remove_resources.is_empty() {
        return Err(no_resources());
    }
    if args.name.is_none() && args.add_groups.is_empty() && args.remove_groups.is_empty() {
        return Err(Error::usage("nothing to change").hint("pass --name, --add-group or --remove-group"));
    }
    if args.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(Error::usage("the name must not be empty"));
    }
    let client = ctx.firezone()?;
    let mut account = firezone::resolve_service_account(&client, &args.service_account).await?;
    let added = resolve_groups(&client, &args.add_groups).await?;
    let removed = resolve_groups(&client, &args.remove_groups).await?;
    if let Some(both) = added.iter().find(|a| removed.iter().any(|r| r.id == a.id)) {
        return Err(Error::usage(format!("group {:?} is both added and removed", both.name)));
    }
    if let Some(name) = &args.name {
        account = firezone::rename_actor(&client, &account.id, name).await?;
        ctx.printer.success(&format!("Renamed the service account to {:?}.", account.name));
    }
    for (groups, member) in [(&added, true), (&removed, false)] {
        for g in groups {
            firezone::set_membership(&client, &g.id, &account.id, member).await?;
            let what = if member { "Added it to" } else { "Removed it from" };
            ctx.printer.success(&format!("{what} group {:?}.", g.name));
        }
    }
    ctx.printer.object(&account)
}

async fn delete(ctx: &Ctx, args: GetArgs) -> Result<()> {
    let client = ctx.firezone()?;
    let target = firezone::resolve_service_account(&client, &args.service_account).await?;
    ctx.confirm(&format!("delete service account {:?} ({}) and make all its tokens useless", target.name, target.id))?;
    firezone::delete_actor(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted service account {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}
