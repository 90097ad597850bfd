//! Where each setting comes from: one order for all of them.
//!
//! A setting is taken from the first of these that gives it: a command-line flag, then the
//! environment, then the profile in `config.toml`, then a default. The API endpoint is one
//! setting with two spellings at each level, a full URL or a network name
//! (`https://NAME.twingate.com/api/graphql/`):
//!
//! | level       | URL             | network            |
//! |-------------|-----------------|--------------------|
//! | flag        | -               | `--network`        |
//! | environment | `TGCTL_API_URL` | `TWINGATE_NETWORK` |
//! | profile     | `api_url`       | `network`          |
//!
//! The endpoint comes from the first level that gives either (its URL when it gives both), so
//! `--network acme` wins over `TGCTL_API_URL`, and `TWINGATE_NETWORK` wins over a profile's
//! `api_url`. The network name is its own setting, in the same order. `tgctl auth status` shows
//! each value and its [`Origin`]; when the flag or the environment hides what the profile says,
//! [`Target::overridden`] says so, and commands print it as a notice.

use serde::Serialize;

use super::env::{self, Env};
use super::{DEFAULT_BASE_DOMAIN, Profile, normalize_network, parse_url};
use crate::error::{Error, Kind, Result};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub(crate) enum Origin {
    Flag {
        flag: String,
    },
    Env {
        variable: String,
    },
    Profile {
        profile: String,
        key: String,
    },
    /// A top-level key of config.toml (the default profile's name).
    ConfigFile {
        key: String,
    },
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag { flag } => write!(f, "flag {flag}"),
            Origin::Env { variable } => write!(f, "environment variable {variable}"),
            Origin::Profile { profile, key } => write!(f, "profile {profile:?} ({key} in config.toml)"),
            Origin::ConfigFile { key } => write!(f, "config.toml ({key})"),
            Origin::Default => f.write_str("default"),
        }
    }
}

impl Origin {
    fn flag(name: &str) -> Self {
        Origin::Flag { flag: name.to_owned() }
    }

    fn env(variable: &str) -> Self {
        Origin::Env { variable: variable.to_owned() }
    }

    fn profile(profile: &str, key: &str) -> Self {
        Origin::Profile { profile: profile.to_owned(), key: key.to_owned() }
    }
}

/// The API endpoint and network name in effect, each with its origin.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) endpoint: reqwest::Url,
    pub(crate) endpoint_origin: Origin,
    pub(crate) network: Option<String>,
    pub(crate) network_origin: Option<Origin>,
    /// What the profile says that a flag or the environment overrides, one line each.
    pub(crate) overridden: Vec<String>,
}

/// One level of the order: what it says about the endpoint.
struct Level {
    url: Option<(String, Origin)>,
    network: Option<(String, Origin)>,
}

/// Resolves the endpoint and the network name from `--network`, the environment and the
/// profile `profile_name` (whose content is `profile`).
pub(crate) fn target(env: &Env, network_flag: Option<&str>, profile_name: &str, profile: &Profile) -> Result<Target> {
    let levels = [
        Level { url: None, network: network_flag.map(|n| (n.to_owned(), Origin::flag("--network"))) },
        Level {
            url: env.get(env::TGCTL_API_URL).map(|u| (u.to_owned(), Origin::env(env::TGCTL_API_URL))),
            network: env.get(env::TWINGATE_NETWORK).map(|n| (n.to_owned(), Origin::env(env::TWINGATE_NETWORK))),
        },
        Level {
            url: profile.api_url.clone().map(|u| (u, Origin::profile(profile_name, "api_url"))),
            network: profile.network.clone().map(|n| (n, Origin::profile(profile_name, "network"))),
        },
    ];
    let base = env.get(env::TWINGATE_URL).unwrap_or(DEFAULT_BASE_DOMAIN);
    let (network, network_origin) = match levels.iter().find_map(|l| l.network.clone()) {
        Some((raw, origin)) => (Some(normalize_network(&raw, base)?), Some(origin)),
        None => (None, None),
    };
    // The first level that names the endpoint, by URL or by network.
    let found = levels.iter().enumerate().find_map(|(i, l)| match (&l.url, &l.network) {
        (Some(url), _) => Some((i, url, true)),
        (None, Some(name)) => Some((i, name, false)),
        (None, None) => None,
    });
    let Some((level, (text, origin), is_url)) = found else {
        return Err(Error::new(Kind::AuthMissing, "no network given").hint(
            "pass --network NAME (as in NAME.twingate.com), set TWINGATE_NETWORK, or run `tgctl auth login --network NAME`",
        ));
    };
    let url =
        if is_url { text.clone() } else { format!("https://{}.{base}/api/graphql/", normalize_network(text, base)?) };
    let (endpoint, endpoint_origin) = (parse_url(&url, &origin.to_string())?, origin.clone());
    let mut overridden = Vec::new();
    let profile_level = &levels[2];
    if level < 2 {
        if let Some((url, _)) = &profile_level.url {
            overridden.push(format!("{endpoint_origin} overrides the api_url {url} of profile {profile_name:?}"));
        } else if let Some((name, _)) = &profile_level.network
            && network.as_deref() != Some(name.as_str())
        {
            overridden.push(format!("{endpoint_origin} overrides the network {name:?} of profile {profile_name:?}"));
        }
    }
    Ok(Target { endpoint, endpoint_origin, network, network_origin, overridden })
}

/// The profile in effect and where its name came from: `--profile`, `TGCTL_PROFILE`, the
/// `profile` key of config.toml, or the default name.
pub(crate) fn profile_origin(env: &Env, flag: Option<&str>, file_default: Option<&str>) -> Origin {
    if flag.is_some() {
        Origin::flag("--profile")
    } else if env.get(env::TGCTL_PROFILE).is_some() {
        Origin::env(env::TGCTL_PROFILE)
    } else if file_default.is_some() {
        Origin::ConfigFile { key: "profile".to_owned() }
    } else {
        Origin::Default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(env: &Env, flag: Option<&str>, profile: &Profile) -> (String, String, Option<String>, Option<String>) {
        let t = target(env, flag, "p", profile).unwrap();
        (t.endpoint.to_string(), t.endpoint_origin.to_string(), t.network, t.network_origin.map(|o| o.to_string()))
    }

    #[test]
    fn flag_then_environment_then_profile() {
        let emulator = "http://127.0.0.1:9/api/graphql/";
        let profile = Profile { api_url: Some(emulator.into()), network: Some("demo".into()), ..Profile::default() };
        // The profile alone: its URL, and its network name (a profile logged in with --network).
        let (url, from, net, net_from) = at(&Env::default(), None, &profile);
        assert_eq!((url.as_str(), from.as_str()), (emulator, "profile \"p\" (api_url in config.toml)"));
        assert_eq!(
            (net.as_deref(), net_from.as_deref()),
            (Some("demo"), Some("profile \"p\" (network in config.toml)"))
        );

        // TWINGATE_NETWORK beats the profile's api_url, and says so.
        let env = Env::default().with(env::TWINGATE_NETWORK, "acme");
        let t = target(&env, None, "p", &profile).unwrap();
        assert_eq!(t.endpoint.as_str(), "https://acme.twingate.com/api/graphql/");
        assert_eq!(t.endpoint_origin, Origin::env("TWINGATE_NETWORK"));
        assert_eq!(t.overridden.len(), 1);
        assert!(t.overridden[0].contains("overrides the api_url http://127.0.0.1:9/api/graphql/ of profile \"p\""));

        // The emulator's environment: its URL, and TWINGATE_NETWORK as the name.
        let env = Env::default()
            .with(env::TGCTL_API_URL, "http://127.0.0.1:7/api/graphql/")
            .with(env::TWINGATE_NETWORK, "demo");
        let (url, from, net, _) = at(&env, None, &Profile::default());
        assert_eq!(
            (url.as_str(), from.as_str(), net.as_deref()),
            ("http://127.0.0.1:7/api/graphql/", "environment variable TGCTL_API_URL", Some("demo"))
        );

        // --network beats everything in the environment and the profile.
        let (url, from, net, _) = at(&env, Some("flagged"), &profile);
        assert_eq!(
            (url.as_str(), from.as_str(), net.as_deref()),
            ("https://flagged.twingate.com/api/graphql/", "flag --network", Some("flagged"))
        );

        // TWINGATE_URL changes the base domain wherever the network name came from.
        let env = Env::default().with(env::TWINGATE_URL, "stg.example.net");
        let p = Profile { network: Some("acme".into()), ..Profile::default() };
        assert_eq!(at(&env, None, &p).0, "https://acme.stg.example.net/api/graphql/");

        // Nothing anywhere: exit 3 with what to do.
        let err = target(&Env::default(), None, "p", &Profile::default()).unwrap_err();
        assert_eq!(err.kind, Kind::AuthMissing);
    }

    #[test]
    fn profile_names_say_where_they_came_from() {
        assert_eq!(profile_origin(&Env::default(), Some("ci"), Some("x")).to_string(), "flag --profile");
        let env = Env::default().with(env::TGCTL_PROFILE, "ci");
        assert_eq!(profile_origin(&env, None, Some("x")).to_string(), "environment variable TGCTL_PROFILE");
        assert_eq!(profile_origin(&Env::default(), None, Some("x")).to_string(), "config.toml (profile)");
        assert_eq!(profile_origin(&Env::default(), None, None), Origin::Default);
    }
}
