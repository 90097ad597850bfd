//! Property-based fuzzing of every parser of outside input (see docs/reliability.md).
//!
//! proptest, under `cargo test` on the stable toolchain: each target generates inputs (random,
//! and valid inputs mutated field by field), feeds them to the parser and checks the promises:
//! it never panics (nor hangs); an error is one line and never quotes secret material (generated
//! keys and tokens carry a canary); and where a printer exists, printing then parsing gives the
//! value back. `PROPTEST_CASES` sets the number of cases per target (CI's short run uses the
//! default below; `scripts/test-fuzz.sh --long` runs many more).
//!
//! One module per kind of input:
//! - [`inputs`]: flag values (ports, durations, tags, filters, expiries), `tgctl api -F`
//!   variables and documents, the service key (raw JSON and base64).
//! - [`files`]: config.toml, credentials.toml, connect's state file, the headless client's
//!   `status` and `resources` output.
//! - [`responses`]: Admin API answers into domain types, through the real transport (a local
//!   HTTP server answers every request with the generated response).
//! - [`sdl`]: introspection answers into SDL.
//! - [`proxy`]: proxy mode: forward specs, the daemon's answers to `CONNECT`, the job
//!   environment written as shell.

mod files;
mod inputs;
mod proxy;
mod responses;
mod sdl;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;

use crate::error::Error;

/// Secret material planted in generated keys and tokens; no error may contain it.
pub(crate) const CANARY: &str = "FUZZCANARYPRIVATEKEY0123456789";

/// Cases per target: `PROPTEST_CASES`, else `default`.
#[allow(clippy::disallowed_methods)] // proptest's own knob, read by the test harness, not by tgctl
pub(crate) fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// The error promises: a one-line message and hint, no canary, no control characters.
#[track_caller]
pub(crate) fn check_error(e: &Error, secrets: &[&str]) {
    for text in std::iter::once(&e.message).chain(e.hint.iter()) {
        assert!(!text.contains(['\n', '\r']), "an error is one line: {text:?}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\t'), "control character in {text:?}");
        for s in secrets.iter().chain(std::iter::once(&CANARY)) {
            if s.len() >= 8 {
                assert!(!text.contains(s), "the error quotes a secret: {text:?}");
            }
        }
    }
}

/// Any JSON value, nested a few levels.
pub(crate) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        interesting_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(interesting_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Strings that parsers meet: empty, words the API uses, dates, IDs, numbers, odd characters.
pub(crate) fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ".{0,24}",
        1 => Just(String::new()),
        1 => prop::sample::select(vec![
            "ACTIVE", "REVOKED", "EXPIRED", "ALIVE", "DEAD_NO_HEARTBEAT", "MANUAL", "SYSTEM", "ADMIN",
            "NetworkResource", "GROUP", "SERVICE_ACCOUNT", "ALLOW_ALL", "RESTRICTED", "DNS", "IP",
            "2026-01-01T00:00:00+00:00", "2026-13-45T99:00:00Z", "not a date", "U2VydmljZUFjY291bnQ6eA==",
            "null", "{}", "[]", "0", "-1", "1e999", "\u{0}", "\u{1b}[31m", "line\nbreak", "\r",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Every JSON pointer into `value` (the root excluded).
pub(crate) fn pointers(value: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(p.clone());
                    walk(child, p, out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    let p = format!("{at}/{i}");
                    out.push(p.clone());
                    walk(child, p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// One change to a JSON document: at the `n`th pointer (modulo their number), remove the
/// value, replace it with null, or with another value.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Remove(usize),
    Null(usize),
    Replace(usize, Value),
}

pub(crate) fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Null),
        (any::<usize>(), any_json()).prop_map(|(i, v)| Edit::Replace(i, v)),
    ];
    prop::collection::vec(edit, 0..5)
}

/// Applies edits to a copy of `value` (shaped like the real thing, broken in a few places).
pub(crate) fn mutate(value: &Value, edits: &[Edit]) -> Value {
    let mut v = value.clone();
    for edit in edits {
        let ptrs = pointers(&v);
        if ptrs.is_empty() {
            break;
        }
        let pick = |i: usize| ptrs[i % ptrs.len()].clone();
        match edit {
            Edit::Remove(i) => {
                let p = pick(*i);
                let (parent, last) = p.rsplit_once('/').unwrap_or(("", &p));
                let last = last.replace("~1", "/").replace("~0", "~");
                match v.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(n) = last.parse::<usize>()
                            && n < a.len()
                        {
                            a.remove(n);
                        }
                    }
                    _ => {}
                }
            }
            Edit::Null(i) => {
                if let Some(slot) = v.pointer_mut(&pick(*i)) {
                    *slot = Value::Null;
                }
            }
            Edit::Replace(i, new) => {
                if let Some(slot) = v.pointer_mut(&pick(*i)) {
                    *slot = new.clone();
                }
            }
        }
    }
    v
}
