//! `--provider firezone`: the same nouns and verbs over Firezone's REST API, and `connect`
//! through `firezone-headless-client`. See docs/firezone.md.
//!
//! The clap tree is shared with Twingate (the provider may come from a profile, known only after
//! parsing), so each noun's `run` hands the parsed command here when the provider is Firezone.
//! Verbs Firezone has no equivalent for fail with [`twingate_only`].

pub mod client;
pub mod connect;
pub mod disconnect;
pub mod service_account;
pub mod service_key;

use secrecy::SecretString;

use super::Ctx;
use crate::api::{Client, Dialect};
use crate::config::{self, ProviderKind, Session, TokenSource, env};
use crate::error::{Error, Kind, Result};

impl Ctx {
    /// The provider in effect: --provider, else TGCTL_PROVIDER, else the profile's, else Twingate.
    pub fn provider(&self) -> Result<ProviderKind> {
        if let Some(p) = self.global.provider {
            return Ok(p);
        }
        if let Some(v) = self.env.get(env::TGCTL_PROVIDER) {
            return ProviderKind::parse(v).ok_or_else(|| {
                Error::usage(format!("TGCTL_PROVIDER={v:?} is not a provider")).hint("use twingate or firezone")
            });
        }
        let config = self.config()?;
        let name = config.profile_name(self.global.profile.as_deref());
        Ok(config.profile(&name).provider.unwrap_or_default())
    }

    /// Endpoint, token and pacing for Firezone's API: FIREZONE_API_TOKEN, else the token stored
    /// for the profile when the profile's provider is Firezone.
    pub fn firezone_session(&self) -> Result<Session> {
        let config = self.config()?;
        let profile_name = config.profile_name(self.global.profile.as_deref());
        let profile = config.profile(&profile_name);
        let endpoint = config::firezone_endpoint(&self.env, &profile)?;
        let limits = config::firezone_limits(&self.env, &profile)?;
        let (token, source) = if let Some(t) = self.env.get(env::FIREZONE_API_TOKEN) {
            (SecretString::from(t.to_owned()), TokenSource::Env { variable: env::FIREZONE_API_TOKEN.to_owned() })
        } else if profile.provider == Some(ProviderKind::Firezone)
            && let Some(found) = config.stored_token(&profile_name)?
        {
            found
        } else {
            return Err(Error::new(Kind::AuthMissing, "no Firezone API token").hint(
                "set FIREZONE_API_TOKEN (create an API client and token in the Firezone admin portal: Settings > API Clients)",
            ));
        };
        Ok(Session { profile: profile_name, endpoint, network: None, token, source, limits })
    }

    /// A client of Firezone's REST API, with the same transport rules as the Admin API's.
    pub fn firezone(&self) -> Result<Client> {
        let session = self.firezone_session()?;
        Ok(self.client_for(&session)?.with_dialect(Dialect::Firezone))
    }
}

/// The error for a verb Firezone has no equivalent of.
pub fn twingate_only(verb: &str, hint: &str) -> Error {
    Error::usage(format!("`tgctl {verb}` is not available with --provider firezone")).hint(hint.to_owned())
}

/// The error for a Firezone-only noun or flag used with Twingate.
pub fn firezone_only(what: &str) -> Error {
    Error::usage(format!("{what} is available with --provider firezone only"))
        .hint("pass --provider firezone, set TGCTL_PROVIDER=firezone, or use a profile with provider = \"firezone\"")
}
