//! `serialNumbersCreate` and `serialNumbersDelete`: the allow-list of device serial numbers
//! (July-2024 introspection; the Twingate-Labs CLI's `PM_serialNumbersCreate`/`Delete`).
//! What the API does with a serial number it already has, or one it does not have, is not
//! public: the emulator treats both as done (a list is added, or removed, as a whole).

use async_graphql::{Context, InputObject, MergedObject, Result, SimpleObject};

use super::{MutErr, Mutation, MutationField, delete_payload, non_blank, store};
use crate::gql::objects::SerialNumber;
use crate::model::*;

// The one payload with a list: `entities`, the serial numbers created.
#[derive(SimpleObject)]
pub(crate) struct SerialNumbersCreateMutation {
    ok: bool,
    error: Option<String>,
    entities: Option<Vec<SerialNumber>>,
}

delete_payload!(SerialNumbersDeleteMutation);

#[derive(MergedObject, Default)]
#[graphql(name = "SerialNumberMutations")]
pub(crate) struct Mutations(MutationField<SerialNumbersCreate>, MutationField<SerialNumbersDelete>);

/// The trimmed, non-blank serial numbers, without repeats, in order.
fn clean(list: &[String]) -> Result<Vec<String>, MutErr> {
    let mut out: Vec<String> = Vec::new();
    for s in list {
        let s = non_blank(s, "Serial number")?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

#[derive(InputObject)]
#[graphql(name = "SerialNumbersCreateArguments")]
pub(crate) struct SerialNumbersCreate {
    serial_numbers: Vec<String>,
}

impl Mutation for SerialNumbersCreate {
    const NAME: &'static str = "serialNumbersCreate";
    type Payload = SerialNumbersCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let mut pks = Vec::new();
            for serial in clean(&self.serial_numbers)? {
                let existing = db.serial_numbers.iter().find(|(_, s)| s.serial_number == serial).map(|(pk, _)| *pk);
                let pk = match existing {
                    Some(pk) => pk,
                    None => {
                        let pk = db.alloc_pk();
                        let created_at = db.now();
                        db.serial_numbers.insert(pk, SerialNumberRec { serial_number: serial, created_at });
                        pk
                    }
                };
                pks.push(pk);
            }
            Ok(pks)
        });
        Ok(match r {
            Ok(pks) => SerialNumbersCreateMutation {
                ok: true,
                error: None,
                entities: Some(pks.into_iter().map(|pk| SerialNumber::new(db.clone(), pk)).collect()),
            },
            Err(MutErr::Biz(m)) => SerialNumbersCreateMutation { ok: false, error: Some(m), entities: None },
            Err(MutErr::Gql(e)) => return Err(e),
        })
    }
}

#[derive(InputObject)]
#[graphql(name = "SerialNumbersDeleteArguments")]
pub(crate) struct SerialNumbersDelete {
    serial_numbers: Vec<String>,
}

impl Mutation for SerialNumbersDelete {
    const NAME: &'static str = "serialNumbersDelete";
    type Payload = SerialNumbersDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let gone = clean(&self.serial_numbers)?;
            db.serial_numbers.retain(|_, s| !gone.contains(&s.serial_number));
            Ok(())
        });
        SerialNumbersDeleteMutation::from(r)
    }
}
