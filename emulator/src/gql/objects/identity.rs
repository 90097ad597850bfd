//! Groups and users.

use std::sync::Arc;

use async_graphql::{ID, Object, Result};

use super::{ResourceConnection, SecurityPolicy, connection, list_resources, object_base};
use crate::gql::filters::{GroupFilterInput, ResourceFilterInput, UserFilterInput};
use crate::gql::{DateTime, PageArgs, dt};
use crate::ids;
use crate::model::*;

connection!(GroupConnection, GroupEdge, Group);
connection!(UserConnection, UserEdge, User);

object_base!(Group, groups, GroupRec);
object_base!(User, users, UserRec);

pub(crate) fn list_groups(
    db: &Arc<Db>,
    pks: impl IntoIterator<Item = u64>,
    filter: &Option<GroupFilterInput>,
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for pk in pks {
        if let Some(g) = db.groups.get(&pk)
            && GroupFilterInput::ok(filter, g)?
        {
            out.push(pk);
        }
    }
    Ok(out)
}

pub(crate) fn list_users(
    db: &Arc<Db>,
    pks: impl IntoIterator<Item = u64>,
    filter: &Option<UserFilterInput>,
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for pk in pks {
        if let Some(u) = db.users.get(&pk)
            && UserFilterInput::ok(filter, u)?
        {
            out.push(pk);
        }
    }
    Ok(out)
}

#[Object]
impl Group {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("Group", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn is_active(&self) -> Result<bool> {
        Ok(self.rec()?.is_active)
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> Result<GroupType> {
        Ok(self.rec()?.group_type)
    }
    async fn origin_id(&self) -> Result<Option<String>> {
        Ok(self.rec()?.origin_id.clone())
    }
    async fn security_policy(&self) -> Result<SecurityPolicy> {
        let pk = self.rec()?.security_policy;
        let pk = if self.db.security_policies.contains_key(&pk) { pk } else { self.db.default_policy() };
        Ok(SecurityPolicy::new(self.db.clone(), pk))
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn users(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<UserFilterInput>,
    ) -> Result<UserConnection> {
        let pks = list_users(&self.db, self.rec()?.users.iter().copied(), &filter)?;
        UserConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn resources(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let pks = self.db.resources_of(PrincipalRef::Group(self.pk));
        let pks = list_resources(&self.db, pks, &filter)?;
        ResourceConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl User {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("User", self.pk)
    }
    async fn email(&self) -> Result<Option<String>> {
        Ok(self.rec()?.email.clone())
    }
    async fn first_name(&self) -> Result<String> {
        Ok(self.rec()?.first_name.clone())
    }
    async fn last_name(&self) -> Result<String> {
        Ok(self.rec()?.last_name.clone())
    }
    async fn avatar_url(&self) -> Result<Option<String>> {
        Ok(self.rec()?.avatar_url.clone())
    }
    async fn role(&self) -> Result<UserRole> {
        Ok(self.rec()?.role)
    }
    async fn state(&self) -> Result<UserState> {
        Ok(self.rec()?.state)
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> Result<UserType> {
        Ok(self.rec()?.user_type)
    }
    /// True when the User has an admin role.
    #[graphql(deprecation = "Use `role` instead.")]
    async fn is_admin(&self) -> Result<bool> {
        Ok(self.rec()?.role == UserRole::Admin)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn groups(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<GroupFilterInput>,
    ) -> Result<GroupConnection> {
        let pks = self.db.groups.iter().filter(|(_, g)| g.users.contains(&self.pk)).map(|(pk, _)| *pk);
        let pks = list_groups(&self.db, pks, &filter)?;
        GroupConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}
