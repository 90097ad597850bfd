//! Headless clients behind one trait, so another (Firezone's headless client) can be added
//! without touching the readiness ladder. Only Twingate is implemented.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::logs::LogSource;
use super::process::{Captured, RunError, Runner};
use super::proxy::ProxyDaemon;

/// What the client says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientState {
    Online,
    NotRunning,
    /// Anything else (`authenticating`, or a word we do not know), kept raw for diagnostics.
    Other(String),
}

impl ClientState {
    pub fn parse(word: &str) -> Self {
        match word.trim().to_ascii_lowercase().as_str() {
            "online" => ClientState::Online,
            "not-running" => ClientState::NotRunning,
            _ => ClientState::Other(word.trim().to_owned()),
        }
    }

    /// We could not learn the state (the status command failed or said nothing).
    pub fn is_unknown(&self) -> bool {
        matches!(self, ClientState::Other(s) if s.starts_with("unknown ("))
    }

    pub fn as_str(&self) -> &str {
        match self {
            ClientState::Online => "online",
            ClientState::NotRunning => "not-running",
            ClientState::Other(s) => s,
        }
    }
}

impl std::fmt::Display for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource the client can reach (`twingate resources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientResource {
    pub name: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// The section it was listed under: main, kubernetes or background.
    pub kind: String,
}

/// A client command that failed: what it printed (not yet masked) and why.
#[derive(Debug, Clone)]
pub struct ClientError {
    pub command: String,
    pub reason: String,
    pub output: String,
    pub timed_out: bool,
}

impl ClientError {
    fn from_run(command: &str, e: RunError) -> Self {
        let timed_out = matches!(e, RunError::TimedOut(_));
        Self { command: command.to_owned(), reason: e.to_string(), output: String::new(), timed_out }
    }

    fn from_exit(command: &str, out: &Captured) -> Self {
        let reason = match out.code {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        Self { command: command.to_owned(), reason, output: out.text(), timed_out: false }
    }
}

/// A headless client.
///
/// The futures are not `Send`: tgctl runs on a current-thread runtime and uses providers
/// through generics only.
#[allow(async_fn_in_trait)]
pub trait Provider {
    /// Short name, recorded in the state file.
    fn name(&self) -> &'static str;
    fn binary(&self) -> &Path;
    fn log_source(&self) -> &LogSource;
    fn runner(&self) -> &Runner;
    async fn version(&self) -> Result<String, ClientError>;
    /// Configures headless mode with the key, which goes to the client on stdin.
    async fn setup(&self, key: &[u8], timeout: Duration) -> Result<(), ClientError>;
    /// Starts the client. Success does not mean it will come up.
    async fn start(&self, timeout: Duration) -> Result<Captured, ClientError>;
    async fn stop(&self, timeout: Duration) -> Result<(), ClientError>;
    async fn state(&self, timeout: Duration) -> ClientState;
    async fn resources(&self, timeout: Duration) -> Result<Vec<ClientResource>, ClientError>;
    /// Removes the key material the client stored at setup.
    async fn forget(&self, timeout: Duration) -> Result<(), ClientError>;
}

/// The Twingate Linux client in headless mode (`twingate`, daemon `twingated`).
#[derive(Debug, Clone)]
pub struct Twingate {
    pub bin: PathBuf,
    pub runner: Runner,
    pub log: LogSource,
    /// Proxy mode: the daemon is run directly with its HTTP proxy and no TUN (see
    /// [`super::proxy`]); setup, start, stop and status go to it instead of the CLI.
    pub proxy: Option<ProxyDaemon>,
}

impl Twingate {
    async fn run(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        timeout: Duration,
        privileged: bool,
    ) -> Result<Captured, ClientError> {
        let name = format!("twingate {}", args.join(" "));
        let out = self
            .runner
            .run(&self.bin, args, stdin, timeout, privileged)
            .await
            .map_err(|e| ClientError::from_run(&name, e))?;
        if out.success() { Ok(out) } else { Err(ClientError::from_exit(&name, &out)) }
    }
}

/// The command that removes the headless configuration (the key the client stored at setup).
/// The Linux client documents no such command; `reset` is what tgctl's simulated client
/// implements, and what tgctl calls, warning when the client refuses it.
pub const TWINGATE_FORGET_ARGS: &[&str] = &["reset"];

impl Provider for Twingate {
    fn name(&self) -> &'static str {
        "twingate"
    }

    fn binary(&self) -> &Path {
        &self.bin
    }

    fn log_source(&self) -> &LogSource {
        &self.log
    }

    fn runner(&self) -> &Runner {
        &self.runner
    }

    async fn version(&self) -> Result<String, ClientError> {
        let out = self.run(&["--version"], None, Duration::from_secs(10), false).await?;
        Ok(out.stdout.lines().next().unwrap_or_default().trim().to_owned())
    }

    async fn setup(&self, key: &[u8], timeout: Duration) -> Result<(), ClientError> {
        if let Some(p) = &self.proxy {
            // The daemon gets the key in its environment when it starts.
            p.set_key(key);
            return Ok(());
        }
        self.run(&["setup", "--headless", "-"], Some(key), timeout, true).await.map(|_| ())
    }

    async fn start(&self, timeout: Duration) -> Result<Captured, ClientError> {
        if let Some(p) = &self.proxy {
            return p.start();
        }
        self.run(&["start"], None, timeout, true).await
    }

    async fn stop(&self, timeout: Duration) -> Result<(), ClientError> {
        if let Some(p) = &self.proxy {
            p.stop().await;
            return Ok(());
        }
        self.run(&["stop"], None, timeout, true).await.map(|_| ())
    }

    async fn state(&self, timeout: Duration) -> ClientState {
        if let Some(p) = &self.proxy {
            return p.state(timeout).await;
        }
        match self.runner.run(&self.bin, &["status"], None, timeout, false).await {
            Ok(out) => parse_status(&out.stdout, &out.stderr),
            Err(e) => ClientState::Other(format!("unknown (`twingate status`: {e})")),
        }
    }

    async fn resources(&self, timeout: Duration) -> Result<Vec<ClientResource>, ClientError> {
        let out = self.run(&["resources"], None, timeout, false).await?;
        Ok(parse_resources(&out.stdout))
    }

    async fn forget(&self, timeout: Duration) -> Result<(), ClientError> {
        if self.proxy.is_some() {
            // Nothing was stored: the key lived in the daemon's environment only.
            return Ok(());
        }
        self.run(TWINGATE_FORGET_ARGS, None, timeout, true).await.map(|_| ())
    }
}

/// Parses `twingate status`: its first non-empty line is the state; with none, the state is
/// unknown and the first line of stderr says why.
pub fn parse_status(stdout: &str, stderr: &str) -> ClientState {
    let word = stdout.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    if word.is_empty() {
        let why = stderr.lines().next().unwrap_or("no output").trim().to_owned();
        ClientState::Other(format!("unknown ({why})"))
    } else {
        ClientState::parse(word)
    }
}

/// Parses `twingate resources`: tab-separated rows (name, address, alias, auth status) under
/// section headers (`MAIN RESOURCES`, `KUBERNETES RESOURCES`, `BACKGROUND RESOURCES`), with a
/// column header row per section.
pub fn parse_resources(text: &str) -> Vec<ClientResource> {
    let mut kind = "main".to_owned();
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.contains('\t') {
            let upper = line.trim().to_ascii_uppercase();
            if let Some(section) = upper.strip_suffix("RESOURCES") {
                let s = section.trim().to_ascii_lowercase();
                kind = if s.is_empty() { "main".to_owned() } else { s };
            }
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cells[0].eq_ignore_ascii_case("name") {
            continue;
        }
        let cell = |i: usize| cells.get(i).map(|s| (*s).to_owned()).filter(|s| !s.is_empty() && s != "-");
        out.push(ClientResource {
            name: cells[0].to_owned(),
            address: cell(1).unwrap_or_default(),
            alias: cell(2),
            auth: cell(3),
            kind: kind.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_resources_parse() {
        assert_eq!(ClientState::parse(" online\n"), ClientState::Online);
        assert_eq!(ClientState::parse("not-running"), ClientState::NotRunning);
        assert_eq!(ClientState::parse("authenticating"), ClientState::Other("authenticating".into()));
        let text = "MAIN RESOURCES\nName\tAddress\tAlias\tAuth Status\nprod-db\tdb.internal\t\t-\n\nKUBERNETES RESOURCES\nName\tAddress\tAlias\tAuth Status\nk8s\t10.0.0.1\tk8s.internal\tNot authenticated\n";
        let r = parse_resources(text);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].name.as_str(), r[0].address.as_str(), r[0].alias.as_deref(), r[0].kind.as_str()),
            ("prod-db", "db.internal", None, "main")
        );
        assert_eq!(
            (r[1].alias.as_deref(), r[1].auth.as_deref(), r[1].kind.as_str()),
            (Some("k8s.internal"), Some("Not authenticated"), "kubernetes")
        );
    }
}
