//! `kubernetesResourceCreate`/`Update` and `webAppResourceCreate`/`Update`: resources reached
//! through a gateway. Arguments as the Terraform provider (Kubernetes:
//! `internal/client/query/kubernetes-resource-*.go`) and the Kubernetes operator
//! (`app/api/client_resources.py`, both kinds) send them; a web app has no protocols (the
//! operator: "WebApp Resources are not port-based, so protocols don't apply").

use async_graphql::{Context, ID, InputObject, MaybeUndefined, MergedObject, Result};

use super::inputs::{AccessPolicyInput, ProtocolsInput, TagInput};
use super::resource::validate_resource;
use super::{Kind, MutErr, Mutation, MutationField, biz, need, payload, store};
use crate::gql::objects::{KubernetesResource, WebAppResource};
use crate::ids;
use crate::model::*;

payload!(KubernetesResourceCreateMutation, KubernetesResource);
payload!(KubernetesResourceUpdateMutation, KubernetesResource);
payload!(WebAppResourceCreateMutation, WebAppResource);
payload!(WebAppResourceUpdateMutation, WebAppResource);

#[derive(MergedObject, Default)]
#[graphql(name = "TypedResourceMutations")]
pub(crate) struct Mutations(
    MutationField<KubernetesResourceCreate>,
    MutationField<KubernetesResourceUpdate>,
    MutationField<WebAppResourceCreate>,
    MutationField<WebAppResourceUpdate>,
);

/// Where a web app is served.
#[derive(InputObject)]
pub(crate) struct WebAppDownstreamInput {
    port: i32,
}

/// Where the gateway reaches a web app.
#[derive(InputObject)]
pub(crate) struct WebAppUpstreamInput {
    port: i32,
}

// The operator sends `{key, value}`.
/// A request header the gateway sets.
#[derive(InputObject)]
pub(crate) struct KeyValueInputObject {
    key: String,
    value: String,
}

/// The arguments every typed resource's create takes.
#[derive(InputObject)]
#[graphql(name = "TypedResourceCreateFields")]
pub(crate) struct CreateFields {
    name: String,
    address: String,
    remote_network_id: ID,
    gateway_id: ID,
    alias: Option<String>,
    is_visible: Option<bool>,
    security_policy_id: Option<ID>,
    tags: Option<Vec<TagInput>>,
    access_policy: Option<AccessPolicyInput>,
    approval_mode: Option<AccessApprovalMode>,
}

impl CreateFields {
    /// A new record of `kind` (its gateway is filled in from `gateway_id`).
    fn record(&self, db: &Db, kind: ResourceKind, protocols: Option<&ProtocolsInput>) -> Result<ResourceRec, MutErr> {
        let now = db.now();
        let rec = ResourceRec {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            remote_network: need(db, &self.remote_network_id, Kind::RemoteNetwork)?,
            protocols: protocols.map(ProtocolsInput::to_rec).unwrap_or_default(),
            is_active: true,
            is_visible: self.is_visible.unwrap_or(true),
            is_browser_shortcut_enabled: false,
            alias: self.alias.clone().filter(|a| !a.trim().is_empty()),
            security_policy: self
                .security_policy_id
                .as_ref()
                .map(|id| need(db, id, Kind::SecurityPolicy))
                .transpose()?,
            tags: self.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect(),
            approval_mode: self.approval_mode,
            access_policy: self.access_policy.as_ref().map(AccessPolicyInput::to_rec),
            routing_mode: None,
            created_at: now,
            updated_at: now,
            access: Vec::new(),
            usage_based_autolock_duration_days: None,
            kind,
        };
        validate_resource(db, &rec)?;
        Ok(rec)
    }
}

/// The arguments every typed resource's update takes: omitted leaves alone, null clears.
#[derive(InputObject)]
#[graphql(name = "TypedResourceUpdateFields")]
pub(crate) struct UpdateFields {
    id: ID,
    name: Option<String>,
    address: Option<String>,
    remote_network_id: Option<ID>,
    gateway_id: Option<ID>,
    alias: MaybeUndefined<String>,
    is_visible: Option<bool>,
    security_policy_id: MaybeUndefined<ID>,
    tags: MaybeUndefined<Vec<TagInput>>,
    access_policy: MaybeUndefined<AccessPolicyInput>,
    approval_mode: MaybeUndefined<AccessApprovalMode>,
}

impl UpdateFields {
    /// The record to change, if it is a resource of the kind `is_kind` accepts.
    fn target(
        &self,
        db: &Db,
        type_name: &str,
        is_kind: fn(&ResourceKind) -> bool,
    ) -> Result<(u64, ResourceRec), MutErr> {
        let pk = need(db, &self.id, Kind::Resource)?;
        let rec = db.resources[&pk].clone();
        if !is_kind(&rec.kind) {
            return biz(ids::not_found(type_name, &self.id));
        }
        Ok((pk, rec))
    }

    /// The new gateway, if one was named.
    fn gateway(&self, db: &Db) -> Result<Option<u64>, MutErr> {
        self.gateway_id.as_ref().map(|id| need(db, id, Kind::Gateway)).transpose()
    }

    fn apply(&self, db: &Db, rec: &mut ResourceRec) -> Result<(), MutErr> {
        if let Some(n) = &self.name {
            rec.name = n.trim().to_string();
        }
        if let Some(a) = &self.address {
            rec.address = a.trim().to_string();
        }
        if let Some(n) = &self.remote_network_id {
            rec.remote_network = need(db, n, Kind::RemoteNetwork)?;
        }
        if let Some(v) = self.is_visible {
            rec.is_visible = v;
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
        match &self.tags {
            MaybeUndefined::Value(t) => rec.tags = t.iter().map(|t| (t.key.clone(), t.value.clone())).collect(),
            MaybeUndefined::Null => rec.tags.clear(),
            MaybeUndefined::Undefined => {}
        }
        match &self.access_policy {
            MaybeUndefined::Value(p) => rec.access_policy = Some(p.to_rec()),
            MaybeUndefined::Null => rec.access_policy = None,
            MaybeUndefined::Undefined => {}
        }
        match self.approval_mode {
            MaybeUndefined::Value(m) => rec.approval_mode = Some(m),
            MaybeUndefined::Null => rec.approval_mode = None,
            MaybeUndefined::Undefined => {}
        }
        Ok(())
    }

    /// Validate and save.
    fn save(&self, db: &mut Db, pk: u64, mut rec: ResourceRec) -> Result<u64, MutErr> {
        validate_resource(db, &rec)?;
        rec.updated_at = db.now();
        db.resources.insert(pk, rec);
        Ok(pk)
    }
}

#[derive(InputObject)]
#[graphql(name = "KubernetesResourceCreateArguments")]
pub(crate) struct KubernetesResourceCreate {
    #[graphql(flatten)]
    fields: CreateFields,
    protocols: Option<ProtocolsInput>,
}

impl Mutation for KubernetesResourceCreate {
    const NAME: &'static str = "kubernetesResourceCreate";
    type Payload = KubernetesResourceCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let gateway = need(db, &self.fields.gateway_id, Kind::Gateway)?;
            let rec = self.fields.record(db, ResourceKind::Kubernetes { gateway }, self.protocols.as_ref())?;
            let pk = db.alloc_pk();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        KubernetesResourceCreateMutation::from(r.map(|pk| KubernetesResource::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "KubernetesResourceUpdateArguments")]
pub(crate) struct KubernetesResourceUpdate {
    #[graphql(flatten)]
    fields: UpdateFields,
    protocols: MaybeUndefined<ProtocolsInput>,
}

impl Mutation for KubernetesResourceUpdate {
    const NAME: &'static str = "kubernetesResourceUpdate";
    type Payload = KubernetesResourceUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let f = &self.fields;
            let (pk, mut rec) = f.target(db, "KubernetesResource", |k| matches!(k, ResourceKind::Kubernetes { .. }))?;
            f.apply(db, &mut rec)?;
            if let Some(gateway) = f.gateway(db)? {
                rec.kind = ResourceKind::Kubernetes { gateway };
            }
            match &self.protocols {
                MaybeUndefined::Value(p) => rec.protocols = p.to_rec(),
                MaybeUndefined::Null => rec.protocols = ProtocolsRec::default(),
                MaybeUndefined::Undefined => {}
            }
            f.save(db, pk, rec)
        });
        KubernetesResourceUpdateMutation::from(r.map(|pk| KubernetesResource::new(db, pk)))
    }
}

fn pairs(list: &[KeyValueInputObject]) -> Vec<(String, String)> {
    list.iter().map(|h| (h.key.clone(), h.value.clone())).collect()
}

fn check_port(port: i32) -> Result<(), MutErr> {
    if !(1..=65535).contains(&port) {
        return biz(format!("Invalid port {port}: ports must be between 1 and 65535"));
    }
    Ok(())
}

#[derive(InputObject)]
#[graphql(name = "WebAppResourceCreateArguments")]
pub(crate) struct WebAppResourceCreate {
    #[graphql(flatten)]
    fields: CreateFields,
    downstream: WebAppDownstreamInput,
    upstream: WebAppUpstreamInput,
    request_header_rewrites: Option<Vec<KeyValueInputObject>>,
}

impl Mutation for WebAppResourceCreate {
    const NAME: &'static str = "webAppResourceCreate";
    type Payload = WebAppResourceCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let gateway = need(db, &self.fields.gateway_id, Kind::Gateway)?;
            check_port(self.downstream.port)?;
            check_port(self.upstream.port)?;
            let kind = ResourceKind::WebApp {
                gateway,
                downstream_port: self.downstream.port,
                upstream_port: self.upstream.port,
                request_header_rewrites: pairs(self.request_header_rewrites.as_deref().unwrap_or_default()),
            };
            let rec = self.fields.record(db, kind, None)?;
            let pk = db.alloc_pk();
            db.resources.insert(pk, rec);
            Ok(pk)
        });
        WebAppResourceCreateMutation::from(r.map(|pk| WebAppResource::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "WebAppResourceUpdateArguments")]
pub(crate) struct WebAppResourceUpdate {
    #[graphql(flatten)]
    fields: UpdateFields,
    downstream: Option<WebAppDownstreamInput>,
    upstream: Option<WebAppUpstreamInput>,
    request_header_rewrites: MaybeUndefined<Vec<KeyValueInputObject>>,
}

impl Mutation for WebAppResourceUpdate {
    const NAME: &'static str = "webAppResourceUpdate";
    type Payload = WebAppResourceUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let f = &self.fields;
            let (pk, mut rec) = f.target(db, "WebAppResource", |k| matches!(k, ResourceKind::WebApp { .. }))?;
            f.apply(db, &mut rec)?;
            let new_gateway = f.gateway(db)?;
            if let ResourceKind::WebApp { gateway, downstream_port, upstream_port, request_header_rewrites } =
                &mut rec.kind
            {
                if let Some(g) = new_gateway {
                    *gateway = g;
                }
                if let Some(d) = &self.downstream {
                    check_port(d.port)?;
                    *downstream_port = d.port;
                }
                if let Some(u) = &self.upstream {
                    check_port(u.port)?;
                    *upstream_port = u.port;
                }
                match &self.request_header_rewrites {
                    MaybeUndefined::Value(list) => *request_header_rewrites = pairs(list),
                    MaybeUndefined::Null => request_header_rewrites.clear(),
                    MaybeUndefined::Undefined => {}
                }
            }
            f.save(db, pk, rec)
        });
        WebAppResourceUpdateMutation::from(r.map(|pk| WebAppResource::new(db, pk)))
    }
}
