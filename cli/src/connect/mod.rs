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
#[cfg(unix)]
pub(crate) mod broker;
#[cfg(unix)]
pub(crate) mod client;
#[cfg(unix)]
pub(crate) mod climb;
#[cfg(unix)]
pub(crate) mod engine;
#[cfg(unix)]
pub(crate) mod events;
#[cfg(unix)]
pub(crate) mod forward;
#[cfg(unix)]
pub(crate) mod job;
#[cfg(unix)]
pub(crate) mod ladder;
#[cfg(unix)]
pub(crate) mod logs;
#[cfg(unix)]
pub(crate) mod preflight;
#[cfg(unix)]
pub(crate) mod probe;
#[cfg(unix)]
pub(crate) mod process;
#[cfg(unix)]
pub(crate) mod provider;
#[cfg(unix)]
pub(crate) mod providers;
#[cfg(unix)]
pub(crate) mod proxy;
#[cfg(unix)]
pub(crate) mod secret;
#[cfg(unix)]
pub(crate) mod state;
#[cfg(unix)]
pub(crate) mod status;
#[cfg(unix)]
pub(crate) mod supervise;
#[cfg(unix)]
pub(crate) mod undo;

#[cfg(unix)]
use serde::Serialize;

use crate::error::{Error, Kind};

/// Why `connect`, `disconnect`, `status` and `forward` do not run on this OS (`std::env::consts::OS`),
/// or None on Linux. They supervise the Linux headless clients; Twingate publishes none for macOS
/// (its own GitHub Action refuses macOS runners: Twingate/github-action issues #6 and #43).
/// Checked before anything else, so no /proc path is read outside Linux. Exit 8.
pub(crate) fn unsupported_os(os: &str) -> Option<Error> {
    let hint = "every other tgctl verb works here; run the job that connects on a Linux runner";
    match os {
        "linux" => None,
        "macos" => Some(
            Error::new(Kind::ClientFailed, "Twingate has no headless macOS client: run this job on a Linux runner")
                .hint(hint),
        ),
        other => Some(
            Error::new(
                Kind::ClientFailed,
                format!(
                    "connect supervises the Linux headless clients: run this job on a Linux runner (this is {other})"
                ),
            )
            .hint(hint),
        ),
    }
}

/// The stages, in order.
#[cfg(unix)]
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

#[cfg(unix)]
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

#[cfg(unix)]
impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod os_tests {
    use super::*;

    #[test]
    fn only_linux_connects_and_the_others_say_what_to_do() {
        assert!(unsupported_os("linux").is_none());
        let mac = unsupported_os("macos").unwrap();
        assert_eq!(mac.kind, Kind::ClientFailed);
        assert_eq!(mac.message, "Twingate has no headless macOS client: run this job on a Linux runner");
        let win = unsupported_os("windows").unwrap();
        assert!(win.message.contains("run this job on a Linux runner (this is windows)"), "{}", win.message);
        assert!(win.hint.unwrap().contains("every other tgctl verb works here"));
    }
}
