//! `tgctl service-account ...` through the real binary.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;

pub fn sa_id(n: u32) -> String {
    gid("ServiceAccount", &format!("2dd91f07-a726-4ee5-9e08-{n:012}"))
}

fn sa_node(n: u32, name: &str) -> Value {
    json!({
        "id": sa_id(n), "name": name, "createdAt": T0, "updatedAt": T0,
        "resources": {"totalCount": 1},
        "keys": {"totalCount": 2, "edges": [{"node": {"status": "ACTIVE"}}, {"node": {"status": "REVOKED"}}]}
    })
}

pub fn list_data(nodes: Vec<Value>, next: Option<&str>) -> Value {
    json!({"serviceAccounts": {
        "pageInfo": {"endCursor": next, "hasNextPage": next.is_some()},
        "totalCount": nodes.len(),
        "edges": nodes.into_iter().map(|n| json!({"node": n})).collect::<Vec<_>>()
    }})
}

fn full_account(name: &str, resources: Vec<(&str, &str)>) -> Value {
    json!({
        "id": sa_id(1), "name": name, "createdAt": T0, "updatedAt": T0,
        "resources": {"totalCount": resources.len(), "pageInfo": {"endCursor": null, "hasNextPage": false},
            "edges": resources.iter().map(|(id, n)| json!({"node": {"__typename": "NetworkResource", "id": id, "name": n}})).collect::<Vec<_>>()},
        "keys": {"totalCount": 1, "pageInfo": {"endCursor": null, "hasNextPage": false},
            "edges": [{"node": {"id": gid("ServiceAccountKey", "k1"), "name": "nightly", "status": "ACTIVE", "expiresAt": "2999-01-01T00:00:00+00:00"}}]}
    })
}

/// Mounts the lookup of account "ci" by name.
pub async fn mount_lookup(w: &World) {
    w.on("ServiceAccountList", list_data(vec![sa_node(1, "ci")], None)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_all_pages_in_every_format() {
    let w = World::new().await;
    let page1: Vec<Value> = (0..100).map(|i| sa_node(i, &format!("sa-{i}"))).collect();
    wiremock::Mock::given(wiremock::matchers::body_partial_json(json!({"operationName": "ServiceAccountList"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": list_data(page1, Some("c100"))})))
        .mount(&w.server)
        .await;
    wiremock::Mock::given(wiremock::matchers::body_partial_json(
        json!({"operationName": "ServiceAccountList", "variables": {"after": "c100"}}),
    ))
    .respond_with(
        ResponseTemplate::new(200).set_body_json(json!({"data": list_data(vec![sa_node(100, "last")], None)})),
    )
    .with_priority(1)
    .mount(&w.server)
    .await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    r.success().no_secrets();
    let arr = r.json();
    assert_eq!(arr.as_array().unwrap().len(), 101);
    assert_eq!(arr[100]["name"], "last");
    assert_eq!(arr[0]["activeKeyCount"], 1);
    assert_eq!(arr[0]["createdAt"], "2026-01-01T00:00:00Z");

    let r = w.run(&["service-account", "ls", "-o", "ndjson"]).await;
    assert_eq!(r.success().stdout().lines().count(), 101);
    let r = w.run(&["service-account", "list", "-o", "id", "--limit", "3"]).await;
    assert_eq!(r.success().stdout().lines().collect::<Vec<_>>(), vec![sa_id(0), sa_id(1), sa_id(2)]);
    // Off a terminal the table is tab-separated with full values and RFC 3339 times.
    let r = w.run(&["service-account", "list", "--limit", "1"]).await;
    assert_eq!(r.success().stdout(), format!("{}\tsa-0\t1\t1\t2\t2026-01-01T00:00:00Z\n", sa_id(0)));
    // On a (forced) terminal it is an aligned table with headers and relative times.
    let r = w.run_env(&["service-account", "list", "--limit", "2"], &[("TGCTL_FORCE_TTY", "1")]).await;
    let out = r.success().stdout();
    assert!(out.starts_with("ID"), "{out}");
    assert!(out.contains("ACTIVE KEYS") && out.contains(" ago"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_maps_name_filters_onto_the_api() {
    let w = World::new().await;
    w.on("ServiceAccountList", list_data(vec![], None)).await;
    w.run(&["service-account", "list", "--name-prefix", "ci-", "--name-contains", "deploy"]).await.success();
    let body = &w.requests("ServiceAccountList").await[0];
    assert_eq!(body["variables"]["filter"]["name"]["startsWith"], "ci-");
    assert_eq!(body["variables"]["filter"]["name"]["contains"], "deploy");
    assert_eq!(body["variables"]["first"], 100);
    let r = w.run(&["service-account", "list", "--limit", "0"]).await;
    r.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_by_name_shows_resources_and_keys() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.on("ServiceAccountGet", json!({"serviceAccount": full_account("ci", vec![(&gid("Resource", "1"), "prod-db")])}))
        .await;
    let r = w.run(&["service-account", "get", "ci", "-o", "json"]).await;
    r.success();
    let v = r.json();
    assert_eq!(v["resources"][0]["name"], "prod-db");
    assert_eq!(v["keys"][0]["status"], "active");
    let r = w.run(&["service-account", "get", "ci"]).await;
    r.success().stdout_has("resources\tprod-db").stdout_has("nightly (active)");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_reports_not_found_ambiguous_and_wrong_id_types() {
    let w = World::new().await;
    w.on("ServiceAccountList", list_data(vec![], None)).await;
    w.run(&["service-account", "get", "nope"]).await.failure(4).stderr_has("no service account named \"nope\"");

    let w = World::new().await;
    w.on("ServiceAccountList", list_data(vec![sa_node(1, "dup"), sa_node(2, "dup")], None)).await;
    let r = w.run(&["service-account", "get", "dup", "-o", "json"]).await;
    r.failure(2);
    assert_eq!(r.json_error()["code"], "ambiguous");

    let w = World::new().await;
    w.on("ServiceAccountGet", json!({"serviceAccount": null})).await;
    w.run(&["service-account", "get", &sa_id(9)]).await.failure(4);
    w.run(&["service-account", "get", &gid("Group", "1")]).await.failure(2).stderr_has("is a Group ID");
    assert!(w.requests("ServiceAccountList").await.is_empty(), "a typed ID needs no lookup by name");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_resources_resolves_names_first() {
    let w = World::new().await;
    w.on("ResourceList", json!({"resources": conn(vec![crate::resource::resource("7", "prod-db")], None)})).await;
    w.on(
        "ServiceAccountCreate",
        json!({"serviceAccountCreate": {"ok": true, "error": null, "entity": full_account("ci", vec![(&gid("Resource", "7"), "prod-db")])}}),
    )
    .await;
    let r = w.run(&["service-account", "create", "ci", "--resource", "prod-db", "-o", "id"]).await;
    r.success().stderr_has("Created service account");
    assert_eq!(r.stdout().trim(), sa_id(1));
    let body = &w.requests("ServiceAccountCreate").await[0];
    assert_eq!(body["variables"], json!({"name": "ci", "resourceIds": [gid("Resource", "7")]}));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_fails_before_sending_when_a_resource_is_unknown() {
    let w = World::new().await;
    w.on("ResourceList", json!({"resources": conn(vec![], None)})).await;
    w.expect("ServiceAccountCreate", ResponseTemplate::new(500), 0).await;
    w.run(&["service-account", "create", "ci", "--resource", "typo"])
        .await
        .failure(4)
        .stderr_has("no resource named \"typo\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rejected_by_the_api_is_exit_5() {
    let w = World::new().await;
    w.on(
        "ServiceAccountCreate",
        json!({"serviceAccountCreate": {"ok": false, "error": "Name already taken", "entity": null}}),
    )
    .await;
    let r = w.run(&["service-account", "create", "ci", "-o", "json"]).await;
    r.failure(5);
    let e = r.json_error();
    assert_eq!(e["code"], "rejected");
    assert!(e["message"].as_str().unwrap().contains("Name already taken"));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_renames_and_changes_resources() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.on("ResourceList", json!({"resources": conn(vec![crate::resource::resource("7", "grafana")], None)})).await;
    w.on(
        "ServiceAccountUpdate",
        json!({"serviceAccountUpdate": {"ok": true, "error": null, "entity": full_account("ci-prod", vec![])}}),
    )
    .await;
    w.run(&["service-account", "update", "ci", "--name", "ci-prod", "--add-resource", "grafana"]).await.success();
    let body = &w.requests("ServiceAccountUpdate").await[0];
    assert_eq!(body["variables"]["name"], "ci-prod");
    assert_eq!(body["variables"]["addedResourceIds"], json!([gid("Resource", "7")]));
    w.run(&["service-account", "update", "ci"]).await.failure(2).stderr_has("nothing to change");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_needs_yes_off_a_terminal() {
    let w = World::new().await;
    mount_lookup(&w).await;
    w.expect(
        "ServiceAccountDelete",
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"serviceAccountDelete": {"ok": true, "error": null}}})),
        1,
    )
    .await;
    let r = w.run(&["service-account", "delete", "ci"]).await;
    r.failure(2).stderr_has("--yes");
    let r = w.run(&["service-account", "rm", "ci", "--yes", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["deleted"], true);
}
