//! `tgctl connector`, including `connector tokens`.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::common::*;
use crate::remote_network::network;

const ACCESS: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkRBVCJ9.eyJ0aWQiOiIxIn0.SIGNATURE-access-7c1";
const REFRESH: &str = "refresh-token-Zx9q-0123456789abcdef";

pub fn connector(pk: &str, name: &str) -> Value {
    json!({
        "id": gid("Connector", pk), "name": name, "state": "ALIVE",
        "lastHeartbeatAt": "2026-01-01T00:00:00+00:00", "hostname": "ip-10-0-0-5", "version": "1.80.0",
        "publicIP": "203.0.113.9", "privateIPs": ["10.0.0.5"], "hasStatusNotificationsEnabled": true,
        "createdAt": T0, "updatedAt": T0,
        "remoteNetwork": {"id": gid("RemoteNetwork", "1"), "name": "aws-prod"}
    })
}

async fn world_with_connector() -> World {
    let w = World::new().await;
    w.on("ConnectorList", json!({"connectors": conn(vec![connector("1", "brave-otter")], None)})).await;
    w
}

fn tokens_response() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"connectorGenerateTokens": {
        "ok": true, "error": null, "connectorTokens": {"accessToken": ACCESS, "refreshToken": REFRESH}
    }}}))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_health_and_filters_by_network_and_state() {
    let w = World::new().await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)})).await;
    w.on(
        "ConnectorListOfNetwork",
        json!({"remoteNetwork": {"connectors": conn(vec![connector("1", "brave-otter")], None)}}),
    )
    .await;
    let r = w.run(&["connector", "list", "--remote-network", "aws-prod", "--state", "alive", "-o", "json"]).await;
    r.success();
    let row = &r.json()[0];
    assert_eq!(row["state"], "alive");
    assert_eq!(row["publicIp"], "203.0.113.9");
    assert_eq!(row["privateIps"], json!(["10.0.0.5"]));
    assert_eq!(row["remoteNetwork"]["name"], "aws-prod");
    let vars = &w.vars("ConnectorListOfNetwork").await[0];
    assert_eq!(vars["id"], gid("RemoteNetwork", "1"));
    assert_eq!(vars["filter"]["state"]["in"], json!(["ALIVE"]));

    // Without a network: the root connection; the table has the health columns.
    w.on("ConnectorList", json!({"connectors": conn(vec![connector("1", "brave-otter")], None)})).await;
    let r = w.run(&["connector", "list"]).await;
    r.success();
    let line = r.stdout();
    for cell in
        ["brave-otter", "aws-prod", "alive", "2026-01-01T00:00:00Z", "1.80.0", "ip-10-0-0-5", "203.0.113.9", "10.0.0.5"]
    {
        assert!(line.contains(cell), "{cell} missing: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_create_update_delete() {
    let w = world_with_connector().await;
    w.on("ConnectorGet", json!({"connector": null})).await;
    w.on("RemoteNetworkList", json!({"remoteNetworks": conn(vec![network("1", "aws-prod")], None)})).await;
    w.on("ConnectorCreate", json!({"connectorCreate": ok_entity(connector("2", "made-up-name"))})).await;
    w.on("ConnectorUpdate", json!({"connectorUpdate": ok_entity(connector("1", "brave-otter"))})).await;
    w.on("ConnectorDelete", json!({"connectorDelete": {"ok": true, "error": null}})).await;

    w.run(&["connector", "get", "brave-otter"]).await.success().stdout_has("state\talive");
    w.run(&["connector", "get", &gid("Connector", "9")]).await.failure(4);
    w.run(&["connector", "get", &gid("Resource", "9")]).await.failure(2).stderr_has("is a Resource ID");

    let r = w.run(&["connector", "create", "--remote-network", "aws-prod", "-o", "id"]).await;
    r.success().stderr_has("connector tokens");
    assert_eq!(r.stdout().trim(), gid("Connector", "2"));
    // No name given: the variable is omitted so the API makes one up.
    assert_eq!(w.vars("ConnectorCreate").await[0], json!({"remoteNetworkId": gid("RemoteNetwork", "1")}));

    w.run(&["connector", "update", "brave-otter", "--no-notifications"]).await.success();
    assert_eq!(
        w.vars("ConnectorUpdate").await[0],
        json!({"id": gid("Connector", "1"), "hasStatusNotificationsEnabled": false})
    );
    w.run(&["connector", "update", "brave-otter"]).await.failure(2).stderr_has("nothing to change");

    w.run(&["connector", "delete", "brave-otter"]).await.failure(2).stderr_has("--yes");
    w.run(&["connector", "delete", "brave-otter", "--yes"]).await.success();
    assert_eq!(w.requests("ConnectorDelete").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_go_to_a_private_env_file() {
    let w = world_with_connector().await;
    w.expect("ConnectorGenerateTokens", tokens_response(), 1).await;
    let out = w.config_path("connector.env");
    let out_s = out.to_str().unwrap();
    let r = w.run(&["connector", "tokens", "brave-otter", "--out", out_s, "--format", "env", "--yes", "-v"]).await;
    r.success().stderr_has("mode 0600");
    assert!(!r.stdout().contains(ACCESS) && !r.stderr().contains(ACCESS), "token leaked");
    assert!(!r.stdout().contains(REFRESH) && !r.stderr().contains(REFRESH), "token leaked");
    assert_eq!(file_mode(&out), 0o600);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(&format!("TWINGATE_ACCESS_TOKEN={ACCESS}\n")), "{text}");
    assert!(text.contains(&format!("TWINGATE_REFRESH_TOKEN={REFRESH}\n")));
    assert!(text.contains("TWINGATE_NETWORK=127.0.0.1\n"), "{text}");
    // Sourcing it works.
    let sourced = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(". '{out_s}' && printf %s \"$TWINGATE_REFRESH_TOKEN\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&sourced.stdout), REFRESH);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_refuse_to_overwrite_and_need_confirmation_before_generating() {
    let w = world_with_connector().await;
    w.expect("ConnectorGenerateTokens", tokens_response(), 0).await;
    let out = w.config_path("tokens.json");
    std::fs::write(&out, "old").unwrap();
    w.run(&["connector", "tokens", "brave-otter", "--out", out.to_str().unwrap(), "--yes"])
        .await
        .failure(2)
        .stderr_has("already exists; no tokens were generated");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    let r = w.run(&["connector", "tokens", "brave-otter", "-o", "json"]).await;
    r.failure(2);
    assert_eq!(r.json_error()["code"], "confirmation_required");
    // On a terminal without --out or --show, nothing is generated either.
    let r = w.clone_env("TGCTL_FORCE_TTY", "1").run(&["connector", "tokens", "brave-otter", "--yes"]).await;
    r.failure(2).stderr_has("refusing to print connector tokens to the terminal");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_print_to_a_pipe_masked_under_github_actions() {
    let w = world_with_connector().await.env("GITHUB_ACTIONS", "true").env("TWINGATE_NETWORK", "acme");
    w.on_response("ConnectorGenerateTokens", tokens_response()).await;
    let r = w.run(&["connector", "tokens", "brave-otter", "--yes", "-o", "json"]).await;
    r.success();
    let stderr = r.stderr();
    let mask_access = stderr.find(&format!("::add-mask::{ACCESS}")).expect("access token masked");
    assert!(stderr.contains(&format!("::add-mask::{REFRESH}")));
    assert_eq!(stderr.matches(ACCESS).count(), 1, "only the mask line names it: {stderr}");
    assert!(mask_access < stderr.find("follow on stdout").unwrap());
    let doc = r.json();
    assert_eq!(doc["accessToken"], ACCESS);
    assert_eq!(doc["refreshToken"], REFRESH);
    assert_eq!(doc["network"], "acme");
    assert_eq!(doc["connectorName"], "brave-otter");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_token_generation_exits_5() {
    let w = world_with_connector().await;
    w.on("ConnectorGenerateTokens", json!({"connectorGenerateTokens": {"ok": false, "error": "Connector is being deleted", "connectorTokens": null}}))
        .await;
    w.run(&["connector", "tokens", "brave-otter", "--yes"]).await.failure(5).stderr_has("Connector is being deleted");
}
