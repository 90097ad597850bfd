//! Service keys: the credentials a headless client uses to act as a service account.
//!
//! Lifecycle (seed "Services"): a key is created ACTIVE with an expiry fixed at creation (1 to
//! 365 days, or none); it may be renamed only while active; it may be revoked, and a revoked key
//! never comes back; it must be revoked (or have expired) before it is deleted.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::paginate::Page;
use super::{Client, Ref, WireConn, WirePayload, from_api_enum};
use crate::error::{Error, Kind, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `ServiceKeyCreate` generates the fragment's struct (its payload also carries the token); the
// other operations answer with it (`response_type`).
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ServiceKeyCreate;

/// A key as the API answers it: the generated fragment.
pub(crate) type Fields = service_key_create::ServiceKeyFields;

/// A key read alone: the fragment and its service account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Node {
    #[serde(flatten)]
    fields: Fields,
    service_account: Option<Ref>,
}

/// A service account and a page of its keys.
#[derive(Debug, Deserialize)]
pub(crate) struct AccountKeys {
    id: String,
    name: String,
    keys: WireConn<Fields>,
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_type = "WireConn<AccountKeys>"
)]
pub(crate) struct ServiceKeyListAll;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_type = "AccountKeys"
)]
pub(crate) struct ServiceKeyListOfAccount;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_type = "Node"
)]
pub(crate) struct ServiceKeyGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_type = "WirePayload<Node>"
)]
pub(crate) struct ServiceKeyRename;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_type = "WirePayload<Node>"
)]
pub(crate) struct ServiceKeyRevoke;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/service_key/service_key.graphql",
    response_derives = "Debug"
)]
pub(crate) struct ServiceKeyDelete;

/// ACTIVE, REVOKED or EXPIRED (lower-case in our output and flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "lowercase", deserialize = "UPPERCASE"))]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        }
    }
}

/// A service key's metadata (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKey {
    pub id: String,
    pub name: String,
    pub status: KeyStatus,
    pub service_account: Option<Ref>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl TryFrom<Node> for ServiceKey {
    type Error = Error;

    fn try_from(n: Node) -> Result<Self> {
        ServiceKey::from_fields(n.fields, n.service_account)
    }
}

impl ServiceKey {
    /// The one mapping: the status into ours (an unknown value is a bad response).
    fn from_fields(f: Fields, service_account: Option<Ref>) -> Result<Self> {
        Ok(ServiceKey {
            id: f.id,
            name: f.name,
            status: from_api_enum(&f.status)?,
            service_account,
            expires_at: f.expires_at,
            revoked_at: f.revoked_at,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
    }

    /// An active key whose expiry time has passed by this machine's clock. The API's `status`
    /// is the truth (it decides whether the key works); this clock may be wrong, so it only
    /// adds a hint to messages.
    pub(crate) fn past_expiry(&self, now: Timestamp) -> bool {
        self.status == KeyStatus::Active && self.expires_at.is_some_and(|at| at <= now)
    }
}

/// One page of keys: of one service account, or of all (each account's keys fully paged).
pub async fn list_page(
    client: &Client,
    account: Option<&Ref>,
    after: Option<String>,
    first: i64,
) -> Result<Page<ServiceKey>> {
    if let Some(account) = account {
        let (keys, end_cursor, has_next_page) = keys_of(client, account, after, first).await?;
        return Ok(Page { nodes: keys, end_cursor, has_next_page });
    }
    // Across accounts: page over accounts (fewer per page, each carries up to 100 keys).
    let first = first.min(25);
    let data = client.post::<ServiceKeyListAll>(service_key_list_all::Variables { first, after }).await?;
    let conn = data.service_accounts;
    let end_cursor = conn.page_info.as_ref().and_then(|p| p.end_cursor.clone());
    let has_next_page = conn.page_info.as_ref().is_some_and(|p| p.has_next_page);
    let mut nodes = Vec::new();
    for node in conn.nodes() {
        let account = Ref { id: node.id, name: node.name };
        let mut more = node.keys.page_info.as_ref().is_some_and(|p| p.has_next_page);
        let mut cursor = node.keys.page_info.as_ref().and_then(|p| p.end_cursor.clone());
        for k in node.keys.nodes() {
            nodes.push(ServiceKey::from_fields(k, Some(account.clone()))?);
        }
        while more {
            let (keys, next, has_next) = keys_of(client, &account, cursor.clone(), 100).await?;
            nodes.extend(keys);
            more = has_next && next.is_some() && next != cursor;
            cursor = next;
        }
    }
    Ok(Page { nodes, end_cursor, has_next_page })
}

async fn keys_of(
    client: &Client,
    account: &Ref,
    after: Option<String>,
    first: i64,
) -> Result<(Vec<ServiceKey>, Option<String>, bool)> {
    use service_key_list_of_account as q;
    let data = client.post::<ServiceKeyListOfAccount>(q::Variables { id: account.id.clone(), first, after }).await?;
    let Some(node) = data.service_account else {
        return Err(Error::not_found(format!("no service account with ID {}", account.id)));
    };
    let owner = Ref { id: node.id, name: node.name };
    let end_cursor = node.keys.page_info.as_ref().and_then(|p| p.end_cursor.clone());
    let has_next_page = node.keys.page_info.as_ref().is_some_and(|p| p.has_next_page);
    let keys = node
        .keys
        .nodes()
        .into_iter()
        .map(|k| ServiceKey::from_fields(k, Some(owner.clone())))
        .collect::<Result<_>>()?;
    Ok((keys, end_cursor, has_next_page))
}

pub(crate) async fn get(client: &Client, id: &str) -> Result<ServiceKey> {
    let data = client.post::<ServiceKeyGet>(service_key_get::Variables { id: id.to_owned() }).await?;
    let node = data.service_account_key.ok_or_else(|| {
        Error::not_found(format!("no service key with ID {id}")).hint("list them with `tgctl service-key list`")
    })?;
    ServiceKey::try_from(node)
}

/// A freshly created key and its secret (the only time the API returns it).
pub struct CreatedKey {
    pub key: ServiceKey,
    pub token: secrecy::SecretString,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey").field("key", &self.key).field("token", &"[REDACTED]").finish()
    }
}

pub async fn create(
    client: &Client,
    account_id: &str,
    name: Option<String>,
    expiration_days: i64,
) -> Result<CreatedKey> {
    let vars = service_key_create::Variables {
        service_account_id: account_id.to_owned(),
        expiration_time: expiration_days,
        name,
    };
    let data = client.post::<ServiceKeyCreate>(vars).await?;
    let payload = data.service_account_key_create;
    let token = payload.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        Error::new(Kind::BadResponse, "the API created the key but returned no token")
            .hint("revoke that key (see `tgctl service-key list`) and create another")
    })?;
    let entity =
        payload.entity.ok_or_else(|| Error::new(Kind::BadResponse, "the API created a key but returned no key"))?;
    let account = Ref { id: entity.service_account.id, name: entity.service_account.name };
    let key = ServiceKey::from_fields(entity.service_key_fields, Some(account))?;
    Ok(CreatedKey { key, token: secrecy::SecretString::from(token) })
}

pub(crate) async fn rename(client: &Client, id: &str, name: &str) -> Result<ServiceKey> {
    let data = client
        .post::<ServiceKeyRename>(service_key_rename::Variables { id: id.to_owned(), name: name.to_owned() })
        .await?;
    let entity = data.service_account_key_update.entity.map(ServiceKey::try_from).transpose()?;
    super::echoed(client, "serviceAccountKeyUpdate", entity, async { get(client, id).await.map(Some) }).await
}

pub async fn revoke(client: &Client, id: &str) -> Result<ServiceKey> {
    let data = client.post::<ServiceKeyRevoke>(service_key_revoke::Variables { id: id.to_owned() }).await?;
    let entity = data.service_account_key_revoke.entity.map(ServiceKey::try_from).transpose()?;
    super::echoed(client, "serviceAccountKeyRevoke", entity, async { get(client, id).await.map(Some) }).await
}

pub async fn delete(client: &Client, id: &str) -> Result<()> {
    client.post::<ServiceKeyDelete>(service_key_delete::Variables { id: id.to_owned() }).await.map(|_| ())
}

// ---- the service key document -------------------------------------------------------------

/// The service key JSON a headless client reads (`twingate setup --headless`).
#[derive(Clone, Deserialize)]
pub(crate) struct KeyDocument {
    pub(crate) network: String,
    pub(crate) service_account_id: String,
    pub(crate) private_key: String,
    pub(crate) key_id: String,
    pub(crate) expires_at: Option<String>,
}

impl std::fmt::Debug for KeyDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDocument")
            .field("network", &self.network)
            .field("service_account_id", &self.service_account_id)
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .field("private_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl KeyDocument {
    /// The key's JSON text, from raw JSON or base64 of it (as CircleCI users store it).
    pub(crate) fn json_text(text: &str) -> Result<String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::usage("the service key is empty")
                .hint("pass the JSON the Admin Console (or `tgctl service-key create`) gave you"));
        }
        if trimmed.starts_with(['{', '[']) {
            return Ok(trimmed.to_owned());
        }
        use base64::Engine;
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
            .map_err(|_| Error::usage("the service key is neither JSON nor base64 of JSON"))?;
        String::from_utf8(bytes).map_err(|_| Error::usage("the service key's base64 does not decode to text"))
    }

    /// Parses raw JSON, or base64 of it (as CircleCI users store it). Errors never quote the
    /// input: it is a secret.
    pub(crate) fn parse(text: &str) -> Result<KeyDocument> {
        let json = Self::json_text(text)?;
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
            Error::usage(format!("the service key is not valid JSON (line {}, column {})", e.line(), e.column()))
        })?;
        let object = value.as_object().ok_or_else(|| Error::usage("the service key must be a JSON object"))?;
        for field in ["network", "service_account_id", "private_key", "key_id"] {
            match object.get(field) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
                Some(serde_json::Value::String(_)) => {
                    return Err(Error::usage(format!("the service key's field {field:?} is empty")));
                }
                Some(_) => return Err(Error::usage(format!("the service key's field {field:?} must be a string"))),
                None => {
                    return Err(Error::usage(format!("the service key has no {field:?} field")).hint(
                        "is this a service key? it should have network, service_account_id, private_key and key_id",
                    ));
                }
            }
        }
        // A private key pasted into another field: named, never quoted (issue 15, item 12).
        for field in ["network", "service_account_id", "key_id", "expires_at"] {
            if let Some(serde_json::Value::String(s)) = object.get(field)
                && crate::redact::looks_like_key_material(s)
            {
                return Err(Error::usage(format!(
                    "the service key's field {field:?} holds what looks like key material"
                ))
                .hint("the private key belongs in private_key only: use the key file exactly as it was created"));
            }
        }
        let doc: KeyDocument = serde_json::from_value(value).map_err(|e| {
            Error::usage(format!("the service key has a field of the wrong type: {}", strip_value(&e.to_string())))
        })?;
        if !doc.private_key.contains("PRIVATE KEY-----") {
            return Err(Error::usage("the service key's private_key is not a PEM private key"));
        }
        Ok(doc)
    }

    /// The expiry, if the key has one. A malformed date is an error.
    pub(crate) fn expiry(&self) -> Result<Option<Timestamp>> {
        match self.expires_at.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => text.parse::<Timestamp>().map(Some).map_err(|_| {
                Error::usage(format!("the service key's expires_at {} is not a date", crate::redact::quote(text)))
            }),
        }
    }

    /// Checks expiry and, when given, that the key belongs to `network`.
    pub(crate) fn validate(&self, now: Timestamp, network: Option<&str>) -> Result<()> {
        if let Some(at) = self.expiry()?
            && at <= now
        {
            let key = crate::redact::quote(&self.key_id);
            return Err(Error::new(Kind::CredentialRefused, format!("the service key {key} expired at {at}"))
                .hint("create a new key: `tgctl service-key create --service-account NAME --key-file key.json`"));
        }
        if let Some(expected) = network {
            let host = self.network.trim().to_ascii_lowercase();
            let slug = host.split('.').next().unwrap_or_default();
            if slug != expected.to_ascii_lowercase() && host != expected.to_ascii_lowercase() {
                return Err(Error::usage(format!(
                    "the service key is for network {}, not {expected:?}",
                    crate::redact::quote(&self.network)
                )));
            }
        }
        Ok(())
    }
}

/// serde errors may quote the offending value; a secret must never be quoted.
fn strip_value(message: &str) -> String {
    match message.find(": \"") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCANARYCANARYCANARY\n-----END PRIVATE KEY-----\n";

    fn key_json(expires: &str) -> String {
        serde_json::json!({
            "version": "1", "network": "acme.twingate.com",
            "service_account_id": "2dd91f07-a726-4ee5-9e08-710fc4da8344",
            "private_key": PEM, "key_id": "k-1", "expires_at": expires,
            "login_path": "/api/v4/headless/login"
        })
        .to_string()
    }

    #[test]
    fn maps_key_nodes_and_keeps_the_apis_status() {
        let node = serde_json::json!({
            "id": "U2VydmljZUFjY291bnRLZXk6MQ==", "name": "ci", "status": "ACTIVE",
            "expiresAt": "2020-01-01T00:00:00+00:00", "revokedAt": null,
            "createdAt": "2019-01-01T00:00:00+00:00", "updatedAt": "2019-01-01T00:00:00+00:00",
            "serviceAccount": {"id": "U2VydmljZUFjY291bnQ6eA==", "name": "deployer"}
        });
        let typed: Node = serde_json::from_value(node).unwrap();
        let key = ServiceKey::try_from(typed).unwrap();
        // The API says ACTIVE: that is the status, whatever this machine's clock says.
        assert_eq!(key.status, KeyStatus::Active);
        assert!(key.past_expiry(Timestamp::now()));
        assert_eq!(key.service_account.unwrap().name, "deployer");
        let json = serde_json::to_value(KeyStatus::Revoked).unwrap();
        assert_eq!(json, "revoked");
    }

    #[test]
    fn parses_raw_and_base64_keys() {
        use base64::Engine;
        let raw = key_json("2999-01-01T00:00:00+00:00");
        let doc = KeyDocument::parse(&raw).unwrap();
        assert_eq!(doc.key_id, "k-1");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(KeyDocument::parse(&b64).unwrap().key_id, "k-1");
        doc.validate(Timestamp::now(), Some("acme")).unwrap();
        assert!(doc.validate(Timestamp::now(), Some("other")).is_err());
    }

    #[test]
    fn bad_keys_get_precise_errors_that_never_quote_the_secret() {
        let cases = [
            ("", "empty"),
            ("{not json", "not valid JSON"),
            ("[]", "JSON object"),
            ("!!!", "neither JSON nor base64"),
            (r#"{"network":"a","service_account_id":"b","key_id":"c"}"#, "no \"private_key\""),
            (r#"{"network":"a","service_account_id":"b","key_id":"c","private_key":"CANARY"}"#, "not a PEM"),
            (r#"{"network":"","service_account_id":"b","key_id":"c","private_key":"x"}"#, "\"network\" is empty"),
        ];
        for (input, expected) in cases {
            let err = KeyDocument::parse(input).unwrap_err();
            assert!(err.message.contains(expected), "{input:?}: {}", err.message);
            assert!(!err.message.contains("CANARY"));
        }
        let expired = KeyDocument::parse(&key_json("2001-01-01T00:00:00+00:00")).unwrap();
        let err = expired.validate(Timestamp::now(), None).unwrap_err();
        assert!(err.message.contains("expired"), "{}", err.message);
        let never = KeyDocument::parse(&key_json("")).unwrap();
        assert_eq!(never.expiry().unwrap(), None);
        let debug = format!("{never:?}");
        assert!(!debug.contains("CANARY") && !debug.contains("BEGIN"));
    }
}
