//! `tgctl group`.

use serde_json::{Value, json};

use crate::common::*;

pub fn group(pk: &str, name: &str, ty: &str) -> Value {
    json!({
        "id": gid("Group", pk), "name": name, "type": ty, "isActive": true,
        "securityPolicy": {"id": gid("SecurityPolicy", "1"), "name": "Default Policy"},
        "createdAt": T0, "updatedAt": T0, "users": {"totalCount": 2}, "resources": {"totalCount": 1}
    })
}

pub fn user(pk: &str, email: &str) -> Value {
    json!({"id": gid("User", pk), "email": email, "firstName": "Ada", "lastName": "Lovelace", "role": "MEMBER",
           "state": "ACTIVE", "type": "MANUAL", "createdAt": T0, "updatedAt": T0})
}

fn full(pk: &str, name: &str, ty: &str, users_next: Option<&str>) -> Value {
    let mut g = group(pk, name, ty);
    g["users"] = conn(
        vec![json!({"id": gid("User", "1"), "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})],
        users_next,
    );
    g["resources"] =
        conn(vec![json!({"__typename": "KubernetesResource", "id": gid("Resource", "1"), "name": "k8s"})], None);
    g
}

async fn world() -> World {
    let w = World::new().await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Oncall"}}}),
        json!({"groups": conn(vec![group("1", "Oncall", "MANUAL")], None)}),
    )
    .await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Finance"}}}),
        json!({"groups": conn(vec![group("2", "Finance", "SYNCED")], None)}),
    )
    .await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Everyone"}}}),
        json!({"groups": conn(vec![group("3", "Everyone", "SYSTEM")], None)}),
    )
    .await;
    w.on_vars(
        "UserList",
        json!({"filter": {"email": {"eq": "ada@example.com"}}}),
        json!({"users": conn(vec![user("1", "ada@example.com")], None)}),
    )
    .await;
    w.on_vars(
        "UserList",
        json!({"filter": {"email": {"eq": "bob@example.com"}}}),
        json!({"users": conn(vec![user("2", "Bob@Example.com")], None)}),
    )
    .await;
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn list_maps_type_and_activity_filters() {
    let w = World::new().await;
    w.on("GroupList", json!({"groups": conn(vec![group("1", "Oncall", "MANUAL")], None)})).await;
    let r = w
        .run(&[
            "group",
            "list",
            "--type",
            "manual",
            "--type",
            "synced",
            "--active",
            "--name-regex",
            "^On",
            "-o",
            "json",
        ])
        .await;
    r.success();
    assert_eq!(r.json()[0]["groupType"], "manual");
    assert_eq!(r.json()[0]["userCount"], 2);
    let f = &w.vars("GroupList").await[0]["filter"];
    assert_eq!(f["type"], json!({"in": ["MANUAL", "SYNCED"]}));
    assert_eq!(f["isActive"], json!({"eq": true}));
    assert_eq!(f["name"]["regexp"], "^On");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_pages_through_members_and_resources() {
    let w = world().await;
    w.on("GroupGet", json!({"group": full("1", "Oncall", "MANUAL", Some("u1"))})).await;
    w.on(
        "GroupUsers",
        json!({"group": {"users": conn(vec![json!({"id": gid("User", "2"), "email": null, "firstName": "Bob", "lastName": "B"})], None)}}),
    )
    .await;
    let r = w.run(&["group", "get", "Oncall", "-o", "json"]).await;
    r.success();
    let j = r.json();
    assert_eq!(j["users"].as_array().unwrap().len(), 2);
    assert_eq!(j["users"][1]["name"], "Bob B");
    assert_eq!(j["resources"][0]["name"], "k8s");
    assert_eq!(j["userCount"], 2);
    assert_eq!(w.vars("GroupUsers").await[0]["usersAfter"], "u1");
    w.on("GroupList", json!({"groups": conn(vec![], None)})).await;
    w.run(&["group", "get", "nope"]).await.failure(4).stderr_has("no group named \"nope\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_resolves_users_by_email_and_resources_by_name() {
    let w = world().await;
    w.on("ResourceList", json!({"resources": conn(vec![crate::resource::resource("1", "prod-db")], None)})).await;
    w.on("GroupCreate", json!({"groupCreate": ok_entity(group("9", "New", "MANUAL"))})).await;
    let r = w
        .run(&[
            "group",
            "create",
            "New",
            "--user",
            "ada@example.com",
            "--user",
            "bob@example.com",
            "--resource",
            "prod-db",
            "-o",
            "id",
        ])
        .await;
    r.success();
    assert_eq!(r.stdout().trim(), gid("Group", "9"));
    assert_eq!(
        w.vars("GroupCreate").await[0],
        json!({"name": "New", "userIds": [gid("User", "1"), gid("User", "2")], "resourceIds": [gid("Resource", "1")]})
    );
    // A user must be named by e-mail or ID; a missing one stops everything.
    w.run(&["group", "create", "X", "--user", "ada"])
        .await
        .failure(2)
        .stderr_has("neither a user ID nor an e-mail address");
    w.run(&["group", "create", "X", "--user", &gid("Group", "1")])
        .await
        .failure(2)
        .stderr_has("is a Group ID, not a user ID");
    w.on("UserList", json!({"users": conn(vec![], None)})).await;
    w.run(&["group", "create", "X", "--user", "ghost@example.com"]).await.failure(4);
    assert_eq!(w.vars("GroupCreate").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_changes_members_of_manual_groups_only() {
    let w = world().await;
    w.on("GroupUpdate", json!({"groupUpdate": ok_entity(group("1", "Oncall", "MANUAL"))})).await;
    w.run(&[
        "group",
        "update",
        "Oncall",
        "--add-user",
        "ada@example.com",
        "--remove-user",
        "bob@example.com",
        "--inactive",
    ])
    .await
    .success();
    assert_eq!(
        w.vars("GroupUpdate").await[0],
        json!({"id": gid("Group", "1"), "isActive": false, "addedUserIds": [gid("User", "1")], "removedUserIds": [gid("User", "2")]})
    );
    let r = w.run(&["group", "update", "Finance", "--add-user", "ada@example.com", "-o", "json"]).await;
    r.failure(5);
    assert!(r.json_error()["message"].as_str().unwrap().contains("only manual groups can be changed"));
    w.run(&["group", "delete", "Everyone", "--yes"]).await.failure(5).stderr_has("built in");
    w.run(&["group", "update", "Oncall", "--add-user", "ada@example.com", "--remove-user", "ada@example.com"])
        .await
        .failure(2)
        .stderr_has("both added and removed");
    w.run(&["group", "update", "Oncall"]).await.failure(2).stderr_has("nothing to change");
    assert_eq!(w.vars("GroupUpdate").await.len(), 1, "nothing sent for synced or system groups");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_update_and_delete_with_confirmation() {
    let w = world().await;
    w.on("GroupUpdate", json!({"groupUpdate": not_ok("Group name already taken")})).await;
    w.on("GroupDelete", json!({"groupDelete": {"ok": true, "error": null}})).await;
    w.run(&["group", "update", "Oncall", "--name", "Dup"]).await.failure(5).stderr_has("Group name already taken");
    w.run(&["group", "delete", "Oncall"]).await.failure(2).stderr_has("--yes");
    w.run(&["group", "delete", "Oncall", "--yes", "-o", "id"]).await.success().stdout_has(&gid("Group", "1"));
}
