//! A local emulator of the Twingate Admin API (GraphQL), for tgctl's tests, scripts and CI.
//!
//! Start it in-process with [`start`], or run the `tgctl-emulator serve` binary. See
//! docs/emulator.md for the behaviour, the test hooks under `/_emulator/`, and what differs from
//! the real API.

mod app;
mod faults;
mod gql;
mod http;
mod ids;
mod login;
mod model;
mod ratelimit;
mod seed;
mod store;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use login::{LOGIN_PATH, SignLoginError, sign_login};
pub use seed::Seed;

/// The SDL the emulator serves.
pub fn sdl() -> String {
    gql::sdl()
}

/// Write one line to stderr (the emulator's log).
#[allow(clippy::print_stderr)]
pub(crate) fn log(line: &str) {
    eprintln!("tgctl-emulator: {line}");
}

pub(crate) fn new_api_token(level: model::Level) -> String {
    format!("tgemu-{}-{}", level.as_str(), uuid::Uuid::new_v4().simple())
}

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Load from this file at start (if it exists) and save to it after every mutation.
    pub state_file: Option<PathBuf>,
    /// The data to start with when there is no state file.
    pub seed: Seed,
    /// The tenant slug (`<network>.twingate.com`); default `demo`, or the state file's.
    pub network: Option<String>,
    /// The provision-level API token to accept; a random one (or the state file's) otherwise.
    pub api_token: Option<String>,
    /// 0 = unlimited.
    pub reads_per_minute: u32,
    /// 0 = unlimited.
    pub writes_per_minute: u32,
    /// Log one line per request to stderr.
    pub log_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            state_file: None,
            seed: Seed::Demo,
            network: None,
            api_token: None,
            reads_per_minute: 60,
            writes_per_minute: 20,
            log_requests: false,
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    token: String,
    network: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `http://127.0.0.1:<port>/api/graphql/`
    pub fn api_url(&self) -> String {
        format!("{}/api/graphql/", self.base_url())
    }
    /// The provision-level API token.
    pub fn token(&self) -> &str {
        &self.token
    }
    pub fn network(&self) -> &str {
        &self.network
    }
    /// Stop accepting connections and wait (up to 5 s) for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Start an emulator on the current Tokio runtime.
pub async fn start(config: Config) -> std::io::Result<Emulator> {
    let loaded = match &config.state_file {
        Some(path) => store::load_state(path)?,
        None => None,
    };
    let mut db = match loaded {
        Some(db) => db,
        None => seed::build(config.seed, config.network.as_deref().unwrap_or("demo")),
    };
    if let Some(network) = &config.network {
        db.network = network.clone();
    }
    if db.network.is_empty() {
        db.network = "demo".into();
    }
    let token = match &config.api_token {
        Some(t) => t.clone(),
        None => db
            .api_tokens
            .iter()
            .find(|(_, l)| **l == model::Level::Provision)
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| new_api_token(model::Level::Provision)),
    };
    db.api_tokens.insert(token.clone(), model::Level::Provision);
    let network = db.network.clone();
    let app = app::App::new(db, config.state_file.clone(), config.reads_per_minute, config.writes_per_minute);
    app.store.persist().await?;
    let listener = tokio::net::TcpListener::bind((config.bind, config.port)).await?;
    let addr = listener.local_addr()?;
    let router = http::router(http::Ctx { app: Arc::clone(&app), log_requests: config.log_requests });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(http::serve(listener, router, rx));
    Ok(Emulator { addr, token, network, shutdown: Some(tx), task: Some(task) })
}
