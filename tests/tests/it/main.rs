//! Binary tests of the real `tgctl` (one test binary, one module per area).
//!
//! The binaries must be built first: `cargo build --workspace --bins` (the README's test command
//! does it). Each test gets its own mock Admin API (wiremock), config dir and state dir.

mod common;

mod api;
mod auth;
mod broker;
mod broker_connect;
mod broker_load;
mod broker_pg;
mod broker_world;
mod check_args;
mod connect;
mod connector;
mod demo;
mod device;
mod emulator;
mod emulator_nouns;
mod exit_codes;
mod fault_matrix;
mod firezone;
mod group;
pub mod hardening;
mod hardening_failures;
mod load;
mod matrix;
mod output;
mod proxy;
mod readme;
mod real_client;
mod remote_network;
mod resource;
mod secret_hygiene;
mod security_policy;
pub mod service_account;
pub mod service_key;
mod signals;
mod sim_machine;
mod snapshots;
mod terminal;
mod transport;
mod user;

/// A service account list node (as `ServiceAccountList` returns it).
pub fn service_account_node(pk: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": common::gid("ServiceAccount", pk), "name": name, "createdAt": common::T0, "updatedAt": common::T0,
        "resources": {"totalCount": 0}, "keys": {"totalCount": 0, "edges": []}
    })
}
