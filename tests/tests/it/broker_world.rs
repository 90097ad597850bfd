//! The broker's test world: a local OIDC issuer on loopback (its own keys, discovery and JWKS,
//! served by wiremock), the real `tgctl-broker` binary, and the real emulator.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::bin;

pub const AUDIENCE: &str = "tgctl-broker";

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/oidc").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture(&format!("{name}.pem"))).unwrap()
}

pub fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("issuer-ec.pem")).unwrap()
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A JWK of one of the fixture keys, with its kid.
pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

/// An OIDC issuer on loopback: discovery and JWKS, keys swappable (rotation).
pub struct Issuer {
    pub server: MockServer,
}

impl Issuer {
    pub async fn start(keys: Vec<Jwk>) -> Self {
        let server = MockServer::start().await;
        let issuer = Self { server };
        issuer.publish(keys).await;
        issuer
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Serves discovery and this key set from now on.
    pub async fn publish(&self, keys: Vec<Jwk>) {
        self.server.reset().await;
        let discovery = json!({
            "issuer": self.url(),
            "jwks_uri": format!("{}/.well-known/jwks", self.url()),
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        });
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(discovery))
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/.well-known/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(JwkSet { keys }))
            .mount(&self.server)
            .await;
    }

    /// GitHub-shaped claims (docs.github.com, "About security hardening with OpenID Connect").
    pub fn claims(&self, repo: &str, git_ref: &str) -> Value {
        let t = now();
        json!({
            "iss": self.url(), "aud": AUDIENCE, "sub": format!("repo:{repo}:ref:{git_ref}"),
            "repository": repo, "ref": git_ref, "run_id": "4242", "run_attempt": "1",
            "jti": uuid_like(), "iat": t, "nbf": t, "exp": t + 300,
        })
    }

    pub fn sign(claims: &Value, key: &EncodingKey, alg: Algorithm, kid: &str) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    /// A token from this issuer's key A for a repository and ref.
    pub fn token(&self, repo: &str, git_ref: &str) -> String {
        Self::sign(&self.claims(repo, git_ref), &rsa_key("issuer-a"), Algorithm::RS256, "key-a")
    }

    pub async fn jwks_fetches(&self) -> usize {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().filter(|r| r.url.path() == "/.well-known/jwks").count()
    }
}

pub fn uuid_like() -> String {
    format!("{:016x}{:016x}", fastrand_u64(), fastrand_u64())
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

/// A running `tgctl-broker serve`; killed on drop.
pub struct BrokerProc {
    pub child: Child,
    pub url: String,
    pub dir: PathBuf,
}

impl BrokerProc {
    /// Starts the broker with this config (`listen` and `audit_file` are added) in `dir`.
    pub fn start(dir: &std::path::Path, config: &str, env: &[(&str, &str)]) -> Self {
        let file = dir.join("broker.toml");
        let full =
            format!("listen = \"127.0.0.1:0\"\naudit_file = \"{}\"\n{config}", dir.join("audit.jsonl").display());
        std::fs::write(&file, full).unwrap();
        let mut cmd = Command::new(bin("tgctl-broker"));
        cmd.args(["serve", "--config"]).arg(&file).env_clear().stdout(Stdio::piped()).stderr(Stdio::from(
            std::fs::OpenOptions::new().create(true).append(true).open(dir.join("broker.log")).unwrap(),
        ));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start tgctl-broker");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(u) = line.strip_prefix("TGCTL_BROKER_URL=") {
                        break u.to_owned();
                    }
                }
                _ => panic!(
                    "the broker did not start: {}",
                    std::fs::read_to_string(dir.join("broker.log")).unwrap_or_default()
                ),
            }
        };
        Self { child, url, dir: dir.to_owned() }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default()
    }

    pub fn audit_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub async fn post_key(&self, token: Option<&str>) -> (u16, Value) {
        let mut req = reqwest::Client::new().post(format!("{}/v1/keys", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete_key(&self, token: &str, lease: &str) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .delete(format!("{}/v1/keys/{lease}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, p: &str) -> (u16, String) {
        let resp = reqwest::get(format!("{}{p}", self.url)).await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Returns after `passes` more full passes of the reaper and pool refill, counted by
    /// `/metrics`: a check that something did not happen waits for the work that would have
    /// done it, not for a length of time.
    pub async fn housekeeping_passes(&self, passes: u64) {
        let runs = async || {
            let metrics = self.get("/metrics").await.1;
            metrics
                .lines()
                .find_map(|l| l.strip_prefix("tgctl_broker_housekeeping_runs_total "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        // The pass under way when this is called may have started before the caller's event.
        let target = runs().await + passes + 1;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while runs().await < target {
            assert!(std::time::Instant::now() < deadline, "the broker's housekeeping did not run");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BrokerProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The config of one issuer and, if given, one rule for `acme/app` on main.
pub fn config(issuer: &Issuer, api: Option<(&str, &str)>, rule: Option<&str>) -> String {
    let mut c = String::new();
    if let Some((url, _)) = api {
        c.push_str(&format!("[api]\nurl = \"{url}\"\n\n"));
    }
    c.push_str(&format!(
        "[lease]\nreap_every = \"1s\"\n\n[[issuer]]\nname = \"github\"\nurl = \"{}\"\naudiences = [\"{AUDIENCE}\"]\njwks_refetch_min = \"0s\"\n\n",
        issuer.url()
    ));
    if let Some(sa) = rule {
        c.push_str(&format!(
            "[[rule]]\nname = \"app-main\"\nissuer = \"github\"\nservice_account = \"{sa}\"\nmax_lifetime = \"1h\"\nmax_concurrent = 60\n\n[rule.claims]\nrepository = \"acme/app\"\nref = [\"refs/heads/main\", \"refs/tags/v*\"]\n\n"
        ));
    }
    c
}
