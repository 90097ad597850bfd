//! The Admin API: transport, pacing, pagination, IDs, and typed operations per noun.
//!
//! Each noun module declares its operations (`#[derive(GraphQLQuery)]` over the noun's one
//! document, `cli/graphql/<noun>/<noun>.graphql`, checked against `cli/graphql/schema.graphql` at
//! compile time), the domain types commands and JSON output use, and the one mapping from the
//! noun's fragment to its domain type. One operation generates the fragment's struct (`Fields`);
//! the others answer with it through `response_type` (`WireConn<Fields>`, `WirePayload<Fields>`,
//! or a small struct that flattens it next to a nested page), so every operation of a noun shares
//! one type and a field added to the fragment is one edit plus its line in the mapping.

mod answer;
mod document;
pub(crate) mod ids;
pub(crate) mod log;
pub(crate) mod pacer;
pub mod paginate;
pub mod transport;

pub(crate) mod auth;
pub(crate) mod connectors;
pub(crate) mod devices;
pub(crate) mod firezone;
pub(crate) mod groups;
pub(crate) mod introspection;
pub(crate) mod remote_networks;
pub(crate) mod resources;
pub(crate) mod security_policies;
pub(crate) mod service_accounts;
pub mod service_keys;
pub(crate) mod users;

pub use pacer::{Limits, Pacer};
pub(crate) use paginate::{Page, collect, paginate};
pub(crate) use transport::Dialect;
pub use transport::{Client, ClientOptions, RetryPolicy};

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Kind, Result};

/// A reference to another object: its ID and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Ref {
    pub id: String,
    pub name: String,
}

/// A name filter, mapped onto the API's `StringFilterOperatorInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameFilter {
    pub(crate) eq: Option<String>,
    pub(crate) contains: Option<String>,
    pub(crate) regexp: Option<String>,
    pub(crate) starts_with: Option<String>,
    pub(crate) ends_with: Option<String>,
}

impl NameFilter {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub(crate) fn exact(name: &str) -> Self {
        Self { eq: Some(name.to_owned()), ..Self::default() }
    }
}

impl NameFilter {
    /// This filter as any generated module's `StringFilterOperatorInput` (every operation's module
    /// has its own copy of the input type; they share the API's JSON shape, which this builds).
    pub(crate) fn input<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        if self.is_empty() { Ok(None) } else { self.to_input().map(Some) }
    }

    /// Like [`NameFilter::input`], also when empty.
    pub(crate) fn to_input<T: DeserializeOwned>(&self) -> Result<T> {
        let mut m = serde_json::Map::new();
        for (key, value) in [
            ("eq", &self.eq),
            ("contains", &self.contains),
            ("regexp", &self.regexp),
            ("startsWith", &self.starts_with),
            ("endsWith", &self.ends_with),
        ] {
            if let Some(v) = value {
                m.insert(key.to_owned(), Value::String(v.clone()));
            }
        }
        serde_json::from_value(Value::Object(m))
            .map_err(|e| Error::internal(format!("a name filter does not fit the schema: {e}")))
    }
}

/// Something with an ID and a name (for lookups by name).
pub(crate) trait Named {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl Named for Ref {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Ref {
    pub(crate) fn of<T: Named>(value: &T) -> Ref {
        Ref { id: value.id().to_owned(), name: value.name().to_owned() }
    }
}

/// Finds one object named on the command line by ID or exact name.
///
/// An ID of type `ty` is looked up with `by_id` (null: not found); an ID of another type is a
/// usage error; anything else is a name, looked up with `by_name` (which should ask the API for
/// an exact match) and compared exactly here. Both futures are lazy: only one is awaited.
pub(crate) async fn find<T: Named>(
    noun: &str,
    ty: &str,
    text: &str,
    by_id: impl Future<Output = Result<Option<T>>>,
    by_name: impl Future<Output = Result<Vec<T>>>,
) -> Result<T> {
    if ids::is_id_of(text, ty) {
        return by_id.await?.ok_or_else(|| {
            Error::not_found(format!("no {noun} with ID {text}"))
                .hint(format!("list them with `{}`", list_command(noun)))
        });
    }
    if let Some(other) = ids::type_of(text) {
        return Err(Error::usage(format!("{text} is a {other} ID, not a {noun} ID"))
            .hint(format!("pass a {noun} name or ID; `{}` shows them", list_command(noun))));
    }
    let matches: Vec<T> = by_name.await?.into_iter().filter(|o| o.name() == text).collect();
    one_match(noun, text, matches)
}

/// The object a mutation answered with `ok: true`. The schema types every payload's `entity` as
/// nullable; a null one after `ok: true` means the change was made but not echoed, so it is read
/// back with `reread` (lazy: only awaited then), with a warning, rather than reported as a failure
/// of a change that happened (issue 17).
pub(crate) async fn echoed<T>(
    client: &Client,
    op: &str,
    entity: Option<T>,
    reread: impl Future<Output = Result<Option<T>>>,
) -> Result<T> {
    if let Some(e) = entity {
        return Ok(e);
    }
    client.notice(&format!("warning: {op} succeeded but returned no object; reading it back"));
    reread.await?.ok_or_else(|| {
        Error::not_found(format!("{op} succeeded, but the object it changed can no longer be read"))
            .hint("it may have been deleted meanwhile; `list` shows what exists")
    })
}

fn list_command(noun: &str) -> String {
    format!("tgctl {} list", noun.replace(' ', "-"))
}

/// Exactly one match, or a clear error (not found, or ambiguous with the IDs to choose from).
pub(crate) fn one_match<T: Named>(noun: &str, name: &str, mut matches: Vec<T>) -> Result<T> {
    match matches.len() {
        0 => Err(Error::not_found(format!("no {noun} named {name:?}"))
            .hint(format!("names are matched exactly; list them with `{}`", list_command(noun)))
            .looked_up(noun, name)),
        1 => Ok(matches.remove(0)),
        n => {
            let ids: Vec<&str> = matches.iter().map(Named::id).collect();
            Err(Error::new(Kind::Ambiguous, format!("{n} {noun}s are named {name:?}; pass an ID instead"))
                .hint(format!("IDs: {}", ids.join(", "))))
        }
    }
}

/// Variables for [`Client::post_vars`]: a key is either absent (leave the field alone), null
/// (clear it) or a value.
#[derive(Debug, Default, Clone)]
pub(crate) struct Vars(serde_json::Map<String, Value>);

impl Vars {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub(crate) fn set(mut self, key: &str, value: impl Serialize) -> Self {
        self.0.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    /// Sets `key` when `value` is `Some`; leaves it absent otherwise.
    pub(crate) fn opt(self, key: &str, value: Option<impl Serialize>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Sets `key` to an explicit null when `clear` is true.
    pub(crate) fn null_if(mut self, key: &str, clear: bool) -> Self {
        if clear {
            self.0.insert(key.to_owned(), Value::Null);
        }
        self
    }

    /// Applies a [`Patch`]: absent, null or the value.
    pub(crate) fn patch<T: Serialize>(self, key: &str, patch: Patch<T>) -> Self {
        match patch {
            Patch::Keep => self,
            Patch::Clear => self.null_if(key, true),
            Patch::Set(v) => self.set(key, v),
        }
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// A change to a field that can be cleared: leave it, clear it (send null), or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    /// From `--field VALUE` and `--clear-field` (clap makes them conflict).
    pub(crate) fn from_flags(value: Option<T>, clear: bool) -> Self {
        match (value, clear) {
            (Some(v), _) => Patch::Set(v),
            (None, true) => Patch::Clear,
            (None, false) => Patch::Keep,
        }
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)),
        }
    }
}

/// The API spelling of a value of one of our enums: `google-cloud` becomes `GOOGLE_CLOUD`.
pub(crate) fn api_enum<E: clap::ValueEnum>(value: &E) -> String {
    value.to_possible_value().map(|v| v.get_name().to_ascii_uppercase().replace('-', "_")).unwrap_or_default()
}

/// Converts one of our enums into a generated module's enum of the same values.
pub(crate) fn gen_enum<E: clap::ValueEnum, G: DeserializeOwned>(value: &E) -> Result<G> {
    serde_json::from_value(Value::String(api_enum(value)))
        .map_err(|e| Error::internal(format!("enum value not in the schema: {e}")))
}

/// One of our enums from a generated module's enum of the same values (they share the API's
/// spelling); a value our enum lacks is a bad response.
pub(crate) fn from_api_enum<G: Serialize, E: DeserializeOwned>(value: &G) -> Result<E> {
    let text = api_name(value);
    serde_json::from_value(Value::String(text))
        .map_err(|e| Error::new(Kind::BadResponse, format!("unexpected value in the API's answer: {e}")))
}

/// The API's spelling of a generated enum's value (`SYNCED`).
pub(crate) fn api_name<G: Serialize>(value: &G) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The flag spelling of an API enum value we keep as text (`MAC_OS` becomes `mac-os`).
pub(crate) fn api_label(value: &str) -> String {
    value.to_ascii_lowercase().replace('_', "-")
}

/// The flag spelling of one of our enums (`google-cloud`).
pub(crate) fn label<E: clap::ValueEnum>(value: &E) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// A connection as our wire structs read it: the nodes and, when selected, the count and page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireConn<T> {
    #[serde(default)]
    pub(crate) total_count: i64,
    #[serde(default = "Vec::new")]
    pub(crate) edges: Vec<WireEdge<T>>,
    #[serde(default)]
    pub(crate) page_info: Option<WirePageInfo>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireEdge<T> {
    pub(crate) node: T,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePageInfo {
    pub(crate) end_cursor: Option<String>,
    pub(crate) has_next_page: bool,
}

impl<T> Default for WireConn<T> {
    fn default() -> Self {
        Self { total_count: 0, edges: Vec::new(), page_info: None }
    }
}

impl<T> WireConn<T> {
    pub(crate) fn nodes(self) -> Vec<T> {
        self.edges.into_iter().map(|e| e.node).collect()
    }

    /// The cursor of the next page, if there is one.
    pub(crate) fn next(&self) -> Option<String> {
        self.page_info.as_ref().filter(|p| p.has_next_page).and_then(|p| p.end_cursor.clone())
    }
}

impl<T> WireConn<T> {
    /// This connection as a [`Page`] of domain values.
    pub(crate) fn into_page<U>(self, map: impl Fn(T) -> Result<U>) -> Result<Page<U>> {
        let (end_cursor, has_next_page) =
            self.page_info.as_ref().map_or((None, false), |p| (p.end_cursor.clone(), p.has_next_page));
        Ok(Page {
            nodes: self.edges.into_iter().map(|e| map(e.node)).collect::<Result<_>>()?,
            end_cursor,
            has_next_page,
        })
    }
}

/// An object as a noun's fragment selects it, with the first page of its `groups` selected next
/// to the fragment (`get` of users and security policies).
#[derive(Debug, Deserialize)]
pub(crate) struct WithGroups<F> {
    #[serde(flatten)]
    pub(crate) fields: F,
    pub(crate) groups: WireConn<Ref>,
}

/// A mutation payload as our wire types read it.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePayload<T> {
    pub(crate) entity: Option<T>,
}

/// Loads every page of a nested connection of one object: `fetch(after)` returns one page of it.
pub(crate) async fn nested_all<T, F, Fut>(first: WireConn<T>, mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<WireConn<T>>>,
{
    let mut next = first.next();
    let mut all = first.nodes();
    while let Some(cursor) = next {
        let page = fetch(cursor.clone()).await?;
        next = page.next().filter(|n| *n != cursor);
        all.extend(page.nodes());
    }
    Ok(all)
}
