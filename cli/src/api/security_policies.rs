//! Security policies: the sign-in and device rules applied to resources. The API can read them
//! and change which groups they apply to; it cannot create or delete them.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paginate::Page;
use super::{Client, DateTime, NameFilter, Named, Ref, Vars, WireConn, gen_enum, nested_all, page_of, wire};
use crate::error::{Error, Result};

#[allow(dead_code)]
type _Scalars = DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/list.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct SecurityPolicyList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/get.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct SecurityPolicyGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/groups.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct SecurityPolicyGroups;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/security_policy/update.graphql",
    response_derives = "Debug"
)]
pub struct SecurityPolicyUpdate;

/// The built-in default policy, or one applied to chosen resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub enum PolicyType {
    DefaultResource,
    Resource,
}

/// A security policy as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPolicy {
    pub id: String,
    pub name: String,
    pub policy_type: PolicyType,
    pub group_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Every group the policy applies to (`get` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Ref>>,
}

impl Named for SecurityPolicy {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePolicy {
    id: String,
    name: String,
    policy_type: PolicyType,
    created_at: Timestamp,
    updated_at: Timestamp,
    groups: WireConn<Value>,
}

impl From<WirePolicy> for SecurityPolicy {
    fn from(w: WirePolicy) -> Self {
        SecurityPolicy {
            id: w.id,
            name: w.name,
            policy_type: w.policy_type,
            group_count: w.groups.total_count,
            created_at: w.created_at,
            updated_at: w.updated_at,
            groups: None,
        }
    }
}

/// One page of policies.
pub async fn list_page(
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
    page_of(data.security_policies, |n: WirePolicy| Ok(n.into()))
}

/// The policy with this ID and all its groups, or `None`.
pub async fn get(client: &Client, id: &str) -> Result<Option<SecurityPolicy>> {
    let data = client.post::<SecurityPolicyGet>(security_policy_get::Variables { id: id.to_owned() }).await?;
    let Some(node) = data.security_policy else {
        return Ok(None);
    };
    let first: WireConn<Ref> = wire(&node.groups)?;
    let groups = nested_all(first, |after| async move {
        let vars = security_policy_groups::Variables { id: id.to_owned(), after: Some(after) };
        let data = client.post::<SecurityPolicyGroups>(vars).await?;
        let node = data.security_policy.ok_or_else(|| Error::not_found(format!("security policy {id} disappeared")))?;
        wire(node.groups)
    })
    .await?;
    let mut policy: SecurityPolicy = wire::<_, WirePolicy>(node)?.into();
    policy.group_count = groups.len() as i64;
    policy.groups = Some(groups);
    Ok(Some(policy))
}

/// By ID or exact name.
pub async fn find(client: &Client, text: &str) -> Result<SecurityPolicy> {
    super::find("security policy", "SecurityPolicy", text, get(client, text), async {
        Ok(list_page(client, &NameFilter::exact(text), None, None, 10).await?.nodes)
    })
    .await
}

/// Group changes: `set` replaces all groups; `added`/`removed` are deltas.
#[derive(Debug, Default)]
pub struct GroupChanges {
    pub set: Option<Vec<String>>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl GroupChanges {
    pub fn to_vars(&self, id: &str) -> Value {
        Vars::new()
            .set("id", id)
            .opt("groupIds", self.set.as_ref())
            .opt("addedGroupIds", (!self.added.is_empty()).then_some(&self.added))
            .opt("removedGroupIds", (!self.removed.is_empty()).then_some(&self.removed))
            .into_value()
    }
}

/// Changes the policy's groups; returns the policy as it is afterwards.
pub async fn update(client: &Client, id: &str, changes: &GroupChanges) -> Result<SecurityPolicy> {
    use security_policy_update as q;
    let _: q::ResponseData = client.post_vars(q::QUERY, q::OPERATION_NAME, changes.to_vars(id)).await?;
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
        let typed: security_policy_list::SecurityPolicyListSecurityPoliciesEdgesNode =
            serde_json::from_value(node).unwrap();
        let p: SecurityPolicy = wire::<_, WirePolicy>(typed).unwrap().into();
        assert_eq!((p.policy_type, p.group_count), (PolicyType::DefaultResource, 4));
        assert_eq!(serde_json::to_value(&p).unwrap()["policyType"], "default-resource");

        let c = GroupChanges { added: vec!["a".into()], ..GroupChanges::default() };
        assert_eq!(c.to_vars("p"), serde_json::json!({"id": "p", "addedGroupIds": ["a"]}));
        let c = GroupChanges { set: Some(vec![]), ..GroupChanges::default() };
        assert_eq!(c.to_vars("p"), serde_json::json!({"id": "p", "groupIds": []}));
    }
}
