//! Devices: the machines users sign in from. The API can trust or untrust, archive or unarchive,
//! block or unblock them, one device per request.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::groups::Member;
use super::paginate::Page;
use super::{Client, Named, WireConn, WirePayload, api_label, api_name, from_api_enum, gen_enum};
use crate::error::{Error, Result};

/// The `DateTime` scalar, as the generated types read it (`use super::*`).
type DateTime = Timestamp;

// `DeviceGet` generates the fragment's struct; every other operation answers with it
// (`response_type`), so all of them share one type and one mapping.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_derives = "Debug"
)]
pub(crate) struct DeviceGet;

/// A device as the API answers it: the generated fragment.
pub(crate) type Fields = device_get::DeviceFields;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WireConn<Fields>",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub(crate) struct DeviceList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WirePayload<Fields>"
)]
pub(crate) struct DeviceTrust;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WirePayload<Fields>"
)]
pub(crate) struct DeviceArchive;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WirePayload<Fields>"
)]
pub(crate) struct DeviceUnarchive;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WirePayload<Fields>"
)]
pub(crate) struct DeviceBlock;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/device.graphql",
    response_type = "WirePayload<Fields>"
)]
pub(crate) struct DeviceUnblock;

/// Active, archived (hidden, can sign in again) or blocked (cannot sign in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub(crate) enum DeviceState {
    Active,
    Archived,
    Blocked,
}

/// A device as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Device {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) user: Option<Member>,
    pub(crate) is_trusted: bool,
    #[serde(rename(serialize = "state"))]
    pub(crate) active_state: DeviceState,
    pub(crate) device_type: String,
    pub(crate) os_name: Option<String>,
    pub(crate) os_version: Option<String>,
    pub(crate) client_version: Option<String>,
    pub(crate) hardware_model: Option<String>,
    pub(crate) manufacturer_name: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) serial_number: Option<String>,
    pub(crate) last_successful_login_at: Option<Timestamp>,
    pub(crate) last_failed_login_at: Option<Timestamp>,
}

impl TryFrom<Fields> for Device {
    type Error = Error;

    /// The one mapping: the state into ours (an unknown value is a bad response), the type and
    /// OS as labels, the user as a member.
    fn try_from(f: Fields) -> Result<Self> {
        let u = f.user;
        Ok(Device {
            id: f.id,
            name: f.name,
            user: Some(Member::new(u.id, u.email, &u.first_name, &u.last_name)),
            is_trusted: f.is_trusted,
            active_state: from_api_enum(&f.active_state)?,
            device_type: api_label(&api_name(&f.device_type)),
            os_name: f.os_name.map(|o| api_label(&api_name(&o))),
            os_version: f.os_version,
            client_version: f.client_version,
            hardware_model: f.hardware_model,
            manufacturer_name: f.manufacturer_name,
            hostname: f.hostname,
            username: f.username,
            serial_number: f.serial_number,
            last_successful_login_at: f.last_successful_login_at,
            last_failed_login_at: f.last_failed_login_at,
        })
    }
}

impl Named for Device {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

impl Device {
    /// The name, else the hostname, else the ID.
    pub(crate) fn label(&self) -> &str {
        self.name.as_deref().or(self.hostname.as_deref()).unwrap_or(&self.id)
    }
}

/// List filters the API applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) states: Vec<DeviceState>,
    pub(crate) trusted: Option<bool>,
    pub(crate) serial: Option<String>,
}

/// One page of devices.
pub(crate) async fn list_page(
    client: &Client,
    filter: &Filter,
    after: Option<String>,
    first: i64,
) -> Result<Page<Device>> {
    use device_list as q;
    let states = filter.states.iter().map(gen_enum).collect::<Result<Vec<q::DeviceActiveState>>>()?;
    let empty = states.is_empty() && filter.trusted.is_none() && filter.serial.is_none();
    let serial_number = filter.serial.as_deref().map(|s| super::NameFilter::exact(s).to_input()).transpose()?;
    let api_filter = (!empty).then(|| q::DeviceFilterInput {
        active_state: (!states.is_empty()).then_some(q::DeviceActiveStateFilterOperatorInput { in_: Some(states) }),
        is_trusted: filter.trusted.map(|t| q::BooleanFilterOperatorInput { eq: Some(t) }),
        serial_number,
    });
    let data = client.post::<DeviceList>(q::Variables { first, after, filter: api_filter }).await?;
    data.devices.into_page(Device::try_from)
}

/// Every device matching `filter` (for resolving names and `--filter`; lists stream instead).
pub(crate) async fn all(client: &Client, filter: &Filter) -> Result<Vec<Device>> {
    super::collect(None, |after, first| list_page(client, filter, after, first)).await
}

/// The device with this ID, or `None`.
pub(crate) async fn get(client: &Client, id: &str) -> Result<Option<Device>> {
    let data = client.post::<DeviceGet>(device_get::Variables { id: id.to_owned() }).await?;
    data.device.map(Device::try_from).transpose()
}

/// What can be done to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Trust,
    Untrust,
    Archive,
    Unarchive,
    Block,
    Unblock,
}

impl Action {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Action::Trust => "trust",
            Action::Untrust => "untrust",
            Action::Archive => "archive",
            Action::Unarchive => "unarchive",
            Action::Block => "block",
            Action::Unblock => "unblock",
        }
    }

    pub(crate) fn past(self) -> &'static str {
        match self {
            Action::Trust => "trusted",
            Action::Untrust => "untrusted",
            Action::Archive => "archived",
            Action::Unarchive => "unarchived",
            Action::Block => "blocked",
            Action::Unblock => "unblocked",
        }
    }

    /// True when the device is already as the action would leave it.
    pub(crate) fn is_done(self, d: &Device) -> bool {
        match self {
            Action::Trust => d.is_trusted,
            Action::Untrust => !d.is_trusted,
            Action::Archive => d.active_state == DeviceState::Archived,
            Action::Unarchive => d.active_state != DeviceState::Archived,
            Action::Block => d.active_state == DeviceState::Blocked,
            Action::Unblock => d.active_state != DeviceState::Blocked,
        }
    }
}

/// Applies one action to one device; returns the device afterwards.
pub(crate) async fn apply(client: &Client, id: &str, action: Action) -> Result<Device> {
    let owned = id.to_owned();
    let (op, entity) = match action {
        Action::Trust | Action::Untrust => {
            let vars = device_trust::Variables { id: owned, is_trusted: action == Action::Trust };
            (
                "deviceUpdate",
                client.post::<DeviceTrust>(vars).await?.device_update.entity.map(Device::try_from).transpose()?,
            )
        }
        Action::Archive => {
            let data = client.post::<DeviceArchive>(device_archive::Variables { id: owned }).await?;
            ("deviceArchive", data.device_archive.entity.map(Device::try_from).transpose()?)
        }
        Action::Unarchive => {
            let data = client.post::<DeviceUnarchive>(device_unarchive::Variables { id: owned }).await?;
            ("deviceUnarchive", data.device_unarchive.entity.map(Device::try_from).transpose()?)
        }
        Action::Block => {
            let data = client.post::<DeviceBlock>(device_block::Variables { id: owned }).await?;
            ("deviceBlock", data.device_block.entity.map(Device::try_from).transpose()?)
        }
        Action::Unblock => {
            let data = client.post::<DeviceUnblock>(device_unblock::Variables { id: owned }).await?;
            ("deviceUnblock", data.device_unblock.entity.map(Device::try_from).transpose()?)
        }
    };
    super::echoed(client, op, entity, get(client, id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fixture() -> serde_json::Value {
        serde_json::json!({
            "id": "RGV2aWNlOjE5MzI2OQ==", "name": "Ada's MacBook", "isTrusted": false, "activeState": "ACTIVE",
            "deviceType": "LAPTOP", "osName": "MAC_OS", "osVersion": "15.1", "clientVersion": "2025.1",
            "hardwareModel": "MacBookPro18,1", "manufacturerName": "Apple", "hostname": "adas-mbp",
            "username": "ada", "serialNumber": "C02XYZ", "lastSuccessfulLoginAt": "2026-01-01T00:00:00+00:00",
            "lastFailedLoginAt": null,
            "user": {"id": "VXNlcjox", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
        })
    }

    #[test]
    fn maps_a_device_and_knows_when_an_action_is_a_no_op() {
        let typed: Fields = serde_json::from_value(fixture()).unwrap();
        let d = Device::try_from(typed).unwrap();
        assert_eq!((d.os_name.as_deref(), d.device_type.as_str()), (Some("mac-os"), "laptop"));
        assert_eq!(d.user.as_ref().unwrap().name, "Ada Lovelace");
        assert!(Action::Untrust.is_done(&d) && !Action::Trust.is_done(&d));
        assert!(Action::Unblock.is_done(&d) && !Action::Archive.is_done(&d));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["state"], "active");
        assert_eq!(json["user"]["email"], "ada@example.com");
    }
}
