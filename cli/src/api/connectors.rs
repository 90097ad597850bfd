//! Connectors: the processes in a remote network that let clients in. Their tokens are
//! generated on demand, shown once, and each generation invalidates the previous tokens.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::paginate::Page;
use super::{Client, DateTime, NameFilter, Named, Ref, Vars, gen_enum, page_of, wire};
use crate::error::{Error, Kind, Result};

#[allow(dead_code)]
type _Scalars = DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/list.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct ConnectorList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/list_of_network.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct ConnectorListOfNetwork;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/get.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct ConnectorGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/create.graphql",
    response_derives = "Debug, Serialize",
    skip_serializing_none
)]
pub struct ConnectorCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/update.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct ConnectorUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/delete.graphql",
    response_derives = "Debug"
)]
pub struct ConnectorDelete;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/tokens.graphql",
    response_derives = "Debug"
)]
pub struct ConnectorGenerateTokens;

/// A connector's health as the controller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub enum ConnectorState {
    Alive,
    DeadHeartbeatTooOld,
    DeadNoHeartbeat,
    DeadNoRelays,
}

/// A connector as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    pub id: String,
    pub name: String,
    pub remote_network: Ref,
    pub state: ConnectorState,
    pub last_heartbeat_at: Option<Timestamp>,
    pub version: Option<String>,
    pub hostname: Option<String>,
    #[serde(rename(deserialize = "publicIP"))]
    pub public_ip: Option<String>,
    #[serde(rename(deserialize = "privateIPs"))]
    pub private_ips: Vec<String>,
    #[serde(rename(deserialize = "hasStatusNotificationsEnabled"))]
    pub status_notifications: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Named for Connector {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// Maps any generated connector node (they all select the same fields).
pub fn map<N: Serialize>(node: N) -> Result<Connector> {
    wire(node)
}

/// List filters the API applies.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub name: NameFilter,
    pub states: Vec<ConnectorState>,
    /// Only this remote network's connectors (its ID).
    pub remote_network: Option<String>,
}

/// One page of connectors.
pub async fn list_page(client: &Client, filter: &Filter, after: Option<String>, first: i64) -> Result<Page<Connector>> {
    macro_rules! connector_filter {
        ($q:ident) => {{
            let states = filter.states.iter().map(gen_enum).collect::<Result<Vec<$q::ConnectorState>>>()?;
            let name = filter.name.input()?;
            (name.is_some() || !states.is_empty()).then(|| $q::ConnectorFilterInput {
                name,
                state: (!states.is_empty()).then(|| $q::ConnectorStateFilterOperatorInput { in_: Some(states) }),
            })
        }};
    }
    if let Some(network) = &filter.remote_network {
        use connector_list_of_network as q;
        let vars = q::Variables { id: network.clone(), first, after, filter: connector_filter!(q) };
        let data = client.post::<ConnectorListOfNetwork>(vars).await?;
        let Some(network) = data.remote_network else {
            return Err(Error::not_found(format!("no remote network with ID {network}")));
        };
        return page_of(network.connectors, Ok);
    }
    use connector_list as q;
    let vars = q::Variables { first, after, filter: connector_filter!(q) };
    let data = client.post::<ConnectorList>(vars).await?;
    page_of(data.connectors, Ok)
}

/// The connector with this ID, or `None`.
pub async fn get(client: &Client, id: &str) -> Result<Option<Connector>> {
    let data = client.post::<ConnectorGet>(connector_get::Variables { id: id.to_owned() }).await?;
    data.connector.map(map).transpose()
}

/// By ID or exact name.
pub async fn find(client: &Client, text: &str) -> Result<Connector> {
    let filter = Filter { name: NameFilter::exact(text), ..Filter::default() };
    super::find("connector", "Connector", text, get(client, text), async {
        Ok(list_page(client, &filter, None, 10).await?.nodes)
    })
    .await
}

pub async fn create(
    client: &Client,
    remote_network_id: &str,
    name: Option<String>,
    notifications: Option<bool>,
) -> Result<Connector> {
    let vars = connector_create::Variables {
        remote_network_id: remote_network_id.to_owned(),
        name,
        has_status_notifications_enabled: notifications,
    };
    let name = vars.name.clone();
    let data = client.post::<ConnectorCreate>(vars).await?;
    let entity = data.connector_create.entity.map(map).transpose()?;
    super::echoed(client, "connectorCreate", entity, async {
        match name {
            Some(name) => find(client, &name).await.map(Some),
            None => Err(Error::new(
                Kind::OutcomeUnknown,
                "connectorCreate succeeded but did not say which connector it made",
            )
            .hint("`tgctl connector list` shows it; name connectors with --name to find them again")),
        }
    })
    .await
}

pub async fn update(client: &Client, id: &str, name: Option<String>, notifications: Option<bool>) -> Result<Connector> {
    use connector_update as q;
    let vars = Vars::new().set("id", id).opt("name", name).opt("hasStatusNotificationsEnabled", notifications);
    let data: q::ResponseData = client.post_vars(q::QUERY, q::OPERATION_NAME, vars.into_value()).await?;
    let entity = data.connector_update.entity.map(map).transpose()?;
    super::echoed(client, "connectorUpdate", entity, get(client, id)).await
}

pub async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ConnectorDelete>(connector_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

/// A connector's access and refresh tokens (secrets).
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([REDACTED])")
    }
}

/// Generates new tokens; the connector's previous tokens stop working.
pub async fn generate_tokens(client: &Client, id: &str) -> Result<Tokens> {
    let data = client
        .post::<ConnectorGenerateTokens>(connector_generate_tokens::Variables { connector_id: id.to_owned() })
        .await?;
    let tokens = data
        .connector_generate_tokens
        .connector_tokens
        .filter(|t| !t.access_token.is_empty() && !t.refresh_token.is_empty())
        .ok_or_else(|| {
            Error::new(Kind::BadResponse, "the API generated tokens but returned none")
                .hint("the connector's previous tokens may no longer work; run `tgctl connector tokens` again")
        })?;
    Ok(Tokens {
        access_token: SecretString::from(tokens.access_token),
        refresh_token: SecretString::from(tokens.refresh_token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_connector_that_has_and_has_not_heartbeated() {
        let node = serde_json::json!({
            "id": "Q29ubmVjdG9yOjE2NDc3Ng==", "name": "brave-otter", "state": "DEAD_NO_HEARTBEAT",
            "lastHeartbeatAt": "2026-01-01T00:00:00.5+00:00", "hostname": "ip-10-0-0-5", "version": "1.80.0",
            "publicIP": "203.0.113.9", "privateIPs": ["10.0.0.5", "172.17.0.1"],
            "hasStatusNotificationsEnabled": true,
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-15T01:13:51+00:00",
            "remoteNetwork": {"id": "UmVtb3RlTmV0d29yazox", "name": "aws-prod"}
        });
        let typed: connector_list::ConnectorListConnectorsEdgesNode = serde_json::from_value(node.clone()).unwrap();
        let c = map(typed).unwrap();
        assert_eq!(c.state, ConnectorState::DeadNoHeartbeat);
        assert_eq!(c.private_ips, vec!["10.0.0.5", "172.17.0.1"]);
        assert_eq!(c.remote_network.name, "aws-prod");
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["state"], "dead-no-heartbeat");
        assert_eq!(json["publicIp"], "203.0.113.9");
        assert_eq!(json["statusNotifications"], true);

        let mut fresh = node;
        for k in ["lastHeartbeatAt", "hostname", "version", "publicIP"] {
            fresh[k] = serde_json::Value::Null;
        }
        fresh["privateIPs"] = serde_json::json!([]);
        let typed: connector_get::ConnectorGetConnector = serde_json::from_value(fresh).unwrap();
        let c = map(typed).unwrap();
        assert_eq!((c.last_heartbeat_at, c.public_ip), (None, None));
    }
}
