//! `QueriesRoot`: the introspection-era queries in `core.rs`, the later ones by noun.

mod core;
mod gateway;
mod more;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, Result};

use super::Snapshot;
use crate::ids;
use crate::model::Db;

#[derive(MergedObject, Default)]
#[graphql(name = "QueriesRoot")]
pub(crate) struct QueriesRoot(core::CoreQueries, more::MoreQueries, gateway::GatewayQueries);

fn snap(ctx: &Context<'_>) -> Result<Arc<Db>> {
    Ok(ctx.data::<Snapshot>()?.0.clone())
}

/// Look up an integer-pk entity; `None` for other types or unknown pks.
fn find(db: &Db, id: &str, type_name: &str, exists: impl Fn(&Db, u64) -> bool) -> Result<Option<u64>> {
    Ok(ids::int_pk(id, type_name)?.filter(|pk| exists(db, *pk)))
}
