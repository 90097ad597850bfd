//! Security policies: the sign-in and device rules applied to resources. The API can read them
//! and change which groups they apply to; it cannot create or delete them.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paginate::Page;
use super::{
    Client, NameFilter, Named, Ref, Vars, WireConn, WireEdge, WirePageInfo, WithGroups, from_api_enum, gen_enum,
    nested_all,
};
use crate::error::{Error, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `SecurityPolicyGet` generates the fragment's struct; the list answers with it (`response_type`)
// next to the groups it counts.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/security_policy.graphql",
    response_derives = "Debug"
)]
pub(crate) struct SecurityPolicyGet;

/// A policy as the API answers it: the generated fragment.
pub(crate) type Fields = security_policy_get::SecurityPolicyFields;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/security_policy.graphql",
    response_derives = "Debug",
    variables_derives = "Deserialize"
)]
pub(crate) struct SecurityPolicyUpdate;

/// The groups page of [`SecurityPolicyGroups`].
#[derive(Debug, Deserialize)]
pub(crate) struct GroupsOnly {
    groups: WireConn<Ref>,
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/security_policy.graphql",
    response_type = "WireConn<WithGroups<Fields>>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct SecurityPolicyList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/security_policy.graphql",
    response_type = "GroupsOnly"
)]
pub(crate) struct SecurityPolicyGroups;

/// The built-in default policy, or one applied to chosen resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum PolicyType {
    DefaultResource,
    Resource,
}

/// A security policy as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityPolicy {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) policy_type: PolicyType,
    pub(crate) group_count: i64,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// Every group the policy applies to (`get` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) groups: Option<Vec<Ref>>,
}

impl Named for SecurityPolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl TryFrom<WithGroups<Fields>> for SecurityPolicy {
    type Error = Error;

    /// The one mapping: the type into ours (an unknown value is a bad response), the groups
    /// counted.
    fn try_from(w: WithGroups<Fields>) -> Result<Self> {
        let f = w.fields;
        Ok(SecurityPolicy {
            id: f.id,
            name: f.name,
            policy_type: from_api_enum(&f.policy_type)?,
            group_count: w.groups.total_count,
            created_at: f.created_at,
            updated_at: f.updated_at,
            groups: None,
        })
    }
}

/// One page of policies.
pub(crate) async fn list_page(
    client: &Client,
    filter: &NameFilter,
    policy_type: Option<PolicyType>,
    after: Option<String>,
    first: i64,
) -> Result<Page<SecurityPolicy>> {
    use security_policy_list as q;
    let types = policy_type.map(|t| gen_enum(&t)).transpose()?;
    let name = filter.input()?;
    let api_filter = (name.is_some() || types.is_some()).then(|| q::SecurityPolicyFilterField {
        name,
        policy_type: types.map(|t| q::SecurityPolicyTypeFilterOperatorInput { in_: Some(vec![t]) }),
    });
    let data = client.post::<SecurityPolicyList>(q::Variables { first, after, filter: api_filter }).await?;
    data.security_policies.into_page(SecurityPolicy::try_from)
}

/// The policy with this ID and all its groups, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<SecurityPolicy>> {
    let data = client.post::<SecurityPolicyGet>(security_policy_get::Variables { id: id.to_owned() }).await?;
    let Some(node) = data.security_policy else {
        return Ok(None);
    };
    use security_policy_get as q;
    let q::SecurityPolicyGetSecurityPolicy { security_policy_fields: fields, groups: first } = node;
    let first = WireConn {
        total_count: first.total_count,
        page_info: Some(WirePageInfo {
            end_cursor: first.page_info.end_cursor,
            has_next_page: first.page_info.has_next_page,
        }),
        edges: first.edges.into_iter().map(|e| WireEdge { node: Ref { id: e.node.id, name: e.node.name } }).collect(),
    };
    let groups = nested_all(first, |after| async move {
        let vars = security_policy_groups::Variables { id: id.to_owned(), after: Some(after) };
        let data = client.post::<SecurityPolicyGroups>(vars).await?;
        let node = data.security_policy.ok_or_else(|| Error::not_found(format!("security policy {id} disappeared")))?;
        Ok(node.groups)
    })
    .await?;
    let fields = WithGroups { fields, groups: WireConn::default() };
    let mut policy = SecurityPolicy::try_from(fields)?;
    policy.group_count = groups.len() as i64;
    policy.groups = Some(groups);
    Ok(Some(policy))
}

/// By ID or exact name.
pub(crate) async fn find(client: &Client, text: &str) -> Result<SecurityPolicy> {
    super::find("security policy", "SecurityPolicy", text, get(client, text), async {
        Ok(list_page(client, &NameFilter::exact(text), None, None, 10).await?.nodes)
    })
    .await
}

/// Group changes: `set` replaces all groups; `added`/`removed` are deltas.
#[derive(Debug, Default)]
pub(crate) struct GroupChanges {
    pub(crate) set: Option<Vec<String>>,
    pub(crate) added: Vec<String>,
    pub(crate) removed: Vec<String>,
}

impl GroupChanges {
    pub(crate) fn to_vars(&self, id: &str) -> Value {
        Vars::new()
            .set("id", id)
            .opt("groupIds", self.set.as_ref())
            .opt("addedGroupIds", (!self.added.is_empty()).then_some(&self.added))
            .opt("removedGroupIds", (!self.removed.is_empty()).then_some(&self.removed))
            .into_value()
    }
}

/// Changes the policy's groups; returns the policy as it is afterwards.
pub(crate) async fn update(client: &Client, id: &str, changes: &GroupChanges) -> Result<SecurityPolicy> {
    let _ = client.post_vars::<SecurityPolicyUpdate>(changes.to_vars(id)).await?;
    get(client, id).await?.ok_or_else(|| Error::not_found(format!("security policy {id} disappeared")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_policy_and_builds_group_changes() {
        let node = serde_json::json!({
            "id": "U2VjdXJpdHlQb2xpY3k6MjE0MDY5", "name": "Default Policy", "policyType": "DEFAULT_RESOURCE",
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-15T01:13:51+00:00",
            "groups": {"totalCount": 4}
        });
        let typed: WithGroups<Fields> = serde_json::from_value(node).unwrap();
        let p = SecurityPolicy::try_from(typed).unwrap();
        assert_eq!((p.policy_type, p.group_count), (PolicyType::DefaultResource, 4));
        assert_eq!(serde_json::to_value(&p).unwrap()["policyType"], "default-resource");

        let c = GroupChanges { added: vec!["a".into()], ..GroupChanges::default() };
        assert_eq!(c.to_vars("p"), serde_json::json!({"id": "p", "addedGroupIds": ["a"]}));
        let c = GroupChanges { set: Some(vec![]), ..GroupChanges::default() };
        assert_eq!(c.to_vars("p"), serde_json::json!({"id": "p", "groupIds": []}));
    }
}
