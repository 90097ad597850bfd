//! `gateway(id:)` and `certificateAuthority(id:)` (Terraform provider, Kubernetes operator).

use async_graphql::{Context, ID, Object, Result};

use super::{find, snap};
use crate::gql::objects::{CertificateAuthority, Gateway};
use crate::ids;

#[derive(Default)]
pub(crate) struct GatewayQueries;

#[Object]
impl GatewayQueries {
    async fn gateway(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Gateway>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Gateway", |db, pk| db.gateways.contains_key(&pk))?;
        Ok(pk.map(|pk| Gateway::new(db, pk)))
    }

    /// Either kind of certificate authority, by its ID.
    async fn certificate_authority(&self, ctx: &Context<'_>, id: ID) -> Result<Option<CertificateAuthority>> {
        let db = snap(ctx)?;
        let (ty, _) = ids::decode(&id).ok_or_else(|| async_graphql::Error::new(ids::PARSE_ERROR))?;
        if ty != "X509CertificateAuthority" && ty != "SSHCertificateAuthority" {
            return Ok(None);
        }
        let pk = find(&db, &id, &ty, |db, pk| db.certificate_authorities.contains_key(&pk))?;
        Ok(pk.and_then(|pk| CertificateAuthority::new(db, pk)))
    }
}
