//! `tgctl api`: raw documents, variables, pagination, schema; and the command tree.

use serde_json::json;
use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

async fn on_query(w: &World, vars: serde_json::Value, data: serde_json::Value) {
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"variables": vars})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data})))
        .mount(&w.server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_with_typed_and_raw_variables_prints_data() {
    let w = World::new().await;
    on_query(&w, json!({"n": 5}), json!({"remoteNetworks": {"edges": []}})).await;
    let q = w.config_path("q.graphql");
    std::fs::write(
        &q,
        "query($n: Int, $on: Boolean, $s: String) { remoteNetworks(first: $n) { edges { node { id } } } }",
    )
    .unwrap();
    let vars_file = w.config_path("v.txt");
    std::fs::write(&vars_file, "from a file").unwrap();
    let r = w
        .run(&[
            "api",
            "-f",
            q.to_str().unwrap(),
            "-F",
            "n=5",
            "-F",
            "on=true",
            "-f",
            "s=5",
            "-F",
            &format!("t=@{}", vars_file.display()),
            "-o",
            "json",
        ])
        .await;
    r.success().no_secrets();
    assert_eq!(r.json(), json!({"remoteNetworks": {"edges": []}}));
    let body = &w.server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&body.body).unwrap();
    assert_eq!(body["variables"], json!({"n": 5, "on": true, "s": "5", "t": "from a file"}));

    // From stdin.
    let r = w.run_with_stdin(&["api", "-", "-F", "n=5"], "query($n: Int) { a }").await;
    r.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_map_to_exit_codes() {
    let w = World::new().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": null, "errors": [{"message": "Cannot query field \"nope\""}]})),
        )
        .mount(&w.server)
        .await;
    w.run(&["api", "query { nope }"]).await.failure(5).stderr_has("Cannot query field");
    w.run(&["api"]).await.failure(2).stderr_has("no GraphQL document");
    w.run(&["api", "{ a }", "-F", "1x=2"]).await.failure(2).stderr_has("not a GraphQL variable name");
    w.run(&["api", "--paginate", "{ a }"]).await.failure(2).stderr_has("$endCursor");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_mutation_exits_5() {
    let w = World::new().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"deviceArchive": {"ok": false, "error": "no such device"}}})),
        )
        .mount(&w.server)
        .await;
    w.run(&["api", "mutation { deviceArchive(id: \"x\") { ok error } }"]).await.failure(5).stderr_has("no such device");
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_follows_end_cursor_and_streams_nodes() {
    let w = World::new().await;
    let page = |ids: &[&str], next: Option<&str>| json!({"users": conn(ids.iter().map(|i| json!({"id": i, "email": format!("{i}@x")})).collect(), next)});
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"variables": {"endCursor": "c1"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": page(&["3"], None)})))
        .with_priority(1)
        .mount(&w.server)
        .await;
    on_query(&w, json!({}), page(&["1", "2"], Some("c1"))).await;
    let q = "query($first: Int, $endCursor: String) { users(first: $first, after: $endCursor) { pageInfo { hasNextPage endCursor } edges { node { id email } } } }";
    let r = w.run(&["api", "--paginate", q, "-o", "ndjson"]).await;
    r.success();
    assert_eq!(r.stdout().lines().count(), 3, "{}", r.stdout());
    let r = w.run(&["api", "--paginate", q]).await;
    r.success();
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    let r = w.run(&["api", "--paginate", q, "-o", "id"]).await;
    assert_eq!(r.stdout(), "1\n2\n3\n");
    let first: Vec<serde_json::Value> = w
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["variables"].clone())
        .collect();
    assert_eq!(first[0], json!({"first": 100}));
    assert_eq!(first[1], json!({"first": 100, "endCursor": "c1"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_prints_sdl_from_introspection() {
    let w = World::new().await;
    let t = |kind: &str, name: &str| json!({"kind": kind, "name": name, "ofType": null});
    let data = json!({"__schema": {
        "queryType": {"name": "QueriesRoot"}, "mutationType": null, "subscriptionType": null, "directives": [],
        "types": [
            {"kind": "OBJECT", "name": "QueriesRoot", "description": null, "interfaces": [], "inputFields": null,
             "enumValues": null, "possibleTypes": null, "fields": [
                {"name": "ping", "description": null, "args": [], "type": {"kind": "NON_NULL", "name": null, "ofType": t("SCALAR", "String")},
                 "isDeprecated": false, "deprecationReason": null}]},
            {"kind": "SCALAR", "name": "String", "description": null, "fields": null, "inputFields": null,
             "interfaces": null, "enumValues": null, "possibleTypes": null}
        ]
    }});
    w.on("IntrospectionQuery", data).await;
    let r = w.run(&["api", "schema"]).await;
    r.success();
    assert_eq!(r.stdout(), "schema {\n  query: QueriesRoot\n}\n\ntype QueriesRoot {\n  ping: String!\n}\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_and_completions_cover_every_noun() {
    let w = World::new().await;
    let r = w.run(&["--help"]).await;
    r.success();
    for noun in ["remote-network", "connector", "resource", "group", "device", "security-policy", "user", "api"] {
        assert!(r.stdout().contains(noun), "{noun} missing from --help");
    }
    let r = w.run(&["completions", "bash"]).await;
    r.success();
    for word in ["remote-network", "security-policy", "unarchive", "--clear-security-policy", "tokens"] {
        assert!(r.stdout().contains(word), "{word} missing from completions");
    }
    w.run(&["resource", "access", "add", "--help"]).await.success().stdout_has("Examples:");
}
