//! Resources: the `Resource` interface, its three implementations (network, Kubernetes, web
//! app; the Kubernetes operator reads all three back through `resource(id:)`), and access edges.

use std::sync::Arc;

use async_graphql::{ID, Interface, Object, Result, SimpleObject};

use crate::gql::filters::{GroupFilterInput, ServiceAccountFilterInput};

use super::*;
use crate::gql::filters::{AccessFilterInput, ResourceFilterInput};
use crate::gql::{DateTime, Page, PageArgs, dt, paginate};
use crate::ids;
use crate::model::*;

connection!(ResourceConnection, ResourceEdge, Resource);

object_base!(NetworkResource, resources, ResourceRec);
object_base!(KubernetesResource, resources, ResourceRec);
object_base!(WebAppResource, resources, ResourceRec);

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
    field(name = "usage_based_autolock_duration_days", ty = "Option<i32>"),
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
    ),
    field(
        name = "groups",
        ty = "GroupConnection",
        deprecation = "Use `access` connection instead.",
        arg(name = "after", ty = "Option<String>"),
        arg(name = "before", ty = "Option<String>"),
        arg(name = "first", ty = "Option<i32>"),
        arg(name = "last", ty = "Option<i32>"),
        arg(name = "filter", ty = "Option<GroupFilterInput>")
    ),
    field(
        name = "service_accounts",
        ty = "ServiceAccountConnection",
        deprecation = "Use `access` connection instead.",
        arg(name = "after", ty = "Option<String>"),
        arg(name = "before", ty = "Option<String>"),
        arg(name = "first", ty = "Option<i32>"),
        arg(name = "last", ty = "Option<i32>"),
        arg(name = "filter", ty = "Option<ServiceAccountFilterInput>")
    )
)]
pub(crate) enum Resource {
    Network(NetworkResource),
    Kubernetes(KubernetesResource),
    WebApp(WebAppResource),
}

impl Resource {
    pub(crate) fn new(db: Arc<Db>, pk: u64) -> Self {
        match db.resources.get(&pk).map(|r| &r.kind) {
            Some(ResourceKind::Kubernetes { .. }) => Resource::Kubernetes(KubernetesResource::new(db, pk)),
            Some(ResourceKind::WebApp { .. }) => Resource::WebApp(WebAppResource::new(db, pk)),
            Some(ResourceKind::Network) | None => Resource::Network(NetworkResource::new(db, pk)),
        }
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

/// The fields every kind of Resource has, then the kind's own.
macro_rules! resource_object {
    ($ty:ident { $($own:tt)* }) => {
        #[Object]
        impl $ty {
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
            async fn usage_based_autolock_duration_days(&self) -> Result<Option<i32>> {
                Ok(self.rec()?.usage_based_autolock_duration_days)
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
                access_connection(&self.db, self.rec()?, &PageArgs::new(after, before, first, last), &filter)
            }
            #[graphql(deprecation = "Use `access` connection instead.")]
            async fn groups(
                &self,
                after: Option<String>,
                before: Option<String>,
                first: Option<i32>,
                last: Option<i32>,
                filter: Option<GroupFilterInput>,
            ) -> Result<GroupConnection> {
                let pks = principals(self.rec()?, |p| match p {
                    PrincipalRef::Group(g) => Some(g),
                    PrincipalRef::ServiceAccount(_) => None,
                });
                let pks = list_groups(&self.db, pks, &filter)?;
                GroupConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
            }
            #[graphql(deprecation = "Use `access` connection instead.")]
            async fn service_accounts(
                &self,
                after: Option<String>,
                before: Option<String>,
                first: Option<i32>,
                last: Option<i32>,
                filter: Option<ServiceAccountFilterInput>,
            ) -> Result<ServiceAccountConnection> {
                let pks = principals(self.rec()?, |p| match p {
                    PrincipalRef::ServiceAccount(s) => Some(s),
                    PrincipalRef::Group(_) => None,
                });
                let all = list_service_accounts(&self.db, &filter)?;
                let pks = pks.into_iter().filter(|pk| all.contains(pk)).collect();
                ServiceAccountConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
            }
            $($own)*
        }
    };
}

/// The principals of one kind with access to a resource, in edge order.
fn principals(r: &ResourceRec, pick: impl Fn(PrincipalRef) -> Option<u64>) -> Vec<u64> {
    r.access.iter().filter_map(|a| pick(a.principal)).collect()
}

fn access_connection(
    db: &Arc<Db>,
    r: &ResourceRec,
    page: &PageArgs,
    filter: &Option<AccessFilterInput>,
) -> Result<AccessConnection> {
    let edges: Vec<AccessRec> = r.access.iter().filter(|a| AccessFilterInput::ok(filter, a)).cloned().collect();
    let Page { items, page_info, total_count } = paginate(edges, page)?;
    let edges = items.into_iter().map(|(cursor, rec)| AccessEdge { db: db.clone(), cursor, rec }).collect();
    Ok(AccessConnection { edges, page_info, total_count })
}

resource_object!(NetworkResource {
    async fn routing_mode(&self) -> Result<Option<RoutingMode>> {
        Ok(Some(self.rec()?.routing_mode.unwrap_or(RoutingMode::ThroughTwingate)))
    }
});

fn gateway_of(db: &Arc<Db>, r: &ResourceRec) -> Result<Gateway> {
    r.kind.gateway().map(|pk| Gateway::new(db.clone(), pk)).ok_or_else(super::gone)
}

resource_object!(KubernetesResource {
    async fn gateway(&self) -> Result<Gateway> {
        gateway_of(&self.db, self.rec()?)
    }
});

// `downstream` and `upstream` each have a port: the Kubernetes operator selects
// `downstream { port }` and `upstream { port }`; the type names are the emulator's guess.
/// Where a web app is served.
#[derive(SimpleObject)]
pub(crate) struct WebAppDownstream {
    port: i32,
}

/// Where the gateway reaches a web app.
#[derive(SimpleObject)]
pub(crate) struct WebAppUpstream {
    port: i32,
}

// The operator selects `requestHeaderRewrites { key value }`; the type name is a guess.
/// A request header the gateway sets.
#[derive(SimpleObject)]
pub(crate) struct KeyValue {
    key: String,
    value: String,
}

/// A web app's (downstream port, upstream port, header rewrites).
type WebAppParts<'a> = (i32, i32, &'a [(String, String)]);

fn web_app(r: &ResourceRec) -> Result<WebAppParts<'_>> {
    match &r.kind {
        ResourceKind::WebApp { downstream_port, upstream_port, request_header_rewrites, .. } => {
            Ok((*downstream_port, *upstream_port, request_header_rewrites))
        }
        _ => Err(super::gone()),
    }
}

resource_object!(WebAppResource {
    async fn gateway(&self) -> Result<Gateway> {
        gateway_of(&self.db, self.rec()?)
    }
    async fn downstream(&self) -> Result<WebAppDownstream> {
        Ok(WebAppDownstream { port: web_app(self.rec()?)?.0 })
    }
    async fn upstream(&self) -> Result<WebAppUpstream> {
        Ok(WebAppUpstream { port: web_app(self.rec()?)?.1 })
    }
    async fn request_header_rewrites(&self) -> Result<Vec<KeyValue>> {
        let rewrites = web_app(self.rec()?)?.2;
        Ok(rewrites.iter().map(|(k, v)| KeyValue { key: k.clone(), value: v.clone() }).collect())
    }
});

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
    // July-2024 introspection: "The usage-based auto-lock duration configured on the edge (in
    // days)".
    /// The usage-based auto-lock duration configured on the edge (in days).
    async fn usage_based_autolock_duration_days(&self) -> Option<i32> {
        self.rec.usage_based_autolock_duration_days
    }
}

#[derive(SimpleObject)]
pub(crate) struct AccessConnection {
    pub(crate) edges: Vec<AccessEdge>,
    pub(crate) page_info: crate::gql::PageInfo,
    pub(crate) total_count: i32,
}
