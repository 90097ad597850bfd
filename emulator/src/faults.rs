//! Fault rules (`POST /_emulator/faults`): what the next matching requests suffer.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    /// An HTTP status (429 from the rate limits, 5xx): shared/reference/twingate-admin-api.md
    /// ("Rate limits", TF #402).
    Status,
    Latency,
    /// The connection closes without an answer.
    Drop,
    Truncate,
    NonJson,
    /// An HTML page where JSON was expected, as a proxy or an outage page answers.
    Html,
    /// The write is applied, then the answer comes late: the client may time out after the
    /// write took effect (TF #403 in the reference: retried `resourceCreate` made duplicates).
    SlowAfterApply,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FaultOn {
    Read,
    Write,
    #[default]
    Any,
}

/// One fault rule (see docs/emulator.md).
#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaultRule {
    pub(crate) kind: FaultKind,
    #[serde(default)]
    pub(crate) status: Option<u16>,
    /// Sent as the `Retry-After` header with `status`; a string or a number.
    #[serde(default)]
    pub(crate) retry_after: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) ms: Option<u64>,
    /// How many matching requests it applies to; 0 = every one until cleared. Default 1.
    #[serde(default = "one")]
    pub(crate) count: u32,
    #[serde(default)]
    pub(crate) on: FaultOn,
    /// Only requests whose operation has this root field.
    #[serde(default)]
    pub(crate) operation: Option<String>,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    pub(crate) fn retry_after_header(&self) -> Option<String> {
        match &self.retry_after {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// The active rules, in the order they were added.
#[derive(Default)]
pub(crate) struct Faults(Mutex<Vec<FaultRule>>);

impl Faults {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Vec<FaultRule>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take the first fault rule matching this request, counting it down.
    pub(crate) fn take(&self, write: bool, root_fields: &[String]) -> Option<FaultRule> {
        let mut faults = self.lock();
        let idx = faults.iter().position(|r| {
            let on = match r.on {
                FaultOn::Any => true,
                FaultOn::Read => !write,
                FaultOn::Write => write,
            };
            on && r.operation.as_ref().is_none_or(|op| root_fields.iter().any(|f| f == op))
        })?;
        let rule = faults[idx].clone();
        if rule.count == 1 {
            faults.remove(idx);
        } else if rule.count > 1 {
            faults[idx].count -= 1;
        }
        Some(rule)
    }
}
