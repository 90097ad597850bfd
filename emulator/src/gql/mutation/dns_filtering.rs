//! `dnsFilteringProfileCreate`, `dnsFilteringProfileUpdate`, `dnsFilteringProfileDelete`: the
//! Terraform provider's model of DNS filtering (several profiles, each with a priority and the
//! groups it applies to; `internal/client/dns-filtering-profile.go`), which the Twingate-Labs
//! CLI's feature branch also moved to. The Python CLI's main branch still calls
//! `dnsFilteringAllowedDomainsSet`/`dnsFilteringDeniedDomainsSet` and a `dnsFilteringProfile`
//! without an ID; its own audit of the API reference (TODO.md, 2026-08) found neither, so the
//! emulator serves neither. The evidence for this area is the weakest of the schema: argument
//! nullability follows the provider's Go types, `groups` is typed `[String!]` as both the
//! provider and the CLI's branch declare it, and what a new profile starts with is a guess.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::{Kind, Mutation, MutationField, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::DnsFilteringProfile;
use crate::model::*;

payload!(DnsFilteringProfileCreateMutation, DnsFilteringProfile);
payload!(DnsFilteringProfileUpdateMutation, DnsFilteringProfile);
delete_payload!(DnsFilteringProfileDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "DnsFilteringMutations")]
pub(crate) struct Mutations(
    MutationField<DnsFilteringProfileCreate>,
    MutationField<DnsFilteringProfileUpdate>,
    MutationField<DnsFilteringProfileDelete>,
);

#[derive(InputObject)]
#[graphql(name = "DnsFilteringProfileCreateArguments")]
pub(crate) struct DnsFilteringProfileCreate {
    name: String,
}

impl Mutation for DnsFilteringProfileCreate {
    const NAME: &'static str = "dnsFilteringProfileCreate";
    type Payload = DnsFilteringProfileCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let name = non_blank(&self.name, "Name")?;
            // A new profile goes last: one above the highest priority so far.
            let priority = db.dns_profiles.values().map(|p| p.priority).fold(0.0, f64::max) + 1.0;
            let pk = db.alloc_pk();
            db.dns_profiles.insert(
                pk,
                DnsProfileRec {
                    name,
                    priority,
                    fallback_method: DohFallbackMethod::Auto,
                    allowed_domains: Vec::new(),
                    denied_domains: Vec::new(),
                    groups: Vec::new(),
                    privacy: PrivacyCategories::default(),
                    security: SecurityCategories::default(),
                    content: ContentCategories::default(),
                },
            );
            Ok(pk)
        });
        DnsFilteringProfileCreateMutation::from(r.map(|pk| DnsFilteringProfile::new(db, pk)))
    }
}

/// Omitted arguments leave the profile alone.
#[derive(InputObject)]
#[graphql(name = "DnsFilteringProfileUpdateArguments")]
pub(crate) struct DnsFilteringProfileUpdate {
    id: ID,
    name: Option<String>,
    priority: Option<f64>,
    allowed_domains: Option<Vec<String>>,
    denied_domains: Option<Vec<String>>,
    fallback_method: Option<DohFallbackMethod>,
    // Typed String, as the provider and the CLI's branch declare it.
    /// The IDs of the groups the profile applies to.
    groups: Option<Vec<String>>,
    privacy_category_config: Option<PrivacyCategories>,
    security_category_config: Option<SecurityCategories>,
    content_category_config: Option<ContentCategories>,
}

impl Mutation for DnsFilteringProfileUpdate {
    const NAME: &'static str = "dnsFilteringProfileUpdate";
    type Payload = DnsFilteringProfileUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::DnsFilteringProfile)?;
            let name = self.name.as_deref().map(|n| non_blank(n, "Name")).transpose()?;
            let mut groups = None;
            if let Some(list) = &self.groups {
                let mut pks = Vec::new();
                for id in list {
                    let g = need(db, id, Kind::Group)?;
                    if !pks.contains(&g) {
                        pks.push(g);
                    }
                }
                groups = Some(pks);
            }
            let p = db.dns_profiles.get_mut(&pk).expect("checked");
            if let Some(n) = name {
                p.name = n;
            }
            if let Some(v) = self.priority {
                p.priority = v;
            }
            if let Some(v) = &self.allowed_domains {
                p.allowed_domains = v.clone();
            }
            if let Some(v) = &self.denied_domains {
                p.denied_domains = v.clone();
            }
            if let Some(v) = self.fallback_method {
                p.fallback_method = v;
            }
            if let Some(v) = groups {
                p.groups = v;
            }
            if let Some(v) = &self.privacy_category_config {
                p.privacy = v.clone();
            }
            if let Some(v) = &self.security_category_config {
                p.security = v.clone();
            }
            if let Some(v) = &self.content_category_config {
                p.content = v.clone();
            }
            Ok(pk)
        });
        DnsFilteringProfileUpdateMutation::from(r.map(|pk| DnsFilteringProfile::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "DnsFilteringProfileDeleteArguments")]
pub(crate) struct DnsFilteringProfileDelete {
    id: ID,
}

impl Mutation for DnsFilteringProfileDelete {
    const NAME: &'static str = "dnsFilteringProfileDelete";
    type Payload = DnsFilteringProfileDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::DnsFilteringProfile)?;
            db.dns_profiles.remove(&pk);
            Ok(())
        });
        DnsFilteringProfileDeleteMutation::from(r)
    }
}
