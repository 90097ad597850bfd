//! Token verification.

use graphql_client::GraphQLQuery;

use super::Client;
use crate::error::Result;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/auth/check.graphql",
    response_derives = "Debug"
)]
pub(crate) struct AuthCheck;

/// Makes the cheapest authenticated read; errors map as usual (401 → exit 3).
pub(crate) async fn check(client: &Client) -> Result<()> {
    client.post::<AuthCheck>(auth_check::Variables {}).await.map(|_| ())
}
