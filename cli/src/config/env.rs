//! The one registry of environment variables tgctl reads.
//!
//! Every variable is declared here, once, with its documentation; `tgctl help environment` is
//! generated from [`VARS`], and nothing else in the crate calls `std::env::var` directly.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// One documented environment variable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvVar {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    /// Shown in `tgctl help environment` (test-only knobs are hidden).
    pub(crate) documented: bool,
}

macro_rules! vars {
    ($( $konst:ident = $name:literal, $doc:literal, $documented:literal; )*) => {
        $( pub const $konst: &str = $name; )*
        /// All variables, in the order `tgctl help environment` lists them.
        pub(crate) const VARS: &[EnvVar] = &[ $( EnvVar { name: $name, help: $doc, documented: $documented }, )* ];
    };
}

vars! {
    TWINGATE_API_TOKEN = "TWINGATE_API_TOKEN", "API token for the Admin API; overrides the profile's stored token.", true;
    TWINGATE_NETWORK = "TWINGATE_NETWORK", "Network (tenant) name, as in <network>.twingate.com; --network overrides it, and it overrides the profile's network and api_url.", true;
    TWINGATE_URL = "TWINGATE_URL", "Base domain of the network's host (default twingate.com).", true;
    TGCTL_API_URL = "TGCTL_API_URL", "Full GraphQL endpoint URL, e.g. the emulator's http://127.0.0.1:PORT/api/graphql/; used instead of TWINGATE_NETWORK's host. --network overrides it; it overrides the profile's network and api_url.", true;
    TGCTL_PROFILE = "TGCTL_PROFILE", "Profile to use; same as --profile.", true;
    TGCTL_CONFIG_DIR = "TGCTL_CONFIG_DIR", "Directory of config.toml and credentials.toml (default: the XDG config dir + /tgctl).", true;
    TGCTL_STATE_DIR = "TGCTL_STATE_DIR", "Directory for runtime state: the request pacer and connect's state file (default: $XDG_RUNTIME_DIR/tgctl or a private temp dir).", true;
    TGCTL_NO_KEYRING = "TGCTL_NO_KEYRING", "Set to 1 to never use the OS keyring; tokens are then kept in a 0600 file.", true;
    TGCTL_READS_PER_MINUTE = "TGCTL_READS_PER_MINUTE", "Client-side pacing of queries (default 60 a minute; 0 turns pacing off).", true;
    TGCTL_WRITES_PER_MINUTE = "TGCTL_WRITES_PER_MINUTE", "Client-side pacing of mutations (default 20 a minute; 0 turns pacing off).", true;
    TGCTL_HTTP_TIMEOUT = "TGCTL_HTTP_TIMEOUT", "Seconds one HTTP attempt may take (default 30).", true;
    TGCTL_RETRY_BUDGET = "TGCTL_RETRY_BUDGET", "Seconds all attempts of one request may take together, waits included (default 90).", true;
    TGCTL_FORCE_TTY = "TGCTL_FORCE_TTY", "Set to 1 to format output as if stdout and stderr were terminals.", true;
    TGCTL_NO_PROMPT = "TGCTL_NO_PROMPT", "Set to 1 to never prompt; destructive verbs then need --yes.", true;
    COLUMNS = "COLUMNS", "Width of tables at a terminal (default: the terminal's width; 100 when unknown).", true;
    NO_COLOR = "NO_COLOR", "When set and not empty, no colour.", true;
    CLICOLOR_FORCE = "CLICOLOR_FORCE", "When set and not 0, colour even when not on a terminal.", true;
    FORCE_COLOR = "FORCE_COLOR", "Same as CLICOLOR_FORCE.", true;
    TWINGATE_SERVICE_KEY = "TWINGATE_SERVICE_KEY", "Service key for connect (raw JSON, or base64 of it).", true;
    TGCTL_ID_TOKEN = "TGCTL_ID_TOKEN", "The job's OIDC ID token for connect --broker (GitLab: an `id_tokens:` entry of this name); read before the GitHub and CircleCI sources.", true;
    ACTIONS_ID_TOKEN_REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL", "Set by GitHub Actions in jobs with `permissions: id-token: write`; connect --broker asks it for the job's OIDC token; its host goes into NO_PROXY in proxy mode.", true;
    ACTIONS_ID_TOKEN_REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "Set by GitHub Actions with ACTIONS_ID_TOKEN_REQUEST_URL: the bearer token for that request.", true;
    CIRCLE_OIDC_TOKEN_V2 = "CIRCLE_OIDC_TOKEN_V2", "Set by CircleCI: the job's OIDC token, which connect --broker sends to the broker.", true;
    GITHUB_ACTIONS = "GITHUB_ACTIONS", "Set by GitHub Actions; tgctl then masks secrets with ::add-mask:: before printing anything.", true;
    CI = "CI", "Set by most CI systems; progress is then printed as timestamped lines instead of spinners.", true;
    XDG_RUNTIME_DIR = "XDG_RUNTIME_DIR", "Where runtime state goes when TGCTL_STATE_DIR is unset; in proxy mode the daemon's runtime dir (when unset or not writable, connect gives the daemon a private one in the state dir).", true;
    TGCTL_TWINGATE_BIN = "TGCTL_TWINGATE_BIN", "The Twingate client binary for connect/disconnect/status (default: `twingate` on PATH); same as --client-bin.", true;
    TGCTL_PROVIDER = "TGCTL_PROVIDER", "Which service tgctl manages and connects through: `twingate` (default) or `firezone`; same as --provider.", true;
    FIREZONE_API_TOKEN = "FIREZONE_API_TOKEN", "API token for Firezone's REST API (with --provider firezone); overrides the profile's stored token.", true;
    FIREZONE_API_URL = "FIREZONE_API_URL", "Firezone's API (default https://api.firezone.dev). A ws:// or wss:// URL is read as http(s) and also passed on to the headless client.", true;
    FIREZONE_TOKEN = "FIREZONE_TOKEN", "Service-account token for connect --provider firezone; the headless client gets it in its environment, never in argv.", true;
    FIREZONE_ID = "FIREZONE_ID", "Device ID connect --provider firezone gives the headless client (default: derived from the CI job).", true;
    FIREZONE_NAME = "FIREZONE_NAME", "Device name connect --provider firezone gives the headless client (default: tgctl-<CI job>).", true;
    TGCTL_FIREZONE_BIN = "TGCTL_FIREZONE_BIN", "The Firezone headless client for connect --provider firezone (default: `firezone-headless-client` on PATH); same as --client-bin.", true;
    PATH = "PATH", "Searched for the Twingate client (`twingate`), sudo, apt-get and gpg.", true;
    GITHUB_OUTPUT = "GITHUB_OUTPUT", "Set by GitHub Actions; connect appends its step outputs (status, elapsed-ms, key-id) to this file.", true;
    GITHUB_RUN_ID = "GITHUB_RUN_ID", "Set by GitHub Actions; names keys minted by connect --mint.", true;
    GITHUB_RUN_ATTEMPT = "GITHUB_RUN_ATTEMPT", "Set by GitHub Actions; names keys minted by connect --mint.", true;
    GITHUB_JOB = "GITHUB_JOB", "Set by GitHub Actions; names keys minted by connect --mint.", true;
    GITHUB_REPOSITORY = "GITHUB_REPOSITORY", "Set by GitHub Actions; names keys minted by connect --mint.", true;
    GITLAB_CI = "GITLAB_CI", "Set by GitLab CI; with CI_JOB_ID and CI_PROJECT_PATH names keys minted by connect --mint.", true;
    CI_JOB_ID = "CI_JOB_ID", "Set by GitLab CI; names keys minted by connect --mint.", true;
    CI_PROJECT_PATH = "CI_PROJECT_PATH", "Set by GitLab CI; names keys minted by connect --mint.", true;
    CIRCLE_BUILD_NUM = "CIRCLE_BUILD_NUM", "Set by CircleCI; with CIRCLE_PROJECT_REPONAME and CIRCLE_JOB names keys minted by connect --mint.", true;
    CIRCLE_JOB = "CIRCLE_JOB", "Set by CircleCI; names keys minted by connect --mint.", true;
    CIRCLE_PROJECT_REPONAME = "CIRCLE_PROJECT_REPONAME", "Set by CircleCI; names keys minted by connect --mint.", true;
    BUILDKITE_BUILD_NUMBER = "BUILDKITE_BUILD_NUMBER", "Set by Buildkite; with BUILDKITE_PIPELINE_SLUG names keys minted by connect --mint.", true;
    BUILDKITE_PIPELINE_SLUG = "BUILDKITE_PIPELINE_SLUG", "Set by Buildkite; names keys minted by connect --mint.", true;
    TGCTL_TWINGATED_BIN = "TGCTL_TWINGATED_BIN", "The Twingate daemon for connect's proxy mode (default: `twingated` next to the client, on PATH, or in /usr/sbin); same as --daemon-bin.", true;
    GITHUB_ENV = "GITHUB_ENV", "Set by GitHub Actions; connect in proxy mode appends the proxy settings (--proxy-env: HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ...) for the steps after it.", true;
    BASH_ENV = "BASH_ENV", "Set by CircleCI; when connect --env-file names this file, it writes `export NAME=value` lines.", true;
    NO_PROXY = "NO_PROXY", "Hosts that bypass the proxy; connect in proxy mode keeps them in the NO_PROXY it exports.", true;
    NO_PROXY_LOWER = "no_proxy", "Same as NO_PROXY.", true;
    GITHUB_SERVER_URL = "GITHUB_SERVER_URL", "Set by GitHub Actions; its host goes into the NO_PROXY connect exports in proxy mode.", true;
    GITHUB_API_URL = "GITHUB_API_URL", "Set by GitHub Actions; its host goes into NO_PROXY in proxy mode.", true;
    ACTIONS_RUNTIME_URL = "ACTIONS_RUNTIME_URL", "Set by GitHub Actions; its host goes into NO_PROXY in proxy mode.", true;
    ACTIONS_RESULTS_URL = "ACTIONS_RESULTS_URL", "Set by GitHub Actions; its host goes into NO_PROXY in proxy mode.", true;
    CI_SERVER_HOST = "CI_SERVER_HOST", "Set by GitLab CI; goes into NO_PROXY in proxy mode.", true;
    TGCTL_CLIENT_CACHE = "TGCTL_CLIENT_CACHE", "Directory where connect --install keeps the client packages it downloads (apt's Dir::Cache::Archives, dnf's cachedir); the CI wrappers carry it from job to job.", true;
    TGCTL_TWINGATE_APT_URL = "TGCTL_TWINGATE_APT_URL", "Twingate's apt repository for connect --install (default https://packages.twingate.com/apt/; a mirror, or a local file: repository).", true;
    TGCTL_TWINGATE_RPM_URL = "TGCTL_TWINGATE_RPM_URL", "Twingate's rpm repository for connect --install with dnf/yum (default https://packages.twingate.com/rpm/; a mirror).", true;
    TGCTL_SYSROOT = "TGCTL_SYSROOT", "Root under which connect's preflight reads /dev/net/tun, /proc/self/status, /run/systemd/system and /var/log/twingated.log (default /; for tests).", false;
    TGCTL_TWINGATE_APT_KEY_URL = "TGCTL_TWINGATE_APT_KEY_URL", "Where connect --install downloads the apt repository key (default https://packages.twingate.com/apt/gpg.key; for tests).", false;
    TGCTL_CHECK_ARGS = "TGCTL_CHECK_ARGS", "Parse-only mode for the CI wrappers' tests: 1 checks this command line, a file path checks one JSON array of arguments a line; nothing runs (see cli/src/check_args.rs).", false;
    TGCTL_BACKOFF_SCALE = "TGCTL_BACKOFF_SCALE", "Multiplier for retry waits, for tests (default 1; 0 makes retries immediate).", false;
}

/// Variables that carry a credential. A child tgctl starts (the client, its daemon, the
/// forwarder) gets none of them but the one it needs, passed as its documentation says
/// (issue 15, item 8): `connect::process::withhold_secrets`.
pub const SECRETS: &[&str] = &[TWINGATE_API_TOKEN, TWINGATE_SERVICE_KEY, FIREZONE_API_TOKEN, FIREZONE_TOKEN];

/// The allowed range of a numeric variable. Every variable read with [`Env::number`] has one, so a
/// value such as `1e19` or `inf` is refused with one message naming the variable and its range
/// instead of overflowing a clock later (issue 15, item 7).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumericRange {
    pub(crate) name: &'static str,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// The range of every numeric variable (checked by a test: each `number` call site is listed).
pub(crate) const NUMERIC: &[NumericRange] = &[
    NumericRange { name: TGCTL_READS_PER_MINUTE, min: 0.0, max: 100_000.0 },
    NumericRange { name: TGCTL_WRITES_PER_MINUTE, min: 0.0, max: 100_000.0 },
    // An attempt needs some time; a day is far beyond any useful timeout.
    NumericRange { name: TGCTL_HTTP_TIMEOUT, min: 0.001, max: 86_400.0 },
    NumericRange { name: TGCTL_RETRY_BUDGET, min: 0.0, max: 86_400.0 },
    NumericRange { name: TGCTL_BACKOFF_SCALE, min: 0.0, max: 1_000.0 },
    NumericRange { name: COLUMNS, min: 20.0, max: 100_000.0 },
];

/// The range of `name`, if it is a numeric variable.
pub(crate) fn numeric_range(name: &str) -> Option<NumericRange> {
    NUMERIC.iter().copied().find(|r| r.name == name)
}

fn fmt_bound(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { v.to_string() }
}

/// A snapshot of the environment, taken once at start-up (tests build one from a map).
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    values: BTreeMap<&'static str, String>,
}

impl Env {
    /// Reads every registered variable from the process environment.
    #[allow(clippy::disallowed_methods)] // the one reader of the process environment (clippy.toml)
    pub(crate) fn from_process() -> Self {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    pub(crate) fn from_lookup(mut lookup: impl FnMut(&str) -> Option<OsString>) -> Self {
        let values = VARS
            .iter()
            .filter_map(|v| {
                let value = lookup(v.name)?;
                Some((v.name, value.to_string_lossy().into_owned()))
            })
            .collect();
        Self { values }
    }

    /// The value, if set and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        debug_assert!(VARS.iter().any(|v| v.name == name), "unregistered env var {name}");
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// True when the variable is set to something other than empty, `0` or `false`.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no"))
    }

    /// A number within the variable's registered range ([`NUMERIC`]), or `Err` with one message
    /// naming the variable and its range (NaN, infinities and overflowing values included).
    pub(crate) fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        let range = numeric_range(name);
        debug_assert!(range.is_some(), "numeric env var {name} has no range in NUMERIC");
        let what = match range {
            Some(r) => format!("a number from {} to {}", fmt_bound(r.min), fmt_bound(r.max)),
            None => "a number".to_owned(),
        };
        let shown: String = raw.chars().take(40).collect();
        let bad = || format!("{name}={shown:?} is not valid: set it to {what}");
        let trimmed = raw.trim();
        let as_f64 = trimmed.parse::<f64>().map_err(|_| bad())?;
        if let Some(r) = range
            && !(r.min..=r.max).contains(&as_f64)
        {
            return Err(bad());
        }
        trimmed.parse::<T>().map(Some).map_err(|_| bad())
    }

    pub(crate) fn in_github_actions(&self) -> bool {
        self.get(GITHUB_ACTIONS) == Some("true")
    }

    pub(crate) fn in_ci(&self) -> bool {
        self.flag(CI) || self.in_github_actions()
    }

    /// This environment with one variable set (tests; `disconnect --client-bin` names the client
    /// the way `TGCTL_TWINGATE_BIN` would).
    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.insert(name, value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = VARS.iter().map(|v| v.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn empty_values_count_as_unset_and_flags_parse() {
        let env = Env::default().with(NO_COLOR, "").with(TGCTL_NO_KEYRING, "1").with(CI, "false");
        assert_eq!(env.get(NO_COLOR), None);
        assert!(env.flag(TGCTL_NO_KEYRING));
        assert!(!env.flag(CI));
    }

    #[test]
    fn numbers_report_the_variable() {
        let env = Env::default().with(TGCTL_HTTP_TIMEOUT, "ten");
        let err = env.number::<u64>(TGCTL_HTTP_TIMEOUT).unwrap_err();
        assert!(err.contains("TGCTL_HTTP_TIMEOUT"), "{err}");
    }

    #[test]
    fn numbers_outside_their_range_are_refused() {
        for bad in ["1e19", "inf", "-inf", "NaN", "-1", "1e300"] {
            let env = Env::default().with(TGCTL_RETRY_BUDGET, bad);
            let err = env.number::<f64>(TGCTL_RETRY_BUDGET).unwrap_err();
            assert!(err.contains("TGCTL_RETRY_BUDGET") && err.contains("from 0 to 86400"), "{bad}: {err}");
        }
        let env = Env::default().with(TGCTL_BACKOFF_SCALE, "2.5").with(TGCTL_READS_PER_MINUTE, "1.5");
        assert_eq!(env.number::<f64>(TGCTL_BACKOFF_SCALE).unwrap(), Some(2.5));
        assert!(env.number::<u32>(TGCTL_READS_PER_MINUTE).is_err());
    }

    #[test]
    fn every_numeric_range_names_a_registered_variable() {
        for r in NUMERIC {
            assert!(VARS.iter().any(|v| v.name == r.name), "{}", r.name);
            assert!(r.min <= r.max);
        }
    }
}
