//! Resources (the `Resource` interface and its implementation) and their access edges.

use std::sync::Arc;

use async_graphql::{ID, Interface, Object, Result, SimpleObject};

use super::*;
use crate::gql::filters::{AccessFilterInput, ResourceFilterInput};
use crate::gql::{DateTime, Page, PageArgs, dt, paginate};
use crate::ids;
use crate::model::*;

connection!(ResourceConnection, ResourceEdge, Resource);

object_base!(NetworkResource, resources, ResourceRec);

pub(crate) fn list_resources(
    db: &Arc<Db>,
    pks: impl IntoIterator<Item = u64>,
    filter: &Option<ResourceFilterInput>,
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for pk in pks {
        if let Some(r) = db.resources.get(&pk)
            && ResourceFilterInput::ok(filter, r)?
        {
            out.push(pk);
        }
    }
    Ok(out)
}

#[allow(clippy::duplicated_attributes)] // the derive's repeated `field(...)` entries
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "name", ty = "String"),
    field(name = "address", ty = "ResourceAddress"),
    field(name = "alias", ty = "Option<String>"),
    field(name = "remote_network", ty = "RemoteNetwork"),
    field(name = "protocols", ty = "ResourceProtocols"),
    field(name = "is_active", ty = "bool"),
    field(name = "is_visible", ty = "bool"),
    field(name = "is_browser_shortcut_enabled", ty = "bool"),
    field(name = "security_policy", ty = "Option<SecurityPolicy>"),
    field(name = "tags", ty = "Vec<Tag>"),
    field(name = "approval_mode", ty = "Option<AccessApprovalMode>"),
    field(name = "access_policy", ty = "Option<AccessPolicy>"),
    field(name = "created_at", ty = "DateTime"),
    field(name = "updated_at", ty = "DateTime"),
    field(
        name = "access",
        ty = "AccessConnection",
        arg(name = "after", ty = "Option<String>"),
        arg(name = "before", ty = "Option<String>"),
        arg(name = "first", ty = "Option<i32>"),
        arg(name = "last", ty = "Option<i32>"),
        arg(name = "filter", ty = "Option<AccessFilterInput>")
    )
)]
pub(crate) enum Resource {
    NetworkResource(NetworkResource),
}

impl Resource {
    pub(crate) fn new(db: Arc<Db>, pk: u64) -> Self {
        Resource::NetworkResource(NetworkResource::new(db, pk))
    }
}

/// Registers `interface Resource implements Node` (async-graphql's derive can only say this by
/// listing `Resource` among `Node`'s possible types, which must be object types).
pub(crate) struct ResourceImplementsNode;

impl async_graphql::OutputType for ResourceImplementsNode {
    fn type_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Resource")
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        let name = <Resource as async_graphql::OutputType>::create_type_info(registry);
        registry.add_implements("Resource", "Node");
        name
    }

    async fn resolve(
        &self,
        _ctx: &async_graphql::ContextSelectionSet<'_>,
        _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> async_graphql::ServerResult<async_graphql::Value> {
        Err(async_graphql::ServerError::new("ResourceImplementsNode is never resolved", None))
    }
}

#[Object]
impl NetworkResource {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("Resource", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn address(&self) -> Result<ResourceAddress> {
        let r = self.rec()?;
        Ok(ResourceAddress { type_: address_type(&r.address), value: r.address.clone() })
    }
    async fn alias(&self) -> Result<Option<String>> {
        Ok(self.rec()?.alias.clone())
    }
    async fn remote_network(&self) -> Result<RemoteNetwork> {
        Ok(RemoteNetwork::new(self.db.clone(), self.rec()?.remote_network))
    }
    async fn protocols(&self) -> Result<ResourceProtocols> {
        Ok((&self.rec()?.protocols).into())
    }
    async fn is_active(&self) -> Result<bool> {
        Ok(self.rec()?.is_active)
    }
    async fn is_visible(&self) -> Result<bool> {
        Ok(self.rec()?.is_visible)
    }
    async fn is_browser_shortcut_enabled(&self) -> Result<bool> {
        Ok(self.rec()?.is_browser_shortcut_enabled)
    }
    async fn security_policy(&self) -> Result<Option<SecurityPolicy>> {
        let pk = self.rec()?.security_policy;
        Ok(pk
            .filter(|pk| self.db.security_policies.contains_key(pk))
            .map(|pk| SecurityPolicy::new(self.db.clone(), pk)))
    }
    async fn tags(&self) -> Result<Vec<Tag>> {
        Ok(self.rec()?.tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect())
    }
    async fn approval_mode(&self) -> Result<Option<AccessApprovalMode>> {
        Ok(self.rec()?.approval_mode)
    }
    async fn access_policy(&self) -> Result<Option<AccessPolicy>> {
        Ok(self.rec()?.access_policy.as_ref().map(Into::into))
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn access(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<AccessFilterInput>,
    ) -> Result<AccessConnection> {
        let edges: Vec<AccessRec> =
            self.rec()?.access.iter().filter(|a| AccessFilterInput::ok(&filter, a)).cloned().collect();
        let Page { items, page_info, total_count } = paginate(edges, &PageArgs::new(after, before, first, last))?;
        let edges = items.into_iter().map(|(cursor, rec)| AccessEdge { db: self.db.clone(), cursor, rec }).collect();
        Ok(AccessConnection { edges, page_info, total_count })
    }
    async fn routing_mode(&self) -> Result<Option<RoutingMode>> {
        Ok(Some(self.rec()?.routing_mode.unwrap_or(RoutingMode::ThroughTwingate)))
    }
}

pub(crate) struct AccessEdge {
    db: Arc<Db>,
    cursor: String,
    rec: AccessRec,
}

#[Object]
impl AccessEdge {
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn node(&self) -> Principal {
        match self.rec.principal {
            PrincipalRef::Group(pk) => Principal::Group(Group::new(self.db.clone(), pk)),
            PrincipalRef::ServiceAccount(pk) => Principal::ServiceAccount(ServiceAccount::new(self.db.clone(), pk)),
        }
    }
    async fn security_policy(&self) -> Option<SecurityPolicy> {
        self.rec
            .security_policy
            .filter(|pk| self.db.security_policies.contains_key(pk))
            .map(|pk| SecurityPolicy::new(self.db.clone(), pk))
    }
    async fn expires_at(&self) -> Option<DateTime> {
        self.rec.expires_at.map(dt)
    }
    async fn approval_mode(&self) -> Option<AccessApprovalMode> {
        self.rec.approval_mode
    }
    async fn access_policy(&self) -> Option<AccessPolicy> {
        self.rec.access_policy.as_ref().map(Into::into)
    }
}

#[derive(SimpleObject)]
pub(crate) struct AccessConnection {
    pub(crate) edges: Vec<AccessEdge>,
    pub(crate) page_info: crate::gql::PageInfo,
    pub(crate) total_count: i32,
}
