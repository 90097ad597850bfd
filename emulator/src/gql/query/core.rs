//! The queries of the July-2024 introspection: remote networks, connectors, resources, groups,
//! users, service accounts and keys, security policies, devices.

use async_graphql::{Context, ID, Object, Result};

use super::{find, snap};
use crate::gql::PageArgs;
use crate::gql::filters::*;
use crate::gql::objects::*;
use crate::ids;

#[derive(Default)]
pub(crate) struct CoreQueries;

#[Object]
impl CoreQueries {
    async fn remote_network(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
    ) -> Result<Option<RemoteNetwork>> {
        let db = snap(ctx)?;
        let pk = if let Some(id) = id {
            find(&db, &id, "RemoteNetwork", |db, pk| db.remote_networks.contains_key(&pk))?
        } else if let Some(name) = name {
            db.remote_networks.iter().find(|(_, r)| r.name == name).map(|(pk, _)| *pk)
        } else {
            None
        };
        Ok(pk.map(|pk| RemoteNetwork::new(db, pk)))
    }

    async fn remote_networks(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<RemoteNetworkFilterInput>,
    ) -> Result<RemoteNetworkConnection> {
        let db = snap(ctx)?;
        let pks = list_remote_networks(&db, &filter)?;
        RemoteNetworkConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn connector(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Connector>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Connector", |db, pk| db.connectors.contains_key(&pk))?;
        Ok(pk.map(|pk| Connector::new(db, pk)))
    }

    async fn connectors(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ConnectorFilterInput>,
    ) -> Result<ConnectorConnection> {
        let db = snap(ctx)?;
        let pks = list_connectors(&db, None, &filter)?;
        ConnectorConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn resource(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Resource>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Resource", |db, pk| db.resources.contains_key(&pk))?;
        Ok(pk.map(|pk| Resource::new(db, pk)))
    }

    async fn resources(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let db = snap(ctx)?;
        let pks = list_resources(&db, db.resources.keys().copied(), &filter)?;
        ResourceConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn group(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Group>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Group", |db, pk| db.groups.contains_key(&pk))?;
        Ok(pk.map(|pk| Group::new(db, pk)))
    }

    async fn groups(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<GroupFilterInput>,
    ) -> Result<GroupConnection> {
        let db = snap(ctx)?;
        let pks = list_groups(&db, db.groups.keys().copied(), &filter)?;
        GroupConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "User", |db, pk| db.users.contains_key(&pk))?;
        Ok(pk.map(|pk| User::new(db, pk)))
    }

    async fn users(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<UserFilterInput>,
    ) -> Result<UserConnection> {
        let db = snap(ctx)?;
        let pks = list_users(&db, db.users.keys().copied(), &filter)?;
        UserConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn service_account(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ServiceAccount>> {
        let db = snap(ctx)?;
        let pk = ids::raw_pk(&id, "ServiceAccount")?.and_then(|u| db.sa_by_uuid(&u));
        Ok(pk.map(|pk| ServiceAccount::new(db, pk)))
    }

    async fn service_accounts(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ServiceAccountFilterInput>,
    ) -> Result<ServiceAccountConnection> {
        let db = snap(ctx)?;
        let pks = list_service_accounts(&db, &filter)?;
        ServiceAccountConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn service_account_key(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
    ) -> Result<Option<ServiceAccountKey>> {
        let db = snap(ctx)?;
        let pk = if let Some(id) = id {
            ids::raw_pk(&id, "ServiceAccountKey")?.and_then(|u| db.key_by_uuid(&u))
        } else if let Some(name) = name {
            db.service_account_keys.iter().find(|(_, k)| k.name == name).map(|(pk, _)| *pk)
        } else {
            None
        };
        Ok(pk.map(|pk| ServiceAccountKey::new(db, pk)))
    }

    async fn security_policy(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
    ) -> Result<Option<SecurityPolicy>> {
        let db = snap(ctx)?;
        // Terraform sends `id: ""` together with a name; treat an empty ID as absent.
        let pk = match id.filter(|id| !id.is_empty()) {
            Some(id) => find(&db, &id, "SecurityPolicy", |db, pk| db.security_policies.contains_key(&pk))?,
            None => match name {
                Some(name) => db.security_policies.iter().find(|(_, p)| p.name == name).map(|(pk, _)| *pk),
                None => None,
            },
        };
        Ok(pk.map(|pk| SecurityPolicy::new(db, pk)))
    }

    async fn security_policies(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<SecurityPolicyFilterField>,
    ) -> Result<SecurityPolicyConnection> {
        let db = snap(ctx)?;
        let pks = list_security_policies(&db, &filter)?;
        SecurityPolicyConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    async fn device(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Device>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Device", |db, pk| db.devices.contains_key(&pk))?;
        Ok(pk.map(|pk| Device::new(db, pk)))
    }

    async fn devices(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<DeviceFilterInput>,
    ) -> Result<DeviceConnection> {
        let db = snap(ctx)?;
        let pks = list_devices(&db, &filter)?;
        DeviceConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }
}
