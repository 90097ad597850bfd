//! `tgctl service-key ...` with Twingate's Admin API, with the key lifecycle enforced before
//! anything is sent (see `api::service_keys`).

use jiff::Timestamp;

use super::{
    CreateArgs, DeleteArgs, Issued, KeyArg, ListArgs, RenameArgs, RotateArgs, ServiceKeyCommand, check_destination,
    deliver,
};
use crate::api::service_keys::{self, KeyStatus, ServiceKey};
use crate::api::{self, Page, Ref, ids, paginate, service_accounts};
use crate::commands::Ctx;
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Tabular};
use crate::parse;

const LIFECYCLE: &str = "Lifecycle: a key is created active, with an expiry that can only be set at creation
(1 to 365 days, or none). It can be renamed only while active. Revoking is final: a revoked key
never becomes active again. A key must be revoked (or have expired) before it is deleted.";

impl Tabular for ServiceKey {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "service account", "status", "expires", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.service_account.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            self.status.as_str().to_owned(),
            f.opt_time(self.expires_at.as_ref(), "never"),
            f.time(&self.created_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d =
            vec![("id", self.id.clone()), ("name", self.name.clone()), ("status", self.status.as_str().to_owned())];
        if let Some(a) = &self.service_account {
            d.push(("service account", format!("{} ({})", a.name, a.id)));
        }
        d.push(("expires", f.opt_time(self.expires_at.as_ref(), "never")));
        if let Some(r) = &self.revoked_at {
            d.push(("revoked", f.time(r)));
        }
        d.push(("created", f.time(&self.created_at)));
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ServiceKeyCommand) -> Result<()> {
    match command {
        ServiceKeyCommand::List(a) => list(ctx, a).await,
        ServiceKeyCommand::Get(a) => get(ctx, a).await,
        ServiceKeyCommand::Create(a) => create(ctx, a).await,
        ServiceKeyCommand::Rename(a) => rename(ctx, a).await,
        ServiceKeyCommand::Revoke(a) => {
            if a.all {
                return Err(Error::usage("revoke --all is available with --provider firezone only").hint(
                    "for Twingate: tgctl service-key list --service-account NAME --status active -o id | xargs -n1 tgctl service-key revoke --yes",
                ));
            }
            let key = a.key.unwrap_or_default();
            revoke(ctx, KeyArg { key, service_account: a.service_account }).await
        }
        ServiceKeyCommand::Delete(a) => delete(ctx, a).await,
        ServiceKeyCommand::Rotate(a) => rotate(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let within = args.expiring_within.as_deref().map(parse::duration).transpose()?;
    let client = ctx.client()?;
    let account = match &args.service_account {
        Some(a) => Some(service_accounts::resolve(&client, a).await?),
        None => None,
    };
    let now = Timestamp::now();
    let horizon = within.map(|d| {
        now.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(Timestamp::MAX)
    });
    let keep = |k: &ServiceKey| {
        args.status.is_none_or(|s| k.status == s)
            && horizon.is_none_or(|h| k.status == KeyStatus::Active && k.expires_at.is_some_and(|at| at <= h))
    };
    let mut out = ctx.printer.list::<ServiceKey>();
    paginate(
        args.limit,
        |after, first| {
            let client = &client;
            let account = account.as_ref();
            async move {
                let page = service_keys::list_page(client, account, after, first).await?;
                Ok(Page { nodes: page.nodes.into_iter().filter(keep).collect(), ..page })
            }
        },
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

/// Finds a key by ID, or by name among one account's keys or all keys.
async fn resolve_key(client: &api::Client, arg: &KeyArg) -> Result<ServiceKey> {
    if ids::is_id_of(&arg.key, "ServiceAccountKey") {
        return service_keys::get(client, &arg.key).await;
    }
    if let Some(other) = ids::type_of(&arg.key) {
        return Err(Error::usage(format!("{} is a {other} ID, not a service key", arg.key)));
    }
    let account = match &arg.service_account {
        Some(a) => Some(service_accounts::resolve(client, a).await?),
        None => None,
    };
    let keys =
        api::collect(None, |after, first| service_keys::list_page(client, account.as_ref(), after, first)).await?;
    let mut matches: Vec<ServiceKey> = keys.into_iter().filter(|k| k.name == arg.key).collect();
    match matches.len() {
        0 => Err(Error::not_found(format!("no service key named {:?}", arg.key))
            .hint("list them with `tgctl service-key list`")),
        1 => Ok(matches.remove(0)),
        n => Err(Error::new(Kind::Ambiguous, format!("{n} service keys are named {:?}; pass an ID instead", arg.key))
            .hint(format!("IDs: {}", matches.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")))),
    }
}

async fn get(ctx: &Ctx, args: KeyArg) -> Result<()> {
    let client = ctx.client()?;
    let key = resolve_key(&client, &args).await?;
    ctx.printer.object(&key)
}

impl Issued for ServiceKey {
    fn label(&self) -> String {
        format!("service key {:?}", self.name)
    }

    fn revoke_command(&self) -> String {
        format!("tgctl service-key revoke {} --yes", self.id)
    }
}

fn default_key_name(base: Option<&str>) -> String {
    let stamp = Timestamp::now().strftime("%Y%m%d%H%M").to_string();
    match base {
        Some(old) => {
            let trimmed = match old.rsplit_once('-') {
                Some((head, tail)) if tail.len() == 12 && tail.bytes().all(|b| b.is_ascii_digit()) => head,
                _ => old,
            };
            format!("{trimmed}-{stamp}")
        }
        None => format!("tgctl-{stamp}"),
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    check_destination(ctx, &args.destination)?;
    let client = ctx.client()?;
    let account = service_accounts::resolve(&client, &args.service_account).await?;
    let name = args.name.clone().unwrap_or_else(|| default_key_name(None));
    let created = service_keys::create(&client, &account.id, Some(name), args.expiry.days()?).await?;
    deliver(ctx, &created.key, &created.token, &args.destination)
}

fn lifecycle_error(key: &ServiceKey, action: &str) -> Error {
    Error::rejected(format!("service key {:?} is {}; only active keys can be {action}", key.name, key.status.as_str()))
        .hint(LIFECYCLE.replace('\n', " "))
}

async fn rename(ctx: &Ctx, args: RenameArgs) -> Result<()> {
    if args.new_name.trim().is_empty() {
        return Err(Error::usage("the new name must not be empty"));
    }
    let client = ctx.client()?;
    let key = resolve_key(&client, &args.key).await?;
    if key.status != KeyStatus::Active {
        return Err(lifecycle_error(&key, "renamed"));
    }
    let renamed = service_keys::rename(&client, &key.id, &args.new_name).await?;
    ctx.printer.success(&format!("Renamed service key {:?} to {:?}.", key.name, renamed.name));
    ctx.printer.object(&renamed)
}

async fn revoke(ctx: &Ctx, args: KeyArg) -> Result<()> {
    let client = ctx.client()?;
    let key = resolve_key(&client, &args).await?;
    if key.status != KeyStatus::Active {
        ctx.printer.info(&format!("Service key {:?} is already {}; nothing to revoke.", key.name, key.status.as_str()));
        return ctx.printer.object(&key);
    }
    ctx.confirm(&format!("revoke service key {:?} ({}); this cannot be undone", key.name, key.id))?;
    let revoked = service_keys::revoke(&client, &key.id).await?;
    ctx.printer.success(&format!("Revoked service key {:?}.", revoked.name));
    ctx.printer.object(&revoked)
}

async fn delete(ctx: &Ctx, args: DeleteArgs) -> Result<()> {
    let client = ctx.client()?;
    let key = resolve_key(&client, &args.key).await?;
    if key.status == KeyStatus::Active && !args.revoke {
        return Err(Error::rejected(format!(
            "service key {:?} is active; a key must be revoked before it is deleted",
            key.name
        ))
        .hint(format!("run `tgctl service-key revoke {}` first, or pass --revoke", key.id)));
    }
    ctx.confirm(&format!("delete service key {:?} ({}) permanently", key.name, key.id))?;
    if key.status == KeyStatus::Active {
        service_keys::revoke(&client, &key.id).await?;
        ctx.printer.success(&format!("Revoked service key {:?}.", key.name));
    }
    service_keys::delete(&client, &key.id).await?;
    ctx.printer.success(&format!("Deleted service key {:?}.", key.name));
    ctx.printer.deleted(&key.id, &key.name)
}

async fn rotate(ctx: &Ctx, args: RotateArgs) -> Result<()> {
    check_destination(ctx, &args.destination)?;
    let client = ctx.client()?;
    let old = resolve_key(&client, &args.key).await?;
    let account: Ref = old
        .service_account
        .clone()
        .ok_or_else(|| Error::new(Kind::BadResponse, "the API did not say which service account the key belongs to"))?;
    let what = if args.delete_old { "revoke and delete" } else { "revoke" };
    if old.status == KeyStatus::Active {
        ctx.confirm(&format!("create a new key for {:?}, then {what} key {:?} ({})", account.name, old.name, old.id))?;
    }
    let name = args.name.clone().unwrap_or_else(|| default_key_name(Some(&old.name)));
    let created = service_keys::create(&client, &account.id, Some(name), args.expiry.days()?).await?;
    deliver(ctx, &created.key, &created.token, &args.destination)?;
    if old.status == KeyStatus::Active {
        service_keys::revoke(&client, &old.id).await.map_err(|e| Error {
            hint: Some(format!(
                "the new key {} is in place; revoke the old one with `tgctl service-key revoke {} --yes`",
                created.key.id, old.id
            )),
            ..e
        })?;
        ctx.printer.success(&format!("Revoked the old key {:?}.", old.name));
    } else {
        ctx.printer.info(&format!("The old key {:?} was already {}.", old.name, old.status.as_str()));
    }
    if args.delete_old {
        service_keys::delete(&client, &old.id).await?;
        ctx.printer.success(&format!("Deleted the old key {:?}.", old.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_replace_an_old_stamp() {
        let n = default_key_name(Some("nightly-202601010000"));
        assert!(n.starts_with("nightly-") && n.len() == "nightly-".len() + 12, "{n}");
        let n = default_key_name(Some("nightly"));
        assert!(n.starts_with("nightly-"));
        assert!(default_key_name(None).starts_with("tgctl-"));
    }
}
