//! `tgctl connector list|get|create|update|delete|tokens`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::{Ctx, ListArgs, tri};
use crate::api::connectors::{self, Connector, ConnectorState, Filter};
use crate::api::{label, paginate, remote_networks};
use crate::config::{env, write_private_file};
use crate::error::{Error, Result};
use crate::output::{Fmt, Format, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum ConnectorCommand {
    /// List connectors with their state, last heartbeat, version, host and addresses
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl connector list
  tgctl connector list --remote-network aws-prod --state alive
  tgctl connector list --state dead-no-heartbeat --state dead-heartbeat-too-old -o json"
    )]
    List(ListConnectorsArgs),
    /// Show a connector
    #[command(after_help = "Examples:
  tgctl connector get brave-otter
  tgctl connector get Q29ubmVjdG9yOjE2NDc3Ng== -o json")]
    Get(ConnectorArg),
    /// Create a connector in a remote network (then generate its tokens with `connector tokens`)
    #[command(after_help = "Examples:
  tgctl connector create --remote-network aws-prod --name aws-prod-1
  tgctl connector create --remote-network aws-prod -o id      # the API picks a name
  id=$(tgctl connector create --remote-network aws-prod -o id) &&
    tgctl connector tokens \"$id\" --out connector.env --format env --yes")]
    Create(CreateArgs),
    /// Rename a connector or switch its status notifications
    #[command(after_help = "Examples:
  tgctl connector update brave-otter --name aws-prod-1
  tgctl connector update aws-prod-1 --no-notifications")]
    Update(UpdateArgs),
    /// Delete a connector
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl connector delete aws-prod-1          # asks for confirmation on a terminal
  tgctl connector delete aws-prod-1 --yes    # scripts"
    )]
    Delete(ConnectorArg),
    /// Generate new tokens for a connector (the previous ones stop working); shown only once
    #[command(after_help = "Examples:
  # Recommended: an env file (mode 0600) that a deployment can source or pass to docker --env-file
  tgctl connector tokens aws-prod-1 --out connector.env --format env --yes

  # As JSON into a secret store (stdout is not a terminal)
  tgctl connector tokens aws-prod-1 --yes | vault kv put secret/connector tokens=-

The tokens are written to --out, or printed to stdout only when stdout is not a terminal (or with
--show). Under GitHub Actions they are masked (::add-mask::) before anything is printed.")]
    Tokens(TokensArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListConnectorsArgs {
    #[command(flatten)]
    pub(crate) list: ListArgs,
    /// Only the connectors of this remote network (name or ID)
    #[arg(long, value_name = "REMOTE_NETWORK")]
    pub(crate) remote_network: Option<String>,
    /// Only connectors in this state; repeat for several
    #[arg(long, value_enum)]
    pub(crate) state: Vec<ConnectorState>,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectorArg {
    /// Name or ID of the connector
    pub(crate) connector: String,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Remote network (name or ID) the connector serves
    #[arg(long, value_name = "REMOTE_NETWORK")]
    pub(crate) remote_network: String,
    /// Name of the connector (default: one the API makes up)
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Don't send status notifications (offline/online e-mails) for it
    #[arg(long)]
    pub(crate) no_notifications: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name or ID of the connector
    pub(crate) connector: String,
    /// New name
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Send status notifications for it
    #[arg(long, conflicts_with = "no_notifications")]
    pub(crate) notifications: bool,
    /// Stop sending status notifications for it
    #[arg(long)]
    pub(crate) no_notifications: bool,
}

/// How the tokens are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TokensFormat {
    /// {"network", "accessToken", "refreshToken", ...}
    Json,
    /// TWINGATE_NETWORK=..., TWINGATE_ACCESS_TOKEN=..., TWINGATE_REFRESH_TOKEN=... (for `source` and docker --env-file)
    Env,
}

#[derive(Debug, Args)]
pub(crate) struct TokensArgs {
    /// Name or ID of the connector
    pub(crate) connector: String,
    /// Write the tokens to this file (created with mode 0600; see --force)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Replace --out if it exists
    #[arg(long, requires = "out")]
    pub(crate) force: bool,
    /// How to write the tokens
    #[arg(long, value_enum, default_value_t = TokensFormat::Json)]
    pub(crate) format: TokensFormat,
    /// Print the tokens to stdout even when stdout is a terminal
    #[arg(long, conflicts_with = "out")]
    pub(crate) show: bool,
}

impl Tabular for Connector {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "remote network", "state", "last heartbeat", "version", "hostname", "public ip", "private ips"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.remote_network.name.clone(),
            label(&self.state),
            f.opt_time(self.last_heartbeat_at.as_ref(), if f.is_tty() { "never" } else { "" }),
            f.opt(self.version.as_deref()),
            f.opt(self.hostname.as_deref()),
            f.opt(self.public_ip.as_deref()),
            if self.private_ips.is_empty() && f.is_tty() { "-".to_owned() } else { self.private_ips.join(",") },
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.clone()),
            ("name", self.name.clone()),
            ("remote network", format!("{} ({})", self.remote_network.name, self.remote_network.id)),
            ("state", label(&self.state)),
            ("last heartbeat", f.opt_time(self.last_heartbeat_at.as_ref(), "never")),
            ("version", f.opt(self.version.as_deref())),
            ("hostname", f.opt(self.hostname.as_deref())),
            ("public ip", f.opt(self.public_ip.as_deref())),
            ("private ips", f.list(&self.private_ips, "none")),
            ("notifications", f.yes_no(self.status_notifications)),
            ("created", f.time(&self.created_at)),
            ("updated", f.time(&self.updated_at)),
        ]
    }
}

pub(crate) async fn run(ctx: &Ctx, command: ConnectorCommand) -> Result<()> {
    match command {
        ConnectorCommand::List(a) => list(ctx, a).await,
        ConnectorCommand::Get(a) => get(ctx, a).await,
        ConnectorCommand::Create(a) => create(ctx, a).await,
        ConnectorCommand::Update(a) => update(ctx, a).await,
        ConnectorCommand::Delete(a) => delete(ctx, a).await,
        ConnectorCommand::Tokens(a) => tokens(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListConnectorsArgs) -> Result<()> {
    let limit = args.list.limit()?;
    let client = ctx.client()?;
    let remote_network = match &args.remote_network {
        Some(n) => Some(remote_networks::find(&client, n).await?.id),
        None => None,
    };
    let mut states = args.state.clone();
    states.dedup();
    let filter = Filter { name: args.list.name_filter(), states, remote_network };
    let mut out = ctx.printer.list::<Connector>();
    paginate(limit, |after, first| connectors::list_page(&client, &filter, after, first), |page| out.push_page(page))
        .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: ConnectorArg) -> Result<()> {
    let client = ctx.client()?;
    let connector = connectors::find(&client, &args.connector).await?;
    ctx.printer.object(&connector)
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    if let Some(name) = &args.name {
        super::non_empty("name", name)?;
    }
    let client = ctx.client()?;
    let network = remote_networks::find(&client, &args.remote_network).await?;
    let notifications = args.no_notifications.then_some(false);
    let connector = connectors::create(&client, &network.id, args.name.clone(), notifications).await?;
    ctx.printer.success(&format!(
        "Created connector {:?} ({}) in {:?}. Generate its tokens with `tgctl connector tokens {}`.",
        connector.name, connector.id, network.name, connector.id
    ));
    ctx.printer.object(&connector)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    let notifications = tri(args.notifications, args.no_notifications);
    if args.name.is_none() && notifications.is_none() {
        return Err(Error::usage("nothing to change").hint("pass --name, --notifications or --no-notifications"));
    }
    if let Some(name) = &args.name {
        super::non_empty("name", name)?;
    }
    let client = ctx.client()?;
    let target = connectors::find(&client, &args.connector).await?;
    let connector = connectors::update(&client, &target.id, args.name.clone(), notifications).await?;
    ctx.printer.success(&format!("Updated connector {:?}.", connector.name));
    ctx.printer.object(&connector)
}

async fn delete(ctx: &Ctx, args: ConnectorArg) -> Result<()> {
    let client = ctx.client()?;
    let target = connectors::find(&client, &args.connector).await?;
    ctx.confirm(&format!("delete connector {:?} ({}) of {:?}", target.name, target.id, target.remote_network.name))?;
    connectors::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted connector {:?}.", target.name));
    ctx.printer.deleted(&target.id, &target.name)
}

/// The tokens file as JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokensDocument<'a> {
    network: &'a str,
    connector_id: &'a str,
    connector_name: &'a str,
    access_token: &'a str,
    refresh_token: &'a str,
}

/// What `connector tokens` prints about the connector when the tokens went to a file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokensWritten<'a> {
    #[serde(flatten)]
    connector: &'a Connector,
    tokens_file: String,
}

impl Tabular for TokensWritten<'_> {
    fn headers() -> &'static [&'static str] {
        Connector::headers()
    }
    fn cells(&self, f: &Fmt) -> Vec<String> {
        self.connector.cells(f)
    }
    fn id(&self) -> &str {
        &self.connector.id
    }
    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d = self.connector.details(f);
        d.push(("tokens file", self.tokens_file.clone()));
        d
    }
}

/// A value for an env file: bare when it is plain, single-quoted otherwise.
fn env_value(value: &str) -> String {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+/=:@".contains(&b)) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// The env file or JSON text holding the tokens.
fn render_tokens(format: TokensFormat, doc: &TokensDocument<'_>, url: Option<&str>) -> Result<String> {
    Ok(match format {
        TokensFormat::Env => {
            let mut text = format!(
                "# Twingate connector {} ({}); generated by tgctl. Keep this file secret.\n",
                doc.connector_name, doc.connector_id
            );
            text.push_str(&format!("TWINGATE_NETWORK={}\n", env_value(doc.network)));
            if let Some(url) = url {
                text.push_str(&format!("TWINGATE_URL={}\n", env_value(url)));
            }
            text.push_str(&format!("TWINGATE_ACCESS_TOKEN={}\n", env_value(doc.access_token)));
            text.push_str(&format!("TWINGATE_REFRESH_TOKEN={}\n", env_value(doc.refresh_token)));
            text
        }
        TokensFormat::Json => {
            serde_json::to_string_pretty(doc).map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))? + "\n"
        }
    })
}

/// The network a connector should be told about: the session's, the flag or variable, or the
/// API host (e.g. the emulator's).
fn network_name(ctx: &Ctx, session: &crate::config::Session) -> String {
    session
        .network
        .clone()
        .or_else(|| ctx.global.network.clone())
        .or_else(|| ctx.env.get(env::TWINGATE_NETWORK).map(str::to_owned))
        .or_else(|| session.endpoint.host_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn tokens(ctx: &Ctx, args: TokensArgs) -> Result<()> {
    // Check, before anything is generated, that the tokens will have somewhere safe to go.
    match &args.out {
        Some(path) => super::check_new_file(path, args.force, "no tokens were generated")?,
        None if ctx.printer.stdout_is_tty() && !args.show => {
            return Err(Error::usage("refusing to print connector tokens to the terminal; no tokens were generated")
                .hint("pass --out FILE (recommended), pipe stdout somewhere, or pass --show"));
        }
        None => {}
    }
    let session = ctx.session()?;
    let client = ctx.client_for(&session)?;
    let connector = connectors::find(&client, &args.connector).await?;
    ctx.confirm(&format!(
        "generate new tokens for connector {:?} ({}); its current tokens stop working",
        connector.name, connector.id
    ))?;
    let tokens = connectors::generate_tokens(&client, &connector.id).await?;
    let (access, refresh) = (tokens.access_token.expose_secret(), tokens.refresh_token.expose_secret());
    ctx.printer.mask(access);
    ctx.printer.mask(refresh);
    let network = network_name(ctx, &session);
    let doc = TokensDocument {
        network: &network,
        connector_id: &connector.id,
        connector_name: &connector.name,
        access_token: access,
        refresh_token: refresh,
    };
    let text = render_tokens(args.format, &doc, ctx.env.get(env::TWINGATE_URL))?;
    match &args.out {
        Some(path) => {
            write_private_file(path, text.as_bytes(), args.force).map_err(|e| Error {
                hint: Some(format!(
                    "new tokens were generated but not saved, and the old ones no longer work; run `tgctl connector tokens {}` again",
                    connector.id
                )),
                ..e
            })?;
            ctx.printer.success(&format!(
                "Wrote new tokens for connector {:?} to {} (mode 0600). They are shown only this once.",
                connector.name,
                path.display()
            ));
            ctx.printer.object(&TokensWritten { connector: &connector, tokens_file: path.display().to_string() })
        }
        None => {
            ctx.printer.info(&format!(
                "New tokens for connector {:?} ({}) follow on stdout. They are shown only this once.",
                connector.name, connector.id
            ));
            match (args.format, ctx.printer.format()) {
                (TokensFormat::Json, Format::Json | Format::Ndjson) => ctx.printer.json(&doc),
                _ => ctx.printer.raw(&text),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_can_be_sourced() {
        let doc = TokensDocument {
            network: "acme",
            connector_id: "Q29ubmVjdG9yOjE=",
            connector_name: "brave-otter",
            access_token: "eyJhbGciOiJFUzI1NiJ9.eyJ0Ijoi.c2ln",
            refresh_token: "it's odd",
        };
        let text = render_tokens(TokensFormat::Env, &doc, None).unwrap();
        assert!(text.contains("TWINGATE_NETWORK=acme\n"), "{text}");
        assert!(text.contains("TWINGATE_ACCESS_TOKEN=eyJhbGciOiJFUzI1NiJ9.eyJ0Ijoi.c2ln\n"));
        assert!(text.contains(r"TWINGATE_REFRESH_TOKEN='it'\''s odd'"));
        assert!(!text.contains("TWINGATE_URL"));
        let json: serde_json::Value =
            serde_json::from_str(&render_tokens(TokensFormat::Json, &doc, None).unwrap()).unwrap();
        assert_eq!(json["refreshToken"], "it's odd");
        assert_eq!(json["network"], "acme");
    }
}
