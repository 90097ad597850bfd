//! Remote networks: the places (a VPC, a data centre) where connectors run and resources live.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::paginate::Page;
use super::{Client, NameFilter, Named, Vars, WireConn, WirePayload, from_api_enum, gen_enum};
use crate::error::Result;

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `RemoteNetworkGet` generates the fragment's struct; every other operation answers with it
// (`response_type`), so all of them share one type and one mapping.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/remote_network.graphql",
    response_derives = "Debug"
)]
pub(crate) struct RemoteNetworkGet;

/// A remote network as the API answers it: the generated fragment.
pub(crate) type Fields = remote_network_get::RemoteNetworkFields;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/remote_network.graphql",
    response_type = "WireConn<Fields>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct RemoteNetworkList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/remote_network.graphql",
    response_type = "WirePayload<Fields>",
    skip_serializing_none
)]
pub(crate) struct RemoteNetworkCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/remote_network.graphql",
    response_type = "WirePayload<Fields>",
    variables_derives = "Deserialize"
)]
pub(crate) struct RemoteNetworkUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/remote_network/remote_network.graphql",
    response_derives = "Debug"
)]
pub(crate) struct RemoteNetworkDelete;

/// Where a remote network is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum Location {
    Aws,
    Azure,
    GoogleCloud,
    OnPremise,
    Other,
}

/// A regular network, or an exit network (internet traffic egresses through it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum NetworkType {
    Regular,
    Exit,
}

/// A remote network as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RemoteNetwork {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) is_active: bool,
    pub(crate) location: Location,
    pub(crate) network_type: NetworkType,
    pub(crate) connector_count: i64,
    pub(crate) resource_count: i64,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl Named for RemoteNetwork {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl TryFrom<Fields> for RemoteNetwork {
    type Error = crate::error::Error;

    /// The one mapping: counts out of their connections, enums into ours (an unknown value is
    /// a bad response).
    fn try_from(f: Fields) -> Result<Self> {
        Ok(RemoteNetwork {
            id: f.id,
            name: f.name,
            is_active: f.is_active,
            location: from_api_enum(&f.location)?,
            network_type: from_api_enum(&f.network_type)?,
            connector_count: f.connectors.total_count,
            resource_count: f.resources.total_count,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
    }
}

/// One page of remote networks.
pub(crate) async fn list_page(
    client: &Client,
    filter: &NameFilter,
    after: Option<String>,
    first: i64,
) -> Result<Page<RemoteNetwork>> {
    use remote_network_list as q;
    let filter = filter.input()?.map(|name| q::RemoteNetworkFilterInput { name: Some(name) });
    let data = client.post::<RemoteNetworkList>(q::Variables { first, after, filter }).await?;
    data.remote_networks.into_page(RemoteNetwork::try_from)
}

/// The network with this ID, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<RemoteNetwork>> {
    let data = client.post::<RemoteNetworkGet>(remote_network_get::Variables { id: id.to_owned() }).await?;
    data.remote_network.map(RemoteNetwork::try_from).transpose()
}

/// By ID or exact name.
pub(crate) async fn find(client: &Client, text: &str) -> Result<RemoteNetwork> {
    super::find("remote network", "RemoteNetwork", text, get(client, text), async {
        Ok(list_page(client, &NameFilter::exact(text), None, 10).await?.nodes)
    })
    .await
}

pub(crate) async fn create(
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
    let entity = data.remote_network_create.entity.map(RemoteNetwork::try_from).transpose()?;
    super::echoed(client, "remoteNetworkCreate", entity, async { find(client, name).await.map(Some) }).await
}

/// What `update` changes; `None` leaves a field alone.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub(crate) name: Option<String>,
    pub(crate) is_active: Option<bool>,
    pub(crate) location: Option<Location>,
}

pub(crate) async fn update(client: &Client, id: &str, changes: Changes) -> Result<RemoteNetwork> {
    let vars = Vars::new()
        .set("id", id)
        .opt("name", changes.name)
        .opt("isActive", changes.is_active)
        .opt("location", changes.location.as_ref().map(super::api_enum));
    let data = client.post_vars::<RemoteNetworkUpdate>(vars.into_value()).await?;
    let entity = data.remote_network_update.entity.map(RemoteNetwork::try_from).transpose()?;
    super::echoed(client, "remoteNetworkUpdate", entity, get(client, id)).await
}

pub(crate) async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<RemoteNetworkDelete>(remote_network_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fixture() -> serde_json::Value {
        serde_json::json!({
            "id": "UmVtb3RlTmV0d29yazo5Njc0OTU=", "name": "aws-prod", "isActive": true,
            "location": "GOOGLE_CLOUD", "networkType": "EXIT",
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-16T00:00:00+00:00",
            "connectors": {"totalCount": 2}, "resources": {"totalCount": 7}
        })
    }

    #[test]
    fn maps_a_list_node() {
        let node: Fields = serde_json::from_value(fixture()).unwrap();
        let n = RemoteNetwork::try_from(node).unwrap();
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
        let node: Fields = serde_json::from_value(v).unwrap();
        assert_eq!(RemoteNetwork::try_from(node).unwrap_err().kind, crate::error::Kind::BadResponse);
    }
}
