//! Connectors: the processes in a remote network that let clients in. Their tokens are
//! generated on demand, shown once, and each generation invalidates the previous tokens.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::paginate::Page;
use super::{Client, NameFilter, Named, Ref, Vars, WireConn, WirePayload, from_api_enum, gen_enum};
use crate::error::{Error, Kind, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `ConnectorGet` generates the fragment's struct; every other operation answers with it
// (`response_type`), so all of them share one type and one mapping.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ConnectorGet;

/// A connector as the API answers it: the generated fragment.
pub(crate) type Fields = connector_get::ConnectorFields;

/// A remote network's page of connectors ([`ConnectorListOfNetwork`]).
#[derive(Debug, Deserialize)]
pub(crate) struct NetworkConnectors {
    connectors: WireConn<Fields>,
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_type = "WireConn<Fields>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct ConnectorList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_type = "NetworkConnectors",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct ConnectorListOfNetwork;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_type = "WirePayload<Fields>",
    skip_serializing_none
)]
pub(crate) struct ConnectorCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_type = "WirePayload<Fields>",
    variables_derives = "Deserialize"
)]
pub(crate) struct ConnectorUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ConnectorDelete;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/connector/connector.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ConnectorGenerateTokens;

/// A connector's health as the controller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum ConnectorState {
    Alive,
    DeadHeartbeatTooOld,
    DeadNoHeartbeat,
    DeadNoRelays,
}

/// A connector as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connector {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) remote_network: Ref,
    pub(crate) state: ConnectorState,
    pub(crate) last_heartbeat_at: Option<Timestamp>,
    pub(crate) version: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) public_ip: Option<String>,
    pub(crate) private_ips: Vec<String>,
    pub(crate) status_notifications: bool,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl Named for Connector {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl TryFrom<Fields> for Connector {
    type Error = Error;

    /// The one mapping: the state into ours (an unknown value is a bad response).
    fn try_from(f: Fields) -> Result<Self> {
        Ok(Connector {
            id: f.id,
            name: f.name,
            remote_network: Ref { id: f.remote_network.id, name: f.remote_network.name },
            state: from_api_enum(&f.state)?,
            last_heartbeat_at: f.last_heartbeat_at,
            version: f.version,
            hostname: f.hostname,
            public_ip: f.public_ip,
            private_ips: f.private_i_ps,
            status_notifications: f.has_status_notifications_enabled,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
    }
}

/// List filters the API applies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub(crate) name: NameFilter,
    pub(crate) states: Vec<ConnectorState>,
    /// Only this remote network's connectors (its ID).
    pub(crate) remote_network: Option<String>,
}

/// One page of connectors.
pub(crate) async fn list_page(
    client: &Client,
    filter: &Filter,
    after: Option<String>,
    first: i64,
) -> Result<Page<Connector>> {
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
        return network.connectors.into_page(Connector::try_from);
    }
    use connector_list as q;
    let vars = q::Variables { first, after, filter: connector_filter!(q) };
    let data = client.post::<ConnectorList>(vars).await?;
    data.connectors.into_page(Connector::try_from)
}

/// The connector with this ID, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<Connector>> {
    let data = client.post::<ConnectorGet>(connector_get::Variables { id: id.to_owned() }).await?;
    data.connector.map(Connector::try_from).transpose()
}

/// By ID or exact name.
pub(crate) async fn find(client: &Client, text: &str) -> Result<Connector> {
    let filter = Filter { name: NameFilter::exact(text), ..Filter::default() };
    super::find("connector", "Connector", text, get(client, text), async {
        Ok(list_page(client, &filter, None, 10).await?.nodes)
    })
    .await
}

pub(crate) async fn create(
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
    let entity = data.connector_create.entity.map(Connector::try_from).transpose()?;
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

pub(crate) async fn update(
    client: &Client,
    id: &str,
    name: Option<String>,
    notifications: Option<bool>,
) -> Result<Connector> {
    let vars = Vars::new().set("id", id).opt("name", name).opt("hasStatusNotificationsEnabled", notifications);
    let data = client.post_vars::<ConnectorUpdate>(vars.into_value()).await?;
    let entity = data.connector_update.entity.map(Connector::try_from).transpose()?;
    super::echoed(client, "connectorUpdate", entity, get(client, id)).await
}

pub(crate) async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ConnectorDelete>(connector_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

/// A connector's access and refresh tokens (secrets).
pub(crate) struct Tokens {
    pub(crate) access_token: SecretString,
    pub(crate) refresh_token: SecretString,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([REDACTED])")
    }
}

/// Generates new tokens; the connector's previous tokens stop working.
pub(crate) async fn generate_tokens(client: &Client, id: &str) -> Result<Tokens> {
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
        let typed: Fields = serde_json::from_value(node.clone()).unwrap();
        let c = Connector::try_from(typed).unwrap();
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
        let typed: Fields = serde_json::from_value(fresh).unwrap();
        let c = Connector::try_from(typed).unwrap();
        assert_eq!((c.last_heartbeat_at, c.public_ip), (None, None));
    }
}
