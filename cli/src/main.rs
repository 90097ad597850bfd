//! The `tgctl` binary: parse, run, render, exit. Everything else is in the library.

#[allow(clippy::disallowed_methods)] // main is where the process exits (clippy.toml)
fn main() {
    std::process::exit(tgctl::main_entry());
}
