//! Queries real clients use beyond the July-2024 introspection's: serial numbers (which it has),
//! device posture (Twingate-Labs CLI) and DNS filtering profiles (Terraform provider).

use async_graphql::{Context, ID, Object, Result};

use super::{find, snap};
use crate::gql::PageArgs;
use crate::gql::filters::SerialNumberFilterInput;
use crate::gql::objects::*;

#[derive(Default)]
pub(crate) struct MoreQueries;

#[Object]
impl MoreQueries {
    /// The serial number allow-list.
    async fn serial_numbers(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<SerialNumberFilterInput>,
    ) -> Result<SerialNumberConnection> {
        let db = snap(ctx)?;
        let pks = list_serial_numbers(&db, &filter)?;
        SerialNumberConnection::build(&db, pks, &PageArgs::new(after, before, first, last))
    }

    /// A device's posture, or null when there is no such device.
    async fn device_posture(&self, ctx: &Context<'_>, id: ID) -> Result<Option<DevicePosture>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "Device", |db, pk| db.devices.contains_key(&pk))?;
        Ok(pk.map(|_| DevicePosture::default()))
    }

    async fn dns_filtering_profile(&self, ctx: &Context<'_>, id: ID) -> Result<Option<DnsFilteringProfile>> {
        let db = snap(ctx)?;
        let pk = find(&db, &id, "DnsFilteringProfile", |db, pk| db.dns_profiles.contains_key(&pk))?;
        Ok(pk.map(|pk| DnsFilteringProfile::new(db, pk)))
    }

    // A plain list, not a connection (Terraform provider).
    /// Every DNS filtering profile, by priority.
    async fn dns_filtering_profiles(&self, ctx: &Context<'_>) -> Result<Vec<DnsFilteringProfileMetadata>> {
        let db = snap(ctx)?;
        let mut pks: Vec<u64> = db.dns_profiles.keys().copied().collect();
        pks.sort_by(|a, b| db.dns_profiles[a].priority.total_cmp(&db.dns_profiles[b].priority));
        Ok(pks.into_iter().map(|pk| DnsFilteringProfileMetadata::new(db.clone(), pk)).collect())
    }
}
