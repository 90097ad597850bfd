//! The GraphQL schema the emulator serves.
//!
//! `query.rs` and `mutation/` are the two roots; `objects/` the output types, `filters.rs` the
//! filter inputs, `page.rs` Relay paging, `scalars.rs` the `DateTime` scalar. Resolvers read the
//! request's snapshot of the data (`Snapshot`) and write through `Store::commit`.

mod filters;
mod mutation;
mod objects;
mod page;
mod query;
mod rules;
mod scalars;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema};

use crate::model::Db;

pub(crate) use page::{Page, PageArgs, PageInfo, paginate};
pub(crate) use rules::Rules;
pub(crate) use scalars::{DateTime, dt};

pub(crate) type ApiSchema = Schema<query::QueriesRoot, mutation::MutationsRoot, EmptySubscription>;

/// Build the schema. Per-request data (the snapshot, the store) is attached to each request.
pub(crate) fn build_schema() -> ApiSchema {
    Schema::build(query::QueriesRoot::default(), mutation::MutationsRoot::default(), EmptySubscription)
        // async-graphql's own limits, behind the cheaper ones in rules/limits.rs.
        .limit_depth(rules::MAX_DEPTH)
        .limit_complexity(rules::MAX_FIELDS)
        .register_output_type::<objects::Node>()
        .register_output_type::<objects::ResourceImplementsNode>()
        .finish()
}

/// The SDL the emulator serves.
pub(crate) fn sdl() -> String {
    build_schema().sdl()
}

/// The state a query request reads (taken once per request so a query sees one consistent view).
#[derive(Clone)]
pub(crate) struct Snapshot(pub(crate) Arc<Db>);
