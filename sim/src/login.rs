//! Emulator mode: the daemon logs in at `<TWINGATE_SIM_API_URL><login_path>` the way a headless
//! client does, `POST {"service_account_id", "key_id", "timestamp", "signature"}` where the
//! signature is base64 of the DER ECDSA P-256/SHA-256 signature over `"<key_id>:<timestamp>"`,
//! and is `online` only while that answers 200, checking every second. The resources of the
//! 200 answer are what `resources` lists. Plain HTTP only (the emulator is local).

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;

use super::{RESOURCES_FILE, Sim, write_file};

const RECHECK: Duration = Duration::from_secs(1);

/// Login state of one daemon run.
pub struct Login {
    url: String,
    service_account_id: String,
    key_id: String,
    login_path: String,
    private_key: String,
    checked: Option<Instant>,
    state: String,
    last_note: String,
}

impl Login {
    pub fn new(url: &str, key: &serde_json::Value) -> Self {
        let s = |f: &str| key[f].as_str().unwrap_or_default().to_owned();
        let login_path =
            Some(s("login_path")).filter(|p| !p.is_empty()).unwrap_or_else(|| "/api/v4/headless/login".to_owned());
        Self {
            url: url.trim_end_matches('/').to_owned(),
            service_account_id: s("service_account_id"),
            key_id: s("key_id"),
            login_path,
            private_key: s("private_key"),
            checked: None,
            state: "authenticating".to_owned(),
            last_note: String::new(),
        }
    }

    /// The status word; logs in again when the last check is a second old.
    pub fn state(&mut self, sim: &Sim) -> String {
        if self.checked.is_some_and(|t| t.elapsed() < RECHECK) {
            return self.state.clone();
        }
        self.checked = Some(Instant::now());
        let (state, note) = match self.login() {
            Ok((200, body)) => {
                let rows = resources_tsv(&body);
                let n = rows.lines().count();
                let _ = write_file(&sim.path(RESOURCES_FILE), rows.as_bytes(), 0o644);
                ("online".to_owned(), format!("headless login accepted ({n} resources)"))
            }
            Ok((code, body)) => {
                let why = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                // A refused key (revoked, expired, deleted: 401) is logged as an authentication
                // failure, the line tgctl recognises while it waits (issue 14 §7).
                let what = if matches!(code, 401 | 403) { "authentication failed: " } else { "" };
                ("authenticating".to_owned(), format!("{what}headless login refused: HTTP {code} {why}"))
            }
            Err(e) => ("authenticating".to_owned(), format!("headless login failed: {e}")),
        };
        if note != self.last_note {
            sim.log(if state == "online" { "INFO" } else { "WARN" }, &note);
            self.last_note = note;
        }
        self.state = state;
        self.state.clone()
    }

    fn login(&self) -> Result<(u16, String), String> {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let key = SigningKey::from_pkcs8_pem(&self.private_key)
            .map_err(|_| "the private key is not a P-256 PKCS#8 PEM".to_owned())?;
        let sig: Signature = key.sign(format!("{}:{timestamp}", self.key_id).as_bytes());
        let body = serde_json::json!({
            "service_account_id": self.service_account_id,
            "key_id": self.key_id,
            "timestamp": timestamp,
            "signature": base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes()),
        })
        .to_string();
        post(&format!("{}{}", self.url, self.login_path), &body)
    }
}

/// A minimal HTTP/1.1 POST (plain http, `Connection: close`).
fn post(url: &str, body: &str) -> Result<(u16, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// is supported"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let addr = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    let mut stream = std::net::TcpStream::connect(&addr).map_err(|e| format!("{addr}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(3)));
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, payload) = text.split_once("\r\n\r\n").ok_or("a malformed HTTP answer")?;
    let code: u16 = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or("a malformed status line")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked { dechunk(payload) } else { payload.to_owned() };
    Ok((code, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `resources` rows (name, address, alias, auth) from the login answer.
fn resources_tsv(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let mut out = String::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        let s = |f: &str| r[f].as_str().unwrap_or_default().replace(['\t', '\n'], " ");
        out.push_str(&format!("{}\t{}\t{}\t-\n", s("name"), s("address"), s("alias")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_and_resources_decode() {
        assert_eq!(dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world");
        let rows = resources_tsv(r#"{"ok":true,"resources":[{"name":"db","address":"10.0.0.1","alias":null}]}"#);
        assert_eq!(rows, "db\t10.0.0.1\t\t-\n");
    }
}
