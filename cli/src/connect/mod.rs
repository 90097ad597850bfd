//! `tgctl connect`: bring a headless client up and wait until the job can use it.
//!
//! The readiness ladder, under one deadline, with the time of each stage in the result:
//! preflight -> key -> setup (key on stdin) -> start -> status `online` -> names resolve ->
//! ports accept connections. See docs/connect.md.
//!
//! - [`provider`]: the headless clients behind a trait (Twingate).
//! - [`firezone`], [`notify`]: firezone-headless-client, ready when it sends `READY=1` to our
//!   notify socket (docs/firezone.md).
//! - [`preflight`]: privileges, binary, TUN, CAP_NET_ADMIN, systemd; the apt install.
//! - [`ladder`]: waiting for `online` with fast polls, log-triggered polls and restarts.
//! - [`probe`]: `--resolve` and `--probe`.
//! - [`state`]: `connect.json`, what `disconnect` undoes.
//! - [`process`]: child processes without orphans or zombies.
//! - [`proxy`]: proxy mode (the client's userspace HTTP proxy, no TUN, no root).
//! - [`forward`]: local TCP listeners tunnelled through the proxy (`tgctl forward`).

pub mod firezone;
pub mod forward;
pub mod ladder;
pub mod logs;
pub mod notify;
pub mod preflight;
pub mod probe;
pub mod process;
pub mod provider;
pub mod proxy;
pub mod secret;
pub mod state;

use serde::Serialize;

/// The stages of the ladder, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Preflight,
    Key,
    Setup,
    Start,
    Online,
    Resolve,
    Probe,
    Forward,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Preflight => "preflight",
            Stage::Key => "key",
            Stage::Setup => "setup",
            Stage::Start => "start",
            Stage::Online => "online",
            Stage::Resolve => "resolve",
            Stage::Probe => "probe",
            Stage::Forward => "forward",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
