//! `tgctl service-account ...` with Twingate's Admin API.

use super::{CreateArgs, GetArgs, ServiceAccountCommand, UpdateArgs};
use crate::api::service_accounts::{self, ServiceAccount};
use crate::api::{self, paginate, resources};
use crate::commands::{Ctx, ListArgs};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

impl Tabular for ServiceAccount {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "resources", "active keys", "keys", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.resource_count.to_string(),
            self.active_key_count.to_string(),
            self.key_count.to_string(),
            f.time(&self.created_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d = vec![("id", self.id.clone()), ("name", self.name.clone())];
        if let Some(resources) = &self.resources {
            let names: Vec<&str> = resources.iter().map(|r| r.name.as_str()).collect();
            d.push(("resources", if names.is_empty() { "none".to_owned() } else { names.join(", ") }));
        } else {
            d.push(("resources", self.resource_count.to_string()));
        }
        if let Some(keys) = &self.keys {
            let text: Vec<String> = keys.iter().map(|k| format!("{} ({})", k.name, k.status.as_str())).collect();
            d.push(("keys", if text.is_empty() { "none".to_owned() } else { text.join(", ") }));
        } else {
            d.push(("keys", format!("{} active of {}", self.active_key_count, self.key_count)));
        }
        d.push(("created", f.time(&self.created_at)));
        d.push(("updated", f.time(&self.updated_at)));
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ServiceAccountCommand) -> Result<()> {
    let groups = match &command {
        ServiceAccountCommand::Create(a) => !a.add_groups.is_empty(),
        ServiceAccountCommand::Update(a) => !a.add_groups.is_empty() || !a.remove_groups.is_empty(),
        _ => false,
    };
    if groups {
        return Err(Error::usage("--add-group/--remove-group are for Firezone service accounts (--provider firezone)")
            .hint("Twingate service accounts reach resources directly: use --resource / --add-resource / --remove-resource"));
    }
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
    let client = ctx.client()?;
    let filter = args.name_filter();
    let mut out = ctx.printer.list::<ServiceAccount>();
    paginate(
        limit,
        |after, first| service_accounts::list_page(&client, &filter, after, first),
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: GetArgs) -> Result<()> {
    let client = ctx.client()?;
    // An ID needs no lookup: `get` itself reports a missing account.
    let id = if api::ids::is_id_of(&args.service_account, "ServiceAccount") {
        args.service_account.clone()
    } else {
        service_accounts::resolve(&client, &args.service_account).await?.id
    };
    let account = service_accounts::get(&client, &id).await?;
    ctx.printer.object(&account)
}

async fn resolve_resources(client: &api::Client, names: &[String]) -> Result<Vec<api::Ref>> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        out.push(resources::resolve(client, name).await?);
    }
    Ok(out)
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    if args.name.trim().is_empty() {
        return Err(Error::usage("the name must not be empty"));
    }
    let client = ctx.client()?;
    // Resolve every name first: a typo must fail before anything is created.
    let resources = resolve_resources(&client, &args.resources).await?;
    let ids = resources.iter().map(|r| r.id.clone()).collect();
    let account = service_accounts::create(&client, &args.name, ids).await?;
    ctx.printer.success(&format!("Created service account {:?} ({}).", account.name, account.id));
    ctx.printer.object(&account)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    if args.name.is_none() && args.add_resources.is_empty() && args.remove_resources.is_empty() {
        return Err(Error::usage("nothing to change").hint("pass --name, --add-resource or --remove-resource"));
    }
    if args.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(Error::usage("the name must not be empty"));
    }
    let client = ctx.client()?;
    let target = service_accounts::resolve(&client, &args.service_account).await?;
    let added = resolve_resources(&client, &args.add_resources).await?;
    let removed = resolve_resources(&client, &args.remove_resources).await?;
    if let Some(both) = added.iter().find(|a| removed.iter().any(|r| r.id == a.id)) {
        return Err(Error::usage(format!("resource {:?} is both added and removed", both.name)));
    }
    let account = service_accounts::update(
        &client,
        &target.id,
        args.name.clone(),
        added.iter().map(|r| r.id.clone()).collect(),
        removed.iter().map(|r| r.id.clone()).collect(),
    )
    .await?;
    ctx.printer.success(&format!("Updated service account {:?}.", account.name));
    ctx.printer.object(&account)
}

async fn delete(ctx: &Ctx, args: GetArgs) -> Result<()> {
    let client = ctx.client()?;
    let target = service_accounts::resolve(&client, &args.service_account).await?;
    ctx.confirm(&format!("delete service account {:?} ({}) and make all its keys useless", target.name, target.id))?;
    service_accounts::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted service account {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}
