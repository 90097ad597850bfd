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

    // `[ID]` items, as the operator declares its variable (app/api/client_groups.py).
    let operator = "mutation NewGroup($groupName: String!, $members: [ID]) {
      groupCreate(name: $groupName, userIds: $members) { ok error entity { id } } }";
    let p = e.ok("groupCreate", operator, json!({"groupName": "ops", "members": ids})).await;
    let group = p["entity"]["id"].as_str().unwrap().to_string();
    let d = e.data("query($g: ID!) { group(id: $g) { users { totalCount } } }", json!({"g": group})).await;
    assert_eq!(d["group"]["users"]["totalCount"], 2);

    // `[ID!]` variables (tgctl's and the Python CLI's) feed the same arguments.
    let strict = "mutation($g: ID!, $add: [ID!]) { groupUpdate(id: $g, addedUserIds: $add) { ok error } }";
    e.ok("groupUpdate", strict, json!({"g": group, "add": []})).await;

    // A null item names nothing: refused like a malformed ID, and nothing changes.
    let body = e.gql(operator, json!({"groupName": "nulls", "members": [ids[0], null]})).await;
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

/// POST and expect a refusal before anything runs: HTTP 400, `errors`, no `data`. Returns the
/// messages.
async fn refused(e: &Emu, query: &str, variables: Value) -> Vec<String> {
    let (status, body) = e.post(Some(&e.token()), query, variables).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "graphene-django sends no data with a 400: {body}");
    body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn variables_in_allowed_positions() {
    let e = Emu::start(unlimited()).await;
    // A nullable variable for a non-null argument (the issue's example): refused, nothing applied.
    let m = refused(&e, "mutation($n: String) { remoteNetworkCreate(name: $n) { ok } }", json!({"n": "x"})).await;
    assert_eq!(m, ["Variable '$n' of type 'String' used in position expecting type 'String!'."]);
    assert!(e.stats().await["applied"].get("remoteNetworkCreate").is_none(), "nothing ran");
    // Locations: the variable's definition, then its use.
    let (_, body) =
        e.post(Some(&e.token()), "mutation($n: String) {\n  remoteNetworkCreate(name: $n) { ok } }", json!({})).await;
    assert_eq!(body["errors"][0]["locations"], json!([{"line": 1, "column": 10}, {"line": 2, "column": 29}]));

    // `[ID]` where the API wants `[ID!]`.
    let m = refused(
        &e,
        "query($ids: [ID]) { resources(filter: {remoteNetworkId: {in: $ids}}) { totalCount } }",
        json!({"ids": []}),
    )
    .await;
    assert_eq!(m, ["Variable '$ids' of type '[ID]' used in position expecting type '[ID!]'."]);
    // Inside a list, in a fragment the operation spreads.
    let m = refused(
        &e,
        "mutation M($r: ID!, $p: ID) { ...F } fragment F on MutationsRoot { resourceAccessRemove(resourceId: $r, principalIds: [$p]) { ok } }",
        json!({"r": "UmVzb3VyY2U6MQ==", "p": "R3JvdXA6MQ=="}),
    )
    .await;
    assert_eq!(m, ["Variable '$p' of type 'ID' used in position expecting type 'ID!'."]);

    // What graphql-core allows: non-null into nullable, a nullable variable with a non-null
    // default into non-null, `[ID!]` into `[ID]`, `ID!` items into `[ID!]!` (the operator's
    // ResourceAccessRemove).
    for (q, v) in [
        ("mutation($n: String!) { groupCreate(name: $n) { ok } }", json!({"n": "a"})),
        ("mutation($n: String = \"b\") { groupCreate(name: $n) { ok } }", json!({})),
        ("mutation($n: String!, $u: [ID!]) { groupCreate(name: $n, userIds: $u) { ok } }", json!({"n": "c", "u": []})),
        ("query($f: Int!) { groups(first: $f) { totalCount } }", json!({"f": 1})),
    ] {
        let (status, body) = e.post(Some(&e.token()), q, v).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert!(body.get("errors").is_none(), "{q}: {body}");
    }
    let res = e.create_resource("r", "r.internal").await;
    let g = e.create_group("g").await;
    e.ok(
        "resourceAccessRemove",
        "mutation($r: ID!, $one: ID!) { resourceAccessRemove(resourceId: $r, principalIds: [$one]) { ok error } }",
        json!({"r": res, "one": g}),
    )
    .await;
}

#[tokio::test]
async fn fields_and_arguments_in_graphql_core_words() {
    let e = Emu::start(unlimited()).await;
    // The Python CLI met this one live (Twingate-Labs/Twingate-CLI commit 0afc0eb).
    let m = refused(&e, "{ resources { edges { node { id routingMode } } } }", json!({})).await;
    assert_eq!(
        m,
        [
            "Cannot query field 'routingMode' on type 'Resource'. Did you mean to use an inline fragment on 'NetworkResource'?"
        ]
    );
    let m = refused(&e, "{ groups { edges { node { nmae } } } }", json!({})).await;
    assert_eq!(m, ["Cannot query field 'nmae' on type 'Group'. Did you mean 'name'?"]);
    let m = refused(&e, "mutation { dnsFilteringAllowedDomainsSet(domains: []) { ok } }", json!({})).await;
    assert_eq!(m, ["Cannot query field 'dnsFilteringAllowedDomainsSet' on type 'MutationsRoot'."]);
    let m = refused(&e, "mutation { groupCreate(nam: \"x\") { ok } }", json!({})).await;
    assert_eq!(
        m,
        [
            "Unknown argument 'nam' on field 'MutationsRoot.groupCreate'. Did you mean 'name'?",
            "Field 'groupCreate' argument 'name' of type 'String!' is required, but it was not provided."
        ]
    );
    let m = refused(&e, "{ users(filter: {state: {in: [PENDING]}}) { totalCount } }", json!({})).await;
    assert_eq!(m, ["Field 'state' is not defined by type 'UserFilterInput'."]);
    let m = refused(&e, "query Q { groups(first: $n) { totalCount } }", json!({})).await;
    assert_eq!(m, ["Variable '$n' is not defined by operation 'Q'."]);
    let m = refused(&e, "query A { groups { totalCount } } query B { users { totalCount } }", json!({})).await;
    assert_eq!(m, ["Must provide operation name if query contains multiple operations."]);
}

#[tokio::test]
async fn variable_values_in_graphql_core_words() {
    let e = Emu::start(unlimited()).await;
    let q = "mutation($n: String!) { groupCreate(name: $n) { ok } }";
    assert_eq!(refused(&e, q, json!({})).await, ["Variable '$n' of required type 'String!' was not provided."]);
    assert_eq!(
        refused(&e, q, json!({"n": null})).await,
        ["Variable '$n' of non-null type 'String!' must not be null."]
    );

    // What tgctl sent before issue 17 item 1: a filter with a field the API does not have.
    let list = "query($filter: UserFilterInput) { users(filter: $filter) { totalCount } }";
    let m = refused(&e, list, json!({"filter": {"email": {"eq": "ada@example.com"}, "state": null}})).await;
    assert_eq!(
        m,
        [
            "Variable '$filter' got invalid value {'email': {'eq': 'ada@example.com'}, 'state': None}; Field 'state' is not defined by type 'UserFilterInput'."
        ]
    );
    // Nested: a required input field missing inside a list.
    let add = "mutation($r: ID!, $a: [AccessInput!]!) { resourceAccessAdd(resourceId: $r, access: $a) { ok } }";
    let m = refused(&e, add, json!({"r": "UmVzb3VyY2U6MQ==", "a": [{"securityPolicyId": null}]})).await;
    assert_eq!(
        m,
        [
            "Variable '$a' got invalid value {'securityPolicyId': None} at 'a[0]'; Field 'principalId' of required type 'ID!' was not provided."
        ]
    );
    // A null item where the list's items are non-null.
    let m = refused(&e, add, json!({"r": "UmVzb3VyY2U6MQ==", "a": [null]})).await;
    assert_eq!(
        m,
        ["Variable '$a' got invalid value None at 'a[0]'; Expected non-nullable type 'AccessInput!' not to be null."]
    );
}

/// graphql-core's standard introspection query (what the operator's gql client sends with
/// `fetch_schema_from_transport`) is within every limit.
const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
  args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue }
  interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";

#[tokio::test]
async fn limits_refuse_abuse_and_allow_real_clients() {
    let e = Emu::start(unlimited()).await;
    let d = e.data(INTROSPECTION, json!({})).await;
    assert!(d["__schema"]["types"].as_array().unwrap().len() > 50);

    // 3,000 aliased introspection fields (issue 15): a GraphQL error, not a 61 MB answer.
    let bomb: String = (0..3000).map(|i| format!("a{i}: __schema {{ types {{ name }} }} ")).collect();
    let m = refused(&e, &format!("{{ {bomb} }}"), json!({})).await;
    assert_eq!(
        m,
        [
            "The query has 3000 aliases; the limit is 1000.",
            "The query has 3000 introspection fields (__schema, __type); the limit is 5."
        ]
    );
    // A fragment spread twice per level, 40 levels deep: 2^40 fields if expanded.
    let mut doc = String::from("{ ...F0 }\n");
    for i in 0..40 {
        doc += &format!("fragment F{i} on QueriesRoot {{ ...F{} ...F{} }}\n", i + 1, i + 1);
    }
    doc += "fragment F40 on QueriesRoot { groups { totalCount } }";
    let m = refused(&e, &doc, json!({})).await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].starts_with("The query has ") && m[0].ends_with(" fields; the limit is 10000."), "{m:?}");
    // Too deep.
    let deep = format!("{{ __schema {{ types {{ {}name{} }} }} }}", "ofType { ".repeat(20), " }".repeat(20));
    let m = refused(&e, &deep, json!({})).await;
    assert_eq!(m, ["The query has 23 levels of nested selections; the limit is 20."]);

    // A bulk update of 500 devices in one document, as Twingate-Labs' tg-cli sends it
    // (`setDeviceTrustBulk`: one aliased deviceUpdate per device), is within the limits.
    let devices = e.data("{ devices { edges { node { id } } } }", json!({})).await;
    let id = devices["devices"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let parts: String = (0..500)
        .map(|i| format!("result{i}:deviceUpdate(id:$id,isTrusted:true){{ok error entity{{id isTrusted}}}} "))
        .collect();
    let d = e.data(&format!("mutation($id: ID!) {{ {parts} }}"), json!({"id": id})).await;
    assert_eq!(d["result499"]["ok"], true);
}
