//! Resources: lookups used by other nouns (the full noun comes with the API coverage work).

use graphql_client::GraphQLQuery;

use super::{Client, Ref, ids};
use crate::error::{Error, Kind, Result};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/lookup.graphql",
    response_derives = "Debug"
)]
pub struct ResourceLookup;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/get_ref.graphql",
    response_derives = "Debug"
)]
pub struct ResourceRef;

/// Turns a resource ID or exact name into a reference, checking that it exists.
pub async fn resolve(client: &Client, name_or_id: &str) -> Result<Ref> {
    if ids::is_id_of(name_or_id, "Resource") {
        let data = client.post::<ResourceRef>(resource_ref::Variables { id: name_or_id.to_owned() }).await?;
        return data
            .resource
            .map(|r| Ref { id: r.id, name: r.name })
            .ok_or_else(|| Error::not_found(format!("no resource with ID {name_or_id}")));
    }
    if let Some(other) = ids::type_of(name_or_id) {
        return Err(Error::usage(format!("{name_or_id} is a {other} ID, not a resource")));
    }
    let data = client.post::<ResourceLookup>(resource_lookup::Variables { name: name_or_id.to_owned() }).await?;
    let matches: Vec<Ref> =
        data.resources.edges.into_iter().map(|e| Ref { id: e.node.id, name: e.node.name }).collect();
    one_match("resource", name_or_id, matches)
}

/// Exactly one match, or a clear error.
pub fn one_match(noun: &str, name: &str, mut matches: Vec<Ref>) -> Result<Ref> {
    match matches.len() {
        0 => Err(Error::not_found(format!("no {noun} named {name:?}"))
            .hint(format!("list them with `tgctl {} list`", noun.replace(' ', "-")))),
        1 => Ok(matches.remove(0)),
        n => {
            let ids: Vec<String> = matches.iter().map(|m| m.id.clone()).collect();
            Err(Error::new(Kind::Ambiguous, format!("{n} {noun}s are named {name:?}; pass an ID instead"))
                .hint(format!("IDs: {}", ids.join(", "))))
        }
    }
}
