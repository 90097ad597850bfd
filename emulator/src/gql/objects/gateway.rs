//! Gateways and the certificate authorities they use (Terraform provider
//! `internal/client/query/gateway-*.go` and `*-certificate-authority-*.go`; Kubernetes operator
//! `app/api/client_gateways.py`, `client_certificate_authorities.py`).

use async_graphql::{ID, Object, Result, Union};

use super::{RemoteNetwork, object_base};
use crate::ids;
use crate::model::*;

// A gateway has no name and no timestamps (Twingate-Labs CLI commit 6e93a35, "Fix API schema
// mismatches found during live staging testing").
object_base!(Gateway, gateways, GatewayRec);
object_base!(X509CertificateAuthority, certificate_authorities, CertificateAuthorityRec);
object_base!(SSHCertificateAuthority, certificate_authorities, CertificateAuthorityRec);

#[Object]
impl Gateway {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("Gateway", self.pk)
    }
    async fn address(&self) -> Result<String> {
        Ok(self.rec()?.address.clone())
    }
    async fn remote_network(&self) -> Result<RemoteNetwork> {
        Ok(RemoteNetwork::new(self.db.clone(), self.rec()?.remote_network))
    }
    #[graphql(name = "x509CA")]
    async fn x509_ca(&self) -> Result<X509CertificateAuthority> {
        Ok(X509CertificateAuthority::new(self.db.clone(), self.rec()?.x509_ca))
    }
    // Optional: the Terraform provider reads it through a pointer.
    #[graphql(name = "sshCA")]
    async fn ssh_ca(&self) -> Result<Option<SSHCertificateAuthority>> {
        Ok(self.rec()?.ssh_ca.map(|pk| SSHCertificateAuthority::new(self.db.clone(), pk)))
    }
}

#[Object]
impl X509CertificateAuthority {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("X509CertificateAuthority", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn fingerprint(&self) -> Result<String> {
        Ok(self.rec()?.fingerprint.clone())
    }
}

#[Object(name = "SSHCertificateAuthority")]
impl SSHCertificateAuthority {
    pub(crate) async fn id(&self) -> ID {
        ids::encode("SSHCertificateAuthority", self.pk)
    }
    async fn name(&self) -> Result<String> {
        Ok(self.rec()?.name.clone())
    }
    async fn fingerprint(&self) -> Result<String> {
        Ok(self.rec()?.fingerprint.clone())
    }
}

// The provider and the operator select with `__typename` and inline fragments.
/// An X.509 or an SSH certificate authority.
#[derive(Union)]
pub(crate) enum CertificateAuthority {
    X509CertificateAuthority(X509CertificateAuthority),
    SSHCertificateAuthority(SSHCertificateAuthority),
}

impl CertificateAuthority {
    pub(crate) fn new(db: std::sync::Arc<Db>, pk: u64) -> Option<Self> {
        Some(match db.certificate_authorities.get(&pk)?.kind {
            CaKind::X509 => CertificateAuthority::X509CertificateAuthority(X509CertificateAuthority::new(db, pk)),
            CaKind::Ssh => CertificateAuthority::SSHCertificateAuthority(SSHCertificateAuthority::new(db, pk)),
        })
    }
}
