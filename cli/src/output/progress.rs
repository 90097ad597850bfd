//! Progress for long waits: an indicatif spinner or bar on a TTY, timestamped lines in CI.
#![allow(clippy::print_stderr)]

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress of one long operation.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub(super) fn new(message: &str, tty: bool, quiet: bool) -> Self {
        let bar = tty.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar.set_message(message.to_owned());
            bar.tick();
            bar
        });
        let p = Self { bar, quiet };
        if p.bar.is_none() {
            p.line(message);
        }
        p
    }

    /// Turns the spinner into a bar of `len` steps.
    pub(crate) fn with_length(self, len: u64) -> Self {
        if let Some(bar) = &self.bar {
            bar.set_length(len);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        self
    }

    fn line(&self, message: &str) {
        if !self.quiet {
            let now = jiff::Timestamp::now().strftime("%H:%M:%S%.3f");
            err_line!("[{now}] {message}");
        }
    }

    pub(crate) fn set_message(&self, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(message.to_owned());
                bar.tick();
            }
            None => self.line(message),
        }
    }

    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Prints a line above the spinner (or a timestamped line).
    pub(crate) fn println(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => self.line(message),
        }
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
