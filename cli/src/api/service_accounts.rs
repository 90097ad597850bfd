//! Service accounts ("Services" in the Admin Console).

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::one_match;
use super::paginate::Page;
use super::service_keys::KeyStatus;
use super::{Client, NameFilter, Ref, WireConn, WirePayload, from_api_enum, ids};
use crate::error::{Error, Kind, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `ServiceAccountList` generates the fragment's struct (its rows select no interface, so the
// generated types serve whole); the other operations answer with it (`response_type`), next to
// the resources and keys they select.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/service_account.graphql",
    response_derives = "Debug",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct ServiceAccountList;

/// A service account as the API answers it: the generated fragment.
pub(crate) type Fields = service_account_list::ServiceAccountFields;

/// A service account node: the fragment, its resources and (in `get`) its keys. Resources are an
/// interface; reading them as [`Ref`]s accepts kinds of resources the schema file does not list.
#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    #[serde(flatten)]
    fields: Fields,
    resources: WireConn<Ref>,
    #[serde(default)]
    keys: Option<WireConn<KeySummary>>,
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/service_account.graphql",
    response_type = "Node"
)]
pub(crate) struct ServiceAccountGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/service_account.graphql",
    response_type = "WirePayload<Node>"
)]
pub(crate) struct ServiceAccountCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/service_account.graphql",
    response_type = "WirePayload<Node>"
)]
pub(crate) struct ServiceAccountUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/service_account.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ServiceAccountDelete;

/// A service account as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceAccount {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    pub(crate) resource_count: i64,
    /// Keys that are active (not revoked, not expired).
    pub(crate) active_key_count: i64,
    pub(crate) key_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resources: Option<Vec<Ref>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) keys: Option<Vec<KeySummary>>,
}

/// A key as listed under its service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeySummary {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) status: KeyStatus,
    pub(crate) expires_at: Option<Timestamp>,
}

impl ServiceAccount {
    /// The one mapping: the fragment and the counts (`keys`: how many, how many active).
    fn from_parts(f: Fields, resources: WireConn<Ref>, with_resources: bool, keys: (i64, i64)) -> Self {
        ServiceAccount {
            id: f.id,
            name: f.name,
            created_at: f.created_at,
            updated_at: f.updated_at,
            resource_count: resources.total_count,
            active_key_count: keys.1,
            key_count: keys.0,
            resources: with_resources.then(|| resources.nodes()),
            keys: None,
        }
    }
}

impl From<Node> for ServiceAccount {
    fn from(n: Node) -> Self {
        let keys = n.keys.as_ref().map_or((0, 0), |k| {
            (k.total_count, k.edges.iter().filter(|e| e.node.status == KeyStatus::Active).count() as i64)
        });
        ServiceAccount::from_parts(n.fields, n.resources, true, keys)
    }
}

/// Maps one node of `ServiceAccountList`.
pub(crate) fn from_list_node(
    node: service_account_list::ServiceAccountListServiceAccountsEdgesNode,
) -> Result<ServiceAccount> {
    let keys = &node.keys;
    let mut active = 0;
    for e in &keys.edges {
        if from_api_enum::<_, KeyStatus>(&e.node.status)? == KeyStatus::Active {
            active += 1;
        }
    }
    let resources = WireConn { total_count: node.resources.total_count, ..WireConn::default() };
    Ok(ServiceAccount::from_parts(node.service_account_fields, resources, false, (keys.total_count, active)))
}

/// One page of service accounts.
pub(crate) async fn list_page(
    client: &Client,
    filter: &NameFilter,
    after: Option<String>,
    first: i64,
) -> Result<Page<ServiceAccount>> {
    use service_account_list as q;
    let filter = filter.input()?.map(|name| q::ServiceAccountFilterInput { name: Some(name) });
    let data = client.post::<ServiceAccountList>(q::Variables { first, after, filter }).await?;
    let conn = data.service_accounts;
    Ok(Page {
        nodes: conn.edges.into_iter().map(|e| from_list_node(e.node)).collect::<Result<_>>()?,
        end_cursor: conn.page_info.end_cursor,
        has_next_page: conn.page_info.has_next_page,
    })
}

/// A service account with all its resources and keys (nested connections paged through).
pub(crate) async fn get(client: &Client, id: &str) -> Result<ServiceAccount> {
    use service_account_get as q;
    let mut resources_after = None;
    let mut keys_after = None;
    let mut account: Option<ServiceAccount> = None;
    let mut resources = Vec::new();
    let mut keys = Vec::new();
    loop {
        let vars = q::Variables {
            id: id.to_owned(),
            resources_after: resources_after.clone(),
            keys_after: keys_after.clone(),
        };
        let Some(node) = client.post::<ServiceAccountGet>(vars).await?.service_account else {
            return Err(Error::not_found(format!("no service account with ID {id}"))
                .hint("list them with `tgctl service-account list`"));
        };
        let keys_conn = node.keys.unwrap_or_default();
        let more = |c: &Option<super::WirePageInfo>| c.as_ref().is_some_and(|p| p.has_next_page);
        let cursor = |c: &Option<super::WirePageInfo>| c.as_ref().and_then(|p| p.end_cursor.clone());
        let more_resources = more(&node.resources.page_info);
        let more_keys = more(&keys_conn.page_info);
        let next_resources = cursor(&node.resources.page_info);
        let next_keys = cursor(&keys_conn.page_info);
        let page_keys: Vec<KeySummary> = keys_conn.nodes();
        let page = ServiceAccount::from_parts(node.fields, node.resources, true, (0, 0));
        if account.is_none() || resources_after.is_some() {
            resources.extend(page.resources.clone().unwrap_or_default());
        }
        if account.is_none() || keys_after.is_some() {
            keys.extend(page_keys);
        }
        account.get_or_insert(page);
        if !more_resources && !more_keys {
            break;
        }
        // Advance only the connections that have more; a finished one is asked again from the
        // start but its nodes are not added twice (see the conditions above).
        // A connection that says it has more must give a new cursor, or this would loop forever
        // (found by fuzz::responses: `hasNextPage: true` with the same or no cursor).
        let stuck =
            |more: bool, next: &Option<String>, after: &Option<String>| more && (next.is_none() || next == after);
        if stuck(more_resources, &next_resources, &resources_after) || stuck(more_keys, &next_keys, &keys_after) {
            return Err(Error::new(Kind::BadResponse, "the API said there are more pages but gave no new cursor"));
        }
        resources_after = if more_resources { next_resources } else { None };
        keys_after = if more_keys { next_keys } else { None };
    }
    let mut account = account.ok_or_else(|| Error::internal("no service account"))?;
    account.active_key_count = keys.iter().filter(|k| k.status == KeyStatus::Active).count() as i64;
    account.key_count = keys.len() as i64;
    account.resource_count = resources.len() as i64;
    account.resources = Some(resources);
    account.keys = Some(keys);
    Ok(account)
}

pub(crate) async fn create(client: &Client, name: &str, resource_ids: Vec<String>) -> Result<ServiceAccount> {
    use service_account_create as q;
    let vars = q::Variables { name: name.to_owned(), resource_ids: (!resource_ids.is_empty()).then_some(resource_ids) };
    let data = client.post::<ServiceAccountCreate>(vars).await?;
    let entity = data.service_account_create.entity.map(ServiceAccount::from);
    super::echoed(client, "serviceAccountCreate", entity, async {
        get(client, &resolve(client, name).await?.id).await.map(Some)
    })
    .await
}

pub(crate) async fn update(
    client: &Client,
    id: &str,
    name: Option<String>,
    added: Vec<String>,
    removed: Vec<String>,
) -> Result<ServiceAccount> {
    use service_account_update as q;
    let vars = q::Variables {
        id: id.to_owned(),
        name,
        added_resource_ids: (!added.is_empty()).then_some(added),
        removed_resource_ids: (!removed.is_empty()).then_some(removed),
    };
    let data = client.post::<ServiceAccountUpdate>(vars).await?;
    let entity = data.service_account_update.entity.map(ServiceAccount::from);
    super::echoed(client, "serviceAccountUpdate", entity, async { get(client, id).await.map(Some) }).await
}

pub(crate) async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ServiceAccountDelete>(service_account_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

/// Turns a service account ID or exact name into a reference.
pub(crate) async fn resolve(client: &Client, name_or_id: &str) -> Result<Ref> {
    if ids::is_id_of(name_or_id, "ServiceAccount") {
        let account = get_ref(client, name_or_id).await?;
        return Ok(account);
    }
    if let Some(other) = ids::type_of(name_or_id) {
        return Err(Error::usage(format!("{name_or_id} is a {other} ID, not a service account")));
    }
    let page = list_page(client, &NameFilter::exact(name_or_id), None, 10).await?;
    let matches =
        page.nodes.into_iter().filter(|a| a.name == name_or_id).map(|a| Ref { id: a.id, name: a.name }).collect();
    one_match("service account", name_or_id, matches)
}

async fn get_ref(client: &Client, id: &str) -> Result<Ref> {
    use service_account_get as q;
    let data = client
        .post::<ServiceAccountGet>(q::Variables { id: id.to_owned(), resources_after: None, keys_after: None })
        .await?;
    data.service_account.map(|n| Ref { id: n.fields.id, name: n.fields.name }).ok_or_else(|| {
        Error::not_found(format!("no service account with ID {id}")).hint("list them with `tgctl service-account list`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> serde_json::Value {
        serde_json::json!({
            "id": "U2VydmljZUFjY291bnQ6MmRkOTFmMDctYTcyNi00ZWU1LTllMDgtNzEwZmM0ZGE4MzQ0",
            "name": "ci-deployer",
            "createdAt": "2024-02-15T01:13:51.059028+00:00",
            "updatedAt": "2024-02-16T01:13:51+00:00",
            "resources": {"totalCount": 3},
            "keys": {"totalCount": 3, "edges": [
                {"node": {"status": "ACTIVE"}},
                {"node": {"status": "REVOKED"}},
                {"node": {"status": "EXPIRED"}}
            ]}
        })
    }

    #[test]
    fn maps_a_list_node() {
        let node: service_account_list::ServiceAccountListServiceAccountsEdgesNode =
            serde_json::from_value(fixture()).unwrap();
        let sa = from_list_node(node).unwrap();
        assert_eq!(sa.name, "ci-deployer");
        assert_eq!(sa.resource_count, 3);
        assert_eq!((sa.key_count, sa.active_key_count), (3, 1));
        assert_eq!(sa.created_at.to_string(), "2024-02-15T01:13:51.059028Z");
        let json = serde_json::to_value(&sa).unwrap();
        assert_eq!(json["activeKeyCount"], 1);
        assert!(json.get("resources").is_none());
    }

    #[test]
    fn a_bad_timestamp_is_a_bad_response_not_a_panic() {
        let mut v = fixture();
        v["createdAt"] = serde_json::json!("yesterday");
        // The generated type reads the time (DateTime is a Timestamp): the transport reports a
        // value that does not read as a bad response.
        let node = serde_json::from_value::<service_account_list::ServiceAccountListServiceAccountsEdgesNode>(v);
        assert!(node.is_err(), "a bad time was read");
    }
}
