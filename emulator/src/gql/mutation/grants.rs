//! Access edges: what `resourceAccess*`, `resourceCreate(groupIds:)`, and the resource lists of
//! groups and service accounts all change.

use async_graphql::MaybeUndefined;
use jiff::Timestamp;

use super::inputs::AccessInput;
use super::{IdList, Kind, MutErr, biz, need, need_all, need_principal};
use crate::model::*;

/// Add or update one access edge on a resource from an `AccessInput`.
pub(crate) fn upsert_access(db: &Db, r: &mut ResourceRec, input: &AccessInput) -> Result<(), MutErr> {
    let principal = need_principal(db, &input.principal_id)?;
    if matches!(principal, PrincipalRef::ServiceAccount(_))
        && (input.security_policy_id.is_value() || input.expires_at.is_value())
    {
        return biz("Service accounts can't have a security policy or an expiration on their access");
    }
    let policy = match &input.security_policy_id {
        MaybeUndefined::Value(id) => MaybeUndefined::Value(need(db, id, Kind::SecurityPolicy)?),
        MaybeUndefined::Null => MaybeUndefined::Null,
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    };
    let idx = match r.access.iter().position(|a| a.principal == principal) {
        Some(i) => i,
        None => {
            r.access.push(AccessRec::bare(principal));
            r.access.len() - 1
        }
    };
    let edge = &mut r.access[idx];
    fn apply<T: Clone, U>(slot: &mut Option<U>, v: &MaybeUndefined<T>, f: impl Fn(&T) -> U) {
        match v {
            MaybeUndefined::Value(v) => *slot = Some(f(v)),
            MaybeUndefined::Null => *slot = None,
            MaybeUndefined::Undefined => {}
        }
    }
    apply(&mut edge.security_policy, &policy, |pk| *pk);
    apply(&mut edge.expires_at, &input.expires_at, |d| d.0);
    apply(&mut edge.approval_mode, &input.approval_mode, |m| *m);
    apply(&mut edge.access_policy, &input.access_policy, |p| AccessPolicyRec {
        mode: p.mode,
        duration_seconds: p.duration_seconds,
    });
    apply(&mut edge.usage_based_autolock_duration_days, &input.usage_based_autolock_duration_days, |d| *d);
    Ok(())
}

/// Give `principal` access to each resource in `add` (keeping existing edges) and take it
/// away from each in `remove`.
pub(crate) fn edit_edges(db: &mut Db, principal: PrincipalRef, add: &[u64], remove: &[u64], now: Timestamp) {
    for pk in remove {
        if let Some(r) = db.resources.get_mut(pk) {
            let before = r.access.len();
            r.access.retain(|a| a.principal != principal);
            if r.access.len() != before {
                r.updated_at = now;
            }
        }
    }
    for pk in add {
        if let Some(r) = db.resources.get_mut(pk)
            && !r.access.iter().any(|a| a.principal == principal)
        {
            r.access.push(AccessRec::bare(principal));
            r.updated_at = now;
        }
    }
}

/// Apply replace (`set`) then delta (`added`, `removed`) resource lists for a principal.
pub(crate) fn edit_principal_resources(
    db: &mut Db,
    principal: PrincipalRef,
    set: &Option<IdList>,
    added: &Option<IdList>,
    removed: &Option<IdList>,
    now: Timestamp,
) -> Result<(), MutErr> {
    if let Some(set) = set {
        let keep = need_all(db, set, Kind::Resource)?;
        let drop: Vec<u64> = db.resources_of(principal).into_iter().filter(|pk| !keep.contains(pk)).collect();
        edit_edges(db, principal, &keep, &drop, now);
    }
    if let Some(added) = added {
        let add = need_all(db, added, Kind::Resource)?;
        edit_edges(db, principal, &add, &[], now);
    }
    if let Some(removed) = removed {
        let rm = need_all(db, removed, Kind::Resource)?;
        edit_edges(db, principal, &[], &rm, now);
    }
    Ok(())
}

/// `groupIds` (replace the groups with access, keeping the edges of those that stay), then
/// `addedGroupIds` and `removedGroupIds`, on one resource: the deprecated way to grant access
/// (July-2024 introspection's `resourceCreate`/`resourceUpdate`; the Terraform provider once
/// sent `removedGroupIds`, the Python CLI sends `groupIds`). Service account edges stay.
pub(crate) fn edit_resource_groups(
    db: &Db,
    r: &mut ResourceRec,
    set: &Option<IdList>,
    added: &Option<IdList>,
    removed: &Option<IdList>,
) -> Result<(), MutErr> {
    let is_group = |p: &PrincipalRef| matches!(p, PrincipalRef::Group(_));
    if let Some(set) = set {
        let keep: Vec<PrincipalRef> = need_all(db, set, Kind::Group)?.into_iter().map(PrincipalRef::Group).collect();
        r.access.retain(|a| !is_group(&a.principal) || keep.contains(&a.principal));
        for p in keep {
            if !r.access.iter().any(|a| a.principal == p) {
                r.access.push(AccessRec::bare(p));
            }
        }
    }
    if let Some(added) = added {
        for g in need_all(db, added, Kind::Group)? {
            if !r.access.iter().any(|a| a.principal == PrincipalRef::Group(g)) {
                r.access.push(AccessRec::bare(PrincipalRef::Group(g)));
            }
        }
    }
    if let Some(removed) = removed {
        let rm = need_all(db, removed, Kind::Group)?;
        r.access.retain(|a| !matches!(a.principal, PrincipalRef::Group(g) if rm.contains(&g)));
    }
    Ok(())
}
