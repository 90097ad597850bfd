//! The `twingate` CLI (or, in proxy mode, the daemon) as the ladder and the provider drive it:
//! setup with the key on stdin, start, stop, status and resources. Only the commands the real
//! client has (reference Addendum: `setup`, `start`, `stop`, `status`, `resources`, `config`,
//! `report`, `help`; no `reset`, no `desetup`).

use std::path::PathBuf;
use std::time::Duration;

use super::daemon::ProxyDaemon;
use crate::connect::client::{ClientError, ClientResource, ClientState};
use crate::connect::ladder::Polled;
use crate::connect::logs::LogSource;
use crate::connect::process::{Captured, Runner};

/// The Twingate Linux client in headless mode (`twingate`, daemon `twingated`).
#[derive(Debug, Clone)]
pub(crate) struct Cli {
    pub(crate) bin: PathBuf,
    pub(crate) runner: Runner,
    pub(crate) log: LogSource,
    /// Proxy mode: the daemon is run directly with its HTTP proxy and no TUN (see
    /// [`super::daemon`]); setup, start, stop and status go to it instead of the CLI.
    pub(crate) proxy: Option<ProxyDaemon>,
}

impl Cli {
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

impl Cli {
    pub(crate) async fn version(&self) -> Result<String, ClientError> {
        let out = self.run(&["--version"], None, Duration::from_secs(10), false).await?;
        Ok(out.stdout.lines().next().unwrap_or_default().trim().to_owned())
    }

    pub(crate) async fn setup(&self, key: &[u8], timeout: Duration) -> Result<(), ClientError> {
        if let Some(p) = &self.proxy {
            // The daemon gets the key in its environment when it starts.
            p.set_key(key);
            return Ok(());
        }
        self.run(&["setup", "--headless", "-"], Some(key), timeout, true).await.map(|_| ())
    }

    pub(crate) async fn resources(&self, timeout: Duration) -> Result<Vec<ClientResource>, ClientError> {
        let out = self.run(&["resources"], None, timeout, false).await?;
        Ok(parse_resources(&out.stdout))
    }
}

impl Polled for Cli {
    async fn state(&self, timeout: Duration) -> ClientState {
        if let Some(p) = &self.proxy {
            return p.state(timeout).await;
        }
        match self.runner.run(&self.bin, &["status"], None, timeout, false).await {
            Ok(out) => parse_status(&out.stdout, &out.stderr),
            Err(e) => ClientState::Other(format!("unknown (`twingate status`: {e})")),
        }
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
}

/// Parses `twingate status`. The word varies by version (reference Addendum): `online`,
/// `not-running` or `notrunning`, `offline`, `authenticating`, alone or inside a prose line,
/// and `twingate status -v` prints `Online: User` (§1.3). So the output is read as words:
/// `online` counts only when no word says otherwise, and anything unknown is "not yet"
/// (kept raw for the diagnostics), never online. No output at all: unknown, and the first
/// line of stderr says why.
pub(crate) fn parse_status(stdout: &str, stderr: &str) -> ClientState {
    let text = stdout.trim();
    if text.is_empty() {
        let why = stderr.lines().next().unwrap_or("no output").trim().to_owned();
        return ClientState::Other(format!("unknown ({why})"));
    }
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(text);
    if has("not-running") || has("notrunning") || has("not_running") {
        ClientState::NotRunning
    } else if has("online") && !has("not") && !has("offline") {
        ClientState::Online
    } else {
        // `authenticating`, `offline`, or a word not seen yet: not yet, kept as said.
        ClientState::Other(line.to_owned())
    }
}

/// Parses `twingate resources`: tab-separated rows (name, address, alias, auth status) under
/// the header `RESOURCE NAME  ADDRESS  ALIAS  AUTH STATUS`, with section headings (`MAIN
/// RESOURCES`, `KUBERNETES RESOURCES`, `BACKGROUND RESOURCES`) in some versions and not in
/// others (reference §1.2 and Addendum): both are accepted.
pub(crate) fn parse_resources(text: &str) -> Vec<ClientResource> {
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
        if cells[0].eq_ignore_ascii_case("name") || cells[0].eq_ignore_ascii_case("resource name") {
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
        let s = |out: &str| parse_status(out, "");
        assert_eq!(s(" online\n"), ClientState::Online);
        assert_eq!(s("not-running"), ClientState::NotRunning);
        assert_eq!(s("authenticating"), ClientState::Other("authenticating".into()));
        assert_eq!(s("online\n"), ClientState::Online);
        assert_eq!(s("Online: User\n"), ClientState::Online);
        assert_eq!(s("Twingate Client status: online.\n"), ClientState::Online);
        assert_eq!(s("notrunning\n"), ClientState::NotRunning);
        assert_eq!(s("Twingate Client status: not-running.\n"), ClientState::NotRunning);
        assert_eq!(s("offline\n"), ClientState::Other("offline".into()));
        assert_eq!(s("The client is not online yet\n"), ClientState::Other("The client is not online yet".into()));
        assert_eq!(s("Zustand: verbunden\n"), ClientState::Other("Zustand: verbunden".into()));
        assert!(parse_status("", "boom").is_unknown());
        let plain = "RESOURCE NAME\tADDRESS\tALIAS\tAUTH STATUS\nprod-db\tdb.internal\t\t-\n";
        assert_eq!(parse_resources(plain).len(), 1);
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
