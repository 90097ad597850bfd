//! Where the API layer's log lines go. Its own module so that the pacer and the transport
//! both use it without importing each other (ARCHITECTURE.md: no import circles).

use std::sync::Arc;

/// Where log lines from the transport go (the printer decides whether to show them).
pub(crate) type LogFn = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Shown unless -q: pacing waits, retries.
    Info,
    /// Shown with -v: one line per attempt.
    Debug,
    /// Always shown, as a warning: something works less well than it should (the pacer fell
    /// back to this process only).
    Warn,
}
