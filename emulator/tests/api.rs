//! GraphQL behaviour over HTTP: IDs, pagination, filters, null vs omitted, and the business
//! rules of each kind of object.

mod common;

use common::{Emu, b64, empty_unlimited, unlimited};
use serde_json::{Value, json};

fn ids_of(conn: &Value) -> Vec<String> {
    conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_string()).collect()
}

fn names_of(conn: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn ids_are_relay_ids_and_bad_ones_behave() {
    let e = Emu::start(unlimited()).await;
    let g = e.create_group("Ops").await;
    let decoded =
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &g).unwrap()).unwrap();
    let (ty, pk) = decoded.split_once(':').unwrap();
    assert_eq!(ty, "Group");
    assert!(pk.parse::<u64>().is_ok(), "integer pk: {decoded}");

    // Malformed: not base64, or base64 without a colon → GraphQL error.
    for bad in ["foo", &b64("nocolon")] {
        let body = e.gql("query($id: ID!) { group(id: $id) { id } }", json!({"id": bad})).await;
        assert_eq!(body["errors"][0]["message"], "Unable to parse global ID", "{body}");
        assert_eq!(body["data"]["group"], Value::Null);
        let body = e.gql("mutation($id: ID!) { groupDelete(id: $id) { ok error } }", json!({"id": bad})).await;
        assert_eq!(body["errors"][0]["message"], "Unable to parse global ID", "{body}");
    }

    // Well formed but unknown, or of another type → null / ok:false.
    let unknown = b64("Group:999999");
    let wrong_type = b64(&format!("Resource:{pk}"));
    for id in [&unknown, &wrong_type] {
        let d = e.data("query($id: ID!) { group(id: $id) { id } }", json!({"id": id})).await;
        assert_eq!(d["group"], Value::Null);
        let d = e.data("mutation($id: ID!) { groupDelete(id: $id) { ok error } }", json!({"id": id})).await;
        assert_eq!(d["groupDelete"]["ok"], false);
        assert_eq!(d["groupDelete"]["error"], format!("Group with id '{id}' does not exist"));
    }
    let d = e
        .data(
            "mutation($id: ID!) { groupUpdate(id: $id, name: \"x\") { ok error entity { id } } }",
            json!({"id": unknown}),
        )
        .await;
    assert_eq!(
        d["groupUpdate"],
        json!({"ok": false, "error": format!("Group with id '{unknown}' does not exist"), "entity": null})
    );

    // Service accounts and keys use UUID pks.
    let sa = e.create_service_account("ci", json!([])).await;
    let decoded =
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sa).unwrap()).unwrap();
    let uuid = decoded.strip_prefix("ServiceAccount:").unwrap();
    assert_eq!(uuid.len(), 36, "{decoded}");
    let d = e.data("query($id: ID!) { serviceAccount(id: $id) { name } }", json!({"id": sa})).await;
    assert_eq!(d["serviceAccount"]["name"], "ci");
    let d =
        e.data("query($id: ID!) { serviceAccount(id: $id) { name } }", json!({"id": b64("ServiceAccount:1")})).await;
    assert_eq!(d["serviceAccount"], Value::Null);
}

#[tokio::test]
async fn pagination_past_50_and_100() {
    let e = Emu::start(empty_unlimited()).await;
    // The empty seed has one group (Everyone); add 149 more.
    for i in 0..149 {
        e.create_group(&format!("g{i:03}")).await;
    }
    let q = "query($after: String, $first: Int) { groups(after: $after, first: $first) {
        totalCount pageInfo { hasNextPage endCursor startCursor hasPreviousPage } edges { cursor node { id name } } } }";
    // Default page size 50.
    let d = e.data(q, json!({})).await;
    assert_eq!(d["groups"]["totalCount"], 150);
    assert_eq!(d["groups"]["edges"].as_array().unwrap().len(), 50);
    assert_eq!(d["groups"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(d["groups"]["edges"][0]["cursor"], b64("arrayconnection:0"));
    assert_eq!(d["groups"]["pageInfo"]["endCursor"], b64("arrayconnection:49"));
    // first: null is the default too.
    let d = e.data(q, json!({"first": null})).await;
    assert_eq!(d["groups"]["edges"].as_array().unwrap().len(), 50);

    // Walk everything with pages of 100 and of 50; no duplicates, nothing missing.
    for size in [50, 100] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let d = e.data(q, json!({"after": after, "first": size})).await;
            let conn = &d["groups"];
            assert_eq!(conn["totalCount"], 150);
            seen.extend(ids_of(conn));
            pages += 1;
            if conn["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, if size == 50 { 3 } else { 2 });
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!((seen.len(), unique.len()), (150, 150));
    }

    // first is capped at 1000; an unparseable cursor starts from the beginning.
    let d = e.data(q, json!({"first": 5000})).await;
    assert_eq!(d["groups"]["edges"].as_array().unwrap().len(), 150);
    let d = e.data(q, json!({"after": "0", "first": 2})).await;
    assert_eq!(d["groups"]["edges"][0]["node"]["name"], "Everyone");
    let d = e.data(q, json!({"after": "<nil>", "first": 2})).await;
    assert_eq!(d["groups"]["edges"][0]["node"]["name"], "Everyone");

    // Nested connections page the same way: a group with 120 members.
    let mut users = Vec::new();
    for i in 0..120 {
        let p = e
            .ok(
                "userCreate",
                "mutation($m: String!) { userCreate(email: $m) { ok error entity { id } } }",
                json!({"m": format!("u{i}@example.com")}),
            )
            .await;
        users.push(p["entity"]["id"].as_str().unwrap().to_string());
    }
    let p = e
        .ok(
            "groupCreate",
            "mutation($u: [ID!]) { groupCreate(name: \"big\", userIds: $u) { ok error entity { id } } }",
            json!({"u": users}),
        )
        .await;
    let gid = p["entity"]["id"].as_str().unwrap().to_string();
    let nq = "query($id: ID!, $after: String) { group(id: $id) { users(after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = e.data(nq, json!({"id": gid, "after": after})).await;
        let conn = &d["group"]["users"];
        assert_eq!(conn["totalCount"], 120);
        seen.extend(ids_of(conn));
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, users);
}

#[tokio::test]
async fn string_filters() {
    let e = Emu::start(empty_unlimited()).await;
    for n in ["alpha-db", "alpha-web", "beta-db", "gamma", "Alpha-upper"] {
        e.create_group(n).await;
    }
    let q = "query($f: GroupFilterInput) { groups(filter: $f) { totalCount edges { node { name } } } }";
    let names = |f: Value| {
        let e = &e;
        async move { names_of(&e.data(q, json!({"f": f})).await["groups"]) }
    };
    assert_eq!(names(json!({"name": {"eq": "gamma"}})).await, ["gamma"]);
    assert_eq!(
        names(json!({"name": {"ne": "gamma"}})).await,
        ["Alpha-upper", "Everyone", "alpha-db", "alpha-web", "beta-db"]
    );
    assert_eq!(names(json!({"name": {"startsWith": "alpha"}})).await, ["alpha-db", "alpha-web"]);
    assert_eq!(names(json!({"name": {"endsWith": "-db"}})).await, ["alpha-db", "beta-db"]);
    assert_eq!(names(json!({"name": {"contains": "ta-d"}})).await, ["beta-db"]);
    assert_eq!(names(json!({"name": {"regexp": "^(?i)alpha-(db|upper)$"}})).await, ["Alpha-upper", "alpha-db"]);
    assert_eq!(names(json!({"name": {"in": ["gamma", "beta-db", "nope"]}})).await, ["beta-db", "gamma"]);
    // Combined with AND.
    assert_eq!(names(json!({"name": {"startsWith": "alpha", "ne": "alpha-web"}})).await, ["alpha-db"]);
    // Explicit nulls are no constraint.
    let all = names(json!({"name": {"eq": null, "ne": null, "startsWith": null, "endsWith": null, "regexp": null, "contains": null, "in": null}, "type": null, "isActive": null})).await;
    assert_eq!(all.len(), 6);
    assert_eq!(names(json!({"name": null})).await.len(), 6);
    assert_eq!(names(Value::Null).await.len(), 6);
    // Other group filters.
    assert_eq!(names(json!({"type": {"in": ["SYSTEM"]}})).await, ["Everyone"]);
    assert_eq!(names(json!({"isActive": {"eq": false}})).await.len(), 0);
    // A bad regexp is a GraphQL error.
    let body = e.gql(q, json!({"f": {"name": {"regexp": "("}}})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Invalid regular expression"), "{body}");
}

#[tokio::test]
async fn other_filters_on_the_demo_tenant() {
    let e = Emu::start(unlimited()).await;
    let d = e.data("{ users(filter: {role: {in: [ADMIN]}}) { totalCount }
        devices(filter: {isTrusted: {eq: true}}) { totalCount } archived: devices(filter: {activeState: {in: [ARCHIVED]}}) { totalCount }
        serial: devices(filter: {serialNumber: {startsWith: \"5CG\"}}) { totalCount }
        alive: connectors(filter: {state: {in: [ALIVE]}}) { edges { node { name hostname lastHeartbeatAt } } }
        policies: securityPolicies(filter: {policyType: {in: [DEFAULT_RESOURCE]}}) { edges { node { name } } }
        tagged: resources(filter: {tags: {and: [{key: \"env\", value: {eq: \"prod\"}}]}}) { totalCount }
        email: users(filter: {email: {endsWith: \"@example.com\"}, firstName: {eq: \"Ada\"}}) { totalCount } }", json!({})).await;
    assert_eq!(d["users"]["totalCount"], 1);
    assert_eq!(d["devices"]["totalCount"], 2);
    assert_eq!(d["archived"]["totalCount"], 1);
    assert_eq!(d["serial"]["totalCount"], 2);
    assert_eq!(d["alive"]["edges"].as_array().unwrap().len(), 1);
    assert!(d["alive"]["edges"][0]["node"]["lastHeartbeatAt"].is_string());
    assert_eq!(d["policies"]["edges"][0]["node"]["name"], "Default Policy");
    assert_eq!(d["tagged"]["totalCount"], 2);
    assert_eq!(d["email"]["totalCount"], 1);

    // No public client or schema rendering has a user `state` filter (issue 17, item 1): the API
    // refuses it as an unknown input field, so the emulator does too.
    let (status, body) =
        e.post(Some(&e.token()), "{ users(filter: {state: {in: [PENDING]}}) { totalCount } }", json!({})).await;
    assert_eq!(status, 400, "{body}");

    let net = e.network_id().await;
    let d = e
        .data(
            "query($n: ID!) { a: resources(filter: {remoteNetworkId: {eq: $n}}) { edges { node { name remoteNetwork { name } } } }
                b: resources(filter: {remoteNetworkId: {in: [$n]}}) { totalCount } }",
            json!({"n": net}),
        )
        .await;
    assert_eq!(d["a"]["edges"].as_array().unwrap().len(), 4);
    assert!(d["a"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["remoteNetwork"]["name"] == "Production"));
    assert_eq!(d["b"]["totalCount"], 4);
    // demo-web exists where the brief puts it.
    let d = e.data("{ resources(filter: {name: {eq: \"demo-web\"}}) { edges { node { address { type value } remoteNetwork { name } } } } }", json!({})).await;
    assert_eq!(d["resources"]["edges"][0]["node"]["address"], json!({"type": "IP", "value": "127.0.0.1"}));
    // Access filter by principal type.
    let d = e.data("{ resources(filter: {name: {eq: \"Wiki\"}}) { edges { node { access(filter: {principalType: {in: [GROUP]}}) { totalCount } sa: access(filter: {principalType: {in: [SERVICE_ACCOUNT]}}) { totalCount } } } } }", json!({})).await;
    assert_eq!(d["resources"]["edges"][0]["node"]["access"]["totalCount"], 2);
    assert_eq!(d["resources"]["edges"][0]["node"]["sa"]["totalCount"], 0);
}

const RES_FIELDS: &str =
    "id name alias isActive isVisible isBrowserShortcutEnabled securityPolicy { name } tags { key value }
    address { type value } protocols { allowIcmp tcp { policy ports { start end } } udp { policy ports { start end } } }
    ... on NetworkResource { routingMode }";

#[tokio::test]
async fn resource_defaults_and_null_versus_omitted() {
    let e = Emu::start(unlimited()).await;
    let net = e.network_id().await;
    let strict = e
        .data("{ securityPolicies(filter: {policyType: {in: [RESOURCE]}}) { edges { node { id name } } } }", json!({}))
        .await;
    let strict_id = strict["securityPolicies"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();

    let create = format!("mutation($rn: ID!, $sp: ID) {{ resourceCreate(name: \"api\", address: \"api.internal\", remoteNetworkId: $rn,
        alias: \"api.corp\", securityPolicyId: $sp, tags: [{{key: \"env\", value: \"dev\"}}]) {{ ok error entity {{ {RES_FIELDS} }} }} }}");
    let p = e.ok("resourceCreate", &create, json!({"rn": net, "sp": strict_id})).await;
    let r = &p["entity"];
    assert_eq!(r["address"]["type"], "DNS");
    assert_eq!(r["isActive"], true);
    assert_eq!(r["isVisible"], true);
    assert_eq!(r["isBrowserShortcutEnabled"], false);
    assert_eq!(r["routingMode"], "THROUGH_TWINGATE");
    assert_eq!(
        r["protocols"],
        json!({"allowIcmp": true, "tcp": {"policy": "ALLOW_ALL", "ports": []}, "udp": {"policy": "ALLOW_ALL", "ports": []}})
    );
    let id = r["id"].as_str().unwrap().to_string();

    let update = |args: &str| {
        format!("mutation($id: ID!) {{ resourceUpdate(id: $id{args}) {{ ok error entity {{ {RES_FIELDS} }} }} }}")
    };
    // Omitted: nothing changes.
    let p = e.ok("resourceUpdate", &update(", name: \"api2\""), json!({"id": id})).await;
    assert_eq!(p["entity"]["name"], "api2");
    assert_eq!(p["entity"]["alias"], "api.corp");
    assert_eq!(p["entity"]["securityPolicy"]["name"], "Require MFA and trusted device");
    assert_eq!(p["entity"]["tags"], json!([{"key": "env", "value": "dev"}]));
    // Same via variables that are absent from the variables map.
    let q = format!(
        "mutation($id: ID!, $alias: String, $sp: ID, $tags: [TagInput!]) {{ resourceUpdate(id: $id, alias: $alias, securityPolicyId: $sp, tags: $tags) {{ ok error entity {{ {RES_FIELDS} }} }} }}"
    );
    let p = e.ok("resourceUpdate", &q, json!({"id": id})).await;
    assert_eq!(p["entity"]["alias"], "api.corp");
    assert_eq!(p["entity"]["tags"].as_array().unwrap().len(), 1);
    // Explicit null clears: alias, security policy (back to the default), tags.
    let p = e.ok("resourceUpdate", &q, json!({"id": id, "alias": null, "sp": null, "tags": null})).await;
    assert_eq!(p["entity"]["alias"], Value::Null);
    assert_eq!(p["entity"]["securityPolicy"], Value::Null);
    assert_eq!(p["entity"]["tags"], json!([]));
    assert_eq!(p["entity"]["name"], "api2");
    // Literal nulls too.
    e.ok("resourceUpdate", &update(", alias: \"x.corp\""), json!({"id": id})).await;
    let p = e.ok("resourceUpdate", &update(", alias: null"), json!({"id": id})).await;
    assert_eq!(p["entity"]["alias"], Value::Null);

    // Protocols, ports and validation.
    let p = e
        .ok(
            "resourceUpdate",
            &update(", protocols: {allowIcmp: false, tcp: {policy: RESTRICTED, ports: [{start: 22, end: 22}, {start: 8000, end: 8100}]}, udp: {policy: ALLOW_ALL, ports: []}}"),
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        p["entity"]["protocols"]["tcp"]["ports"],
        json!([{"start": 22, "end": 22}, {"start": 8000, "end": 8100}])
    );
    for bad in ["{start: 0, end: 10}", "{start: 10, end: 9}", "{start: 1, end: 65536}"] {
        let d = e
            .data(
                &update(&format!(", protocols: {{allowIcmp: true, tcp: {{policy: RESTRICTED, ports: [{bad}]}}, udp: {{policy: ALLOW_ALL}}}}")),
                json!({"id": id}),
            )
            .await;
        assert_eq!(d["resourceUpdate"]["ok"], false, "{bad}");
        assert_eq!(d["resourceUpdate"]["entity"], Value::Null);
    }

    // Browser shortcut on CIDR and wildcard addresses.
    for addr in ["10.1.0.0/16", "*.corp.internal"] {
        let d = e
            .data(
                "mutation($rn: ID!, $a: String!) { resourceCreate(name: \"x\", address: $a, remoteNetworkId: $rn, isBrowserShortcutEnabled: true) { ok error entity { id } } }",
                json!({"rn": net, "a": addr}),
            )
            .await;
        assert_eq!(
            d["resourceCreate"],
            json!({"ok": false, "error": "Resources with a CIDR range or wildcard can't have the browser shortcut enabled.", "entity": null})
        );
    }
    let p = e
        .ok(
            "resourceCreate",
            &format!("mutation($rn: ID!) {{ resourceCreate(name: \"vpc\", address: \"10.1.0.0/16\", remoteNetworkId: $rn) {{ ok error entity {{ {RES_FIELDS} }} }} }}"),
            json!({"rn": net}),
        )
        .await;
    assert_eq!(p["entity"]["address"]["type"], "IP");

    // Delete, then it is gone.
    e.ok("resourceDelete", "mutation($id: ID!) { resourceDelete(id: $id) { ok error } }", json!({"id": id})).await;
    let d = e.data("query($id: ID!) { resource(id: $id) { id } }", json!({"id": id})).await;
    assert_eq!(d["resource"], Value::Null);
}

#[tokio::test]
async fn resource_access_edges() {
    let e = Emu::start(unlimited()).await;
    let res = e.create_resource("svc", "svc.internal").await;
    let g1 = e.create_group("g1").await;
    let g2 = e.create_group("g2").await;
    let sa = e.create_service_account("bot", json!([])).await;
    let pol = e.data("{ securityPolicy(name: \"Require MFA and trusted device\") { id } }", json!({})).await;
    let pol = pol["securityPolicy"]["id"].as_str().unwrap().to_string();
    let access_q = "query($id: ID!) { resource(id: $id) { access { totalCount edges { node { __typename ... on Group { id } ... on ServiceAccount { id } } securityPolicy { id } expiresAt } } } }";

    let add = "mutation($r: ID!, $a: [AccessInput!]!) { resourceAccessAdd(resourceId: $r, access: $a) { ok error entity { id } } }";
    e.ok("resourceAccessAdd", add, json!({"r": res, "a": [{"principalId": g1, "securityPolicyId": pol, "expiresAt": "2030-01-01T00:00:00Z"}, {"principalId": sa}]})).await;
    let d = e.data(access_q, json!({"id": res})).await;
    let edges = d["resource"]["access"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["__typename"], "Group");
    assert_eq!(edges[0]["securityPolicy"]["id"], pol);
    assert!(edges[0]["expiresAt"].as_str().unwrap().starts_with("2030-01-01T00:00:00"));
    assert_eq!(edges[1]["node"]["__typename"], "ServiceAccount");

    // Upsert: omitted fields stay, explicit null removes.
    e.ok("resourceAccessAdd", add, json!({"r": res, "a": [{"principalId": g1}]})).await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["totalCount"], 2);
    assert_eq!(d["resource"]["access"]["edges"][0]["securityPolicy"]["id"], pol);
    e.ok(
        "resourceAccessAdd",
        add,
        json!({"r": res, "a": [{"principalId": g1, "expiresAt": null, "securityPolicyId": null}]}),
    )
    .await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["edges"][0]["securityPolicy"], Value::Null);
    assert_eq!(d["resource"]["access"]["edges"][0]["expiresAt"], Value::Null);

    // Inline input objects: a field bound to a variable the request did not send is omitted too.
    e.ok("resourceAccessAdd", add, json!({"r": res, "a": [{"principalId": g1, "securityPolicyId": pol}]})).await;
    let inline = "mutation($r: ID!, $g: ID!, $sp: ID, $exp: DateTime) { resourceAccessAdd(resourceId: $r, \
                  access: [{principalId: $g, securityPolicyId: $sp, expiresAt: $exp}]) { ok error } }";
    e.ok("resourceAccessAdd", inline, json!({"r": res, "g": g1})).await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["edges"][0]["securityPolicy"]["id"], pol, "omitted: unchanged");
    e.ok("resourceAccessAdd", inline, json!({"r": res, "g": g1, "sp": null})).await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["edges"][0]["securityPolicy"], Value::Null, "null: removed");

    // Service accounts take no policy or expiry.
    let d = e.data(add, json!({"r": res, "a": [{"principalId": sa, "securityPolicyId": pol}]})).await;
    assert_eq!(d["resourceAccessAdd"]["ok"], false);

    // Remove and set.
    e.ok(
        "resourceAccessRemove",
        "mutation($r: ID!, $p: [ID!]!) { resourceAccessRemove(resourceId: $r, principalIds: $p) { ok error } }",
        json!({"r": res, "p": [sa]}),
    )
    .await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["totalCount"], 1);
    let set = "mutation($r: ID!, $a: [AccessInput!]!) { resourceAccessSet(resourceId: $r, access: $a) { ok error } }";
    e.ok("resourceAccessSet", set, json!({"r": res, "a": [{"principalId": g2}, {"principalId": sa}]})).await;
    let d = e.data(access_q, json!({"id": res})).await;
    let ids: Vec<&str> = d["resource"]["access"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [g2.as_str(), sa.as_str()]);

    // The same edges from the principal side.
    let d = e.data("query($g: ID!, $s: ID!) { group(id: $g) { resources { totalCount } } serviceAccount(id: $s) { resources { edges { node { id } } } } }", json!({"g": g2, "s": sa})).await;
    assert_eq!(d["group"]["resources"]["totalCount"], 1);
    assert_eq!(d["serviceAccount"]["resources"]["edges"][0]["node"]["id"], res);
    // ... and edited from there: serviceAccountUpdate / groupUpdate touch the same edges.
    e.ok(
        "serviceAccountUpdate",
        "mutation($s: ID!, $r: [ID!]) { serviceAccountUpdate(id: $s, removedResourceIds: $r) { ok error } }",
        json!({"s": sa, "r": [res]}),
    )
    .await;
    e.ok(
        "groupUpdate",
        "mutation($g: ID!, $r: [ID!]) { groupUpdate(id: $g, addedResourceIds: $r) { ok error } }",
        json!({"g": g1, "r": [res]}),
    )
    .await;
    let d = e.data(access_q, json!({"id": res})).await;
    let ids: Vec<&str> = d["resource"]["access"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [g2.as_str(), g1.as_str()]);
    e.ok("groupUpdate", "mutation($g: ID!) { groupUpdate(id: $g, resourceIds: []) { ok error } }", json!({"g": g2}))
        .await;
    let d = e.data(access_q, json!({"id": res})).await;
    assert_eq!(d["resource"]["access"]["totalCount"], 1);

    // Unknown principal → ok:false.
    let d = e.data(add, json!({"r": res, "a": [{"principalId": b64("Group:424242")}]})).await;
    assert_eq!(d["resourceAccessAdd"]["error"], format!("Group with id '{}' does not exist", b64("Group:424242")));
}

#[tokio::test]
async fn groups_users_devices_connectors() {
    let e = Emu::start(unlimited()).await;
    // Only MANUAL groups are writable.
    let d = e.data("{ groups { edges { node { id name type } } } }", json!({})).await;
    for edge in d["groups"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let r = e
            .data(
                "mutation($id: ID!) { groupUpdate(id: $id, name: \"renamed\") { ok error } }",
                json!({"id": node["id"]}),
            )
            .await;
        assert_eq!(r["groupUpdate"]["ok"] == true, node["type"] == "MANUAL", "{node}");
        if node["type"] == "MANUAL" {
            continue;
        }
        let r = e.data("mutation($id: ID!) { groupDelete(id: $id) { ok error } }", json!({"id": node["id"]})).await;
        assert_eq!(r["groupDelete"]["ok"], false);
        let error = r["groupDelete"]["error"].as_str().unwrap();
        assert!(error.starts_with("Only groups of type MANUAL may be modified. Group "), "{error}");
    }

    // Membership: replace then delta.
    let users = e.data("{ users(first: 3) { edges { node { id } } } }", json!({})).await;
    let u: Vec<String> = ids_of(&users["users"]);
    let g = e.create_group("team").await;
    let uq = "query($id: ID!) { group(id: $id) { users { edges { node { id } } } } }";
    e.ok(
        "groupUpdate",
        "mutation($g: ID!, $u: [ID!]) { groupUpdate(id: $g, userIds: $u) { ok error } }",
        json!({"g": g, "u": [u[0], u[1]]}),
    )
    .await;
    e.ok("groupUpdate", "mutation($g: ID!, $a: [ID!], $r: [ID!]) { groupUpdate(id: $g, addedUserIds: $a, removedUserIds: $r) { ok error } }", json!({"g": g, "a": [u[2]], "r": [u[0]]})).await;
    let d = e.data(uq, json!({"id": g})).await;
    assert_eq!(ids_of(&d["group"]["users"]), [u[1].clone(), u[2].clone()]);

    // Users: create is PENDING and records an invitation when asked.
    let before = e.stats().await["invitations"].as_u64().unwrap();
    let p = e.ok("userCreate", "mutation { userCreate(email: \"new@example.com\", firstName: \"New\", role: DEVOPS, shouldSendInvite: true) { ok error entity { id state role firstName lastName } } }", json!({})).await;
    assert_eq!(p["entity"]["state"], "PENDING");
    assert_eq!(p["entity"]["role"], "DEVOPS");
    assert_eq!(e.stats().await["invitations"].as_u64().unwrap(), before + 1);
    let nu = p["entity"]["id"].as_str().unwrap().to_string();
    let d = e
        .data(
            "mutation($id: ID!) { userDetailsUpdate(id: $id, state: DISABLED) { ok error entity { id } } }",
            json!({"id": nu}),
        )
        .await;
    assert_eq!(d["userDetailsUpdate"], json!({"ok": false, "error": "User in PENDING state", "entity": null}));
    let p = e
        .ok(
            "userRoleUpdate",
            "mutation($id: ID!) { userRoleUpdate(id: $id, role: ADMIN) { ok error entity { role } } }",
            json!({"id": nu}),
        )
        .await;
    assert_eq!(p["entity"]["role"], "ADMIN");
    let active = &u[0];
    let p = e.ok("userDetailsUpdate", "mutation($id: ID!) { userDetailsUpdate(id: $id, state: DISABLED, lastName: \"X\") { ok error entity { state lastName } } }", json!({"id": active})).await;
    assert_eq!(p["entity"], json!({"state": "DISABLED", "lastName": "X"}));
    e.ok("userDelete", "mutation($id: ID!) { userDelete(id: $id) { ok error } }", json!({"id": nu})).await;
    let d = e.data("query($id: ID!) { user(id: $id) { id } }", json!({"id": nu})).await;
    assert_eq!(d["user"], Value::Null);

    // Devices.
    let d = e
        .data("{ devices(filter: {activeState: {in: [ACTIVE]}}) { edges { node { id isTrusted } } } }", json!({}))
        .await;
    let dev = d["devices"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let p = e
        .ok(
            "deviceUpdate",
            "mutation($id: ID!) { deviceUpdate(id: $id, isTrusted: false) { ok error entity { isTrusted } } }",
            json!({"id": dev}),
        )
        .await;
    assert_eq!(p["entity"]["isTrusted"], false);
    let m = |op: &str| format!("mutation($id: ID!) {{ {op}(id: $id) {{ ok error entity {{ activeState }} }} }}");
    // No public source says which state changes the API refuses, so none is refused.
    let d = e.data(&m("deviceUnarchive"), json!({"id": dev})).await;
    assert_eq!(d["deviceUnarchive"]["entity"]["activeState"], "ACTIVE");
    assert_eq!(
        e.ok("deviceArchive", &m("deviceArchive"), json!({"id": dev})).await["entity"]["activeState"],
        "ARCHIVED"
    );
    assert_eq!(
        e.ok("deviceUnarchive", &m("deviceUnarchive"), json!({"id": dev})).await["entity"]["activeState"],
        "ACTIVE"
    );
    assert_eq!(e.ok("deviceBlock", &m("deviceBlock"), json!({"id": dev})).await["entity"]["activeState"], "BLOCKED");
    assert_eq!(e.ok("deviceUnblock", &m("deviceUnblock"), json!({"id": dev})).await["entity"]["activeState"], "ACTIVE");

    // Connectors: new ones never heartbeated; tokens change on each call.
    let net = e.network_id().await;
    let p = e.ok("connectorCreate", "mutation($n: ID!) { connectorCreate(remoteNetworkId: $n) { ok error entity { id name state lastHeartbeatAt hostname version hasStatusNotificationsEnabled privateIPs publicIP } } }", json!({"n": net})).await;
    let c = &p["entity"];
    assert_eq!(c["state"], "DEAD_NO_HEARTBEAT");
    assert_eq!(
        (c["lastHeartbeatAt"].clone(), c["hostname"].clone(), c["version"].clone()),
        (Value::Null, Value::Null, Value::Null)
    );
    assert!(!c["name"].as_str().unwrap().is_empty());
    let cid = c["id"].as_str().unwrap().to_string();
    let gen_q = "mutation($id: ID!) { connectorGenerateTokens(connectorId: $id) { ok error connectorTokens { accessToken refreshToken } } }";
    let t1 = e.ok("connectorGenerateTokens", gen_q, json!({"id": cid})).await["connectorTokens"].clone();
    let t2 = e.ok("connectorGenerateTokens", gen_q, json!({"id": cid})).await["connectorTokens"].clone();
    assert_ne!(t1["accessToken"], t2["accessToken"]);
    assert_ne!(t1["refreshToken"], t2["refreshToken"]);
    assert_ne!(t1["accessToken"], t1["refreshToken"]);

    // Security policies: assign groups.
    let pol = e
        .data("{ securityPolicy(name: \"Require MFA and trusted device\") { id groups { totalCount } } }", json!({}))
        .await;
    let pid = pol["securityPolicy"]["id"].as_str().unwrap().to_string();
    let before = pol["securityPolicy"]["groups"]["totalCount"].as_i64().unwrap();
    let p = e.ok("securityPolicyUpdate", "mutation($p: ID!, $g: [ID!]) { securityPolicyUpdate(id: $p, addedGroupIds: $g) { ok error entity { groups { totalCount } } } }", json!({"p": pid, "g": [g]})).await;
    assert_eq!(p["entity"]["groups"]["totalCount"].as_i64().unwrap(), before + 1);
    let d = e.data("query($g: ID!) { group(id: $g) { securityPolicy { id } } }", json!({"g": g})).await;
    assert_eq!(d["group"]["securityPolicy"]["id"], pid);
    let p = e.ok("groupUpdate", "mutation($g: ID!) { groupUpdate(id: $g, securityPolicyId: null) { ok error entity { securityPolicy { policyType } } } }", json!({"g": g})).await;
    assert_eq!(p["entity"]["securityPolicy"]["policyType"], "DEFAULT_RESOURCE");
}

#[tokio::test]
async fn seeds_and_introspection() {
    let e = Emu::start(empty_unlimited()).await;
    let d = e.data("{ users { totalCount edges { node { role } } } groups { edges { node { name type } } } securityPolicies { edges { node { name policyType } } } resources { totalCount } }", json!({})).await;
    assert_eq!(d["users"]["totalCount"], 1);
    assert_eq!(d["users"]["edges"][0]["node"]["role"], "ADMIN");
    assert_eq!(d["groups"]["edges"], json!([{"node": {"name": "Everyone", "type": "SYSTEM"}}]));
    assert_eq!(
        d["securityPolicies"]["edges"],
        json!([{"node": {"name": "Default Policy", "policyType": "DEFAULT_RESOURCE"}}])
    );
    assert_eq!(d["resources"]["totalCount"], 0);

    let d = e
        .data(
            "{ __schema { queryType { name } mutationType { name } } __type(name: \"Resource\") { kind interfaces { name } possibleTypes { name } }
               node: __type(name: \"Node\") { possibleTypes { kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["__schema"]["queryType"]["name"], "QueriesRoot");
    assert_eq!(d["__schema"]["mutationType"]["name"], "MutationsRoot");
    assert_eq!(d["__type"]["kind"], "INTERFACE");
    // async-graphql's introspection lists interfaces only for object types; the SDL (see
    // schema_drift.rs) has `interface Resource implements Node`.
    let mut possible: Vec<&str> =
        d["__type"]["possibleTypes"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    possible.sort();
    assert_eq!(possible, ["KubernetesResource", "NetworkResource", "WebAppResource"]);
    // Node's possible types are object types only.
    assert!(d["node"]["possibleTypes"].as_array().unwrap().iter().all(|t| t["kind"] == "OBJECT"));

    // A validation error is an HTTP 400, like the real API.
    let (status, body) = e.post(Some(&e.token()), "{ resources { edges { node { routingMode } } } }", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("routingMode"));
}

/// BYPASS_TWINGATE resources: no wildcard, no port restriction, no security policy on the
/// resource or on any of its access edges (Twingate's spec, Terraform provider issue #888).
#[tokio::test]
async fn bypass_resources() {
    let e = Emu::start(unlimited()).await;
    let net = e.network_id().await;
    let policies = e
        .data("{ securityPolicies(filter: {policyType: {in: [RESOURCE]}}) { edges { node { id } } } }", json!({}))
        .await;
    let policy = policies["securityPolicies"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let create = "mutation($rn: ID!, $a: String!, $sp: ID, $p: ProtocolsInput) { resourceCreate(name: \"b\", address: $a,
        remoteNetworkId: $rn, routingMode: BYPASS_TWINGATE, securityPolicyId: $sp, protocols: $p) { ok error entity { id routingMode } } }";
    let restricted = json!({"allowIcmp": true, "tcp": {"policy": "RESTRICTED", "ports": [{"start": 443, "end": 443}]}, "udp": {"policy": "ALLOW_ALL"}});
    for (vars, error) in [
        (json!({"rn": net, "a": "*.public.example.com"}), "Bypass Resources cannot have a wildcard address"),
        (
            json!({"rn": net, "a": "public.example.com", "p": restricted}),
            "Bypass Resources cannot have port restrictions",
        ),
        (json!({"rn": net, "a": "public.example.com", "sp": policy}), "Bypass Resources cannot have a security policy"),
    ] {
        let d = e.data(create, vars).await;
        assert_eq!(d["resourceCreate"]["error"], error);
    }
    let p = e.ok("resourceCreate", create, json!({"rn": net, "a": "public.example.com"})).await;
    assert_eq!(p["entity"]["routingMode"], "BYPASS_TWINGATE");
    let res = p["entity"]["id"].as_str().unwrap().to_string();
    // An access edge's policy counts too; without one, access is fine.
    let g = e.create_group("bypassers").await;
    let add = "mutation($r: ID!, $a: [AccessInput!]!) { resourceAccessAdd(resourceId: $r, access: $a) { ok error } }";
    let d = e.data(add, json!({"r": res, "a": [{"principalId": g, "securityPolicyId": policy}]})).await;
    assert_eq!(d["resourceAccessAdd"], json!({"ok": false, "error": "Bypass Resources cannot have a security policy"}));
    e.ok("resourceAccessAdd", add, json!({"r": res, "a": [{"principalId": g}]})).await;
}
