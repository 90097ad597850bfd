//! The one printer: every byte tgctl writes goes through [`Printer`].
//!
//! Stream contract: stdout carries results only (tables, JSON, IDs, a requested secret); progress,
//! notices, warnings and errors go to stderr. `-o table` is aligned and truncated to the terminal
//! on a TTY with relative times, and tab-separated with full values and RFC 3339 times otherwise.
//! `-o json` prints our own output structs (camelCase), `-o ndjson` one object per line, `-o id`
//! one ID per line. With `-o json` an error is one JSON object on stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// One line on stderr. A reader that went away (EPIPE, `tgctl -v ... 2>&1 | head -c1`) drops the
/// line instead of panicking as `eprintln!` does (issue 15, item 17): the exit code stays the
/// work's own. A URL's userinfo (a password) is redacted from every line (item 12).
macro_rules! err_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!($($arg)*);
        let _ = writeln!(std::io::stderr().lock(), "{}", crate::redact::userinfo(&line));
    }};
}

#[cfg(unix)]
pub(crate) mod events;
mod format;
mod progress;

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use serde::Serialize;

pub(crate) use format::{Fmt, escape_controls};
pub(crate) use progress::Progress;

use crate::api::transport::{LogFn, LogLevel};
use crate::config::env::{self, Env};
use crate::error::{Error, Kind, Result};

/// `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned table on a terminal, tab-separated values otherwise.
    Table,
    /// JSON (an array for lists).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// IDs only, one per line.
    Id,
}

/// `-o/--output` as typed: the formats, plus `wide` (a table with IDs and names whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputArg {
    /// Aligned table on a terminal (IDs shortened, long names cut to fit), tab-separated values otherwise.
    Table,
    /// A table with full IDs and names, however wide.
    Wide,
    /// JSON (an array for lists).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// IDs only, one per line.
    Id,
}

impl OutputArg {
    /// The format, and whether tables are wide.
    pub(crate) fn format(self) -> (Format, bool) {
        match self {
            OutputArg::Table => (Format::Table, false),
            OutputArg::Wide => (Format::Table, true),
            OutputArg::Json => (Format::Json, false),
            OutputArg::Ndjson => (Format::Ndjson, false),
            OutputArg::Id => (Format::Id, false),
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A value the printer can show as a row of a table or a list of fields.
pub(crate) trait Tabular: Serialize {
    /// Column headers of list tables.
    fn headers() -> &'static [&'static str];
    /// One cell per header.
    fn cells(&self, f: &Fmt) -> Vec<String>;
    /// The object's ID, for `-o id`.
    fn id(&self) -> &str;
    /// Field/value pairs for a single object (`get`, `create`); defaults to the list columns.
    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        Self::headers().iter().copied().zip(self.cells(f)).collect()
    }
}

/// How output is formatted, decided once at start-up.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    format: Format,
    out_tty: bool,
    err_tty: bool,
    err_color: bool,
    quiet: bool,
    verbose: u8,
    github_actions: bool,
    ci: bool,
    width: usize,
    /// `-o wide` / `--wide`: tables keep full IDs and names.
    wide: bool,
}

impl Printer {
    pub(crate) fn new(format: Format, color: ColorChoice, quiet: bool, verbose: u8, env: &Env) -> Self {
        let forced = env.flag(env::TGCTL_FORCE_TTY);
        let out_tty = forced || std::io::stdout().is_terminal();
        let err_tty = forced || std::io::stderr().is_terminal();
        let err_color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                env.get(env::NO_COLOR).is_none()
                    && (err_tty || env.flag(env::CLICOLOR_FORCE) || env.flag(env::FORCE_COLOR))
            }
        };
        // COLUMNS first (what the shell says, and what tests set), then the terminal's size.
        let width = env
            .number::<usize>(env::COLUMNS)
            .ok()
            .flatten()
            .filter(|w| *w >= 20)
            .or_else(|| console::Term::stdout().size_checked().map(|(_, w)| usize::from(w)).filter(|w| *w > 0))
            .unwrap_or(100);
        Self {
            format,
            out_tty,
            err_tty,
            err_color,
            quiet,
            verbose,
            github_actions: env.in_github_actions(),
            ci: env.in_ci(),
            width,
            wide: false,
        }
    }

    /// Tables with full IDs and names (`-o wide`, `--wide`).
    pub(crate) fn with_wide(mut self, wide: bool) -> Self {
        self.wide = wide;
        self
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    pub(crate) fn stdout_is_tty(&self) -> bool {
        self.out_tty
    }

    pub(crate) fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub(crate) fn fmt(&self) -> Fmt {
        Fmt::new(self.out_tty)
    }

    fn paint(&self, text: &str, style: fn(console::Style) -> console::Style) -> String {
        if self.err_color {
            style(console::Style::new()).force_styling(true).apply_to(text).to_string()
        } else {
            text.to_owned()
        }
    }

    // ---- stderr -------------------------------------------------------------------------------

    /// A notice for people (suppressed by -q).
    pub(crate) fn info(&self, message: &str) {
        let message = escape_controls(message, true);
        if !self.quiet {
            err_line!("{message}");
        }
    }

    /// A change was made (suppressed by -q).
    pub(crate) fn success(&self, message: &str) {
        let message = escape_controls(message, true);
        if !self.quiet {
            let mark = if self.err_tty { self.paint("✓", |s| s.green()) } else { String::new() };
            if mark.is_empty() { err_line!("{message}") } else { err_line!("{mark} {message}") }
        }
    }

    pub(crate) fn warn(&self, message: &str) {
        let message = escape_controls(message, true);
        if self.github_actions {
            err_line!("::warning::{message}");
        } else {
            err_line!("{} {message}", self.paint("warning:", |s| s.yellow().bold()));
        }
    }

    /// Shown with -v.
    pub(crate) fn debug(&self, message: &str) {
        let message = escape_controls(message, true);
        if self.verbose > 0 {
            err_line!("{} {message}", self.paint("debug:", |s| s.dim()));
        }
    }

    /// Registers a secret with GitHub Actions so the runner masks it in logs. Must be called
    /// before anything else could print the secret. Every line (and the whole) is masked.
    pub(crate) fn mask(&self, secret: &str) {
        if !self.github_actions || secret.is_empty() {
            return;
        }
        let mut parts: Vec<&str> = secret.lines().map(str::trim).filter(|l| l.len() >= 4).collect();
        if !secret.contains('\n') {
            parts.push(secret);
        }
        parts.dedup();
        let mut err = std::io::stderr().lock();
        for part in parts {
            let _ = writeln!(err, "::add-mask::{part}");
        }
        let _ = err.flush();
    }

    /// The log sink given to the API client. Control characters are made visible (issue 15,
    /// item 10): a log line can quote an API answer.
    pub(crate) fn log_fn(&self) -> LogFn {
        let quiet = self.quiet;
        let verbose = self.verbose;
        let color = self.err_color;
        let github_actions = self.github_actions;
        Arc::new(move |level, message| {
            let message = escape_controls(message, true);
            match level {
                LogLevel::Warn if github_actions => err_line!("::warning::{message}"),
                LogLevel::Warn => {
                    let label = if color {
                        console::style("warning:").yellow().bold().force_styling(true).to_string()
                    } else {
                        "warning:".to_owned()
                    };
                    err_line!("{label} {message}");
                }
                LogLevel::Info if !quiet => err_line!("{message}"),
                LogLevel::Debug if verbose > 0 => {
                    let label = if color {
                        console::style("debug:").dim().force_styling(true).to_string()
                    } else {
                        "debug:".to_owned()
                    };
                    err_line!("{label} {message}");
                }
                _ => {}
            }
        })
    }

    /// Renders an error once, at the top (`main`).
    pub(crate) fn error(&self, error: &Error) {
        if error.kind == Kind::BrokenPipe {
            return;
        }
        if error.kind == Kind::Declined {
            // Not an error: the person answered the question.
            self.info(&error.message);
            return;
        }
        if matches!(self.format, Format::Json | Format::Ndjson) {
            err_line!("{}", serde_json::json!({ "error": error_body(error) }));
            return;
        }
        let message = escape_controls(&error.message, true);
        if self.github_actions {
            err_line!("::error::{message}");
        } else {
            err_line!("{} {message}", self.paint("error:", |s| s.red().bold()));
        }
        if error.details.len() > 1 || (error.details.len() == 1 && !error.message.contains(&error.details[0])) {
            for d in &error.details {
                err_line!("  - {}", escape_controls(d, true));
            }
        }
        if let Some(hint) = &error.hint {
            err_line!("{} {}", self.paint("hint:", |s| s.cyan().bold()), escape_controls(hint, true));
        }
    }

    /// Spinners only at a terminal, and not in CI (`CI` or `GITHUB_ACTIONS` set): some CI
    /// systems run steps on a pty (CircleCI does), where a spinner would fill the log.
    fn spinners(&self) -> bool {
        self.err_tty && !self.quiet && !self.ci
    }

    /// A spinner on a TTY, timestamped lines otherwise.
    pub(crate) fn progress(&self, message: &str) -> Progress {
        Progress::new(message, self.spinners(), self.quiet)
    }

    /// A spinner for one stage of a longer command, at a terminal only: off a terminal the
    /// command reports each stage with one line when it is done.
    pub(crate) fn spinner(&self, message: &str) -> Progress {
        Progress::new(message, self.spinners(), true)
    }

    // ---- stdout -------------------------------------------------------------------------------

    /// Raw text on stdout (a requested secret, `tgctl api` results). Adds a newline if missing.
    pub(crate) fn raw(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).map_err(|e| Error::io("writing to stdout", &e))?;
        if !text.ends_with('\n') {
            out.write_all(b"\n").map_err(|e| Error::io("writing to stdout", &e))?;
        }
        out.flush().map_err(|e| Error::io("writing to stdout", &e))
    }

    /// A JSON value on stdout (pretty on a TTY, compact otherwise; one line with ndjson).
    pub(crate) fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = if self.out_tty && self.format != Format::Ndjson {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))?;
        self.raw(&text)
    }

    /// One object, in the chosen format.
    pub(crate) fn object<T: Tabular>(&self, value: &T) -> Result<()> {
        match self.format {
            Format::Json | Format::Ndjson => self.json(value),
            Format::Id => self.raw(&escape_controls(value.id(), false)),
            Format::Table => {
                let f = self.fmt();
                let fields = value.details(&f);
                let mut text = String::new();
                if self.out_tty {
                    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                    for (k, v) in fields {
                        text.push_str(&format!("{:<width$}  {}\n", title(k), escape_controls(&v, false)));
                    }
                } else {
                    for (k, v) in fields {
                        let key = k.to_ascii_lowercase().replace(' ', "_");
                        text.push_str(&format!("{key}\t{}\n", escape_controls(&v, false)));
                    }
                }
                self.raw(&text)
            }
        }
    }

    /// Reports a deletion: nothing on stdout for tables, the ID for `-o id`, an object for JSON.
    pub(crate) fn deleted(&self, id: &str, name: &str) -> Result<()> {
        match self.format {
            Format::Table => Ok(()),
            Format::Id => self.raw(id),
            Format::Json | Format::Ndjson => self.json(&serde_json::json!({"id": id, "name": name, "deleted": true})),
        }
    }

    /// Starts a streamed list.
    pub(crate) fn list<T: Tabular>(&self) -> ListWriter<'_, T> {
        self.list_as(self.format)
    }

    /// Starts a streamed list in a given format (`tgctl api --paginate` prints JSON for tables).
    pub(crate) fn list_as<T: Tabular>(&self, format: Format) -> ListWriter<'_, T> {
        // At a terminal, a spinner counts rows while pages arrive (a TTY table shows only at the
        // end); off a terminal, the rows themselves are the progress.
        let progress = self.spinners().then(|| Progress::new("Listing", true, true));
        ListWriter { printer: self, format, rows: Vec::new(), count: 0, progress, _marker: std::marker::PhantomData }
    }
}

/// An error as JSON (`-o json`): the object under `"error"` on stderr, also carried by the
/// connect engine's `error` events.
fn error_body(error: &Error) -> serde_json::Value {
    serde_json::json!({
        "code": error.code(),
        "message": error.message,
        "hint": error.hint,
        "details": error.details,
        "exitCode": error.exit_code().code(),
    })
}

/// An ID as a terminal table shows it: the object's own key from the Relay ID
/// (`Resource:1030` is `1030`), cut to 8 characters with `…`. `-o wide`, `-o id`, JSON and
/// pipes keep the full ID, which is what commands take.
fn short_id(id: &str) -> String {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(id).ok().and_then(|b| String::from_utf8(b).ok());
    let key = decoded.as_deref().and_then(|d| d.split_once(':')).map_or(id, |(_, k)| k);
    if key.chars().count() <= 8 { key.to_owned() } else { key.chars().take(8).collect::<String>() + "…" }
}

fn title(header: &str) -> String {
    let lower = header.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or_else(String::new, |c| c.to_ascii_uppercase().to_string() + chars.as_str())
}

/// Writes a list page by page: rows reach stdout as pages arrive (except TTY tables, which are
/// aligned once at the end).
pub(crate) struct ListWriter<'p, T: Tabular> {
    printer: &'p Printer,
    format: Format,
    rows: Vec<Vec<String>>,
    count: usize,
    progress: Option<Progress>,
    _marker: std::marker::PhantomData<T>,
}

impl<T: Tabular> ListWriter<'_, T> {
    pub(crate) fn push_page(&mut self, items: Vec<T>) -> Result<()> {
        let p = self.printer;
        let f = p.fmt();
        let mut buf = String::new();
        for item in &items {
            match self.format {
                Format::Json => {
                    buf.push_str(if self.count == 0 { "[\n" } else { ",\n" });
                    buf.push_str(&serde_json::to_string(item).map_err(|e| Error::internal(e.to_string()))?);
                }
                Format::Ndjson => {
                    buf.push_str(&serde_json::to_string(item).map_err(|e| Error::internal(e.to_string()))?);
                    buf.push('\n');
                }
                Format::Id => {
                    buf.push_str(&escape_controls(item.id(), false));
                    buf.push('\n');
                }
                Format::Table if p.out_tty => {
                    self.rows.push(item.cells(&f).iter().map(|c| escape_controls(c, false).into_owned()).collect());
                }
                Format::Table => {
                    let cells: Vec<String> = item
                        .cells(&f)
                        .into_iter()
                        .map(|c| escape_controls(&c.replace(['\t', '\n'], " "), false).into_owned())
                        .collect();
                    buf.push_str(&cells.join("\t"));
                    buf.push('\n');
                }
            }
            self.count += 1;
        }
        if let Some(progress) = &self.progress {
            progress.set_message(&format!("Listing: {} so far", self.count));
        }
        if buf.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        out.write_all(buf.as_bytes()).and_then(|()| out.flush()).map_err(|e| Error::io("writing to stdout", &e))
    }

    /// Ends the list; returns how many rows it had.
    pub(crate) fn finish(mut self) -> Result<usize> {
        if let Some(progress) = self.progress.take() {
            progress.finish();
        }
        let p = self.printer;
        match self.format {
            Format::Json => p.raw(if self.count == 0 { "[]" } else { "\n]" })?,
            Format::Table if p.out_tty => {
                if self.rows.is_empty() {
                    p.info("No results.");
                } else {
                    use comfy_table::{ColumnConstraint, ContentArrangement, Row, Table, presets};
                    let mut table = Table::new();
                    table
                        .load_preset(presets::NOTHING)
                        .set_content_arrangement(ContentArrangement::Dynamic)
                        .set_width(p.width as u16)
                        .set_truncation_indicator("…")
                        .set_header(T::headers().iter().map(|h| h.to_ascii_uppercase()));
                    let short_ids = !p.wide && T::headers().first() == Some(&"id");
                    for mut row in self.rows {
                        if short_ids && let Some(id) = row.first_mut() {
                            *id = short_id(id);
                        }
                        let mut row = Row::from(row);
                        row.max_height(1);
                        table.add_row(row);
                    }
                    let columns = table.column_count();
                    for (i, column) in table.column_iter_mut().enumerate() {
                        column.set_padding((0, if i + 1 == columns { 0 } else { 2 }));
                        // IDs are never cut: people copy them.
                        if i == 0 && T::headers().first() == Some(&"id") {
                            column.set_constraint(ColumnConstraint::ContentWidth);
                        }
                    }
                    if p.wide {
                        table.set_content_arrangement(ContentArrangement::Disabled);
                    }
                    // No line wider than the terminal, whatever the content (unless wide).
                    let fit = |l: &str| {
                        if p.wide { l.to_owned() } else { console::truncate_str(l, p.width, "…").into_owned() }
                    };
                    let text: String = table.lines().map(|l| fit(l.trim_end()) + "\n").collect();
                    p.raw(&text)?;
                }
            }
            _ => {}
        }
        Ok(self.count)
    }
}
