//! `tgctl user`.

use serde_json::json;

use crate::common::*;
use crate::group::user;

async fn world() -> World {
    let w = World::new().await;
    w.on_vars(
        "UserList",
        json!({"filter": {"email": {"eq": "ada@example.com"}}}),
        json!({"users": conn(vec![user("1", "ada@example.com")], None)}),
    )
    .await;
    let mut pending = user("2", "new@example.com");
    pending["state"] = json!("PENDING");
    w.on_vars(
        "UserList",
        json!({"filter": {"email": {"eq": "new@example.com"}}}),
        json!({"users": conn(vec![pending], None)}),
    )
    .await;
    let mut with_groups = user("1", "ada@example.com");
    with_groups["groups"] = conn(vec![json!({"id": gid("Group", "1"), "name": "Engineering"})], None);
    w.on("UserGet", json!({"user": with_groups})).await;
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn list_maps_role_and_email_filters_and_matches_states_locally() {
    let w = World::new().await;
    let mut pending = user("2", "new@example.com");
    pending["state"] = json!("PENDING");
    w.on("UserList", json!({"users": conn(vec![user("1", "ada@example.com"), pending], None)})).await;
    let r = w
        .run(&[
            "user",
            "list",
            "--role",
            "admin",
            "--role",
            "access-reviewer",
            "--state",
            "pending",
            "--email-suffix",
            "@example.com",
        ])
        .await;
    r.success().stdout_has("new@example.com\tAda Lovelace\tmember\tpending\tmanual");
    assert!(!r.stdout().contains("ada@example.com"), "{}", r.stdout());
    let f = &w.vars("UserList").await[0]["filter"];
    assert_eq!(f["role"], json!({"in": ["ADMIN", "ACCESS_REVIEWER"]}));
    assert_eq!(f["email"], json!({"endsWith": "@example.com"}));
    // UserFilterInput as the public 2024 introspection has it (reference notes, section 3):
    // firstName, lastName, email, role. No `state`, and no nulls for filters not used.
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["email", "role"], "{f}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_by_email_or_id_shows_groups() {
    let w = world().await;
    let r = w.run(&["user", "get", "ada@example.com", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["groups"][0]["name"], "Engineering");
    assert_eq!(r.json()["role"], "member");
    w.run(&["user", "get", &gid("User", "1")]).await.success().stdout_has("groups\tEngineering");
    w.run(&["user", "get", "ada"]).await.failure(2).stderr_has("neither a user ID nor an e-mail address");
}

#[tokio::test(flavor = "multi_thread")]
async fn invite_creates_a_pending_user() {
    let w = World::new().await;
    let mut pending = user("3", "grace@example.com");
    pending["state"] = json!("PENDING");
    w.on("UserCreate", json!({"userCreate": ok_entity(pending)})).await;
    let r = w.run(&["user", "invite", "grace@example.com", "--role", "devops", "--send-invite", "-o", "json"]).await;
    r.success().stderr_has("an invitation was e-mailed");
    assert_eq!(r.json()["state"], "pending");
    assert_eq!(
        w.vars("UserCreate").await[0],
        json!({"email": "grace@example.com", "role": "DEVOPS", "shouldSendInvite": true})
    );
    w.run(&["user", "invite", "grace"]).await.failure(2).stderr_has("not an e-mail address");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_uses_both_mutations_and_refuses_to_disable_pending_users() {
    let w = world().await;
    w.on("UserDetailsUpdate", json!({"userDetailsUpdate": ok_entity(user("1", "ada@example.com"))})).await;
    w.on("UserRoleUpdate", json!({"userRoleUpdate": ok_entity(user("1", "ada@example.com"))})).await;
    w.run(&["user", "update", "ada@example.com", "--state", "disabled", "--role", "admin"]).await.success();
    assert_eq!(w.vars("UserDetailsUpdate").await[0], json!({"id": gid("User", "1"), "state": "DISABLED"}));
    assert_eq!(w.vars("UserRoleUpdate").await[0], json!({"id": gid("User", "1"), "role": "ADMIN"}));
    w.run(&["user", "update", "ada@example.com", "--first-name", "Augusta"]).await.success();
    assert_eq!(w.vars("UserDetailsUpdate").await[1], json!({"id": gid("User", "1"), "firstName": "Augusta"}));

    let r = w.run(&["user", "update", "new@example.com", "--state", "disabled", "-o", "json"]).await;
    r.failure(5);
    assert!(r.json_error()["message"].as_str().unwrap().contains("has not accepted their invitation"));
    w.run(&["user", "update", "ada@example.com"]).await.failure(2).stderr_has("nothing to change");
    w.run(&["user", "update", "ada@example.com", "--state", "pending"]).await.failure(2);
    assert_eq!(w.vars("UserDetailsUpdate").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_confirms_and_reports_rejections() {
    let w = world().await;
    w.on("UserDelete", json!({"userDelete": not_ok("Cannot delete the last admin")})).await;
    w.run(&["user", "delete", "ada@example.com"])
        .await
        .failure(2)
        .stderr_has("refusing to delete user ada@example.com");
    w.run(&["user", "rm", "ada@example.com", "--yes"]).await.failure(5).stderr_has("Cannot delete the last admin");
}
