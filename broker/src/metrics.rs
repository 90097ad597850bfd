//! `/metrics`: counters in the Prometheus text format (version 0.0.4), written by hand: a few
//! counters do not need a metrics crate.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Counters by name and label set; gauges are read from the store when rendered.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
}

/// What each counter means (the `# HELP` lines).
const HELP: &[(&str, &str)] = &[
    ("tgctl_broker_key_requests_total", "POST /v1/keys answers, by outcome"),
    ("tgctl_broker_releases_total", "DELETE /v1/keys answers, by outcome"),
    ("tgctl_broker_token_rejections_total", "tokens refused, by reason (never shown to callers)"),
    ("tgctl_broker_jwks_fetches_total", "JWKS documents fetched, by issuer"),
    ("tgctl_broker_api_writes_total", "Admin API writes, by operation and result"),
    ("tgctl_broker_reaped_total", "leases ended by the reaper, by why"),
    ("tgctl_broker_housekeeping_runs_total", "passes of the reaper and pool refill, finished or failed"),
];

impl Metrics {
    /// Adds one to `name{label="value"}` (`label` is `key="value"` text, or empty).
    pub fn inc(&self, name: &'static str, label: String) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, label)).or_default() += 1;
    }

    pub fn get(&self, name: &'static str, label: &str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.get(&(name, label.to_owned())).copied().unwrap_or(0)
    }

    /// The exposition text; `gauges` are (name, help, value) read at render time.
    pub fn render(&self, gauges: &[(&str, &str, String, i64)]) -> String {
        let mut out = String::new();
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((n, label), v) in c.iter().filter(|((n, _), _)| n == name) {
                if label.is_empty() {
                    let _ = writeln!(out, "{n} {v}");
                } else {
                    let _ = writeln!(out, "{n}{{{label}}} {v}");
                }
            }
        }
        let mut last = "";
        for (name, help, label, v) in gauges {
            if *name != last {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
                last = name;
            }
            if label.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{label}}} {v}");
            }
        }
        out
    }
}

/// `key="value"` with the value escaped as the text format requires.
pub fn label(key: &str, value: &str) -> String {
    let v = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("{key}=\"{v}\"")
}
