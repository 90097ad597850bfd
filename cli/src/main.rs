//! The `tgctl` binary: parse, run, render, exit. Everything else is in the library.

fn main() {
    std::process::exit(tgctl::main_entry());
}
