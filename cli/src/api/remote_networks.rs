//! Remote networks: the places (a VPC, a data centre) where connectors run and resources live.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paginate::Page;
use super::{Client, DateTime, NameFilter, Named, Vars, WireConn, gen_enum, page_of, wire};
use crate::error::Result;

#[allow(dead_code)]
type _Scalars = DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/list.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct RemoteNetworkList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/get.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct RemoteNetworkGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/create.graphql",
    response_derives = "Debug, Serialize",
    skip_serializing_none
)]
pub struct RemoteNetworkCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/update.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct RemoteNetworkUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/delete.graphql",
    response_derives = "Debug"
)]
pub struct RemoteNetworkDelete;

/// Where a remote network is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub enum Location {
    Aws,
    Azure,
    GoogleCloud,
    OnPremise,
    Other,
}

/// A regular network, or an exit network (internet traffic egresses through it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub enum NetworkType {
    Regular,
    Exit,
}

/// A remote network as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteNetwork {
    pub id: String,
    pub name: String,
    pub is_active: bool,
    pub location: Location,
    pub network_type: NetworkType,
    pub connector_count: i64,
    pub resource_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Named for RemoteNetwork {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireNetwork {
    id: String,
    name: String,
    is_active: bool,
    location: Location,
    network_type: NetworkType,
    created_at: Timestamp,
    updated_at: Timestamp,
    connectors: WireConn<Value>,
    resources: WireConn<Value>,
}

impl From<WireNetwork> for RemoteNetwork {
    fn from(w: WireNetwork) -> Self {
        RemoteNetwork {
            id: w.id,
            name: w.name,
            is_active: w.is_active,
            location: w.location,
            network_type: w.network_type,
            connector_count: w.connectors.total_count,
            resource_count: w.resources.total_count,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// Maps any generated remote network node (they all select the same fields).
pub fn map<N: Serialize>(node: N) -> Result<RemoteNetwork> {
    Ok(wire::<_, WireNetwork>(node)?.into())
}

/// One page of remote networks.
pub async fn list_page(
    client: &Client,
    filter: &NameFilter,
    after: Option<String>,
    first: i64,
) -> Result<Page<RemoteNetwork>> {
    use remote_network_list as q;
    let filter = filter.input()?.map(|name| q::RemoteNetworkFilterInput { name: Some(name) });
    let data = client.post::<RemoteNetworkList>(q::Variables { first, after, filter }).await?;
    page_of(data.remote_networks, |n: WireNetwork| Ok(n.into()))
}

/// The network with this ID, or `None`.
pub async fn get(client: &Client, id: &str) -> Result<Option<RemoteNetwork>> {
    let data = client.post::<RemoteNetworkGet>(remote_network_get::Variables { id: id.to_owned() }).await?;
    data.remote_network.map(map).transpose()
}

/// By ID or exact name.
pub async fn find(client: &Client, text: &str) -> Result<RemoteNetwork> {
    super::find("remote network", "RemoteNetwork", text, get(client, text), async {
        Ok(list_page(client, &NameFilter::exact(text), None, 10).await?.nodes)
    })
    .await
}

pub async fn create(
    client: &Client,
    name: &str,
    location: Location,
    network_type: NetworkType,
    is_active: bool,
) -> Result<RemoteNetwork> {
    use remote_network_create as q;
    let vars = q::Variables {
        name: name.to_owned(),
        is_active: Some(is_active),
        location: Some(gen_enum(&location)?),
        network_type: Some(gen_enum(&network_type)?),
    };
    let data = client.post::<RemoteNetworkCreate>(vars).await?;
    let entity = data.remote_network_create.entity.map(map).transpose()?;
    super::echoed(client, "remoteNetworkCreate", entity, async { find(client, name).await.map(Some) }).await
}

/// What `update` changes; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct Changes {
    pub name: Option<String>,
    pub is_active: Option<bool>,
    pub location: Option<Location>,
}

pub async fn update(client: &Client, id: &str, changes: Changes) -> Result<RemoteNetwork> {
    use remote_network_update as q;
    let vars = Vars::new()
        .set("id", id)
        .opt("name", changes.name)
        .opt("isActive", changes.is_active)
        .opt("location", changes.location.as_ref().map(super::api_enum));
    let data: q::ResponseData = client.post_vars(q::QUERY, q::OPERATION_NAME, vars.into_value()).await?;
    let entity = data.remote_network_update.entity.map(map).transpose()?;
    super::echoed(client, "remoteNetworkUpdate", entity, get(client, id)).await
}

pub async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<RemoteNetworkDelete>(remote_network_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn fixture() -> serde_json::Value {
        serde_json::json!({
            "id": "UmVtb3RlTmV0d29yazo5Njc0OTU=", "name": "aws-prod", "isActive": true,
            "location": "GOOGLE_CLOUD", "networkType": "EXIT",
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-16T00:00:00+00:00",
            "connectors": {"totalCount": 2}, "resources": {"totalCount": 7}
        })
    }

    #[test]
    fn maps_a_list_node() {
        let node: remote_network_list::RemoteNetworkListRemoteNetworksEdgesNode =
            serde_json::from_value(fixture()).unwrap();
        let n = map(node).unwrap();
        assert_eq!((n.location, n.network_type), (Location::GoogleCloud, NetworkType::Exit));
        assert_eq!((n.connector_count, n.resource_count), (2, 7));
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["location"], "google-cloud");
        assert_eq!(json["networkType"], "exit");
        assert_eq!(json["isActive"], true);
        assert_eq!(super::super::api_enum(&Location::OnPremise), "ON_PREMISE");
    }

    #[test]
    fn an_unknown_location_is_a_bad_response() {
        let mut v = fixture();
        v["location"] = serde_json::json!("MARS");
        let node: remote_network_get::RemoteNetworkGetRemoteNetwork = serde_json::from_value(v).unwrap();
        assert_eq!(map(node).unwrap_err().kind, crate::error::Kind::BadResponse);
    }
}
