//! Relay global IDs: standard base64 (with padding) of `"<Type>:<pk>"`.
//!
//! IDs are opaque to the API's clients, but decoding them lets tgctl tell an ID from a name and
//! catch an ID of the wrong kind (a group ID passed as a service account) before sending anything.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The type name inside an ID, if the text is a well-formed global ID.
pub(crate) fn type_of(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > 512 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
        return None;
    }
    let bytes = STANDARD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (ty, pk) = text.split_once(':')?;
    let valid_type = !ty.is_empty()
        && ty.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && ty.chars().all(|c| c.is_ascii_alphanumeric());
    (valid_type && !pk.is_empty() && !pk.chars().any(char::is_whitespace)).then(|| ty.to_owned())
}

/// True when `text` is a global ID of type `ty`.
pub(crate) fn is_id_of(text: &str, ty: &str) -> bool {
    type_of(text).is_some_and(|t| t == ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(ty: &str, pk: &str) -> String {
        STANDARD.encode(format!("{ty}:{pk}"))
    }

    #[test]
    fn decodes_real_looking_ids() {
        let sa = "U2VydmljZUFjY291bnQ6MmRkOTFmMDctYTcyNi00ZWU1LTllMDgtNzEwZmM0ZGE4MzQ0";
        assert_eq!(type_of(sa).as_deref(), Some("ServiceAccount"));
        assert!(is_id_of(&encode("Resource", "1275213"), "Resource"));
        assert!(!is_id_of(&encode("Group", "1"), "Resource"));
    }

    #[test]
    fn names_are_not_ids() {
        for name in ["ci-deployer", "prod", "Q0k=", "", "has space", "abc:def"] {
            assert_eq!(type_of(name), None, "{name}");
        }
    }
}
