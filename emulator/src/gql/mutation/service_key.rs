//! `serviceAccountKeyCreate`, `serviceAccountKeyUpdate`, `serviceAccountKeyRevoke`,
//! `serviceAccountKeyDelete`: the service key lifecycle.

use async_graphql::{Context, ID, InputObject, MergedObject, Result, SimpleObject};
use jiff::SignedDuration;
use uuid::Uuid;

use super::{Kind, MutErr, Mutation, MutationField, biz, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::ServiceAccountKey;
use crate::model::*;

payload!(ServiceAccountKeyUpdateMutation, ServiceAccountKey);
payload!(ServiceAccountKeyRevokeMutation, ServiceAccountKey);
delete_payload!(ServiceAccountKeyDeleteMutation);

#[derive(SimpleObject)]
pub(crate) struct ServiceAccountKeyCreateMutation {
    ok: bool,
    error: Option<String>,
    entity: Option<ServiceAccountKey>,
    /// The service key JSON for a headless client. Returned once, here, and never again.
    token: Option<String>,
}

#[derive(MergedObject, Default)]
#[graphql(name = "ServiceAccountKeyMutations")]
pub(crate) struct Mutations(
    MutationField<ServiceAccountKeyCreate>,
    MutationField<ServiceAccountKeyUpdate>,
    MutationField<ServiceAccountKeyRevoke>,
    MutationField<ServiceAccountKeyDelete>,
);

/// The service key JSON a headless client reads (`twingate setup --headless`).
#[derive(serde::Serialize)]
struct ServiceKeyJson<'a> {
    version: &'a str,
    network: String,
    service_account_id: String,
    private_key: &'a str,
    key_id: String,
    expires_at: Option<String>,
    login_path: &'a str,
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountKeyCreateArguments")]
pub(crate) struct ServiceAccountKeyCreate {
    service_account_id: ID,
    expiration_time: i32,
    name: Option<String>,
}

impl Mutation for ServiceAccountKeyCreate {
    const NAME: &'static str = "serviceAccountKeyCreate";
    const DESCRIPTION: Option<&'static str> =
        Some("expirationTime is in days, 0 to 365; 0 means the key never expires.");
    type Payload = ServiceAccountKeyCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (private_pem, public_pem) = crate::login::generate_key()
            .map_err(|e| async_graphql::Error::new(format!("key generation failed: {e}")))?;
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let sa = need(db, &self.service_account_id, Kind::ServiceAccount)?;
            if !(0..=365).contains(&self.expiration_time) {
                return biz("A value from 0-365 is required.");
            }
            let now = db.now();
            let expires_at = (self.expiration_time > 0)
                .then(|| now.checked_add(SignedDuration::from_hours(24 * i64::from(self.expiration_time))))
                .transpose()
                .map_err(|e| MutErr::Biz(e.to_string()))?;
            let pk = db.alloc_pk();
            let uuid = Uuid::new_v4();
            let name = match self.name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => format!("{} key {}", db.service_accounts[&sa].name, &uuid.to_string()[..8]),
            };
            let sa_uuid = db.service_accounts[&sa].uuid;
            db.service_account_keys.insert(
                pk,
                KeyRec {
                    uuid,
                    name,
                    service_account: sa,
                    public_key_pem: public_pem.clone(),
                    expires_at,
                    revoked_at: None,
                    created_at: now,
                    updated_at: now,
                },
            );
            let token = ServiceKeyJson {
                version: "1",
                network: format!("{}.twingate.com", db.network),
                service_account_id: sa_uuid.to_string(),
                private_key: &private_pem,
                key_id: uuid.to_string(),
                expires_at: expires_at.map(format_ts),
                login_path: crate::login::LOGIN_PATH,
            };
            let token = serde_json::to_string(&token).map_err(|e| MutErr::Biz(e.to_string()))?;
            Ok((pk, token))
        });
        Ok(match r {
            Ok((pk, token)) => ServiceAccountKeyCreateMutation {
                ok: true,
                error: None,
                entity: Some(ServiceAccountKey::new(db, pk)),
                token: Some(token),
            },
            Err(MutErr::Biz(m)) => {
                ServiceAccountKeyCreateMutation { ok: false, error: Some(m), entity: None, token: None }
            }
            Err(MutErr::Gql(e)) => return Err(e),
        })
    }
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountKeyUpdateArguments")]
pub(crate) struct ServiceAccountKeyUpdate {
    id: ID,
    name: String,
}

impl Mutation for ServiceAccountKeyUpdate {
    const NAME: &'static str = "serviceAccountKeyUpdate";
    const DESCRIPTION: Option<&'static str> = Some("Renames an active key; the only change a key allows.");
    type Payload = ServiceAccountKeyUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::ServiceAccountKey)?;
            let name = non_blank(&self.name, "Name")?;
            match db.key_status(&db.service_account_keys[&pk]) {
                ServiceAccountKeyStatus::Active => {}
                ServiceAccountKeyStatus::Revoked => {
                    return biz("Only an active Service Key can be renamed; this key is revoked");
                }
                ServiceAccountKeyStatus::Expired => {
                    return biz("Only an active Service Key can be renamed; this key has expired");
                }
            }
            let now = db.now();
            let k = db.service_account_keys.get_mut(&pk).expect("checked");
            k.name = name;
            k.updated_at = now;
            Ok(pk)
        });
        ServiceAccountKeyUpdateMutation::from(r.map(|pk| ServiceAccountKey::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountKeyRevokeArguments")]
pub(crate) struct ServiceAccountKeyRevoke {
    id: ID,
}

impl Mutation for ServiceAccountKeyRevoke {
    const NAME: &'static str = "serviceAccountKeyRevoke";
    const DESCRIPTION: Option<&'static str> = Some("A revoked key never becomes active again.");
    type Payload = ServiceAccountKeyRevokeMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::ServiceAccountKey)?;
            match db.key_status(&db.service_account_keys[&pk]) {
                ServiceAccountKeyStatus::Active => {}
                ServiceAccountKeyStatus::Revoked => {
                    return biz("Service Key is already revoked");
                }
                ServiceAccountKeyStatus::Expired => {
                    return biz("Service Key has expired and can't be revoked");
                }
            }
            let now = db.now();
            let k = db.service_account_keys.get_mut(&pk).expect("checked");
            k.revoked_at = Some(now);
            k.updated_at = now;
            Ok(pk)
        });
        ServiceAccountKeyRevokeMutation::from(r.map(|pk| ServiceAccountKey::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "ServiceAccountKeyDeleteArguments")]
pub(crate) struct ServiceAccountKeyDelete {
    id: ID,
}

impl Mutation for ServiceAccountKeyDelete {
    const NAME: &'static str = "serviceAccountKeyDelete";
    const DESCRIPTION: Option<&'static str> = Some("Only a revoked or expired key can be deleted.");
    type Payload = ServiceAccountKeyDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::ServiceAccountKey)?;
            if db.key_status(&db.service_account_keys[&pk]) == ServiceAccountKeyStatus::Active {
                return biz("Service Key must be revoked before it can be deleted");
            }
            db.service_account_keys.remove(&pk);
            Ok(())
        });
        ServiceAccountKeyDeleteMutation::from(r)
    }
}
