//! `--provider firezone`: the same nouns and verbs over Firezone's REST API. `connect` through
//! `firezone-headless-client` is the Firezone provider of `crate::connect::providers`. See
//! docs/firezone.md.
//!
//! The clap tree is shared with Twingate (the provider may come from a profile, known only after
//! parsing): `commands::by_provider` hands the parsed command to [`run`] when the provider is
//! Firezone. Verbs Firezone has no equivalent for fail with [`twingate_only`].

pub(crate) mod client;
pub(crate) mod service_account;
pub(crate) mod service_key;

use secrecy::SecretString;

use super::{Ctx, ProviderNoun, auth};
use crate::api::{Client, Dialect};
use crate::config::{self, ProviderKind, Session, TokenSource, env};
use crate::error::{Error, Kind, Result};

/// The nouns whose verbs depend on the provider, with Firezone.
pub(crate) async fn run(ctx: &Ctx, noun: ProviderNoun) -> Result<()> {
    match noun {
        ProviderNoun::Auth(auth::AuthCommand::Logout) => auth::run(ctx, auth::AuthCommand::Logout).await,
        ProviderNoun::Auth(_) => Err(twingate_only(
            "auth login|status",
            "Firezone's API token is read from FIREZONE_API_TOKEN (an API client's token: Settings > API Clients)",
        )),
        ProviderNoun::ServiceAccount(c) => service_account::run(ctx, c).await,
        ProviderNoun::ServiceKey(c) => service_key::run(ctx, c).await,
        ProviderNoun::Client(c) => client::run(ctx, c).await,
    }
}

impl Ctx {
    /// Endpoint, token and pacing for Firezone's API: FIREZONE_API_TOKEN, else the token stored
    /// for the profile when the profile's provider is Firezone.
    pub(crate) fn firezone_session(&self) -> Result<Session> {
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
    pub(crate) fn firezone(&self) -> Result<Client> {
        let session = self.firezone_session()?;
        Ok(self.client_for(&session)?.with_dialect(Dialect::Firezone))
    }
}

/// The error for a verb Firezone has no equivalent of.
pub(crate) fn twingate_only(verb: &str, hint: &str) -> Error {
    Error::usage(format!("`tgctl {verb}` is not available with --provider firezone")).hint(hint.to_owned())
}

/// The error for a Firezone-only noun or flag used with Twingate.
pub(crate) fn firezone_only(what: &str) -> Error {
    Error::usage(format!("{what} is available with --provider firezone only"))
        .hint("pass --provider firezone, set TGCTL_PROVIDER=firezone, or use a profile with provider = \"firezone\"")
}
