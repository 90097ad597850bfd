//! Service accounts and their keys.

use std::sync::Arc;

use async_graphql::{ID, Object, Result};

use super::{ResourceConnection, connection, list_resources, object_base};
use crate::gql::filters::{ResourceFilterInput, ServiceAccountFilterInput};
use crate::gql::{DateTime, PageArgs, dt};
use crate::ids;
use crate::model::*;

connection!(ServiceAccountConnection, ServiceAccountEdge, ServiceAccount);
connection!(ServiceAccountKeyConnection, ServiceAccountKeyEdge, ServiceAccountKey);

object_base!(ServiceAccount, service_accounts, ServiceAccountRec);
object_base!(ServiceAccountKey, service_account_keys, KeyRec);

pub(crate) fn list_service_accounts(db: &Arc<Db>, filter: &Option<ServiceAccountFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, s) in &db.service_accounts {
        if ServiceAccountFilterInput::ok(filter, s)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

#[Object]
impl ServiceAccount {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(ids::encode("ServiceAccount", self.rec()?.uuid))
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn resources(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let pks = self.db.resources_of(PrincipalRef::ServiceAccount(self.pk));
        let pks = list_resources(&self.db, pks, &filter)?;
        ResourceConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn keys(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ServiceAccountKeyConnection> {
        let pks = self
            .db
            .service_account_keys
            .iter()
            .filter(|(_, k)| k.service_account == self.pk)
            .map(|(pk, _)| *pk)
            .collect();
        ServiceAccountKeyConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl ServiceAccountKey {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(ids::encode("ServiceAccountKey", self.rec()?.uuid))
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn status(&self) -> Result<ServiceAccountKeyStatus> {
        Ok(self.db.key_status(self.rec()?))
    }
    async fn service_account(&self) -> Result<ServiceAccount> {
        Ok(ServiceAccount::new(self.db.clone(), self.rec()?.service_account))
    }
    async fn expires_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.expires_at.map(dt))
    }
    async fn revoked_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.revoked_at.map(dt))
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
}
