//! `resourceCreate`, `resourceUpdate`, `resourceDelete`, and the rules a resource must follow.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, MergedObject, Result};

use super::grants::edit_resource_groups;
use super::inputs::{AccessPolicyInput, ProtocolsInput, TagInput};
use super::{IdList, Kind, MutErr, Mutation, MutationField, biz, delete_payload, need, payload, store};
use crate::gql::objects::NetworkResource;
use crate::ids;
use crate::model::*;

// The entity is a NetworkResource, not the Resource interface: the Python CLI selects
// `routingMode` on it directly (Twingate-Labs/Twingate-CLI commit 0afc0eb, tested live).
payload!(ResourceCreateMutation, NetworkResource);
payload!(ResourceUpdateMutation, NetworkResource);
delete_payload!(ResourceDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "ResourceMutations")]
pub(crate) struct Mutations(
    MutationField<ResourceCreate>,
    MutationField<ResourceUpdate>,
    MutationField<ResourceDelete>,
);

pub(crate) fn is_wildcard(address: &str) -> bool {
    address.contains('*') || address.contains('?')
}

pub(crate) fn is_cidr(address: &str) -> bool {
    address.contains('/')
}

pub(crate) fn validate_resource(db: &Db, r: &ResourceRec) -> Result<(), MutErr> {
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

#[derive(InputObject)]
#[graphql(name = "ResourceCreateArguments")]
pub(crate) struct ResourceCreate {
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
    /// The groups to give access (deprecated for `resourceAccessAdd`).
    group_ids: Option<IdList>,
    /// Deprecated for `accessPolicy`.
    usage_based_autolock_duration_days: Option<i32>,
}

impl Mutation for ResourceCreate {
    const NAME: &'static str = "resourceCreate";
    type Payload = ResourceCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let network = need(db, &self.remote_network_id, Kind::RemoteNetwork)?;
            let policy = self.security_policy_id.as_ref().map(|id| need(db, id, Kind::SecurityPolicy)).transpose()?;
            let now = db.now();
            let mut rec = ResourceRec {
                name: self.name.trim().to_string(),
                address: self.address.trim().to_string(),
                remote_network: network,
                protocols: self.protocols.as_ref().map(ProtocolsInput::to_rec).unwrap_or_default(),
                is_active: true,
                is_visible: self.is_visible.unwrap_or(true),
                is_browser_shortcut_enabled: self.is_browser_shortcut_enabled.unwrap_or(false),
                alias: self.alias.filter(|a| !a.trim().is_empty()),
                security_policy: policy,
                tags: self.tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)).collect(),
                approval_mode: self.approval_mode,
                access_policy: self.access_policy.as_ref().map(AccessPolicyInput::to_rec),
                routing_mode: Some(self.routing_mode.unwrap_or(RoutingMode::ThroughTwingate)),
                created_at: now,
                updated_at: now,
                access: Vec::new(),
                usage_based_autolock_duration_days: self.usage_based_autolock_duration_days,
                kind: ResourceKind::Network,
            };
            edit_resource_groups(db, &mut rec, &self.group_ids, &None, &None)?;
            validate_resource(db, &rec)?;
            let pk = db.alloc_pk();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceCreateMutation::from(r.map(|pk| NetworkResource::new(db, pk)))
    }
}

/// An omitted argument leaves the field unchanged; an explicit null clears it (the API
/// reference's rule for updates, and the Terraform provider sends nulls to clear).
#[derive(InputObject)]
#[graphql(name = "ResourceUpdateArguments")]
pub(crate) struct ResourceUpdate {
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
    group_ids: Option<IdList>,
    added_group_ids: Option<IdList>,
    removed_group_ids: Option<IdList>,
    usage_based_autolock_duration_days: MaybeUndefined<i32>,
}

impl ResourceUpdate {
    fn apply(&self, db: &Db, rec: &mut ResourceRec) -> Result<(), MutErr> {
        // Fields that can't be empty: an explicit null leaves them alone, like an omitted one.
        if let MaybeUndefined::Value(n) = &self.name {
            rec.name = n.trim().to_string();
        }
        if let MaybeUndefined::Value(a) = &self.address {
            rec.address = a.trim().to_string();
        }
        if let MaybeUndefined::Value(n) = &self.remote_network_id {
            rec.remote_network = need(db, n, Kind::RemoteNetwork)?;
        }
        match &self.protocols {
            MaybeUndefined::Value(p) => rec.protocols = p.to_rec(),
            MaybeUndefined::Null => rec.protocols = ProtocolsRec::default(),
            MaybeUndefined::Undefined => {}
        }
        for (slot, value) in [
            (&mut rec.is_active, &self.is_active),
            (&mut rec.is_visible, &self.is_visible),
            (&mut rec.is_browser_shortcut_enabled, &self.is_browser_shortcut_enabled),
        ] {
            if let MaybeUndefined::Value(v) = value {
                *slot = *v;
            }
        }
        match &self.alias {
            MaybeUndefined::Value(a) if !a.trim().is_empty() => rec.alias = Some(a.clone()),
            MaybeUndefined::Value(_) | MaybeUndefined::Null => rec.alias = None,
            MaybeUndefined::Undefined => {}
        }
        match &self.security_policy_id {
            MaybeUndefined::Value(p) => rec.security_policy = Some(need(db, p, Kind::SecurityPolicy)?),
            MaybeUndefined::Null => rec.security_policy = None,
            MaybeUndefined::Undefined => {}
        }
        match self.routing_mode {
            MaybeUndefined::Value(m) => rec.routing_mode = Some(m),
            MaybeUndefined::Null => rec.routing_mode = Some(RoutingMode::ThroughTwingate),
            MaybeUndefined::Undefined => {}
        }
        match &self.tags {
            MaybeUndefined::Value(t) => rec.tags = t.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
            MaybeUndefined::Null => rec.tags.clear(),
            MaybeUndefined::Undefined => {}
        }
        match self.approval_mode {
            MaybeUndefined::Value(m) => rec.approval_mode = Some(m),
            MaybeUndefined::Null => rec.approval_mode = None,
            MaybeUndefined::Undefined => {}
        }
        match &self.access_policy {
            MaybeUndefined::Value(p) => rec.access_policy = Some(p.to_rec()),
            MaybeUndefined::Null => rec.access_policy = None,
            MaybeUndefined::Undefined => {}
        }
        match self.usage_based_autolock_duration_days {
            MaybeUndefined::Value(d) => rec.usage_based_autolock_duration_days = Some(d),
            MaybeUndefined::Null => rec.usage_based_autolock_duration_days = None,
            MaybeUndefined::Undefined => {}
        }
        edit_resource_groups(db, rec, &self.group_ids, &self.added_group_ids, &self.removed_group_ids)
    }
}

impl Mutation for ResourceUpdate {
    const NAME: &'static str = "resourceUpdate";
    const DESCRIPTION: Option<&'static str> = Some(
        "An omitted argument leaves the field unchanged; an explicit null clears it (alias, securityPolicyId, tags).",
    );
    type Payload = ResourceUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Resource)?;
            let mut rec = db.resources[&pk].clone();
            // The typed resources have their own update mutations; to this one they are not
            // network resources, so not there.
            if rec.kind != ResourceKind::Network {
                return biz(ids::not_found("NetworkResource", &self.id));
            }
            self.apply(db, &mut rec)?;
            validate_resource(db, &rec)?;
            rec.updated_at = db.now();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        ResourceUpdateMutation::from(r.map(|pk| NetworkResource::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ResourceDeleteArguments")]
pub(crate) struct ResourceDelete {
    id: ID,
}

impl Mutation for ResourceDelete {
    const NAME: &'static str = "resourceDelete";
    type Payload = ResourceDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Resource)?;
            db.resources.remove(&pk);
            Ok(())
        });
        ResourceDeleteMutation::from(r)
    }
}
