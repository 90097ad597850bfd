//! `tgctl remote-network`.

use serde_json::{Value, json};

use crate::common::*;

pub fn network(pk: &str, name: &str) -> Value {
    json!({
        "id": gid("RemoteNetwork", pk), "name": name, "isActive": true, "location": "AWS",
        "networkType": "REGULAR", "createdAt": T0, "updatedAt": T0,
        "connectors": {"totalCount": 1}, "resources": {"totalCount": 2}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_every_page_and_sends_name_filters() {
    let w = World::new().await;
    // The first page is asked without `after` (filters and cursors are sent only when set).
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-a")], Some("p1"))})).await;
    w.on_vars(
        "RemoteNetworkList",
        json!({"after": "p1"}),
        json!({"remoteNetworks": conn(vec![network("2", "aws-b")], None)}),
    )
    .await;
    let r = w.run(&["remote-network", "list", "--name-prefix", "aws-", "-o", "json"]).await;
    r.success().no_secrets();
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["name"], "aws-b");
    assert_eq!(rows[0]["location"], "aws");
    assert_eq!(rows[0]["connectorCount"], 1);
    let vars = w.vars("RemoteNetworkList").await;
    assert_eq!(vars.len(), 2);
    assert_eq!(vars[0]["filter"]["name"]["startsWith"], "aws-");
    assert_eq!(vars[0]["first"], 100);

    // Tab-separated off a terminal, one row per network; --limit stops early.
    let r = w.run(&["remote-network", "ls", "--limit", "1"]).await;
    r.success();
    assert_eq!(r.stdout().lines().count(), 1, "{}", r.stdout());
    assert!(r.stdout().starts_with(&gid("RemoteNetwork", "1")));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_location_and_activity_client_side() {
    let w = World::new().await;
    let mut off = network("2", "lab");
    off["isActive"] = json!(false);
    off["location"] = json!("ON_PREMISE");
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws"), off], None)})).await;
    let r = w.run(&["remote-network", "list", "--inactive", "--location", "on-premise", "-o", "id"]).await;
    r.success();
    assert_eq!(r.stdout().trim(), gid("RemoteNetwork", "2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn get_by_name_by_id_and_the_lookup_failures() {
    let w = World::new().await;
    w.on_vars(
        "RemoteNetworkList",
        json!({"filter": {"name": {"eq": "aws-prod"}}}),
        json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)}),
    )
    .await;
    w.on_vars(
        "RemoteNetworkList",
        json!({"filter": {"name": {"eq": "twin"}}}),
        json!({"remoteNetworks": conn(vec![network("7", "twin"), network("8", "twin")], None)}),
    )
    .await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![], None)})).await;
    w.on_vars(
        "RemoteNetworkGet",
        json!({"id": gid("RemoteNetwork", "1")}),
        json!({"remoteNetwork": network("1", "aws-prod")}),
    )
    .await;
    w.on("RemoteNetworkGet", json!({"remoteNetwork": null})).await;

    let r = w.run(&["remote-network", "get", "aws-prod"]).await;
    r.success().stdout_has("location\taws");
    let r = w.run(&["remote-network", "get", &gid("RemoteNetwork", "1"), "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["name"], "aws-prod");

    let r = w.run(&["remote-network", "get", "twin"]).await;
    r.failure(2).stderr_has("2 remote networks are named \"twin\"").stderr_has(&gid("RemoteNetwork", "8"));
    let r = w.run(&["remote-network", "get", "nope", "-o", "json"]).await;
    r.failure(4);
    assert_eq!(r.json_error()["code"], "not_found");
    w.run(&["remote-network", "get", &gid("RemoteNetwork", "404")])
        .await
        .failure(4)
        .stderr_has("no remote network with ID");
    w.run(&["remote-network", "get", &gid("Group", "1")])
        .await
        .failure(2)
        .stderr_has("is a Group ID, not a remote network ID");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_sends_location_and_type_and_reports_rejections() {
    let w = World::new().await;
    let mut created = network("9", "egress");
    created["networkType"] = json!("EXIT");
    created["location"] = json!("GOOGLE_CLOUD");
    w.on_vars("RemoteNetworkCreate", json!({"name": "egress"}), json!({"remoteNetworkCreate": ok_entity(created)}))
        .await;
    w.on(
        "RemoteNetworkCreate",
        json!({"remoteNetworkCreate": not_ok("A remote network with this name already exists")}),
    )
    .await;
    let r = w
        .run(&["remote-network", "create", "egress", "--type", "exit", "--location", "google-cloud", "-o", "id"])
        .await;
    r.success().stderr_has("Created remote network");
    assert_eq!(r.stdout().trim(), gid("RemoteNetwork", "9"));
    let vars = &w.vars("RemoteNetworkCreate").await[0];
    assert_eq!(vars, &json!({"name": "egress", "isActive": true, "location": "GOOGLE_CLOUD", "networkType": "EXIT"}));

    let r = w.run(&["remote-network", "create", "dup", "-o", "json"]).await;
    r.failure(5);
    assert_eq!(r.json_error()["code"], "rejected");
    assert!(r.json_error()["message"].as_str().unwrap().contains("already exists"));
    w.run(&["remote-network", "create", " "]).await.failure(2).stderr_has("must not be empty");
    w.run(&["remote-network", "create", "x", "--location", "mars"]).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_sends_only_the_fields_given() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "lab")], None)})).await;
    let mut updated = network("1", "lab");
    updated["isActive"] = json!(false);
    w.on("RemoteNetworkUpdate", json!({"remoteNetworkUpdate": ok_entity(updated)})).await;
    let r = w.run(&["remote-network", "update", "lab", "--inactive", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["isActive"], false);
    let vars = &w.vars("RemoteNetworkUpdate").await[0];
    assert_eq!(vars, &json!({"id": gid("RemoteNetwork", "1"), "isActive": false}));
    w.run(&["remote-network", "update", "lab"]).await.failure(2).stderr_has("nothing to change");
    w.run(&["remote-network", "update", "lab", "--active", "--inactive"]).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_needs_confirmation_off_a_terminal() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "lab")], None)})).await;
    w.expect(
        "RemoteNetworkDelete",
        wiremock::ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"remoteNetworkDelete": {"ok": true, "error": null}}})),
        1,
    )
    .await;
    let r = w.run(&["remote-network", "delete", "lab", "-o", "json"]).await;
    r.failure(2);
    assert_eq!(r.json_error()["code"], "confirmation_required");
    let r = w.run(&["remote-network", "rm", "lab", "--yes", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["deleted"], true);
}
