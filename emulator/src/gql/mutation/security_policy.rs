//! `securityPolicyUpdate`: policies are read-only through the API except for the groups assigned
//! to them (docs api-overview: "Read, and update Security Policies").

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::{IdList, Kind, Mutation, MutationField, need, need_all, payload, store};
use crate::gql::objects::SecurityPolicy;
use crate::model::*;

payload!(SecurityPolicyUpdateMutation, SecurityPolicy);

#[derive(MergedObject, Default)]
#[graphql(name = "SecurityPolicyMutations")]
pub(crate) struct Mutations(MutationField<SecurityPolicyUpdate>);

#[derive(InputObject)]
#[graphql(name = "SecurityPolicyUpdateArguments")]
pub(crate) struct SecurityPolicyUpdate {
    id: ID,
    group_ids: Option<IdList>,
    added_group_ids: Option<IdList>,
    removed_group_ids: Option<IdList>,
}

impl Mutation for SecurityPolicyUpdate {
    const NAME: &'static str = "securityPolicyUpdate";
    type Payload = SecurityPolicyUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::SecurityPolicy)?;
            let set = self.group_ids.as_deref().map(|l| need_all(db, l, Kind::Group)).transpose()?;
            let add = need_all(db, self.added_group_ids.as_deref().unwrap_or_default(), Kind::Group)?;
            let rm = need_all(db, self.removed_group_ids.as_deref().unwrap_or_default(), Kind::Group)?;
            let default = db.default_policy();
            let now = db.now();
            let assign = |db: &mut Db, g: u64, policy: u64| {
                if let Some(g) = db.groups.get_mut(&g)
                    && g.security_policy != policy
                {
                    g.security_policy = policy;
                    g.updated_at = now;
                }
            };
            if let Some(set) = set {
                let current: Vec<u64> =
                    db.groups.iter().filter(|(_, g)| g.security_policy == pk).map(|(g, _)| *g).collect();
                for g in current.into_iter().filter(|g| !set.contains(g)) {
                    assign(db, g, default);
                }
                for g in set {
                    assign(db, g, pk);
                }
            }
            for g in add {
                assign(db, g, pk);
            }
            for g in rm {
                if db.groups[&g].security_policy == pk {
                    assign(db, g, default);
                }
            }
            let p = db.security_policies.get_mut(&pk).expect("checked");
            p.updated_at = now;
            Ok(pk)
        });
        SecurityPolicyUpdateMutation::from(r.map(|pk| SecurityPolicy::new(db, pk)))
    }
}
