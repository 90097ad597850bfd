//! The emulator's data: one `Db` value holding every record. It is cloned, changed and swapped in
//! whole by each mutation (see `app.rs`), and serialised to the `--state` file.

use std::collections::BTreeMap;

use async_graphql::Enum;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod gateway;

pub(crate) use gateway::*;

/// Format a timestamp as the API does: microseconds and an explicit `+00:00` offset.
pub(crate) fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

macro_rules! gql_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub(crate) enum $name { $($variant),+ }
    };
}

gql_enum!(RemoteNetworkLocation { Aws, Azure, GoogleCloud, OnPremise, Other });
gql_enum!(RemoteNetworkType { Regular, Exit });
gql_enum!(ConnectorState { Alive, DeadHeartbeatTooOld, DeadNoHeartbeat, DeadNoRelays });
gql_enum!(AddressType { Dns, Ip });
gql_enum!(ProtocolPolicy { AllowAll, Restricted });
gql_enum!(PrincipalType { Group, ServiceAccount });
gql_enum!(GroupType { Manual, Synced, System });
gql_enum!(UserRole { AccessReviewer, Admin, Devops, Member, Support });
gql_enum!(UserState { Active, Disabled, Pending });
gql_enum!(UserStateUpdateInput { Active, Disabled });
gql_enum!(UserType { Manual, Synced });
gql_enum!(SecurityPolicyType { DefaultResource, Resource });
gql_enum!(ServiceAccountKeyStatus { Active, Expired, Revoked });
gql_enum!(DeviceActiveState { Active, Archived, Blocked });
gql_enum!(DeviceType { Desktop, Generic, Laptop, Mobile, Tablet });
gql_enum!(DeviceOsName { Android, ChromeOs, Ios, Ipados, Linux, MacOs, Windows });
gql_enum!(AccessMode { Manual, AutoLock, AccessRequest });
gql_enum!(AccessApprovalMode { Manual, Automatic });
gql_enum!(RoutingMode { ThroughTwingate, BypassTwingate });
gql_enum!(DohFallbackMethod { Auto, Strict });

/// The permission level of an API token.
#[derive(Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    Read,
    Write,
    Provision,
}

impl Level {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Provision => "provision",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Some(Level::Read),
            "write" | "read_write" | "read-write" => Some(Level::Write),
            "provision" | "read_write_provision" => Some(Level::Provision),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct RemoteNetworkRec {
    pub(crate) name: String,
    pub(crate) is_active: bool,
    pub(crate) location: RemoteNetworkLocation,
    pub(crate) network_type: RemoteNetworkType,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct ConnectorRec {
    pub(crate) name: String,
    pub(crate) remote_network: u64,
    pub(crate) state: ConnectorState,
    pub(crate) last_heartbeat_at: Option<Timestamp>,
    pub(crate) hostname: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) public_ip: Option<String>,
    pub(crate) private_ips: Vec<String>,
    pub(crate) has_status_notifications_enabled: bool,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// The current (access, refresh) token pair, if any were generated. Kept in memory only:
    /// the state file holds no credentials but API tokens.
    #[serde(skip)]
    pub(crate) tokens: Option<(String, String)>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortRangeRec {
    pub(crate) start: i32,
    pub(crate) end: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProtocolRec {
    pub(crate) policy: ProtocolPolicy,
    pub(crate) ports: Vec<PortRangeRec>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProtocolsRec {
    pub(crate) allow_icmp: bool,
    pub(crate) tcp: ProtocolRec,
    pub(crate) udp: ProtocolRec,
}

impl Default for ProtocolsRec {
    fn default() -> Self {
        let all = ProtocolRec { policy: ProtocolPolicy::AllowAll, ports: Vec::new() };
        ProtocolsRec { allow_icmp: true, tcp: all.clone(), udp: all }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct AccessPolicyRec {
    pub(crate) mode: AccessMode,
    pub(crate) duration_seconds: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalRef {
    Group(u64),
    ServiceAccount(u64),
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct AccessRec {
    pub(crate) principal: PrincipalRef,
    pub(crate) security_policy: Option<u64>,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) approval_mode: Option<AccessApprovalMode>,
    pub(crate) access_policy: Option<AccessPolicyRec>,
    pub(crate) usage_based_autolock_duration_days: Option<i32>,
}

impl AccessRec {
    pub(crate) fn bare(principal: PrincipalRef) -> Self {
        AccessRec {
            principal,
            security_policy: None,
            expires_at: None,
            approval_mode: None,
            access_policy: None,
            usage_based_autolock_duration_days: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct ResourceRec {
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) remote_network: u64,
    pub(crate) protocols: ProtocolsRec,
    pub(crate) is_active: bool,
    pub(crate) is_visible: bool,
    pub(crate) is_browser_shortcut_enabled: bool,
    pub(crate) alias: Option<String>,
    pub(crate) security_policy: Option<u64>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) approval_mode: Option<AccessApprovalMode>,
    pub(crate) access_policy: Option<AccessPolicyRec>,
    pub(crate) routing_mode: Option<RoutingMode>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    /// Access edges in the order they were added.
    pub(crate) access: Vec<AccessRec>,
    /// Deprecated by the API in favour of `accessPolicy`, still read and written.
    #[serde(default)]
    pub(crate) usage_based_autolock_duration_days: Option<i32>,
    /// Network (the default), Kubernetes or web app.
    #[serde(default)]
    pub(crate) kind: ResourceKind,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct GroupRec {
    pub(crate) name: String,
    pub(crate) is_active: bool,
    pub(crate) group_type: GroupType,
    pub(crate) origin_id: Option<String>,
    pub(crate) security_policy: u64,
    /// Member user pks in the order they were added.
    pub(crate) users: Vec<u64>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct UserRec {
    pub(crate) email: Option<String>,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) avatar_url: Option<String>,
    pub(crate) role: UserRole,
    pub(crate) state: UserState,
    pub(crate) user_type: UserType,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct DeviceRec {
    pub(crate) name: Option<String>,
    pub(crate) user: u64,
    pub(crate) is_trusted: bool,
    pub(crate) active_state: DeviceActiveState,
    pub(crate) device_type: DeviceType,
    pub(crate) os_name: Option<DeviceOsName>,
    pub(crate) os_version: Option<String>,
    pub(crate) client_version: Option<String>,
    pub(crate) hardware_model: Option<String>,
    pub(crate) manufacturer_name: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) serial_number: Option<String>,
    pub(crate) last_failed_login_at: Option<Timestamp>,
    pub(crate) last_successful_login_at: Option<Timestamp>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SecurityPolicyRec {
    pub(crate) name: String,
    pub(crate) policy_type: SecurityPolicyType,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct ServiceAccountRec {
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct KeyRec {
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
    /// The owning service account (its `Db::service_accounts` key).
    pub(crate) service_account: u64,
    /// SPKI PEM of the public key. The private key is never stored.
    pub(crate) public_key_pem: String,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) revoked_at: Option<Timestamp>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct InvitationRec {
    pub(crate) user: u64,
    pub(crate) email: String,
    pub(crate) sent_at: Timestamp,
}

/// Everything the emulator knows. Integer primary keys come from one counter, so an entity's
/// pk is unique across types. Service accounts and keys are stored under such a key too but
/// are addressed by their UUID.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct Db {
    pub(crate) network: String,
    /// Seconds added to the wall clock (moved by `POST /_emulator/clock`).
    pub(crate) clock_offset_secs: i64,
    pub(crate) next_pk: u64,
    pub(crate) remote_networks: BTreeMap<u64, RemoteNetworkRec>,
    pub(crate) connectors: BTreeMap<u64, ConnectorRec>,
    pub(crate) resources: BTreeMap<u64, ResourceRec>,
    pub(crate) groups: BTreeMap<u64, GroupRec>,
    pub(crate) users: BTreeMap<u64, UserRec>,
    pub(crate) devices: BTreeMap<u64, DeviceRec>,
    pub(crate) security_policies: BTreeMap<u64, SecurityPolicyRec>,
    pub(crate) service_accounts: BTreeMap<u64, ServiceAccountRec>,
    pub(crate) service_account_keys: BTreeMap<u64, KeyRec>,
    pub(crate) invitations: Vec<InvitationRec>,
    /// API tokens and their permission levels.
    pub(crate) api_tokens: BTreeMap<String, Level>,
    #[serde(default)]
    pub(crate) gateways: BTreeMap<u64, GatewayRec>,
    #[serde(default)]
    pub(crate) certificate_authorities: BTreeMap<u64, CertificateAuthorityRec>,
    #[serde(default)]
    pub(crate) serial_numbers: BTreeMap<u64, SerialNumberRec>,
    #[serde(default)]
    pub(crate) dns_profiles: BTreeMap<u64, DnsProfileRec>,
}

impl Db {
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(SignedDuration::from_secs(self.clock_offset_secs))
            .unwrap_or_else(|_| Timestamp::now())
    }

    pub(crate) fn alloc_pk(&mut self) -> u64 {
        if self.next_pk == 0 {
            self.next_pk = 1;
        }
        let pk = self.next_pk;
        self.next_pk += 1;
        pk
    }

    pub(crate) fn default_policy(&self) -> u64 {
        self.security_policies
            .iter()
            .find(|(_, p)| p.policy_type == SecurityPolicyType::DefaultResource)
            .map(|(pk, _)| *pk)
            .unwrap_or(0)
    }

    pub(crate) fn sa_by_uuid(&self, uuid: &str) -> Option<u64> {
        let uuid = Uuid::parse_str(uuid).ok()?;
        self.service_accounts.iter().find(|(_, s)| s.uuid == uuid).map(|(pk, _)| *pk)
    }

    pub(crate) fn key_by_uuid(&self, uuid: &str) -> Option<u64> {
        let uuid = Uuid::parse_str(uuid).ok()?;
        self.service_account_keys.iter().find(|(_, k)| k.uuid == uuid).map(|(pk, _)| *pk)
    }

    pub(crate) fn key_status(&self, key: &KeyRec) -> ServiceAccountKeyStatus {
        if key.revoked_at.is_some() {
            ServiceAccountKeyStatus::Revoked
        } else if key.expires_at.is_some_and(|e| e <= self.now()) {
            ServiceAccountKeyStatus::Expired
        } else {
            ServiceAccountKeyStatus::Active
        }
    }

    /// Resource pks reachable by a principal, in resource order.
    pub(crate) fn resources_of(&self, principal: PrincipalRef) -> Vec<u64> {
        self.resources
            .iter()
            .filter(|(_, r)| r.access.iter().any(|a| a.principal == principal))
            .map(|(pk, _)| *pk)
            .collect()
    }
}
