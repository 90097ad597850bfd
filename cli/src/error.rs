//! Errors a user can meet, their stable codes and their exit codes.
//!
//! Every failure is an [`Error`]: a kind (which fixes the exit code and the stable `code` string
//! that JSON output carries), a one-line message, an optional hint that says what to do, and
//! optional detail lines (all GraphQL error messages, for example). It is rendered once, in
//! `main`, by the printer.
//!
//! This file is the one source of the exit-code table: `tgctl help exit-codes` prints
//! [`exit_codes_text`], and the copies in README.md and docs/exit-codes.md are
//! [`exit_codes_markdown`] (a test keeps them equal).

use std::fmt;

/// Documented exit codes (`tgctl help exit-codes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ExitCode {
    Ok = 0,
    Error = 1,
    Usage = 2,
    Auth = 3,
    NotFound = 4,
    Rejected = 5,
    Network = 6,
    ConnectTimeout = 7,
    ClientFailed = 8,
    CredentialRefused = 9,
    Interrupted = 130,
}

impl ExitCode {
    pub(crate) const TABLE: &'static [(ExitCode, &'static str)] = &[
        (ExitCode::Ok, "success, or \"no\" at a confirmation prompt (nothing was changed)"),
        (ExitCode::Error, "an error not covered below: file system, an answer of an unexpected shape, a bug"),
        (
            ExitCode::Usage,
            "bad flags, input or settings: invalid ID, bad value, missing --yes off a terminal, a network name that does not resolve",
        ),
        (ExitCode::Auth, "no API token, or the token was rejected or lacks the permission"),
        (ExitCode::NotFound, "the object does not exist (or a name matched nothing)"),
        (ExitCode::Rejected, "the API refused the change (ok: false, GraphQL errors, lifecycle rules)"),
        (
            ExitCode::Network,
            "network failure, server error (5xx) or rate limit that outlasted the retries; a write whose outcome is unknown",
        ),
        (ExitCode::ConnectTimeout, "connect --wait: the resources were not reachable within --timeout"),
        (ExitCode::ClientFailed, "connect: the headless client is missing, failed or crashed"),
        (
            ExitCode::CredentialRefused,
            "connect: the service key or token was refused (expired, revoked, deleted or invalid)",
        ),
        (ExitCode::Interrupted, "interrupted (SIGINT/SIGTERM, or Ctrl-C or Esc at a prompt)"),
    ];

    pub fn code(self) -> i32 {
        self as i32
    }
}

/// What went wrong, coarsely; fixes the exit code and the stable JSON `code`.
/// (`Kind::ALL` lists every kind; the exit-code table shows each kind's `code`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Usage,
    ConfirmationRequired,
    AuthMissing,
    AuthRejected,
    PermissionDenied,
    NotFound,
    Ambiguous,
    Rejected,
    GraphQl,
    Network,
    RateLimited,
    OutcomeUnknown,
    BadResponse,
    ConnectTimeout,
    ClientFailed,
    CredentialRefused,
    Interrupted,
    Io,
    Config,
    Internal,
    /// stdout was closed (e.g. `tgctl ... | head`): exit 0 quietly.
    BrokenPipe,
    /// "No" at a confirmation prompt: a normal answer, exit 0 with "nothing was changed".
    Declined,
}

impl Kind {
    pub(crate) const ALL: [Kind; 22] = [
        Kind::Usage,
        Kind::ConfirmationRequired,
        Kind::AuthMissing,
        Kind::AuthRejected,
        Kind::PermissionDenied,
        Kind::NotFound,
        Kind::Ambiguous,
        Kind::Rejected,
        Kind::GraphQl,
        Kind::Network,
        Kind::RateLimited,
        Kind::OutcomeUnknown,
        Kind::BadResponse,
        Kind::ConnectTimeout,
        Kind::ClientFailed,
        Kind::CredentialRefused,
        Kind::Interrupted,
        Kind::Io,
        Kind::Config,
        Kind::Internal,
        Kind::BrokenPipe,
        Kind::Declined,
    ];

    /// Stable machine-readable code. Exhaustive on purpose: a new kind must choose one.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::ConfirmationRequired => "confirmation_required",
            Kind::AuthMissing => "auth_missing",
            Kind::AuthRejected => "auth_rejected",
            Kind::PermissionDenied => "permission_denied",
            Kind::NotFound => "not_found",
            Kind::Ambiguous => "ambiguous",
            Kind::Rejected => "rejected",
            Kind::GraphQl => "graphql_error",
            Kind::Network => "network",
            Kind::RateLimited => "rate_limited",
            Kind::OutcomeUnknown => "outcome_unknown",
            Kind::BadResponse => "bad_response",
            Kind::ConnectTimeout => "connect_timeout",
            Kind::ClientFailed => "client_failed",
            Kind::CredentialRefused => "credential_refused",
            Kind::Interrupted => "interrupted",
            Kind::Io => "io",
            Kind::Config => "config",
            Kind::Internal => "internal",
            Kind::BrokenPipe => "broken_pipe",
            Kind::Declined => "declined",
        }
    }

    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Kind::Usage | Kind::ConfirmationRequired | Kind::Ambiguous | Kind::Config => ExitCode::Usage,
            Kind::AuthMissing | Kind::AuthRejected | Kind::PermissionDenied => ExitCode::Auth,
            Kind::NotFound => ExitCode::NotFound,
            Kind::Rejected | Kind::GraphQl => ExitCode::Rejected,
            Kind::Network | Kind::RateLimited | Kind::OutcomeUnknown => ExitCode::Network,
            Kind::ConnectTimeout => ExitCode::ConnectTimeout,
            Kind::ClientFailed => ExitCode::ClientFailed,
            Kind::CredentialRefused => ExitCode::CredentialRefused,
            Kind::Interrupted => ExitCode::Interrupted,
            Kind::Io | Kind::Internal | Kind::BadResponse => ExitCode::Error,
            Kind::BrokenPipe | Kind::Declined => ExitCode::Ok,
        }
    }
}

/// The JSON `code`s of the kinds that exit with `code` (a broken pipe exits 0 but is no success).
fn codes_of(code: ExitCode) -> Vec<&'static str> {
    Kind::ALL.iter().filter(|k| k.exit_code() == code && **k != Kind::BrokenPipe).map(|k| k.code()).collect()
}

const TABLE_NOTES: &str =
    "A closed stdout (e.g. `tgctl ... | head`) exits 0 quietly. With `connect -- CMD`, tgctl exits with CMD's status.";

/// The exit-code table as `tgctl help exit-codes` prints it.
pub(crate) fn exit_codes_text() -> String {
    let mut s = String::from("Exit codes (and the JSON error codes of each):\n\n");
    for (code, meaning) in ExitCode::TABLE {
        s.push_str(&format!("  {:>3}  {meaning}\n", code.code()));
        let codes = codes_of(*code);
        if !codes.is_empty() {
            s.push_str(&format!("       {}\n", codes.join(", ")));
        }
    }
    s.push_str(&format!("\n{TABLE_NOTES}\nWith -o json, errors are one JSON object on stderr: {{\"error\": {{\"code\", \"message\", \"hint\", \"details\", \"exitCode\"}}}}.\n"));
    s
}

/// The exit-code table as Markdown, for README.md and docs/exit-codes.md.
pub(crate) fn exit_codes_markdown() -> String {
    let mut s = String::from("| Exit | Meaning | JSON `code` |\n|---|---|---|\n");
    for (code, meaning) in ExitCode::TABLE {
        let codes: Vec<String> = codes_of(*code).iter().map(|c| format!("`{c}`")).collect();
        s.push_str(&format!("| {} | {meaning} | {} |\n", code.code(), codes.join(", ")));
    }
    s.push_str(&format!("\n{TABLE_NOTES}\n"));
    s
}

/// A user-facing error. Its message is one line and never contains a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub(crate) hint: Option<String>,
    pub(crate) details: Vec<String>,
    /// For a name that matched nothing: what was looked for (`crate::suggest` adds "did you
    /// mean").
    pub(crate) lookup: Option<Box<Lookup>>,
}

/// What a lookup by name looked for when it found nothing (`crate::suggest` uses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lookup {
    pub(crate) noun: String,
    pub(crate) name: String,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: one_line(message.into()), hint: None, details: Vec::new(), lookup: None }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Marks a not-found error as a failed lookup of `name` among the `noun`s.
    pub(crate) fn looked_up(mut self, noun: &str, name: &str) -> Self {
        self.lookup = Some(Box::new(Lookup { noun: noun.to_owned(), name: name.to_owned() }));
        self
    }

    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }

    pub(crate) fn rejected(message: impl Into<String>) -> Self {
        Self::new(Kind::Rejected, message)
    }

    pub(crate) fn io(context: impl fmt::Display, err: &std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            return Self::new(Kind::BrokenPipe, "broken pipe");
        }
        Self::new(Kind::Io, format!("{context}: {err}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Kind::Internal, message)
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        self.kind.exit_code()
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Error messages are one line: newlines in server text are folded, and other control
/// characters (carriage returns, terminal escapes) become spaces, so that text from a server or
/// a file can neither break the line nor drive the terminal.
fn one_line(message: String) -> String {
    if message.chars().any(char::is_control) {
        message
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_folded_to_one_line() {
        let e = Error::rejected("first\nsecond  third");
        assert_eq!(e.message, "first second third");
        // Found by fuzzing (cli/src/fuzz): server text with a carriage return or a terminal escape.
        let e = Error::rejected("ok\rforged \u{1b}[31mred\u{b}");
        assert_eq!(e.message, "ok forged [31mred");
    }

    #[test]
    fn documented_table_covers_every_exit_code_of_every_kind() {
        for kind in Kind::ALL {
            let code = kind.exit_code();
            assert!(ExitCode::TABLE.iter().any(|(c, _)| *c == code), "{kind:?} -> {code:?} undocumented");
        }
        // Kind::ALL is complete: `code()` is exhaustive, and every code is listed once.
        let mut codes: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
    }

    /// The Markdown copies of the table in the docs are exactly the generated one.
    #[test]
    fn the_docs_carry_the_generated_table() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let table = exit_codes_markdown();
        for doc in ["README.md", "docs/exit-codes.md"] {
            let text = std::fs::read_to_string(root.join(doc)).unwrap();
            let begin = "<!-- exit-codes: generated from cli/src/error.rs; do not edit -->\n";
            let end = "<!-- /exit-codes -->";
            let start =
                text.find(begin).unwrap_or_else(|| panic!("{doc} lacks the exit-code table marker")) + begin.len();
            let stop = start + text[start..].find(end).unwrap_or_else(|| panic!("{doc}: the table is not closed"));
            assert_eq!(
                text[start..stop].trim(),
                table.trim(),
                "{doc}: regenerate the table with `tgctl help exit-codes --markdown`"
            );
        }
    }
}
