//! What a headless client says: its state, the resources it lists, and how its commands fail.

use serde::{Deserialize, Serialize};

use super::process::{Captured, RunError};

/// What the client says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientState {
    Online,
    NotRunning,
    /// Anything else (`authenticating`, or a word we do not know), kept raw for diagnostics.
    Other(String),
}

impl ClientState {
    /// We could not learn the state (the status command failed or said nothing).
    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self, ClientState::Other(s) if s.starts_with("unknown ("))
    }

    pub(crate) fn as_str(&self) -> &str {
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
pub(crate) struct ClientResource {
    pub(crate) name: String,
    pub(crate) address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth: Option<String>,
    /// The section it was listed under: main, kubernetes or background.
    pub(crate) kind: String,
}

/// A client command that failed: what it printed (not yet masked) and why.
#[derive(Debug, Clone)]
pub(crate) struct ClientError {
    pub(crate) command: String,
    pub(crate) reason: String,
    pub(crate) output: String,
    pub(crate) timed_out: bool,
    /// The command ran and exited with a non-zero status (not: it could not run, timed out or
    /// was killed).
    pub(crate) exited: bool,
}

impl ClientError {
    pub(crate) fn from_run(command: &str, e: RunError) -> Self {
        let timed_out = matches!(e, RunError::TimedOut(_));
        Self { command: command.to_owned(), reason: e.to_string(), output: String::new(), timed_out, exited: false }
    }

    pub(crate) fn from_exit(command: &str, out: &Captured) -> Self {
        let reason = match out.code {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        Self { command: command.to_owned(), reason, output: out.text(), timed_out: false, exited: out.code.is_some() }
    }
}
