//! The Firezone service-account token: from `--token-file`, `--token -` or `FIREZONE_TOKEN`,
//! masked at once; or minted for the job with the API token (`--mint`), deleted by `disconnect`.

use std::time::Duration;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use crate::api::firezone as api;
use crate::config::env;
use crate::connect::args::ConnectArgs;
use crate::connect::provider::Host;
use crate::connect::secret::Masker;
use crate::connect::state::{MintedKey, State};
use crate::error::{Error, Result};

/// The token, masked, and where it came from.
pub(crate) struct Token {
    pub(crate) secret: SecretString,
    pub(crate) masker: Masker,
    pub(crate) minted: Option<MintedKey>,
    pub(crate) expires_at: Option<Timestamp>,
}

/// The masker of a token, registered for masking before anything else is printed.
pub(crate) fn masker_for(host: &Host<'_>, secret: &str) -> Masker {
    let m = Masker::for_key(secret, None);
    host.events.mask(m.secrets());
    m
}

/// The token from --token-file, --token - or FIREZONE_TOKEN (None with --mint).
pub(crate) fn read(host: &Host<'_>, args: &ConnectArgs) -> Result<Option<SecretString>> {
    let text = if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --token-file {}: {e}", path.display())))?;
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            host.events.warn(format!(
                "{} is readable by other users (mode {:o}); `chmod 600` it",
                path.display(),
                m.permissions().mode() & 0o777
            ));
        }
        text
    } else if let Some(v) = &args.token {
        if v != "-" {
            return Err(Error::usage("--token takes only `-` (read the token from stdin)").hint(
                "a token on the command line is visible to every process; use --token-file, stdin or FIREZONE_TOKEN",
            ));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::usage(format!("cannot read the token from stdin: {e}")))?;
        text
    } else if args.mint {
        return Ok(None);
    } else {
        match host.env.get(env::FIREZONE_TOKEN) {
            Some(t) => t.to_owned(),
            None => return Ok(None),
        }
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::usage("the Firezone token is empty"));
    }
    if trimmed.contains(char::is_whitespace) {
        return Err(Error::usage("the Firezone token contains whitespace: it is not one token"));
    }
    Ok(Some(SecretString::from(trimmed.to_owned())))
}

/// --mint: a token for this job, recorded in the state file at once.
pub(crate) async fn mint(
    host: &Host<'_>,
    args: &ConnectArgs,
    name: &str,
    lifetime: Duration,
    st: &mut State,
) -> Result<Token> {
    let client = (host.api)()?;
    let account = api::resolve_service_account(&client, args.service_account.as_deref().unwrap_or_default()).await?;
    let expires_at = jiff::SignedDuration::try_from(lifetime)
        .ok()
        .and_then(|d| Timestamp::now().checked_add(d).ok())
        .ok_or_else(|| Error::usage("--mint-expires-in is too long"))?;
    let created = api::create_token(&client, &account.id, expires_at).await?;
    let masker = masker_for(host, created.secret.expose_secret());
    let minted =
        MintedKey { id: created.token.id.clone(), name: name.to_owned(), service_account_id: account.id.clone() };
    st.minted_key = Some(minted.clone());
    st.save()?;
    host.events.info(format!("Minted client token {} for {:?} (expires {})", minted.id, account.name, expires_at));
    Ok(Token {
        secret: created.secret,
        masker,
        minted: Some(minted),
        expires_at: created.token.expires_at.or(Some(expires_at)),
    })
}
