//! Groups of users, and the resources they may reach. Only MANUAL groups can be changed through
//! the API: SYNCED groups come from an identity provider and SYSTEM groups (Everyone) are built in.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paginate::Page;
use super::{Client, NameFilter, Named, Ref, Vars, WireConn, WirePayload, from_api_enum, gen_enum, label, nested_all};
use crate::error::{Error, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `GroupCreate` generates the fragment's struct; every other operation answers with it
// (`response_type`), next to the users and resources it selects.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_derives = "Debug",
    skip_serializing_none
)]
pub(crate) struct GroupCreate;

/// A group as the API answers it: the generated fragment.
pub(crate) type Fields = group_create::GroupFields;

/// A group node: the fragment, and its users and resources (counted in lists, paged by `get`).
/// Resources are an interface; reading them as [`Ref`]s accepts kinds of resources the schema
/// file does not list (see `resources::WireResource`).
#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    #[serde(flatten)]
    fields: Fields,
    users: WireConn<WireMember>,
    resources: WireConn<Ref>,
}

/// A page of a group's users ([`GroupUsers`]).
#[derive(Debug, Deserialize)]
pub(crate) struct UsersOnly {
    users: WireConn<WireMember>,
}

/// A page of a group's resources ([`GroupResources`]).
#[derive(Debug, Deserialize)]
pub(crate) struct ResourcesOnly {
    resources: WireConn<Ref>,
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_type = "WireConn<Node>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct GroupList;

#[derive(GraphQLQuery)]
#[graphql(schema_path = "graphql/schema.graphql", query_path = "graphql/group/group.graphql", response_type = "Node")]
pub(crate) struct GroupGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_type = "UsersOnly"
)]
pub(crate) struct GroupUsers;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_type = "ResourcesOnly"
)]
pub(crate) struct GroupResources;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_type = "WirePayload<Node>",
    variables_derives = "Deserialize"
)]
pub(crate) struct GroupUpdate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/group/group.graphql",
    response_derives = "Debug"
)]
pub(crate) struct GroupDelete;

/// Where a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum GroupType {
    /// Made in Twingate; the only kind the API can change
    Manual,
    /// Synced from an identity provider
    Synced,
    /// Built in (Everyone)
    System,
}

/// A user as a member of something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) email: Option<String>,
    pub(crate) name: String,
}

/// A member as a group's `users` page selects it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireMember {
    id: String,
    email: Option<String>,
    first_name: String,
    last_name: String,
}

impl From<WireMember> for Member {
    fn from(w: WireMember) -> Self {
        Member::new(w.id, w.email, &w.first_name, &w.last_name)
    }
}

impl Member {
    /// A member from the user's fields: the name is first and last name.
    pub(crate) fn new(id: String, email: Option<String>, first_name: &str, last_name: &str) -> Self {
        Member { id, email, name: format!("{first_name} {last_name}").trim().to_owned() }
    }

    pub(crate) fn label(&self) -> String {
        self.email.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// A group as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) group_type: GroupType,
    pub(crate) is_active: bool,
    pub(crate) security_policy: Option<Ref>,
    pub(crate) user_count: i64,
    pub(crate) resource_count: i64,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// Every member (`get` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) users: Option<Vec<Member>>,
    /// Every resource (`get` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resources: Option<Vec<Ref>>,
}

impl Named for Group {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Group {
    /// Only MANUAL groups can be changed; say why otherwise, before anything is sent.
    pub(crate) fn ensure_writable(&self, action: &str) -> Result<()> {
        let why = match self.group_type {
            GroupType::Manual => return Ok(()),
            GroupType::Synced => "it is synced from your identity provider; change it there",
            GroupType::System => "it is built in",
        };
        Err(Error::rejected(format!(
            "cannot {action} group {:?}: it is a {} group, and only manual groups can be changed ({why})",
            self.name,
            label(&self.group_type)
        ))
        .hint("create a manual group with `tgctl group create` and use that instead"))
    }
}

impl Group {
    /// The one mapping: the type into ours (an unknown value is a bad response), the counts.
    fn from_parts(f: Fields, user_count: i64, resource_count: i64) -> Result<Self> {
        Ok(Group {
            id: f.id,
            name: f.name,
            group_type: from_api_enum(&f.type_)?,
            is_active: f.is_active,
            security_policy: Some(Ref { id: f.security_policy.id, name: f.security_policy.name }),
            user_count,
            resource_count,
            created_at: f.created_at,
            updated_at: f.updated_at,
            users: None,
            resources: None,
        })
    }
}

impl TryFrom<Node> for Group {
    type Error = Error;

    fn try_from(n: Node) -> Result<Self> {
        Group::from_parts(n.fields, n.users.total_count, n.resources.total_count)
    }
}

/// List filters the API applies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub(crate) name: NameFilter,
    pub(crate) types: Vec<GroupType>,
    pub(crate) active: Option<bool>,
}

/// One page of groups.
pub(crate) async fn list_page(
    client: &Client,
    filter: &Filter,
    after: Option<String>,
    first: i64,
) -> Result<Page<Group>> {
    use group_list as q;
    let types = filter.types.iter().map(gen_enum).collect::<Result<Vec<q::GroupType>>>()?;
    let empty = filter.name.is_empty() && types.is_empty() && filter.active.is_none();
    let name = filter.name.input()?;
    let api_filter = (!empty).then(|| q::GroupFilterInput {
        name,
        type_: (!types.is_empty()).then_some(q::GroupTypeFilterOperatorInput { in_: Some(types) }),
        is_active: filter.active.map(|a| q::BooleanFilterOperatorInput { eq: Some(a) }),
        origin_id: None,
    });
    let data = client.post::<GroupList>(q::Variables { first, after, filter: api_filter }).await?;
    data.groups.into_page(Group::try_from)
}

async fn get_node(client: &Client, id: &str) -> Result<Option<Node>> {
    let vars = group_get::Variables { id: id.to_owned(), users_after: None, resources_after: None };
    Ok(client.post::<GroupGet>(vars).await?.group)
}

/// The group with this ID (counts only), or `None`.
pub(crate) async fn get_summary(client: &Client, id: &str) -> Result<Option<Group>> {
    get_node(client, id).await?.map(Group::try_from).transpose()
}

/// The group with this ID with all its members and resources, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<Group>> {
    let Some(node) = get_node(client, id).await? else {
        return Ok(None);
    };
    let gone = || Error::not_found(format!("group {id} disappeared"));
    let users = nested_all(node.users, |after| async move {
        let vars = group_users::Variables { id: id.to_owned(), users_after: Some(after) };
        Ok(client.post::<GroupUsers>(vars).await?.group.ok_or_else(gone)?.users)
    })
    .await?;
    let resources = nested_all(node.resources, |after| async move {
        let vars = group_resources::Variables { id: id.to_owned(), resources_after: Some(after) };
        Ok(client.post::<GroupResources>(vars).await?.group.ok_or_else(gone)?.resources)
    })
    .await?;
    let mut group = Group::from_parts(node.fields, users.len() as i64, resources.len() as i64)?;
    group.users = Some(users.into_iter().map(Member::from).collect());
    group.resources = Some(resources);
    Ok(Some(group))
}

/// By ID or exact name (counts only).
pub(crate) async fn find(client: &Client, text: &str) -> Result<Group> {
    let filter = Filter { name: NameFilter::exact(text), ..Filter::default() };
    super::find("group", "Group", text, get_summary(client, text), async {
        Ok(list_page(client, &filter, None, 10).await?.nodes)
    })
    .await
}

pub(crate) async fn create(
    client: &Client,
    name: &str,
    user_ids: Vec<String>,
    resource_ids: Vec<String>,
) -> Result<Group> {
    let vars = group_create::Variables {
        name: name.to_owned(),
        user_ids: (!user_ids.is_empty()).then_some(user_ids),
        resource_ids: (!resource_ids.is_empty()).then_some(resource_ids),
    };
    let data = client.post::<GroupCreate>(vars).await?;
    let entity = data
        .group_create
        .entity
        .map(|e| Group::from_parts(e.group_fields, e.users.total_count, e.resources.total_count))
        .transpose()?;
    super::echoed(client, "groupCreate", entity, async { find(client, name).await.map(Some) }).await
}

/// What `update` changes; empty lists and `None` leave things alone.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub(crate) name: Option<String>,
    pub(crate) is_active: Option<bool>,
    pub(crate) added_users: Vec<String>,
    pub(crate) removed_users: Vec<String>,
    pub(crate) added_resources: Vec<String>,
    pub(crate) removed_resources: Vec<String>,
}

impl Changes {
    pub(crate) fn to_vars(&self, id: &str) -> Value {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        Vars::new()
            .set("id", id)
            .opt("name", self.name.as_ref())
            .opt("isActive", self.is_active)
            .opt("addedUserIds", list(&self.added_users))
            .opt("removedUserIds", list(&self.removed_users))
            .opt("addedResourceIds", list(&self.added_resources))
            .opt("removedResourceIds", list(&self.removed_resources))
            .into_value()
    }
}

pub(crate) async fn update(client: &Client, id: &str, changes: &Changes) -> Result<Group> {
    let data = client.post_vars::<GroupUpdate>(changes.to_vars(id)).await?;
    let entity = data.group_update.entity.map(Group::try_from).transpose()?;
    super::echoed(client, "groupUpdate", entity, get_summary(client, id)).await
}

pub(crate) async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<GroupDelete>(group_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_groups_and_refuses_to_change_synced_ones() {
        let node = serde_json::json!({
            "id": "R3JvdXA6MzQ4OTE=", "name": "Engineering", "type": "SYNCED", "isActive": true,
            "securityPolicy": {"id": "U2VjdXJpdHlQb2xpY3k6MQ==", "name": "Default Policy"},
            "createdAt": "2024-02-15T01:13:51.059028+00:00", "updatedAt": "2024-02-15T01:13:51+00:00",
            "users": {"totalCount": 12}, "resources": {"totalCount": 3}
        });
        let typed: Node = serde_json::from_value(node).unwrap();
        let g = Group::try_from(typed).unwrap();
        assert_eq!((g.group_type, g.user_count, g.resource_count), (GroupType::Synced, 12, 3));
        let err = g.ensure_writable("update").unwrap_err();
        assert!(err.message.contains("synced group"), "{}", err.message);
        assert_eq!(serde_json::to_value(&g).unwrap()["groupType"], "synced");

        let c = Changes { added_users: vec!["VXNlcjox".into()], is_active: Some(false), ..Changes::default() };
        assert_eq!(c.to_vars("g"), serde_json::json!({"id": "g", "isActive": false, "addedUserIds": ["VXNlcjox"]}));
    }

    #[test]
    fn members_get_a_display_name() {
        let m: Member = serde_json::from_value::<WireMember>(
            serde_json::json!({"id": "VXNlcjox", "email": null, "firstName": "Ada", "lastName": ""}),
        )
        .unwrap()
        .into();
        assert_eq!((m.name.as_str(), m.label()), ("Ada", "Ada".to_owned()));
    }
}
