//! Records of the types added after the first release: typed resources, gateways, certificate
//! authorities, serial numbers and DNS filtering profiles. Each table defaults to empty, so a
//! state file written before them still loads.

use async_graphql::{InputObject, SimpleObject};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::DohFallbackMethod;

/// What kind of Resource a record is. Every kind lives in the one resources table and has a
/// `Resource:` ID (they share `resource(id:)` and `resourceDelete`: Terraform provider).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    #[default]
    Network,
    Kubernetes {
        gateway: u64,
    },
    WebApp {
        gateway: u64,
        downstream_port: i32,
        upstream_port: i32,
        /// (key, value) pairs in the order given.
        request_header_rewrites: Vec<(String, String)>,
    },
}

impl ResourceKind {
    pub(crate) fn gateway(&self) -> Option<u64> {
        match self {
            ResourceKind::Network => None,
            ResourceKind::Kubernetes { gateway } | ResourceKind::WebApp { gateway, .. } => Some(*gateway),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct GatewayRec {
    pub(crate) address: String,
    pub(crate) remote_network: u64,
    pub(crate) x509_ca: u64,
    pub(crate) ssh_ca: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaKind {
    X509,
    Ssh,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct CertificateAuthorityRec {
    pub(crate) kind: CaKind,
    pub(crate) name: String,
    pub(crate) fingerprint: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SerialNumberRec {
    pub(crate) serial_number: String,
    pub(crate) created_at: Timestamp,
}

// A DNS filtering profile's categories: the same booleans are read (`...CategoryConfig`) and
// written (`...CategoryConfigInput`), as the Terraform provider's structs show.
#[derive(SimpleObject, InputObject, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[graphql(name = "PrivacyCategoryConfig", input_name = "PrivacyCategoryConfigInput")]
pub(crate) struct PrivacyCategories {
    pub(crate) block_ads_and_trackers: bool,
    pub(crate) block_affiliate: bool,
    pub(crate) block_disguised_trackers: bool,
}

#[derive(SimpleObject, InputObject, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[graphql(name = "SecurityCategoryConfig", input_name = "SecurityCategoryConfigInput")]
pub(crate) struct SecurityCategories {
    pub(crate) block_cryptojacking: bool,
    pub(crate) block_dns_rebinding: bool,
    pub(crate) block_domain_generation_algorithms: bool,
    pub(crate) block_idn_homographs: bool,
    pub(crate) block_newly_registered_domains: bool,
    pub(crate) block_parked_domains: bool,
    pub(crate) block_typosquatting: bool,
    pub(crate) enable_google_safe_browsing: bool,
    pub(crate) enable_threat_intelligence_feeds: bool,
}

#[derive(SimpleObject, InputObject, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[graphql(name = "ContentCategoryConfig", input_name = "ContentCategoryConfigInput")]
pub(crate) struct ContentCategories {
    pub(crate) block_adult_content: bool,
    pub(crate) block_dating: bool,
    pub(crate) block_gambling: bool,
    pub(crate) block_games: bool,
    pub(crate) block_piracy: bool,
    pub(crate) block_social_media: bool,
    pub(crate) block_streaming: bool,
    pub(crate) enable_safe_search: bool,
    pub(crate) enable_youtube_restricted_mode: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct DnsProfileRec {
    pub(crate) name: String,
    pub(crate) priority: f64,
    pub(crate) fallback_method: DohFallbackMethod,
    pub(crate) allowed_domains: Vec<String>,
    pub(crate) denied_domains: Vec<String>,
    /// Group pks in the order given.
    pub(crate) groups: Vec<u64>,
    pub(crate) privacy: PrivacyCategories,
    pub(crate) security: SecurityCategories,
    pub(crate) content: ContentCategories,
}
