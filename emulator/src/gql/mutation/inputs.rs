//! Input types shared by several mutations: protocols, tags, access policies, access edges.

use async_graphql::{ID, InputObject, MaybeUndefined};

use crate::gql::DateTime;
use crate::model::*;

#[derive(InputObject, Clone, Debug)]
pub(crate) struct PortRangeInput {
    pub(crate) start: i32,
    pub(crate) end: i32,
}

// `ports: [PortRangeInput!]! = []` as in the July-2024 introspection (rendered there as
// `ports?: Array<PortRangeInput>`: non-null with a default).
/// Ports are used only with RESTRICTED; an empty list with RESTRICTED allows no port.
#[derive(InputObject, Clone, Debug)]
pub(crate) struct ProtocolInput {
    pub(crate) policy: ProtocolPolicy,
    #[graphql(default)]
    pub(crate) ports: Vec<PortRangeInput>,
}

#[derive(InputObject, Clone, Debug)]
pub(crate) struct ProtocolsInput {
    pub(crate) allow_icmp: bool,
    pub(crate) tcp: ProtocolInput,
    pub(crate) udp: ProtocolInput,
}

impl ProtocolsInput {
    /// The stored form. Ports only mean something with RESTRICTED: clients send `ports: []`
    /// with ALLOW_ALL (Terraform provider, `utils.Map` over no ports), and they are dropped.
    pub(crate) fn to_rec(&self) -> ProtocolsRec {
        let conv = |p: &ProtocolInput| ProtocolRec {
            policy: p.policy,
            ports: match p.policy {
                ProtocolPolicy::AllowAll => Vec::new(),
                ProtocolPolicy::Restricted => {
                    p.ports.iter().map(|r| PortRangeRec { start: r.start, end: r.end }).collect()
                }
            },
        };
        ProtocolsRec { allow_icmp: self.allow_icmp, tcp: conv(&self.tcp), udp: conv(&self.udp) }
    }
}

#[derive(InputObject, Clone, Debug)]
pub(crate) struct TagInput {
    pub(crate) key: String,
    pub(crate) value: String,
}

#[derive(InputObject, Clone, Debug)]
pub(crate) struct AccessPolicyInput {
    pub(crate) mode: AccessMode,
    pub(crate) duration_seconds: Option<i32>,
}

impl AccessPolicyInput {
    pub(crate) fn to_rec(&self) -> AccessPolicyRec {
        AccessPolicyRec { mode: self.mode, duration_seconds: self.duration_seconds }
    }
}

// The API's own description of `AccessInput` (July-2024 introspection) says so field by field.
/// One principal's access to a resource. For the optional fields an omitted field leaves the
/// edge's value unchanged and an explicit null removes it.
#[derive(InputObject, Clone, Debug)]
pub(crate) struct AccessInput {
    pub(crate) principal_id: ID,
    pub(crate) security_policy_id: MaybeUndefined<ID>,
    pub(crate) approval_mode: MaybeUndefined<AccessApprovalMode>,
    pub(crate) access_policy: MaybeUndefined<AccessPolicyInput>,
    pub(crate) expires_at: MaybeUndefined<DateTime>,
    pub(crate) usage_based_autolock_duration_days: MaybeUndefined<i32>,
}
