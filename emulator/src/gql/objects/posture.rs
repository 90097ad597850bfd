//! The serial number allow-list and device posture.
//!
//! `SerialNumber`, its connection and filter are from the July-2024 introspection. The
//! `DevicePosture` fields are those the Twingate-Labs CLI selects (`devicePosture(id:)`,
//! src/tgcli/queries/devices.py; `iru` from its feature branch, which records `kandji` as
//! deprecated for it); the names of its sub-types and the nullability of their fields are not
//! public and are the emulator's guess. No device reports posture to the emulator, so every
//! check is null.

use std::sync::Arc;

use async_graphql::{ID, Object, Result, SimpleObject};

use super::{Device, connection, object_base};
use crate::gql::filters::SerialNumberFilterInput;
use crate::gql::{DateTime, dt};
use crate::ids;
use crate::model::*;

connection!(SerialNumberConnection, SerialNumberEdge, SerialNumber);
object_base!(SerialNumber, serial_numbers, SerialNumberRec);

/// Devices whose serial number is this one.
fn matched(db: &Db, serial: &str) -> Vec<u64> {
    db.devices.iter().filter(|(_, d)| d.serial_number.as_deref() == Some(serial)).map(|(pk, _)| *pk).collect()
}

pub(crate) fn list_serial_numbers(db: &Arc<Db>, filter: &Option<SerialNumberFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, s) in &db.serial_numbers {
        if SerialNumberFilterInput::ok(filter, s, !matched(db, &s.serial_number).is_empty())? {
            out.push(*pk);
        }
    }
    Ok(out)
}

#[Object]
impl SerialNumber {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("SerialNumber", self.pk)
    }
    async fn serial_number(&self) -> Result<String> {
        Ok(self.rec()?.serial_number.clone())
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    /// List of Devices that are serial number verified and match this serial number.
    async fn matched_devices(&self) -> Result<Vec<Device>> {
        let serial = &self.rec()?.serial_number;
        Ok(matched(&self.db, serial).into_iter().map(|pk| Device::new(self.db.clone(), pk)).collect())
    }
}

#[derive(SimpleObject, Default)]
pub(crate) struct DevicePostureCheck {
    is_satisfied: Option<bool>,
    detected: Option<bool>,
}

#[derive(SimpleObject, Default)]
pub(crate) struct DevicePostureOsVersion {
    is_satisfied: Option<bool>,
    version: Option<String>,
}

#[derive(SimpleObject, Default)]
pub(crate) struct DevicePostureIntegration {
    is_verified: Option<bool>,
    failure_reason: Option<String>,
    expired_at: Option<DateTime>,
    failure_details: Option<String>,
}

#[derive(SimpleObject, Default)]
pub(crate) struct DevicePostureManualVerification {
    is_verified: Option<bool>,
    value: Option<String>,
}

/// What a device's client last reported about its security posture.
#[derive(SimpleObject, Default)]
pub(crate) struct DevicePosture {
    hard_drive_encryption: Option<DevicePostureCheck>,
    screen_lock_passcode: Option<DevicePostureCheck>,
    firewall: Option<DevicePostureCheck>,
    biometric: Option<DevicePostureCheck>,
    antivirus: Option<DevicePostureCheck>,
    os_version: Option<DevicePostureOsVersion>,
    crowdstrike: Option<DevicePostureIntegration>,
    jamf: Option<DevicePostureIntegration>,
    #[graphql(deprecation = "Use `iru` instead.")]
    kandji: Option<DevicePostureIntegration>,
    iru: Option<DevicePostureIntegration>,
    in_tune: Option<DevicePostureIntegration>,
    sentinel_one: Option<DevicePostureIntegration>,
    one_password: Option<DevicePostureIntegration>,
    manual_verification: Option<DevicePostureManualVerification>,
}
