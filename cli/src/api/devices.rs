//! Devices: the machines users sign in from. The API can trust or untrust, archive or unarchive,
//! block or unblock them, one device per request.

use graphql_client::GraphQLQuery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::groups::{Member, WireMember};
use super::paginate::Page;
use super::{Client, DateTime, Named, api_label, gen_enum, page_of, wire};
use crate::error::Result;

#[allow(dead_code)]
type _Scalars = DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/list.graphql",
    response_derives = "Debug, Serialize",
    variables_derives = "Deserialize",
    skip_serializing_none
)]
pub struct DeviceList;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/get.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceGet;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/trust.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceTrust;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/archive.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceArchive;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/unarchive.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceUnarchive;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/block.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceBlock;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/device/unblock.graphql",
    response_derives = "Debug, Serialize"
)]
pub struct DeviceUnblock;

/// Active, archived (hidden, can sign in again) or blocked (cannot sign in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all(serialize = "kebab-case", deserialize = "SCREAMING_SNAKE_CASE"))]
pub enum DeviceState {
    Active,
    Archived,
    Blocked,
}

/// A device as tgctl shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: String,
    pub name: Option<String>,
    #[serde(deserialize_with = "member")]
    pub user: Option<Member>,
    pub is_trusted: bool,
    #[serde(rename(serialize = "state"))]
    pub active_state: DeviceState,
    #[serde(deserialize_with = "label")]
    pub device_type: String,
    #[serde(deserialize_with = "opt_label")]
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub client_version: Option<String>,
    pub hardware_model: Option<String>,
    pub manufacturer_name: Option<String>,
    pub hostname: Option<String>,
    pub username: Option<String>,
    pub serial_number: Option<String>,
    pub last_successful_login_at: Option<Timestamp>,
    pub last_failed_login_at: Option<Timestamp>,
}

fn member<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Member>, D::Error> {
    Ok(Option::<WireMember>::deserialize(d)?.map(Member::from))
}

fn label<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(api_label(&String::deserialize(d)?))
}

fn opt_label<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| api_label(&s)))
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
    pub fn label(&self) -> &str {
        self.name.as_deref().or(self.hostname.as_deref()).unwrap_or(&self.id)
    }
}

/// List filters the API applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub states: Vec<DeviceState>,
    pub trusted: Option<bool>,
    pub serial: Option<String>,
}

/// One page of devices.
pub async fn list_page(client: &Client, filter: &Filter, after: Option<String>, first: i64) -> Result<Page<Device>> {
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
    page_of(data.devices, |n: Device| Ok(n))
}

/// Every device matching `filter` (for resolving names and `--filter`; lists stream instead).
pub async fn all(client: &Client, filter: &Filter) -> Result<Vec<Device>> {
    super::collect(None, |after, first| list_page(client, filter, after, first)).await
}

/// The device with this ID, or `None`.
pub async fn get(client: &Client, id: &str) -> Result<Option<Device>> {
    let data = client.post::<DeviceGet>(device_get::Variables { id: id.to_owned() }).await?;
    data.device.map(wire).transpose()
}

/// What can be done to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Trust,
    Untrust,
    Archive,
    Unarchive,
    Block,
    Unblock,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Trust => "trust",
            Action::Untrust => "untrust",
            Action::Archive => "archive",
            Action::Unarchive => "unarchive",
            Action::Block => "block",
            Action::Unblock => "unblock",
        }
    }

    pub fn past(self) -> &'static str {
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
    pub fn is_done(self, d: &Device) -> bool {
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
pub async fn apply(client: &Client, id: &str, action: Action) -> Result<Device> {
    let owned = id.to_owned();
    let (op, entity) = match action {
        Action::Trust | Action::Untrust => {
            let vars = device_trust::Variables { id: owned, is_trusted: action == Action::Trust };
            ("deviceUpdate", client.post::<DeviceTrust>(vars).await?.device_update.entity.map(wire).transpose()?)
        }
        Action::Archive => {
            let data = client.post::<DeviceArchive>(device_archive::Variables { id: owned }).await?;
            ("deviceArchive", data.device_archive.entity.map(wire).transpose()?)
        }
        Action::Unarchive => {
            let data = client.post::<DeviceUnarchive>(device_unarchive::Variables { id: owned }).await?;
            ("deviceUnarchive", data.device_unarchive.entity.map(wire).transpose()?)
        }
        Action::Block => {
            let data = client.post::<DeviceBlock>(device_block::Variables { id: owned }).await?;
            ("deviceBlock", data.device_block.entity.map(wire).transpose()?)
        }
        Action::Unblock => {
            let data = client.post::<DeviceUnblock>(device_unblock::Variables { id: owned }).await?;
            ("deviceUnblock", data.device_unblock.entity.map(wire).transpose()?)
        }
    };
    super::echoed(client, op, entity, get(client, id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn fixture() -> serde_json::Value {
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
        let typed: device_list::DeviceListDevicesEdgesNode = serde_json::from_value(fixture()).unwrap();
        let d: Device = wire(typed).unwrap();
        assert_eq!((d.os_name.as_deref(), d.device_type.as_str()), (Some("mac-os"), "laptop"));
        assert_eq!(d.user.as_ref().unwrap().name, "Ada Lovelace");
        assert!(Action::Untrust.is_done(&d) && !Action::Trust.is_done(&d));
        assert!(Action::Unblock.is_done(&d) && !Action::Archive.is_done(&d));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["state"], "active");
        assert_eq!(json["user"]["email"], "ada@example.com");
    }
}
