//! Binary tests of the real `tgctl` (one test binary, one module per area).
//!
//! The binaries must be built first: `cargo build --workspace --bins` (the README's test command
//! does it). Each test gets its own mock Admin API (wiremock), config dir and state dir.

mod common;

mod auth;
mod connect;
mod emulator;
mod matrix;
mod output;
mod proxy;
mod service_account;
mod service_key;
mod transport;
