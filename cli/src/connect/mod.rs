//! `tgctl connect`: bring a headless client up and wait until the job can use it.
//!
//! An engine that knows no provider, and providers behind one trait. The stages, under one
//! deadline, with the time of each in the result: preflight -> key -> setup -> start ->
//! online -> resolve -> probe -> forward -> supervise (`-- CMD`) -> undo. See docs/connect.md
//! and ARCHITECTURE.md.
//!
//! The engine:
//! - [`engine`]: the order of the stages, the budget, failure and undo.
//! - [`climb`]: setup to forward; resolve, probe and forward are the same for every provider.
//! - [`supervise`]: `-- CMD` inside the connection.
//! - [`undo`]: what every provider's undo shares, and what was undone.
//! - [`events`]: progress goes out as events; the command layer renders them.
//! - [`state`]: [`state::State`], the one way to `connect.json` (what `disconnect` undoes).
//! - [`args`]: the flags; [`job`]: what the CI job gets (step outputs, env file).
//!
//! The providers:
//! - [`provider`]: the [`provider::Provider`] trait and what the engine gives it.
//! - [`providers`]: one folder per provider (`twingate/`, `firezone/`), and the one map from
//!   `--provider` to its type.
//!
//! Tools for both:
//! - [`client`]: what a client says (state, resources, failed commands).
//! - [`ladder`]: polling a client's status until `online`, with restarts.
//! - [`preflight`]: privileges, TUN, CAP_NET_ADMIN.
//! - [`probe`]: resolving names and opening TCP connections.
//! - [`proxy`]: proxy mode (a client's userspace HTTP proxy, no TUN, no root).
//! - [`forward`]: local TCP listeners tunnelled through the proxy (`tgctl forward`).
//! - [`logs`], [`process`], [`secret`], [`status`].

pub(crate) mod args;
pub(crate) mod client;
pub(crate) mod climb;
pub(crate) mod engine;
pub(crate) mod events;
pub(crate) mod forward;
pub(crate) mod job;
pub(crate) mod ladder;
pub(crate) mod logs;
pub(crate) mod preflight;
pub(crate) mod probe;
pub(crate) mod process;
pub(crate) mod provider;
pub(crate) mod providers;
pub(crate) mod proxy;
pub(crate) mod secret;
pub(crate) mod state;
pub(crate) mod status;
pub(crate) mod supervise;
pub(crate) mod undo;

use serde::Serialize;

/// The stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Stage {
    Preflight,
    Key,
    Setup,
    Start,
    Online,
    Resolve,
    Probe,
    Forward,
    Supervise,
    Undo,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::Preflight => "preflight",
            Stage::Key => "key",
            Stage::Setup => "setup",
            Stage::Start => "start",
            Stage::Online => "online",
            Stage::Resolve => "resolve",
            Stage::Probe => "probe",
            Stage::Forward => "forward",
            Stage::Supervise => "supervise",
            Stage::Undo => "undo",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
