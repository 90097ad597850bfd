//! `connectorCreate`, `connectorUpdate`, `connectorDelete`, `connectorGenerateTokens`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result, SimpleObject};

use super::{Kind, MutErr, Mutation, MutationField, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::{Connector, ConnectorTokens};
use crate::model::*;

payload!(ConnectorCreateMutation, Connector);
payload!(ConnectorUpdateMutation, Connector);
delete_payload!(ConnectorDeleteMutation);

#[derive(SimpleObject)]
pub(crate) struct ConnectorGenerateTokensMutation {
    ok: bool,
    error: Option<String>,
    connector_tokens: Option<ConnectorTokens>,
}

#[derive(MergedObject, Default)]
#[graphql(name = "ConnectorMutations")]
pub(crate) struct Mutations(
    MutationField<ConnectorCreate>,
    MutationField<ConnectorUpdate>,
    MutationField<ConnectorDelete>,
    MutationField<ConnectorGenerateTokens>,
);

const CONNECTOR_ADJECTIVES: &[&str] = &[
    "amber", "brave", "calm", "daring", "eager", "fancy", "gentle", "happy", "icy", "jolly", "keen", "lively", "merry",
    "nimble", "orange", "proud", "quick", "rapid", "silent", "tidy",
];
const CONNECTOR_ANIMALS: &[&str] = &[
    "albatross",
    "badger",
    "cheetah",
    "dolphin",
    "eagle",
    "falcon",
    "giraffe",
    "heron",
    "ibis",
    "jaguar",
    "koala",
    "lemur",
    "marmot",
    "narwhal",
    "otter",
    "panda",
    "quail",
    "raven",
    "seal",
    "tapir",
];

/// A generated name, as the API gives a connector created without one (Terraform provider,
/// docs/resources/connector.md: "the name is generated automatically if not provided").
fn connector_name(db: &Db) -> String {
    let n = db.next_pk as usize;
    let base = format!(
        "{}-{}",
        CONNECTOR_ADJECTIVES[n % CONNECTOR_ADJECTIVES.len()],
        CONNECTOR_ANIMALS[(n / CONNECTOR_ADJECTIVES.len()) % CONNECTOR_ANIMALS.len()]
    );
    if db.connectors.values().any(|c| c.name == base) { format!("{base}-{n}") } else { base }
}

fn opaque_token() -> String {
    use base64::Engine;
    use rand_core::RngCore;
    let mut bytes = [0u8; 48];
    rand_core::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(InputObject)]
#[graphql(name = "ConnectorCreateArguments")]
pub(crate) struct ConnectorCreate {
    remote_network_id: ID,
    name: Option<String>,
    has_status_notifications_enabled: Option<bool>,
}

impl Mutation for ConnectorCreate {
    const NAME: &'static str = "connectorCreate";
    type Payload = ConnectorCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let network = need(db, &self.remote_network_id, Kind::RemoteNetwork)?;
            let name = match self.name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => connector_name(db),
            };
            let now = db.now();
            let pk = db.alloc_pk();
            db.connectors.insert(
                pk,
                ConnectorRec {
                    name,
                    remote_network: network,
                    state: ConnectorState::DeadNoHeartbeat,
                    last_heartbeat_at: None,
                    hostname: None,
                    version: None,
                    public_ip: None,
                    private_ips: Vec::new(),
                    has_status_notifications_enabled: self.has_status_notifications_enabled.unwrap_or(true),
                    created_at: now,
                    updated_at: now,
                    tokens: None,
                },
            );
            Ok(pk)
        });
        ConnectorCreateMutation::from(r.map(|pk| Connector::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ConnectorUpdateArguments")]
pub(crate) struct ConnectorUpdate {
    id: ID,
    name: Option<String>,
    has_status_notifications_enabled: Option<bool>,
}

impl Mutation for ConnectorUpdate {
    const NAME: &'static str = "connectorUpdate";
    type Payload = ConnectorUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Connector)?;
            let name = self.name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let rec = db.connectors.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                rec.name = name;
            }
            if let Some(n) = self.has_status_notifications_enabled {
                rec.has_status_notifications_enabled = n;
            }
            rec.updated_at = now;
            Ok(pk)
        });
        ConnectorUpdateMutation::from(r.map(|pk| Connector::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ConnectorDeleteArguments")]
pub(crate) struct ConnectorDelete {
    id: ID,
}

impl Mutation for ConnectorDelete {
    const NAME: &'static str = "connectorDelete";
    type Payload = ConnectorDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Connector)?;
            db.connectors.remove(&pk);
            Ok(())
        });
        ConnectorDeleteMutation::from(r)
    }
}

#[derive(InputObject)]
#[graphql(name = "ConnectorGenerateTokensArguments")]
pub(crate) struct ConnectorGenerateTokens {
    connector_id: ID,
}

impl Mutation for ConnectorGenerateTokens {
    const NAME: &'static str = "connectorGenerateTokens";
    const DESCRIPTION: Option<&'static str> = Some("Each call invalidates the connector's previous tokens.");
    type Payload = ConnectorGenerateTokensMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let tokens = (opaque_token(), opaque_token());
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.connector_id, Kind::Connector)?;
            let now = db.now();
            let rec = db.connectors.get_mut(&pk).expect("checked");
            rec.tokens = Some(tokens.clone());
            rec.updated_at = now;
            Ok(())
        });
        Ok(match r {
            Ok(()) => ConnectorGenerateTokensMutation {
                ok: true,
                error: None,
                connector_tokens: Some(ConnectorTokens { access_token: tokens.0, refresh_token: tokens.1 }),
            },
            Err(MutErr::Biz(m)) => {
                ConnectorGenerateTokensMutation { ok: false, error: Some(m), connector_tokens: None }
            }
            Err(MutErr::Gql(e)) => return Err(e),
        })
    }
}
