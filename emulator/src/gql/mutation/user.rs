//! `userCreate`, `userDetailsUpdate`, `userRoleUpdate`, `userDelete`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::{Kind, Mutation, MutationField, biz, delete_payload, need, payload, store};
use crate::gql::objects::User;
use crate::model::*;

payload!(UserCreateMutation, User);
payload!(UserDetailsUpdateMutation, User);
payload!(UserRoleUpdateMutation, User);
delete_payload!(UserDeleteMutation);
delete_payload!(UserResetMfaMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "UserMutations")]
pub(crate) struct Mutations(
    MutationField<UserCreate>,
    MutationField<UserDetailsUpdate>,
    MutationField<UserRoleUpdate>,
    MutationField<UserDelete>,
    MutationField<UserResetMfa>,
);

#[derive(InputObject)]
#[graphql(name = "UserCreateArguments")]
pub(crate) struct UserCreate {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    role: Option<UserRole>,
    should_send_invite: Option<bool>,
}

impl Mutation for UserCreate {
    const NAME: &'static str = "userCreate";
    const DESCRIPTION: Option<&'static str> = Some("New users are PENDING until they accept the invitation.");
    type Payload = UserCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let email = self.email.trim().to_string();
            let valid = email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !email.contains(char::is_whitespace));
            if !valid {
                return biz(format!("'{email}' is not a valid email address"));
            }
            if db.users.values().any(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email))) {
                return biz(format!("A user with email '{email}' already exists"));
            }
            let now = db.now();
            let pk = db.alloc_pk();
            db.users.insert(
                pk,
                UserRec {
                    email: Some(email.clone()),
                    first_name: self.first_name.unwrap_or_default(),
                    last_name: self.last_name.unwrap_or_default(),
                    avatar_url: None,
                    role: self.role.unwrap_or(UserRole::Member),
                    state: UserState::Pending,
                    user_type: UserType::Manual,
                    created_at: now,
                    updated_at: now,
                },
            );
            if self.should_send_invite == Some(true) {
                db.invitations.push(InvitationRec { user: pk, email, sent_at: now });
            }
            Ok(pk)
        });
        UserCreateMutation::from(r.map(|pk| User::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "UserDetailsUpdateArguments")]
pub(crate) struct UserDetailsUpdate {
    id: ID,
    first_name: Option<String>,
    last_name: Option<String>,
    state: Option<UserStateUpdateInput>,
}

impl Mutation for UserDetailsUpdate {
    const NAME: &'static str = "userDetailsUpdate";
    type Payload = UserDetailsUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::User)?;
            let now = db.now();
            let u = db.users.get_mut(&pk).expect("checked");
            if let Some(state) = self.state {
                if u.state == UserState::Pending {
                    return biz("User in PENDING state");
                }
                u.state = match state {
                    UserStateUpdateInput::Active => UserState::Active,
                    UserStateUpdateInput::Disabled => UserState::Disabled,
                };
            }
            if let Some(f) = self.first_name {
                u.first_name = f;
            }
            if let Some(l) = self.last_name {
                u.last_name = l;
            }
            u.updated_at = now;
            Ok(pk)
        });
        UserDetailsUpdateMutation::from(r.map(|pk| User::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "UserRoleUpdateArguments")]
pub(crate) struct UserRoleUpdate {
    id: ID,
    role: UserRole,
}

impl Mutation for UserRoleUpdate {
    const NAME: &'static str = "userRoleUpdate";
    type Payload = UserRoleUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::User)?;
            let now = db.now();
            let u = db.users.get_mut(&pk).expect("checked");
            u.role = self.role;
            u.updated_at = now;
            Ok(pk)
        });
        UserRoleUpdateMutation::from(r.map(|pk| User::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "UserDeleteArguments")]
pub(crate) struct UserDelete {
    id: ID,
}

impl Mutation for UserDelete {
    const NAME: &'static str = "userDelete";
    type Payload = UserDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::User)?;
            db.users.remove(&pk);
            for g in db.groups.values_mut() {
                g.users.retain(|u| *u != pk);
            }
            db.devices.retain(|_, d| d.user != pk);
            Ok(())
        });
        UserDeleteMutation::from(r)
    }
}

/// `userResetMfa(id)` -> `{ok, error}` (the Twingate-Labs CLI's `RESET_USER_MFA`). The emulator
/// keeps no MFA enrolment, so a reset only checks the user exists (and counts in the stats).
#[derive(InputObject)]
#[graphql(name = "UserResetMfaArguments")]
pub(crate) struct UserResetMfa {
    id: ID,
}

impl Mutation for UserResetMfa {
    const NAME: &'static str = "userResetMfa";
    type Payload = UserResetMfaMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::User)?;
            let now = db.now();
            db.users.get_mut(&pk).expect("checked").updated_at = now;
            Ok(())
        });
        UserResetMfaMutation::from(r)
    }
}
