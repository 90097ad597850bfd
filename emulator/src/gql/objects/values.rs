//! Small value types: addresses, protocols, tags, access policies, connector tokens.

use async_graphql::SimpleObject;

use crate::model::*;

#[derive(SimpleObject, Clone)]
pub(crate) struct ConnectorTokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct ResourceAddress {
    #[graphql(name = "type")]
    pub(crate) type_: AddressType,
    pub(crate) value: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct PortRange {
    pub(crate) start: i32,
    pub(crate) end: i32,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct ResourceProtocol {
    pub(crate) policy: ProtocolPolicy,
    pub(crate) ports: Vec<PortRange>,
}

impl From<&ProtocolRec> for ResourceProtocol {
    fn from(p: &ProtocolRec) -> Self {
        ResourceProtocol {
            policy: p.policy,
            ports: p.ports.iter().map(|r| PortRange { start: r.start, end: r.end }).collect(),
        }
    }
}

#[derive(SimpleObject, Clone)]
pub(crate) struct ResourceProtocols {
    pub(crate) allow_icmp: bool,
    pub(crate) tcp: ResourceProtocol,
    pub(crate) udp: ResourceProtocol,
}

impl From<&ProtocolsRec> for ResourceProtocols {
    fn from(p: &ProtocolsRec) -> Self {
        ResourceProtocols { allow_icmp: p.allow_icmp, tcp: (&p.tcp).into(), udp: (&p.udp).into() }
    }
}

#[derive(SimpleObject, Clone)]
pub(crate) struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

#[derive(SimpleObject, Clone)]
pub(crate) struct AccessPolicy {
    pub(crate) mode: AccessMode,
    pub(crate) duration_seconds: Option<i32>,
}

impl From<&AccessPolicyRec> for AccessPolicy {
    fn from(p: &AccessPolicyRec) -> Self {
        AccessPolicy { mode: p.mode, duration_seconds: p.duration_seconds }
    }
}

/// Classify an address: IPs and CIDR ranges are IP, everything else DNS.
pub(crate) fn address_type(address: &str) -> AddressType {
    let host = address.split_once('/').map_or(address, |(h, _)| h);
    if host.parse::<std::net::IpAddr>().is_ok() { AddressType::Ip } else { AddressType::Dns }
}
