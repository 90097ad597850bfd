//! Starting data: `empty` (a bare tenant) and `demo` (a small realistic one).
//!
//! The demo tenant holds the objects README.md names (the resources `prod-db` and `grafana`,
//! the connector `calm-otter`, the group `Engineering`, the user `ada@example.com`, the device
//! with serial `C02XK0AAJG5H`, ...): the README's commands run as written against it, which
//! `tests/tests/it/readme.rs` checks. Rename one here and that test says which command broke.

use jiff::{SignedDuration, Timestamp};

use crate::model::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Seed {
    #[default]
    Demo,
    Empty,
}

impl std::str::FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            other => Err(format!("unknown seed '{other}' (expected demo or empty)")),
        }
    }
}

/// A device's type, operating system and OS version.
struct Platform<'a>(DeviceType, DeviceOsName, &'a str);

struct Builder {
    db: Db,
    t: Timestamp,
}

impl Builder {
    fn ago(&self, days: i64) -> Timestamp {
        self.t.checked_sub(SignedDuration::from_hours(24 * days)).unwrap_or(self.t)
    }

    fn policy(&mut self, name: &str, policy_type: SecurityPolicyType) -> u64 {
        let pk = self.db.alloc_pk();
        let at = self.ago(400);
        self.db
            .security_policies
            .insert(pk, SecurityPolicyRec { name: name.into(), policy_type, created_at: at, updated_at: at });
        pk
    }

    fn user(&mut self, first: &str, last: &str, email: &str, role: UserRole, state: UserState) -> u64 {
        let pk = self.db.alloc_pk();
        let at = self.ago(200 - pk as i64 % 100);
        self.db.users.insert(
            pk,
            UserRec {
                email: Some(email.into()),
                first_name: first.into(),
                last_name: last.into(),
                avatar_url: None,
                role,
                state,
                user_type: UserType::Manual,
                created_at: at,
                updated_at: at,
            },
        );
        pk
    }

    fn group(&mut self, name: &str, group_type: GroupType, users: Vec<u64>, policy: u64) -> u64 {
        let pk = self.db.alloc_pk();
        let at = self.ago(300);
        self.db.groups.insert(
            pk,
            GroupRec {
                name: name.into(),
                is_active: true,
                group_type,
                origin_id: (group_type == GroupType::Synced).then(|| format!("00g{pk:08}okta")),
                security_policy: policy,
                users,
                created_at: at,
                updated_at: at,
            },
        );
        pk
    }

    fn network(&mut self, name: &str, location: RemoteNetworkLocation) -> u64 {
        let pk = self.db.alloc_pk();
        let at = self.ago(250);
        self.db.remote_networks.insert(
            pk,
            RemoteNetworkRec {
                name: name.into(),
                is_active: true,
                location,
                network_type: RemoteNetworkType::Regular,
                created_at: at,
                updated_at: at,
            },
        );
        pk
    }

    fn resource(&mut self, name: &str, address: &str, network: u64) -> u64 {
        let pk = self.db.alloc_pk();
        let at = self.ago(120);
        self.db.resources.insert(
            pk,
            ResourceRec {
                name: name.into(),
                address: address.into(),
                remote_network: network,
                protocols: ProtocolsRec::default(),
                is_active: true,
                is_visible: true,
                is_browser_shortcut_enabled: false,
                alias: None,
                security_policy: None,
                tags: Vec::new(),
                approval_mode: None,
                access_policy: None,
                routing_mode: Some(RoutingMode::ThroughTwingate),
                created_at: at,
                updated_at: at,
                access: Vec::new(),
                usage_based_autolock_duration_days: None,
                kind: ResourceKind::Network,
            },
        );
        pk
    }

    fn device(
        &mut self,
        name: &str,
        user: u64,
        Platform(device_type, os, os_version): Platform<'_>,
        serial: &str,
        trusted: bool,
        state: DeviceActiveState,
    ) -> u64 {
        let pk = self.db.alloc_pk();
        let (manufacturer, model) = match os {
            DeviceOsName::MacOs | DeviceOsName::Ios => ("Apple", "MacBookPro18,3"),
            DeviceOsName::Windows => ("Dell Inc.", "Latitude 7440"),
            _ => ("LENOVO", "ThinkPad X1 Carbon Gen 11"),
        };
        let login = self.ago(1);
        self.db.devices.insert(
            pk,
            DeviceRec {
                name: Some(name.into()),
                user,
                is_trusted: trusted,
                active_state: state,
                device_type,
                os_name: Some(os),
                os_version: Some(os_version.into()),
                client_version: Some("2025.3.1".into()),
                hardware_model: Some(model.into()),
                manufacturer_name: Some(manufacturer.into()),
                hostname: Some(name.to_lowercase().replace(' ', "-")),
                username: None,
                serial_number: Some(serial.into()),
                last_failed_login_at: None,
                last_successful_login_at: Some(login),
            },
        );
        pk
    }
}

/// Build the starting data for `seed` in tenant `network`.
pub(crate) fn build(seed: Seed, network: &str) -> Db {
    let mut b =
        Builder { db: Db { network: network.to_string(), next_pk: 1000, ..Db::default() }, t: Timestamp::now() };
    let default = b.policy("Default Policy", SecurityPolicyType::DefaultResource);
    match seed {
        Seed::Empty => {
            let admin = b.user("Ada", "Admin", "admin@example.com", UserRole::Admin, UserState::Active);
            b.group("Everyone", GroupType::System, vec![admin], default);
        }
        Seed::Demo => demo(&mut b, default),
    }
    b.db
}

fn demo(b: &mut Builder, default: u64) {
    use DeviceActiveState as D;
    use UserRole as R;
    use UserState as S;
    let strict = b.policy("Require MFA and trusted device", SecurityPolicyType::Resource);

    let ada = b.user("Ada", "Lovelace", "ada@example.com", R::Admin, S::Active);
    let grace = b.user("Grace", "Hopper", "grace@example.com", R::Devops, S::Active);
    let linus = b.user("Linus", "Torvalds", "linus@example.com", R::Member, S::Active);
    let margaret = b.user("Margaret", "Hamilton", "margaret@example.com", R::Member, S::Active);
    let alan = b.user("Alan", "Turing", "alan@example.com", R::Support, S::Active);
    let katherine = b.user("Katherine", "Johnson", "katherine@example.com", R::AccessReviewer, S::Active);
    let dennis = b.user("Dennis", "Ritchie", "dennis@example.com", R::Member, S::Disabled);
    let barbara = b.user("Barbara", "Liskov", "barbara@example.com", R::Member, S::Pending);
    let all = vec![ada, grace, linus, margaret, alan, katherine, dennis, barbara];

    let everyone = b.group("Everyone", GroupType::System, all, default);
    let engineering = b.group("Engineering", GroupType::Manual, vec![grace, linus, margaret], strict);
    let finance = b.group("Finance (Okta)", GroupType::Synced, vec![alan, katherine], default);

    let production = b.network("Production", RemoteNetworkLocation::Aws);
    let office = b.network("Office", RemoteNetworkLocation::OnPremise);

    let now = b.t;
    let pk = b.db.alloc_pk();
    b.db.connectors.insert(
        pk,
        ConnectorRec {
            name: "calm-otter".into(),
            remote_network: production,
            state: ConnectorState::Alive,
            last_heartbeat_at: now.checked_sub(SignedDuration::from_secs(20)).ok(),
            hostname: Some("ip-10-0-1-17.ec2.internal".into()),
            version: Some("1.76.0".into()),
            public_ip: Some("203.0.113.10".into()),
            private_ips: vec!["10.0.1.17".into()],
            has_status_notifications_enabled: true,
            created_at: b.ago(240),
            updated_at: now,
            tokens: None,
        },
    );
    let pk = b.db.alloc_pk();
    b.db.connectors.insert(
        pk,
        ConnectorRec {
            name: "brave-heron".into(),
            remote_network: office,
            state: ConnectorState::DeadNoHeartbeat,
            last_heartbeat_at: None,
            hostname: None,
            version: None,
            public_ip: None,
            private_ips: Vec::new(),
            has_status_notifications_enabled: true,
            created_at: b.ago(30),
            updated_at: b.ago(30),
            tokens: None,
        },
    );

    let web = b.resource("demo-web", "127.0.0.1", production);
    let db_res = b.resource("prod-db", "db.prod.internal", production);
    let grafana = b.resource("grafana", "grafana.prod.internal", production);
    let vpc = b.resource("Production VPC", "10.0.0.0/16", production);
    let wiki = b.resource("Wiki", "wiki.office.example.com", office);
    let printers = b.resource("Office printers", "*.printers.office.example.com", office);
    let nas = b.resource("NAS", "192.168.10.20", office);

    let edge = |p| AccessRec::bare(PrincipalRef::Group(p));
    if let Some(r) = b.db.resources.get_mut(&web) {
        r.alias = Some("web.demo.internal".into());
        r.is_browser_shortcut_enabled = true;
        r.tags = vec![("env".into(), "demo".into()), ("team".into(), "web".into())];
        r.access = vec![edge(everyone)];
    }
    if let Some(r) = b.db.resources.get_mut(&db_res) {
        let tcp =
            ProtocolRec { policy: ProtocolPolicy::Restricted, ports: vec![PortRangeRec { start: 5432, end: 5432 }] };
        r.protocols = ProtocolsRec {
            allow_icmp: false,
            tcp,
            udp: ProtocolRec { policy: ProtocolPolicy::Restricted, ports: Vec::new() },
        };
        r.security_policy = Some(strict);
        r.tags = vec![("env".into(), "prod".into()), ("team".into(), "data".into())];
        let mut e = edge(engineering);
        e.security_policy = Some(strict);
        r.access = vec![e];
    }
    if let Some(r) = b.db.resources.get_mut(&grafana) {
        let https = ProtocolRec {
            policy: ProtocolPolicy::Restricted,
            ports: vec![PortRangeRec { start: 443, end: 443 }, PortRangeRec { start: 3000, end: 3000 }],
        };
        r.protocols = ProtocolsRec {
            allow_icmp: false,
            tcp: https,
            udp: ProtocolRec { policy: ProtocolPolicy::Restricted, ports: Vec::new() },
        };
        r.tags = vec![("team".into(), "observability".into())];
        r.access = vec![edge(engineering)];
    }
    if let Some(r) = b.db.resources.get_mut(&vpc) {
        r.tags = vec![("env".into(), "prod".into())];
        r.access = vec![edge(engineering)];
    }
    if let Some(r) = b.db.resources.get_mut(&wiki) {
        r.is_browser_shortcut_enabled = true;
        r.access = vec![edge(everyone), edge(finance)];
    }
    if let Some(r) = b.db.resources.get_mut(&printers) {
        r.access = vec![edge(everyone)];
    }
    if let Some(r) = b.db.resources.get_mut(&nas) {
        r.is_visible = false;
        r.access = vec![edge(engineering)];
    }

    use DeviceOsName as O;
    use DeviceType as T;
    b.device("Ada's MacBook Pro", ada, Platform(T::Laptop, O::MacOs, "15.3.1"), "C02XK0AAJG5H", true, D::Active);
    b.device("Grace's ThinkPad", grace, Platform(T::Laptop, O::Linux, "Ubuntu 24.04"), "PF3ABC12", true, D::Active);
    b.device("LINUS-DESKTOP", linus, Platform(T::Desktop, O::Windows, "11 23H2"), "5CG1234XYZ", false, D::Active);
    b.device("Margaret's iPhone", margaret, Platform(T::Mobile, O::Ios, "18.2"), "F2LXK9ABCD12", false, D::Active);
    b.device("Old laptop", dennis, Platform(T::Laptop, O::Windows, "10 22H2"), "5CG0000OLD", false, D::Archived);
}
