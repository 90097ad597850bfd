//! DNS filtering profiles: several per tenant, each with a priority and the groups it applies to
//! (Terraform provider `internal/client/query/dns-filtering-profile*.go`, which reads every
//! field here; nullability is the emulator's reading of the provider's Go types).

use async_graphql::{ID, Object, Result};

use super::{GroupConnection, list_groups, object_base};
use crate::gql::PageArgs;
use crate::ids;
use crate::model::*;

object_base!(DnsFilteringProfile, dns_profiles, DnsProfileRec);
object_base!(DnsFilteringProfileMetadata, dns_profiles, DnsProfileRec);

#[Object]
impl DnsFilteringProfile {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("DnsFilteringProfile", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn priority(&self) -> Result<f64> {
        Ok(self.rec()?.priority)
    }
    async fn fallback_method(&self) -> Result<DohFallbackMethod> {
        Ok(self.rec()?.fallback_method)
    }
    async fn allowed_domains(&self) -> Result<Vec<String>> {
        Ok(self.rec()?.allowed_domains.clone())
    }
    async fn denied_domains(&self) -> Result<Vec<String>> {
        Ok(self.rec()?.denied_domains.clone())
    }
    async fn groups(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<GroupConnection> {
        let pks = list_groups(&self.db, self.rec()?.groups.iter().copied(), &None)?;
        GroupConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn privacy_category_config(&self) -> Result<Option<PrivacyCategories>> {
        Ok(Some(self.rec()?.privacy.clone()))
    }
    async fn security_category_config(&self) -> Result<Option<SecurityCategories>> {
        Ok(Some(self.rec()?.security.clone()))
    }
    async fn content_category_config(&self) -> Result<Option<ContentCategories>> {
        Ok(Some(self.rec()?.content.clone()))
    }
}

// What `dnsFilteringProfiles` lists: the provider's shallow read is `id name priority`.
/// A DNS filtering profile in the list of profiles.
#[Object]
impl DnsFilteringProfileMetadata {
    async fn id(&self) -> ID {
        ids::encode("DnsFilteringProfile", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn priority(&self) -> Result<f64> {
        Ok(self.rec()?.priority)
    }
    async fn fallback_method(&self) -> Result<DohFallbackMethod> {
        Ok(self.rec()?.fallback_method)
    }
}
