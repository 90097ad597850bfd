//! Relay global IDs (`base64("Type:pk")`) and connection cursors (`base64("arrayconnection:N")`).

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub(crate) const PARSE_ERROR: &str = "Unable to parse global ID";

pub(crate) fn encode(type_name: &str, pk: impl std::fmt::Display) -> ID {
    ID(STANDARD.encode(format!("{type_name}:{pk}")))
}

/// Split a global ID into (type, pk). `None` when it is not base64 or has no colon.
pub(crate) fn decode(id: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (ty, pk) = text.split_once(':')?;
    Some((ty.to_string(), pk.to_string()))
}

/// Decode `id` expecting `type_name` with an integer pk. Malformed IDs are an error.
pub(crate) fn int_pk(id: &str, type_name: &str) -> Result<Option<u64>, async_graphql::Error> {
    let (ty, pk) = decode(id).ok_or_else(|| async_graphql::Error::new(PARSE_ERROR))?;
    if ty != type_name {
        return Ok(None);
    }
    Ok(pk.parse::<u64>().ok())
}

/// Decode `id` expecting `type_name`; returns the raw pk text (used for UUID pks).
pub(crate) fn raw_pk(id: &str, type_name: &str) -> Result<Option<String>, async_graphql::Error> {
    let (ty, pk) = decode(id).ok_or_else(|| async_graphql::Error::new(PARSE_ERROR))?;
    Ok((ty == type_name).then_some(pk))
}

pub(crate) fn not_found(type_name: &str, id: &str) -> String {
    format!("{type_name} with id '{id}' does not exist")
}

pub(crate) fn cursor(offset: usize) -> String {
    STANDARD.encode(format!("arrayconnection:{offset}"))
}

/// The offset in a cursor; `None` when the cursor can't be parsed.
pub(crate) fn cursor_offset(cursor: &str) -> Option<usize> {
    let bytes = STANDARD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("arrayconnection:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = encode("Group", 42);
        assert_eq!(id.0, "R3JvdXA6NDI=");
        assert_eq!(decode(&id), Some(("Group".into(), "42".into())));
        assert!(decode("foo").is_none());
        assert!(decode(&STANDARD.encode("nocolon")).is_none());
        assert_eq!(cursor_offset(&cursor(7)), Some(7));
        assert_eq!(cursor_offset("0"), None);
    }
}
