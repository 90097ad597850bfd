//! `resourceAccessAdd`, `resourceAccessRemove`, `resourceAccessSet`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::grants::upsert_access;
use super::inputs::AccessInput;
use super::{Kind, Mutation, MutationField, need, need_principal, payload, store};
use crate::gql::objects::Resource;

payload!(ResourceAccessAddMutation, Resource);
payload!(ResourceAccessRemoveMutation, Resource);
payload!(ResourceAccessSetMutation, Resource);

#[derive(MergedObject, Default)]
#[graphql(name = "ResourceAccessMutations")]
pub(crate) struct Mutations(
    MutationField<ResourceAccessAdd>,
    MutationField<ResourceAccessRemove>,
    MutationField<ResourceAccessSet>,
);

#[derive(InputObject)]
#[graphql(name = "ResourceAccessAddArguments")]
pub(crate) struct ResourceAccessAdd {
    resource_id: ID,
    access: Vec<AccessInput>,
}

impl Mutation for ResourceAccessAdd {
    const NAME: &'static str = "resourceAccessAdd";
    const DESCRIPTION: Option<&'static str> = Some("Adds or updates access for each principal given.");
    type Payload = ResourceAccessAddMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.resource_id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            for input in &self.access {
                upsert_access(db, &mut rec, input)?;
            }
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceAccessAddMutation::from(r.map(|pk| Resource::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ResourceAccessRemoveArguments")]
pub(crate) struct ResourceAccessRemove {
    resource_id: ID,
    principal_ids: Vec<ID>,
}

impl Mutation for ResourceAccessRemove {
    const NAME: &'static str = "resourceAccessRemove";
    type Payload = ResourceAccessRemoveMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.resource_id, Kind::Resource)?;
            let mut principals = Vec::new();
            for id in &self.principal_ids {
                principals.push(need_principal(db, id)?);
            }
            let now = db.now();
            let rec = db.resources.get_mut(&pk).expect("checked");
            rec.access.retain(|a| !principals.contains(&a.principal));
            rec.updated_at = now;
            Ok(pk)
        });
        ResourceAccessRemoveMutation::from(r.map(|pk| Resource::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ResourceAccessSetArguments")]
pub(crate) struct ResourceAccessSet {
    resource_id: ID,
    access: Vec<AccessInput>,
}

impl Mutation for ResourceAccessSet {
    const NAME: &'static str = "resourceAccessSet";
    const DESCRIPTION: Option<&'static str> = Some("Replaces all access to the resource.");
    type Payload = ResourceAccessSetMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.resource_id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            rec.access.clear();
            for input in &self.access {
                upsert_access(db, &mut rec, input)?;
            }
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceAccessSetMutation::from(r.map(|pk| Resource::new(db, pk)))
    }
}
