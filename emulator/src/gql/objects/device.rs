//! Security policies and devices.

use std::sync::Arc;

use async_graphql::{ID, Object, Result};

use super::{GroupConnection, User, connection, list_groups, object_base};
use crate::gql::filters::{DeviceFilterInput, GroupFilterInput, SecurityPolicyFilterField};
use crate::gql::{DateTime, PageArgs, dt};
use crate::ids;
use crate::model::*;

connection!(SecurityPolicyConnection, SecurityPolicyEdge, SecurityPolicy);
connection!(DeviceConnection, DeviceEdge, Device);

object_base!(SecurityPolicy, security_policies, SecurityPolicyRec);
object_base!(Device, devices, DeviceRec);

pub(crate) fn list_security_policies(db: &Arc<Db>, filter: &Option<SecurityPolicyFilterField>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, p) in &db.security_policies {
        if SecurityPolicyFilterField::ok(filter, p)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub(crate) fn list_devices(db: &Arc<Db>, filter: &Option<DeviceFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, d) in &db.devices {
        if DeviceFilterInput::ok(filter, d)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

#[Object]
impl SecurityPolicy {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("SecurityPolicy", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn policy_type(&self) -> Result<SecurityPolicyType> {
        Ok(self.rec()?.policy_type)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn groups(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<GroupFilterInput>,
    ) -> Result<GroupConnection> {
        let pks = self.db.groups.iter().filter(|(_, g)| g.security_policy == self.pk).map(|(pk, _)| *pk);
        let pks = list_groups(&self.db, pks, &filter)?;
        GroupConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl Device {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("Device", self.pk)
    }
    async fn name(&self) -> Result<Option<String>> {
        Ok(self.rec()?.name.clone())
    }
    async fn user(&self) -> Result<User> {
        Ok(User::new(self.db.clone(), self.rec()?.user))
    }
    async fn is_trusted(&self) -> Result<bool> {
        Ok(self.rec()?.is_trusted)
    }
    async fn active_state(&self) -> Result<DeviceActiveState> {
        Ok(self.rec()?.active_state)
    }
    async fn device_type(&self) -> Result<DeviceType> {
        Ok(self.rec()?.device_type)
    }
    async fn os_name(&self) -> Result<Option<DeviceOsName>> {
        Ok(self.rec()?.os_name)
    }
    async fn os_version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.os_version.clone())
    }
    async fn client_version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.client_version.clone())
    }
    async fn hardware_model(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hardware_model.clone())
    }
    async fn manufacturer_name(&self) -> Result<Option<String>> {
        Ok(self.rec()?.manufacturer_name.clone())
    }
    async fn hostname(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hostname.clone())
    }
    async fn username(&self) -> Result<Option<String>> {
        Ok(self.rec()?.username.clone())
    }
    async fn serial_number(&self) -> Result<Option<String>> {
        Ok(self.rec()?.serial_number.clone())
    }
    async fn last_failed_login_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_failed_login_at.map(dt))
    }
    async fn last_successful_login_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_successful_login_at.map(dt))
    }
    // July-2024 introspection: `String!`. The one value seen in public is `MACHINE_KEY`
    // (Twingate-Labs CLI tests/commands/test_devices.py).
    /// The Device's internet security configuration.
    async fn internet_security_configuration(&self) -> Result<String> {
        self.rec()?;
        Ok("MACHINE_KEY".into())
    }
    // Deprecated and always null (July-2024 introspection), still selected by the Twingate-Labs
    // CLI.
    #[graphql(deprecation = "The last connected timestamp is no longer available.")]
    async fn last_connected_at(&self) -> Option<DateTime> {
        None
    }
}
