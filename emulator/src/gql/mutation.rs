//! `MutationsRoot`: every write. Each mutation runs on a copy of the data via `App::commit`, so
//! an error leaves nothing half-applied.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::DateTime;
use super::objects::*;
use crate::app::{App, MutErr, biz};
use crate::ids;
use crate::model::*;

// ---------------------------------------------------------------------------------------------
// Inputs

#[derive(InputObject, Clone, Debug)]
pub struct PortRangeInput {
    pub start: i32,
    pub end: i32,
}

#[derive(InputObject, Clone, Debug)]
pub struct ProtocolInput {
    pub policy: ProtocolPolicy,
    pub ports: Option<Vec<PortRangeInput>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ProtocolsInput {
    pub allow_icmp: bool,
    pub tcp: ProtocolInput,
    pub udp: ProtocolInput,
}

#[derive(InputObject, Clone, Debug)]
pub struct TagInput {
    pub key: String,
    pub value: String,
}

#[derive(InputObject, Clone, Debug)]
pub struct AccessPolicyInput {
    pub mode: AccessMode,
    pub duration_seconds: Option<i32>,
}

#[derive(InputObject, Clone, Debug)]
pub struct AccessInput {
    pub principal_id: ID,
    pub security_policy_id: MaybeUndefined<ID>,
    pub approval_mode: MaybeUndefined<AccessApprovalMode>,
    pub access_policy: MaybeUndefined<AccessPolicyInput>,
    pub expires_at: MaybeUndefined<DateTime>,
    pub usage_based_autolock_duration_days: MaybeUndefined<i32>,
}

// ---------------------------------------------------------------------------------------------
// Omitted versus null through variables. Per the GraphQL spec an argument (or input field)
// whose value is a variable the request did not provide, and that has no default, is omitted,
// not null. async-graphql reads such a variable as null, so the mutations that care look at the
// raw arguments and put the distinction back.

fn missing_var(ctx: &Context<'_>, value: &async_graphql_value::Value) -> bool {
    let async_graphql_value::Value::Variable(name) = value else { return false };
    let env = &ctx.query_env;
    !env.variables.contains_key(name)
        && env
            .operation
            .node
            .variable_definitions
            .iter()
            .any(|d| d.node.name.node == *name && d.node.default_value.is_none())
}

/// Names of this field's arguments bound to variables the request did not provide.
fn omitted_args(ctx: &Context<'_>) -> HashSet<String> {
    ctx.item.node.arguments.iter().filter(|(_, v)| missing_var(ctx, &v.node)).map(|(n, _)| n.node.to_string()).collect()
}

/// For a list-of-objects argument written inline, the object fields bound to missing variables,
/// per element.
fn omitted_fields_in_list(ctx: &Context<'_>, arg: &str) -> Vec<HashSet<String>> {
    let Some(value) = ctx.item.node.get_argument(arg) else { return Vec::new() };
    let items = match &value.node {
        async_graphql_value::Value::List(items) => items.iter().collect::<Vec<_>>(),
        single @ async_graphql_value::Value::Object(_) => vec![single],
        _ => return Vec::new(),
    };
    items
        .into_iter()
        .map(|item| match item {
            async_graphql_value::Value::Object(fields) => {
                fields.iter().filter(|(_, v)| missing_var(ctx, v)).map(|(n, _)| n.to_string()).collect()
            }
            _ => HashSet::new(),
        })
        .collect()
}

fn unless_omitted<T>(value: MaybeUndefined<T>, name: &str, omitted: &HashSet<String>) -> MaybeUndefined<T> {
    if omitted.contains(name) { MaybeUndefined::Undefined } else { value }
}

impl AccessInput {
    fn drop_omitted(mut self, omitted: Option<&HashSet<String>>) -> Self {
        let Some(o) = omitted else { return self };
        self.security_policy_id = unless_omitted(self.security_policy_id, "securityPolicyId", o);
        self.approval_mode = unless_omitted(self.approval_mode, "approvalMode", o);
        self.access_policy = unless_omitted(self.access_policy, "accessPolicy", o);
        self.expires_at = unless_omitted(self.expires_at, "expiresAt", o);
        self.usage_based_autolock_duration_days =
            unless_omitted(self.usage_based_autolock_duration_days, "usageBasedAutolockDurationDays", o);
        self
    }
}

fn fix_access(ctx: &Context<'_>, access: Vec<AccessInput>) -> Vec<AccessInput> {
    let omitted = omitted_fields_in_list(ctx, "access");
    access.into_iter().enumerate().map(|(i, a)| a.drop_omitted(omitted.get(i))).collect()
}

// ---------------------------------------------------------------------------------------------
// Payloads

macro_rules! payload {
    ($name:ident, $entity:ty) => {
        #[derive(SimpleObject)]
        pub struct $name {
            pub ok: bool,
            pub error: Option<String>,
            pub entity: Option<$entity>,
        }

        impl $name {
            fn from(r: Result<$entity, MutErr>) -> Result<Self> {
                match r {
                    Ok(e) => Ok($name { ok: true, error: None, entity: Some(e) }),
                    Err(MutErr::Biz(m)) => Ok($name { ok: false, error: Some(m), entity: None }),
                    Err(MutErr::Gql(e)) => Err(e),
                }
            }
        }
    };
}

macro_rules! delete_payload {
    ($name:ident) => {
        #[derive(SimpleObject)]
        pub struct $name {
            pub ok: bool,
            pub error: Option<String>,
        }

        impl $name {
            fn from(r: Result<(), MutErr>) -> Result<Self> {
                match r {
                    Ok(()) => Ok($name { ok: true, error: None }),
                    Err(MutErr::Biz(m)) => Ok($name { ok: false, error: Some(m) }),
                    Err(MutErr::Gql(e)) => Err(e),
                }
            }
        }
    };
}

payload!(RemoteNetworkCreateMutation, RemoteNetwork);
payload!(RemoteNetworkUpdateMutation, RemoteNetwork);
delete_payload!(RemoteNetworkDeleteMutation);
payload!(ConnectorCreateMutation, Connector);
payload!(ConnectorUpdateMutation, Connector);
delete_payload!(ConnectorDeleteMutation);
payload!(ResourceCreateMutation, Resource);
payload!(ResourceUpdateMutation, Resource);
delete_payload!(ResourceDeleteMutation);
payload!(ResourceAccessAddMutation, Resource);
payload!(ResourceAccessRemoveMutation, Resource);
payload!(ResourceAccessSetMutation, Resource);
payload!(GroupCreateMutation, Group);
payload!(GroupUpdateMutation, Group);
delete_payload!(GroupDeleteMutation);
payload!(UserCreateMutation, User);
payload!(UserDetailsUpdateMutation, User);
payload!(UserRoleUpdateMutation, User);
delete_payload!(UserDeleteMutation);
payload!(ServiceAccountCreateMutation, ServiceAccount);
payload!(ServiceAccountUpdateMutation, ServiceAccount);
delete_payload!(ServiceAccountDeleteMutation);
payload!(ServiceAccountKeyUpdateMutation, ServiceAccountKey);
payload!(ServiceAccountKeyRevokeMutation, ServiceAccountKey);
delete_payload!(ServiceAccountKeyDeleteMutation);
payload!(SecurityPolicyUpdateMutation, SecurityPolicy);
payload!(DeviceUpdateMutation, Device);
payload!(DeviceArchiveMutation, Device);
payload!(DeviceUnarchiveMutation, Device);
payload!(DeviceBlockMutation, Device);
payload!(DeviceUnblockMutation, Device);

#[derive(SimpleObject)]
pub struct ConnectorGenerateTokensMutation {
    pub ok: bool,
    pub error: Option<String>,
    pub connector_tokens: Option<ConnectorTokens>,
}

#[derive(SimpleObject)]
pub struct ServiceAccountKeyCreateMutation {
    pub ok: bool,
    pub error: Option<String>,
    pub entity: Option<ServiceAccountKey>,
    pub token: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Lookups inside a mutation

#[derive(Clone, Copy)]
enum Kind {
    RemoteNetwork,
    Connector,
    Resource,
    Group,
    User,
    Device,
    SecurityPolicy,
    ServiceAccount,
    ServiceAccountKey,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::RemoteNetwork => "RemoteNetwork",
            Kind::Connector => "Connector",
            Kind::Resource => "Resource",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Device => "Device",
            Kind::SecurityPolicy => "SecurityPolicy",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::ServiceAccountKey => "ServiceAccountKey",
        }
    }
}

/// Resolve `id` as `kind`: malformed → GraphQL error, unknown/other type → `ok:false`.
fn need(db: &Db, id: &str, kind: Kind) -> Result<u64, MutErr> {
    let found = match kind {
        Kind::ServiceAccount => ids::raw_pk(id, kind.name())?.and_then(|u| db.sa_by_uuid(&u)),
        Kind::ServiceAccountKey => ids::raw_pk(id, kind.name())?.and_then(|u| db.key_by_uuid(&u)),
        _ => ids::int_pk(id, kind.name())?.filter(|pk| match kind {
            Kind::RemoteNetwork => db.remote_networks.contains_key(pk),
            Kind::Connector => db.connectors.contains_key(pk),
            Kind::Resource => db.resources.contains_key(pk),
            Kind::Group => db.groups.contains_key(pk),
            Kind::User => db.users.contains_key(pk),
            Kind::Device => db.devices.contains_key(pk),
            Kind::SecurityPolicy => db.security_policies.contains_key(pk),
            Kind::ServiceAccount | Kind::ServiceAccountKey => false,
        }),
    };
    found.ok_or_else(|| MutErr::Biz(ids::not_found(kind.name(), id)))
}

fn need_all(db: &Db, list: &[ID], kind: Kind) -> Result<Vec<u64>, MutErr> {
    let mut out = Vec::with_capacity(list.len());
    for id in list {
        let pk = need(db, id, kind)?;
        if !out.contains(&pk) {
            out.push(pk);
        }
    }
    Ok(out)
}

fn need_principal(db: &Db, id: &str) -> Result<PrincipalRef, MutErr> {
    let (ty, _) = ids::decode(id).ok_or_else(|| async_graphql::Error::new(ids::PARSE_ERROR))?;
    match ty.as_str() {
        "Group" => Ok(PrincipalRef::Group(need(db, id, Kind::Group)?)),
        "ServiceAccount" => Ok(PrincipalRef::ServiceAccount(need(db, id, Kind::ServiceAccount)?)),
        _ => biz(ids::not_found("Principal", id)),
    }
}

fn app<'a>(ctx: &Context<'a>) -> Result<&'a Arc<App>> {
    ctx.data::<Arc<App>>()
}

fn non_blank(value: &str, what: &str) -> Result<String, MutErr> {
    let v = value.trim();
    if v.is_empty() {
        return biz(format!("{what} can't be blank"));
    }
    Ok(v.to_string())
}

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

// ---------------------------------------------------------------------------------------------
// Resources

fn protocols_from(input: &ProtocolsInput) -> ProtocolsRec {
    let conv = |p: &ProtocolInput| ProtocolRec {
        policy: p.policy,
        ports: match p.policy {
            // Ports only mean something with RESTRICTED (clients send `ports: []` otherwise).
            ProtocolPolicy::AllowAll => Vec::new(),
            ProtocolPolicy::Restricted => {
                p.ports.iter().flatten().map(|r| PortRangeRec { start: r.start, end: r.end }).collect()
            }
        },
    };
    ProtocolsRec { allow_icmp: input.allow_icmp, tcp: conv(&input.tcp), udp: conv(&input.udp) }
}

fn is_wildcard(address: &str) -> bool {
    address.contains('*') || address.contains('?')
}

fn is_cidr(address: &str) -> bool {
    address.contains('/')
}

fn validate_resource(db: &Db, r: &ResourceRec) -> Result<(), MutErr> {
    if r.name.trim().is_empty() {
        return biz("Name can't be blank");
    }
    if r.address.trim().is_empty() || r.address.contains(char::is_whitespace) {
        return biz(format!("Invalid address '{}'", r.address));
    }
    if !db.remote_networks.contains_key(&r.remote_network) {
        return biz(ids::not_found("RemoteNetwork", &ids::encode("RemoteNetwork", r.remote_network)));
    }
    for (proto, p) in [("TCP", &r.protocols.tcp), ("UDP", &r.protocols.udp)] {
        for range in &p.ports {
            if !(1..=65535).contains(&range.start) || !(1..=65535).contains(&range.end) || range.start > range.end {
                return biz(format!(
                    "Invalid {proto} port range {}-{}: ports must be between 1 and 65535 and the \
                     start must not be greater than the end",
                    range.start, range.end
                ));
            }
        }
    }
    if r.is_browser_shortcut_enabled && (is_cidr(&r.address) || is_wildcard(&r.address)) {
        return biz("Resources with a CIDR range or wildcard can't have the browser shortcut enabled");
    }
    if r.routing_mode == Some(RoutingMode::BypassTwingate) {
        if is_wildcard(&r.address) {
            return biz("Bypass Resources cannot have a wildcard address");
        }
        if r.protocols.tcp.policy == ProtocolPolicy::Restricted || r.protocols.udp.policy == ProtocolPolicy::Restricted
        {
            return biz("Bypass Resources cannot have port restrictions");
        }
        if r.security_policy.is_some() {
            return biz("Bypass Resources cannot have a security policy");
        }
    }
    if let Some(ap) = &r.access_policy
        && ap.duration_seconds.is_some_and(|d| d <= 0)
    {
        return biz("The access policy duration must be positive");
    }
    Ok(())
}

/// Add or update one access edge on a resource from an `AccessInput`.
fn upsert_access(db: &Db, r: &mut ResourceRec, input: &AccessInput) -> Result<(), MutErr> {
    let principal = need_principal(db, &input.principal_id)?;
    if matches!(principal, PrincipalRef::ServiceAccount(_))
        && (input.security_policy_id.is_value() || input.expires_at.is_value())
    {
        return biz("Service accounts can't have a security policy or an expiration on their access");
    }
    let policy = match &input.security_policy_id {
        MaybeUndefined::Value(id) => MaybeUndefined::Value(need(db, id, Kind::SecurityPolicy)?),
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    };
    let idx = match r.access.iter().position(|a| a.principal == principal) {
        Some(i) => i,
        None => {
            r.access.push(AccessRec::bare(principal));
            r.access.len() - 1
        }
    };
    let edge = &mut r.access[idx];
    fn apply<T: Clone, U>(slot: &mut Option<U>, v: &MaybeUndefined<T>, f: impl Fn(&T) -> U) {
        match v {
            MaybeUndefined::Value(v) => *slot = Some(f(v)),
            MaybeUndefined::Null => *slot = None,
            MaybeUndefined::Undefined => {}
        }
    }
    apply(&mut edge.security_policy, &policy, |pk| *pk);
    apply(&mut edge.expires_at, &input.expires_at, |d| d.0);
    apply(&mut edge.approval_mode, &input.approval_mode, |m| *m);
    apply(&mut edge.access_policy, &input.access_policy, |p| AccessPolicyRec {
        mode: p.mode,
        duration_seconds: p.duration_seconds,
    });
    apply(&mut edge.usage_based_autolock_duration_days, &input.usage_based_autolock_duration_days, |d| *d);
    Ok(())
}

/// Give `principal` access to each resource in `add` (keeping existing edges) and take it
/// away from each in `remove`.
fn edit_edges(db: &mut Db, principal: PrincipalRef, add: &[u64], remove: &[u64], now: Timestamp) {
    for pk in remove {
        if let Some(r) = db.resources.get_mut(pk) {
            let before = r.access.len();
            r.access.retain(|a| a.principal != principal);
            if r.access.len() != before {
                r.updated_at = now;
            }
        }
    }
    for pk in add {
        if let Some(r) = db.resources.get_mut(pk)
            && !r.access.iter().any(|a| a.principal == principal)
        {
            r.access.push(AccessRec::bare(principal));
            r.updated_at = now;
        }
    }
}

/// Apply replace (`set`) then delta (`added`, `removed`) resource lists for a principal.
fn edit_principal_resources(
    db: &mut Db,
    principal: PrincipalRef,
    set: &Option<Vec<ID>>,
    added: &Option<Vec<ID>>,
    removed: &Option<Vec<ID>>,
    now: Timestamp,
) -> Result<(), MutErr> {
    if let Some(set) = set {
        let keep = need_all(db, set, Kind::Resource)?;
        let drop: Vec<u64> = db.resources_of(principal).into_iter().filter(|pk| !keep.contains(pk)).collect();
        edit_edges(db, principal, &keep, &drop, now);
    }
    if let Some(added) = added {
        let add = need_all(db, added, Kind::Resource)?;
        edit_edges(db, principal, &add, &[], now);
    }
    if let Some(removed) = removed {
        let rm = need_all(db, removed, Kind::Resource)?;
        edit_edges(db, principal, &[], &rm, now);
    }
    Ok(())
}

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

#[derive(serde::Serialize)]
struct ServiceKeyJson<'a> {
    version: &'a str,
    network: String,
    service_account_id: String,
    private_key: &'a str,
    key_id: String,
    expires_at: Option<String>,
    login_path: &'a str,
}

// ---------------------------------------------------------------------------------------------

pub struct MutationsRoot;

#[Object]
impl MutationsRoot {
    // ----- remote networks

    async fn remote_network_create(
        &self,
        ctx: &Context<'_>,
        name: String,
        is_active: Option<bool>,
        location: Option<RemoteNetworkLocation>,
        network_type: Option<RemoteNetworkType>,
    ) -> Result<RemoteNetworkCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("remoteNetworkCreate"), |db| {
            let name = non_blank(&name, "Name")?;
            let now = db.now();
            let pk = db.alloc_pk();
            db.remote_networks.insert(
                pk,
                RemoteNetworkRec {
                    name,
                    is_active: is_active.unwrap_or(true),
                    location: location.unwrap_or(RemoteNetworkLocation::Other),
                    network_type: network_type.unwrap_or(RemoteNetworkType::Regular),
                    created_at: now,
                    updated_at: now,
                },
            );
            Ok(pk)
        });
        RemoteNetworkCreateMutation::from(r.map(|pk| RemoteNetwork::new(db, pk)))
    }

    async fn remote_network_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        is_active: Option<bool>,
        location: Option<RemoteNetworkLocation>,
    ) -> Result<RemoteNetworkUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("remoteNetworkUpdate"), |db| {
            let pk = need(db, &id, Kind::RemoteNetwork)?;
            let name = name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let rec = db.remote_networks.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                rec.name = name;
            }
            if let Some(a) = is_active {
                rec.is_active = a;
            }
            if let Some(l) = location {
                rec.location = l;
            }
            rec.updated_at = now;
            Ok(pk)
        });
        RemoteNetworkUpdateMutation::from(r.map(|pk| RemoteNetwork::new(db, pk)))
    }

    async fn remote_network_delete(&self, ctx: &Context<'_>, id: ID) -> Result<RemoteNetworkDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("remoteNetworkDelete"), |db| {
            let pk = need(db, &id, Kind::RemoteNetwork)?;
            db.remote_networks.remove(&pk);
            db.connectors.retain(|_, c| c.remote_network != pk);
            db.resources.retain(|_, r| r.remote_network != pk);
            Ok(())
        });
        RemoteNetworkDeleteMutation::from(r)
    }

    // ----- connectors

    async fn connector_create(
        &self,
        ctx: &Context<'_>,
        remote_network_id: ID,
        name: Option<String>,
        has_status_notifications_enabled: Option<bool>,
    ) -> Result<ConnectorCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("connectorCreate"), |db| {
            let network = need(db, &remote_network_id, Kind::RemoteNetwork)?;
            let name = match name.as_deref().map(str::trim) {
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
                    has_status_notifications_enabled: has_status_notifications_enabled.unwrap_or(true),
                    created_at: now,
                    updated_at: now,
                    tokens: None,
                },
            );
            Ok(pk)
        });
        ConnectorCreateMutation::from(r.map(|pk| Connector::new(db, pk)))
    }

    async fn connector_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        has_status_notifications_enabled: Option<bool>,
    ) -> Result<ConnectorUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("connectorUpdate"), |db| {
            let pk = need(db, &id, Kind::Connector)?;
            let name = name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let rec = db.connectors.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                rec.name = name;
            }
            if let Some(n) = has_status_notifications_enabled {
                rec.has_status_notifications_enabled = n;
            }
            rec.updated_at = now;
            Ok(pk)
        });
        ConnectorUpdateMutation::from(r.map(|pk| Connector::new(db, pk)))
    }

    async fn connector_delete(&self, ctx: &Context<'_>, id: ID) -> Result<ConnectorDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("connectorDelete"), |db| {
            let pk = need(db, &id, Kind::Connector)?;
            db.connectors.remove(&pk);
            Ok(())
        });
        ConnectorDeleteMutation::from(r)
    }

    async fn connector_generate_tokens(
        &self,
        ctx: &Context<'_>,
        connector_id: ID,
    ) -> Result<ConnectorGenerateTokensMutation> {
        let tokens = (opaque_token(), opaque_token());
        let (_, r) = app(ctx)?.commit(Some("connectorGenerateTokens"), |db| {
            let pk = need(db, &connector_id, Kind::Connector)?;
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

    // ----- resources

    #[allow(clippy::too_many_arguments)]
    async fn resource_create(
        &self,
        ctx: &Context<'_>,
        name: String,
        address: String,
        remote_network_id: ID,
        protocols: Option<ProtocolsInput>,
        is_visible: Option<bool>,
        is_browser_shortcut_enabled: Option<bool>,
        alias: Option<String>,
        security_policy_id: Option<ID>,
        routing_mode: Option<RoutingMode>,
        tags: Option<Vec<TagInput>>,
        approval_mode: Option<AccessApprovalMode>,
        access_policy: Option<AccessPolicyInput>,
    ) -> Result<ResourceCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("resourceCreate"), |db| {
            let network = need(db, &remote_network_id, Kind::RemoteNetwork)?;
            let policy = security_policy_id.as_ref().map(|id| need(db, id, Kind::SecurityPolicy)).transpose()?;
            let now = db.now();
            let rec = ResourceRec {
                name: name.trim().to_string(),
                address: address.trim().to_string(),
                remote_network: network,
                protocols: protocols.as_ref().map(protocols_from).unwrap_or_default(),
                is_active: true,
                is_visible: is_visible.unwrap_or(true),
                is_browser_shortcut_enabled: is_browser_shortcut_enabled.unwrap_or(false),
                alias: alias.filter(|a| !a.trim().is_empty()),
                security_policy: policy,
                tags: tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)).collect(),
                approval_mode,
                access_policy: access_policy
                    .map(|p| AccessPolicyRec { mode: p.mode, duration_seconds: p.duration_seconds }),
                routing_mode: Some(routing_mode.unwrap_or(RoutingMode::ThroughTwingate)),
                created_at: now,
                updated_at: now,
                access: Vec::new(),
            };
            validate_resource(db, &rec)?;
            let pk = db.alloc_pk();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceCreateMutation::from(r.map(|pk| Resource::new(db, pk)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn resource_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: MaybeUndefined<String>,
        address: MaybeUndefined<String>,
        remote_network_id: MaybeUndefined<ID>,
        protocols: MaybeUndefined<ProtocolsInput>,
        is_active: MaybeUndefined<bool>,
        is_visible: MaybeUndefined<bool>,
        is_browser_shortcut_enabled: MaybeUndefined<bool>,
        alias: MaybeUndefined<String>,
        security_policy_id: MaybeUndefined<ID>,
        routing_mode: MaybeUndefined<RoutingMode>,
        tags: MaybeUndefined<Vec<TagInput>>,
        approval_mode: MaybeUndefined<AccessApprovalMode>,
        access_policy: MaybeUndefined<AccessPolicyInput>,
    ) -> Result<ResourceUpdateMutation> {
        let o = omitted_args(ctx);
        let name = unless_omitted(name, "name", &o);
        let address = unless_omitted(address, "address", &o);
        let remote_network_id = unless_omitted(remote_network_id, "remoteNetworkId", &o);
        let protocols = unless_omitted(protocols, "protocols", &o);
        let is_active = unless_omitted(is_active, "isActive", &o);
        let is_visible = unless_omitted(is_visible, "isVisible", &o);
        let is_browser_shortcut_enabled = unless_omitted(is_browser_shortcut_enabled, "isBrowserShortcutEnabled", &o);
        let alias = unless_omitted(alias, "alias", &o);
        let security_policy_id = unless_omitted(security_policy_id, "securityPolicyId", &o);
        let routing_mode = unless_omitted(routing_mode, "routingMode", &o);
        let tags = unless_omitted(tags, "tags", &o);
        let approval_mode = unless_omitted(approval_mode, "approvalMode", &o);
        let access_policy = unless_omitted(access_policy, "accessPolicy", &o);
        let (db, r) = app(ctx)?.commit(Some("resourceUpdate"), |db| {
            let pk = need(db, &id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            // Non-nullable fields: an explicit null leaves them alone, like an omitted one.
            if let MaybeUndefined::Value(n) = &name {
                rec.name = n.trim().to_string();
            }
            if let MaybeUndefined::Value(a) = &address {
                rec.address = a.trim().to_string();
            }
            if let MaybeUndefined::Value(n) = &remote_network_id {
                rec.remote_network = need(db, n, Kind::RemoteNetwork)?;
            }
            match &protocols {
                MaybeUndefined::Value(p) => rec.protocols = protocols_from(p),
                MaybeUndefined::Null => rec.protocols = ProtocolsRec::default(),
                MaybeUndefined::Undefined => {}
            }
            if let MaybeUndefined::Value(v) = is_active {
                rec.is_active = v;
            }
            if let MaybeUndefined::Value(v) = is_visible {
                rec.is_visible = v;
            }
            if let MaybeUndefined::Value(v) = is_browser_shortcut_enabled {
                rec.is_browser_shortcut_enabled = v;
            }
            match &alias {
                MaybeUndefined::Value(a) if !a.trim().is_empty() => rec.alias = Some(a.clone()),
                MaybeUndefined::Value(_) | MaybeUndefined::Null => rec.alias = None,
                MaybeUndefined::Undefined => {}
            }
            match &security_policy_id {
                MaybeUndefined::Value(p) => rec.security_policy = Some(need(db, p, Kind::SecurityPolicy)?),
                MaybeUndefined::Null => rec.security_policy = None,
                MaybeUndefined::Undefined => {}
            }
            match routing_mode {
                MaybeUndefined::Value(m) => rec.routing_mode = Some(m),
                MaybeUndefined::Null => rec.routing_mode = Some(RoutingMode::ThroughTwingate),
                MaybeUndefined::Undefined => {}
            }
            match &tags {
                MaybeUndefined::Value(t) => rec.tags = t.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
                MaybeUndefined::Null => rec.tags.clear(),
                MaybeUndefined::Undefined => {}
            }
            match approval_mode {
                MaybeUndefined::Value(m) => rec.approval_mode = Some(m),
                MaybeUndefined::Null => rec.approval_mode = None,
                MaybeUndefined::Undefined => {}
            }
            match &access_policy {
                MaybeUndefined::Value(p) => {
                    rec.access_policy = Some(AccessPolicyRec { mode: p.mode, duration_seconds: p.duration_seconds })
                }
                MaybeUndefined::Null => rec.access_policy = None,
                MaybeUndefined::Undefined => {}
            }
            validate_resource(db, &rec)?;
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceUpdateMutation::from(r.map(|pk| Resource::new(db, pk)))
    }

    async fn resource_delete(&self, ctx: &Context<'_>, id: ID) -> Result<ResourceDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("resourceDelete"), |db| {
            let pk = need(db, &id, Kind::Resource)?;
            db.resources.remove(&pk);
            Ok(())
        });
        ResourceDeleteMutation::from(r)
    }

    async fn resource_access_add(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        access: Vec<AccessInput>,
    ) -> Result<ResourceAccessAddMutation> {
        let access = fix_access(ctx, access);
        let (db, r) = app(ctx)?.commit(Some("resourceAccessAdd"), |db| {
            let pk = need(db, &resource_id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            for input in &access {
                upsert_access(db, &mut rec, input)?;
            }
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceAccessAddMutation::from(r.map(|pk| Resource::new(db, pk)))
    }

    async fn resource_access_remove(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        principal_ids: Vec<ID>,
    ) -> Result<ResourceAccessRemoveMutation> {
        let (db, r) = app(ctx)?.commit(Some("resourceAccessRemove"), |db| {
            let pk = need(db, &resource_id, Kind::Resource)?;
            let mut principals = Vec::new();
            for id in &principal_ids {
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

    async fn resource_access_set(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        access: Vec<AccessInput>,
    ) -> Result<ResourceAccessSetMutation> {
        let access = fix_access(ctx, access);
        let (db, r) = app(ctx)?.commit(Some("resourceAccessSet"), |db| {
            let pk = need(db, &resource_id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            rec.access.clear();
            for input in &access {
                upsert_access(db, &mut rec, input)?;
            }
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceAccessSetMutation::from(r.map(|pk| Resource::new(db, pk)))
    }

    // ----- groups

    async fn group_create(
        &self,
        ctx: &Context<'_>,
        name: String,
        user_ids: Option<Vec<ID>>,
        resource_ids: Option<Vec<ID>>,
        security_policy_id: Option<ID>,
    ) -> Result<GroupCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("groupCreate"), |db| {
            let name = non_blank(&name, "Name")?;
            let users = need_all(db, user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let policy = match &security_policy_id {
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
            edit_principal_resources(db, PrincipalRef::Group(pk), &resource_ids, &None, &None, now)?;
            Ok(pk)
        });
        GroupCreateMutation::from(r.map(|pk| Group::new(db, pk)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn group_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        is_active: Option<bool>,
        security_policy_id: MaybeUndefined<ID>,
        user_ids: Option<Vec<ID>>,
        added_user_ids: Option<Vec<ID>>,
        removed_user_ids: Option<Vec<ID>>,
        resource_ids: Option<Vec<ID>>,
        added_resource_ids: Option<Vec<ID>>,
        removed_resource_ids: Option<Vec<ID>>,
    ) -> Result<GroupUpdateMutation> {
        let security_policy_id = unless_omitted(security_policy_id, "securityPolicyId", &omitted_args(ctx));
        let (db, r) = app(ctx)?.commit(Some("groupUpdate"), |db| {
            let pk = need(db, &id, Kind::Group)?;
            require_manual(db, pk)?;
            let name = name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let policy = match &security_policy_id {
                MaybeUndefined::Value(p) => Some(need(db, p, Kind::SecurityPolicy)?),
                MaybeUndefined::Null => Some(db.default_policy()),
                MaybeUndefined::Undefined => None,
            };
            let set = user_ids.as_deref().map(|l| need_all(db, l, Kind::User)).transpose()?;
            let add = need_all(db, added_user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let rm = need_all(db, removed_user_ids.as_deref().unwrap_or_default(), Kind::User)?;
            let now = db.now();
            let g = db.groups.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                g.name = name;
            }
            if let Some(a) = is_active {
                g.is_active = a;
            }
            if let Some(p) = policy {
                g.security_policy = p;
            }
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
            edit_principal_resources(
                db,
                PrincipalRef::Group(pk),
                &resource_ids,
                &added_resource_ids,
                &removed_resource_ids,
                now,
            )?;
            Ok(pk)
        });
        GroupUpdateMutation::from(r.map(|pk| Group::new(db, pk)))
    }

    async fn group_delete(&self, ctx: &Context<'_>, id: ID) -> Result<GroupDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("groupDelete"), |db| {
            let pk = need(db, &id, Kind::Group)?;
            require_manual(db, pk)?;
            db.groups.remove(&pk);
            for r in db.resources.values_mut() {
                r.access.retain(|a| a.principal != PrincipalRef::Group(pk));
            }
            Ok(())
        });
        GroupDeleteMutation::from(r)
    }

    // ----- users

    async fn user_create(
        &self,
        ctx: &Context<'_>,
        email: String,
        first_name: Option<String>,
        last_name: Option<String>,
        role: Option<UserRole>,
        should_send_invite: Option<bool>,
    ) -> Result<UserCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("userCreate"), |db| {
            let email = email.trim().to_string();
            let valid = email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !email.contains(char::is_whitespace));
            if !valid {
                return biz(format!("'{email}' is not a valid email address"));
            }
            if db.users.values().any(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email))) {
                return biz(format!("A user with email '{email}' already exists"));
            }
            let now = db.now();
            let pk = db.alloc_pk();
            db.users.insert(
                pk,
                UserRec {
                    email: Some(email.clone()),
                    first_name: first_name.unwrap_or_default(),
                    last_name: last_name.unwrap_or_default(),
                    avatar_url: None,
                    role: role.unwrap_or(UserRole::Member),
                    state: UserState::Pending,
                    user_type: UserType::Manual,
                    created_at: now,
                    updated_at: now,
                },
            );
            if should_send_invite == Some(true) {
                db.invitations.push(InvitationRec { user: pk, email, sent_at: now });
            }
            Ok(pk)
        });
        UserCreateMutation::from(r.map(|pk| User::new(db, pk)))
    }

    async fn user_details_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        first_name: Option<String>,
        last_name: Option<String>,
        state: Option<UserStateUpdateInput>,
    ) -> Result<UserDetailsUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("userDetailsUpdate"), |db| {
            let pk = need(db, &id, Kind::User)?;
            let now = db.now();
            let u = db.users.get_mut(&pk).expect("checked");
            if let Some(state) = state {
                if u.state == UserState::Pending {
                    return biz("User in PENDING state");
                }
                u.state = match state {
                    UserStateUpdateInput::Active => UserState::Active,
                    UserStateUpdateInput::Disabled => UserState::Disabled,
                };
            }
            if let Some(f) = first_name {
                u.first_name = f;
            }
            if let Some(l) = last_name {
                u.last_name = l;
            }
            u.updated_at = now;
            Ok(pk)
        });
        UserDetailsUpdateMutation::from(r.map(|pk| User::new(db, pk)))
    }

    async fn user_role_update(&self, ctx: &Context<'_>, id: ID, role: UserRole) -> Result<UserRoleUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("userRoleUpdate"), |db| {
            let pk = need(db, &id, Kind::User)?;
            let now = db.now();
            let u = db.users.get_mut(&pk).expect("checked");
            u.role = role;
            u.updated_at = now;
            Ok(pk)
        });
        UserRoleUpdateMutation::from(r.map(|pk| User::new(db, pk)))
    }

    async fn user_delete(&self, ctx: &Context<'_>, id: ID) -> Result<UserDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("userDelete"), |db| {
            let pk = need(db, &id, Kind::User)?;
            db.users.remove(&pk);
            for g in db.groups.values_mut() {
                g.users.retain(|u| *u != pk);
            }
            db.devices.retain(|_, d| d.user != pk);
            Ok(())
        });
        UserDeleteMutation::from(r)
    }

    // ----- service accounts and keys

    async fn service_account_create(
        &self,
        ctx: &Context<'_>,
        name: String,
        resource_ids: Option<Vec<ID>>,
    ) -> Result<ServiceAccountCreateMutation> {
        let (db, r) = app(ctx)?.commit(Some("serviceAccountCreate"), |db| {
            let name = non_blank(&name, "Name")?;
            let now = db.now();
            let pk = db.alloc_pk();
            db.service_accounts
                .insert(pk, ServiceAccountRec { uuid: Uuid::new_v4(), name, created_at: now, updated_at: now });
            let p = PrincipalRef::ServiceAccount(pk);
            edit_principal_resources(db, p, &resource_ids, &None, &None, now)?;
            Ok(pk)
        });
        ServiceAccountCreateMutation::from(r.map(|pk| ServiceAccount::new(db, pk)))
    }

    async fn service_account_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        resource_ids: Option<Vec<ID>>,
        added_resource_ids: Option<Vec<ID>>,
        removed_resource_ids: Option<Vec<ID>>,
    ) -> Result<ServiceAccountUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("serviceAccountUpdate"), |db| {
            let pk = need(db, &id, Kind::ServiceAccount)?;
            let name = name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let now = db.now();
            let sa = db.service_accounts.get_mut(&pk).expect("checked");
            if let Some(name) = name {
                sa.name = name;
            }
            sa.updated_at = now;
            edit_principal_resources(
                db,
                PrincipalRef::ServiceAccount(pk),
                &resource_ids,
                &added_resource_ids,
                &removed_resource_ids,
                now,
            )?;
            Ok(pk)
        });
        ServiceAccountUpdateMutation::from(r.map(|pk| ServiceAccount::new(db, pk)))
    }

    async fn service_account_delete(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceAccountDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("serviceAccountDelete"), |db| {
            let pk = need(db, &id, Kind::ServiceAccount)?;
            db.service_accounts.remove(&pk);
            db.service_account_keys.retain(|_, k| k.service_account != pk);
            for r in db.resources.values_mut() {
                r.access.retain(|a| a.principal != PrincipalRef::ServiceAccount(pk));
            }
            Ok(())
        });
        ServiceAccountDeleteMutation::from(r)
    }

    async fn service_account_key_create(
        &self,
        ctx: &Context<'_>,
        service_account_id: ID,
        expiration_time: i32,
        name: Option<String>,
    ) -> Result<ServiceAccountKeyCreateMutation> {
        let (private_pem, public_pem) = crate::login::generate_key()
            .map_err(|e| async_graphql::Error::new(format!("key generation failed: {e}")))?;
        let (db, r) = app(ctx)?.commit(Some("serviceAccountKeyCreate"), |db| {
            let sa = need(db, &service_account_id, Kind::ServiceAccount)?;
            if !(0..=365).contains(&expiration_time) {
                return biz("A value from 0-365 is required.");
            }
            let now = db.now();
            let expires_at = (expiration_time > 0)
                .then(|| now.checked_add(SignedDuration::from_hours(24 * i64::from(expiration_time))))
                .transpose()
                .map_err(|e| MutErr::Biz(e.to_string()))?;
            let pk = db.alloc_pk();
            let uuid = Uuid::new_v4();
            let name = match name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => format!("{} key {}", db.service_accounts[&sa].name, &uuid.to_string()[..8]),
            };
            let sa_uuid = db.service_accounts[&sa].uuid;
            db.service_account_keys.insert(
                pk,
                KeyRec {
                    uuid,
                    name,
                    service_account: sa,
                    public_key_pem: public_pem.clone(),
                    expires_at,
                    revoked_at: None,
                    created_at: now,
                    updated_at: now,
                },
            );
            let token = ServiceKeyJson {
                version: "1",
                network: format!("{}.twingate.com", db.network),
                service_account_id: sa_uuid.to_string(),
                private_key: &private_pem,
                key_id: uuid.to_string(),
                expires_at: expires_at.map(format_ts),
                login_path: crate::login::LOGIN_PATH,
            };
            let token = serde_json::to_string(&token).map_err(|e| MutErr::Biz(e.to_string()))?;
            Ok((pk, token))
        });
        Ok(match r {
            Ok((pk, token)) => ServiceAccountKeyCreateMutation {
                ok: true,
                error: None,
                entity: Some(ServiceAccountKey::new(db, pk)),
                token: Some(token),
            },
            Err(MutErr::Biz(m)) => {
                ServiceAccountKeyCreateMutation { ok: false, error: Some(m), entity: None, token: None }
            }
            Err(MutErr::Gql(e)) => return Err(e),
        })
    }

    async fn service_account_key_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<ServiceAccountKeyUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("serviceAccountKeyUpdate"), |db| {
            let pk = need(db, &id, Kind::ServiceAccountKey)?;
            let name = non_blank(&name, "Name")?;
            match db.key_status(&db.service_account_keys[&pk]) {
                ServiceAccountKeyStatus::Active => {}
                ServiceAccountKeyStatus::Revoked => {
                    return biz("Only an active Service Key can be renamed; this key is revoked");
                }
                ServiceAccountKeyStatus::Expired => {
                    return biz("Only an active Service Key can be renamed; this key has expired");
                }
            }
            let now = db.now();
            let k = db.service_account_keys.get_mut(&pk).expect("checked");
            k.name = name;
            k.updated_at = now;
            Ok(pk)
        });
        ServiceAccountKeyUpdateMutation::from(r.map(|pk| ServiceAccountKey::new(db, pk)))
    }

    async fn service_account_key_revoke(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceAccountKeyRevokeMutation> {
        let (db, r) = app(ctx)?.commit(Some("serviceAccountKeyRevoke"), |db| {
            let pk = need(db, &id, Kind::ServiceAccountKey)?;
            match db.key_status(&db.service_account_keys[&pk]) {
                ServiceAccountKeyStatus::Active => {}
                ServiceAccountKeyStatus::Revoked => {
                    return biz("Service Key is already revoked");
                }
                ServiceAccountKeyStatus::Expired => {
                    return biz("Service Key has expired and can't be revoked");
                }
            }
            let now = db.now();
            let k = db.service_account_keys.get_mut(&pk).expect("checked");
            k.revoked_at = Some(now);
            k.updated_at = now;
            Ok(pk)
        });
        ServiceAccountKeyRevokeMutation::from(r.map(|pk| ServiceAccountKey::new(db, pk)))
    }

    async fn service_account_key_delete(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceAccountKeyDeleteMutation> {
        let (_, r) = app(ctx)?.commit(Some("serviceAccountKeyDelete"), |db| {
            let pk = need(db, &id, Kind::ServiceAccountKey)?;
            if db.key_status(&db.service_account_keys[&pk]) == ServiceAccountKeyStatus::Active {
                return biz("Service Key must be revoked before it can be deleted");
            }
            db.service_account_keys.remove(&pk);
            Ok(())
        });
        ServiceAccountKeyDeleteMutation::from(r)
    }

    // ----- security policies

    async fn security_policy_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        group_ids: Option<Vec<ID>>,
        added_group_ids: Option<Vec<ID>>,
        removed_group_ids: Option<Vec<ID>>,
    ) -> Result<SecurityPolicyUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("securityPolicyUpdate"), |db| {
            let pk = need(db, &id, Kind::SecurityPolicy)?;
            let set = group_ids.as_deref().map(|l| need_all(db, l, Kind::Group)).transpose()?;
            let add = need_all(db, added_group_ids.as_deref().unwrap_or_default(), Kind::Group)?;
            let rm = need_all(db, removed_group_ids.as_deref().unwrap_or_default(), Kind::Group)?;
            let default = db.default_policy();
            let now = db.now();
            let assign = |db: &mut Db, g: u64, policy: u64| {
                if let Some(g) = db.groups.get_mut(&g)
                    && g.security_policy != policy
                {
                    g.security_policy = policy;
                    g.updated_at = now;
                }
            };
            if let Some(set) = set {
                let current: Vec<u64> =
                    db.groups.iter().filter(|(_, g)| g.security_policy == pk).map(|(g, _)| *g).collect();
                for g in current.into_iter().filter(|g| !set.contains(g)) {
                    assign(db, g, default);
                }
                for g in set {
                    assign(db, g, pk);
                }
            }
            for g in add {
                assign(db, g, pk);
            }
            for g in rm {
                if db.groups[&g].security_policy == pk {
                    assign(db, g, default);
                }
            }
            let p = db.security_policies.get_mut(&pk).expect("checked");
            p.updated_at = now;
            Ok(pk)
        });
        SecurityPolicyUpdateMutation::from(r.map(|pk| SecurityPolicy::new(db, pk)))
    }

    // ----- devices

    async fn device_update(&self, ctx: &Context<'_>, id: ID, is_trusted: bool) -> Result<DeviceUpdateMutation> {
        let (db, r) = app(ctx)?.commit(Some("deviceUpdate"), |db| {
            let pk = need(db, &id, Kind::Device)?;
            db.devices.get_mut(&pk).expect("checked").is_trusted = is_trusted;
            Ok(pk)
        });
        DeviceUpdateMutation::from(r.map(|pk| Device::new(db, pk)))
    }

    async fn device_archive(&self, ctx: &Context<'_>, id: ID) -> Result<DeviceArchiveMutation> {
        let (db, r) = app(ctx)?.commit(Some("deviceArchive"), |db| {
            device_state(db, &id, &[DeviceActiveState::Active, DeviceActiveState::Blocked], DeviceActiveState::Archived)
        });
        DeviceArchiveMutation::from(r.map(|pk| Device::new(db, pk)))
    }

    async fn device_unarchive(&self, ctx: &Context<'_>, id: ID) -> Result<DeviceUnarchiveMutation> {
        let (db, r) = app(ctx)?.commit(Some("deviceUnarchive"), |db| {
            device_state(db, &id, &[DeviceActiveState::Archived], DeviceActiveState::Active)
        });
        DeviceUnarchiveMutation::from(r.map(|pk| Device::new(db, pk)))
    }

    async fn device_block(&self, ctx: &Context<'_>, id: ID) -> Result<DeviceBlockMutation> {
        let (db, r) = app(ctx)?.commit(Some("deviceBlock"), |db| {
            device_state(db, &id, &[DeviceActiveState::Active, DeviceActiveState::Archived], DeviceActiveState::Blocked)
        });
        DeviceBlockMutation::from(r.map(|pk| Device::new(db, pk)))
    }

    async fn device_unblock(&self, ctx: &Context<'_>, id: ID) -> Result<DeviceUnblockMutation> {
        let (db, r) = app(ctx)?.commit(Some("deviceUnblock"), |db| {
            device_state(db, &id, &[DeviceActiveState::Blocked], DeviceActiveState::Active)
        });
        DeviceUnblockMutation::from(r.map(|pk| Device::new(db, pk)))
    }
}

fn state_name(s: DeviceActiveState) -> &'static str {
    match s {
        DeviceActiveState::Active => "ACTIVE",
        DeviceActiveState::Archived => "ARCHIVED",
        DeviceActiveState::Blocked => "BLOCKED",
    }
}

fn device_state(db: &mut Db, id: &str, from: &[DeviceActiveState], to: DeviceActiveState) -> Result<u64, MutErr> {
    let pk = need(db, id, Kind::Device)?;
    let d = db.devices.get_mut(&pk).expect("checked");
    if !from.contains(&d.active_state) {
        return biz(format!("Device is {}; it can't become {}", state_name(d.active_state), state_name(to)));
    }
    d.active_state = to;
    Ok(pk)
}
