//! `tgctl resource` and `tgctl resource access`.

use serde_json::{Value, json};

use crate::common::*;
use crate::remote_network::network;

pub fn resource(pk: &str, name: &str) -> Value {
    json!({
        "__typename": "NetworkResource", "id": gid("Resource", pk), "name": name,
        "address": {"type": "DNS", "value": "db.internal"}, "alias": null,
        "remoteNetwork": {"id": gid("RemoteNetwork", "1"), "name": "aws-prod"},
        "protocols": {"allowIcmp": true, "tcp": {"policy": "ALLOW_ALL", "ports": []}, "udp": {"policy": "ALLOW_ALL", "ports": []}},
        "isActive": true, "isVisible": true, "isBrowserShortcutEnabled": false,
        "securityPolicy": null, "tags": [{"key": "env", "value": "prod"}],
        "createdAt": T0, "updatedAt": T0, "access": {"totalCount": 2}
    })
}

pub fn policy(pk: &str, name: &str) -> Value {
    json!({"id": gid("SecurityPolicy", pk), "name": name, "policyType": "RESOURCE", "createdAt": T0, "updatedAt": T0,
           "groups": {"totalCount": 1}})
}

fn access_edge(ty: &str, pk: &str, name: &str, policy: Option<(&str, &str)>) -> Value {
    json!({
        "cursor": "c",
        "node": {"__typename": ty, "id": gid(ty, pk), "name": name},
        "securityPolicy": policy.map(|(pk, n)| json!({"id": gid("SecurityPolicy", pk), "name": n})),
        "expiresAt": null
    })
}

fn access(edges: Vec<Value>) -> Value {
    json!({"resource": {"__typename": "NetworkResource", "id": gid("Resource", "1"), "name": "prod-db", "access": {
        "pageInfo": {"endCursor": null, "hasNextPage": false}, "edges": edges
    }}})
}

fn group_node(pk: &str, name: &str) -> Value {
    crate::group::group(pk, name, "MANUAL")
}

async fn world() -> World {
    let w = World::new().await;
    w.on("ResourceList", json!({"resources": conn(vec![resource("1", "prod-db")], None)})).await;
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_and_filters_by_network_tag_and_name() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)})).await;
    let mut ssh = resource("2", "bastion");
    ssh["__typename"] = json!("SSHResource");
    // The first page is asked without `after` (filters and cursors are sent only when set).
    w.on("ResourceList", json!({"resources": conn(vec![resource("1", "prod-db")], Some("p1"))})).await;
    w.on_vars("ResourceList", json!({"after": "p1"}), json!({"resources": conn(vec![ssh], None)})).await;
    let r = w
        .run(&[
            "resource",
            "list",
            "--remote-network",
            "aws-prod",
            "--tag",
            "env=prod",
            "--name-contains",
            "d",
            "-o",
            "json",
        ])
        .await;
    r.success();
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["kind"], "ssh", "a resource kind the schema file doesn't list still maps");
    assert_eq!(rows[0]["protocols"], json!({"tcp": "all", "udp": "all", "allowIcmp": true}));
    let vars = &w.vars("ResourceList").await[0];
    assert_eq!(
        vars["filter"],
        // Only the members in use: no nulls for filters not given (docs/api-fidelity.md).
        json!({"name": {"contains": "d"},
               "remoteNetworkId": {"eq": gid("RemoteNetwork", "1")},
               "tags": {"and": [{"key": "env", "value": {"eq": "prod"}}]}})
    );
    w.run(&["resource", "list", "--tag", "env"]).await.failure(2).stderr_has("not KEY=VALUE");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_shows_access_and_lookup_failures_are_clear() {
    let w = world().await;
    w.on_vars(
        "ResourceList",
        json!({"filter": {"name": {"eq": "twin"}}}),
        json!({"resources": conn(vec![resource("7", "twin"), resource("8", "twin")], None)}),
    )
    .await;
    w.on(
        "ResourceAccessList",
        access(vec![
            access_edge("Group", "1", "Engineering", Some(("2", "Strict"))),
            access_edge("ServiceAccount", "9", "ci", None),
        ]),
    )
    .await;
    w.on("ResourceGet", json!({"resource": null})).await;
    let r = w.run(&["resource", "get", "prod-db", "-o", "json"]).await;
    r.success();
    let j = r.json();
    assert_eq!(j["access"][0]["principalName"], "Engineering");
    assert_eq!(j["access"][0]["securityPolicy"]["name"], "Strict");
    assert_eq!(j["access"][1]["principalType"], "service-account");
    assert_eq!(j["tags"], json!({"env": "prod"}));

    w.run(&["resource", "get", "twin"]).await.failure(2).stderr_has("2 resources are named \"twin\"");
    w.run(&["resource", "get", &gid("Resource", "404")]).await.failure(4).stderr_has("no resource with ID");
    w.run(&["resource", "get", &gid("Connector", "1")]).await.failure(2).stderr_has("is a Connector ID");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_the_api_cannot_parse_is_a_usage_error() {
    let w = World::new().await;
    w.on_errors("ResourceGet", &["Unable to parse global ID"]).await;
    w.run(&["resource", "get", &gid("Resource", "x")]).await.failure(2).stderr_has("Unable to parse global ID");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_sends_protocols_tags_and_policy_and_omits_the_rest() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)})).await;
    w.on("SecurityPolicyList", json!({"securityPolicies": conn(vec![policy("3", "Strict")], None)})).await;
    w.on("ResourceCreate", json!({"resourceCreate": ok_entity(resource("5", "wiki"))})).await;
    let r = w
        .run(&[
            "resource",
            "create",
            "wiki",
            "--address",
            "wiki.corp",
            "--remote-network",
            "aws-prod",
            "--tcp",
            "8000-8100,443,443",
            "--udp",
            "none",
            "--no-icmp",
            "--browser-shortcut",
            "--tag",
            "team=it",
            "--security-policy",
            "Strict",
            "-o",
            "id",
        ])
        .await;
    r.success();
    assert_eq!(r.stdout().trim(), gid("Resource", "5"));
    assert_eq!(
        w.vars("ResourceCreate").await[0],
        json!({
            "name": "wiki", "address": "wiki.corp", "remoteNetworkId": gid("RemoteNetwork", "1"),
            "protocols": {"allowIcmp": false,
                          "tcp": {"policy": "RESTRICTED", "ports": [{"start": 443, "end": 443}, {"start": 8000, "end": 8100}]},
                          "udp": {"policy": "RESTRICTED", "ports": []}},
            "isBrowserShortcutEnabled": true, "securityPolicyId": gid("SecurityPolicy", "3"),
            "tags": [{"key": "team", "value": "it"}]
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rejects_bad_input_before_sending_and_reports_api_rejections() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)})).await;
    w.expect(
        "ResourceCreate",
        wiremock::ResponseTemplate::new(200).set_body_json(json!({"data": {"resourceCreate": not_ok(
            "Resources with a CIDR range or wildcard cannot have a browser shortcut"
        )}})),
        1,
    )
    .await;
    let base = ["resource", "create", "x", "--remote-network", "aws-prod"];
    let run = |extra: &'static [&'static str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        args
    };
    w.run(&run(&["--address", "a.b", "--tcp", "0"])).await.failure(2).stderr_has("--tcp: port 0 is out of range");
    w.run(&run(&["--address", "a.b", "--udp", "90-80"])).await.failure(2).stderr_has("backwards");
    w.run(&run(&["--address", "https://a.b"])).await.failure(2).stderr_has("not a URL");
    w.run(&run(&["--address", "a.b", "--visible", "--hidden"])).await.failure(2);
    let r = w.run(&run(&["--address", "10.0.0.0/8", "--browser-shortcut", "-o", "json"])).await;
    r.failure(5);
    assert!(r.json_error()["message"].as_str().unwrap().contains("cannot have a browser shortcut"));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_merges_protocols_and_tags_and_sends_nulls_only_to_clear() {
    let w = world().await;
    w.on("ResourceUpdate", json!({"resourceUpdate": ok_entity(resource("1", "prod-db"))})).await;
    w.run(&["resource", "update", "prod-db", "--tcp", "5432"]).await.success();
    w.run(&["resource", "update", "prod-db", "--clear-alias", "--clear-security-policy", "--inactive"]).await.success();
    w.run(&["resource", "update", "prod-db", "--tag", "owner=dba", "--remove-tag", "env"]).await.success();
    w.run(&["resource", "update", "prod-db", "--clear-tags"]).await.success();
    w.run(&["resource", "update", "prod-db", "--alias", "db.corp"]).await.success();
    let id = gid("Resource", "1");
    let vars = w.vars("ResourceUpdate").await;
    assert_eq!(
        vars[0],
        json!({"id": id, "protocols": {"allowIcmp": true, "tcp": {"policy": "RESTRICTED", "ports": [{"start": 5432, "end": 5432}]},
                                        "udp": {"policy": "ALLOW_ALL", "ports": []}}})
    );
    assert_eq!(vars[1], json!({"id": id, "isActive": false, "alias": null, "securityPolicyId": null}));
    assert_eq!(vars[2], json!({"id": id, "tags": [{"key": "owner", "value": "dba"}]}));
    assert_eq!(vars[3], json!({"id": id, "tags": null}));
    assert_eq!(vars[4], json!({"id": id, "alias": "db.corp"}));

    w.run(&["resource", "update", "prod-db"]).await.failure(2).stderr_has("nothing to change");
    w.run(&["resource", "update", "prod-db", "--alias", "a", "--clear-alias"]).await.failure(2);
    w.run(&["resource", "update", "prod-db", "--tcp", "70000"]).await.failure(2).stderr_has("out of range");
    assert_eq!(w.vars("ResourceUpdate").await.len(), 5, "nothing sent for rejected input");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_needs_confirmation() {
    let w = world().await;
    w.on("ResourceDelete", json!({"resourceDelete": {"ok": true, "error": null}})).await;
    w.run(&["resource", "delete", "prod-db"]).await.failure(2).stderr_has("refusing to delete resource");
    assert!(w.requests("ResourceDelete").await.is_empty());
    w.run(&["resource", "rm", "prod-db", "-y"]).await.success().stderr_has("Deleted resource");
}

#[tokio::test(flavor = "multi_thread")]
async fn access_list_and_add_with_policy_and_expiry_for_groups_only() {
    let w = world().await;
    w.on("GroupList", json!({"groups": conn(vec![group_node("1", "Engineering")], None)})).await;
    w.on("ServiceAccountList", json!({"serviceAccounts": conn(vec![crate::service_account_node("9", "ci")], None)}))
        .await;
    w.on("SecurityPolicyList", json!({"securityPolicies": conn(vec![policy("3", "Strict")], None)})).await;
    w.on("ResourceAccessList", access(vec![access_edge("Group", "1", "Engineering", Some(("3", "Strict")))])).await;
    w.on("ResourceAccessAdd", json!({"resourceAccessAdd": {"ok": true, "error": null}})).await;

    let r = w.run(&["resource", "access", "list", "prod-db"]).await;
    r.success();
    assert!(r.stdout().starts_with(&format!("{}\tEngineering\tgroup\tStrict", gid("Group", "1"))), "{}", r.stdout());

    w.run(&[
        "resource",
        "access",
        "add",
        "prod-db",
        "--group",
        "Engineering",
        "--security-policy",
        "Strict",
        "--expires-at",
        "2999-01-01T00:00:00Z",
    ])
    .await
    .success()
    .stderr_has("Gave Engineering access");
    w.run(&["resource", "access", "add", "prod-db", "--service-account", "ci"]).await.success();
    let vars = w.vars("ResourceAccessAdd").await;
    assert_eq!(
        vars[0],
        json!({"resourceId": gid("Resource", "1"), "access": [{"principalId": gid("Group", "1"),
               "securityPolicyId": gid("SecurityPolicy", "3"), "expiresAt": "2999-01-01T00:00:00Z"}]})
    );
    assert_eq!(
        vars[1]["access"],
        json!([{"principalId": gid("ServiceAccount", "9")}]),
        "no policy or expiry for a service account"
    );

    w.run(&["resource", "access", "add", "prod-db", "--service-account", "ci", "--expires-in", "7d"])
        .await
        .failure(2)
        .stderr_has("apply to groups only");
    w.run(&["resource", "access", "add", "prod-db", "--group", "Engineering", "--expires-at", "2001-01-01T00:00:00Z"])
        .await
        .failure(2)
        .stderr_has("in the past");
    w.run(&["resource", "access", "add", "prod-db"]).await.failure(2).stderr_has("at least one");
    assert_eq!(w.vars("ResourceAccessAdd").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn access_remove_confirms_and_sends_principal_ids() {
    let w = world().await;
    w.on("GroupList", json!({"groups": conn(vec![group_node("1", "Engineering")], None)})).await;
    w.on("ResourceAccessList", access(vec![])).await;
    w.on("ResourceAccessRemove", json!({"resourceAccessRemove": {"ok": true, "error": null}})).await;
    w.run(&["resource", "access", "remove", "prod-db", "--group", "Engineering"]).await.failure(2);
    w.run(&["resource", "access", "remove", "prod-db", "--group", "Engineering", "--yes"]).await.success();
    assert_eq!(
        w.vars("ResourceAccessRemove").await,
        vec![json!({"resourceId": gid("Resource", "1"), "principalIds": [gid("Group", "1")]})]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn access_set_prints_the_changes_on_stderr_and_the_result_on_stdout() {
    let w = world().await;
    w.on("GroupList", json!({"groups": conn(vec![group_node("1", "Engineering")], None)})).await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Oncall"}}}),
        json!({"groups": conn(vec![group_node("2", "Oncall")], None)}),
    )
    .await;
    // Before: Engineering (with a policy) and a service account; after: Engineering and Oncall.
    w.on_first(
        "ResourceAccessList",
        access(vec![
            access_edge("Group", "1", "Engineering", Some(("3", "Strict"))),
            access_edge("ServiceAccount", "9", "ci", None),
        ]),
    )
    .await;
    w.on(
        "ResourceAccessList",
        access(vec![access_edge("Group", "1", "Engineering", None), access_edge("Group", "2", "Oncall", None)]),
    )
    .await;
    w.on("ResourceAccessSet", json!({"resourceAccessSet": {"ok": true, "error": null}})).await;

    // It takes access away from the service account: confirmation first.
    let r = w.run(&["resource", "access", "set", "prod-db", "--group", "Engineering", "--group", "Oncall"]).await;
    r.failure(2).stderr_has("taking it away from service account \"ci\"");
    assert!(w.requests("ResourceAccessSet").await.is_empty());

    w.on_first(
        "ResourceAccessList",
        access(vec![
            access_edge("Group", "1", "Engineering", Some(("3", "Strict"))),
            access_edge("ServiceAccount", "9", "ci", None),
        ]),
    )
    .await;
    let r =
        w.run(&["resource", "access", "set", "prod-db", "--group", "Engineering", "--group", "Oncall", "--yes"]).await;
    r.success()
        .stderr_has("added    group \"Oncall\"")
        .stderr_has("removed  service account \"ci\"")
        .stderr_has("changed  group \"Engineering\": security policy \"Strict\" -> the resource's");
    assert_eq!(r.stdout().lines().count(), 2);
    assert!(r.stdout().contains("Oncall"));
    let vars = &w.vars("ResourceAccessSet").await[0];
    let mut access = vars["access"].as_array().unwrap().clone();
    access.sort_by_key(|a| a["principalId"].as_str().unwrap().to_owned());
    assert_eq!(
        access,
        vec![
            json!({"principalId": gid("Group", "1"), "securityPolicyId": null, "expiresAt": null}),
            json!({"principalId": gid("Group", "2"), "securityPolicyId": null, "expiresAt": null}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn service_accounts_with_resources_of_any_kind_still_read() {
    let w = World::new().await;
    let id = gid("ServiceAccount", "9");
    w.on("ServiceAccountGet", json!({"serviceAccount": {
        "id": id, "name": "ci", "createdAt": T0, "updatedAt": T0,
        "resources": conn(vec![json!({"__typename": "SSHResource", "id": gid("Resource", "1"), "name": "bastion"})], None),
        "keys": conn(vec![json!({"id": gid("ServiceAccountKey", "1"), "name": "k", "status": "ACTIVE", "expiresAt": null})], None)
    }}))
    .await;
    let r = w.run(&["service-account", "get", &id, "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["resources"][0]["name"], "bastion");
    assert_eq!(r.json()["keys"][0]["status"], "active");
}
