//! `groupCreate`, `groupUpdate`, `groupDelete`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, MergedObject, Result};

use super::grants::edit_principal_resources;
use super::{
    IdList, Kind, MutErr, Mutation, MutationField, biz, delete_payload, need, need_all, non_blank, payload, store,
};
use crate::gql::objects::Group;
use crate::model::*;

payload!(GroupCreateMutation, Group);
payload!(GroupUpdateMutation, Group);
delete_payload!(GroupDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "GroupMutations")]
pub(crate) struct Mutations(MutationField<GroupCreate>, MutationField<GroupUpdate>, MutationField<GroupDelete>);

/// Only MANUAL groups can be changed: SYNCED ones come from the identity provider and SYSTEM ones
/// (Everyone) from Twingate.
fn require_manual(db: &Db, pk: u64) -> Result<(), MutErr> {
    let t = db.groups[&pk].group_type;
    if t != GroupType::Manual {
        let t = match t {
            GroupType::Synced => "SYNCED",
            GroupType::System => "SYSTEM",
            GroupType::Manual => "MANUAL",
        };
        return biz(format!("Group of type {t} can't be modified; only MANUAL groups can"));
    }
    Ok(())
}

#[derive(InputObject)]
#[graphql(name = "GroupCreateArguments")]
pub(crate) struct GroupCreate {
    name: String,
    user_ids: Option<IdList>,
    resource_ids: Option<IdList>,
    security_policy_id: Option<ID>,
}

impl Mutation for GroupCreate {
    const NAME: &'static str = "groupCreate";
    type Payload = GroupCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let name = non_blank(&self.name, "Name")?;
            let users = need_all(db, self.user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let policy = match &self.security_policy_id {
                Some(id) => need(db, id, Kind::SecurityPolicy)?,
                None => db.default_policy(),
            };
            let now = db.now();
            let pk = db.alloc_pk();
            db.groups.insert(
                pk,
                GroupRec {
                    name,
                    is_active: true,
                    group_type: GroupType::Manual,
                    origin_id: None,
                    security_policy: policy,
                    users,
                    created_at: now,
                    updated_at: now,
                },
            );
            edit_principal_resources(db, PrincipalRef::Group(pk), &self.resource_ids, &None, &None, now)?;
            Ok(pk)
        });
        GroupCreateMutation::from(r.map(|pk| Group::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "GroupUpdateArguments")]
pub(crate) struct GroupUpdate {
    id: ID,
    name: Option<String>,
    is_active: Option<bool>,
    security_policy_id: MaybeUndefined<ID>,
    user_ids: Option<IdList>,
    added_user_ids: Option<IdList>,
    removed_user_ids: Option<IdList>,
    resource_ids: Option<IdList>,
    added_resource_ids: Option<IdList>,
    removed_resource_ids: Option<IdList>,
}

impl Mutation for GroupUpdate {
    const NAME: &'static str = "groupUpdate";
    type Payload = GroupUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Group)?;
            require_manual(db, pk)?;
            let name = self.name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let policy = match &self.security_policy_id {
                MaybeUndefined::Value(p) => Some(need(db, p, Kind::SecurityPolicy)?),
                MaybeUndefined::Null => Some(db.default_policy()),
                MaybeUndefined::Undefined => None,
            };
            let set = self.user_ids.as_deref().map(|l| need_all(db, l, Kind::User)).transpose()?;
            let add = need_all(db, self.added_user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let rm = need_all(db, self.removed_user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let now = db.now();
            let g = db.groups.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                g.name = name;
            }
            if let Some(a) = self.is_active {
                g.is_active = a;
            }
            if let Some(p) = policy {
                g.security_policy = p;
            }
            // Replace first, then the changes.
            if let Some(set) = set {
                g.users = set;
            }
            for u in add {
                if !g.users.contains(&u) {
                    g.users.push(u);
                }
            }
            g.users.retain(|u| !rm.contains(u));
            g.updated_at = now;
            let principal = PrincipalRef::Group(pk);
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
        GroupUpdateMutation::from(r.map(|pk| Group::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "GroupDeleteArguments")]
pub(crate) struct GroupDelete {
    id: ID,
}

impl Mutation for GroupDelete {
    const NAME: &'static str = "groupDelete";
    type Payload = GroupDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Group)?;
            require_manual(db, pk)?;
            db.groups.remove(&pk);
            for r in db.resources.values_mut() {
                r.access.retain(|a| a.principal != PrincipalRef::Group(pk));
            }
            Ok(())
        });
        GroupDeleteMutation::from(r)
    }
}
