//! `tgctl auth login|status|logout`.

use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};
use secrecy::SecretString;
use serde::Serialize;

use super::Ctx;
use crate::api;
use crate::config::{self, Origin, Session, TokenSource, env};
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Store an API token for a network (read from stdin or a hidden prompt, never from argv)
    #[command(after_help = "Examples:
  # Interactive: prompts for the token without echoing it
  tgctl auth login --network acme

  # Scripts and CI: pipe the token in
  printf '%s' \"$TWINGATE_TOKEN\" | tgctl auth login --network acme --profile ci

  # Against the local emulator
  TGCTL_API_URL=http://127.0.0.1:8080/api/graphql/ tgctl auth login < token.txt")]
    Login(LoginArgs),
    /// Show the network, the profile and where the token comes from (env, keyring or file)
    #[command(after_help = "Examples:
  tgctl auth status
  tgctl auth status --offline -o json")]
    Status(StatusArgs),
    /// Forget the stored token of a profile
    #[command(after_help = "Examples:
  tgctl auth logout
  tgctl auth logout --profile ci")]
    Logout,
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// Store the token without checking it against the API
    #[arg(long)]
    pub(crate) no_verify: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Don't check the token against the API
    #[arg(long)]
    pub(crate) offline: bool,
}

/// What `auth status` and `auth login` report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthStatus {
    pub(crate) profile: String,
    pub(crate) network: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) token_source: TokenSource,
    /// Whether the API accepted the token (null when not checked).
    pub(crate) token_valid: Option<bool>,
    pub(crate) config_dir: String,
    /// Where the profile name, the network and the endpoint came from (flag, environment,
    /// profile or default; see config/precedence.rs).
    pub(crate) sources: Sources,
}

#[derive(Debug, Serialize)]
pub(crate) struct Sources {
    pub(crate) profile: Origin,
    pub(crate) network: Option<Origin>,
    pub(crate) endpoint: Origin,
}

impl Tabular for AuthStatus {
    fn headers() -> &'static [&'static str] {
        &[
            "profile",
            "profile source",
            "network",
            "network source",
            "endpoint",
            "endpoint source",
            "token source",
            "token valid",
            "config dir",
        ]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.profile.clone(),
            self.sources.profile.to_string(),
            f.opt(self.network.as_deref()),
            f.opt(self.sources.network.as_ref().map(ToString::to_string).as_deref()),
            self.endpoint.clone(),
            self.sources.endpoint.to_string(),
            self.token_source.to_string(),
            match self.token_valid {
                Some(true) => "yes".to_owned(),
                Some(false) => "no".to_owned(),
                None => "not checked".to_owned(),
            },
            self.config_dir.clone(),
        ]
    }

    fn id(&self) -> &str {
        &self.profile
    }
}

pub(crate) async fn run(ctx: &Ctx, command: AuthCommand) -> Result<()> {
    match command {
        AuthCommand::Login(a) => login(ctx, a).await,
        AuthCommand::Status(a) => status(ctx, a).await,
        AuthCommand::Logout => logout(ctx),
    }
}

fn read_token(ctx: &Ctx) -> Result<SecretString> {
    let token = if std::io::stdin().is_terminal() && ctx.can_prompt() {
        dialoguer::Password::new()
            .with_prompt("API token (Admin Console > Settings > API)")
            .interact()
            .map_err(|_| Error::new(Kind::Interrupted, "cancelled"))?
    } else {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| Error::io("reading the token from stdin", &e))?;
        text
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(Error::usage("no token was given on stdin")
            .hint("pipe it in: printf '%s' \"$TOKEN\" | tgctl auth login --network NAME"));
    }
    if token.chars().any(char::is_whitespace) {
        return Err(Error::usage("the token contains whitespace; paste exactly the token the Admin Console showed"));
    }
    Ok(SecretString::from(token))
}

async fn login(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let mut config = ctx.config()?.clone();
    let profile_name = config.profile_name(ctx.global.profile.as_deref());
    let mut profile = config.profile(&profile_name);
    // Log in where every other command would go (flag > environment > profile), and store that
    // in the profile, so that later commands without the flag or the variables go there too.
    let target = config::target(&ctx.env, ctx.global.network.as_deref(), &profile_name, &profile)?;
    let given = |o: &Origin| matches!(o, Origin::Flag { .. } | Origin::Env { .. });
    if given(&target.endpoint_origin) {
        let by_url = target.endpoint_origin == Origin::Env { variable: env::TGCTL_API_URL.to_owned() };
        profile.api_url = by_url.then(|| target.endpoint.to_string());
    }
    if target.network_origin.as_ref().is_some_and(given) {
        profile.network = target.network.clone();
    }
    let (endpoint, network) = (target.endpoint, target.network);
    let token = read_token(ctx)?;
    let session = Session {
        profile: profile_name.clone(),
        endpoint: endpoint.clone(),
        network: network.clone(),
        token: token.clone(),
        source: TokenSource::Keyring,
        limits: config::limits(&ctx.env, &profile)?,
    };
    let valid = if args.no_verify {
        None
    } else {
        let client = ctx.client_for(&session)?;
        api::auth::check(&client).await.map_err(|e| match e.kind {
            Kind::AuthRejected => Error::new(
                Kind::AuthRejected,
                format!("the API rejected this token for {endpoint}; nothing was stored"),
            )
            .hint("check the network name and copy the token again from the Admin Console (Settings > API)"),
            _ => e,
        })?;
        Some(true)
    };
    let sources = sources(ctx, &config, &profile_name, &profile)?;
    config.file.profiles.insert(profile_name.clone(), profile);
    let source = config.store_token(&profile_name, &token)?;
    if config.file.profile.is_none() {
        config.file.profile = Some(profile_name.clone());
    }
    config.save()?;
    let where_ = match &source {
        TokenSource::Keyring => "the token is stored in the OS keyring".to_owned(),
        TokenSource::File { path } => format!(
            "the token is stored in {} (mode 0600){}",
            path.display(),
            if ctx.env.flag(env::TGCTL_NO_KEYRING) { "" } else { " because no OS keyring is available" }
        ),
        TokenSource::Env { .. } => String::new(),
    };
    let target = match &network {
        Some(n) if endpoint.host_str().is_some_and(|h| h.starts_with(&format!("{n}."))) => n.clone(),
        Some(n) => format!("network {n} at {endpoint}"),
        None => endpoint.to_string(),
    };
    ctx.printer.success(&format!("Logged in to {target} as profile {profile_name:?}; {where_}."));
    if ctx.env.get(env::TWINGATE_API_TOKEN).is_some() {
        ctx.printer.warn("TWINGATE_API_TOKEN is set and takes precedence over the stored token");
    }
    let status = AuthStatus {
        profile: profile_name,
        network,
        endpoint: crate::redact::userinfo(endpoint.as_str()).into_owned(),
        token_source: source,
        token_valid: valid,
        config_dir: config.dir().display().to_string(),
        sources,
    };
    if ctx.printer.format() != crate::output::Format::Table {
        ctx.printer.object(&status)?;
    }
    Ok(())
}

async fn status(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let session = ctx.session()?;
    let token_valid = if args.offline {
        None
    } else {
        let client = ctx.client_for(&session)?;
        match api::auth::check(&client).await {
            Ok(()) => Some(true),
            Err(e) if matches!(e.kind, Kind::AuthRejected | Kind::PermissionDenied) => {
                return Err(Error::new(
                    Kind::AuthRejected,
                    format!("the token from the {} was rejected by {}", session.source, session.endpoint),
                )
                .hint("run `tgctl auth login` again, or fix TWINGATE_API_TOKEN"));
            }
            Err(e) => return Err(e),
        }
    };
    let config = ctx.config()?;
    let profile = config.profile(&session.profile);
    let status = AuthStatus {
        profile: session.profile.clone(),
        network: session.network.clone(),
        endpoint: crate::redact::userinfo(session.endpoint.as_str()).into_owned(),
        token_source: session.source.clone(),
        token_valid,
        config_dir: config.dir().display().to_string(),
        sources: sources(ctx, config, &session.profile, &profile)?,
    };
    ctx.printer.object(&status)
}

/// Where the profile name, the network and the endpoint of this invocation come from.
fn sources(ctx: &Ctx, config: &config::Config, profile_name: &str, profile: &config::Profile) -> Result<Sources> {
    let target = config::target(&ctx.env, ctx.global.network.as_deref(), profile_name, profile)?;
    Ok(Sources {
        profile: config::profile_origin(&ctx.env, ctx.global.profile.as_deref(), config.file.profile.as_deref()),
        network: target.network_origin,
        endpoint: target.endpoint_origin,
    })
}

fn logout(ctx: &Ctx) -> Result<()> {
    let mut config = ctx.config()?.clone();
    let profile = config.profile_name(ctx.global.profile.as_deref());
    let removed = config.remove_token(&profile)?;
    config.save()?;
    if removed {
        ctx.printer.success(&format!("Removed the stored token of profile {profile:?}."));
    } else {
        ctx.printer.info(&format!("Profile {profile:?} had no stored token."));
    }
    if ctx.env.get(env::TWINGATE_API_TOKEN).is_some() {
        ctx.printer.warn("TWINGATE_API_TOKEN is still set in this environment and will keep being used");
    }
    Ok(())
}
