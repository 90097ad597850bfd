//! The GraphQL schema: scalars, inputs, pagination, objects, and the two roots.

pub mod filters;
pub mod mutation;
pub mod objects;
pub mod query;

use std::sync::Arc;

use async_graphql::{
    EmptySubscription, InputValueError, InputValueResult, Scalar, ScalarType, Schema, SimpleObject, Value,
};
use jiff::Timestamp;

use crate::ids;
use crate::model::{Db, format_ts};

pub type ApiSchema = Schema<query::QueriesRoot, mutation::MutationsRoot, EmptySubscription>;

/// Build the schema. Per-request data (the snapshot, the app) is attached to each request.
pub fn build_schema() -> ApiSchema {
    Schema::build(query::QueriesRoot, mutation::MutationsRoot, EmptySubscription)
        .register_output_type::<objects::Node>()
        .register_output_type::<objects::ResourceImplementsNode>()
        .finish()
}

/// The SDL the emulator serves.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// The state a query request reads (taken once per request so a query sees one consistent view).
#[derive(Clone)]
pub struct Snapshot(pub Arc<Db>);

/// ISO-8601 date and time with an offset, e.g. 2024-02-15T01:13:51.059028+00:00.
#[derive(Clone, Copy, Debug)]
pub struct DateTime(pub Timestamp);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.trim().parse::<Timestamp>().map(DateTime).map_err(|e| {
                InputValueError::custom(format!("invalid DateTime '{s}' (expected RFC 3339 with an offset): {e}"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_ts(self.0))
    }
}

pub fn dt(ts: Timestamp) -> DateTime {
    DateTime(ts)
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// The standard connection arguments.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

impl PageArgs {
    pub fn new(after: Option<String>, before: Option<String>, first: Option<i32>, last: Option<i32>) -> Self {
        PageArgs { after, before, first, last }
    }
}

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;

/// One page: (cursor, item) pairs, the page info and the total count before paging.
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

/// One page of `items`, as (cursor, item) pairs, with its page info and the total count.
/// `first` defaults to 50 (when neither `first` nor `last` is given) and is capped at 1000; an
/// unparseable cursor is ignored (the page starts at the beginning, or ends at the end).
pub fn paginate<T>(items: Vec<T>, args: &PageArgs) -> async_graphql::Result<Page<T>> {
    let total = items.len();
    for (name, value) in [("first", args.first), ("last", args.last)] {
        if value.is_some_and(|v| v < 0) {
            return Err(async_graphql::Error::new(format!("Argument '{name}' must be a non-negative integer")));
        }
    }
    let lower = args.after.as_deref().and_then(ids::cursor_offset).map(|n| n.saturating_add(1).min(total)).unwrap_or(0);
    let upper = args.before.as_deref().and_then(ids::cursor_offset).map(|n| n.min(total)).unwrap_or(total).max(lower);
    let first = match (args.first, args.last) {
        (Some(f), _) => Some((f as usize).min(MAX_PAGE_SIZE)),
        (None, None) => Some(DEFAULT_PAGE_SIZE),
        (None, Some(_)) => None,
    };
    let mut start = lower;
    let mut end = upper;
    if let Some(f) = first {
        end = end.min(start + f);
    }
    if let Some(l) = args.last {
        let l = (l as usize).min(MAX_PAGE_SIZE);
        start = start.max(end.saturating_sub(l));
    }
    let page: Vec<(String, T)> =
        items.into_iter().enumerate().skip(start).take(end - start).map(|(i, item)| (ids::cursor(i), item)).collect();
    let info = PageInfo {
        start_cursor: page.first().map(|(c, _)| c.clone()),
        end_cursor: page.last().map(|(c, _)| c.clone()),
        has_next_page: end < upper,
        has_previous_page: start > 0,
    };
    Ok(Page { items: page, page_info: info, total_count: i32::try_from(total).unwrap_or(i32::MAX) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let items: Vec<u32> = (0..120).collect();
        let p = paginate(items.clone(), &PageArgs::default()).unwrap();
        assert_eq!((p.items.len(), p.total_count, p.page_info.has_next_page), (50, 120, true));
        let after = p.page_info.end_cursor.clone();
        let p = paginate(items.clone(), &PageArgs::new(after, None, Some(100), None)).unwrap();
        assert_eq!(p.items.len(), 70);
        assert_eq!(p.items[0].1, 50);
        assert!(!p.page_info.has_next_page);
        let p = paginate(items.clone(), &PageArgs::new(Some("junk".into()), None, Some(3), None)).unwrap();
        assert_eq!(p.items[0].1, 0);
        let p = paginate(items, &PageArgs::new(None, None, None, Some(5))).unwrap();
        assert_eq!(p.items[0].1, 115);
    }
}
