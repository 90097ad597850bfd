//! Service keys: P-256 key generation, the headless login signature, and its verification.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde::Deserialize;

use crate::ids;
use crate::model::{Db, PrincipalRef, ServiceAccountKeyStatus};

pub const LOGIN_PATH: &str = "/api/v4/headless/login";
/// How far a login timestamp may be from the emulator's clock.
pub(crate) const LOGIN_SKEW_SECS: i64 = 300;

/// A fresh key pair: (PKCS#8 PEM private key, SPKI PEM public key).
pub(crate) fn generate_key() -> Result<(String, String), String> {
    let secret = SigningKey::random(&mut rand_core::OsRng);
    let private = secret.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?;
    let public = secret.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
    Ok((private.to_string(), public))
}

/// Why `sign_login` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignLoginError(pub String);

impl std::fmt::Display for SignLoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "can't sign the login: {}", self.0)
    }
}

impl std::error::Error for SignLoginError {}

/// The message a headless login signs.
pub(crate) fn login_message(key_id: &str, timestamp: i64) -> String {
    format!("{key_id}:{timestamp}")
}

/// Sign a headless login: base64 (standard, padded) of the DER ECDSA P-256/SHA-256 signature
/// over the bytes of `"<key_id>:<timestamp>"`, with the service key's PKCS#8 PEM private key.
pub fn sign_login(private_key_pem: &str, key_id: &str, timestamp: i64) -> Result<String, SignLoginError> {
    let key = SigningKey::from_pkcs8_pem(private_key_pem)
        .map_err(|e| SignLoginError(format!("the private key is not a P-256 PKCS#8 PEM: {e}")))?;
    let sig: Signature = key.sign(login_message(key_id, timestamp).as_bytes());
    Ok(STANDARD.encode(sig.to_der().as_bytes()))
}

#[derive(Deserialize, Debug)]
pub(crate) struct LoginRequest {
    pub(crate) service_account_id: String,
    pub(crate) key_id: String,
    pub(crate) timestamp: i64,
    pub(crate) signature: String,
}

/// Accept a raw UUID or a relay ID of the given type.
fn raw_id(value: &str, type_name: &str) -> String {
    match ids::decode(value) {
        Some((ty, pk)) if ty == type_name => pk,
        _ => value.to_string(),
    }
}

/// Check a login against the data: `Ok(service account pk)` or the reason it fails.
pub(crate) fn check_login(db: &Db, req: &LoginRequest) -> Result<u64, &'static str> {
    let key_pk = db.key_by_uuid(&raw_id(&req.key_id, "ServiceAccountKey")).ok_or("unknown key")?;
    let key = &db.service_account_keys[&key_pk];
    let sa = db.service_accounts.get(&key.service_account).ok_or("unknown key")?;
    if sa.uuid.to_string() != raw_id(&req.service_account_id, "ServiceAccount") {
        return Err("unknown key");
    }
    let verifying = VerifyingKey::from_public_key_pem(&key.public_key_pem).map_err(|_| "unknown key")?;
    let sig = STANDARD
        .decode(req.signature.trim())
        .ok()
        .and_then(|der| Signature::from_der(&der).ok())
        .ok_or("bad signature")?;
    verifying.verify(login_message(&req.key_id, req.timestamp).as_bytes(), &sig).map_err(|_| "bad signature")?;
    if (db.now().as_second() - req.timestamp).abs() > LOGIN_SKEW_SECS {
        return Err("stale timestamp");
    }
    match db.key_status(key) {
        ServiceAccountKeyStatus::Active => Ok(key.service_account),
        ServiceAccountKeyStatus::Revoked => Err("key revoked"),
        ServiceAccountKeyStatus::Expired => Err("key expired"),
    }
}

/// The active resources a service account may reach: (name, address, alias).
pub(crate) fn reachable(db: &Db, sa: u64) -> Vec<(String, String, Option<String>)> {
    db.resources_of(PrincipalRef::ServiceAccount(sa))
        .into_iter()
        .filter_map(|pk| db.resources.get(&pk))
        .filter(|r| r.is_active)
        .map(|r| (r.name.clone(), r.address.clone(), r.alias.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let (private, public) = generate_key().unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        let sig = sign_login(&private, "k", 12).unwrap();
        let der = STANDARD.decode(sig).unwrap();
        let vk = VerifyingKey::from_public_key_pem(&public).unwrap();
        vk.verify(b"k:12", &Signature::from_der(&der).unwrap()).unwrap();
        assert!(vk.verify(b"k:13", &Signature::from_der(&der).unwrap()).is_err());
        assert!(sign_login("nope", "k", 1).is_err());
    }
}
