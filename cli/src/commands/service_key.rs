//! `tgctl service-key list|get|create|rename|revoke|delete|rotate`: the flags, shared by every
//! provider's verbs ([`twingate`] here, Firezone's in `commands::firezone::service_key`), and
//! the one way a new key or token is handed over ([`deliver`]).

pub(crate) mod twingate;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Ctx;
use crate::api::service_keys::{self, KeyStatus};
use crate::config::write_private_file;
use crate::error::{Error, Result};
use crate::output::{Fmt, Format, Tabular};
use crate::parse;

#[derive(Debug, Subcommand)]
pub(crate) enum ServiceKeyCommand {
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
pub(crate) struct ListArgs {
    /// Only the keys of this service account (name or ID)
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub(crate) service_account: Option<String>,
    /// Only keys with this status
    #[arg(long, value_enum)]
    pub(crate) status: Option<KeyStatus>,
    /// Only active keys that expire within this time: 30d, 12h, 2w (a bare number is refused)
    #[arg(long, value_name = "DURATION", value_parser = expiring_within)]
    pub(crate) expiring_within: Option<String>,
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct KeyArg {
    /// Key ID, or key name (unique among the keys searched)
    pub(crate) key: String,
    /// Look the name up among this service account's keys only
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub(crate) service_account: Option<String>,
}

/// `--expiring-within`: checked while parsing, so every provider gets the same answer.
fn expiring_within(text: &str) -> std::result::Result<String, String> {
    match parse::duration_with_unit("--expiring-within", text) {
        Ok(_) => Ok(text.to_owned()),
        // clap names the flag and the value already: keep only what is wrong and what to do.
        Err(e) => {
            let what = e.message.split_once(": ").map_or(e.message.as_str(), |(_, w)| w);
            Err(e.hint.as_ref().map_or(what.to_owned(), |h| format!("{what}; {h}")))
        }
    }
}

/// Days a new key lives when nothing says otherwise.
const DEFAULT_DAYS: i64 = 365;

#[derive(Debug, Clone, Args)]
pub(crate) struct Expiry {
    /// Days until the key expires, 1 to 365, fixed for the key's life [create: default 365; rotate: default the old key's lifetime]
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=365), conflicts_with = "no_expiry")]
    pub(crate) expires_in_days: Option<i64>,
    /// Time until the key expires, e.g. 30d, 2w (Twingate: whole days)
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["no_expiry", "expires_in_days"])]
    pub(crate) expires_in: Option<String>,
    /// Create a key that never expires
    #[arg(long)]
    pub(crate) no_expiry: bool,
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
pub(crate) struct Destination {
    /// Write the key to this file (created with mode 0600; see --force); `-` is stdout
    #[arg(long, value_name = "PATH")]
    pub(crate) key_file: Option<PathBuf>,
    /// Replace --key-file if it exists
    #[arg(long, requires = "key_file")]
    pub(crate) force: bool,
    /// Print the key to stdout even when stdout is a terminal
    #[arg(long, conflicts_with = "key_file")]
    pub(crate) show: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Service account (name or ID) the key belongs to
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub(crate) service_account: String,
    /// Name of the key (default: tgctl-<CI job or UTC time>-<6 random characters>)
    #[arg(long)]
    pub(crate) name: Option<String>,
    #[command(flatten)]
    pub(crate) expiry: Expiry,
    #[command(flatten)]
    pub(crate) destination: Destination,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// Key ID, or key name (unique among the keys searched)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub(crate) key: Option<String>,
    /// Look the name up among this service account's keys only (Firezone: the token's account)
    #[arg(long, value_name = "SERVICE_ACCOUNT")]
    pub(crate) service_account: Option<String>,
    /// Firezone: revoke every token of --service-account
    #[arg(long, requires = "service_account")]
    pub(crate) all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RenameArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// The new name
    pub(crate) new_name: String,
}

#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Revoke the key first if it is still active
    #[arg(long)]
    pub(crate) revoke: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Name of the new key (default: the old key's name)
    #[arg(long)]
    pub(crate) name: Option<String>,
    #[command(flatten)]
    pub(crate) expiry: Expiry,
    #[command(flatten)]
    pub(crate) destination: Destination,
    /// Delete the old key after revoking it
    #[arg(long)]
    pub(crate) delete_old: bool,
}

/// Checks, before anything is created, that the secret will have somewhere safe to go.
pub(crate) fn check_destination(ctx: &Ctx, dest: &Destination) -> Result<()> {
    match &dest.key_file {
        Some(path) if path.as_os_str() == "-" => Ok(()),
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
    match dest.key_file.as_ref().filter(|p| p.as_os_str() != "-") {
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
