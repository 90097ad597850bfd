//! One operation out of a noun's document.
//!
//! Each noun keeps its operations and the fragment they share in one `.graphql` document
//! (`cli/graphql/<noun>/<noun>.graphql`): graphql_client resolves a fragment spread only within
//! the file the derive reads (graphql-rust/graphql-client#413), so a shared fragment means one
//! document. The generated `QUERY` is that whole document; what is sent is only the operation
//! asked for and the fragments it spreads, as a file holding that one operation would have been.
//! The documents are ours and fixed at compile time; the unit tests below split every one.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The text to send for `operation` of `document`: the operation, then the fragments it uses
/// (directly or through other fragments), in document order. A document with one operation and
/// no fragments is returned as it is. Unknown names give the whole document (the API then says
/// what is wrong, as it would have).
pub(crate) fn operation(document: &'static str, operation: &'static str) -> &'static str {
    static CACHE: OnceLock<Mutex<HashMap<(usize, &'static str), &'static str>>> = OnceLock::new();
    let key = (document.as_ptr() as usize, operation);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(text) = cache.lock().ok().and_then(|c| c.get(&key).copied()) {
        return text;
    }
    let text: &'static str = match extract(document, operation) {
        Some(text) => Box::leak(text.into_boxed_str()),
        None => document,
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(key, text);
    }
    text
}

/// A top-level definition: its keyword, name, text and the fragments it spreads.
#[derive(Debug)]
struct Definition<'a> {
    keyword: &'a str,
    name: &'a str,
    text: &'a str,
    spreads: Vec<&'a str>,
}

fn extract(document: &str, operation: &str) -> Option<String> {
    let defs = definitions(document);
    if defs.len() == 1 && defs[0].name == operation {
        return Some(document.to_owned());
    }
    let op = defs.iter().find(|d| d.keyword != "fragment" && d.name == operation)?;
    let mut wanted: Vec<&str> = op.spreads.clone();
    let mut i = 0;
    while i < wanted.len() {
        if let Some(f) = defs.iter().find(|d| d.keyword == "fragment" && d.name == wanted[i]) {
            for s in &f.spreads {
                if !wanted.contains(s) {
                    wanted.push(s);
                }
            }
        }
        i += 1;
    }
    let mut out = op.text.to_owned();
    for d in defs.iter().filter(|d| d.keyword == "fragment" && wanted.contains(&d.name)) {
        out.push('\n');
        out.push_str(d.text);
    }
    out.push('\n');
    Some(out)
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The name starting at `at` (after blanks), and where it ends.
fn name_at(bytes: &[u8], mut at: usize) -> (usize, usize) {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    let start = at;
    while at < bytes.len() && is_name_char(bytes[at]) {
        at += 1;
    }
    (start, at)
}

/// Splits a document into its top-level definitions. Comments and strings are skipped, so a
/// brace or `...` in them counts for nothing.
fn definitions(document: &str) -> Vec<Definition<'_>> {
    let bytes = document.as_bytes();
    let mut defs = Vec::new();
    let (mut i, mut depth) = (0, 0usize);
    let mut current: Option<(usize, &str, &str, Vec<&str>)> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' if document[i..].starts_with("\"\"\"") => {
                i += 3;
                while i < bytes.len() && !document[i..].starts_with("\"\"\"") {
                    i += if document[i..].starts_with("\\\"\"\"") { 4 } else { 1 };
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some((start, keyword, name, spreads)) = current.take()
                {
                    defs.push(Definition { keyword, name, text: &document[start..=i], spreads });
                }
            }
            b'.' if document[i..].starts_with("...") => {
                let (s, e) = name_at(bytes, i + 3);
                let spread = &document[s..e];
                if !spread.is_empty()
                    && spread != "on"
                    && let Some((_, _, _, spreads)) = current.as_mut()
                    && !spreads.contains(&spread)
                {
                    spreads.push(spread);
                }
                i = e.max(i + 3);
                continue;
            }
            c if depth == 0 && current.is_none() && is_name_char(c) && (i == 0 || !is_name_char(bytes[i - 1])) => {
                let (s, e) = name_at(bytes, i);
                let keyword = &document[s..e];
                if matches!(keyword, "query" | "mutation" | "subscription" | "fragment") {
                    let (ns, ne) = name_at(bytes, e);
                    current = Some((s, keyword, &document[ns..ne], Vec::new()));
                    i = ne;
                } else {
                    i = e;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    defs
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"# A noun's document.
fragment NetworkFields on RemoteNetwork {
  id
  name # a comment with a } brace and ...Nothing
  owner { ...OwnerFields }
}

fragment OwnerFields on User {
  id
}

fragment Unused on User {
  email
}

query NetworkGet($id: ID!) {
  remoteNetwork(id: $id) {
    ...NetworkFields
    ... on RemoteNetwork { name }
  }
}

mutation NetworkDelete($id: ID!) {
  remoteNetworkDelete(id: $id, note: "a } in a string") {
    ok
  }
}
"#;

    #[test]
    fn an_operation_comes_with_the_fragments_it_uses_only() {
        let text = extract(DOC, "NetworkGet").unwrap();
        assert!(text.starts_with("query NetworkGet($id: ID!) {"), "{text}");
        assert!(text.contains("fragment NetworkFields on RemoteNetwork"), "{text}");
        assert!(text.contains("fragment OwnerFields on User"), "through another fragment: {text}");
        assert!(!text.contains("Unused") && !text.contains("NetworkDelete"), "{text}");
        let text = extract(DOC, "NetworkDelete").unwrap();
        assert!(text.starts_with("mutation NetworkDelete") && text.contains("\"a } in a string\""), "{text}");
        assert!(!text.contains("fragment"), "{text}");
        assert_eq!(extract(DOC, "Nope"), None);
        assert_eq!(operation(DOC, "Nope"), DOC);
        assert!(std::ptr::eq(operation(DOC, "NetworkGet"), operation(DOC, "NetworkGet")), "cached");
    }

    /// Every operation of every noun's document: what is sent is that operation, alone, with
    /// each fragment it spreads defined.
    #[test]
    fn every_operation_of_the_nouns_is_sent_alone_with_its_fragments() {
        use crate::api::connectors as c;
        use crate::api::devices as d;
        use crate::api::groups as g;
        use crate::api::remote_networks as rn;
        use crate::api::resources as r;
        use crate::api::security_policies as sp;
        use crate::api::service_accounts as sa;
        use crate::api::service_keys as sk;
        use crate::api::users as u;
        let ops: &[(&'static str, &'static str)] = &[
            (r::resource_get::QUERY, r::resource_get::OPERATION_NAME),
            (r::resource_list::QUERY, r::resource_list::OPERATION_NAME),
            (r::resource_create::QUERY, r::resource_create::OPERATION_NAME),
            (r::resource_update::QUERY, r::resource_update::OPERATION_NAME),
            (r::resource_delete::QUERY, r::resource_delete::OPERATION_NAME),
            (r::resource_access_list::QUERY, r::resource_access_list::OPERATION_NAME),
            (r::resource_access_add::QUERY, r::resource_access_add::OPERATION_NAME),
            (r::resource_access_remove::QUERY, r::resource_access_remove::OPERATION_NAME),
            (r::resource_access_set::QUERY, r::resource_access_set::OPERATION_NAME),
            (sk::service_key_list_all::QUERY, sk::service_key_list_all::OPERATION_NAME),
            (sk::service_key_list_of_account::QUERY, sk::service_key_list_of_account::OPERATION_NAME),
            (sk::service_key_get::QUERY, sk::service_key_get::OPERATION_NAME),
            (sk::service_key_create::QUERY, sk::service_key_create::OPERATION_NAME),
            (sk::service_key_rename::QUERY, sk::service_key_rename::OPERATION_NAME),
            (sk::service_key_revoke::QUERY, sk::service_key_revoke::OPERATION_NAME),
            (sk::service_key_delete::QUERY, sk::service_key_delete::OPERATION_NAME),
            (sa::service_account_list::QUERY, sa::service_account_list::OPERATION_NAME),
            (sa::service_account_get::QUERY, sa::service_account_get::OPERATION_NAME),
            (sa::service_account_create::QUERY, sa::service_account_create::OPERATION_NAME),
            (sa::service_account_update::QUERY, sa::service_account_update::OPERATION_NAME),
            (sa::service_account_delete::QUERY, sa::service_account_delete::OPERATION_NAME),
            (g::group_list::QUERY, g::group_list::OPERATION_NAME),
            (g::group_get::QUERY, g::group_get::OPERATION_NAME),
            (g::group_users::QUERY, g::group_users::OPERATION_NAME),
            (g::group_resources::QUERY, g::group_resources::OPERATION_NAME),
            (g::group_create::QUERY, g::group_create::OPERATION_NAME),
            (g::group_update::QUERY, g::group_update::OPERATION_NAME),
            (g::group_delete::QUERY, g::group_delete::OPERATION_NAME),
            (d::device_get::QUERY, d::device_get::OPERATION_NAME),
            (d::device_list::QUERY, d::device_list::OPERATION_NAME),
            (d::device_trust::QUERY, d::device_trust::OPERATION_NAME),
            (d::device_archive::QUERY, d::device_archive::OPERATION_NAME),
            (d::device_unarchive::QUERY, d::device_unarchive::OPERATION_NAME),
            (d::device_block::QUERY, d::device_block::OPERATION_NAME),
            (d::device_unblock::QUERY, d::device_unblock::OPERATION_NAME),
            (c::connector_get::QUERY, c::connector_get::OPERATION_NAME),
            (c::connector_list::QUERY, c::connector_list::OPERATION_NAME),
            (c::connector_list_of_network::QUERY, c::connector_list_of_network::OPERATION_NAME),
            (c::connector_create::QUERY, c::connector_create::OPERATION_NAME),
            (c::connector_update::QUERY, c::connector_update::OPERATION_NAME),
            (c::connector_delete::QUERY, c::connector_delete::OPERATION_NAME),
            (c::connector_generate_tokens::QUERY, c::connector_generate_tokens::OPERATION_NAME),
            (sp::security_policy_list::QUERY, sp::security_policy_list::OPERATION_NAME),
            (sp::security_policy_get::QUERY, sp::security_policy_get::OPERATION_NAME),
            (sp::security_policy_groups::QUERY, sp::security_policy_groups::OPERATION_NAME),
            (sp::security_policy_update::QUERY, sp::security_policy_update::OPERATION_NAME),
            (u::user_list::QUERY, u::user_list::OPERATION_NAME),
            (u::user_get::QUERY, u::user_get::OPERATION_NAME),
            (u::user_create::QUERY, u::user_create::OPERATION_NAME),
            (u::user_details_update::QUERY, u::user_details_update::OPERATION_NAME),
            (u::user_role_update::QUERY, u::user_role_update::OPERATION_NAME),
            (u::user_delete::QUERY, u::user_delete::OPERATION_NAME),
            (rn::remote_network_get::QUERY, rn::remote_network_get::OPERATION_NAME),
            (rn::remote_network_list::QUERY, rn::remote_network_list::OPERATION_NAME),
            (rn::remote_network_create::QUERY, rn::remote_network_create::OPERATION_NAME),
            (rn::remote_network_update::QUERY, rn::remote_network_update::OPERATION_NAME),
            (rn::remote_network_delete::QUERY, rn::remote_network_delete::OPERATION_NAME),
        ];
        for (doc, name) in ops {
            let text = operation(doc, name);
            let defs = definitions(text);
            let ops: Vec<&str> = defs.iter().filter(|d| d.keyword != "fragment").map(|d| d.name).collect();
            assert_eq!(ops, [*name], "{text}");
            for spread in defs.iter().flat_map(|d| &d.spreads) {
                assert!(defs.iter().any(|d| d.keyword == "fragment" && d.name == *spread), "{spread} missing: {text}");
            }
        }
    }

    #[test]
    fn a_document_of_one_operation_is_sent_as_it_is() {
        let doc = "query A { a }\n";
        assert_eq!(operation(doc, "A"), doc);
    }
}
