//! "Did you mean `ci-deployer`?": one place for suggestions after a name matched nothing.
//!
//! A lookup by name that finds nothing (`api::one_match`) marks its error with the noun and the
//! name (`error::Lookup`). When such an error reaches the top, [`after_not_found`] lists that noun's
//! names (names only, paged like every list) and adds the closest one, by edit distance, to the
//! hint. Clap does the same for misspelt verbs and flags. Places that already hold the list of
//! candidates (service keys, Firezone) call [`closest`] directly.

use serde_json::{Value, json};

use crate::api::Client;
use crate::error::{Error, Kind};

/// The candidate closest to `input`, if one is close enough to be a slip of the keyboard:
/// case differences alone, or an edit distance of at most a third of the name (at least 1,
/// at most 3).
pub(crate) fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = input.to_lowercase();
    let limit = (wanted.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != input)
        .map(|c| (strsim::damerau_levenshtein(&wanted, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// The hint for a name that matched nothing: a suggestion, or how to list them.
pub(crate) fn hint(name: &str, candidates: &[String], list_command: &str) -> String {
    match closest(name, candidates.iter().map(String::as_str)) {
        Some(c) => format!("did you mean `{c}`? (names are matched exactly; `{list_command}` lists them)"),
        None => format!("names are matched exactly; list them with `{list_command}`"),
    }
}

/// The connection and the field that name each noun's objects.
fn source(noun: &str) -> Option<(&'static str, &'static str)> {
    Some(match noun {
        "resource" => ("resources", "name"),
        "group" => ("groups", "name"),
        "remote network" => ("remoteNetworks", "name"),
        "connector" => ("connectors", "name"),
        "security policy" => ("securityPolicies", "name"),
        "service account" => ("serviceAccounts", "name"),
        "device" => ("devices", "name"),
        "user" => ("users", "email"),
        _ => return None,
    })
}

/// Every name of a noun, page by page (a few hundred names at most in practice).
async fn names(client: &Client, noun: &str) -> Option<Vec<String>> {
    let (connection, field) = source(noun)?;
    let query = format!(
        "query Names($after: String) {{ {connection}(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {field} }} }} }} }}"
    );
    let mut out = Vec::new();
    let mut after = Value::Null;
    for _ in 0..50 {
        let data = client.post_document(&query, json!({ "after": after }), Some("Names")).await.ok()?;
        let conn = &data[connection];
        out.extend(conn["edges"].as_array()?.iter().filter_map(|e| e["node"][field].as_str().map(str::to_owned)));
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    Some(out)
}

/// Adds "did you mean" to a not-found-by-name error. Anything else, or a failure to list the
/// names, leaves the error as it was.
pub(crate) async fn after_not_found(client: Option<Client>, error: Error) -> Error {
    let (Kind::NotFound, Some(lookup), Some(client)) = (error.kind, error.lookup.clone(), client) else {
        return error;
    };
    let Some(candidates) = names(&client, &lookup.noun).await else { return error };
    match closest(&lookup.name, candidates.iter().map(String::as_str)) {
        Some(c) => {
            let list = format!("tgctl {} list", lookup.noun.replace(' ', "-"));
            error.hint(format!("did you mean `{c}`? (names are matched exactly; `{list}` lists them)"))
        }
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["ci-deployer", "ci-runner", "prod-db", "grafana", "Engineering"];
        assert_eq!(closest("ci-deplyer", names), Some("ci-deployer"));
        assert_eq!(closest("ci-depolyer", names), Some("ci-deployer"), "a swap is one edit");
        assert_eq!(closest("prod_db", names), Some("prod-db"));
        assert_eq!(closest("engineering", names), Some("Engineering"));
        assert_eq!(closest("graphana", names), Some("grafana"));
        assert_eq!(closest("database", names), None);
        assert_eq!(closest("x", names), None);
        assert!(hint("prod-dv", &["prod-db".into()], "tgctl resource list").starts_with("did you mean `prod-db`?"));
        assert!(hint("zzz", &["prod-db".into()], "tgctl resource list").starts_with("names are matched exactly"));
    }
}
