//! `tgctl security-policy`.

use serde_json::json;

use crate::common::*;
use crate::group::group;
use crate::resource::policy;

fn full(groups: Vec<serde_json::Value>) -> serde_json::Value {
    let mut p = policy("3", "Strict");
    p["groups"] = conn(groups, None);
    json!({"securityPolicy": p})
}

fn gref(pk: &str, name: &str) -> serde_json::Value {
    json!({"id": gid("Group", pk), "name": name})
}

async fn world() -> World {
    let w = World::new().await;
    w.on("SecurityPolicyList", json!({"securityPolicies": conn(vec![policy("3", "Strict")], None)})).await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Oncall"}}}),
        json!({"groups": conn(vec![group("1", "Oncall", "MANUAL")], None)}),
    )
    .await;
    w.on_vars(
        "GroupList",
        json!({"filter": {"name": {"eq": "Vendors"}}}),
        json!({"groups": conn(vec![group("2", "Vendors", "MANUAL")], None)}),
    )
    .await;
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_get() {
    let w = world().await;
    w.on("SecurityPolicyGet", full(vec![gref("1", "Oncall")])).await;
    let r = w.run(&["security-policy", "list", "--type", "resource", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()[0]["policyType"], "resource");
    assert_eq!(w.vars("SecurityPolicyList").await[0]["filter"]["policyType"], json!({"in": ["RESOURCE"]}));
    w.run(&["policy", "get", "Strict"]).await.success().stdout_has("groups\tOncall");
    w.run(&["security-policy", "get", &gid("Group", "1")]).await.failure(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_adds_removes_and_sets_groups() {
    let w = world().await;
    w.on("SecurityPolicyGet", full(vec![gref("1", "Oncall")])).await;
    w.on("SecurityPolicyUpdate", json!({"securityPolicyUpdate": ok_entity(json!({"id": gid("SecurityPolicy", "3")}))}))
        .await;
    w.run(&["security-policy", "update", "Strict", "--add-group", "Vendors"])
        .await
        .success()
        .stderr_has("applies to 1 group(s)");
    assert_eq!(
        w.vars("SecurityPolicyUpdate").await[0],
        json!({"id": gid("SecurityPolicy", "3"), "addedGroupIds": [gid("Group", "2")]})
    );
    // Replacing drops Oncall: confirmation needed.
    w.run(&["security-policy", "update", "Strict", "--set-groups", "Vendors"])
        .await
        .failure(2)
        .stderr_has("\"Oncall\"");
    w.run(&["security-policy", "update", "Strict", "--set-groups", "Vendors,Oncall"]).await.success();
    assert_eq!(w.vars("SecurityPolicyUpdate").await[1]["groupIds"], json!([gid("Group", "2"), gid("Group", "1")]));
    w.run(&["security-policy", "update", "Strict", "--set-groups", "", "--yes"]).await.success();
    assert_eq!(w.vars("SecurityPolicyUpdate").await[2]["groupIds"], json!([]));
    w.run(&["security-policy", "update", "Strict", "--set-groups", "Vendors", "--add-group", "Oncall"])
        .await
        .failure(2);
    w.run(&["security-policy", "update", "Strict"]).await.failure(2).stderr_has("nothing to change");
}
