//! The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service on Linux), when
//! the `os-keyring` feature is on and one answers.

use secrecy::SecretString;

#[cfg(feature = "os-keyring")]
const SERVICE: &str = "tgctl";

#[cfg(feature = "os-keyring")]
fn entry(profile: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, &format!("profile:{profile}")).map_err(|e| e.to_string())
}

#[cfg(feature = "os-keyring")]
pub(crate) fn get(profile: &str) -> Result<Option<SecretString>, String> {
    match entry(profile)?.get_password() {
        Ok(p) => Ok(Some(SecretString::from(p))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(feature = "os-keyring")]
pub(crate) fn set(profile: &str, token: &SecretString) -> Result<(), String> {
    let entry = entry(profile)?;
    entry.set_password(secrecy::ExposeSecret::expose_secret(token)).map_err(|e| e.to_string())?;
    // Read back: some backends accept a write they cannot keep.
    match entry.get_password() {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(feature = "os-keyring")]
pub(crate) fn delete(profile: &str) -> Result<bool, String> {
    match entry(profile)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(not(feature = "os-keyring"))]
pub(crate) fn get(_profile: &str) -> Result<Option<SecretString>, String> {
    Ok(None)
}

#[cfg(not(feature = "os-keyring"))]
pub(crate) fn set(_profile: &str, _token: &SecretString) -> Result<(), String> {
    Err("built without the os-keyring feature".to_owned())
}

#[cfg(not(feature = "os-keyring"))]
pub(crate) fn delete(_profile: &str) -> Result<bool, String> {
    Ok(false)
}
