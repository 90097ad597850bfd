//! `serviceAccountCreate`, `serviceAccountUpdate`, `serviceAccountDelete`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};
use uuid::Uuid;

use super::grants::edit_principal_resources;
use super::{IdList, Kind, Mutation, MutationField, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::ServiceAccount;
use crate::model::*;

payload!(ServiceAccountCreateMutation, ServiceAccount);
payload!(ServiceAccountUpdateMutation, ServiceAccount);
delete_payload!(ServiceAccountDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "ServiceAccountMutations")]
pub(crate) struct Mutations(
    MutationField<ServiceAccountCreate>,
    MutationField<ServiceAccountUpdate>,
    MutationField<ServiceAccountDelete>,
);

#[derive(InputObject)]
#[graphql(name = "ServiceAccountCreateArguments")]
pub(crate) struct ServiceAccountCreate {
    name: String,
    resource_ids: Option<IdList>,
}

impl Mutation for ServiceAccountCreate {
    const NAME: &'static str = "serviceAccountCreate";
    type Payload = ServiceAccountCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let name = non_blank(&self.name, "Name")?;
            let now = db.now();
            let pk = db.alloc_pk();
            db.service_accounts
                .insert(pk, ServiceAccountRec { uuid: Uuid::new_v4(), name, created_at: now, updated_at: now });
            let p = PrincipalRef::ServiceAccount(pk);
            edit_principal_resources(db, p, &self.resource_ids, &None, &None, now)?;
            Ok(pk)
        });
        ServiceAccountCreateMutation::from(r.map(|pk| ServiceAccount::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountUpdateArguments")]
pub(crate) struct ServiceAccountUpdate {
    id: ID,
    name: Option<String>,
    resource_ids: Option<IdList>,
    added_resource_ids: Option<IdList>,
    removed_resource_ids: Option<IdList>,
}

impl Mutation for ServiceAccountUpdate {
    const NAME: &'static str = "serviceAccountUpdate";
    type Payload = ServiceAccountUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::ServiceAccount)?;
            let name = self.name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let sa = db.service_accounts.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                sa.name = name;
            }
            sa.updated_at = now;
            let principal = PrincipalRef::ServiceAccount(pk);
            edit_principal_resources(
                db,
                principal,
                &self.resource_ids,
                &self.added_resource_ids,
                &self.removed_resource_ids,
                now,
            )?;
            Ok(pk)
        });
        ServiceAccountUpdateMutation::from(r.map(|pk| ServiceAccount::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountDeleteArguments")]
pub(crate) struct ServiceAccountDelete {
    id: ID,
}

impl Mutation for ServiceAccountDelete {
    const NAME: &'static str = "serviceAccountDelete";
    type Payload = ServiceAccountDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::ServiceAccount)?;
            db.service_accounts.remove(&pk);
            db.service_account_keys.retain(|_, k| k.service_account != pk);
            for r in db.resources.values_mut() {
                r.access.retain(|a| a.principal != PrincipalRef::ServiceAccount(pk));
            }
            Ok(())
        });
        ServiceAccountDeleteMutation::from(r)
    }
}
