//! `tgctl service-key list|get|create|rename|revoke|delete|rotate`, with the key lifecycle
//! enforced before anything is sent (see `api::service_keys`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Ctx;
use crate::api::service_keys::{self, KeyStatus, ServiceKey};
use crate::api::{self, Page, Ref, ids, paginate, service_accounts};
use crate::config::write_private_file;
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Format, Tabular};
use crate::parse;

const LIFECYCLE: &str = "Lifecycle: a key is created active, with an expiry that can only be set at creation
(1 to 365 days, or none). It can be renamed only while active. Revoking is final: a revoked key
never becomes active again. A key must be revoked (or have expired) before it is deleted.";

#[derive(Debug, Subcommand)]
pub enum ServiceKeyCommand {
    /// List keys, of one service account or all (for audits)
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl service-key list --service-account ci-deployer
  tgctl service-key list --status active --expiring-within 30d
  tgctl service-key list --status revoked -o id"
    )]
    List(ListArgs),
    /// Show one key (never its secret: the API shows that only once, at creation)
    #[command(after_help = "Examples:
  tgctl service-key get U2VydmljZUFjY291bnRLZXk6...
  tgctl service-key get nightly --service-account ci-deployer -o json")]
    Get(KeyArg),
    /// Create a key and show it exactly once: written to --key-file, or printed to stdout
    #[command(after_help = "Examples:
  # Recommended: straight into a file created with mode 0600
  tgctl service-key create --service-account ci-deployer --key-file key.json

  # A 7-day key for one pipeline, piped into a secret store (stdout is not a terminal)
  tgctl service-key create --service-account ci-deployer --expires-in-days 7 | gh secret set TWINGATE_SERVICE_KEY

  # As JSON with the key in a `token` field
  tgctl service-key create --service-account ci-deployer -o json > key-and-metadata.json

Under GitHub Actions the key is masked (::add-mask::) before anything is printed.")]
    Create(CreateArgs),
    /// Rename a key (only while it is active)
    #[command(after_help = "Examples:
  tgctl service-key rename U2VydmljZUFjY291bnRLZXk6... deploy-prod")]
    Rename(RenameArgs),
    /// Revoke a key: it stops working at once and can never be made active again
    #[command(after_help = "Examples:
  tgctl service-key revoke U2VydmljZUFjY291bnRLZXk6... --yes
  tgctl service-key list --status active --expiring-within 7d -o id | xargs -n1 tgctl service-key revoke --yes

  # Firezone: a client token (revoking deletes it), or every token of a service account
  tgctl --provider firezone service-key revoke 6ba7b810-9dad-11d1-80b4-00c04fd430c8 --service-account ci --yes
  tgctl --provider firezone service-key revoke --all --service-account ci --yes")]
    Revoke(RevokeArgs),
    /// Delete a revoked or expired key for good
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl service-key delete U2VydmljZUFjY291bnRLZXk6... --yes
  tgctl service-key delete U2VydmljZUFjY291bnRLZXk6... --revoke --yes   # revoke, then delete"
    )]
    Delete(DeleteArgs),
    /// Replace a key: create a new one, write it out, then revoke (and optionally delete) the old
    #[command(after_help = "Examples:
  tgctl service-key rotate nightly --service-account ci-deployer --key-file new-key.json --yes
  tgctl service-key rotate U2VydmljZUFjY291bnRLZXk6... --key-file key.json --force --delete-old --yes

The old key is revoked only after the new one has been written out.")]
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the keys of this service account (name or ID)
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub service_account: Option<String>,
    /// Only keys with this status
    #[arg(long, value_enum)]
    pub status: Option<KeyStatus>,
    /// Only active keys that expire within this time: 30d, 12h, 2w (a bare number is refused)
    #[arg(long, value_name = "DURATION", value_parser = expiring_within)]
    pub expiring_within: Option<String>,
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct KeyArg {
    /// Key ID, or key name (unique among the keys searched)
    pub key: String,
    /// Look the name up among this service account's keys only
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub service_account: Option<String>,
}

/// `--expiring-within`: checked while parsing, so every provider gets the same answer.
fn expiring_within(text: &str) -> std::result::Result<String, String> {
    match parse::duration_with_unit("--expiring-within", text) {
        Ok(_) => Ok(text.to_owned()),
        Err(e) => Err(e.hint.map_or(e.message.clone(), |h| format!("{}; {h}", e.message))),
    }
}

/// Days a new key lives when nothing says otherwise.
const DEFAULT_DAYS: i64 = 365;

#[derive(Debug, Clone, Args)]
pub struct Expiry {
    /// Days until the key expires, 1 to 365, fixed for the key's life [create: default 365; rotate: default the old key's lifetime]
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=365), conflicts_with = "no_expiry")]
    pub expires_in_days: Option<i64>,
    /// Time until the key expires, e.g. 30d, 2w (Twingate: whole days)
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["no_expiry", "expires_in_days"])]
    pub expires_in: Option<String>,
    /// Create a key that never expires
    #[arg(long)]
    pub no_expiry: bool,
}

impl Expiry {
    /// The lifetime in days the flags ask for (0: never expires), or `None` when no flag says.
    fn requested_days(&self) -> Result<Option<i64>> {
        if self.no_expiry {
            return Ok(Some(0));
        }
        let Some(text) = &self.expires_in else { return Ok(self.expires_in_days) };
        let secs = parse::duration_with_unit("--expires-in", text)?.as_secs();
        let days = secs / 86_400;
        if secs % 86_400 != 0 || !(1..=365).contains(&days) {
            return Err(Error::usage(format!("--expires-in {text}: Twingate keys expire in whole days, 1 to 365"))
                .hint("for example --expires-in 30d"));
        }
        Ok(Some(days as i64))
    }

    fn days(&self) -> Result<i64> {
        Ok(self.requested_days()?.unwrap_or(DEFAULT_DAYS))
    }

    /// How long from now, for APIs that take any expiry (Firezone).
    pub(crate) fn duration(&self) -> Result<std::time::Duration> {
        match &self.expires_in {
            Some(text) => parse::duration_with_unit("--expires-in", text),
            None => {
                Ok(std::time::Duration::from_secs(self.expires_in_days.unwrap_or(DEFAULT_DAYS).unsigned_abs() * 86_400))
            }
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct Destination {
    /// Write the key to this file (created with mode 0600; see --force)
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Replace --key-file if it exists
    #[arg(long, requires = "key_file")]
    pub force: bool,
    /// Print the key to stdout even when stdout is a terminal
    #[arg(long, conflicts_with = "key_file")]
    pub show: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Service account (name or ID) the key belongs to
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub service_account: String,
    /// Name of the key (default: tgctl-<CI job or UTC time>-<6 random characters>)
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub expiry: Expiry,
    #[command(flatten)]
    pub destination: Destination,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Key ID, or key name (unique among the keys searched)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub key: Option<String>,
    /// Look the name up among this service account's keys only (Firezone: the token's account)
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub service_account: Option<String>,
    /// Firezone: revoke every token of --service-account
    #[arg(long, requires = "service_account")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    #[command(flatten)]
    pub key: KeyArg,
    /// The new name
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub key: KeyArg,
    /// Revoke the key first if it is still active
    #[arg(long)]
    pub revoke: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub key: KeyArg,
    /// Name of the new key (default: the old key's name)
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub expiry: Expiry,
    #[command(flatten)]
    pub destination: Destination,
    /// Delete the old key after revoking it
    #[arg(long)]
    pub delete_old: bool,
}

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

pub async fn run(ctx: &Ctx, command: ServiceKeyCommand) -> Result<()> {
    if ctx.provider()? == crate::config::ProviderKind::Firezone {
        return super::firezone::service_key::run(ctx, command).await;
    }
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

/// Checks, before anything is created, that the secret will have somewhere safe to go.
pub(crate) fn check_destination(ctx: &Ctx, dest: &Destination) -> Result<()> {
    match &dest.key_file {
        Some(path) => super::check_new_file(path, dest.force, "nothing was created"),
        None if ctx.printer.stdout_is_tty() && !dest.show => {
            Err(Error::usage("refusing to print a service key to the terminal; nothing was created")
                .hint("pass --key-file PATH (recommended), pipe stdout somewhere, or pass --show"))
        }
        None => Ok(()),
    }
}

/// A credential that is shown once when created: a Twingate service key, a Firezone client
/// token. [`deliver`] writes it out the same way whatever it is.
pub(crate) trait Issued: Tabular {
    /// How messages name it: `service key "nightly"`.
    fn label(&self) -> String;
    /// The command that revokes it, for when it could not be saved.
    fn revoke_command(&self) -> String;
}

impl Issued for ServiceKey {
    fn label(&self) -> String {
        format!("service key {:?}", self.name)
    }

    fn revoke_command(&self) -> String {
        format!("tgctl service-key revoke {} --yes", self.id)
    }
}

/// What `create` and `rotate` print about a new key.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedOutput<'a, K> {
    #[serde(flatten)]
    key: &'a K,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_file: Option<String>,
    /// The service key JSON, only when it was not written to a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

impl<K: Tabular> Tabular for CreatedOutput<'_, K> {
    fn headers() -> &'static [&'static str] {
        K::headers()
    }
    fn cells(&self, f: &Fmt) -> Vec<String> {
        self.key.cells(f)
    }
    fn id(&self) -> &str {
        self.key.id()
    }
    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d = self.key.details(f);
        if let Some(p) = &self.key_file {
            d.push(("key file", p.clone()));
        }
        d
    }
}

/// Masks, then delivers the secret: to the file, or to stdout. Never logs it.
pub(crate) fn deliver<K: Issued>(ctx: &Ctx, key: &K, token: &SecretString, dest: &Destination) -> Result<()> {
    let secret = token.expose_secret();
    mask_key(ctx, secret);
    match &dest.key_file {
        Some(path) => {
            let mut bytes = secret.as_bytes().to_vec();
            if !bytes.ends_with(b"\n") {
                bytes.push(b'\n');
            }
            write_private_file(path, &bytes, dest.force).map_err(|e| Error {
                hint: Some(format!(
                    "the {} ({}) was created but could not be saved; revoke it with `{}`",
                    key.label(),
                    key.id(),
                    key.revoke_command()
                )),
                ..e
            })?;
            ctx.printer.success(&format!(
                "Wrote {} to {} (mode 0600). It is shown only this once.",
                key.label(),
                path.display()
            ));
            ctx.printer.object(&CreatedOutput { key, key_file: Some(path.display().to_string()), token: None })
        }
        None => match ctx.printer.format() {
            Format::Json | Format::Ndjson => {
                ctx.printer.json(&CreatedOutput { key, key_file: None, token: Some(secret) })
            }
            Format::Table | Format::Id => {
                ctx.printer.info(&format!(
                    "{} ({}) follows on stdout. It is shown only this once.",
                    capitalized(&key.label()),
                    key.id()
                ));
                ctx.printer.raw(secret)
            }
        },
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// Under GitHub Actions: the whole key, its private key's lines, and its base64 form.
pub(crate) fn mask_key(ctx: &Ctx, secret: &str) {
    use base64::Engine;
    ctx.printer.mask(secret);
    if let Ok(doc) = service_keys::KeyDocument::parse(secret) {
        ctx.printer.mask(&doc.private_key);
    }
    ctx.printer.mask(&base64::engine::general_purpose::STANDARD.encode(secret.trim()));
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
        Some(d) => (d, lifetime_text(d)),
        None => {
            let d = lifetime_days(&old);
            (d, format!("{}, the old key's lifetime", lifetime_text(d)))
        }
    };
    let naming = if name == old.name { format!("{name:?}, the old key's name") } else { format!("{name:?}") };
    let what = if args.delete_old { "revoke and delete" } else { "revoke" };
    if old.status == KeyStatus::Active {
        ctx.confirm(&format!(
            "create a new key for {:?} named {naming} with {lifetime}, then {what} the old key {:?} ({})",
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
        "Rotated service key {:?} of {:?}: the new key {} is named {naming} and has {lifetime}; the old key {} was {old_fate}.",
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
