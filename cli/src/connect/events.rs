//! What the engine and the providers report while they work. They never print: they send
//! [`Event`]s down a channel, and the command layer renders them (`output::events`): a spinner
//! at a terminal, one timestamped line per step off one, nothing with `-q`. stdout is never
//! touched, so it carries the result only.

use secrecy::SecretString;
use tokio::sync::mpsc;

use super::Stage;
use crate::error::Error;

/// One thing worth telling the person (or the CI log) watching.
pub(crate) enum Event {
    /// A long operation begins (the spinner appears, or its first line is printed).
    Begin(String),
    /// The engine entered a stage.
    Stage(Stage),
    /// What is being done now (the spinner's message, or one timestamped line).
    Step(String),
    /// A line worth keeping (above the spinner, or one timestamped line).
    Note(String),
    /// The long operation ended (the spinner is cleared).
    End,
    /// A notice, as `Printer::info` prints it.
    Info(String),
    /// A change was made, as `Printer::success` prints it.
    Success(String),
    /// Something to look at, as `Printer::warn` prints it.
    Warn(String),
    /// A secret to register with the CI's log masking before anything could print it.
    Mask(SecretString),
    /// An error that does not end the command, rendered as errors are.
    Error(Error),
}

/// The sending end, cheap to clone. Sending never fails: with nobody listening, events are
/// dropped (a renderer that stopped early cannot stop the engine).
#[derive(Clone)]
pub(crate) struct Events {
    tx: mpsc::UnboundedSender<Event>,
}

/// The receiving end, for the renderer.
pub(crate) type Receiver = mpsc::UnboundedReceiver<Event>;

/// A new channel: the engine gets the [`Events`], the renderer the [`Receiver`].
pub(crate) fn channel() -> (Events, Receiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Events { tx }, rx)
}

impl Events {
    pub(crate) fn send(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub(crate) fn begin(&self, title: &str) {
        self.send(Event::Begin(title.to_owned()));
    }

    pub(crate) fn stage(&self, stage: Stage) {
        self.send(Event::Stage(stage));
    }

    pub(crate) fn step(&self, message: impl Into<String>) {
        self.send(Event::Step(message.into()));
    }

    pub(crate) fn note(&self, message: impl Into<String>) {
        self.send(Event::Note(message.into()));
    }

    pub(crate) fn end(&self) {
        self.send(Event::End);
    }

    pub(crate) fn info(&self, message: impl Into<String>) {
        self.send(Event::Info(message.into()));
    }

    pub(crate) fn success(&self, message: impl Into<String>) {
        self.send(Event::Success(message.into()));
    }

    pub(crate) fn warn(&self, message: impl Into<String>) {
        self.send(Event::Warn(message.into()));
    }

    /// Registers each of `secrets` for masking.
    pub(crate) fn mask<'a>(&self, secrets: impl IntoIterator<Item = &'a String>) {
        for s in secrets {
            self.send(Event::Mask(SecretString::from(s.clone())));
        }
    }
}
