//! Output types. Each object is a (snapshot, pk) pair that reads its record on demand.

use std::sync::Arc;

use async_graphql::{ID, Interface, Object, Result, SimpleObject, Union};

use super::filters::*;
use super::{DateTime, Page, PageArgs, PageInfo, dt, paginate};
use crate::ids;
use crate::model::*;

fn gone() -> async_graphql::Error {
    async_graphql::Error::new("internal error: record vanished")
}

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident) => {
        #[derive(SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(SimpleObject)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            pub page_info: PageInfo,
            pub total_count: i32,
        }

        impl $conn {
            pub fn build(db: &Arc<Db>, pks: Vec<u64>, page: &PageArgs) -> Result<Self> {
                let Page { items, page_info, total_count } = paginate(pks, page)?;
                let edges =
                    items.into_iter().map(|(cursor, pk)| $edge { cursor, node: $node::new(db.clone(), pk) }).collect();
                Ok($conn { edges, page_info, total_count })
            }
        }
    };
}

macro_rules! object_base {
    ($name:ident, $table:ident, $rec:ty) => {
        #[derive(Clone)]
        pub struct $name {
            pub db: Arc<Db>,
            pub pk: u64,
        }

        impl $name {
            pub fn new(db: Arc<Db>, pk: u64) -> Self {
                $name { db, pk }
            }
            fn rec(&self) -> Result<&$rec> {
                self.db.$table.get(&self.pk).ok_or_else(gone)
            }
        }
    };
}

connection!(RemoteNetworkConnection, RemoteNetworkEdge, RemoteNetwork);
connection!(ConnectorConnection, ConnectorEdge, Connector);
connection!(ResourceConnection, ResourceEdge, Resource);
connection!(GroupConnection, GroupEdge, Group);
connection!(UserConnection, UserEdge, User);
connection!(ServiceAccountConnection, ServiceAccountEdge, ServiceAccount);
connection!(ServiceAccountKeyConnection, ServiceAccountKeyEdge, ServiceAccountKey);
connection!(SecurityPolicyConnection, SecurityPolicyEdge, SecurityPolicy);
connection!(DeviceConnection, DeviceEdge, Device);

object_base!(RemoteNetwork, remote_networks, RemoteNetworkRec);
object_base!(Connector, connectors, ConnectorRec);
object_base!(NetworkResource, resources, ResourceRec);
object_base!(Group, groups, GroupRec);
object_base!(User, users, UserRec);
object_base!(ServiceAccount, service_accounts, ServiceAccountRec);
object_base!(ServiceAccountKey, service_account_keys, KeyRec);
object_base!(SecurityPolicy, security_policies, SecurityPolicyRec);
object_base!(Device, devices, DeviceRec);

// ---------------------------------------------------------------------------------------------
// Filtered lists shared by root and nested connections.

pub fn list_remote_networks(db: &Arc<Db>, filter: &Option<RemoteNetworkFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, r) in &db.remote_networks {
        if RemoteNetworkFilterInput::ok(filter, r)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub fn list_connectors(db: &Arc<Db>, network: Option<u64>, filter: &Option<ConnectorFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, c) in &db.connectors {
        if network.is_none_or(|n| n == c.remote_network) && ConnectorFilterInput::ok(filter, c)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub fn list_resources(
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

pub fn list_groups(
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

pub fn list_users(
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

pub fn list_service_accounts(db: &Arc<Db>, filter: &Option<ServiceAccountFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, s) in &db.service_accounts {
        if ServiceAccountFilterInput::ok(filter, s)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub fn list_security_policies(db: &Arc<Db>, filter: &Option<SecurityPolicyFilterField>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, p) in &db.security_policies {
        if SecurityPolicyFilterField::ok(filter, p)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub fn list_devices(db: &Arc<Db>, filter: &Option<DeviceFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, d) in &db.devices {
        if DeviceFilterInput::ok(filter, d)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Interfaces and unions

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    RemoteNetwork(RemoteNetwork),
    Connector(Connector),
    NetworkResource(NetworkResource),
    Group(Group),
    User(User),
    ServiceAccount(ServiceAccount),
    ServiceAccountKey(ServiceAccountKey),
    SecurityPolicy(SecurityPolicy),
    Device(Device),
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
pub enum Resource {
    NetworkResource(NetworkResource),
}

impl Resource {
    pub fn new(db: Arc<Db>, pk: u64) -> Self {
        Resource::NetworkResource(NetworkResource::new(db, pk))
    }
}

/// Registers `interface Resource implements Node` (async-graphql's derive can only say this by
/// listing `Resource` among `Node`'s possible types, which must be object types).
pub struct ResourceImplementsNode;

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

#[derive(Union)]
pub enum Principal {
    Group(Group),
    ServiceAccount(ServiceAccount),
}

// ---------------------------------------------------------------------------------------------
// Small value types

#[derive(SimpleObject, Clone)]
pub struct ConnectorTokens {
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(SimpleObject, Clone)]
pub struct ResourceAddress {
    #[graphql(name = "type")]
    pub type_: AddressType,
    pub value: String,
}

#[derive(SimpleObject, Clone)]
pub struct PortRange {
    pub start: i32,
    pub end: i32,
}

#[derive(SimpleObject, Clone)]
pub struct ResourceProtocol {
    pub policy: ProtocolPolicy,
    pub ports: Vec<PortRange>,
}

impl From<&ProtocolRec> for ResourceProtocol {
    fn from(p: &ProtocolRec) -> Self {
        ResourceProtocol {
            policy: p.policy,
            ports: p.ports.iter().map(|r| PortRange { start: r.start, end: r.end }).collect(),
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct ResourceProtocols {
    pub allow_icmp: bool,
    pub tcp: ResourceProtocol,
    pub udp: ResourceProtocol,
}

#[derive(SimpleObject, Clone)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(SimpleObject, Clone)]
pub struct AccessPolicy {
    pub mode: AccessMode,
    pub duration_seconds: Option<i32>,
}

impl From<&AccessPolicyRec> for AccessPolicy {
    fn from(p: &AccessPolicyRec) -> Self {
        AccessPolicy { mode: p.mode, duration_seconds: p.duration_seconds }
    }
}

/// Classify an address: IPs and CIDR ranges are IP, everything else DNS.
pub fn address_type(address: &str) -> AddressType {
    let host = address.split_once('/').map_or(address, |(h, _)| h);
    if host.parse::<std::net::IpAddr>().is_ok() { AddressType::Ip } else { AddressType::Dns }
}

// ---------------------------------------------------------------------------------------------
// Objects

#[Object]
impl RemoteNetwork {
    async fn id(&self) -> ID {
        ids::encode("RemoteNetwork", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn is_active(&self) -> Result<bool> {
        Ok(self.rec()?.is_active)
    }
    async fn location(&self) -> Result<RemoteNetworkLocation> {
        Ok(self.rec()?.location)
    }
    async fn network_type(&self) -> Result<RemoteNetworkType> {
        Ok(self.rec()?.network_type)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn connectors(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ConnectorFilterInput>,
    ) -> Result<ConnectorConnection> {
        let pks = list_connectors(&self.db, Some(self.pk), &filter)?;
        ConnectorConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn resources(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let pks = self.db.resources.iter().filter(|(_, r)| r.remote_network == self.pk).map(|(pk, _)| *pk);
        let pks = list_resources(&self.db, pks, &filter)?;
        ResourceConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl Connector {
    async fn id(&self) -> ID {
        ids::encode("Connector", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn remote_network(&self) -> Result<RemoteNetwork> {
        Ok(RemoteNetwork::new(self.db.clone(), self.rec()?.remote_network))
    }
    async fn state(&self) -> Result<ConnectorState> {
        Ok(self.rec()?.state)
    }
    async fn last_heartbeat_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_heartbeat_at.map(dt))
    }
    async fn hostname(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hostname.clone())
    }
    async fn version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.version.clone())
    }
    #[graphql(name = "publicIP")]
    async fn public_ip(&self) -> Result<Option<String>> {
        Ok(self.rec()?.public_ip.clone())
    }
    #[graphql(name = "privateIPs")]
    async fn private_ips(&self) -> Result<Vec<String>> {
        Ok(self.rec()?.private_ips.clone())
    }
    async fn has_status_notifications_enabled(&self) -> Result<bool> {
        Ok(self.rec()?.has_status_notifications_enabled)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
}

#[Object]
impl NetworkResource {
    async fn id(&self) -> ID {
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
        let p = &self.rec()?.protocols;
        Ok(ResourceProtocols { allow_icmp: p.allow_icmp, tcp: (&p.tcp).into(), udp: (&p.udp).into() })
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

pub struct AccessEdge {
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
pub struct AccessConnection {
    pub edges: Vec<AccessEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[Object]
impl Group {
    async fn id(&self) -> ID {
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
    async fn id(&self) -> ID {
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

#[Object]
impl ServiceAccount {
    async fn id(&self) -> Result<ID> {
        Ok(ids::encode("ServiceAccount", self.rec()?.uuid))
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn resources(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let pks = self.db.resources_of(PrincipalRef::ServiceAccount(self.pk));
        let pks = list_resources(&self.db, pks, &filter)?;
        ResourceConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn keys(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ServiceAccountKeyConnection> {
        let pks = self
            .db
            .service_account_keys
            .iter()
            .filter(|(_, k)| k.service_account == self.pk)
            .map(|(pk, _)| *pk)
            .collect();
        ServiceAccountKeyConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl ServiceAccountKey {
    async fn id(&self) -> Result<ID> {
        Ok(ids::encode("ServiceAccountKey", self.rec()?.uuid))
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn status(&self) -> Result<ServiceAccountKeyStatus> {
        Ok(self.db.key_status(self.rec()?))
    }
    async fn service_account(&self) -> Result<ServiceAccount> {
        Ok(ServiceAccount::new(self.db.clone(), self.rec()?.service_account))
    }
    async fn expires_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.expires_at.map(dt))
    }
    async fn revoked_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.revoked_at.map(dt))
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
}

#[Object]
impl SecurityPolicy {
    async fn id(&self) -> ID {
        ids::encode("SecurityPolicy", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn policy_type(&self) -> Result<SecurityPolicyType> {
        Ok(self.rec()?.policy_type)
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
        let pks = self.db.groups.iter().filter(|(_, g)| g.security_policy == self.pk).map(|(pk, _)| *pk);
        let pks = list_groups(&self.db, pks, &filter)?;
        GroupConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl Device {
    async fn id(&self) -> ID {
        ids::encode("Device", self.pk)
    }
    async fn name(&self) -> Result<Option<String>> {
        Ok(self.rec()?.name.clone())
    }
    async fn user(&self) -> Result<User> {
        Ok(User::new(self.db.clone(), self.rec()?.user))
    }
    async fn is_trusted(&self) -> Result<bool> {
        Ok(self.rec()?.is_trusted)
    }
    async fn active_state(&self) -> Result<DeviceActiveState> {
        Ok(self.rec()?.active_state)
    }
    async fn device_type(&self) -> Result<DeviceType> {
        Ok(self.rec()?.device_type)
    }
    async fn os_name(&self) -> Result<Option<DeviceOsName>> {
        Ok(self.rec()?.os_name)
    }
    async fn os_version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.os_version.clone())
    }
    async fn client_version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.client_version.clone())
    }
    async fn hardware_model(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hardware_model.clone())
    }
    async fn manufacturer_name(&self) -> Result<Option<String>> {
        Ok(self.rec()?.manufacturer_name.clone())
    }
    async fn hostname(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hostname.clone())
    }
    async fn username(&self) -> Result<Option<String>> {
        Ok(self.rec()?.username.clone())
    }
    async fn serial_number(&self) -> Result<Option<String>> {
        Ok(self.rec()?.serial_number.clone())
    }
    async fn last_failed_login_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_failed_login_at.map(dt))
    }
    async fn last_successful_login_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_successful_login_at.map(dt))
    }
}
