//! `gatewayCreate`, `gatewayUpdate`, `gatewayDelete`, and the certificate authorities gateways
//! use: `x509CertificateAuthorityCreate`/`Delete`, `sshCertificateAuthorityCreate`/`Delete`.
//! Arguments as the Terraform provider (`internal/client/gateway.go`: `x509CAId` required,
//! `sshCAId` nullable) and the Kubernetes operator (`app/api/client_gateways.py`) send them; the
//! refusals to delete what is in use are worded as the operator's fixtures word them.

use async_graphql::{Context, ID, InputObject, MergedObject, Result};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

use super::{Kind, MutErr, Mutation, MutationField, biz, delete_payload, need, non_blank, payload, store};
use crate::gql::objects::{Gateway, SSHCertificateAuthority, X509CertificateAuthority};
use crate::model::*;

payload!(GatewayCreateMutation, Gateway);
payload!(GatewayUpdateMutation, Gateway);
delete_payload!(GatewayDeleteMutation);
payload!(X509CertificateAuthorityCreateMutation, X509CertificateAuthority);
delete_payload!(X509CertificateAuthorityDeleteMutation);
payload!(
    #[graphql(name = "SSHCertificateAuthorityCreateMutation")]
    SshCaCreateMutation,
    SSHCertificateAuthority
);
delete_payload!(
    #[graphql(name = "SSHCertificateAuthorityDeleteMutation")]
    SshCaDeleteMutation
);

#[derive(MergedObject, Default)]
#[graphql(name = "GatewayMutations")]
pub(crate) struct Mutations(
    MutationField<GatewayCreate>,
    MutationField<GatewayUpdate>,
    MutationField<GatewayDelete>,
    MutationField<X509CertificateAuthorityCreate>,
    MutationField<X509CertificateAuthorityDelete>,
    MutationField<SshCertificateAuthorityCreate>,
    MutationField<SshCertificateAuthorityDelete>,
);

#[derive(InputObject)]
#[graphql(name = "GatewayCreateArguments")]
pub(crate) struct GatewayCreate {
    address: String,
    remote_network_id: ID,
    #[graphql(name = "x509CAId")]
    x509_ca_id: ID,
    #[graphql(name = "sshCAId")]
    ssh_ca_id: Option<ID>,
}

impl Mutation for GatewayCreate {
    const NAME: &'static str = "gatewayCreate";
    type Payload = GatewayCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let rec = GatewayRec {
                address: non_blank(&self.address, "Address")?,
                remote_network: need(db, &self.remote_network_id, Kind::RemoteNetwork)?,
                x509_ca: need(db, &self.x509_ca_id, Kind::X509CertificateAuthority)?,
                ssh_ca: self.ssh_ca_id.as_ref().map(|id| need(db, id, Kind::SshCertificateAuthority)).transpose()?,
            };
            let pk = db.alloc_pk();
            db.gateways.insert(pk, rec);
            Ok(pk)
        });
        GatewayCreateMutation::from(r.map(|pk| Gateway::new(db, pk)))
    }
}

/// Omitted arguments leave the gateway alone (the operator sends nulls for what it does not
/// change, the provider every field); `sshCAId: null` removes the SSH CA.
#[derive(InputObject)]
#[graphql(name = "GatewayUpdateArguments")]
pub(crate) struct GatewayUpdate {
    id: ID,
    address: Option<String>,
    remote_network_id: Option<ID>,
    #[graphql(name = "x509CAId")]
    x509_ca_id: Option<ID>,
    #[graphql(name = "sshCAId")]
    ssh_ca_id: async_graphql::MaybeUndefined<ID>,
}

impl Mutation for GatewayUpdate {
    const NAME: &'static str = "gatewayUpdate";
    type Payload = GatewayUpdateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Gateway)?;
            let mut rec = db.gateways[&pk].clone();
            if let Some(a) = &self.address {
                rec.address = non_blank(a, "Address")?;
            }
            if let Some(n) = &self.remote_network_id {
                rec.remote_network = need(db, n, Kind::RemoteNetwork)?;
            }
            if let Some(c) = &self.x509_ca_id {
                rec.x509_ca = need(db, c, Kind::X509CertificateAuthority)?;
            }
            match &self.ssh_ca_id {
                async_graphql::MaybeUndefined::Value(c) => {
                    rec.ssh_ca = Some(need(db, c, Kind::SshCertificateAuthority)?)
                }
                async_graphql::MaybeUndefined::Null => rec.ssh_ca = None,
                async_graphql::MaybeUndefined::Undefined => {}
            }
            db.gateways.insert(pk, rec);
            Ok(pk)
        });
        GatewayUpdateMutation::from(r.map(|pk| Gateway::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "GatewayDeleteArguments")]
pub(crate) struct GatewayDelete {
    id: ID,
}

impl Mutation for GatewayDelete {
    const NAME: &'static str = "gatewayDelete";
    type Payload = GatewayDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let pk = need(db, &self.id, Kind::Gateway)?;
            if db.resources.values().any(|r| r.kind.gateway() == Some(pk)) {
                return biz("Cannot delete. This Gateway is being used by Resource.");
            }
            db.gateways.remove(&pk);
            Ok(())
        });
        GatewayDeleteMutation::from(r)
    }
}

/// The SHA-256 of a PEM certificate's DER bytes, as colon-separated hex (the API's format for
/// a fingerprint is not public; this is OpenSSL's `-fingerprint -sha256`).
fn x509_fingerprint(pem: &str) -> Result<String, MutErr> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN CERTIFICATE-----")
        .and_then(|rest| rest.trim_end().strip_suffix("-----END CERTIFICATE-----"))
        .map(|b| b.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let der = body.and_then(|b| STANDARD.decode(b).ok()).filter(|d| !d.is_empty());
    let Some(der) = der else {
        return biz("The certificate must be a PEM-encoded X.509 certificate");
    };
    Ok(Sha256::digest(&der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"))
}

/// OpenSSH's fingerprint of a public key line (`ssh-ed25519 AAAA... comment`):
/// `SHA256:` and the unpadded base64 of the SHA-256 of the key blob.
fn ssh_fingerprint(public_key: &str) -> Result<String, MutErr> {
    let mut parts = public_key.split_whitespace();
    let blob = match (parts.next(), parts.next()) {
        (Some(kind), Some(b64)) if kind.starts_with("ssh-") || kind.starts_with("ecdsa-") => STANDARD.decode(b64).ok(),
        _ => None,
    };
    let Some(blob) = blob.filter(|b| !b.is_empty()) else {
        return biz("The public key must be an OpenSSH public key line");
    };
    Ok(format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&blob))))
}

fn create_ca(db: &mut Db, kind: CaKind, name: &str, fingerprint: String) -> Result<u64, MutErr> {
    let name = non_blank(name, "Name")?;
    let pk = db.alloc_pk();
    db.certificate_authorities.insert(pk, CertificateAuthorityRec { kind, name, fingerprint });
    Ok(pk)
}

fn delete_ca(db: &mut Db, id: &str, kind: Kind) -> Result<(), MutErr> {
    let pk = need(db, id, kind)?;
    if db.gateways.values().any(|g| g.x509_ca == pk || g.ssh_ca == Some(pk)) {
        return biz("This CA is currently in use and cannot be deleted.");
    }
    db.certificate_authorities.remove(&pk);
    Ok(())
}

#[derive(InputObject)]
#[graphql(name = "X509CertificateAuthorityCreateArguments")]
pub(crate) struct X509CertificateAuthorityCreate {
    name: String,
    /// The CA's certificate, PEM-encoded.
    certificate: String,
}

impl Mutation for X509CertificateAuthorityCreate {
    const NAME: &'static str = "x509CertificateAuthorityCreate";
    type Payload = X509CertificateAuthorityCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let fingerprint = x509_fingerprint(&self.certificate)?;
            create_ca(db, CaKind::X509, &self.name, fingerprint)
        });
        X509CertificateAuthorityCreateMutation::from(r.map(|pk| X509CertificateAuthority::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "X509CertificateAuthorityDeleteArguments")]
pub(crate) struct X509CertificateAuthorityDelete {
    id: ID,
}

impl Mutation for X509CertificateAuthorityDelete {
    const NAME: &'static str = "x509CertificateAuthorityDelete";
    type Payload = X509CertificateAuthorityDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| delete_ca(db, &self.id, Kind::X509CertificateAuthority));
        X509CertificateAuthorityDeleteMutation::from(r)
    }
}

#[derive(InputObject)]
#[graphql(name = "SSHCertificateAuthorityCreateArguments")]
pub(crate) struct SshCertificateAuthorityCreate {
    name: String,
    /// The CA's public key, as an OpenSSH public key line.
    public_key: String,
}

impl Mutation for SshCertificateAuthorityCreate {
    const NAME: &'static str = "sshCertificateAuthorityCreate";
    type Payload = SshCaCreateMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (db, r) = store(ctx)?.commit(Some(Self::NAME), |db| {
            let fingerprint = ssh_fingerprint(&self.public_key)?;
            create_ca(db, CaKind::Ssh, &self.name, fingerprint)
        });
        SshCaCreateMutation::from(r.map(|pk| SSHCertificateAuthority::new(db, pk)))
    }
}

#[derive(InputObject)]
#[graphql(name = "SSHCertificateAuthorityDeleteArguments")]
pub(crate) struct SshCertificateAuthorityDelete {
    id: ID,
}

impl Mutation for SshCertificateAuthorityDelete {
    const NAME: &'static str = "sshCertificateAuthorityDelete";
    type Payload = SshCaDeleteMutation;

    async fn run(self, ctx: &Context<'_>) -> Result<Self::Payload> {
        let (_, r) = store(ctx)?.commit(Some(Self::NAME), |db| delete_ca(db, &self.id, Kind::SshCertificateAuthority));
        SshCaDeleteMutation::from(r)
    }
}
