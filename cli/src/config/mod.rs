//! Profiles, credentials and the resolution of endpoint and token.
//!
//! `config.toml` (profiles: network, endpoint, pacing) and `credentials.toml` (tokens, 0600, only
//! when no OS keyring works) live in `$TGCTL_CONFIG_DIR`, else the XDG config dir + `/tgctl`.
//! Every setting is resolved in one order: flag, then environment, then profile, then default
//! (see `precedence.rs` for the endpoint and network). The token has no flag (never argv):
//! `TWINGATE_API_TOKEN`, then the profile's token in the OS keyring, then the profile's token in
//! `credentials.toml`. `tgctl auth status` says where each value came from.

pub(crate) mod env;
mod files;
mod keyring_store;
mod precedence;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::api::pacer::Limits;
use crate::error::{Error, Kind, Result};
pub(crate) use env::Env;
pub(crate) use files::{check_secret_target, private_dir, write_private_file};
pub(crate) use precedence::{Origin, profile_origin, target};

pub(crate) const DEFAULT_PROFILE: &str = "default";
pub(crate) const DEFAULT_BASE_DOMAIN: &str = "twingate.com";

/// Where a profile's token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenStore {
    Keyring,
    File,
}

/// The service a profile (or `--provider`, or `TGCTL_PROVIDER`) manages and connects through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProviderKind {
    /// Twingate: the GraphQL Admin API and the Twingate headless client.
    #[default]
    Twingate,
    /// Firezone: the REST API and firezone-headless-client.
    Firezone,
}

impl ProviderKind {
    /// Its name, as `--provider` takes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Twingate => "twingate",
            ProviderKind::Firezone => "firezone",
        }
    }

    /// A name as `--provider`, `TGCTL_PROVIDER` and the state file give it (any case).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        use clap::ValueEnum;
        Self::from_str(text.trim(), true).ok()
    }
}

/// One profile of `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// `twingate` (default) or `firezone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<ProviderKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) network: Option<String>,
    /// A full GraphQL endpoint (the emulator's), instead of a network; with `provider =
    /// "firezone"`, Firezone's API base URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token_store: Option<TokenStore>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reads_per_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) writes_per_minute: Option<u32>,
}

/// `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// The profile used when none is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<String>,
    #[serde(default)]
    pub(crate) profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct CredentialsFile {
    #[serde(default)]
    profiles: BTreeMap<String, StoredToken>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct StoredToken {
    token: String,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredToken([REDACTED])")
    }
}

/// Where the token in use came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub(crate) enum TokenSource {
    Env { variable: String },
    Keyring,
    File { path: PathBuf },
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env { variable } => write!(f, "environment variable {variable}"),
            TokenSource::Keyring => f.write_str("OS keyring"),
            TokenSource::File { path } => write!(f, "file {} (mode 0600)", path.display()),
        }
    }
}

/// The configuration directory and its files.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    dir: PathBuf,
    pub(crate) file: ConfigFile,
    /// The file as it was read: `save` writes only what this process changed since, onto what is
    /// on disk then (issue 15, item 11).
    loaded: ConfigFile,
    env: Env,
}

impl Config {
    pub(crate) fn load(env: &Env) -> Result<Self> {
        let dir = config_dir(env)?;
        let path = dir.join("config.toml");
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => parse_config(&text).map_err(|e| {
                Error::new(Kind::Config, format!("{} is not valid: {e}", path.display()))
                    .hint("fix or delete the file, then run `tgctl auth login` again")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigFile::default(),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), &e)),
        };
        Ok(Self { dir, loaded: file.clone(), file, env: env.clone() })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub(crate) fn credentials_path(&self) -> PathBuf {
        self.dir.join("credentials.toml")
    }

    /// The profile name in effect: --profile / TGCTL_PROFILE, else the file's default.
    pub(crate) fn profile_name(&self, flag: Option<&str>) -> String {
        flag.map(str::to_owned)
            .or_else(|| self.env.get(env::TGCTL_PROFILE).map(str::to_owned))
            .or_else(|| self.file.profile.clone())
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }

    pub(crate) fn profile(&self, name: &str) -> Profile {
        self.file.profiles.get(name).cloned().unwrap_or_default()
    }

    /// Saves this process's changes. Under the config dir's lock, it reads config.toml again,
    /// applies only the profiles (and default) this process changed, and replaces the file
    /// atomically (temp file + rename): concurrent `auth login`s to different profiles all keep
    /// theirs (issue 15, item 11).
    pub(crate) fn save(&self) -> Result<()> {
        private_dir(&self.dir)?;
        let _lock = files::lock_dir(&self.dir)?;
        let path = self.config_path();
        let mut fresh = match std::fs::read_to_string(&path) {
            Ok(text) => parse_config(&text).map_err(|e| {
                Error::new(Kind::Config, format!("{} is not valid: {e}", path.display()))
                    .hint("fix or delete the file, then run `tgctl auth login` again")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ConfigFile::default(),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), &e)),
        };
        let names: std::collections::BTreeSet<&String> =
            self.file.profiles.keys().chain(self.loaded.profiles.keys()).collect();
        for name in names {
            let (now, before) = (self.file.profiles.get(name), self.loaded.profiles.get(name));
            if now != before {
                match now {
                    Some(p) => fresh.profiles.insert(name.clone(), p.clone()),
                    None => fresh.profiles.remove(name),
                };
            }
        }
        if self.file.profile != self.loaded.profile && (self.loaded.profile.is_some() || fresh.profile.is_none()) {
            fresh.profile.clone_from(&self.file.profile);
        }
        let text = toml::to_string(&fresh).map_err(|e| Error::internal(format!("cannot encode config: {e}")))?;
        write_private_file(&path, text.as_bytes(), true)
    }

    /// Reads a token stored for `profile` (keyring or file, as the profile says).
    pub(crate) fn stored_token(&self, profile: &str) -> Result<Option<(SecretString, TokenSource)>> {
        let store = self.profile(profile).token_store;
        if store == Some(TokenStore::Keyring) && !self.env.flag(env::TGCTL_NO_KEYRING) {
            match keyring_store::get(profile) {
                Ok(Some(token)) => return Ok(Some((token, TokenSource::Keyring))),
                Ok(None) => {}
                Err(reason) => {
                    return Err(Error::new(
                        Kind::AuthMissing,
                        format!("cannot read the token of profile {profile:?} from the OS keyring: {reason}"),
                    )
                    .hint("set TWINGATE_API_TOKEN, or run `tgctl auth login` again"));
                }
            }
        }
        let path = self.credentials_path();
        let creds = read_credentials(&path)?;
        Ok(creds
            .profiles
            .get(profile)
            .filter(|t| !t.token.is_empty())
            .map(|t| (SecretString::from(t.token.clone()), TokenSource::File { path: path.clone() })))
    }

    /// Stores a token: in the OS keyring when one works (unless disabled), else in a 0600 file.
    pub(crate) fn store_token(&mut self, profile: &str, token: &SecretString) -> Result<TokenSource> {
        let use_keyring = !self.env.flag(env::TGCTL_NO_KEYRING);
        let source = if use_keyring && keyring_store::set(profile, token).is_ok() {
            self.remove_file_token(profile)?;
            TokenSource::Keyring
        } else {
            private_dir(&self.dir)?;
            let _lock = files::lock_dir(&self.dir)?;
            let path = self.credentials_path();
            let mut creds = read_credentials(&path)?;
            creds.profiles.insert(
                profile.to_owned(),
                StoredToken { token: secrecy::ExposeSecret::expose_secret(token).to_owned() },
            );
            let text =
                toml::to_string(&creds).map_err(|e| Error::internal(format!("cannot encode credentials: {e}")))?;
            write_private_file(&path, text.as_bytes(), true)?;
            TokenSource::File { path }
        };
        let entry = self.file.profiles.entry(profile.to_owned()).or_default();
        entry.token_store = Some(if source == TokenSource::Keyring { TokenStore::Keyring } else { TokenStore::File });
        Ok(source)
    }

    /// Forgets a profile's token wherever it is kept. Returns whether anything was removed.
    pub(crate) fn remove_token(&mut self, profile: &str) -> Result<bool> {
        let mut removed = false;
        if self.profile(profile).token_store == Some(TokenStore::Keyring) && !self.env.flag(env::TGCTL_NO_KEYRING) {
            removed |= keyring_store::delete(profile).unwrap_or(false);
        }
        removed |= self.remove_file_token(profile)?;
        if let Some(p) = self.file.profiles.get_mut(profile) {
            p.token_store = None;
        }
        Ok(removed)
    }

    fn remove_file_token(&self, profile: &str) -> Result<bool> {
        let path = self.credentials_path();
        if !path.exists() {
            return Ok(false);
        }
        let _lock = files::lock_dir(&self.dir)?;
        let mut creds = read_credentials(&path)?;
        if creds.profiles.remove(profile).is_none() {
            return Ok(false);
        }
        let text = toml::to_string(&creds).map_err(|e| Error::internal(format!("cannot encode credentials: {e}")))?;
        write_private_file(&path, text.as_bytes(), true)?;
        Ok(true)
    }
}

fn parse_config(text: &str) -> std::result::Result<ConfigFile, String> {
    toml::from_str::<ConfigFile>(text).map_err(|e| e.message().to_owned())
}

fn read_credentials(path: &Path) -> Result<CredentialsFile> {
    match std::fs::read_to_string(path) {
        // Never echo the file's content in the error: it holds secrets.
        Ok(text) => toml::from_str(&text).map_err(|_| {
            Error::new(Kind::Config, format!("{} is not valid TOML", path.display()))
                .hint("delete it and run `tgctl auth login` again")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CredentialsFile::default()),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), &e)),
    }
}

fn config_dir(env: &Env) -> Result<PathBuf> {
    if let Some(dir) = env.get(env::TGCTL_CONFIG_DIR) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("tgctl"))
        .ok_or_else(|| Error::new(Kind::Config, "cannot find a configuration directory").hint("set TGCTL_CONFIG_DIR"))
}

/// A directory for runtime state (pacer log, connect state): `$TGCTL_STATE_DIR`, else
/// `$XDG_RUNTIME_DIR/tgctl`, else a per-user directory under the temp dir. Created 0700; used
/// only when it is this user's, not a symbolic link and not writable by others.
pub(crate) fn state_dir(env: &Env) -> Result<PathBuf> {
    let dir = if let Some(d) = env.get(env::TGCTL_STATE_DIR) {
        PathBuf::from(d)
    } else if let Some(d) = env.get(env::XDG_RUNTIME_DIR) {
        PathBuf::from(d).join("tgctl")
    } else {
        std::env::temp_dir().join(format!("tgctl-{}", files::user_id()))
    };
    private_dir(&dir)?;
    files::verify_private_dir(&dir)?;
    Ok(dir)
}

/// The resolved endpoint, token and pacing for a command that talks to the API.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) profile: String,
    pub(crate) endpoint: reqwest::Url,
    /// The network name, when the endpoint came from one.
    pub(crate) network: Option<String>,
    pub(crate) token: SecretString,
    pub(crate) source: TokenSource,
    pub(crate) limits: Limits,
}

/// Accepts `acme` or `acme.twingate.com`; returns `acme`.
pub(crate) fn normalize_network(raw: &str, base: &str) -> Result<String> {
    let lower = raw.trim().trim_start_matches("https://").trim_end_matches('/').to_ascii_lowercase();
    let name = lower.strip_suffix(&format!(".{base}")).unwrap_or(&lower).to_owned();
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(name)
    } else {
        Err(Error::usage(format!("{raw:?} is not a network name"))
            .hint(format!("use the tenant name, e.g. `acme` for acme.{base}")))
    }
}

fn parse_url(url: &str, what: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).map_err(|e| Error::usage(format!("{what} is not a valid URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::usage(format!("{what} must be an http or https URL")));
    }
    Ok(parsed)
}

/// Firezone's API by default.
pub(crate) const FIREZONE_API_URL: &str = "https://api.firezone.dev";

/// Firezone's REST API base: `FIREZONE_API_URL` (a `ws://`/`wss://` URL, which the headless
/// client reads from the same variable, is taken as `http://`/`https://`), else the profile's
/// `api_url`, else <https://api.firezone.dev>.
pub(crate) fn firezone_endpoint(env: &Env, profile: &Profile) -> Result<reqwest::Url> {
    let (raw, what) = match env.get(env::FIREZONE_API_URL) {
        Some(u) => (u.to_owned(), env::FIREZONE_API_URL),
        None => match &profile.api_url {
            Some(u) => (u.clone(), "the profile's api_url"),
            None => (FIREZONE_API_URL.to_owned(), "the default Firezone API URL"),
        },
    };
    let raw = if let Some(rest) = raw.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = raw.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        raw
    };
    parse_url(&raw, what)
}

/// Firezone's API allows about one request a second with bursts of about 20 (a token bucket per
/// account, shared by reads and writes; reference notes §4.5), so the defaults split 60 a minute
/// between reads and writes. `TGCTL_READS_PER_MINUTE` / `TGCTL_WRITES_PER_MINUTE` and the
/// profile override them as for Twingate.
pub(crate) fn firezone_limits(env: &Env, profile: &Profile) -> Result<Limits> {
    let reads = env.number::<u32>(env::TGCTL_READS_PER_MINUTE).map_err(Error::usage)?;
    let writes = env.number::<u32>(env::TGCTL_WRITES_PER_MINUTE).map_err(Error::usage)?;
    Ok(Limits {
        reads_per_minute: reads.or(profile.reads_per_minute).unwrap_or(40),
        writes_per_minute: writes.or(profile.writes_per_minute).unwrap_or(20),
    })
}

/// Pacing from the environment, else the profile, else the API's documented limits.
pub(crate) fn limits(env: &Env, profile: &Profile) -> Result<Limits> {
    let default = Limits::default();
    let reads = env.number::<u32>(env::TGCTL_READS_PER_MINUTE).map_err(Error::usage)?;
    let writes = env.number::<u32>(env::TGCTL_WRITES_PER_MINUTE).map_err(Error::usage)?;
    Ok(Limits {
        reads_per_minute: reads.or(profile.reads_per_minute).unwrap_or(default.reads_per_minute),
        writes_per_minute: writes.or(profile.writes_per_minute).unwrap_or(default.writes_per_minute),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider's name reads back as itself, the way `--provider`, profiles and the state
    /// file spell it.
    #[test]
    fn provider_names_round_trip() {
        use clap::ValueEnum;
        for kind in ProviderKind::value_variants() {
            let name = kind.as_str();
            assert_eq!(kind.to_possible_value().map(|v| v.get_name().to_owned()), Some(name.to_owned()));
            assert_eq!(ProviderKind::parse(&format!(" {} ", name.to_uppercase())), Some(*kind));
            assert_eq!(toml::Value::try_from(kind).ok(), Some(toml::Value::String(name.to_owned())));
        }
        assert_eq!(ProviderKind::parse("netbird"), None);
    }

    #[test]
    fn network_names_are_normalized_and_validated() {
        assert_eq!(normalize_network("acme", "twingate.com").unwrap(), "acme");
        assert_eq!(normalize_network("ACME.twingate.com", "twingate.com").unwrap(), "acme");
        assert_eq!(normalize_network("https://acme.twingate.com/", "twingate.com").unwrap(), "acme");
        assert!(normalize_network("acme corp", "twingate.com").is_err());
        assert!(normalize_network("evil.example.com", "twingate.com").is_err());
    }

    #[test]
    fn config_files_round_trip_and_reject_unknown_keys() {
        let mut file = ConfigFile { profile: Some("ci".into()), ..ConfigFile::default() };
        file.profiles.insert(
            "ci".into(),
            Profile { network: Some("acme".into()), writes_per_minute: Some(10), ..Profile::default() },
        );
        let text = toml::to_string(&file).unwrap();
        assert_eq!(parse_config(&text).unwrap(), file);
        assert!(parse_config("[profiles.x]\ntoken = \"oops\"\n").is_err());
        assert!(parse_config("profile = [").is_err());
    }

    #[test]
    fn firezone_endpoints_map_websocket_urls_and_default() {
        let url = firezone_endpoint(&Env::default(), &Profile::default()).unwrap();
        assert_eq!(url.as_str(), "https://api.firezone.dev/");
        let env = Env::default().with(env::FIREZONE_API_URL, "wss://api.example.dev/");
        assert_eq!(firezone_endpoint(&env, &Profile::default()).unwrap().as_str(), "https://api.example.dev/");
        let profile = Profile { api_url: Some("http://127.0.0.1:9".into()), ..Profile::default() };
        assert_eq!(firezone_endpoint(&Env::default(), &profile).unwrap().port(), Some(9));
        assert!(parse_config("[profiles.fz]\nprovider = \"firezone\"\n").is_ok());
        assert!(parse_config("[profiles.fz]\nprovider = \"zerotier\"\n").is_err());
    }

    #[test]
    fn limits_prefer_env_then_profile() {
        let profile = Profile { writes_per_minute: Some(5), ..Profile::default() };
        let l = limits(&Env::default(), &profile).unwrap();
        assert_eq!((l.reads_per_minute, l.writes_per_minute), (60, 5));
        let env = Env::default().with(env::TGCTL_WRITES_PER_MINUTE, "0");
        assert_eq!(limits(&env, &profile).unwrap().writes_per_minute, 0);
        let env = Env::default().with(env::TGCTL_READS_PER_MINUTE, "many");
        assert!(limits(&env, &profile).is_err());
    }

    #[test]
    fn tokens_fall_back_to_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::default()
            .with(env::TGCTL_CONFIG_DIR, dir.path().to_string_lossy().into_owned())
            .with(env::TGCTL_NO_KEYRING, "1");
        let mut config = Config::load(&env).unwrap();
        let source = config.store_token("default", &SecretString::from("canary-token".to_owned())).unwrap();
        assert!(matches!(source, TokenSource::File { .. }));
        config.save().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.credentials_path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let config = Config::load(&env).unwrap();
        let (token, _) = config.stored_token("default").unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "canary-token");
        let mut config = config;
        assert!(config.remove_token("default").unwrap());
        assert!(config.stored_token("default").unwrap().is_none());
    }
}
