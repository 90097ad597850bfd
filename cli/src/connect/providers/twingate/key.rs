//! The Twingate service key: read from a file, stdin or `TWINGATE_SERVICE_KEY`, masked at once,
//! validated before anything starts; or minted for the job with the API token (`--mint`) and
//! revoked and deleted by `disconnect`.

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use crate::api::service_accounts;
use crate::api::service_keys::{self, KeyDocument};
use crate::config::env;
use crate::connect::args::ConnectArgs;
use crate::connect::provider::Host;
use crate::connect::secret::Masker;
use crate::connect::state::{MintedKey, State};
use crate::error::{Error, Kind, Result};

/// The key, decoded, with its document and masker.
pub(crate) struct Key {
    pub(crate) json: SecretString,
    pub(crate) doc: KeyDocument,
    pub(crate) masker: Masker,
    pub(crate) minted: Option<MintedKey>,
}

/// The key's text from --service-key-file, --service-key - or TWINGATE_SERVICE_KEY (None with
/// --mint).
pub(crate) fn read_input(host: &Host<'_>, args: &ConnectArgs) -> Result<Option<SecretString>> {
    if let Some(path) = &args.service_key_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read --service-key-file {}: {e}", path.display())))?;
        {
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
        }
        return Ok(Some(SecretString::from(text)));
    }
    if let Some(v) = &args.service_key {
        if v != "-" {
            return Err(Error::usage("--service-key takes only `-` (read the key from stdin)")
                .hint("a key on the command line is visible to every process; use --service-key-file, stdin or TWINGATE_SERVICE_KEY"));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::usage(format!("cannot read the service key from stdin: {e}")))?;
        return Ok(Some(SecretString::from(text)));
    }
    if args.mint || args.broker.is_some() {
        return Ok(None);
    }
    Ok(host.env.get(env::TWINGATE_SERVICE_KEY).map(|k| SecretString::from(k.to_owned())))
}

/// Parses and validates a key (fields, expiry, --network), decoding base64 to the JSON the
/// client reads.
pub(crate) fn parse(host: &Host<'_>, text: &SecretString, masker: Masker, minted: Option<MintedKey>) -> Result<Key> {
    let doc = KeyDocument::parse(text.expose_secret())?;
    let network = host.network.map(|n| n.trim().trim_end_matches(".twingate.com").to_owned());
    doc.validate(Timestamp::now(), network.as_deref())?;
    let json = KeyDocument::json_text(text.expose_secret())?;
    Ok(Key { json: SecretString::from(json), doc, masker, minted })
}

/// The masker of a key's secrets, registered for masking before anything else is printed.
pub(crate) fn masker(host: &Host<'_>, text: &str) -> Masker {
    let m = Masker::for_key(text, KeyDocument::parse(text).ok().as_ref());
    host.events.mask(m.secrets());
    m
}

/// --broker: a key for this job from a tgctl-broker, its lease recorded in the state file at
/// once (disconnect releases it).
pub(crate) async fn from_broker(host: &Host<'_>, url: &str, audience: Option<&str>, st: &mut State) -> Result<Key> {
    let leased = crate::connect::broker::lease(host.env, url, audience).await?;
    let masker = masker(host, leased.key.expose_secret());
    st.broker_lease = Some(leased.lease.clone());
    st.save()?;
    let until = leased.expires_at.as_deref().map(|t| format!(" until {t}")).unwrap_or_default();
    host.events.info(format!("Leased a service key from the broker (lease {}{until})", leased.lease.lease_id));
    match parse(host, &leased.key, masker, None) {
        Ok(k) => Ok(k),
        Err(e) => {
            let _ = super::undo::undo(host, st, true).await;
            Err(Error { kind: Kind::BadResponse, ..e })
        }
    }
}

/// --mint: a key for this job, recorded in the state file before anything else happens.
pub(crate) async fn mint(host: &Host<'_>, args: &ConnectArgs, st: &mut State) -> Result<Key> {
    let account_arg = args.service_account.as_deref().unwrap_or_default();
    let client = (host.api)()?;
    let account = service_accounts::resolve(&client, account_arg).await?;
    // The one generator of default key names (cli/src/naming.rs): job + random suffix.
    let name = crate::naming::key_name(host.env);
    let created = service_keys::create(&client, &account.id, Some(name.clone()), args.mint_expires_in_days).await?;
    let masker = masker(host, created.token.expose_secret());
    let minted = MintedKey { id: created.key.id.clone(), name, service_account_id: account.id.clone() };
    st.minted_key = Some(minted.clone());
    st.save()?;
    host.events.info(format!("Minted service key {:?} ({}) for {}", minted.name, minted.id, account.name));
    match parse(host, &created.token, masker, Some(minted)) {
        Ok(k) => Ok(k),
        Err(e) => {
            // Not usable: take it back at once.
            let _ = super::undo::undo(host, st, true).await;
            Err(Error { kind: Kind::BadResponse, ..e })
        }
    }
}
