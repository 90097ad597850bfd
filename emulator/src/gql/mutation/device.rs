//! `deviceUpdate` (trust), `deviceArchive`, `deviceUnarchive`, `deviceBlock`, `deviceUnblock`.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};

use super::{Kind, MutErr, Mutation, MutationField, biz, need, payload, store};
use crate::gql::objects::Device;
use crate::model::*;

payload!(DeviceUpdateMutation, Device);
payload!(DeviceArchiveMutation, Device);
payload!(DeviceUnarchiveMutation, Device);
payload!(DeviceBlockMutation, Device);
payload!(DeviceUnblockMutation, Device);

#[derive(MergedObject, Default)]
#[graphql(name = "DeviceMutations")]
pub(crate) struct Mutations(
    MutationField<DeviceUpdate>,
    MutationField<DeviceArchive>,
    MutationField<DeviceUnarchive>,
    MutationField<DeviceBlock>,
    MutationField<DeviceUnblock>,
);

fn state_name(s: DeviceActiveState) -> &'static str {
    match s {
        DeviceActiveState::Active => "ACTIVE",
        DeviceActiveState::Archived => "ARCHIVED",
        DeviceActiveState::Blocked => "BLOCKED",
    }
}

/// Move a device from one of `from` to `to`, or refuse.
fn device_state(db: &mut Db, id: &str, from: &[DeviceActiveState], to: DeviceActiveState) -> Result<u64, MutErr> {
    let pk = need(db, id, Kind::Device)?;
    let d = db.devices.get_mut(&pk).expect("checked");
    if !from.contains(&d.active_state) {
        return biz(format!("Device is {}; it can't become {}", state_name(d.active_state), state_name(to)));
    }
    d.active_state = to;
    Ok(pk)
}

#[derive(InputObject)]
#[graphql(name = "DeviceUpdateArguments")]
pub(crate) struct DeviceUpdate {
    id: ID,
    is_trusted: bool,
}

impl Mutation for DeviceUpdate {
    const NAME: &'static str = "deviceUpdate";
    type Payload = DeviceUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Device)?;
            db.devices.get_mut(&pk).expect("checked").is_trusted = self.is_trusted;
            Ok(pk)
        });
        DeviceUpdateMutation::from(r.map(|pk| Device::new(db, pk)))
    }
}

/// One of the four state changes: which states it leaves from, and where it goes.
macro_rules! state_change {
    ($args:ident, $field:literal, $args_name:literal, $payload:ident, [$($from:ident),+], $to:ident) => {
        #[derive(InputObject)]
        #[graphql(name = $args_name)]
        pub(crate) struct $args {
            id: ID,
        }

        impl Mutation for $args {
            const NAME: &'static str = $field;
            type Payload = $payload;

            async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
                let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
                    device_state(db, &self.id, &[$(DeviceActiveState::$from),+], DeviceActiveState::$to)
                });
                $payload::from(r.map(|pk| Device::new(db, pk)))
            }
        }
    };
}

state_change!(
    DeviceArchive,
    "deviceArchive",
    "DeviceArchiveArguments",
    DeviceArchiveMutation,
    [Active, Blocked],
    Archived
);
state_change!(
    DeviceUnarchive,
    "deviceUnarchive",
    "DeviceUnarchiveArguments",
    DeviceUnarchiveMutation,
    [Archived],
    Active
);
state_change!(DeviceBlock, "deviceBlock", "DeviceBlockArguments", DeviceBlockMutation, [Active, Archived], Blocked);
state_change!(DeviceUnblock, "deviceUnblock", "DeviceUnblockArguments", DeviceUnblockMutation, [Blocked], Active);
