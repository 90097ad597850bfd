//! Service accounts ("Services" in the Admin Console).

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::one_match;
use super::paginate::Page;
use super::service_keys::KeyStatus;
use super::{Client, DateTime, NameFilter, Ref, ids, wire};
use crate::error::{Error, Result};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/list.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct ServiceAccountList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/get.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct ServiceAccountGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/create.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct ServiceAccountCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/update.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct ServiceAccountUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_account/delete.graphql",
    response_derives = "Debug"
)]
pub struct ServiceAccountDelete;

/// A service account as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resource_count: i64,
    /// Keys that are active (not revoked, not expired).
    pub active_key_count: i64,
    pub key_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<Ref>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<KeySummary>>,
}

/// A key as listed under its service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySummary {
    pub id: String,
    pub name: String,
    pub status: KeyStatus,
    pub expires_at: Option<Timestamp>,
}

/// The wire shape shared by every operation's service account node.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccount {
    id: String,
    name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    resources: WireCount<Ref>,
    #[serde(default)]
    keys: Option<WireCount<WireKeyStatus>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCount<T> {
    total_count: i64,
    #[serde(default = "Vec::new")]
    edges: Vec<WireEdge<T>>,
}

#[derive(Deserialize)]
struct WireEdge<T> {
    node: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireKeyStatus {
    status: KeyStatus,
}

impl WireAccount {
    fn into_account(self, with_resources: bool) -> ServiceAccount {
        let (key_count, active_key_count) = match &self.keys {
            Some(k) => (k.total_count, k.edges.iter().filter(|e| e.node.status == KeyStatus::Active).count() as i64),
            None => (0, 0),
        };
        ServiceAccount {
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
            resource_count: self.resources.total_count,
            active_key_count,
            key_count,
            resources: with_resources.then(|| self.resources.edges.into_iter().map(|e| e.node).collect()),
            keys: None,
        }
    }
}

/// Maps one node of `ServiceAccountList`.
pub fn from_list_node(
    node: service_account_list::ServiceAccountListServiceAccountsEdgesNode,
) -> Result<ServiceAccount> {
    Ok(wire::<_, WireAccount>(node)?.into_account(false))
}

/// One page of service accounts.
pub async fn list_page(
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetData {
    service_account: Option<serde_json::Value>,
}

/// A service account with all its resources and keys (nested connections paged through).
pub async fn get(client: &Client, id: &str) -> Result<ServiceAccount> {
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
        // Read as JSON: resources are an interface (see `Client::post_as`).
        let data: GetData = client.post_as::<ServiceAccountGet, _>(vars).await?;
        let Some(node) = data.service_account else {
            return Err(Error::not_found(format!("no service account with ID {id}"))
                .hint("list them with `tgctl service-account list`"));
        };
        let resources_conn: super::WireConn<serde_json::Value> = wire(&node["resources"])?;
        let keys_conn: super::WireConn<KeySummary> = wire(&node["keys"])?;
        let more = |c: &Option<super::WirePageInfo>| c.as_ref().is_some_and(|p| p.has_next_page);
        let cursor = |c: &Option<super::WirePageInfo>| c.as_ref().and_then(|p| p.end_cursor.clone());
        let more_resources = more(&resources_conn.page_info);
        let more_keys = more(&keys_conn.page_info);
        let next_resources = cursor(&resources_conn.page_info);
        let next_keys = cursor(&keys_conn.page_info);
        let page_keys: Vec<KeySummary> = keys_conn.nodes();
        let wire_account: WireAccount = wire(&node)?;
        let page = wire_account.into_account(true);
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
        resources_after = if more_resources { next_resources } else { None };
        keys_after = if more_keys { next_keys } else { None };
        if resources_after.is_none() && keys_after.is_none() {
            break;
        }
    }
    let mut account = account.ok_or_else(|| Error::internal("no service account"))?;
    account.active_key_count = keys.iter().filter(|k| k.status == KeyStatus::Active).count() as i64;
    account.key_count = keys.len() as i64;
    account.resource_count = resources.len() as i64;
    account.resources = Some(resources);
    account.keys = Some(keys);
    Ok(account)
}

pub async fn create(client: &Client, name: &str, resource_ids: Vec<String>) -> Result<ServiceAccount> {
    use service_account_create as q;
    let vars = q::Variables { name: name.to_owned(), resource_ids: (!resource_ids.is_empty()).then_some(resource_ids) };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_account_create: super::WirePayload<serde_json::Value>,
    }
    let data: Data = client.post_as::<ServiceAccountCreate, _>(vars).await?;
    let entity =
        data.service_account_create.entity.map(|e| Ok(wire::<_, WireAccount>(e)?.into_account(true))).transpose()?;
    super::echoed(client, "serviceAccountCreate", entity, async {
        get(client, &resolve(client, name).await?.id).await.map(Some)
    })
    .await
}

pub async fn update(
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
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        service_account_update: super::WirePayload<serde_json::Value>,
    }
    let data: Data = client.post_as::<ServiceAccountUpdate, _>(vars).await?;
    let entity =
        data.service_account_update.entity.map(|e| Ok(wire::<_, WireAccount>(e)?.into_account(true))).transpose()?;
    super::echoed(client, "serviceAccountUpdate", entity, async { get(client, id).await.map(Some) }).await
}

pub async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ServiceAccountDelete>(service_account_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

/// Turns a service account ID or exact name into a reference.
pub async fn resolve(client: &Client, name_or_id: &str) -> Result<Ref> {
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
    let data: GetData = client
        .post_as::<ServiceAccountGet, _>(q::Variables { id: id.to_owned(), resources_after: None, keys_after: None })
        .await?;
    data.service_account.map(wire::<_, Ref>).transpose()?.ok_or_else(|| {
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
        let node: service_account_list::ServiceAccountListServiceAccountsEdgesNode = serde_json::from_value(v).unwrap();
        let err = from_list_node(node).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::BadResponse);
    }
}
