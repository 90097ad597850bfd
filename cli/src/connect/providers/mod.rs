//! The providers, one folder each, and the one place that maps a `--provider` to its type.
//!
//! Adding a provider: a folder here with a type that implements
//! [`Provider`](super::provider::Provider), a variant of `config::ProviderKind` (what
//! `--provider`, `TGCTL_PROVIDER` and profiles accept), and its arm in [`with`]; the compiler
//! points at that arm. See ARCHITECTURE.md.

pub(crate) mod firezone;
pub(crate) mod twingate;

use super::provider::Provider;
use crate::config::ProviderKind;

/// Work to do with whichever provider was chosen (generic over it, so every call into the
/// provider is static).
#[allow(async_fn_in_trait)]
pub(crate) trait Visit {
    type Output;
    async fn visit<P: Provider>(self) -> Self::Output;
}

/// Runs `work` with the provider `kind` names.
pub(crate) async fn with<V: Visit>(kind: ProviderKind, work: V) -> V::Output {
    match kind {
        ProviderKind::Twingate => work.visit::<twingate::Twingate>().await,
        ProviderKind::Firezone => work.visit::<firezone::Firezone>().await,
    }
}
