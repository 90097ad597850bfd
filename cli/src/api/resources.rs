//! Resources: addresses (FQDN, IP, CIDR, wildcard) in a remote network that clients may reach,
//! with their protocols, and who may reach them (access: groups and service accounts).

use std::collections::BTreeMap;

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::paginate::Page;
use super::{Client, NameFilter, Named, Patch, Ref, Vars, WireConn, WirePayload};
use crate::error::{Error, Result};
use crate::parse::{Ports, merge_ranges};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// Every operation that reads resources answers with `WireResource` (`response_type`), the one
// reading of the `ResourceFields` fragment: Resource is an interface, and the generated enum of
// its implementations would refuse kinds the schema file does not list (SSH, Kubernetes, web
// app), so here a hand-written type is the one that can serve.

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_type = "WireConn<WireResource>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct ResourceList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_type = "WireResource"
)]
pub(crate) struct ResourceGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_type = "WirePayload<WireResource>",
    variables_derives = "Deserialize"
)]
pub(crate) struct ResourceCreate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_type = "WirePayload<WireResource>",
    variables_derives = "Deserialize"
)]
pub(crate) struct ResourceUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ResourceDelete;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_type = "AccessOf"
)]
pub(crate) struct ResourceAccessList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_derives = "Debug",
    variables_derives = "Deserialize"
)]
pub(crate) struct ResourceAccessAdd;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ResourceAccessRemove;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/resource/resource.graphql",
    response_derives = "Debug",
    variables_derives = "Deserialize"
)]
pub(crate) struct ResourceAccessSet;

/// Which protocols and ports a resource allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Protocols {
    pub(crate) tcp: Ports,
    pub(crate) udp: Ports,
    pub(crate) allow_icmp: bool,
}

impl Default for Protocols {
    /// The API's default: everything allowed.
    fn default() -> Self {
        Protocols { tcp: Ports::All, udp: Ports::All, allow_icmp: true }
    }
}

impl Protocols {
    /// The API's `ProtocolsInput`.
    pub(crate) fn to_input(&self) -> Value {
        fn one(p: &Ports) -> Value {
            match p {
                Ports::All => json!({"policy": "ALLOW_ALL", "ports": []}),
                Ports::None => json!({"policy": "RESTRICTED", "ports": []}),
                Ports::Ranges(r) => json!({
                    "policy": "RESTRICTED",
                    "ports": r.iter().map(|(s, e)| json!({"start": s, "end": e})).collect::<Vec<_>>()
                }),
            }
        }
        json!({"allowIcmp": self.allow_icmp, "tcp": one(&self.tcp), "udp": one(&self.udp)})
    }

    /// `tcp 443; udp none; icmp` for tables.
    pub(crate) fn summary(&self) -> String {
        format!(
            "tcp {}; udp {}; icmp {}",
            self.tcp.to_text(),
            self.udp.to_text(),
            if self.allow_icmp { "yes" } else { "no" }
        )
    }
}

/// A resource as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resource {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The implementation: network, ssh, kubernetes, web-app.
    pub(crate) kind: String,
    pub(crate) address: String,
    pub(crate) alias: Option<String>,
    pub(crate) remote_network: Ref,
    pub(crate) protocols: Protocols,
    pub(crate) is_active: bool,
    pub(crate) is_visible: bool,
    pub(crate) is_browser_shortcut_enabled: bool,
    /// Null: the default policy.
    pub(crate) security_policy: Option<Ref>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) access_count: i64,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// Every group and service account with access (`get` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) access: Option<Vec<AccessEntry>>,
}

impl Named for Resource {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// A resource as the `ResourceFields` fragment selects it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireResource {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    name: String,
    address: WireAddress,
    alias: Option<String>,
    remote_network: Ref,
    protocols: WireProtocols,
    is_active: bool,
    is_visible: bool,
    is_browser_shortcut_enabled: bool,
    security_policy: Option<Ref>,
    #[serde(default)]
    tags: Vec<WireTag>,
    created_at: Timestamp,
    updated_at: Timestamp,
    access: WireConn<Value>,
}

#[derive(Debug, Deserialize)]
struct WireAddress {
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProtocols {
    allow_icmp: bool,
    tcp: WireProtocol,
    udp: WireProtocol,
}

#[derive(Debug, Deserialize)]
struct WireProtocol {
    policy: String,
    #[serde(default)]
    ports: Vec<WirePortRange>,
}

#[derive(Debug, Deserialize)]
struct WirePortRange {
    start: u16,
    end: u16,
}

#[derive(Debug, Deserialize)]
struct WireTag {
    key: String,
    value: String,
}

impl WireProtocol {
    fn ports(self) -> Ports {
        if self.policy == "ALLOW_ALL" {
            return Ports::All;
        }
        let ranges = merge_ranges(self.ports.into_iter().map(|r| (r.start.min(r.end), r.end.max(r.start))).collect());
        if ranges.is_empty() { Ports::None } else { Ports::Ranges(ranges) }
    }
}

fn kind_of(typename: &str) -> String {
    match typename.strip_suffix("Resource") {
        Some("") | None => "network".to_owned(),
        Some("SSH") => "ssh".to_owned(),
        Some("WebApp") => "web-app".to_owned(),
        Some(other) => other.to_ascii_lowercase(),
    }
}

impl From<WireResource> for Resource {
    fn from(w: WireResource) -> Self {
        Resource {
            id: w.id,
            name: w.name,
            kind: kind_of(&w.typename),
            address: w.address.value,
            alias: w.alias.filter(|a| !a.is_empty()),
            remote_network: w.remote_network,
            protocols: Protocols {
                allow_icmp: w.protocols.allow_icmp,
                tcp: w.protocols.tcp.ports(),
                udp: w.protocols.udp.ports(),
            },
            is_active: w.is_active,
            is_visible: w.is_visible,
            is_browser_shortcut_enabled: w.is_browser_shortcut_enabled,
            security_policy: w.security_policy,
            tags: w.tags.into_iter().map(|t| (t.key, t.value)).collect(),
            access_count: w.access.total_count,
            created_at: w.created_at,
            updated_at: w.updated_at,
            access: None,
        }
    }
}

/// List filters the API applies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub(crate) name: NameFilter,
    /// Only this remote network's resources (its ID).
    pub(crate) remote_network: Option<String>,
    /// Only resources with all of these tags.
    pub(crate) tags: Vec<(String, String)>,
}

/// One page of resources.
pub(crate) async fn list_page(
    client: &Client,
    filter: &Filter,
    after: Option<String>,
    first: i64,
) -> Result<Page<Resource>> {
    use resource_list as q;
    let empty = filter.name.is_empty() && filter.remote_network.is_none() && filter.tags.is_empty();
    let name = filter.name.input()?;
    let api_filter = (!empty).then(|| q::ResourceFilterInput {
        name,
        remote_network_id: filter
            .remote_network
            .clone()
            .map(|id| q::RemoteNetworkIdFilterOperationInput { eq: Some(id), in_: None }),
        tags: (!filter.tags.is_empty()).then(|| q::TagsFilterOperatorInput {
            and: Some(
                filter
                    .tags
                    .iter()
                    .map(|(k, v)| q::TagKeyValueFilterInput {
                        key: k.clone(),
                        value: q::TagValueFilterInput { eq: Some(v.clone()) },
                    })
                    .collect(),
            ),
        }),
    });
    let data = client.post::<ResourceList>(q::Variables { first, after, filter: api_filter }).await?;
    data.resources.into_page(|n| Ok(n.into()))
}

/// The resource with this ID, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<Resource>> {
    let data = client.post::<ResourceGet>(resource_get::Variables { id: id.to_owned() }).await?;
    Ok(data.resource.map(Resource::from))
}

/// By ID or exact name.
pub(crate) async fn find(client: &Client, text: &str) -> Result<Resource> {
    let filter = Filter { name: NameFilter::exact(text), ..Filter::default() };
    super::find("resource", "Resource", text, get(client, text), async {
        Ok(list_page(client, &filter, None, 10).await?.nodes)
    })
    .await
}

/// By ID or exact name, as a reference (used by other nouns).
pub(crate) async fn resolve(client: &Client, text: &str) -> Result<Ref> {
    Ok(Ref::of(&find(client, text).await?))
}

/// A new resource. `None` fields are not sent, so the API's defaults apply.
#[derive(Debug, Default)]
pub(crate) struct NewResource {
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) remote_network_id: String,
    pub(crate) protocols: Option<Protocols>,
    pub(crate) alias: Option<String>,
    pub(crate) is_visible: Option<bool>,
    pub(crate) is_browser_shortcut_enabled: Option<bool>,
    pub(crate) security_policy_id: Option<String>,
    pub(crate) tags: BTreeMap<String, String>,
}

fn tags_input(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

pub(crate) async fn create(client: &Client, new: NewResource) -> Result<Resource> {
    let vars = Vars::new()
        .set("name", &new.name)
        .set("address", &new.address)
        .set("remoteNetworkId", &new.remote_network_id)
        .opt("protocols", new.protocols.as_ref().map(Protocols::to_input))
        .opt("alias", new.alias)
        .opt("isVisible", new.is_visible)
        .opt("isBrowserShortcutEnabled", new.is_browser_shortcut_enabled)
        .opt("securityPolicyId", new.security_policy_id)
        .opt("tags", (!new.tags.is_empty()).then(|| tags_input(&new.tags)));
    let data = client.post_vars::<ResourceCreate>(vars.into_value()).await?;
    let entity = data.resource_create.entity.map(Resource::from);
    super::echoed(client, "resourceCreate", entity, async { find(client, &new.name).await.map(Some) }).await
}

/// What `update` changes: `None`/`Keep` leaves a field alone; `Clear` sends null.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub(crate) name: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) remote_network_id: Option<String>,
    pub(crate) protocols: Option<Protocols>,
    pub(crate) is_active: Option<bool>,
    pub(crate) is_visible: Option<bool>,
    pub(crate) is_browser_shortcut_enabled: Option<bool>,
    pub(crate) alias: Patch<String>,
    pub(crate) security_policy_id: Patch<String>,
    pub(crate) tags: Patch<BTreeMap<String, String>>,
}

impl Changes {
    /// The update's variables: only the changed fields, nulls for cleared ones.
    pub(crate) fn to_vars(&self, id: &str) -> Value {
        Vars::new()
            .set("id", id)
            .opt("name", self.name.as_ref())
            .opt("address", self.address.as_ref())
            .opt("remoteNetworkId", self.remote_network_id.as_ref())
            .opt("protocols", self.protocols.as_ref().map(Protocols::to_input))
            .opt("isActive", self.is_active)
            .opt("isVisible", self.is_visible)
            .opt("isBrowserShortcutEnabled", self.is_browser_shortcut_enabled)
            .patch("alias", self.alias.clone())
            .patch("securityPolicyId", self.security_policy_id.clone())
            .patch("tags", self.tags.clone().map(|t| tags_input(&t)))
            .into_value()
    }
}

pub(crate) async fn update(client: &Client, id: &str, changes: &Changes) -> Result<Resource> {
    let data = client.post_vars::<ResourceUpdate>(changes.to_vars(id)).await?;
    let entity = data.resource_update.entity.map(Resource::from);
    super::echoed(client, "resourceUpdate", entity, get(client, id)).await
}

pub(crate) async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ResourceDelete>(resource_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

// ---- access -----------------------------------------------------------------------------------

/// Who may be given access to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PrincipalKind {
    Group,
    ServiceAccount,
}

/// One group's or service account's access to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessEntry {
    pub(crate) principal_type: PrincipalKind,
    pub(crate) principal_id: String,
    pub(crate) principal_name: String,
    /// The policy set on this access (null: the resource's own policy).
    pub(crate) security_policy: Option<Ref>,
    pub(crate) expires_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccessEdge {
    node: WirePrincipal,
    security_policy: Option<Ref>,
    expires_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
struct WirePrincipal {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    name: String,
}

/// A page of a resource's access ([`ResourceAccessList`]).
#[derive(Debug, Deserialize)]
pub(crate) struct AccessOf {
    access: WireAccessConn,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccessConn {
    page_info: super::WirePageInfo,
    edges: Vec<WireAccessEdge>,
}

fn map_access_edge(e: WireAccessEdge) -> Result<AccessEntry> {
    let principal_type = match e.node.typename.as_str() {
        "Group" => PrincipalKind::Group,
        "ServiceAccount" => PrincipalKind::ServiceAccount,
        other => {
            return Err(Error::new(crate::error::Kind::BadResponse, format!("unknown kind of principal {other:?}")));
        }
    };
    Ok(AccessEntry {
        principal_type,
        principal_id: e.node.id,
        principal_name: e.node.name,
        security_policy: e.security_policy,
        expires_at: e.expires_at,
    })
}

/// One page of a resource's access.
pub(crate) async fn access_page(
    client: &Client,
    resource_id: &str,
    after: Option<String>,
    first: i64,
) -> Result<Page<AccessEntry>> {
    use resource_access_list as q;
    let data = client.post::<ResourceAccessList>(q::Variables { id: resource_id.to_owned(), first, after }).await?;
    let resource = data.resource.ok_or_else(|| {
        Error::not_found(format!("no resource with ID {resource_id}")).hint("list them with `tgctl resource list`")
    })?;
    let conn = resource.access;
    Ok(Page {
        nodes: conn.edges.into_iter().map(map_access_edge).collect::<Result<_>>()?,
        end_cursor: conn.page_info.end_cursor,
        has_next_page: conn.page_info.has_next_page,
    })
}

/// All of a resource's access.
pub(crate) async fn access_all(client: &Client, resource_id: &str) -> Result<Vec<AccessEntry>> {
    super::collect(None, |after, first| access_page(client, resource_id, after, first)).await
}

/// One principal's access, as `AccessInput`: `Keep` omits a field (the current value stays),
/// `Clear` sends null (removes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) principal_id: String,
    pub(crate) security_policy_id: Patch<String>,
    pub(crate) expires_at: Patch<Timestamp>,
}

impl Grant {
    pub(crate) fn to_input(&self) -> Value {
        Vars::new()
            .set("principalId", &self.principal_id)
            .patch("securityPolicyId", self.security_policy_id.clone())
            .patch("expiresAt", self.expires_at.clone().map(|t| t.to_string()))
            .into_value()
    }
}

/// Adds (or updates) access for each grant.
pub(crate) async fn access_add(client: &Client, resource_id: &str, grants: &[Grant]) -> Result<()> {
    let vars = json!({"resourceId": resource_id, "access": grants.iter().map(Grant::to_input).collect::<Vec<_>>()});
    let _ = client.post_vars::<ResourceAccessAdd>(vars).await?;
    Ok(())
}

/// Removes these principals' access.
pub(crate) async fn access_remove(client: &Client, resource_id: &str, principal_ids: Vec<String>) -> Result<()> {
    let vars = resource_access_remove::Variables { resource_id: resource_id.to_owned(), principal_ids };
    client.post::<ResourceAccessRemove>(vars).await.map(|_| ())
}

/// Replaces all access with exactly these grants.
pub(crate) async fn access_set(client: &Client, resource_id: &str, grants: &[Grant]) -> Result<()> {
    let vars = json!({"resourceId": resource_id, "access": grants.iter().map(Grant::to_input).collect::<Vec<_>>()});
    let _ = client.post_vars::<ResourceAccessSet>(vars).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Value {
        json!({
            "__typename": "NetworkResource",
            "id": "UmVzb3VyY2U6MTI3NTIxMw==", "name": "prod-db",
            "address": {"type": "DNS", "value": "db.internal"}, "alias": "db.prod.corp",
            "remoteNetwork": {"id": "UmVtb3RlTmV0d29yazo5Njc0OTU=", "name": "aws-prod"},
            "protocols": {
                "allowIcmp": false,
                "tcp": {"policy": "RESTRICTED", "ports": [{"start": 8000, "end": 8100}, {"start": 5432, "end": 5432}]},
                "udp": {"policy": "ALLOW_ALL", "ports": []}
            },
            "isActive": true, "isVisible": true, "isBrowserShortcutEnabled": false,
            "securityPolicy": null, "tags": [{"key": "env", "value": "prod"}],
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-15T01:13:51+00:00",
            "access": {"totalCount": 3}
        })
    }

    #[test]
    fn maps_a_resource_of_any_kind() {
        let r = Resource::from(serde_json::from_value::<WireResource>(fixture()).unwrap());
        assert_eq!(r.kind, "network");
        assert_eq!(r.protocols.tcp, Ports::Ranges(vec![(5432, 5432), (8000, 8100)]));
        assert_eq!(r.protocols.udp, Ports::All);
        assert_eq!(r.protocols.summary(), "tcp 5432,8000-8100; udp all; icmp no");
        assert_eq!(r.tags.get("env").map(String::as_str), Some("prod"));
        assert_eq!(r.access_count, 3);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["protocols"], json!({"tcp": "5432,8000-8100", "udp": "all", "allowIcmp": false}));
        assert_eq!(json["tags"], json!({"env": "prod"}));
        assert_eq!(json["securityPolicy"], Value::Null);
        assert!(json.get("access").is_none());

        let mut restricted = fixture();
        restricted["protocols"]["udp"] = json!({"policy": "RESTRICTED", "ports": []});
        restricted["__typename"] = json!("SSHResource");
        let r = Resource::from(serde_json::from_value::<WireResource>(restricted).unwrap());
        assert_eq!((r.protocols.udp, r.kind.as_str()), (Ports::None, "ssh"));
    }

    #[test]
    fn protocols_become_the_api_input() {
        let p = Protocols { tcp: Ports::Ranges(vec![(443, 443)]), udp: Ports::None, allow_icmp: true };
        assert_eq!(
            p.to_input(),
            json!({"allowIcmp": true, "tcp": {"policy": "RESTRICTED", "ports": [{"start": 443, "end": 443}]},
                   "udp": {"policy": "RESTRICTED", "ports": []}})
        );
        assert_eq!(Protocols::default().to_input()["tcp"], json!({"policy": "ALLOW_ALL", "ports": []}));
    }

    #[test]
    fn updates_omit_unchanged_fields_and_null_cleared_ones() {
        let changes = Changes {
            is_active: Some(false),
            alias: Patch::Clear,
            security_policy_id: Patch::Set("U2VjdXJpdHlQb2xpY3k6MQ==".into()),
            ..Changes::default()
        };
        assert_eq!(
            changes.to_vars("id1"),
            json!({"id": "id1", "isActive": false, "alias": null, "securityPolicyId": "U2VjdXJpdHlQb2xpY3k6MQ=="})
        );
        let clear_tags = Changes { tags: Patch::Clear, ..Changes::default() };
        assert_eq!(clear_tags.to_vars("x"), json!({"id": "x", "tags": null}));
    }

    #[test]
    fn access_edges_and_grants() {
        let edge = json!({
            "node": {"__typename": "ServiceAccount", "id": "U2VydmljZUFjY291bnQ6MQ==", "name": "ci"},
            "securityPolicy": null, "expiresAt": null
        });
        let e = map_access_edge(serde_json::from_value(edge).unwrap()).unwrap();
        assert_eq!(e.principal_type, PrincipalKind::ServiceAccount);
        assert_eq!(serde_json::to_value(&e).unwrap()["principalType"], "service-account");
        let g = Grant {
            principal_id: "R3JvdXA6MQ==".into(),
            security_policy_id: Patch::Keep,
            expires_at: Patch::Set("2026-12-31T23:59:59Z".parse().unwrap()),
        };
        assert_eq!(g.to_input(), json!({"principalId": "R3JvdXA6MQ==", "expiresAt": "2026-12-31T23:59:59Z"}));
        let g = Grant { security_policy_id: Patch::Clear, expires_at: Patch::Clear, ..g };
        assert_eq!(g.to_input(), json!({"principalId": "R3JvdXA6MQ==", "securityPolicyId": null, "expiresAt": null}));
    }
}
