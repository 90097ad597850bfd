//! Renders the connect engine's events (`crate::connect::events`) on stderr: an indicatif
//! spinner at a terminal, one timestamped line per step off one (CI logs), nothing but warnings
//! and errors with `-q`. stdout is left to the result.

use secrecy::ExposeSecret;

use super::{Printer, Progress};
use crate::connect::events::{Event, Receiver};

/// Renders events until every sender is gone.
pub(crate) async fn render(printer: &Printer, mut events: Receiver) {
    let mut progress: Option<Progress> = None;
    while let Some(event) = events.recv().await {
        match event {
            Event::Begin(title) => {
                if let Some(p) = progress.take() {
                    p.finish();
                }
                progress = Some(printer.progress(&title));
            }
            // Each step's message says what is under way; the stage itself is shown with -v.
            Event::Stage(stage) => printer.debug(&format!("connect stage: {stage}")),
            Event::Step(message) => match &progress {
                Some(p) => p.set_message(&message),
                None => printer.info(&message),
            },
            Event::Note(message) => match &progress {
                Some(p) => p.println(&message),
                None => printer.info(&message),
            },
            Event::End => {
                if let Some(p) = progress.take() {
                    p.finish();
                }
            }
            Event::Info(message) => printer.info(&message),
            Event::Success(message) => printer.success(&message),
            Event::Warn(message) => printer.warn(&message),
            Event::Mask(secret) => printer.mask(secret.expose_secret()),
            Event::Error(error) => printer.error(&error),
        }
    }
    if let Some(p) = progress {
        p.finish();
    }
}
