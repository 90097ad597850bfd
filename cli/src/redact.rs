//! Keeping secrets out of what tgctl prints (issue 15, item 12): the password (and user) of a
//! URL, and values that look like key material. Imports nothing of ours, so every layer can use it.

use std::borrow::Cow;

/// `text` with the userinfo of every URL in it replaced by `***`
/// (`http://user:SECRET@host/` becomes `http://***@host/`). Applied to every line the printer
/// writes to stderr and to endpoints shown on stdout.
pub fn userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the path, query, fragment or anything that cannot be in a URL.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ']') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => {
                out.push_str("***");
                out.push_str(&authority[i..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if changed { Cow::Owned(out) } else { Cow::Borrowed(text) }
}

/// True when a value looks like key material: a PEM block, or a long run of base64 with mixed
/// case and digits (a private key or token pasted into the wrong field).
pub fn looks_like_key_material(value: &str) -> bool {
    let t = value.trim();
    if t.contains("-----BEGIN") || t.contains("PRIVATE KEY") || t.contains('\n') {
        return true;
    }
    let base64ish = t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'));
    let mixed = t.chars().any(|c| c.is_ascii_uppercase())
        && t.chars().any(|c| c.is_ascii_lowercase())
        && t.chars().any(|c| c.is_ascii_digit());
    t.len() >= 32 && base64ish && mixed
}

/// A field's value quoted for an error message, unless it looks like key material.
pub fn quote(value: &str) -> String {
    if looks_like_key_material(value) {
        "(a value that looks like key material; not shown)".to_owned()
    } else {
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_replaced_in_urls_anywhere_in_a_line() {
        assert_eq!(
            userinfo("POST http://user:SECRET@127.0.0.1:9/api/graphql/ Q (read)"),
            "POST http://***@127.0.0.1:9/api/graphql/ Q (read)"
        );
        assert_eq!(userinfo("url (https://tok@h) and ws://a:b@c?x=1"), "url (https://***@h) and ws://***@c?x=1");
        assert_eq!(userinfo("\"endpoint\":\"http://u:p%40x@h/\""), "\"endpoint\":\"http://***@h/\"");
        assert!(matches!(userinfo("mail me@example.com at http://h/"), Cow::Borrowed(_)));
        assert_eq!(userinfo("http://h/path@thing"), "http://h/path@thing");
    }

    #[test]
    fn key_material_is_not_quoted() {
        assert!(looks_like_key_material("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n"));
        assert!(looks_like_key_material("MIGHAgEAMBMGByqGSM49AwEHBG0wawIBAQQg0123456789"));
        assert!(!looks_like_key_material("5c6bcf4e-0000-4000-8000-000000000001"));
        assert!(!looks_like_key_material("2026-01-01"));
        assert!(!looks_like_key_material("acme.twingate.com"));
        assert_eq!(quote("acme"), "\"acme\"");
        assert!(!quote("-----BEGIN PRIVATE KEY-----").contains("BEGIN"));
    }
}
