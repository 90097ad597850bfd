//! The emulator's data: one `Db` value holding every record. It is cloned, changed and swapped in
//! whole by each mutation (see `app.rs`), and serialised to the `--state` file.

use std::collections::BTreeMap;

use async_graphql::Enum;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Format a timestamp as the API does: microseconds and an explicit `+00:00` offset.
pub fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

macro_rules! gql_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }
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

/// The permission level of an API token.
#[derive(Serialize, Deserialize, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Read,
    Write,
    Provision,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Provision => "provision",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Some(Level::Read),
            "write" | "read_write" | "read-write" => Some(Level::Write),
            "provision" | "read_write_provision" => Some(Level::Provision),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RemoteNetworkRec {
    pub name: String,
    pub is_active: bool,
    pub location: RemoteNetworkLocation,
    pub network_type: RemoteNetworkType,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ConnectorRec {
    pub name: String,
    pub remote_network: u64,
    pub state: ConnectorState,
    pub last_heartbeat_at: Option<Timestamp>,
    pub hostname: Option<String>,
    pub version: Option<String>,
    pub public_ip: Option<String>,
    pub private_ips: Vec<String>,
    pub has_status_notifications_enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The current (access, refresh) token pair, if any were generated. Kept in memory only:
    /// the state file holds no credentials but API tokens.
    #[serde(skip)]
    pub tokens: Option<(String, String)>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PortRangeRec {
    pub start: i32,
    pub end: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProtocolRec {
    pub policy: ProtocolPolicy,
    pub ports: Vec<PortRangeRec>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProtocolsRec {
    pub allow_icmp: bool,
    pub tcp: ProtocolRec,
    pub udp: ProtocolRec,
}

impl Default for ProtocolsRec {
    fn default() -> Self {
        let all = ProtocolRec { policy: ProtocolPolicy::AllowAll, ports: Vec::new() };
        ProtocolsRec { allow_icmp: true, tcp: all.clone(), udp: all }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccessPolicyRec {
    pub mode: AccessMode,
    pub duration_seconds: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalRef {
    Group(u64),
    ServiceAccount(u64),
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AccessRec {
    pub principal: PrincipalRef,
    pub security_policy: Option<u64>,
    pub expires_at: Option<Timestamp>,
    pub approval_mode: Option<AccessApprovalMode>,
    pub access_policy: Option<AccessPolicyRec>,
    pub usage_based_autolock_duration_days: Option<i32>,
}

impl AccessRec {
    pub fn bare(principal: PrincipalRef) -> Self {
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
pub struct ResourceRec {
    pub name: String,
    pub address: String,
    pub remote_network: u64,
    pub protocols: ProtocolsRec,
    pub is_active: bool,
    pub is_visible: bool,
    pub is_browser_shortcut_enabled: bool,
    pub alias: Option<String>,
    pub security_policy: Option<u64>,
    pub tags: Vec<(String, String)>,
    pub approval_mode: Option<AccessApprovalMode>,
    pub access_policy: Option<AccessPolicyRec>,
    pub routing_mode: Option<RoutingMode>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Access edges in the order they were added.
    pub access: Vec<AccessRec>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GroupRec {
    pub name: String,
    pub is_active: bool,
    pub group_type: GroupType,
    pub origin_id: Option<String>,
    pub security_policy: u64,
    /// Member user pks in the order they were added.
    pub users: Vec<u64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UserRec {
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: Option<String>,
    pub role: UserRole,
    pub state: UserState,
    pub user_type: UserType,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeviceRec {
    pub name: Option<String>,
    pub user: u64,
    pub is_trusted: bool,
    pub active_state: DeviceActiveState,
    pub device_type: DeviceType,
    pub os_name: Option<DeviceOsName>,
    pub os_version: Option<String>,
    pub client_version: Option<String>,
    pub hardware_model: Option<String>,
    pub manufacturer_name: Option<String>,
    pub hostname: Option<String>,
    pub username: Option<String>,
    pub serial_number: Option<String>,
    pub last_failed_login_at: Option<Timestamp>,
    pub last_successful_login_at: Option<Timestamp>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SecurityPolicyRec {
    pub name: String,
    pub policy_type: SecurityPolicyType,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ServiceAccountRec {
    pub uuid: Uuid,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct KeyRec {
    pub uuid: Uuid,
    pub name: String,
    /// The owning service account (its `Db::service_accounts` key).
    pub service_account: u64,
    /// SPKI PEM of the public key. The private key is never stored.
    pub public_key_pem: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct InvitationRec {
    pub user: u64,
    pub email: String,
    pub sent_at: Timestamp,
}

/// Everything the emulator knows. Integer primary keys come from one counter, so an entity's
/// pk is unique across types. Service accounts and keys are stored under such a key too but
/// are addressed by their UUID.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Db {
    pub network: String,
    /// Seconds added to the wall clock (moved by `POST /_emulator/clock`).
    pub clock_offset_secs: i64,
    pub next_pk: u64,
    pub remote_networks: BTreeMap<u64, RemoteNetworkRec>,
    pub connectors: BTreeMap<u64, ConnectorRec>,
    pub resources: BTreeMap<u64, ResourceRec>,
    pub groups: BTreeMap<u64, GroupRec>,
    pub users: BTreeMap<u64, UserRec>,
    pub devices: BTreeMap<u64, DeviceRec>,
    pub security_policies: BTreeMap<u64, SecurityPolicyRec>,
    pub service_accounts: BTreeMap<u64, ServiceAccountRec>,
    pub service_account_keys: BTreeMap<u64, KeyRec>,
    pub invitations: Vec<InvitationRec>,
    /// API tokens and their permission levels.
    pub api_tokens: BTreeMap<String, Level>,
}

impl Db {
    pub fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(SignedDuration::from_secs(self.clock_offset_secs))
            .unwrap_or_else(|_| Timestamp::now())
    }

    pub fn alloc_pk(&mut self) -> u64 {
        if self.next_pk == 0 {
            self.next_pk = 1;
        }
        let pk = self.next_pk;
        self.next_pk += 1;
        pk
    }

    pub fn default_policy(&self) -> u64 {
        self.security_policies
            .iter()
            .find(|(_, p)| p.policy_type == SecurityPolicyType::DefaultResource)
            .map(|(pk, _)| *pk)
            .unwrap_or(0)
    }

    pub fn sa_by_uuid(&self, uuid: &str) -> Option<u64> {
        let uuid = Uuid::parse_str(uuid).ok()?;
        self.service_accounts.iter().find(|(_, s)| s.uuid == uuid).map(|(pk, _)| *pk)
    }

    pub fn key_by_uuid(&self, uuid: &str) -> Option<u64> {
        let uuid = Uuid::parse_str(uuid).ok()?;
        self.service_account_keys.iter().find(|(_, k)| k.uuid == uuid).map(|(pk, _)| *pk)
    }

    pub fn key_status(&self, key: &KeyRec) -> ServiceAccountKeyStatus {
        if key.revoked_at.is_some() {
            ServiceAccountKeyStatus::Revoked
        } else if key.expires_at.is_some_and(|e| e <= self.now()) {
            ServiceAccountKeyStatus::Expired
        } else {
            ServiceAccountKeyStatus::Active
        }
    }

    /// Resource pks reachable by a principal, in resource order.
    pub fn resources_of(&self, principal: PrincipalRef) -> Vec<u64> {
        self.resources
            .iter()
            .filter(|(_, r)| r.access.iter().any(|a| a.principal == principal))
            .map(|(pk, _)| *pk)
            .collect()
    }
}
