//! tgctl: a command-line client of the Twingate Admin API, and the supervisor that connects CI
//! jobs to private resources. See ARCHITECTURE.md for the map.

pub mod api;
mod check_args;
pub(crate) mod commands;
pub mod config;
pub(crate) mod connect;
pub mod error;
pub mod naming;
pub mod output;
pub mod parse;
pub mod suggest;

#[cfg(test)]
mod fuzz;

use crate::commands::Ctx;
use crate::config::Env;
use crate::error::ExitCode;

/// Parses the command line, runs it and renders any error. Returns the process exit code.
pub fn main_entry() -> i32 {
    if let Some(code) = check_args::run(&Env::from_process()) {
        return code;
    }
    let cli = match commands::parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { ExitCode::Usage.code() } else { ExitCode::Ok.code() };
            let _ = e.print();
            return code;
        }
    };
    let env = Env::from_process();
    let ctx = Ctx::new(env, cli.global.clone());
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ctx.printer.error(&error::Error::internal(format!("cannot start the async runtime: {e}")));
            return ExitCode::Error.code();
        }
    };
    let outcome = runtime.block_on(async {
        match commands::run(&ctx, cli.command).await {
            Err(e) if e.lookup.is_some() => Err(suggest::after_not_found(ctx.client().ok(), e).await),
            other => other,
        }
    });
    match outcome {
        Ok(()) => ctx.exit_code(),
        Err(e) => {
            ctx.printer.error(&e);
            e.exit_code().code()
        }
    }
}
