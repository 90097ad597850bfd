//! Filter inputs and how they match. Fields of one filter combine with AND; a null (or omitted)
//! field is no constraint.

use async_graphql::{ID, InputObject};
use regex::Regex;

use crate::ids;
use crate::model::*;

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct StringFilterOperatorInput {
    pub(crate) eq: Option<String>,
    pub(crate) ne: Option<String>,
    pub(crate) starts_with: Option<String>,
    pub(crate) ends_with: Option<String>,
    pub(crate) regexp: Option<String>,
    pub(crate) contains: Option<String>,
    #[graphql(name = "in")]
    pub(crate) in_: Option<Vec<String>>,
}

impl StringFilterOperatorInput {
    /// Whether `value` passes. A missing value (e.g. a user without an email) passes only `ne`.
    pub(crate) fn matches(&self, value: Option<&str>) -> async_graphql::Result<bool> {
        let Some(v) = value else {
            return Ok(self.eq.is_none()
                && self.starts_with.is_none()
                && self.ends_with.is_none()
                && self.regexp.is_none()
                && self.contains.is_none()
                && self.in_.is_none());
        };
        if self.eq.as_deref().is_some_and(|e| e != v)
            || self.ne.as_deref().is_some_and(|e| e == v)
            || self.starts_with.as_deref().is_some_and(|p| !v.starts_with(p))
            || self.ends_with.as_deref().is_some_and(|p| !v.ends_with(p))
            || self.contains.as_deref().is_some_and(|p| !v.contains(p))
            || self.in_.as_ref().is_some_and(|set| !set.iter().any(|s| s == v))
        {
            return Ok(false);
        }
        if let Some(pattern) = &self.regexp {
            let re = Regex::new(pattern)
                .map_err(|e| async_graphql::Error::new(format!("Invalid regular expression '{pattern}': {e}")))?;
            if !re.is_match(v) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn string_ok(f: &Option<StringFilterOperatorInput>, v: Option<&str>) -> async_graphql::Result<bool> {
    match f {
        Some(f) => f.matches(v),
        None => Ok(true),
    }
}

fn in_ok<T: PartialEq>(set: &Option<Vec<T>>, v: &T) -> bool {
    set.as_ref().is_none_or(|s| s.contains(v))
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct BooleanFilterOperatorInput {
    pub(crate) eq: Option<bool>,
}

impl BooleanFilterOperatorInput {
    fn ok(f: &Option<Self>, v: bool) -> bool {
        f.as_ref().and_then(|f| f.eq).is_none_or(|e| e == v)
    }
}

macro_rules! enum_filter {
    ($name:ident, $ty:ty) => {
        #[derive(InputObject, Clone, Debug, Default)]
        pub(crate) struct $name {
            #[graphql(name = "in")]
            pub(crate) in_: Option<Vec<$ty>>,
        }
        impl $name {
            fn ok(f: &Option<Self>, v: $ty) -> bool {
                f.as_ref().is_none_or(|f| in_ok(&f.in_, &v))
            }
        }
    };
}

enum_filter!(GroupTypeFilterOperatorInput, GroupType);
enum_filter!(UserRoleFilterOperatorInput, UserRole);
enum_filter!(ConnectorStateFilterOperatorInput, ConnectorState);
enum_filter!(DeviceActiveStateFilterOperatorInput, DeviceActiveState);
enum_filter!(SecurityPolicyTypeFilterOperatorInput, SecurityPolicyType);
enum_filter!(PrincipleTypeFilterOperatorInput, PrincipalType);

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct RemoteNetworkIdFilterOperationInput {
    pub(crate) eq: Option<ID>,
    #[graphql(name = "in")]
    pub(crate) in_: Option<Vec<ID>>,
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct TagValueFilterInput {
    pub(crate) eq: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub(crate) struct TagKeyValueFilterInput {
    pub(crate) key: String,
    pub(crate) value: TagValueFilterInput,
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct TagsFilterOperatorInput {
    pub(crate) and: Option<Vec<TagKeyValueFilterInput>>,
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct RemoteNetworkFilterInput {
    pub(crate) name: Option<StringFilterOperatorInput>,
}

impl RemoteNetworkFilterInput {
    pub(crate) fn ok(f: &Option<Self>, r: &RemoteNetworkRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        string_ok(&f.name, Some(&r.name))
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct ConnectorFilterInput {
    pub(crate) name: Option<StringFilterOperatorInput>,
    pub(crate) state: Option<ConnectorStateFilterOperatorInput>,
}

impl ConnectorFilterInput {
    pub(crate) fn ok(f: &Option<Self>, c: &ConnectorRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(ConnectorStateFilterOperatorInput::ok(&f.state, c.state) && string_ok(&f.name, Some(&c.name))?)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct ResourceFilterInput {
    pub(crate) name: Option<StringFilterOperatorInput>,
    pub(crate) tags: Option<TagsFilterOperatorInput>,
    pub(crate) remote_network_id: Option<RemoteNetworkIdFilterOperationInput>,
}

impl ResourceFilterInput {
    pub(crate) fn ok(f: &Option<Self>, r: &ResourceRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        if let Some(tags) = f.tags.as_ref().and_then(|t| t.and.as_ref()) {
            for want in tags {
                let hit = r.tags.iter().any(|(k, v)| *k == want.key && want.value.eq.as_ref().is_none_or(|e| e == v));
                if !hit {
                    return Ok(false);
                }
            }
        }
        if let Some(rn) = &f.remote_network_id {
            let pk_of = |id: &ID| ids::int_pk(id, "RemoteNetwork");
            if let Some(eq) = &rn.eq
                && pk_of(eq)? != Some(r.remote_network)
            {
                return Ok(false);
            }
            if let Some(set) = &rn.in_ {
                let mut any = false;
                for id in set {
                    any |= pk_of(id)? == Some(r.remote_network);
                }
                if !any {
                    return Ok(false);
                }
            }
        }
        string_ok(&f.name, Some(&r.name))
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct GroupFilterInput {
    pub(crate) name: Option<StringFilterOperatorInput>,
    #[graphql(name = "type")]
    pub(crate) type_: Option<GroupTypeFilterOperatorInput>,
    pub(crate) is_active: Option<BooleanFilterOperatorInput>,
    pub(crate) origin_id: Option<StringFilterOperatorInput>,
}

impl GroupFilterInput {
    pub(crate) fn ok(f: &Option<Self>, g: &GroupRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(GroupTypeFilterOperatorInput::ok(&f.type_, g.group_type)
            && BooleanFilterOperatorInput::ok(&f.is_active, g.is_active)
            && string_ok(&f.name, Some(&g.name))?
            && string_ok(&f.origin_id, g.origin_id.as_deref())?)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct UserFilterInput {
    pub(crate) first_name: Option<StringFilterOperatorInput>,
    pub(crate) last_name: Option<StringFilterOperatorInput>,
    pub(crate) email: Option<StringFilterOperatorInput>,
    pub(crate) role: Option<UserRoleFilterOperatorInput>,
}

impl UserFilterInput {
    pub(crate) fn ok(f: &Option<Self>, u: &UserRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(UserRoleFilterOperatorInput::ok(&f.role, u.role)
            && string_ok(&f.first_name, Some(&u.first_name))?
            && string_ok(&f.last_name, Some(&u.last_name))?
            && string_ok(&f.email, u.email.as_deref())?)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct ServiceAccountFilterInput {
    pub(crate) name: Option<StringFilterOperatorInput>,
}

impl ServiceAccountFilterInput {
    pub(crate) fn ok(f: &Option<Self>, s: &ServiceAccountRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        string_ok(&f.name, Some(&s.name))
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct SecurityPolicyFilterField {
    pub(crate) name: Option<StringFilterOperatorInput>,
    pub(crate) policy_type: Option<SecurityPolicyTypeFilterOperatorInput>,
}

impl SecurityPolicyFilterField {
    pub(crate) fn ok(f: &Option<Self>, p: &SecurityPolicyRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(SecurityPolicyTypeFilterOperatorInput::ok(&f.policy_type, p.policy_type)
            && string_ok(&f.name, Some(&p.name))?)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct DeviceFilterInput {
    pub(crate) active_state: Option<DeviceActiveStateFilterOperatorInput>,
    pub(crate) is_trusted: Option<BooleanFilterOperatorInput>,
    pub(crate) serial_number: Option<StringFilterOperatorInput>,
}

impl DeviceFilterInput {
    pub(crate) fn ok(f: &Option<Self>, d: &DeviceRec) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(DeviceActiveStateFilterOperatorInput::ok(&f.active_state, d.active_state)
            && BooleanFilterOperatorInput::ok(&f.is_trusted, d.is_trusted)
            && string_ok(&f.serial_number, d.serial_number.as_deref())?)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct AccessFilterInput {
    pub(crate) principal_type: Option<PrincipleTypeFilterOperatorInput>,
}

impl AccessFilterInput {
    pub(crate) fn ok(f: &Option<Self>, a: &AccessRec) -> bool {
        let Some(f) = f else { return true };
        let t = match a.principal {
            PrincipalRef::Group(_) => PrincipalType::Group,
            PrincipalRef::ServiceAccount(_) => PrincipalType::ServiceAccount,
        };
        PrincipleTypeFilterOperatorInput::ok(&f.principal_type, t)
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub(crate) struct SerialNumberFilterInput {
    pub(crate) has_matched_devices: Option<BooleanFilterOperatorInput>,
    pub(crate) serial_number: Option<StringFilterOperatorInput>,
}

impl SerialNumberFilterInput {
    pub(crate) fn ok(f: &Option<Self>, s: &SerialNumberRec, has_matched: bool) -> async_graphql::Result<bool> {
        let Some(f) = f else { return Ok(true) };
        Ok(BooleanFilterOperatorInput::ok(&f.has_matched_devices, has_matched)
            && string_ok(&f.serial_number, Some(&s.serial_number))?)
    }
}
