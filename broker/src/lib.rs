//! tgctl-broker: trades a CI job's OIDC ID token for a short-lived Twingate service key.
//!
//! ```text
//! main.rs     clap: serve, audit
//! config.rs   the TOML file: listen, database, api, lease, [[issuer]], [[rule]]
//! oidc.rs     discovery, JWKS cache and rotation, token verification
//! http.rs     the routes: /healthz, /metrics, POST /v1/keys, DELETE /v1/keys/{lease}
//! lease.rs    mint (intent record first), release, the reaper, audit events
//! store.rs    SQLite or Postgres (sqlx Any), migrations, the advisory lock
//! metrics.rs  Prometheus text
//! ```
//!
//! The Admin API is reached through tgctl's own client (`tgctl::api`): one transport, one pacer
//! for every write the broker makes, whatever runner asked.

pub mod config;
pub mod http;
pub mod lease;
pub mod metrics;
pub mod oidc;
pub mod store;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::lease::InFlight;
use crate::metrics::Metrics;
use crate::oidc::Verifier;
use crate::store::Store;

/// The running broker: what every request and the reaper share.
pub struct Broker {
    pub config: Config,
    pub store: Store,
    pub verifier: Verifier,
    /// None when no API token was given: then no rule may be configured.
    pub api: Option<tgctl::api::Client>,
    pub metrics: Arc<Metrics>,
    /// Wakes the reaper early (a lease was released).
    pub wake: tokio::sync::Notify,
    pub in_flight: InFlight,
    pub audit_out: AuditOut,
}

/// Where audit JSON lines go: a file (appended, 0600) or stdout.
pub struct AuditOut(Mutex<Option<std::fs::File>>);

impl AuditOut {
    pub fn open(path: Option<&PathBuf>) -> anyhow::Result<Self> {
        let Some(path) = path else { return Ok(Self(Mutex::new(None))) };
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        Ok(Self(Mutex::new(Some(options.open(path)?))))
    }

    #[allow(clippy::print_stdout, reason = "the audit trail goes to stdout when no audit_file is set")]
    pub fn write_line(&self, line: &str) {
        let mut file = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match file.as_mut() {
            Some(f) => {
                let _ = writeln!(f, "{line}");
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }
}

/// One line to the broker's log (stderr). Never a token or a key.
#[allow(clippy::print_stderr, reason = "the broker's log is its stderr")]
pub fn log(message: &str) {
    eprintln!("{} {message}", jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"));
}
