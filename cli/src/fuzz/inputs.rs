//! Flag values, `tgctl api` variables and documents, and the service key document.

use base64::Engine;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{CANARY, check_error, config, edits, mutate};
use crate::api::pacer::OpKind;
use crate::api::service_keys::KeyDocument;
use crate::commands::api::{FieldValue, split_field, typed_value};
use crate::connect::secret::Masker;
use crate::parse::{self, Ports};

/// Text that looks like a port list, often almost right.
fn ports_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,32}",
        "[0-9, -]{0,24}",
        prop::collection::vec(
            prop_oneof![
                (0u32..70_000).prop_map(|p| p.to_string()),
                (0u32..70_000, 0u32..70_000).prop_map(|(a, b)| format!("{a}-{b}")),
                Just(String::new()),
                Just("all".to_owned()),
                Just(" 80 ".to_owned()),
            ],
            1..6
        )
        .prop_map(|items| items.join(",")),
    ]
}

/// Inclusive ranges within 1..=65535.
fn ranges() -> impl Strategy<Value = Vec<(u16, u16)>> {
    prop::collection::vec((1u16..=65535, 1u16..=65535).prop_map(|(a, b)| (a.min(b), a.max(b))), 1..8)
}

fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,24}",
        "[0-9smhdwSMHDW .-]{0,16}",
        (any::<u64>(), prop::sample::select(vec!["", "s", "m", "h", "d", "w", "ms", "x", "dd"]))
            .prop_map(|(n, u)| format!("{n}{u}")),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn ports_never_panic_and_round_trip(text in ports_text()) {
        match parse::ports(&text) {
            Ok(p) => {
                // Printing then parsing gives the same value back.
                prop_assert_eq!(parse::ports(&p.to_text()).unwrap(), p.clone());
                if let Ports::Ranges(r) = &p {
                    prop_assert!(!r.is_empty());
                    prop_assert!(r.windows(2).all(|w| u32::from(w[0].1) + 1 < u32::from(w[1].0)), "{:?}", r);
                    prop_assert!(r.iter().all(|&(a, b)| a >= 1 && a <= b));
                }
            }
            Err(e) => check_error(&e, &[]),
        }
    }

    #[test]
    fn port_ranges_format_then_parse_to_their_merge(r in ranges(), probes in prop::collection::vec(1u16..=65535, 32)) {
        let merged = parse::merge_ranges(r.clone());
        let text = Ports::Ranges(merged.clone()).to_text();
        prop_assert_eq!(parse::ports(&text).unwrap(), Ports::Ranges(merged.clone()));
        // The merge covers exactly the ports the input covers (checked at the range ends, just
        // outside them, and at random ports).
        let covers = |set: &[(u16, u16)], p: u16| set.iter().any(|&(a, b)| a <= p && p <= b);
        let edges = r.iter().flat_map(|&(a, b)| [a, b, a.saturating_sub(1), b.saturating_add(1)]);
        for p in edges.chain(probes).filter(|p| *p >= 1) {
            prop_assert_eq!(covers(&r, p), covers(&merged, p), "port {}", p);
        }
    }

    #[test]
    fn durations_never_panic(text in duration_text()) {
        match parse::duration(&text) {
            Ok(d) => prop_assert!(d.as_secs() <= 100 * 365 * 86_400 || text.trim().parse::<u64>().is_ok() || text.trim().ends_with("ms")),
            Err(e) => check_error(&e, &[]),
        }
        // The unit-required form agrees, except that it refuses bare numbers.
        let bare = !text.trim().is_empty() && text.trim().bytes().all(|b| b.is_ascii_digit());
        match parse::duration_with_unit("--flag", &text) {
            Ok(d) => prop_assert_eq!(Some(d), parse::duration(&text).ok()),
            Err(e) => {
                check_error(&e, &[]);
                prop_assert!(bare || parse::duration(&text).is_err());
            }
        }
    }

    #[test]
    fn durations_are_what_they_say(n in 0u64..100_000, unit in prop::sample::select(vec![("s", 1u64), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)])) {
        let d = parse::duration(&format!("{n}{}", unit.0));
        if n * unit.1 <= 100 * 365 * 86_400 {
            prop_assert_eq!(d.unwrap().as_secs(), n * unit.1);
        } else {
            prop_assert!(d.is_err());
        }
        prop_assert_eq!(parse::duration(&format!("{n}ms")).unwrap().as_millis(), u128::from(n));
    }

    #[test]
    fn tags_filters_and_expiries_never_panic(a in ".{0,32}", b in ".{0,24}") {
        for r in [parse::key_value(&a).map(|_| ()), parse::assignments(&a).map(|_| ())] {
            if let Err(e) = r { check_error(&e, &[]) }
        }
        let now = jiff::Timestamp::now();
        for (at, within) in [(Some(a.as_str()), None), (None, Some(b.as_str())), (Some(a.as_str()), Some(b.as_str()))] {
            match parse::expiry(at, within, now) {
                Ok(Some(t)) => prop_assert!(t > now),
                Ok(None) => {}
                Err(e) => check_error(&e, &[]),
            }
        }
    }

    #[test]
    fn api_typed_variables(text in ".{0,40}", n in any::<i64>(), name in "[A-Za-z_][A-Za-z0-9_]{0,12}") {
        // Never panics; integers, booleans and null are typed; JSON objects stay JSON.
        let _ = typed_value(&text);
        prop_assert_eq!(typed_value(&n.to_string()), FieldValue::Value(Value::from(n)));
        prop_assert_eq!(typed_value("true"), FieldValue::Value(Value::Bool(true)));
        let obj = json!({"k": text.clone(), "n": n});
        prop_assert_eq!(typed_value(&obj.to_string()), FieldValue::Value(obj));
        if let FieldValue::Value(Value::String(s)) = typed_value(&text) {
            prop_assert_eq!(s, text.clone());
        }
        // NAME=VALUE keeps the value whole (it may contain '=').
        let (k, v) = split_field(&format!("{name}={text}"), "-F").unwrap();
        prop_assert_eq!((k, v), (name, text.clone()));
        if let Err(e) = split_field(&text, "-F") { check_error(&e, &[]) }
    }

    #[test]
    fn api_documents_classify_without_panicking(doc in ".{0,64}", word in prop::sample::select(vec!["query", "mutation", "subscription", "fragment", "#", "\"", "{", "}"])) {
        let _ = OpKind::of_document(&doc);
        let _ = OpKind::of_document(&format!("{word} {doc}"));
        // A mutation after anything that closes is still a write.
        prop_assert_eq!(OpKind::of_document("query { a } mutation { b }"), OpKind::Write);
        // Whatever a comment holds, it does not hide the mutation after it.
        prop_assert_eq!(OpKind::of_document(&format!("# {}\nmutation {{ b }}", doc.replace('\n', " "))), OpKind::Write);
    }
}

// ---- the service key -------------------------------------------------------------------------

fn pem() -> String {
    format!(
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49{CANARY}\nAwEHBG0wawIBAQQg{CANARY}\n-----END PRIVATE KEY-----\n"
    )
}

fn key_value() -> Value {
    json!({
        "version": "1", "network": "acme.twingate.com",
        "service_account_id": "2dd91f07-a726-4ee5-9e08-710fc4da8344",
        "private_key": pem(), "key_id": "5c6bcf4e-0000-4000-8000-000000000001",
        "expires_at": "2999-01-01T00:00:00+00:00", "login_path": "/api/v4/headless/login"
    })
}

/// How the text of a key reaches tgctl: as JSON, base64 (standard or URL-safe, wrapped or not),
/// cut short, or with bytes changed.
#[derive(Debug, Clone)]
enum Encoding {
    Json,
    Pretty,
    Base64 { url_safe: bool, wrap: Option<usize> },
    Truncated(usize),
    Flipped(usize, u8),
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Json),
        Just(Encoding::Pretty),
        (any::<bool>(), prop::option::of(4usize..80)).prop_map(|(url_safe, wrap)| Encoding::Base64 { url_safe, wrap }),
        any::<usize>().prop_map(Encoding::Truncated),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Encoding::Flipped(i, b)),
    ]
}

fn encode(value: &Value, how: &Encoding) -> String {
    let json = value.to_string();
    match how {
        Encoding::Json => json,
        Encoding::Pretty => serde_json::to_string_pretty(value).unwrap(),
        Encoding::Base64 { url_safe, wrap } => {
            let engine = if *url_safe {
                &base64::engine::general_purpose::URL_SAFE
            } else {
                &base64::engine::general_purpose::STANDARD
            };
            let b = engine.encode(json.as_bytes());
            match wrap {
                Some(w) => b
                    .as_bytes()
                    .chunks(*w)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => b,
            }
        }
        Encoding::Truncated(n) => {
            let cut = n % (json.len() + 1);
            String::from_utf8_lossy(&json.as_bytes()[..cut]).into_owned()
        }
        Encoding::Flipped(i, b) => {
            let mut bytes = json.into_bytes();
            let at = i % bytes.len();
            bytes[at] = *b;
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Valid keys, broken field by field, in every encoding: parse never panics, errors never
    /// quote the private key, a parsed key validates without panicking, and the masker hides it.
    #[test]
    fn service_keys(changes in edits(), how in encoding(), network in prop::option::of("[a-z]{1,8}")) {
        let doc = mutate(&key_value(), &changes);
        let text = encode(&doc, &how);
        match KeyDocument::parse(&text) {
            Ok(key) => {
                let debug = format!("{key:?}");
                prop_assert!(!debug.contains(CANARY));
                if let Err(e) = key.validate(jiff::Timestamp::now(), network.as_deref()) {
                    check_error(&e, &[&key.private_key]);
                }
                if let Err(e) = key.expiry() {
                    check_error(&e, &[&key.private_key]);
                }
                let masker = Masker::for_key(&text, Some(&key));
                let masked = masker.mask(&format!("log: {text} {}", key.private_key));
                prop_assert!(!masked.contains(CANARY), "{}", masked);
            }
            Err(e) => check_error(&e, &[]),
        }
    }

    /// Arbitrary text as a key: never panics, never echoed.
    #[test]
    fn service_keys_from_any_text(text in ".{0,200}") {
        let planted = format!("{text}{CANARY}");
        for input in [text.clone(), planted.clone(), base64::engine::general_purpose::STANDARD.encode(&planted)] {
            match KeyDocument::parse(&input) {
                Ok(_) => {}
                Err(e) => check_error(&e, &[]),
            }
        }
    }
}
