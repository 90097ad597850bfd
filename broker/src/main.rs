//! `tgctl-broker`: serve, or show the audit trail. See docs/broker.md.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use tgctl::api::transport::LogLevel;
use tgctl::api::{Client, ClientOptions, Limits, Pacer, RetryPolicy};
use tgctl_broker::config::Config;
use tgctl_broker::metrics::Metrics;
use tgctl_broker::oidc::Verifier;
use tgctl_broker::store::Store;
use tgctl_broker::{AuditOut, Broker, lease::InFlight, log};

/// The variable that may hold the Admin API token (else `api.token_file`).
const TOKEN_VAR: &str = "TGCTL_BROKER_API_TOKEN";

#[derive(Parser)]
#[command(
    name = "tgctl-broker",
    version,
    about = "Trades a CI job's OIDC token for a short-lived Twingate service key"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the broker until SIGINT/SIGTERM. Prints TGCTL_BROKER_URL=... to stdout once listening.
    Serve {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Show mint and revoke events as a table (or JSON lines with --json).
    Audit {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// How far back: 1d, 12h, 30m ...
        #[arg(long, default_value = "1d")]
        since: String,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            log(&format!("error: cannot start the runtime: {e}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { config } => serve(&config).await,
            Command::Audit { config, since, json } => audit(&config, &since, json).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            log(&format!("error: {e:#}"));
            std::process::ExitCode::from(2)
        }
    }
}

/// The Admin API token: `api.token_file` (which must not be readable by others), else the
/// environment. Never a flag: argv is visible to every user of the machine.
fn api_token(config: &Config) -> anyhow::Result<Option<SecretString>> {
    if let Some(path) = &config.api.token_file {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .permissions()
                .mode();
            // Group access is allowed: Kubernetes secrets (fsGroup) and systemd credentials.
            if mode & 0o007 != 0 {
                bail!("{} is readable by every user: chmod 600 it", path.display());
            }
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(Some(SecretString::from(text.trim().to_owned())));
    }
    #[allow(clippy::disallowed_methods, reason = "the broker's one environment variable, read once here")]
    let from_env = std::env::var(TOKEN_VAR).ok().filter(|t| !t.trim().is_empty());
    Ok(from_env.map(|t| SecretString::from(t.trim().to_owned())))
}

fn api_client(config: &Config) -> anyhow::Result<Option<Client>> {
    let Some(token) = api_token(config)? else { return Ok(None) };
    let url = match (&config.api.url, &config.api.network) {
        (Some(url), _) => url.clone(),
        (None, Some(network)) => format!("https://{network}.twingate.com/api/graphql/"),
        (None, None) => bail!("set api.url or api.network"),
    };
    let endpoint = reqwest::Url::parse(&url).context("api.url is not a URL")?;
    let limits =
        Limits { reads_per_minute: config.api.reads_per_minute, writes_per_minute: config.api.writes_per_minute };
    let client = Client::new(ClientOptions {
        endpoint,
        token,
        // One pacer for every write the broker makes, in memory: this process is the only
        // user of the token (replicas divide the limit: docs/broker.md).
        pacer: Pacer::new(limits, None),
        retry: RetryPolicy::default(),
        log: Arc::new(|level, message| {
            if level == LogLevel::Info {
                log(message);
            }
        }),
    })
    .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(Some(client))
}

async fn serve(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let api = api_client(&config)?;
    if api.is_none() && !config.rules.is_empty() {
        bail!("rules are configured but there is no Admin API token: set api.token_file or {TOKEN_VAR}");
    }
    let store = Store::open(config.database.as_deref().unwrap_or_default()).await?;
    let metrics = Arc::new(Metrics::default());
    let verifier = Verifier::new(&config.issuers, metrics.clone())?;
    let broker = Arc::new(Broker {
        audit_out: AuditOut::open(config.audit_file.as_ref())?,
        config,
        store,
        verifier,
        api,
        metrics,
        wake: tokio::sync::Notify::new(),
        in_flight: InFlight::default(),
        pool: Default::default(),
        me: uuid::Uuid::new_v4().simple().to_string(),
    });
    if broker.config.rules.is_empty() {
        log("no policy rules: serving /healthz and refusing every key request");
    }
    let listener = tokio::net::TcpListener::bind(broker.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", broker.config.listen))?;
    let addr = listener.local_addr()?;
    announce(&format!("TGCTL_BROKER_URL=http://{addr}"));
    log(&format!("listening on http://{addr}"));
    tokio::spawn(reaper(broker.clone()));
    axum::serve(listener, tgctl_broker::http::router(broker)).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

#[allow(clippy::print_stdout, reason = "the one line that tells a supervisor where the broker listens")]
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn reaper(broker: Arc<Broker>) {
    loop {
        match broker.reap_once().await {
            Ok(0) => {}
            Ok(n) => log(&format!("reaper: ended {n} lease(s)")),
            Err(e) => log(&format!("reaper: {e:#}")),
        }
        broker.metrics.inc("tgctl_broker_housekeeping_runs_total", String::new());
        let every = broker.config.lease.reap_every.max(Duration::from_millis(100));
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = broker.wake.notified() => {}
        }
    }
}

#[cfg(unix)]
async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(not(unix))]
async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn audit(path: &Path, since: &str, json: bool) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let since = tgctl::parse::duration(since).map_err(|e| anyhow::anyhow!(e.message))?;
    let store = Store::open(config.database.as_deref().unwrap_or_default()).await?;
    let from = jiff::Timestamp::now().as_second() - since.as_secs() as i64;
    let rows = store.audit_since(from).await?;
    let mut lines = Vec::new();
    if json {
        lines.extend(rows.iter().map(|r| r.detail.clone()));
    } else {
        lines.push(format!(
            "{:<20}  {:<6}  {:<32}  {:<16}  {:<24}  {:<16}  JOB",
            "TIME", "EVENT", "LEASE", "RULE", "REPOSITORY", "REF"
        ));
        for r in &rows {
            let d: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            let c = &d["claims"];
            let s = |k: &str| c[k].as_str().map(str::to_owned).unwrap_or_else(|| "-".into());
            let repo = c["repository"].as_str().or(c["project_path"].as_str()).unwrap_or("-");
            let time = jiff::Timestamp::from_second(r.at)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            lines.push(format!(
                "{time:<20}  {:<6}  {:<32}  {:<16}  {repo:<24}  {:<16}  {}",
                r.event,
                r.lease_id,
                r.rule,
                s("ref"),
                s("job_url")
            ));
        }
    }
    for line in lines {
        announce(&line);
    }
    Ok(())
}
