//! Firezone's REST API (`https://api.firezone.dev`, `Authorization: Bearer`), through the same
//! transport as the Twingate Admin API ([`Client::rest`]): pacing, retries, error mapping.
//!
//! Routes (reference notes §4.5): `GET/POST /actors`, `GET/PUT/DELETE /actors/{id}`,
//! `GET/POST/DELETE /actors/{id}/client_tokens`, `GET/DELETE /actors/{id}/client_tokens/{id}`,
//! `GET /groups`, `PATCH /groups/{id}/memberships`, `GET /clients?firezone_id=`,
//! `DELETE /clients/{id}`.
//!
//! Shapes: where the reference gives none, the Firezone REST convention is assumed and written
//! down in docs/firezone.md: `{"data": {...}}` for one object, `{"data": [...], "metadata":
//! {"limit", "count", "next_page", "prev_page"}}` for lists, paged with `?page_cursor=&limit=`.
//! Fields arrive in snake_case and leave tgctl in camelCase, like every other output.

use jiff::Timestamp;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::paginate::{Page, collect};
use super::{Client, Ref};
use crate::error::{Error, Kind, Result};

/// The actor type of service accounts.
pub(crate) const SERVICE_ACCOUNT: &str = "service_account";

/// An actor (tgctl shows only service accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub(crate) struct Actor {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) disabled_at: Option<Timestamp>,
    #[serde(default)]
    pub(crate) last_seen_at: Option<Timestamp>,
    #[serde(default, alias = "inserted_at")]
    pub(crate) created_at: Option<Timestamp>,
    #[serde(default)]
    pub(crate) updated_at: Option<Timestamp>,
    /// Its client tokens (metadata only), filled by `get`.
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub(crate) tokens: Option<Vec<ClientToken>>,
}

/// A client token's metadata (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub(crate) struct ClientToken {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) actor_id: String,
    #[serde(default)]
    pub(crate) expires_at: Option<Timestamp>,
    #[serde(default, alias = "inserted_at")]
    pub(crate) created_at: Option<Timestamp>,
    /// The service account, for listings across accounts.
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub(crate) service_account: Option<Ref>,
}

impl ClientToken {
    /// `active` or `expired` (a revoked token no longer exists).
    pub(crate) fn status(&self, now: Timestamp) -> &'static str {
        match self.expires_at {
            Some(at) if at <= now => "expired",
            _ => "active",
        }
    }
}

/// A client (device) registered in the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub(crate) struct FzClient {
    pub(crate) id: String,
    /// The `FIREZONE_ID` the client presented (`external_id` in the API).
    #[serde(default, rename(deserialize = "external_id"))]
    pub(crate) firezone_id: Option<String>,
    #[serde(default)]
    pub(crate) actor_id: Option<String>,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) online: Option<bool>,
    #[serde(default)]
    pub(crate) ipv4: Option<String>,
    #[serde(default)]
    pub(crate) ipv6: Option<String>,
    #[serde(default)]
    pub(crate) last_seen_version: Option<String>,
    #[serde(default)]
    pub(crate) last_seen_at: Option<Timestamp>,
    #[serde(default, alias = "inserted_at")]
    pub(crate) created_at: Option<Timestamp>,
}

/// A group (access is granted to groups through policies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A token just created: its metadata and the secret, shown once.
pub(crate) struct CreatedToken {
    pub(crate) token: ClientToken,
    pub(crate) secret: secrecy::SecretString,
}

/// Firezone IDs are UUIDs.
pub(crate) fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn shape<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|e| {
        Error::new(Kind::BadResponse, format!("the Firezone API's answer to {what} has an unexpected shape: {e}"))
            .hint("the API may have changed; see docs/firezone.md for the shapes tgctl expects")
    })
}

/// `data` of a single-object answer.
async fn one<T: DeserializeOwned>(client: &Client, method: Method, path: &str, body: Option<&Value>) -> Result<T> {
    let what = format!("{method} {path}");
    let mut answer = client.rest(method, path, &[], body).await?;
    shape(answer.get_mut("data").map(Value::take).unwrap_or(Value::Null), &what)
}

/// One page of a list: `data` and `metadata.next_page`.
pub(crate) async fn page<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    filters: &[(&str, &str)],
    cursor: Option<String>,
    limit: i64,
) -> Result<Page<T>> {
    let limit = limit.to_string();
    let mut query: Vec<(&str, &str)> = filters.to_vec();
    query.push(("limit", &limit));
    if let Some(c) = &cursor {
        query.push(("page_cursor", c));
    }
    let answer = client.rest(Method::GET, path, &query, None).await?;
    let nodes = shape(answer.get("data").cloned().unwrap_or(Value::Null), &format!("GET {path}"))?;
    let next = answer.pointer("/metadata/next_page").and_then(Value::as_str).filter(|s| !s.is_empty());
    Ok(Page { nodes, end_cursor: next.map(str::to_owned), has_next_page: next.is_some() })
}

// ---- service accounts ----------------------------------------------------------------------

/// A page of service accounts (`GET /actors?type=service_account`; other actor types that an
/// API ignoring the filter returns are dropped here).
pub(crate) async fn service_account_page(client: &Client, cursor: Option<String>, limit: i64) -> Result<Page<Actor>> {
    let p: Page<Actor> = page(client, "/actors", &[("type", SERVICE_ACCOUNT)], cursor, limit).await?;
    Ok(Page { nodes: p.nodes.into_iter().filter(|a| a.kind == SERVICE_ACCOUNT).collect(), ..p })
}

pub(crate) async fn get_actor(client: &Client, id: &str) -> Result<Actor> {
    one(client, Method::GET, &format!("/actors/{id}"), None).await.map_err(|e| {
        if e.kind == Kind::NotFound { Error::not_found(format!("no service account with ID {id}")) } else { e }
    })
}

/// A service account by ID or exact name.
pub(crate) async fn resolve_service_account(client: &Client, arg: &str) -> Result<Actor> {
    if is_uuid(arg) {
        let actor = get_actor(client, arg).await?;
        if actor.kind != SERVICE_ACCOUNT {
            return Err(Error::usage(format!("{arg} is a {} actor, not a service account", actor.kind)));
        }
        return Ok(actor);
    }
    let all = collect(None, |cursor, limit| service_account_page(client, cursor, limit)).await?;
    let mut matches: Vec<Actor> = all.into_iter().filter(|a| a.name == arg).collect();
    match matches.len() {
        0 => Err(Error::not_found(format!("no service account named {arg:?}"))
            .hint("list them with `tgctl --provider firezone service-account list`")),
        1 => Ok(matches.remove(0)),
        n => Err(Error::new(Kind::Ambiguous, format!("{n} service accounts are named {arg:?}; pass an ID instead"))
            .hint(format!("IDs: {}", matches.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ")))),
    }
}

pub(crate) async fn create_service_account(client: &Client, name: &str) -> Result<Actor> {
    let body = json!({"actor": {"type": SERVICE_ACCOUNT, "name": name}});
    one(client, Method::POST, "/actors", Some(&body)).await
}

pub(crate) async fn rename_actor(client: &Client, id: &str, name: &str) -> Result<Actor> {
    let body = json!({"actor": {"name": name}});
    one(client, Method::PUT, &format!("/actors/{id}"), Some(&body)).await
}

pub(crate) async fn delete_actor(client: &Client, id: &str) -> Result<()> {
    client.rest(Method::DELETE, &format!("/actors/{id}"), &[], None).await.map(|_| ())
}

// ---- groups --------------------------------------------------------------------------------

/// A group by ID or exact name.
pub(crate) async fn resolve_group(client: &Client, arg: &str) -> Result<Group> {
    if is_uuid(arg) {
        return one(client, Method::GET, &format!("/groups/{arg}"), None).await.map_err(|e| {
            if e.kind == Kind::NotFound { Error::not_found(format!("no group with ID {arg}")) } else { e }
        });
    }
    let all: Vec<Group> = collect(None, |cursor, limit| page(client, "/groups", &[], cursor, limit)).await?;
    let mut matches: Vec<Group> = all.into_iter().filter(|g| g.name == arg).collect();
    match matches.len() {
        0 => Err(Error::not_found(format!("no group named {arg:?}"))),
        1 => Ok(matches.remove(0)),
        n => Err(Error::new(Kind::Ambiguous, format!("{n} groups are named {arg:?}; pass an ID instead"))),
    }
}

/// Adds the actor to, or removes it from, a group (`PATCH /groups/{id}/memberships`).
pub(crate) async fn set_membership(client: &Client, group_id: &str, actor_id: &str, member: bool) -> Result<()> {
    let change = if member { "add" } else { "remove" };
    let body = json!({"memberships": {change: [actor_id]}});
    client.rest(Method::PATCH, &format!("/groups/{group_id}/memberships"), &[], Some(&body)).await.map(|_| ())
}

// ---- client tokens -------------------------------------------------------------------------

pub(crate) async fn token_page(
    client: &Client,
    actor_id: &str,
    cursor: Option<String>,
    limit: i64,
) -> Result<Page<ClientToken>> {
    page(client, &format!("/actors/{actor_id}/client_tokens"), &[], cursor, limit).await
}

pub(crate) async fn get_token(client: &Client, actor_id: &str, id: &str) -> Result<ClientToken> {
    one(client, Method::GET, &format!("/actors/{actor_id}/client_tokens/{id}"), None).await.map_err(|e| {
        if e.kind == Kind::NotFound {
            Error::not_found(format!("no client token {id} on service account {actor_id}"))
        } else {
            e
        }
    })
}

/// Creates a token; the answer carries the secret once, in `data.token`.
pub(crate) async fn create_token(client: &Client, actor_id: &str, expires_at: Timestamp) -> Result<CreatedToken> {
    let body = json!({"client_token": {"expires_at": expires_at.to_string()}});
    let path = format!("/actors/{actor_id}/client_tokens");
    let mut answer = client.rest(Method::POST, &path, &[], Some(&body)).await?;
    let mut data = answer.get_mut("data").map(Value::take).unwrap_or(Value::Null);
    let secret = data.get_mut("token").map(Value::take).and_then(|v| v.as_str().map(str::to_owned));
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Err(Error::new(Kind::BadResponse, format!("the answer to POST {path} carries no token"))
            .hint("a token may have been created anyway: check with `tgctl --provider firezone service-key list`"));
    };
    let mut token: ClientToken = shape(data, &format!("POST {path}"))?;
    if token.actor_id.is_empty() {
        actor_id.clone_into(&mut token.actor_id);
    }
    Ok(CreatedToken { token, secret: secrecy::SecretString::from(secret) })
}

pub(crate) async fn delete_token(client: &Client, actor_id: &str, id: &str) -> Result<()> {
    client.rest(Method::DELETE, &format!("/actors/{actor_id}/client_tokens/{id}"), &[], None).await.map(|_| ())
}

/// Deletes every token of the actor; returns how many went (when the API says).
pub(crate) async fn delete_all_tokens(client: &Client, actor_id: &str) -> Result<Option<u64>> {
    let answer = client.rest(Method::DELETE, &format!("/actors/{actor_id}/client_tokens"), &[], None).await?;
    Ok(answer.pointer("/data/deleted_count").and_then(Value::as_u64))
}

// ---- clients -------------------------------------------------------------------------------

/// A page of clients, optionally only those with a `FIREZONE_ID` (checked here as well, so a
/// server that ignored the filter can't make tgctl act on other clients).
pub(crate) async fn client_page(
    client: &Client,
    firezone_id: Option<&str>,
    cursor: Option<String>,
    limit: i64,
) -> Result<Page<FzClient>> {
    let filters: Vec<(&str, &str)> = firezone_id.map(|id| ("firezone_id", id)).into_iter().collect();
    let p: Page<FzClient> = page(client, "/clients", &filters, cursor, limit).await?;
    Ok(Page {
        nodes: p
            .nodes
            .into_iter()
            .filter(|c| firezone_id.is_none_or(|id| c.firezone_id.as_deref() == Some(id)))
            .collect(),
        ..p
    })
}

pub(crate) async fn get_client(client: &Client, id: &str) -> Result<FzClient> {
    one(client, Method::GET, &format!("/clients/{id}"), None)
        .await
        .map_err(|e| if e.kind == Kind::NotFound { Error::not_found(format!("no client with ID {id}")) } else { e })
}

pub(crate) async fn delete_client(client: &Client, id: &str) -> Result<()> {
    client.rest(Method::DELETE, &format!("/clients/{id}"), &[], None).await.map(|_| ())
}

/// Deletes every client record with this `FIREZONE_ID`; returns their IDs.
pub(crate) async fn delete_clients_by_firezone_id(client: &Client, firezone_id: &str) -> Result<Vec<String>> {
    let found = collect(None, |cursor, limit| client_page(client, Some(firezone_id), cursor, limit)).await?;
    let mut deleted = Vec::new();
    for c in found {
        match delete_client(client, &c.id).await {
            Ok(()) => deleted.push(c.id),
            Err(e) if e.kind == Kind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_recognised() {
        assert!(is_uuid("2dd91f07-a726-4ee5-9e08-710fc4da8344"));
        assert!(!is_uuid("ci-deployer"));
        assert!(!is_uuid("2dd91f07-a726-4ee5-9e08-710fc4da834"));
    }

    #[test]
    fn wire_shapes_map_to_camel_case() {
        let a: Actor = serde_json::from_value(json!({
            "id": "a", "name": "ci", "type": "service_account", "inserted_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": null, "email": null
        }))
        .unwrap();
        let out = serde_json::to_value(&a).unwrap();
        assert_eq!(out["type"], "service_account");
        assert!(out["createdAt"].is_string());
        let c: FzClient =
            serde_json::from_value(json!({"id": "c", "external_id": "job-1", "name": "n", "online": true})).unwrap();
        assert_eq!(c.firezone_id.as_deref(), Some("job-1"));
        assert_eq!(serde_json::to_value(&c).unwrap()["firezoneId"], "job-1");
    }
}
