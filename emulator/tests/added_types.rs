//! The types and fields real clients use beyond tgctl's (issue 17, item 5): typed resources,
//! gateways and certificate authorities, serial numbers, device posture, DNS filtering profiles,
//! and the deprecated fields still read and written. docs/emulator.md says where each comes from.

mod common;

use common::{Emu, unlimited};
use serde_json::{Value, json};

/// base64("abc"): the emulator reads a certificate's or key's bytes without parsing them, so the
/// fingerprints below are SHA-256("abc").
const PEM: &str = "-----BEGIN CERTIFICATE-----\nYWJj\n-----END CERTIFICATE-----\n";
const SSH_KEY: &str = "ssh-ed25519 YWJj ca@example";

fn id(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// An X.509 CA and a gateway in the Production network: (ca, gateway).
async fn gateway(e: &Emu) -> (String, String) {
    let p = e
        .ok(
            "x509CertificateAuthorityCreate",
            "mutation($n: String!, $c: String!) { x509CertificateAuthorityCreate(name: $n, certificate: $c) {
               ok error entity { id name fingerprint } } }",
            json!({"n": "internal-ca", "c": PEM}),
        )
        .await;
    assert_eq!(
        p["entity"]["fingerprint"],
        "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
    );
    let ca = id(&p["entity"]["id"]);
    let net = e.network_id().await;
    let p = e
        .ok(
            "gatewayCreate",
            "mutation($a: String!, $rn: ID!, $ca: ID!) { gatewayCreate(address: $a, remoteNetworkId: $rn, x509CAId: $ca) {
               ok error entity { id address remoteNetwork { name } x509CA { id } sshCA { id } } } }",
            json!({"a": "gw.prod.internal", "rn": net, "ca": ca}),
        )
        .await;
    assert_eq!(p["entity"]["remoteNetwork"]["name"], "Production");
    assert_eq!(p["entity"]["x509CA"]["id"], ca.as_str());
    assert_eq!(p["entity"]["sshCA"], Value::Null);
    (ca, id(&p["entity"]["id"]))
}

#[tokio::test]
async fn gateways_and_certificate_authorities() {
    let e = Emu::start(unlimited()).await;
    let (x509, gw) = gateway(&e).await;
    let p = e
        .ok(
            "sshCertificateAuthorityCreate",
            "mutation($n: String!, $k: String!) { sshCertificateAuthorityCreate(name: $n, publicKey: $k) {
               ok error entity { id fingerprint } } }",
            json!({"n": "ssh-ca", "k": SSH_KEY}),
        )
        .await;
    assert_eq!(p["entity"]["fingerprint"], "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
    let ssh = id(&p["entity"]["id"]);

    // certificateAuthority answers either kind, told apart by __typename.
    let q = "query($id: ID!) { certificateAuthority(id: $id) { __typename
        ... on X509CertificateAuthority { id name } ... on SSHCertificateAuthority { id name } } }";
    let d = e.data(q, json!({"id": x509})).await;
    assert_eq!(d["certificateAuthority"]["__typename"], "X509CertificateAuthority");
    let d = e.data(q, json!({"id": ssh})).await;
    assert_eq!(d["certificateAuthority"]["__typename"], "SSHCertificateAuthority");
    let d = e.data(q, json!({"id": gw})).await;
    assert_eq!(d["certificateAuthority"], Value::Null, "a gateway is no CA");

    // Update: only what is given changes; the SSH CA can be set and removed.
    let update = "mutation($id: ID!, $ssh: ID, $a: String) { gatewayUpdate(id: $id, sshCAId: $ssh, address: $a) {
        ok error entity { address sshCA { id } } } }";
    let p = e.ok("gatewayUpdate", update, json!({"id": gw, "ssh": ssh})).await;
    assert_eq!(
        (p["entity"]["address"].as_str(), p["entity"]["sshCA"]["id"].as_str()),
        (Some("gw.prod.internal"), Some(ssh.as_str()))
    );
    let p = e.ok("gatewayUpdate", update, json!({"id": gw, "ssh": null, "a": "gw2"})).await;
    assert_eq!((p["entity"]["address"].as_str(), &p["entity"]["sshCA"]), (Some("gw2"), &Value::Null));

    // A CA a gateway uses can't go; a bad certificate or key is refused; unknown IDs are worded
    // as the operator's fixtures word them.
    let del_ca = "mutation($id: ID!) { x509CertificateAuthorityDelete(id: $id) { ok error } }";
    let d = e.data(del_ca, json!({"id": x509})).await;
    assert_eq!(
        d["x509CertificateAuthorityDelete"],
        json!({"ok": false, "error": "This CA is currently in use and cannot be deleted."})
    );
    let d = e
        .data(
            "mutation { x509CertificateAuthorityCreate(name: \"x\", certificate: \"not a pem\") { ok error } }",
            json!({}),
        )
        .await;
    assert_eq!(d["x509CertificateAuthorityCreate"]["ok"], false);
    let d = e
        .data("mutation { sshCertificateAuthorityCreate(name: \"x\", publicKey: \"nope\") { ok error } }", json!({}))
        .await;
    assert_eq!(d["sshCertificateAuthorityCreate"]["ok"], false);

    // A gateway a resource uses can't go.
    let net = e.network_id().await;
    let p = e
        .ok(
            "kubernetesResourceCreate",
            "mutation($rn: ID!, $gw: ID!) { kubernetesResourceCreate(name: \"k8s\", address: \"kubernetes.default.svc\",
               remoteNetworkId: $rn, gatewayId: $gw) { ok error entity { id } } }",
            json!({"rn": net, "gw": gw}),
        )
        .await;
    let k8s = id(&p["entity"]["id"]);
    let del_gw = "mutation($id: ID!) { gatewayDelete(id: $id) { ok error } }";
    let d = e.data(del_gw, json!({"id": gw})).await;
    assert_eq!(
        d["gatewayDelete"],
        json!({"ok": false, "error": "Cannot delete. This Gateway is being used by Resource."})
    );
    e.ok("resourceDelete", "mutation($id: ID!) { resourceDelete(id: $id) { ok error } }", json!({"id": k8s})).await;
    e.ok("gatewayDelete", del_gw, json!({"id": gw})).await;
    let d = e.data(del_gw, json!({"id": gw})).await;
    assert_eq!(d["gatewayDelete"], json!({"ok": false, "error": "Gateway does not exist."}));
    let d = e.data("query($id: ID!) { gateway(id: $id) { id } }", json!({"id": gw})).await;
    assert_eq!(d["gateway"], Value::Null);
    e.ok("x509CertificateAuthorityDelete", del_ca, json!({"id": x509})).await;
    let d = e.data(del_ca, json!({"id": x509})).await;
    assert_eq!(
        d["x509CertificateAuthorityDelete"],
        json!({"ok": false, "error": "Certificate authority does not exist."})
    );
}

#[tokio::test]
async fn kubernetes_and_web_app_resources() {
    let e = Emu::start(unlimited()).await;
    let (_, gw) = gateway(&e).await;
    let net = e.network_id().await;
    let k8s = e
        .ok(
            "kubernetesResourceCreate",
            "mutation($rn: ID!, $gw: ID!, $tags: [TagInput!]) { kubernetesResourceCreate(name: \"cluster\",
               address: \"10.96.0.1\", remoteNetworkId: $rn, gatewayId: $gw, alias: \"k8s.corp\", tags: $tags) {
               ok error entity { id name alias tags { key value } gateway { id } } } }",
            json!({"rn": net, "gw": gw, "tags": [{"key": "team", "value": "platform"}]}),
        )
        .await;
    assert_eq!(k8s["entity"]["gateway"]["id"], gw.as_str());
    let k8s = id(&k8s["entity"]["id"]);
    let web = e
        .ok(
            "webAppResourceCreate",
            "mutation($rn: ID!, $gw: ID!) { webAppResourceCreate(name: \"grafana\", address: \"grafana.internal\",
               remoteNetworkId: $rn, gatewayId: $gw, downstream: {port: 443}, upstream: {port: 3000},
               requestHeaderRewrites: [{key: \"X-Team\", value: \"sre\"}]) {
               ok error entity { id downstream { port } upstream { port } requestHeaderRewrites { key value } } } }",
            json!({"rn": net, "gw": gw}),
        )
        .await;
    assert_eq!(web["entity"]["downstream"]["port"], 443);
    assert_eq!(web["entity"]["requestHeaderRewrites"], json!([{"key": "X-Team", "value": "sre"}]));
    let web = id(&web["entity"]["id"]);

    // Read back through the interface, each as its own type (what `resource(id)` must do for the
    // operator), and listed with the network resources.
    let read = "query($id: ID!) { resource(id: $id) { __typename id name isVisible protocols { allowIcmp }
        ... on KubernetesResource { gateway { id } } ... on WebAppResource { gateway { id } upstream { port } }
        ... on NetworkResource { routingMode } } }";
    let d = e.data(read, json!({"id": k8s})).await;
    assert_eq!(d["resource"]["__typename"], "KubernetesResource");
    assert_eq!(d["resource"]["gateway"]["id"], gw.as_str());
    let d = e.data(read, json!({"id": web})).await;
    assert_eq!(d["resource"]["__typename"], "WebAppResource");
    assert_eq!(d["resource"]["upstream"]["port"], 3000);
    let d = e.data("{ resources { totalCount edges { node { __typename } } } }", json!({})).await;
    assert_eq!(d["resources"]["totalCount"], 9, "the demo seed's seven and these two");

    // Updates: omitted stays, null clears, each kind through its own mutation.
    let p = e
        .ok(
            "kubernetesResourceUpdate",
            "mutation($id: ID!, $alias: String, $name: String) { kubernetesResourceUpdate(id: $id, alias: $alias, name: $name) {
               ok error entity { name alias tags { key } } } }",
            json!({"id": k8s, "alias": null}),
        )
        .await;
    assert_eq!(p["entity"], json!({"name": "cluster", "alias": null, "tags": [{"key": "team"}]}));
    let p = e
        .ok(
            "webAppResourceUpdate",
            "mutation($id: ID!) { webAppResourceUpdate(id: $id, upstream: {port: 8080}, requestHeaderRewrites: null) {
               ok error entity { downstream { port } upstream { port } requestHeaderRewrites { key } } } }",
            json!({"id": web}),
        )
        .await;
    assert_eq!(
        p["entity"],
        json!({"downstream": {"port": 443}, "upstream": {"port": 8080}, "requestHeaderRewrites": []})
    );
    // The wrong mutation for the kind finds nothing to update.
    for (q, field) in [
        ("mutation($id: ID!) { resourceUpdate(id: $id, name: \"x\") { ok error } }", "resourceUpdate"),
        ("mutation($id: ID!) { webAppResourceUpdate(id: $id, name: \"x\") { ok error } }", "webAppResourceUpdate"),
    ] {
        let d = e.data(q, json!({"id": k8s})).await;
        assert_eq!(d[field]["ok"], false, "{field}");
        assert!(d[field]["error"].as_str().unwrap().ends_with("does not exist"), "{d}");
    }
    // An unknown gateway and an impossible port are refused.
    let d = e
        .data(
            "mutation($rn: ID!) { webAppResourceCreate(name: \"w\", address: \"w.internal\", remoteNetworkId: $rn,
               gatewayId: \"R2F0ZXdheTo5OTk5OQ==\", downstream: {port: 443}, upstream: {port: 80}) { ok error } }",
            json!({"rn": net}),
        )
        .await;
    assert_eq!(d["webAppResourceCreate"], json!({"ok": false, "error": "Gateway does not exist."}));
    let d = e
        .data(
            "mutation($rn: ID!, $gw: ID!) { webAppResourceCreate(name: \"w\", address: \"w.internal\", remoteNetworkId: $rn,
               gatewayId: $gw, downstream: {port: 0}, upstream: {port: 80}) { ok error } }",
            json!({"rn": net, "gw": gw}),
        )
        .await;
    assert_eq!(d["webAppResourceCreate"]["ok"], false);
}

#[tokio::test]
async fn deprecated_resource_fields_still_read_and_write() {
    let e = Emu::start(unlimited()).await;
    let net = e.network_id().await;
    let groups =
        e.data("{ groups(filter: {type: {in: [MANUAL, SYSTEM]}}) { edges { node { id name } } } }", json!({})).await;
    let g: Vec<String> = groups["groups"]["edges"].as_array().unwrap().iter().map(|e| id(&e["node"]["id"])).collect();

    // The create payload's entity is a NetworkResource: `routingMode` right on it.
    let p = e
        .ok(
            "resourceCreate",
            "mutation($rn: ID!, $g: [ID!]) { resourceCreate(name: \"old\", address: \"old.internal\", remoteNetworkId: $rn,
               groupIds: $g, usageBasedAutolockDurationDays: 30) {
               ok error entity { id routingMode usageBasedAutolockDurationDays groups { totalCount } } } }",
            json!({"rn": net, "g": [g[0]]}),
        )
        .await;
    assert_eq!(p["entity"]["routingMode"], "THROUGH_TWINGATE");
    assert_eq!(p["entity"]["usageBasedAutolockDurationDays"], 30);
    assert_eq!(p["entity"]["groups"]["totalCount"], 1);
    let res = id(&p["entity"]["id"]);
    e.create_service_account("bot", json!([res])).await;

    let update = "mutation($id: ID!, $days: Int, $add: [ID], $rm: [ID]) {
        resourceUpdate(id: $id, usageBasedAutolockDurationDays: $days, addedGroupIds: $add, removedGroupIds: $rm) {
        ok error entity { usageBasedAutolockDurationDays groups { edges { node { id } } } serviceAccounts { totalCount }
        access { totalCount edges { usageBasedAutolockDurationDays } } } } }";
    let p = e.ok("resourceUpdate", update, json!({"id": res, "add": [g[1]]})).await;
    assert_eq!(p["entity"]["usageBasedAutolockDurationDays"], 30, "omitted: unchanged");
    assert_eq!(p["entity"]["groups"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(p["entity"]["serviceAccounts"]["totalCount"], 1);
    assert_eq!(p["entity"]["access"]["totalCount"], 3);
    let p = e.ok("resourceUpdate", update, json!({"id": res, "days": null, "rm": [g[0]]})).await;
    assert_eq!(p["entity"]["usageBasedAutolockDurationDays"], Value::Null, "null: cleared");
    assert_eq!(p["entity"]["groups"]["edges"], json!([{"node": {"id": g[1]}}]));
    assert_eq!(p["entity"]["serviceAccounts"]["totalCount"], 1, "service accounts stay");

    // groupIds replaces the groups only.
    let p = e
        .ok(
            "resourceUpdate",
            "mutation($id: ID!, $g: [ID]) { resourceUpdate(id: $id, groupIds: $g) { ok error entity { access { totalCount } } } }",
            json!({"id": res, "g": []}),
        )
        .await;
    assert_eq!(p["entity"]["access"]["totalCount"], 1);

    // The edge's own auto-lock, through AccessInput.
    let p = e
        .ok(
            "resourceAccessAdd",
            "mutation($r: ID!, $g: ID!) { resourceAccessAdd(resourceId: $r, access: [{principalId: $g, usageBasedAutolockDurationDays: 7}]) {
               ok error entity { access { edges { node { ... on Group { id } } usageBasedAutolockDurationDays } } } } }",
            json!({"r": res, "g": g[0]}),
        )
        .await;
    let edges = p["entity"]["access"]["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["node"]["id"] == g[0].as_str() && e["usageBasedAutolockDurationDays"] == 7));

    // User.isAdmin follows the role.
    let d = e.data("{ users(filter: {role: {in: [ADMIN]}}) { edges { node { isAdmin role } } } }", json!({})).await;
    assert_eq!(d["users"]["edges"][0]["node"]["isAdmin"], true);
}

#[tokio::test]
async fn devices_serial_numbers_posture_and_mfa() {
    let e = Emu::start(unlimited()).await;
    let d = e
        .data(
            "{ devices(filter: {serialNumber: {eq: \"C02XK0AAJG5H\"}}) { edges { node { id name internetSecurityConfiguration lastConnectedAt } } } }",
            json!({}),
        )
        .await;
    let device = &d["devices"]["edges"][0]["node"];
    assert_eq!(device["internetSecurityConfiguration"], "MACHINE_KEY");
    assert_eq!(device["lastConnectedAt"], Value::Null);
    let device_id = id(&device["id"]);

    // Serial numbers: create (repeats and existing ones once), match devices, filter, delete.
    let create = "mutation($s: [String!]!) { serialNumbersCreate(serialNumbers: $s) {
        ok error entities { id serialNumber createdAt matchedDevices { id name } } } }";
    let p = e.ok("serialNumbersCreate", create, json!({"s": ["C02XK0AAJG5H", "NO-SUCH-DEVICE", "C02XK0AAJG5H"]})).await;
    let entities = p["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 2);
    assert_eq!(entities[0]["matchedDevices"][0]["id"], device_id.as_str());
    assert_eq!(entities[1]["matchedDevices"], json!([]));
    let p = e.ok("serialNumbersCreate", create, json!({"s": ["NO-SUCH-DEVICE"]})).await;
    assert_eq!(p["entities"][0]["id"], entities[1]["id"], "an existing serial number is not created twice");
    let d = e
        .data(
            "{ all: serialNumbers { totalCount } matched: serialNumbers(filter: {hasMatchedDevices: {eq: true}}) { edges { node { serialNumber } } }
               prefix: serialNumbers(filter: {serialNumber: {startsWith: \"NO-\"}}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["all"]["totalCount"], 2);
    assert_eq!(d["matched"]["edges"], json!([{"node": {"serialNumber": "C02XK0AAJG5H"}}]));
    assert_eq!(d["prefix"]["totalCount"], 1);
    let p = e
        .ok(
            "serialNumbersDelete",
            "mutation($s: [String!]!) { serialNumbersDelete(serialNumbers: $s) { ok error } }",
            json!({"s": ["NO-SUCH-DEVICE"]}),
        )
        .await;
    assert_eq!(p["error"], Value::Null);
    let d = e.data("{ serialNumbers { totalCount } }", json!({})).await;
    assert_eq!(d["serialNumbers"]["totalCount"], 1);

    // Posture: a known device has no reported checks; an unknown one is null.
    let posture = "query($id: ID!) { devicePosture(id: $id) { firewall { isSatisfied detected } osVersion { version }
        crowdstrike { isVerified failureReason expiredAt failureDetails } iru { isVerified } manualVerification { value } } }";
    let d = e.data(posture, json!({"id": device_id})).await;
    assert_eq!(
        d["devicePosture"],
        json!({"firewall": null, "osVersion": null, "crowdstrike": null, "iru": null, "manualVerification": null})
    );
    let d = e.data(posture, json!({"id": "RGV2aWNlOjk5OTk5"})).await;
    assert_eq!(d["devicePosture"], Value::Null);

    // MFA reset: ok for a user, ok: false for an unknown one.
    let users = e.data("{ users(first: 1) { edges { node { id } } } }", json!({})).await;
    let user = id(&users["users"]["edges"][0]["node"]["id"]);
    let reset = "mutation($id: ID!) { userResetMfa(id: $id) { ok error } }";
    e.ok("userResetMfa", reset, json!({"id": user})).await;
    let d = e.data(reset, json!({"id": "VXNlcjo5OTk5OQ=="})).await;
    assert_eq!(d["userResetMfa"], json!({"ok": false, "error": "User with id 'VXNlcjo5OTk5OQ==' does not exist"}));
    assert_eq!(e.stats().await["applied"]["userResetMfa"], 2);
}

#[tokio::test]
async fn dns_filtering_profiles() {
    let e = Emu::start(unlimited()).await;
    let create = "mutation($n: String!) { dnsFilteringProfileCreate(name: $n) { ok error entity { id name priority fallbackMethod } } }";
    let a = e.ok("dnsFilteringProfileCreate", create, json!({"n": "Default"})).await;
    let b = e.ok("dnsFilteringProfileCreate", create, json!({"n": "Engineering"})).await;
    assert_eq!(a["entity"]["fallbackMethod"], "AUTO");
    assert!(b["entity"]["priority"].as_f64() > a["entity"]["priority"].as_f64(), "a new profile goes last");
    let (a, b) = (id(&a["entity"]["id"]), id(&b["entity"]["id"]));
    let groups = e.data("{ groups(filter: {name: {eq: \"Engineering\"}}) { edges { node { id } } } }", json!({})).await;
    let eng = id(&groups["groups"]["edges"][0]["node"]["id"]);

    let p = e
        .ok(
            "dnsFilteringProfileUpdate",
            "mutation($id: ID!, $g: [String!], $p: Float, $deny: [String!], $sec: SecurityCategoryConfigInput) {
               dnsFilteringProfileUpdate(id: $id, groups: $g, priority: $p, deniedDomains: $deny, fallbackMethod: STRICT,
                 securityCategoryConfig: $sec) {
               ok error entity { priority fallbackMethod allowedDomains deniedDomains groups { edges { node { id } } }
                 securityCategoryConfig { blockTyposquatting enableGoogleSafeBrowsing } privacyCategoryConfig { blockAffiliate } } } }",
            json!({"id": b, "g": [eng], "p": 0.5, "deny": ["bad.example"], "sec": {
                "blockCryptojacking": true, "blockDnsRebinding": false, "blockDomainGenerationAlgorithms": false,
                "blockIdnHomographs": false, "blockNewlyRegisteredDomains": false, "blockParkedDomains": false,
                "blockTyposquatting": true, "enableGoogleSafeBrowsing": false, "enableThreatIntelligenceFeeds": true}}),
        )
        .await;
    assert_eq!(
        p["entity"],
        json!({"priority": 0.5, "fallbackMethod": "STRICT", "allowedDomains": [], "deniedDomains": ["bad.example"],
               "groups": {"edges": [{"node": {"id": eng}}]},
               "securityCategoryConfig": {"blockTyposquatting": true, "enableGoogleSafeBrowsing": false},
               "privacyCategoryConfig": {"blockAffiliate": false}})
    );
    // The list is by priority; a profile reads back by ID.
    let d = e.data("{ dnsFilteringProfiles { id name priority } }", json!({})).await;
    let names: Vec<&str> =
        d["dnsFilteringProfiles"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Engineering", "Default"]);
    let get = "query($id: ID!) { dnsFilteringProfile(id: $id) { name deniedDomains } }";
    let d = e.data(get, json!({"id": b})).await;
    assert_eq!(d["dnsFilteringProfile"], json!({"name": "Engineering", "deniedDomains": ["bad.example"]}));

    // An unknown group is refused; delete, then gone.
    let d = e
        .data(
            "mutation($id: ID!) { dnsFilteringProfileUpdate(id: $id, groups: [\"R3JvdXA6OTk5OTk=\"]) { ok error } }",
            json!({"id": a}),
        )
        .await;
    assert_eq!(d["dnsFilteringProfileUpdate"]["ok"], false);
    e.ok(
        "dnsFilteringProfileDelete",
        "mutation($id: ID!) { dnsFilteringProfileDelete(id: $id) { ok error } }",
        json!({"id": b}),
    )
    .await;
    let d = e.data(get, json!({"id": b})).await;
    assert_eq!(d["dnsFilteringProfile"], Value::Null);
    // The Python CLI's legacy call, without an ID, is refused as the API reference says it is.
    let (status, _) = e.post(Some(&e.token()), "{ dnsFilteringProfile { id allowedDomains } }", json!({})).await;
    assert_eq!(status, 400);
}
