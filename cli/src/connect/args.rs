//! The flags of `tgctl connect`. One struct for every provider: clap parses it before the
//! provider is known (it may come from a profile); each provider reads the flags it owns and
//! refuses the others' (`Provider::from_args`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use serde::{Deserialize, Serialize};

const EXAMPLES: &str = "\
Examples:
  # GitHub Actions / any CI: key from a secret in the environment, wait until a host answers
  TWINGATE_SERVICE_KEY=\"$KEY\" tgctl connect --wait --probe db.internal:5432
  ...your steps...
  tgctl disconnect

  # Run one command inside the connection, then disconnect (exits with the command's status)
  tgctl connect --wait --service-key-file key.json --resolve db.internal --require-private -- ./migrate.sh

  # Mint a one-day key for this job with an API token; `disconnect` revokes and deletes it
  tgctl connect --wait --mint --service-account ci-deployer

  # Keyless: trade the job's OIDC token for a key at a tgctl-broker; `disconnect` releases it
  tgctl connect --wait --broker https://broker.example.com --audience tgctl-broker

  # A fresh runner: the client is installed if missing (a pinned version here), and containers
  # started by the job's docker steps resolve private names until disconnect
  tgctl connect --wait --client-version 2026.190.6704 --docker-dns --probe db.internal:5432

  # Key on stdin (never on the command line)
  vault read -field=key secret/twingate | tgctl connect --wait --service-key -

  # Firezone: a service-account token from the environment (see docs/firezone.md)
  FIREZONE_TOKEN=\"$TOKEN\" tgctl connect --provider firezone --wait --probe db.internal:5432
  # A container without TUN or root: the client's HTTP proxy, exported to this shell, and a
  # local port for tools that do not speak HTTP proxies
  eval \"$(tgctl connect --wait --network-mode proxy --probe db.internal:5432 --forward 15432:db.internal:5432 --print-env)\"
  psql -h 127.0.0.1 -p 15432 ...

Exit codes: 0 connected, 2 bad key or flags (nothing started), 7 not usable within --timeout,
8 client missing or failed, 130 interrupted; with `-- CMD`, CMD's status (128+N if killed by
signal N). See docs/connect.md.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct ConnectArgs {
    /// Wait until the client is online and every --resolve/--probe passes
    #[arg(long)]
    pub(crate) wait: bool,
    /// Read the service key (JSON, or base64 of it) from this file
    #[arg(long, value_name = "PATH", conflicts_with_all = ["service_key", "mint"])]
    pub(crate) service_key_file: Option<PathBuf>,
    /// `-` reads the service key from stdin (a key is never accepted on the command line);
    /// without a key flag, TWINGATE_SERVICE_KEY is used
    #[arg(long, value_name = "-", conflicts_with = "mint")]
    pub(crate) service_key: Option<String>,
    /// Mint a key for this job with the API token (`disconnect` revokes and deletes it)
    #[arg(long, requires = "service_account")]
    pub(crate) mint: bool,
    /// Get this job's key from a tgctl-broker (URL), trading the job's OIDC token for it; no API
    /// token or service key in the job (`disconnect` releases the lease). See docs/broker.md
    #[arg(long, value_name = "URL", conflicts_with_all = ["mint", "service_key_file", "service_key", "token_file", "token"])]
    pub(crate) broker: Option<String>,
    /// With --broker: the audience to ask the CI for (GitHub Actions; GitLab and CircleCI set it
    /// in the pipeline)
    #[arg(long, value_name = "AUD", requires = "broker")]
    pub(crate) audience: Option<String>,
    /// With --mint: the service account (name or ID)
    #[arg(long, value_name = "NAME|ID", requires = "mint")]
    pub(crate) service_account: Option<String>,
    /// With --mint: days until the minted key expires
    #[arg(long, value_name = "DAYS", default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub(crate) mint_expires_in_days: i64,
    /// The client binary [default: TGCTL_TWINGATE_BIN, else `twingate` on PATH]
    #[arg(long, value_name = "PATH")]
    pub(crate) client_bin: Option<PathBuf>,
    /// auto: install the Twingate client when it is missing (Debian/Ubuntu: apt, from Twingate's
    /// signed repository; Fedora/CentOS: dnf), as root or with sudo; never: fail instead
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = InstallMode::Auto, num_args = 0..=1, default_missing_value = "auto")]
    pub(crate) install: InstallMode,
    /// The Twingate client version --install installs (e.g. 2026.190.6704)
    #[arg(long, value_name = "VERSION", default_value = "latest")]
    pub(crate) client_version: String,
    /// Point the Docker daemon's DNS at the client's resolvers until `disconnect`, so containers
    /// the job starts resolve private names (TUN mode; restarts dockerd; see docs/connect.md)
    #[arg(long)]
    pub(crate) docker_dns: bool,
    /// Time budget for everything after the install (e.g. 90, 90s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    pub(crate) timeout: String,
    /// Restart the client when it has not come online after this long (within --timeout)
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub(crate) stall_after: String,
    /// Wait until HOST resolves (repeatable)
    #[arg(long = "resolve", value_name = "HOST")]
    pub(crate) resolve: Vec<String>,
    /// With --resolve: every address must be private (RFC 1918, 100.64.0.0/10, loopback, fc00::/7)
    #[arg(long, requires = "resolve")]
    pub(crate) require_private: bool,
    /// Wait until HOST:PORT accepts a TCP connection (repeatable)
    #[arg(long = "probe", value_name = "HOST:PORT")]
    pub(crate) probe: Vec<String>,
    /// Append TGCTL_CONNECT_STATUS, TGCTL_CONNECT_ELAPSED_MS and TGCTL_CONNECT_KEY_ID to this
    /// file (GitLab dotenv, CircleCI $BASH_ENV, `source`)
    #[arg(long, value_name = "PATH")]
    pub(crate) env_file: Option<PathBuf>,
    /// Firezone: read the service-account token from this file
    #[arg(long, value_name = "PATH", conflicts_with_all = ["token", "mint", "service_key_file", "service_key"])]
    pub(crate) token_file: Option<PathBuf>,
    /// Firezone: `-` reads the token from stdin; without a token flag, FIREZONE_TOKEN is used
    #[arg(long, value_name = "-", conflicts_with_all = ["mint", "service_key_file", "service_key"])]
    pub(crate) token: Option<String>,
    /// Firezone, with --mint: how long the minted token lives (default 6h; deleted at disconnect)
    #[arg(long, value_name = "DURATION", requires = "mint")]
    pub(crate) mint_expires_in: Option<String>,
    /// auto: TUN where preflight allows it (root or sudo, /dev/net/tun, CAP_NET_ADMIN), else the
    /// client's userspace HTTP proxy on loopback (no root); tun; proxy
    #[arg(long, value_enum, value_name = "MODE", default_value_t = NetworkMode::Auto)]
    pub(crate) network_mode: NetworkMode,
    /// Proxy mode: the loopback port of the client's HTTP proxy [default: a free port]
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) proxy_port: Option<u16>,
    /// Proxy mode: the daemon [default: TGCTL_TWINGATED_BIN, else `twingated` next to the
    /// client, on PATH, or in /usr/sbin]
    #[arg(long, value_name = "PATH")]
    pub(crate) daemon_bin: Option<PathBuf>,
    /// Serve 127.0.0.1:LOCAL_PORT, tunnelled to HOST:PORT, until `disconnect` (repeatable)
    #[arg(long = "forward", value_name = "LOCAL_PORT:HOST:PORT")]
    pub(crate) forward: Vec<String>,
    /// Print `export NAME=value` lines on stdout (the proxy settings in proxy mode) instead of
    /// the result, for `eval "$(tgctl connect ... --print-env)"`
    #[arg(long, conflicts_with = "command")]
    pub(crate) print_env: bool,
    /// A command to run inside the connection; tgctl disconnects afterwards and exits with its
    /// status
    #[arg(last = true, value_name = "CMD")]
    pub(crate) command: Vec<String>,
}

/// How the client reaches resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NetworkMode {
    /// TUN where preflight allows it (root or sudo, /dev/net/tun, CAP_NET_ADMIN), else proxy
    Auto,
    /// The client's TUN device: every program reaches resources
    Tun,
    /// The client's userspace HTTP proxy on loopback: programs that honour HTTP(S)_PROXY, and
    /// `tgctl forward` for the others
    Proxy,
}

impl NetworkMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Auto => "auto",
            NetworkMode::Tun => "tun",
            NetworkMode::Proxy => "proxy",
        }
    }
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--install`: whether connect installs a missing client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InstallMode {
    Auto,
    Never,
}

#[cfg(unix)]
impl ConnectArgs {
    /// Whether connect waits until the client is online (`--wait`, or anything that needs it).
    pub(crate) fn waits(&self) -> bool {
        self.wait
            || !self.resolve.is_empty()
            || !self.probe.is_empty()
            || !self.command.is_empty()
            || !self.forward.is_empty()
    }
}
