//! Shared helpers: start an emulator in-process on port 0 and talk to it over HTTP.
#![allow(dead_code)]

use serde_json::{Value, json};
use tgctl_emulator::{Config, Emulator, Seed};

pub struct Emu {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

/// Config for most tests: demo data, no rate limits.
pub fn unlimited() -> Config {
    Config { reads_per_minute: 0, writes_per_minute: 0, ..Config::default() }
}

pub fn empty_unlimited() -> Config {
    Config { seed: Seed::Empty, ..unlimited() }
}

impl Emu {
    pub async fn start(config: Config) -> Emu {
        let emu = tgctl_emulator::start(config).await.expect("start the emulator");
        Emu { emu, http: reqwest::Client::new() }
    }

    pub fn token(&self) -> String {
        self.emu.token().to_string()
    }

    /// POST a GraphQL request with `token`; returns (status, body as JSON or Null).
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self.http.post(self.emu.api_url()).json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.header("X-API-KEY", t);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A GraphQL request with the provision token that must succeed at the HTTP level.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(Some(&self.token()), query, variables).await;
        assert_eq!(status, 200, "unexpected HTTP status, body: {body}");
        body
    }

    /// Like `gql` but also requires no GraphQL errors; returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Run a mutation that must return ok:true; returns the payload.
    pub async fn ok(&self, field: &str, query: &str, variables: Value) -> Value {
        let data = self.data(query, variables).await;
        let payload = data[field].clone();
        assert_eq!(payload["ok"], json!(true), "{field} failed: {payload}");
        payload
    }

    pub async fn hook(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/_emulator/{path}", self.emu.base_url());
        let resp = self.http.request(method, url).json(&body).send().await.expect("hook");
        assert!(resp.status().is_success(), "hook {path} failed: {}", resp.status());
        resp.json().await.expect("hook JSON")
    }

    pub async fn stats(&self) -> Value {
        let url = format!("{}/_emulator/stats", self.emu.base_url());
        self.http.get(url).send().await.unwrap().json().await.unwrap()
    }

    pub async fn new_token(&self, level: &str) -> String {
        let v = self.hook(reqwest::Method::POST, "tokens", json!({"level": level})).await;
        v["token"].as_str().unwrap().to_string()
    }

    /// The id of the first remote network of the demo seed ("Production").
    pub async fn network_id(&self) -> String {
        let d = self.data("{ remoteNetwork(name: \"Production\") { id } }", json!({})).await;
        d["remoteNetwork"]["id"].as_str().unwrap().to_string()
    }

    pub async fn create_group(&self, name: &str) -> String {
        let p = self
            .ok(
                "groupCreate",
                "mutation($n: String!) { groupCreate(name: $n) { ok error entity { id } } }",
                json!({"n": name}),
            )
            .await;
        p["entity"]["id"].as_str().unwrap().to_string()
    }

    pub async fn create_service_account(&self, name: &str, resource_ids: Value) -> String {
        let p = self
            .ok(
                "serviceAccountCreate",
                "mutation($n: String!, $r: [ID!]) { serviceAccountCreate(name: $n, resourceIds: $r) { ok error entity { id } } }",
                json!({"n": name, "r": resource_ids}),
            )
            .await;
        p["entity"]["id"].as_str().unwrap().to_string()
    }

    pub async fn create_resource(&self, name: &str, address: &str) -> String {
        let network = self.network_id().await;
        let p = self
            .ok(
                "resourceCreate",
                "mutation($n: String!, $a: String!, $rn: ID!) { resourceCreate(name: $n, address: $a, remoteNetworkId: $rn) { ok error entity { id } } }",
                json!({"n": name, "a": address, "rn": network}),
            )
            .await;
        p["entity"]["id"].as_str().unwrap().to_string()
    }
}

pub fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
