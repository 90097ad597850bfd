//! Renders the connect engine's events (`crate::connect::events`) on stderr. stdout is left to
//! the result.
//!
//! - `-o table` (the default): an indicatif spinner at a terminal, one timestamped line per step
//!   off one (CI logs), the stages with `-v`.
//! - `-o json` / `-o ndjson`: one JSON object per line, each with `event` (`begin`, `stage`,
//!   `step`, `note`, `end`, `info`, `success`, `warn`, `error`) and `time` (RFC 3339, UTC, ms),
//!   plus `message`, `stage` or `error` (the object a failing command prints under `"error"`).
//!   The final error, if the command fails, is still the last line, `{"error": {...}}`.
//!   Stages are always reported (they are what a program watches), without `-v`.
//!
//! With `-q` only warnings and errors are rendered, in either form. Secrets are registered for
//! masking (GitHub Actions' `::add-mask::`, which the runner reads from stderr) in either form:
//! masking must never depend on the output format.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Format, Printer, Progress, error_body};
use crate::connect::events::{Event, Receiver};

/// Renders events until every sender is gone.
pub(crate) async fn render(printer: &Printer, events: Receiver) {
    match printer.format {
        Format::Json | Format::Ndjson => render_json(printer, events).await,
        Format::Table | Format::Id => render_text(printer, events).await,
    }
}

async fn render_text(printer: &Printer, mut events: Receiver) {
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

async fn render_json(printer: &Printer, mut events: Receiver) {
    while let Some(event) = events.recv().await {
        if let Event::Mask(secret) = &event {
            printer.mask(secret.expose_secret());
            continue;
        }
        if let Some(line) = json_line(&event, printer.quiet) {
            err_line!("{line}");
        }
    }
}

/// The JSON line for one event, or `None` where `-q` silences it (or it is a mask).
fn json_line(event: &Event, quiet: bool) -> Option<Value> {
    let (kind, field, value) = match event {
        Event::Mask(_) => return None,
        Event::Warn(m) => ("warn", "message", json!(m)),
        Event::Error(e) => ("error", "error", error_body(e)),
        _ if quiet => return None,
        Event::Begin(m) => ("begin", "message", json!(m)),
        Event::Stage(s) => ("stage", "stage", json!(s.as_str())),
        Event::Step(m) => ("step", "message", json!(m)),
        Event::Note(m) => ("note", "message", json!(m)),
        Event::End => ("end", "", Value::Null),
        Event::Info(m) => ("info", "message", json!(m)),
        Event::Success(m) => ("success", "message", json!(m)),
    };
    let mut line = json!({
        "event": kind,
        "time": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    });
    if !field.is_empty() {
        line[field] = value;
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Stage;
    use crate::error::{Error, Kind};

    #[test]
    fn each_event_is_one_object_with_its_kind_and_time() {
        let line = json_line(&Event::Stage(Stage::Online), false).unwrap();
        assert_eq!(line["event"], "stage");
        assert_eq!(line["stage"], "online");
        assert!(line["time"].as_str().unwrap().ends_with('Z'), "{line}");
        let line = json_line(&Event::Error(Error::new(Kind::Usage, "cannot run x")), false).unwrap();
        assert_eq!(line["error"]["exitCode"], 2, "{line}");
        assert_eq!(json_line(&Event::End, false).unwrap().as_object().unwrap().len(), 2);
    }

    #[test]
    fn quiet_keeps_warnings_and_errors_only() {
        assert!(json_line(&Event::Step("x".into()), true).is_none());
        assert!(json_line(&Event::Stage(Stage::Key), true).is_none());
        assert_eq!(json_line(&Event::Warn("w".into()), true).unwrap()["message"], "w");
        assert!(json_line(&Event::Mask(secrecy::SecretString::from("s".to_owned())), false).is_none());
    }
}
