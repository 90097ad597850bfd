//! Remote networks and connectors.

use std::sync::Arc;

use async_graphql::{ID, Object, Result};

use super::{ResourceConnection, connection, list_resources, object_base};
use crate::gql::filters::{ConnectorFilterInput, RemoteNetworkFilterInput, ResourceFilterInput};
use crate::gql::{DateTime, PageArgs, dt};
use crate::ids;
use crate::model::*;

connection!(RemoteNetworkConnection, RemoteNetworkEdge, RemoteNetwork);
connection!(ConnectorConnection, ConnectorEdge, Connector);

object_base!(RemoteNetwork, remote_networks, RemoteNetworkRec);
object_base!(Connector, connectors, ConnectorRec);

pub(crate) fn list_remote_networks(db: &Arc<Db>, filter: &Option<RemoteNetworkFilterInput>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, r) in &db.remote_networks {
        if RemoteNetworkFilterInput::ok(filter, r)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

pub(crate) fn list_connectors(
    db: &Arc<Db>,
    network: Option<u64>,
    filter: &Option<ConnectorFilterInput>,
) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for (pk, c) in &db.connectors {
        if network.is_none_or(|n| n == c.remote_network) && ConnectorFilterInput::ok(filter, c)? {
            out.push(*pk);
        }
    }
    Ok(out)
}

#[Object]
impl RemoteNetwork {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("RemoteNetwork", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn is_active(&self) -> Result<bool> {
        Ok(self.rec()?.is_active)
    }
    async fn location(&self) -> Result<RemoteNetworkLocation> {
        Ok(self.rec()?.location)
    }
    async fn network_type(&self) -> Result<RemoteNetworkType> {
        Ok(self.rec()?.network_type)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
    async fn connectors(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ConnectorFilterInput>,
    ) -> Result<ConnectorConnection> {
        let pks = list_connectors(&self.db, Some(self.pk), &filter)?;
        ConnectorConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
    async fn resources(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        filter: Option<ResourceFilterInput>,
    ) -> Result<ResourceConnection> {
        let pks = self.db.resources.iter().filter(|(_, r)| r.remote_network == self.pk).map(|(pk, _)| *pk);
        let pks = list_resources(&self.db, pks, &filter)?;
        ResourceConnection::build(&self.db, pks, &PageArgs::new(after, before, first, last))
    }
}

#[Object]
impl Connector {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("Connector", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn remote_network(&self) -> Result<RemoteNetwork> {
        Ok(RemoteNetwork::new(self.db.clone(), self.rec()?.remote_network))
    }
    async fn state(&self) -> Result<ConnectorState> {
        Ok(self.rec()?.state)
    }
    async fn last_heartbeat_at(&self) -> Result<Option<DateTime>> {
        Ok(self.rec()?.last_heartbeat_at.map(dt))
    }
    async fn hostname(&self) -> Result<Option<String>> {
        Ok(self.rec()?.hostname.clone())
    }
    async fn version(&self) -> Result<Option<String>> {
        Ok(self.rec()?.version.clone())
    }
    #[graphql(name = "publicIP")]
    async fn public_ip(&self) -> Result<Option<String>> {
        Ok(self.rec()?.public_ip.clone())
    }
    #[graphql(name = "privateIPs")]
    async fn private_ips(&self) -> Result<Vec<String>> {
        Ok(self.rec()?.private_ips.clone())
    }
    async fn has_status_notifications_enabled(&self) -> Result<bool> {
        Ok(self.rec()?.has_status_notifications_enabled)
    }
    async fn created_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.created_at))
    }
    async fn updated_at(&self) -> Result<DateTime> {
        Ok(dt(self.rec()?.updated_at))
    }
}
