//! `remoteNetworkCreate`, `remoteNetworkUpdate`, `remoteNetworkDelete`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::{Kind, Mutation, MutationField, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::RemoteNetwork;
use crate::model::*;

payload!(RemoteNetworkCreateMutation, RemoteNetwork);
payload!(RemoteNetworkUpdateMutation, RemoteNetwork);
delete_payload!(RemoteNetworkDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "RemoteNetworkMutations")]
pub(crate) struct Mutations(
    MutationField<RemoteNetworkCreate>,
    MutationField<RemoteNetworkUpdate>,
    MutationField<RemoteNetworkDelete>,
);

#[derive(InputObject)]
#[graphql(name = "RemoteNetworkCreateArguments")]
pub(crate) struct RemoteNetworkCreate {
    name: String,
    is_active: Option<bool>,
    location: Option<RemoteNetworkLocation>,
    network_type: Option<RemoteNetworkType>,
}

impl Mutation for RemoteNetworkCreate {
    const NAME: &'static str = "remoteNetworkCreate";
    type Payload = RemoteNetworkCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let name = non_blank(&self.name, "Name")?;
            let now = db.now();
            let pk = db.alloc_pk();
            db.remote_networks.insert(
                pk,
                RemoteNetworkRec {
                    name,
                    is_active: self.is_active.unwrap_or(true),
                    location: self.location.unwrap_or(RemoteNetworkLocation::Other),
                    network_type: self.network_type.unwrap_or(RemoteNetworkType::Regular),
                    created_at: now,
                    updated_at: now,
                },
            );
            Ok(pk)
        });
        RemoteNetworkCreateMutation::from(r.map(|pk| RemoteNetwork::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "RemoteNetworkUpdateArguments")]
pub(crate) struct RemoteNetworkUpdate {
    id: ID,
    name: Option<String>,
    is_active: Option<bool>,
    location: Option<RemoteNetworkLocation>,
}

impl Mutation for RemoteNetworkUpdate {
    const NAME: &'static str = "remoteNetworkUpdate";
    type Payload = RemoteNetworkUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::RemoteNetwork)?;
            let name = self.name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let rec = db.remote_networks.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                rec.name = name;
            }
            if let Some(a) = self.is_active {
                rec.is_active = a;
            }
            if let Some(l) = self.location {
                rec.location = l;
            }
            rec.updated_at = now;
            Ok(pk)
        });
        RemoteNetworkUpdateMutation::from(r.map(|pk| RemoteNetwork::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "RemoteNetworkDeleteArguments")]
pub(crate) struct RemoteNetworkDelete {
    id: ID,
}

impl Mutation for RemoteNetworkDelete {
    const NAME: &'static str = "remoteNetworkDelete";
    type Payload = RemoteNetworkDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::RemoteNetwork)?;
            db.remote_networks.remove(&pk);
            db.connectors.retain(|_, c| c.remote_network != pk);
            db.resources.retain(|_, r| r.remote_network != pk);
            Ok(())
        });
        RemoteNetworkDeleteMutation::from(r)
    }
}
