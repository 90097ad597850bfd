//! Parse-only mode for the CI wrappers' tests (`TGCTL_CHECK_ARGS`): the wrappers build tgctl
//! command lines, and their tests prove every command line they can build is one this parser
//! accepts, without running anything.
//!
//! - `TGCTL_CHECK_ARGS=1 tgctl ARGS...`: parses ARGS as usual and exits 0 (accepted) or 2 with
//!   clap's message (unknown flag, bad value, conflict), doing nothing else.
//! - `TGCTL_CHECK_ARGS=FILE tgctl`: FILE holds one command line a line, as a JSON array of
//!   strings without the program name. Prints one line a command line, `ok` or `error: MESSAGE`,
//!   and exits 0 when every one was accepted, else 2. One process checks thousands of lines.

use std::io::Write;

use clap::Parser;

use crate::commands::Cli;
use crate::config::{Env, env};
use crate::error::ExitCode;

/// Runs the parse-only mode when `TGCTL_CHECK_ARGS` asks for it; `None` means run normally.
pub(crate) fn run(env: &Env) -> Option<i32> {
    let mode = env.get(env::TGCTL_CHECK_ARGS)?;
    if mode == "1" {
        return Some(match Cli::try_parse() {
            Ok(_) => ExitCode::Ok.code(),
            Err(e) => {
                let _ = e.print();
                if e.use_stderr() { ExitCode::Usage.code() } else { ExitCode::Ok.code() }
            }
        });
    }
    Some(check_file(mode))
}

fn check_file(path: &str) -> i32 {
    let mut err = std::io::stderr().lock();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let _ = writeln!(err, "error: TGCTL_CHECK_ARGS={path}: {e}");
            return ExitCode::Usage.code();
        }
    };
    let mut out = std::io::stdout().lock();
    let mut code = ExitCode::Ok.code();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let verdict = match serde_json::from_str::<Vec<String>>(line) {
            Err(e) => format!("error: line {}: not a JSON array of strings: {e}", n + 1),
            Ok(args) => match Cli::try_parse_from(std::iter::once("tgctl".to_owned()).chain(args)) {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error: {}", first_line(&e.render().to_string())),
            },
        };
        if verdict != "ok" {
            code = ExitCode::Usage.code();
        }
        if writeln!(out, "{verdict}").is_err() {
            return ExitCode::Error.code();
        }
    }
    code
}

/// clap's first line ("error: unexpected argument '--x' found"), without its own "error: ".
fn first_line(rendered: &str) -> String {
    let line = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    line.trim_start_matches("error: ").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lines: &str) -> i32 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("argv.jsonl");
        std::fs::write(&path, lines).unwrap();
        check_file(path.to_str().unwrap())
    }

    #[test]
    fn accepted_and_refused_command_lines() {
        assert_eq!(check("[\"status\"]\n[\"connect\",\"--wait\",\"--timeout\",\"90s\"]\n"), 0);
        assert_eq!(check("[\"connect\",\"--no-such-flag\"]\n"), 2);
        assert_eq!(check("not json\n"), 2);
        assert_eq!(check_file("/nonexistent/argv.jsonl"), 2);
    }

    #[test]
    fn clap_errors_are_shortened_to_their_first_line() {
        let e = Cli::try_parse_from(["tgctl", "connect", "--no-such-flag"]).unwrap_err();
        let line = first_line(&e.render().to_string());
        assert!(line.contains("--no-such-flag"), "{line}");
        assert!(!line.starts_with("error:"), "{line}");
    }
}
