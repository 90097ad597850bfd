//! `MutationsRoot`: every write, one file per noun (as the CLI is split).
//!
//! Each mutation is an arguments struct implementing [`Mutation`] (see `field.rs`); it runs on a
//! copy of the data through `Store::commit`, so an error leaves nothing half-applied. This file
//! holds what every noun shares: looking IDs up, business errors, and the payload types.

mod access;
mod connector;
mod device;
mod dns_filtering;
mod field;
mod gateway;
mod grants;
mod group;
mod inputs;
mod remote_network;
mod resource;
mod security_policy;
mod serial_number;
mod service_account;
mod service_key;
mod typed_resource;
mod user;

use std::sync::Arc;

use async_graphql::{Context, ID, MergedObject};

use crate::ids;
use crate::model::*;
use crate::store::Store;

pub(crate) use field::{Mutation, MutationField};

#[derive(MergedObject, Default)]
#[graphql(name = "MutationsRoot")]
pub(crate) struct MutationsRoot(
    remote_network::Mutations,
    connector::Mutations,
    resource::Mutations,
    access::Mutations,
    group::Mutations,
    user::Mutations,
    service_account::Mutations,
    service_key::Mutations,
    security_policy::Mutations,
    device::Mutations,
    serial_number::Mutations,
    typed_resource::Mutations,
    gateway::Mutations,
    dns_filtering::Mutations,
);

/// Why a mutation did not apply.
#[derive(Debug)]
pub(crate) enum MutErr {
    /// A GraphQL error (e.g. a malformed ID): the whole field fails.
    Gql(async_graphql::Error),
    /// A business error: `{ok: false, error}`.
    Biz(String),
}

impl From<async_graphql::Error> for MutErr {
    fn from(e: async_graphql::Error) -> Self {
        MutErr::Gql(e)
    }
}

pub(crate) fn biz<T>(msg: impl Into<String>) -> Result<T, MutErr> {
    Err(MutErr::Biz(msg.into()))
}

/// The data, through which every mutation commits.
pub(crate) fn store<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Store>> {
    ctx.data::<Arc<Store>>()
}

/// `{ok, error, entity}`: the payload of a mutation that returns the object it changed.
macro_rules! payload {
    ($(#[$attr:meta])* $name:ident, $entity:ty) => {
        #[derive(async_graphql::SimpleObject)]
        $(#[$attr])*
        pub(crate) struct $name {
            pub(crate) ok: bool,
            pub(crate) error: Option<String>,
            pub(crate) entity: Option<$entity>,
        }

        impl $name {
            pub(crate) fn from(r: Result<$entity, super::MutErr>) -> async_graphql::Result<Self> {
                match r {
                    Ok(e) => Ok($name { ok: true, error: None, entity: Some(e) }),
                    Err(super::MutErr::Biz(m)) => Ok($name { ok: false, error: Some(m), entity: None }),
                    Err(super::MutErr::Gql(e)) => Err(e),
                }
            }
        }
    };
}

/// `{ok, error}`: the payload of a delete.
macro_rules! delete_payload {
    ($(#[$attr:meta])* $name:ident) => {
        #[derive(async_graphql::SimpleObject)]
        $(#[$attr])*
        pub(crate) struct $name {
            pub(crate) ok: bool,
            pub(crate) error: Option<String>,
        }

        impl $name {
            pub(crate) fn from(r: Result<(), super::MutErr>) -> async_graphql::Result<Self> {
                match r {
                    Ok(()) => Ok($name { ok: true, error: None }),
                    Err(super::MutErr::Biz(m)) => Ok($name { ok: false, error: Some(m) }),
                    Err(super::MutErr::Gql(e)) => Err(e),
                }
            }
        }
    };
}

pub(crate) use {delete_payload, payload};

/// The kinds of object a mutation can name by ID.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    RemoteNetwork,
    Connector,
    Resource,
    Group,
    User,
    Device,
    SecurityPolicy,
    ServiceAccount,
    ServiceAccountKey,
    Gateway,
    X509CertificateAuthority,
    SshCertificateAuthority,
    DnsFilteringProfile,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::RemoteNetwork => "RemoteNetwork",
            Kind::Connector => "Connector",
            Kind::Resource => "Resource",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Device => "Device",
            Kind::SecurityPolicy => "SecurityPolicy",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::ServiceAccountKey => "ServiceAccountKey",
            Kind::Gateway => "Gateway",
            Kind::X509CertificateAuthority => "X509CertificateAuthority",
            Kind::SshCertificateAuthority => "SSHCertificateAuthority",
            Kind::DnsFilteringProfile => "DnsFilteringProfile",
        }
    }

    /// The `ok: false` error for an ID that names nothing of this kind. The Kubernetes operator's
    /// fixtures (modelled on the API's answers; it matches "does not exist" to make deletes
    /// idempotent) word gateways and certificate authorities without the ID.
    fn not_found(self, id: &str) -> String {
        match self {
            Kind::Gateway => "Gateway does not exist.".into(),
            Kind::X509CertificateAuthority | Kind::SshCertificateAuthority => {
                "Certificate authority does not exist.".into()
            }
            _ => ids::not_found(self.name(), id),
        }
    }
}

/// Resolve `id` as `kind`: malformed → GraphQL error, unknown/other type → `ok:false`.
pub(crate) fn need(db: &Db, id: &str, kind: Kind) -> Result<u64, MutErr> {
    let found = match kind {
        Kind::ServiceAccount => ids::raw_pk(id, kind.name())?.and_then(|u| db.sa_by_uuid(&u)),
        Kind::ServiceAccountKey => ids::raw_pk(id, kind.name())?.and_then(|u| db.key_by_uuid(&u)),
        _ => ids::int_pk(id, kind.name())?.filter(|pk| match kind {
            Kind::RemoteNetwork => db.remote_networks.contains_key(pk),
            Kind::Connector => db.connectors.contains_key(pk),
            Kind::Resource => db.resources.contains_key(pk),
            Kind::Group => db.groups.contains_key(pk),
            Kind::User => db.users.contains_key(pk),
            Kind::Device => db.devices.contains_key(pk),
            Kind::SecurityPolicy => db.security_policies.contains_key(pk),
            Kind::Gateway => db.gateways.contains_key(pk),
            Kind::X509CertificateAuthority => {
                db.certificate_authorities.get(pk).is_some_and(|c| c.kind == CaKind::X509)
            }
            Kind::SshCertificateAuthority => db.certificate_authorities.get(pk).is_some_and(|c| c.kind == CaKind::Ssh),
            Kind::DnsFilteringProfile => db.dns_profiles.contains_key(pk),
            Kind::ServiceAccount | Kind::ServiceAccountKey => false,
        }),
    };
    found.ok_or_else(|| MutErr::Biz(kind.not_found(id)))
}

/// A list of IDs as the API types it, `[ID]`: the list and its items may be null (July-2024
/// introspection, `Array<InputMaybe<Scalars["ID"]>>` for all 15 of them; the Kubernetes operator
/// declares `$userIds: [ID]`).
pub(crate) type IdList = Vec<Option<ID>>;

/// `need` for each ID of a list, without duplicates, in order. A null item can't name anything:
/// it is refused like a malformed ID.
pub(crate) fn need_all(db: &Db, list: &[Option<ID>], kind: Kind) -> Result<Vec<u64>, MutErr> {
    let mut out = Vec::with_capacity(list.len());
    for id in list {
        let id = id.as_ref().ok_or_else(|| async_graphql::Error::new(ids::PARSE_ERROR))?;
        let pk = need(db, id, kind)?;
        if !out.contains(&pk) {
            out.push(pk);
        }
    }
    Ok(out)
}

/// A group or a service account.
pub(crate) fn need_principal(db: &Db, id: &str) -> Result<PrincipalRef, MutErr> {
    let (ty, _) = ids::decode(id).ok_or_else(|| async_graphql::Error::new(ids::PARSE_ERROR))?;
    match ty.as_str() {
        "Group" => Ok(PrincipalRef::Group(need(db, id, Kind::Group)?)),
        "ServiceAccount" => Ok(PrincipalRef::ServiceAccount(need(db, id, Kind::ServiceAccount)?)),
        _ => biz(ids::not_found("Principal", id)),
    }
}

pub(crate) fn non_blank(value: &str, what: &str) -> Result<String, MutErr> {
    let v = value.trim();
    if v.is_empty() {
        return biz(format!("{what} can't be blank"));
    }
    Ok(v.to_string())
}
