//! `tgctl --provider firezone service-key create|list|get|revoke`: a service account's client
//! tokens. A token is created with an expiry (default 365 days) and shown once, written out
//! exactly like a Twingate key (`--key-file` 0600, stdout only to a pipe or with `--show`,
//! masked under GitHub Actions). Revoking deletes it; `--all` deletes every token of the account.
//! Tokens have no name and can't be renamed, so rename, delete and rotate are Twingate-only.

use jiff::Timestamp;

use super::super::Ctx;
use super::super::service_key::{
    CreateArgs, Issued, KeyArg, ListArgs, RevokeArgs, ServiceKeyCommand, check_destination, deliver,
};
use super::twingate_only;
use crate::api::firezone::{self, Actor, ClientToken};
use crate::api::service_keys::KeyStatus;
use crate::api::{Client, Page, Ref, collect, paginate};
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Tabular};
use crate::parse;

impl Tabular for ClientToken {
    fn headers() -> &'static [&'static str] {
        &["id", "service account", "status", "expires", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.service_account.as_ref().map_or_else(|| self.actor_id.clone(), |a| a.name.clone()),
            self.status(Timestamp::now()).to_owned(),
            f.opt_time(self.expires_at.as_ref(), "never"),
            f.opt_time(self.created_at.as_ref(), "unknown"),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

impl Issued for ClientToken {
    fn label(&self) -> String {
        "client token".to_owned()
    }

    fn revoke_command(&self) -> String {
        format!("tgctl --provider firezone service-key revoke {} --service-account {} --yes", self.id, self.actor_id)
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ServiceKeyCommand) -> Result<()> {
    match command {
        ServiceKeyCommand::List(a) if a.orphaned => Err(twingate_only(
            "service-key list --orphaned",
            "Firezone client tokens minted by connect are recorded before they are used",
        )),
        ServiceKeyCommand::List(a) => list(ctx, a).await,
        ServiceKeyCommand::Get(a) => get(ctx, a).await,
        ServiceKeyCommand::Create(a) => create(ctx, a).await,
        ServiceKeyCommand::Revoke(a) => revoke(ctx, a).await,
        ServiceKeyCommand::Rename(_) => Err(twingate_only(
            "service-key rename",
            "Firezone client tokens have no name; see them with `service-key list`",
        )),
        ServiceKeyCommand::Delete(_) => Err(twingate_only(
            "service-key delete",
            "revoking a Firezone client token deletes it: `tgctl --provider firezone service-key revoke ID --service-account NAME`",
        )),
        ServiceKeyCommand::Rotate(_) => Err(twingate_only(
            "service-key rotate",
            "create a new token with `service-key create --key-file ...`, then `service-key revoke` the old one",
        )),
    }
}

fn reference(account: &Actor) -> Ref {
    Ref { id: account.id.clone(), name: account.name.clone() }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    if args.name.is_some() {
        return Err(Error::usage("--name is not available with --provider firezone: client tokens have no name"));
    }
    if args.expiry.no_expiry {
        return Err(Error::usage("--no-expiry is not available with --provider firezone: client tokens always expire")
            .hint("pass --expires-in (e.g. 365d, the default)"));
    }
    let lifetime = args.expiry.duration()?;
    if lifetime.is_zero() {
        return Err(Error::usage("--expires-in must be more than 0"));
    }
    let expires_at = jiff::SignedDuration::try_from(lifetime)
        .ok()
        .and_then(|d| Timestamp::now().checked_add(d).ok())
        .ok_or_else(|| Error::usage("--expires-in is too long"))?;
    check_destination(ctx, &args.destination)?;
    let client = ctx.firezone()?;
    let account = firezone::resolve_service_account(&client, &args.service_account).await?;
    let created = firezone::create_token(&client, &account.id, expires_at).await?;
    let mut token = created.token;
    token.service_account = Some(reference(&account));
    deliver(ctx, &token, &created.secret, &args.destination)
}

/// Accounts to search: the one named, or all service accounts.
async fn accounts(client: &Client, named: Option<&str>) -> Result<Vec<Actor>> {
    match named {
        Some(a) => Ok(vec![firezone::resolve_service_account(client, a).await?]),
        None => collect(None, |cursor, first| firezone::service_account_page(client, cursor, first)).await,
    }
}

async fn list(ctx: &Ctx, args: ListArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    if args.status == Some(KeyStatus::Revoked) {
        ctx.printer.info("Firezone deletes a client token when it is revoked: there are no revoked tokens to list.");
    }
    let within = args.expiring_within.as_deref().map(parse::duration).transpose()?;
    let now = Timestamp::now();
    let horizon = within.map(|d| {
        now.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(Timestamp::MAX)
    });
    let keep = |t: &ClientToken| {
        let status = t.status(now);
        args.status.is_none_or(|s| s.as_str() == status)
            && horizon.is_none_or(|h| status == "active" && t.expires_at.is_some_and(|at| at <= h))
    };
    let client = ctx.firezone()?;
    let accounts = accounts(&client, args.service_account.as_deref()).await?;
    let mut out = ctx.printer.list::<ClientToken>();
    let mut left = args.limit;
    for account in &accounts {
        if left == Some(0) {
            break;
        }
        let shown = paginate(
            left,
            |cursor, first| {
                let client = &client;
                async move {
                    let page = firezone::token_page(client, &account.id, cursor, first).await?;
                    let nodes = page
                        .nodes
                        .into_iter()
                        .filter(keep)
                        .map(|mut t| {
                            t.service_account = Some(reference(account));
                            t
                        })
                        .collect();
                    Ok(Page { nodes, ..page })
                }
            },
            |page| out.push_page(page),
        )
        .await?;
        left = left.map(|l| l.saturating_sub(shown));
    }
    out.finish()?;
    Ok(())
}

/// A token by ID, in the named account or, without one, in any service account.
async fn find_token(client: &Client, id: &str, account: Option<&str>) -> Result<ClientToken> {
    if !firezone::is_uuid(id) {
        return Err(Error::usage(format!("{id:?} is not a client token ID")).hint(
            "Firezone client tokens have no name; find the ID with `tgctl --provider firezone service-key list`",
        ));
    }
    for account in accounts(client, account).await? {
        match firezone::get_token(client, &account.id, id).await {
            Ok(mut t) => {
                t.service_account = Some(reference(&account));
                if t.actor_id.is_empty() {
                    t.actor_id.clone_from(&account.id);
                }
                return Ok(t);
            }
            Err(e) if e.kind == Kind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::not_found(format!("no client token {id}"))
        .hint("list them with `tgctl --provider firezone service-key list`"))
}

async fn get(ctx: &Ctx, args: KeyArg) -> Result<()> {
    let client = ctx.firezone()?;
    let token = find_token(&client, &args.key, args.service_account.as_deref()).await?;
    ctx.printer.object(&token)
}

async fn revoke(ctx: &Ctx, args: RevokeArgs) -> Result<()> {
    let client = ctx.firezone()?;
    if args.all {
        let account =
            firezone::resolve_service_account(&client, args.service_account.as_deref().unwrap_or_default()).await?;
        ctx.confirm(&format!(
            "revoke every client token of service account {:?} ({}); clients using them are cut off",
            account.name, account.id
        ))?;
        let count = firezone::delete_all_tokens(&client, &account.id).await?;
        let n = count.map_or_else(|| "every".to_owned(), |c| c.to_string());
        ctx.printer.success(&format!("Revoked {n} client token(s) of {:?}.", account.name));
        return match ctx.printer.format() {
            crate::output::Format::Json | crate::output::Format::Ndjson => ctx.printer.json(&serde_json::json!({
                "serviceAccount": reference(&account), "revoked": "all", "deletedCount": count
            })),
            crate::output::Format::Id => ctx.printer.raw(&account.id),
            crate::output::Format::Table => Ok(()),
        };
    }
    let id = args.key.unwrap_or_default();
    let token = find_token(&client, &id, args.service_account.as_deref()).await?;
    let owner = token.service_account.as_ref().map_or_else(|| token.actor_id.clone(), |a| format!("{:?}", a.name));
    ctx.confirm(&format!("revoke client token {} of {owner}; this cannot be undone", token.id))?;
    firezone::delete_token(&client, &token.actor_id, &token.id).await?;
    ctx.printer.success(&format!("Revoked client token {} (Firezone deletes revoked tokens).", token.id));
    ctx.printer.deleted(&token.id, &owner)
}
