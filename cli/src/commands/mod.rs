//! The command tree: `tgctl <noun> <verb>`, one module per noun.
//!
//! Each verb is an `Args` struct (clap derive) and an async `run(ctx, args)` that talks to the API
//! through [`Ctx::client`] and hands results to [`Ctx::printer`]. Nothing here writes to stdout
//! or stderr directly.

pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod completions;
pub(crate) mod connect;
pub(crate) mod connector;
pub(crate) mod device;
pub(crate) mod disconnect;
pub(crate) mod firezone;
pub(crate) mod forward;
pub(crate) mod group;
pub(crate) mod help;
pub(crate) mod remote_network;
pub(crate) mod resource;
pub(crate) mod resource_access;
pub(crate) mod security_policy;
pub(crate) mod service_account;
pub(crate) mod service_key;
pub(crate) mod status;
pub(crate) mod user;

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::{Args, Parser, Subcommand};

#[cfg(unix)]
use crate::api::Dialect;
use crate::api::{Client, ClientOptions, Pacer, RetryPolicy};
use crate::config::{self, Config, Env, ProviderKind, Session, env};
#[cfg(unix)]
use crate::connect::events;
#[cfg(unix)]
use crate::connect::provider::Host;
use crate::error::{Error, Kind, Result};
use crate::output::{ColorChoice, OutputArg, Printer};

const ROOT_EXAMPLES: &str = "\
Examples:
  # Log in once (the token is read from stdin or a hidden prompt, never from argv)
  tgctl auth login --network acme

  # Create a service account for CI, give it a resource, and mint a 30-day key into a file
  tgctl service-account create ci-deployer --resource prod-db
  tgctl service-key create --service-account ci-deployer --expires-in-days 30 --key-file key.json

  # Audit keys that expire within a month, as JSON
  tgctl service-key list --expiring-within 30d -o json

  # A resource with restricted ports, and a group's access to it for a week
  tgctl resource create prod-db --address db.internal --remote-network aws-prod --tcp 5432 --udp none
  tgctl resource access add prod-db --group Contractors --expires-in 7d

  # A connector's tokens, straight into an env file a deployment can source
  tgctl connector tokens aws-prod-1 --out connector.env --format env --yes

  # Scripts: names or IDs are accepted everywhere; -o id prints IDs only
  tgctl service-account list --name-prefix ci- -o id
  tgctl device list --untrusted -o id | xargs tgctl device trust

  # Anything else: raw GraphQL, and the live schema
  tgctl api 'query { users(first: 5) { edges { node { email role } } } }'
  tgctl api schema

Run `tgctl help environment` for environment variables and `tgctl help exit-codes` for exit codes.";

/// tgctl: manage Twingate from the command line and connect CI jobs to private resources.
#[derive(Debug, Parser)]
#[command(
    name = "tgctl",
    version,
    about = "Manage Twingate from the command line and connect CI jobs to private resources",
    after_help = ROOT_EXAMPLES,
    disable_help_subcommand = true,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command accepts (listed after each command's own flags in its help).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Twingate network (tenant) name, as in NAME.twingate.com [env: TWINGATE_NETWORK]
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) network: Option<String>,
    /// Configuration profile [env: TGCTL_PROFILE]
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// Output format (wide: a table with full IDs and names)
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputArg::Table)]
    pub(crate) output: OutputArg,
    /// Tables with full IDs and names, however wide (same as -o wide)
    #[arg(long, global = true)]
    pub(crate) wide: bool,
    /// When to use colour (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
    /// Answer yes to confirmations (needed for destructive verbs when not on a terminal)
    #[arg(short = 'y', long, global = true)]
    pub(crate) yes: bool,
    /// Print only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Log each API request (never secrets) to stderr
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// The service: twingate (default) or firezone [env: TGCTL_PROVIDER; profile: provider]
    #[arg(long, global = true, value_enum, value_name = "NAME")]
    pub(crate) provider: Option<config::ProviderKind>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Log in, show where credentials come from, log out
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Remote networks: where connectors run and resources live
    #[command(subcommand, visible_alias = "network")]
    RemoteNetwork(remote_network::RemoteNetworkCommand),
    /// Connectors: the processes that give clients a way into a remote network
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Resources: addresses clients may reach, and who may reach them (`resource access`)
    #[command(subcommand)]
    Resource(resource::ResourceCommand),
    /// Groups of users, and the resources they may reach
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Service accounts: non-user identities for CI/CD and automation
    #[command(subcommand, visible_alias = "service")]
    ServiceAccount(service_account::ServiceAccountCommand),
    /// Service keys: the credentials a headless client uses to act as a service account
    #[command(subcommand, visible_alias = "key")]
    ServiceKey(service_key::ServiceKeyCommand),
    /// Devices: trust, archive or block them, one or many at once
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// Security policies: which groups they apply to
    #[command(subcommand, visible_alias = "policy")]
    SecurityPolicy(security_policy::SecurityPolicyCommand),
    /// Users: invite, change roles, disable, delete
    #[command(subcommand)]
    User(user::UserCommand),
    /// Send any GraphQL query or mutation to the Admin API, or print its schema
    Api(api::ApiArgs),
    /// Connect this machine (a CI job) through the headless client and wait until it is usable
    Connect(Box<connect::ConnectArgs>),
    /// Undo what `connect` did: stop the client, remove its key, revoke a minted key
    Disconnect(disconnect::DisconnectArgs),
    /// Show the local connection: client status, key, uptime, resources
    Status(status::StatusArgs),
    /// Firezone clients (devices): list them, remove a CI job's after the job (--provider firezone)
    #[command(subcommand)]
    Client(firezone::client::ClientCommand),
    /// Serve a local TCP port tunnelled through the connection (proxy mode's way for any TCP tool)
    Forward(forward::ForwardArgs),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
    /// Help on a command or a topic (environment, exit-codes)
    Help(help::HelpArgs),
}

/// The command tree, with examples on every noun too: a noun without its own gets the first
/// example of each of its verbs, so `tgctl service-key --help` shows what `tgctl service-key
/// create --help` and its siblings do.
pub fn command() -> clap::Command {
    fn first_example(verb: &clap::Command) -> Option<String> {
        let help = verb.get_after_help()?.to_string();
        let body = help.split_once("Examples:")?.1;
        body.lines().map(str::trim).find(|l| l.starts_with("tgctl ")).map(str::to_owned)
    }
    fn with_examples(mut cmd: clap::Command) -> clap::Command {
        let verbs: Vec<String> = cmd.get_subcommands().map(|v| v.get_name().to_owned()).collect();
        for name in verbs {
            cmd = cmd.mut_subcommand(&name, with_examples);
        }
        let has_verbs = cmd.get_subcommands().any(|v| v.get_name() != "help");
        if has_verbs && cmd.get_after_help().is_none() {
            let lines: Vec<String> =
                cmd.get_subcommands().filter_map(first_example).map(|l| format!("  {l}")).collect();
            if !lines.is_empty() {
                cmd = cmd.after_help(format!("Examples:\n{}", lines.join("\n")));
            }
        }
        cmd
    }
    with_examples(<Cli as clap::CommandFactory>::command())
}

/// Parses the command line with [`command`].
pub fn parse() -> std::result::Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m))
}

/// What every command gets: the environment snapshot, global flags, the printer, config.
pub(crate) struct Ctx {
    pub(crate) env: Env,
    pub(crate) global: GlobalArgs,
    pub(crate) printer: Printer,
    config: OnceLock<Config>,
    /// An exit code other than 0 for a command that succeeded (`connect -- CMD` exits with
    /// CMD's status).
    exit_code: OnceLock<i32>,
}

impl Ctx {
    pub(crate) fn new(env: Env, global: GlobalArgs) -> Self {
        let (format, wide) = global.output.format();
        let printer =
            Printer::new(format, global.color, global.quiet, global.verbose, &env).with_wide(wide || global.wide);
        Self { env, global, printer, config: OnceLock::new(), exit_code: OnceLock::new() }
    }

    /// Makes the process exit with `code` once the command returns successfully.
    #[cfg(unix)]
    pub(crate) fn set_exit_code(&self, code: i32) {
        let _ = self.exit_code.set(code);
    }

    /// The exit code a successful command asked for (0 if none).
    pub(crate) fn exit_code(&self) -> i32 {
        self.exit_code.get().copied().unwrap_or(0)
    }

    pub(crate) fn config(&self) -> Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let loaded = Config::load(&self.env)?;
        Ok(self.config.get_or_init(|| loaded))
    }

    /// The provider in effect: --provider, else TGCTL_PROVIDER, else the profile's, else Twingate.
    pub(crate) fn provider(&self) -> Result<ProviderKind> {
        if let Some(p) = self.global.provider {
            return Ok(p);
        }
        if let Some(v) = self.env.get(env::TGCTL_PROVIDER) {
            return ProviderKind::parse(v).ok_or_else(|| {
                Error::usage(format!("TGCTL_PROVIDER={v:?} is not a provider")).hint("use twingate or firezone")
            });
        }
        let config = self.config()?;
        let name = config.profile_name(self.global.profile.as_deref());
        Ok(config.profile(&name).provider.unwrap_or_default())
    }

    /// A client of the management API that speaks `dialect`.
    #[cfg(unix)]
    pub(crate) fn api(&self, dialect: Dialect) -> Result<Client> {
        match dialect {
            Dialect::Twingate => self.client(),
            Dialect::Firezone => self.firezone(),
        }
    }

    /// Runs `work` (the connect engine, a provider's undo or status) with what it needs of this
    /// command, rendering its events on stderr as they come.
    #[cfg(unix)]
    pub(crate) async fn hosted<T>(&self, api: Dialect, work: impl AsyncFnOnce(&Host<'_>) -> T) -> T {
        let (events, rx) = events::channel();
        let api = || self.api(api);
        let work = async {
            let host = Host { env: &self.env, network: self.global.network.as_deref(), events, api: &api };
            work(&host).await
            // The host, and with it the sending end, is dropped here: the renderer ends.
        };
        let (out, ()) = tokio::join!(work, crate::output::events::render(&self.printer, rx));
        out
    }

    /// Endpoint, token and pacing for this invocation.
    pub(crate) fn session(&self) -> Result<Session> {
        let config = self.config()?;
        let profile_name = config.profile_name(self.global.profile.as_deref());
        let profile = config.profile(&profile_name);
        let target = config::target(&self.env, self.global.network.as_deref(), &profile_name, &profile)?;
        for line in &target.overridden {
            self.printer.info(&format!("note: {line} (flag > environment > profile; see `tgctl auth status`)"));
        }
        let (endpoint, network) = (target.endpoint, target.network);
        let limits = config::limits(&self.env, &profile)?;
        let (token, source) = if let Some(t) = self.env.get(env::TWINGATE_API_TOKEN) {
            (
                secrecy::SecretString::from(t.to_owned()),
                config::TokenSource::Env { variable: env::TWINGATE_API_TOKEN.to_owned() },
            )
        } else if let Some(found) = config.stored_token(&profile_name)? {
            found
        } else {
            return Err(Error::new(Kind::AuthMissing, "no API token")
                .hint("run `tgctl auth login` or set TWINGATE_API_TOKEN (create a token in the Admin Console: Settings > API)"));
        };
        Ok(Session { profile: profile_name, endpoint, network, token, source, limits })
    }

    /// An API client for this invocation.
    pub(crate) fn client(&self) -> Result<Client> {
        let session = self.session()?;
        self.client_for(&session)
    }

    pub(crate) fn client_for(&self, session: &Session) -> Result<Client> {
        let mut retry = RetryPolicy::default();
        if let Some(t) = self.env.number::<f64>(env::TGCTL_HTTP_TIMEOUT).map_err(Error::usage)? {
            retry.attempt_timeout = std::time::Duration::try_from_secs_f64(t)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| Error::usage("TGCTL_HTTP_TIMEOUT must be a positive number of seconds"))?;
        }
        if let Some(b) = self.env.number::<f64>(env::TGCTL_RETRY_BUDGET).map_err(Error::usage)? {
            retry.budget = std::time::Duration::try_from_secs_f64(b.max(0.0))
                .map_err(|_| Error::usage("TGCTL_RETRY_BUDGET must be a number of seconds"))?;
        }
        if let Some(s) = self.env.number::<f64>(env::TGCTL_BACKOFF_SCALE).map_err(Error::usage)? {
            retry.scale = s.max(0.0);
        }
        let (pace_file, no_file) = match config::state_dir(&self.env) {
            Ok(dir) => (Some(dir.join(pace_file_name(session))), None),
            Err(e) => (None, Some(e.message)),
        };
        Client::new(ClientOptions {
            endpoint: session.endpoint.clone(),
            token: session.token.clone(),
            pacer: Pacer::new(session.limits, pace_file).noticing(self.printer.log_fn(), no_file),
            retry,
            log: self.printer.log_fn(),
        })
    }

    /// True when a person can answer a prompt: stdin and stderr are terminals.
    pub(crate) fn can_prompt(&self) -> bool {
        !self.env.flag(env::TGCTL_NO_PROMPT) && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// Confirms a destructive action: --yes, else a prompt on a terminal, else an error.
    pub(crate) fn confirm(&self, question: &str) -> Result<()> {
        if self.global.yes {
            return Ok(());
        }
        if !self.can_prompt() {
            return Err(Error::new(Kind::ConfirmationRequired, format!("refusing to {question} without confirmation"))
                .hint("pass --yes to confirm when not running interactively"));
        }
        let answer = dialoguer::Confirm::new()
            .with_prompt(format!("{}?", capitalize(question)))
            .default(false)
            .interact()
            .map_err(|_| Error::new(Kind::Interrupted, "cancelled"))?;
        // "No" is an answer, not a failure: exit 0 (`tgctl help exit-codes`).
        if answer { Ok(()) } else { Err(Error::new(Kind::Declined, "Answered no: nothing was changed.")) }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// One pacing log per endpoint and token, named by a hash (never the token itself).
fn pace_file_name(session: &Session) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    session.endpoint.as_str().hash(&mut h);
    secrecy::ExposeSecret::expose_secret(&session.token).hash(&mut h);
    format!("pace-{:016x}.json", h.finish())
}

/// Runs one parsed command line.
pub(crate) async fn run(ctx: &Ctx, command: Command) -> Result<()> {
    match command {
        Command::Auth(c) => by_provider(ctx, ProviderNoun::Auth(c)).await,
        Command::RemoteNetwork(c) => remote_network::run(ctx, c).await,
        Command::Connector(c) => connector::run(ctx, c).await,
        Command::Resource(c) => resource::run(ctx, c).await,
        Command::Group(c) => group::run(ctx, c).await,
        Command::ServiceAccount(c) => by_provider(ctx, ProviderNoun::ServiceAccount(c)).await,
        Command::ServiceKey(c) => by_provider(ctx, ProviderNoun::ServiceKey(c)).await,
        Command::Device(c) => device::run(ctx, c).await,
        Command::SecurityPolicy(c) => security_policy::run(ctx, c).await,
        Command::User(c) => user::run(ctx, c).await,
        Command::Api(a) => api::run(ctx, a).await,
        Command::Connect(a) => connect::run(ctx, ctx.provider()?, *a).await,
        Command::Disconnect(a) => disconnect::run(ctx, a).await,
        Command::Status(a) => status::run(ctx, a).await,
        Command::Client(c) => by_provider(ctx, ProviderNoun::Client(c)).await,
        Command::Forward(a) => forward::run(ctx, a).await,
        Command::Completions(a) => completions::run(ctx, a),
        Command::Help(a) => help::run(ctx, a),
    }
}

/// The nouns whose verbs depend on the provider.
pub(crate) enum ProviderNoun {
    Auth(auth::AuthCommand),
    ServiceAccount(service_account::ServiceAccountCommand),
    ServiceKey(service_key::ServiceKeyCommand),
    Client(firezone::client::ClientCommand),
}

/// The provider is chosen here, once: each provider's nouns from then on (`connect` chooses in
/// `crate::connect::providers`).
async fn by_provider(ctx: &Ctx, noun: ProviderNoun) -> Result<()> {
    match ctx.provider()? {
        ProviderKind::Twingate => match noun {
            ProviderNoun::Auth(c) => auth::run(ctx, c).await,
            ProviderNoun::ServiceAccount(c) => service_account::twingate::run(ctx, c).await,
            ProviderNoun::ServiceKey(c) => service_key::twingate::run(ctx, c).await,
            ProviderNoun::Client(_) => Err(firezone::firezone_only("`tgctl client`")),
        },
        ProviderKind::Firezone => firezone::run(ctx, noun).await,
    }
}

/// Shared list flags: `--limit` and the name filters.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ListArgs {
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Exact name
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Name contains this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) name_contains: Option<String>,
    /// Name matches this regular expression (evaluated by the API)
    #[arg(long, value_name = "REGEX")]
    pub(crate) name_regex: Option<String>,
    /// Name starts with this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) name_prefix: Option<String>,
    /// Name ends with this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) name_suffix: Option<String>,
}

impl ListArgs {
    pub(crate) fn name_filter(&self) -> crate::api::NameFilter {
        crate::api::NameFilter {
            eq: self.name.clone(),
            contains: self.name_contains.clone(),
            regexp: self.name_regex.clone(),
            starts_with: self.name_prefix.clone(),
            ends_with: self.name_suffix.clone(),
        }
    }

    pub(crate) fn limit(&self) -> Result<Option<usize>> {
        match self.limit {
            Some(0) => Err(Error::usage("--limit must be at least 1")),
            l => Ok(l),
        }
    }
}

/// `--active` / `--inactive` on lists.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ActiveFilter {
    /// Only active ones
    #[arg(long, conflicts_with = "inactive")]
    pub(crate) active: bool,
    /// Only inactive ones
    #[arg(long)]
    pub(crate) inactive: bool,
}

impl ActiveFilter {
    pub(crate) fn get(&self) -> Option<bool> {
        tri(self.active, self.inactive)
    }
}

/// `--active` / `--inactive` on updates.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ActiveSet {
    /// Turn it on
    #[arg(long, conflicts_with = "inactive")]
    pub(crate) active: bool,
    /// Turn it off
    #[arg(long)]
    pub(crate) inactive: bool,
}

impl ActiveSet {
    pub(crate) fn get(&self) -> Option<bool> {
        tri(self.active, self.inactive)
    }
}

/// A pair of opposite flags: `Some(true)`, `Some(false)`, or neither given.
pub(crate) fn tri(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Checks that a secret can be written to `path` before the secret is created: not a directory,
/// not an existing file (unless `force`), in a directory that exists. `consequence` says what
/// was not done ("nothing was created").
pub(crate) fn check_new_file(path: &std::path::Path, force: bool, consequence: &str) -> Result<()> {
    // The final path, links included: a dangling link, a FIFO or a device is refused before
    // anything is minted (issue 15, items 6 and 16).
    crate::config::check_secret_target(path, force)
        .map_err(|e| Error { message: format!("{}; {consequence}", e.message), ..e })?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(Error::usage(format!("the directory {} does not exist; {consequence}", parent.display())));
    }
    Ok(())
}

/// A usage error for an empty (or blank) value.
pub(crate) fn non_empty(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() { Err(Error::usage(format!("the {what} must not be empty"))) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command's help carries examples: verbs their own, nouns their verbs'.
    #[test]
    fn every_verb_has_examples() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>, leaves: &mut usize) {
            let path = format!("{path} {}", cmd.get_name());
            let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|c| c.get_name() != "help").collect();
            if subs.is_empty() {
                *leaves += 1;
            }
            let help = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            if !help.contains("Examples") {
                missing.push(path.trim().to_owned());
            }
            for sub in subs {
                walk(sub, &path, missing, leaves);
            }
        }
        let mut cmd = command();
        cmd.build();
        let mut missing = Vec::new();
        let mut leaves = 0;
        walk(&cmd, "", &mut missing, &mut leaves);
        assert!(leaves > 45, "only {leaves} leaves");
        assert!(missing.is_empty(), "verbs without examples in after_help: {missing:#?}");
    }

    #[test]
    fn the_root_help_lists_every_noun() {
        let help = Cli::command().render_help().to_string();
        for noun in [
            "remote-network",
            "connector",
            "resource",
            "group",
            "service-account",
            "service-key",
            "device",
            "security-policy",
            "user",
            "api",
            "completions",
        ] {
            assert!(help.contains(noun), "{noun} missing from --help");
        }
    }
}
