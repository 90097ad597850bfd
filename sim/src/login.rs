//! Emulator mode: the daemon logs in at the emulator's headless login endpoint.

/// Login state of one daemon run.
pub struct Login {
    url: String,
}

impl Login {
    pub fn new(url: &str, _key: &serde_json::Value) -> Self {
        Self { url: url.to_owned() }
    }

    /// The status word (emulator mode is not implemented yet: never online).
    pub fn state(&mut self, sim: &super::Sim) -> String {
        let _ = (&self.url, sim);
        "authenticating".to_owned()
    }
}
