//! tgctl: a command-line client of the Twingate Admin API, and the supervisor that connects CI
//! jobs to private resources. See ARCHITECTURE.md for the map.

pub mod api;
mod check_args;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod connect;
pub mod error;
pub(crate) mod naming;
pub(crate) mod output;
pub mod parse;
pub(crate) mod redact;
pub(crate) mod suggest;

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
            if !e.use_stderr() {
                let _ = e.print(); // --help, --version
                return ExitCode::Ok.code();
            }
            let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
            if json_requested(&args) {
                let env = Env::from_process();
                let printer = output::Printer::new(output::Format::Json, output::ColorChoice::Never, false, 0, &env);
                printer.error(&usage_error(&e));
            } else {
                let _ = e.print();
            }
            return ExitCode::Usage.code();
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

/// True when a command line that clap refused asked for `-o json` or `-o ndjson` (the last `-o`
/// wins, as for clap): its usage error is then printed in the JSON error shape (issue 15,
/// item 14). Handles `-o json`, `-ojson`, `-vo json`, `--output json` and `--output=json`.
fn json_requested(args: &[std::ffi::OsString]) -> bool {
    let mut wanted: Option<String> = None;
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if let Some(rest) = arg.strip_prefix("--output") {
            if let Some(value) = rest.strip_prefix('=') {
                wanted = Some(value.to_owned());
            } else if rest.is_empty() {
                wanted = iter.next();
            }
        } else if let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.starts_with('-'))
            && let Some(at) = cluster.find('o')
            && cluster[..at].chars().all(|c| matches!(c, 'v' | 'q'))
        {
            let value = &cluster[at + 1..];
            wanted = if value.is_empty() { iter.next() } else { Some(value.trim_start_matches('=').to_owned()) };
        }
    }
    matches!(wanted.as_deref(), Some("json" | "ndjson"))
}

/// clap's refusal as our usage error: its first line is the message, its usage line the hint.
fn usage_error(e: &clap::Error) -> error::Error {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("invalid command line");
    let message = message.strip_prefix("error: ").unwrap_or(message).to_owned();
    let details: Vec<String> = lines
        .clone()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::to_owned)
        .collect();
    let usage = lines.find_map(|l| l.strip_prefix("Usage: ")).map(str::to_owned);
    let mut err = error::Error::usage(message);
    err.details = details;
    err.hint(match usage {
        Some(u) => format!("usage: {u} (see --help)"),
        None => "see `tgctl --help`".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::json_requested;

    fn wants(args: &[&str]) -> bool {
        let args: Vec<std::ffi::OsString> =
            std::iter::once("tgctl").chain(args.iter().copied()).map(Into::into).collect();
        json_requested(&args)
    }

    #[test]
    fn finds_every_spelling_of_json_output() {
        assert!(wants(&["-o", "json", "x", "--bogus"]));
        assert!(wants(&["x", "--bogus", "-ojson"]));
        assert!(wants(&["-vo", "ndjson"]));
        assert!(wants(&["--output=json"]));
        assert!(wants(&["--output", "json"]));
        assert!(!wants(&["-o", "json", "-o", "table"]));
        assert!(!wants(&["--", "-o", "json"]));
        assert!(!wants(&["--bogus"]));
    }
}
