//! The API's nullability and graphql-core's validation: what the real API (Graphene on
//! graphql-core) accepts and refuses before running anything.

mod common;

use common::{Emu, unlimited};
use serde_json::{Value, json};

/// The 15 ID lists are `[ID]` (July-2024 introspection): the Kubernetes operator's
/// `$userIds: [ID]` must be accepted, and so must tgctl's and the Python CLI's `[ID!]`.
#[tokio::test]
async fn id_lists_take_nullable_items() {
    let e = Emu::start(unlimited()).await;
    let users = e.data("{ users(first: 2) { edges { node { id } } } }", json!({})).await;
    let ids: Vec<Value> = users["users"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].clone()).collect();

    // The operator's CreateGroup document, as it sends it (app/api/client_groups.py).
    let operator = "mutation CreateGroup($name: String!, $userIds: [ID]) {
      groupCreate(name: $name userIds: $userIds) { ok error entity { id name createdAt updatedAt } } }";
    let p = e.ok("groupCreate", operator, json!({"name": "ops", "userIds": ids})).await;
    let group = p["entity"]["id"].as_str().unwrap().to_string();
    let d = e.data("query($g: ID!) { group(id: $g) { users { totalCount } } }", json!({"g": group})).await;
    assert_eq!(d["group"]["users"]["totalCount"], 2);

    // The Python CLI's `[ID!]` variables feed the same arguments.
    let tgcli = "mutation addUsersToGroup($groupID: ID!, $userIDS: [ID!]) {
      groupUpdate(id: $groupID, addedUserIds: $userIDS) { ok error } }";
    e.ok("groupUpdate", tgcli, json!({"groupID": group, "userIDS": []})).await;

    // A null item names nothing: refused like a malformed ID, and nothing changes.
    let body = e.gql(operator, json!({"name": "nulls", "userIds": [ids[0], null]})).await;
    assert_eq!(body["errors"][0]["message"], "Unable to parse global ID", "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["groupCreate"]));
    let d = e.data("{ groups(filter: {name: {eq: \"nulls\"}}) { totalCount } }", json!({})).await;
    assert_eq!(d["groups"]["totalCount"], 0);

    // Every one of the 15 is `[ID]` in the served schema.
    let sdl = tgctl_emulator::sdl();
    let lists = [
        ("groupCreate", &["userIds", "resourceIds"][..]),
        (
            "groupUpdate",
            &["userIds", "addedUserIds", "removedUserIds", "resourceIds", "addedResourceIds", "removedResourceIds"],
        ),
        ("serviceAccountCreate", &["resourceIds"]),
        ("serviceAccountUpdate", &["resourceIds", "addedResourceIds", "removedResourceIds"]),
        ("securityPolicyUpdate", &["groupIds", "addedGroupIds", "removedGroupIds"]),
    ];
    let mut n = 0;
    for (field, args) in lists {
        let line = sdl.lines().find(|l| l.trim_start().starts_with(&format!("{field}("))).unwrap();
        for arg in args {
            assert!(line.contains(&format!("{arg}: [ID],")) || line.contains(&format!("{arg}: [ID])")), "{line}");
            n += 1;
        }
    }
    assert_eq!(n, 15);
}

/// `ProtocolInput.ports: [PortRangeInput!]! = []`: omitted means no port, null is refused.
#[tokio::test]
async fn protocol_ports_default_to_empty_and_are_not_null() {
    let e = Emu::start(unlimited()).await;
    let net = e.network_id().await;
    let create = "mutation($rn: ID!, $p: ProtocolsInput) { resourceCreate(name: \"p\", address: \"p.internal\",
        remoteNetworkId: $rn, protocols: $p) { ok error entity { protocols { tcp { policy ports { start end } } } } } }";
    let p = e
        .ok(
            "resourceCreate",
            create,
            json!({"rn": net, "p": {"allowIcmp": true, "tcp": {"policy": "RESTRICTED"}, "udp": {"policy": "ALLOW_ALL"}}}),
        )
        .await;
    assert_eq!(p["entity"]["protocols"]["tcp"], json!({"policy": "RESTRICTED", "ports": []}));

    let (status, body) = e
        .post(
            Some(&e.token()),
            create,
            json!({"rn": net, "p": {"allowIcmp": true, "tcp": {"policy": "RESTRICTED", "ports": null}, "udp": {"policy": "ALLOW_ALL"}}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(tgctl_emulator::sdl().contains("ports: [PortRangeInput!]! = []"));
}
