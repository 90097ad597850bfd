//! Output types. Each object is a (snapshot, pk) pair that reads its record on demand.
//!
//! The object types refer to each other (a remote network lists its resources, a resource names
//! its remote network), so the files below reach each other through this module (`super::X`),
//! never directly.

mod device;
mod dns;
mod gateway;
mod identity;
mod network;
mod posture;
mod resource;
mod service_account;
mod values;

use async_graphql::{ID, Interface, Union};

pub(crate) use device::*;
pub(crate) use dns::*;
pub(crate) use gateway::*;
pub(crate) use identity::*;
pub(crate) use network::*;
pub(crate) use posture::*;
pub(crate) use resource::*;
pub(crate) use service_account::*;
pub(crate) use values::*;

fn gone() -> async_graphql::Error {
    async_graphql::Error::new("internal error: record vanished")
}

/// `XxxConnection` and `XxxEdge` for a node type with a `new(db, pk)` constructor.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident) => {
        #[derive(async_graphql::SimpleObject)]
        pub(crate) struct $edge {
            pub(crate) cursor: String,
            pub(crate) node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub(crate) struct $conn {
            pub(crate) edges: Vec<$edge>,
            pub(crate) page_info: crate::gql::PageInfo,
            pub(crate) total_count: i32,
        }

        impl $conn {
            pub(crate) fn build(
                db: &std::sync::Arc<crate::model::Db>,
                pks: Vec<u64>,
                page: &crate::gql::PageArgs,
            ) -> async_graphql::Result<Self> {
                let crate::gql::Page { items, page_info, total_count } = crate::gql::paginate(pks, page)?;
                let edges =
                    items.into_iter().map(|(cursor, pk)| $edge { cursor, node: $node::new(db.clone(), pk) }).collect();
                Ok($conn { edges, page_info, total_count })
            }
        }
    };
}

/// An object type that is a (snapshot, pk) pair over one table of the data.
macro_rules! object_base {
    ($name:ident, $table:ident, $rec:ty) => {
        #[derive(Clone)]
        pub(crate) struct $name {
            pub(crate) db: std::sync::Arc<crate::model::Db>,
            pub(crate) pk: u64,
        }

        impl $name {
            pub(crate) fn new(db: std::sync::Arc<crate::model::Db>, pk: u64) -> Self {
                $name { db, pk }
            }
            fn rec(&self) -> async_graphql::Result<&$rec> {
                self.db.$table.get(&self.pk).ok_or_else(super::gone)
            }
        }
    };
}

pub(crate) use {connection, object_base};

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub(crate) enum Node {
    RemoteNetwork(RemoteNetwork),
    Connector(Connector),
    NetworkResource(NetworkResource),
    KubernetesResource(KubernetesResource),
    WebAppResource(WebAppResource),
    Gateway(Gateway),
    X509CertificateAuthority(X509CertificateAuthority),
    SSHCertificateAuthority(SSHCertificateAuthority),
    SerialNumber(SerialNumber),
    DnsFilteringProfile(DnsFilteringProfile),
    Group(Group),
    User(User),
    ServiceAccount(ServiceAccount),
    ServiceAccountKey(ServiceAccountKey),
    SecurityPolicy(SecurityPolicy),
    Device(Device),
}

#[derive(Union)]
pub(crate) enum Principal {
    Group(Group),
    ServiceAccount(ServiceAccount),
}
