//! The Admin API: transport, pacing, pagination, IDs, and typed operations per noun.
//!
//! Each noun module declares its operations (`#[derive(GraphQLQuery)]` over a `.graphql` file in
//! `cli/graphql/<noun>/`, checked against `cli/graphql/schema.graphql` at compile time), the domain
//! types commands and JSON output use, and the mapping from responses to those types.

pub mod ids;
pub mod pacer;
pub mod paginate;
pub mod transport;

pub mod auth;
pub mod firezone;
pub mod resources;
pub mod service_accounts;
pub mod service_keys;

pub use pacer::{Limits, OpKind, Pacer};
pub use paginate::{Page, collect, paginate};
pub use transport::{Client, ClientOptions, Dialect, RetryPolicy};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Kind, Result};

/// The `DateTime` scalar arrives as an ISO-8601 string; mapping parses it. Generated modules
/// find it through `use super::*`, so a noun module that selects a time imports it.
pub type DateTime = String;

/// Converts a generated response type into one of our domain types through their shared JSON
/// shape (generated types keep the GraphQL field names; ours deserialize from them).
pub(crate) fn wire<A: Serialize, B: DeserializeOwned>(value: A) -> Result<B> {
    let json = serde_json::to_value(value).map_err(|e| Error::internal(format!("cannot re-encode a response: {e}")))?;
    serde_json::from_value(json)
        .map_err(|e| Error::new(Kind::BadResponse, format!("unexpected value in the API's answer: {e}")))
}

/// A reference to another object: its ID and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Ref {
    pub id: String,
    pub name: String,
}

/// A name filter, mapped onto the API's `StringFilterOperatorInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameFilter {
    pub eq: Option<String>,
    pub contains: Option<String>,
    pub regexp: Option<String>,
    pub starts_with: Option<String>,
    pub ends_with: Option<String>,
}

impl NameFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn exact(name: &str) -> Self {
        Self { eq: Some(name.to_owned()), ..Self::default() }
    }
}

/// Builds a generated module's `StringFilterOperatorInput` from a [`NameFilter`].
#[macro_export]
macro_rules! string_filter {
    ($module:ident, $filter:expr) => {{
        let f: &$crate::api::NameFilter = $filter;
        $module::StringFilterOperatorInput {
            eq: f.eq.clone(),
            ne: None,
            starts_with: f.starts_with.clone(),
            ends_with: f.ends_with.clone(),
            regexp: f.regexp.clone(),
            contains: f.contains.clone(),
            in_: None,
        }
    }};
}
