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
    let within =
        args.expiring_within.as_deref().map(|t| parse::duration_with_unit("--expiring-within", t)).transpose()?;
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
    // --orphaned: the key an interrupted `connect --mint` named in its intent record (issue 15,
    // item 4); with no such record, none.
    let intent = if args.orphaned { Some(orphan_intent(ctx)?) } else { None };
    let keep = |k: &ServiceKey| {
        intent.as_ref().is_none_or(|i| {
            i.as_ref().is_some_and(|(name, account)| {
                &k.name == name && k.service_account.as_ref().is_some_and(|a| &a.id == account)
            })
        }) && args.status.is_none_or(|s| k.status == s)
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

/// The (name, service account ID) of connect's intent record, if there is one.
#[cfg(unix)]
fn orphan_intent(ctx: &Ctx) -> Result<Option<(String, String)>> {
    let st = crate::connect::state::State::load(&ctx.env)?;
    Ok(st.and_then(|s| s.mint_intent.clone()).map(|i| (i.name, i.service_account_id)))
}

#[cfg(not(unix))]
fn orphan_intent(_ctx: &Ctx) -> Result<Option<(String, String)>> {
    Ok(None)
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
    let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let mut matches: Vec<ServiceKey> = keys.into_iter().filter(|k| k.name == arg.key).collect();
    match matches.len() {
        0 => Err(Error::not_found(format!("no service key named {:?}", arg.key)).hint(crate::suggest::hint(
            &arg.key,
            &names,
            "tgctl service-key list",
        ))),
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

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    check_destination(ctx, &args.destination)?;
    let days = args.expiry.days()?;
    let client = ctx.client()?;
    let account = service_accounts::resolve(&client, &args.service_account).await?;
    let name = args.name.clone().unwrap_or_else(|| crate::naming::key_name(&ctx.env));
    let created = service_keys::create(&client, &account.id, Some(name), days).await?;
    deliver(ctx, &created.key, &created.token, &args.destination)
}

/// A key's lifetime in whole days, as the API takes it: 0 when it never expires, else from
/// creation to expiry, rounded to the nearest day and kept within 1 to 365.
fn lifetime_days(key: &ServiceKey) -> i64 {
    match key.expires_at {
        None => 0,
        Some(at) => ((at.as_second() - key.created_at.as_second() + 43_200) / 86_400).clamp(1, 365),
    }
}

/// "30 days", "1 day", "no expiry".
fn lifetime_text(days: i64) -> String {
    match days {
        0 => "no expiry".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
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
    if key.past_expiry(jiff::Timestamp::now()) {
        // The API decides whether a key works; a wrong local clock must not leave a key active.
        ctx.printer.info(&format!(
            "Service key {:?} is past its expiry time by this machine's clock, but the API reports it active; revoking it.",
            key.name
        ));
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

/// Rotation keeps what it is not told to change: the new key gets the old key's name and the
/// old key's lifetime (counted from now), and the messages say so.
async fn rotate(ctx: &Ctx, args: RotateArgs) -> Result<()> {
    check_destination(ctx, &args.destination)?;
    let asked_days = args.expiry.requested_days()?;
    let client = ctx.client()?;
    let old = resolve_key(&client, &args.key).await?;
    let account: Ref = old
        .service_account
        .clone()
        .ok_or_else(|| Error::new(Kind::BadResponse, "the API did not say which service account the key belongs to"))?;
    let name = args.name.clone().unwrap_or_else(|| old.name.clone());
    let (days, lifetime) = match asked_days {
        Some(d) => (d, format!("{} (as asked)", lifetime_text(d))),
        None => {
            let d = lifetime_days(&old);
            (d, format!("the old key's lifetime ({})", lifetime_text(d)))
        }
    };
    let naming = if name == old.name { "has the old key's name".to_owned() } else { format!("is named {name:?}") };
    let what = if args.delete_old { "revoke and delete" } else { "revoke" };
    if old.status == KeyStatus::Active {
        ctx.confirm(&format!(
            "create a new key for {:?} that {naming}, with {lifetime}, then {what} the old key {:?} ({})",
            account.name, old.name, old.id
        ))?;
    }
    let stage = ctx.printer.spinner("Creating the new key");
    let created = service_keys::create(&client, &account.id, Some(name), days).await;
    stage.finish();
    let created = created?;
    deliver(ctx, &created.key, &created.token, &args.destination)?;
    let mut done = Vec::new();
    if old.status == KeyStatus::Active {
        let stage = ctx.printer.spinner(&format!("Revoking the old key {:?}", old.name));
        let revoked = service_keys::revoke(&client, &old.id).await;
        stage.finish();
        revoked.map_err(|e| Error {
            hint: Some(format!(
                "the new key {} is in place; revoke the old one with `tgctl service-key revoke {} --yes`",
                created.key.id, old.id
            )),
            ..e
        })?;
        ctx.printer.success(&format!("Revoked the old key {:?} ({}).", old.name, old.id));
        done.push("revoked");
    } else {
        ctx.printer.info(&format!("The old key {:?} was already {}.", old.name, old.status.as_str()));
    }
    if args.delete_old {
        let stage = ctx.printer.spinner(&format!("Deleting the old key {:?}", old.name));
        let deleted = service_keys::delete(&client, &old.id).await;
        stage.finish();
        deleted?;
        ctx.printer.success(&format!("Deleted the old key {:?} ({}).", old.name, old.id));
        done.push("deleted");
    }
    let old_fate = if done.is_empty() { "left as it was".to_owned() } else { done.join(" and ") };
    ctx.printer.success(&format!(
        "Rotated service key {:?} of {:?}: the new key {} {naming}, with {lifetime}; the old key {} was {old_fate}.",
        old.name, account.name, created.key.id, old.id
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(created: &str, expires: Option<&str>) -> ServiceKey {
        let t: Timestamp = created.parse().unwrap();
        ServiceKey {
            id: "k".into(),
            name: "nightly".into(),
            status: KeyStatus::Active,
            service_account: None,
            expires_at: expires.map(|e| e.parse().unwrap()),
            revoked_at: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn a_keys_lifetime_is_read_in_whole_days() {
        assert_eq!(lifetime_days(&key("2026-01-01T00:00:00Z", Some("2026-01-31T00:00:00Z"))), 30);
        // Seconds of drift between creation and expiry round to the day.
        assert_eq!(lifetime_days(&key("2026-01-01T00:00:03Z", Some("2026-01-31T00:00:00Z"))), 30);
        assert_eq!(lifetime_days(&key("2026-01-01T00:00:00Z", None)), 0);
        assert_eq!(lifetime_days(&key("2026-01-01T00:00:00Z", Some("2028-01-01T00:00:00Z"))), 365);
        assert_eq!(lifetime_days(&key("2026-01-01T00:00:00Z", Some("2026-01-01T01:00:00Z"))), 1);
        assert_eq!(lifetime_text(30), "30 days");
        assert_eq!(lifetime_text(0), "no expiry");
    }
}
