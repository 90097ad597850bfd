//! `tgctl-emulator`: run the Twingate Admin API emulator, or print its schema.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tgctl_emulator::{Config, Seed};

#[derive(Parser)]
#[command(name = "tgctl-emulator", version, about = "A local emulator of the Twingate Admin API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGINT/SIGTERM. Prints TGCTL_API_URL, TWINGATE_API_TOKEN,
    /// TWINGATE_NETWORK and TGCTL_EMULATOR_URL to stdout, one per line.
    Serve {
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Load the state from FILE if it exists; save it there after every change.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Starting data when there is no state file: demo or empty.
        #[arg(long, default_value = "demo")]
        seed: Seed,
        /// The tenant slug (default: demo, or the state file's).
        #[arg(long)]
        network: Option<String>,
        /// The provision-level API token to accept (default: random, or the state file's).
        #[arg(long, value_name = "VALUE")]
        api_token: Option<String>,
        /// Read requests per minute per token; 0 = unlimited.
        #[arg(long, default_value_t = 60)]
        reads_per_minute: u32,
        /// Write requests per minute per token; 0 = unlimited.
        #[arg(long, default_value_t = 20)]
        writes_per_minute: u32,
        /// Don't log each request to stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Print the GraphQL schema (SDL) the emulator serves.
    Schema,
}

#[allow(clippy::print_stdout)]
fn print_lines(lines: &[String]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

#[allow(clippy::print_stderr)]
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => match print_lines(&[tgctl_emulator::sdl()]) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(_) => std::process::ExitCode::FAILURE,
        },
        Command::Serve { bind, port, state, seed, network, api_token, reads_per_minute, writes_per_minute, quiet } => {
            let config = Config {
                bind,
                port,
                state_file: state,
                seed,
                network,
                api_token,
                reads_per_minute,
                writes_per_minute,
                log_requests: !quiet,
            };
            let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("tgctl-emulator: can't start the runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("tgctl-emulator: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

#[allow(clippy::print_stderr)]
async fn serve(config: Config) -> std::io::Result<()> {
    let emulator = tgctl_emulator::start(config).await?;
    print_lines(&[
        format!("TGCTL_API_URL={}", emulator.api_url()),
        format!("TWINGATE_API_TOKEN={}", emulator.token()),
        format!("TWINGATE_NETWORK={}", emulator.network()),
        format!("TGCTL_EMULATOR_URL={}", emulator.base_url()),
    ])?;
    eprintln!("tgctl-emulator: serving {} (Ctrl-C to stop)", emulator.api_url());
    wait_for_signal().await;
    eprintln!("tgctl-emulator: shutting down");
    emulator.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
