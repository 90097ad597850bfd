//! Proxy mode (Twingate's userspace networking): no TUN device, no root. The daemon is started
//! directly as Twingate documents, `twingated --http-proxy 127.0.0.1:PORT --tun off`, with the
//! key in its environment (`TWINGATE_SERVICE_KEY`, never argv); it serves an HTTP proxy that
//! carries CONNECT tunnels to resources. Names resolve on the far side.
//!
//! - [`NetworkMode`] and how `auto` chooses.
//! - The daemon itself is the Twingate provider's (`providers::twingate::daemon`).
//! - [`connect_via`]: one CONNECT tunnel (probes, `--resolve`, forwards).
//! - [`job_env`]: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (and lower-case twins) for
//!   the job, and how they are written for each CI.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::env::{self, Env};
use crate::error::{Error, Result};

pub(crate) use super::args::{NetworkMode, ProxyEnv};

/// A free loopback port: bind port 0, note the port, release it.
pub(crate) fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("finding a free loopback port for the proxy", &e))?;
    l.local_addr().map(|a| a.port()).map_err(|e| Error::io("finding a free loopback port for the proxy", &e))
}

/// `host:port`, with brackets for IPv6 literals.
pub(crate) fn authority(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// Opens a tunnel to `host:port` through the HTTP proxy at `proxy` (`CONNECT`). Returns the
/// stream and any bytes the far side sent right after the proxy's answer (a server banner).
/// `Err` says why, with the proxy's status line when it answered.
pub(crate) async fn connect_via(
    proxy: SocketAddr,
    host: &str,
    port: u16,
    timeout: Duration,
) -> std::result::Result<(TcpStream, Vec<u8>), String> {
    let attempt = async {
        let mut s = TcpStream::connect(proxy).await.map_err(|e| format!("the proxy {proxy}: {e}"))?;
        let _ = s.set_nodelay(true);
        let target = authority(host, port);
        s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
            .await
            .map_err(|e| format!("the proxy {proxy}: {e}"))?;
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 1024];
        let end = loop {
            if let Some(i) = find_head_end(&buf) {
                break i;
            }
            if buf.len() > 16 * 1024 {
                return Err(format!("the proxy {proxy} sent an over-long answer"));
            }
            let n = s.read(&mut chunk).await.map_err(|e| format!("the proxy {proxy}: {e}"))?;
            if n == 0 {
                return Err(format!("the proxy {proxy} closed the connection without answering"));
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let status_line = head.lines().next().unwrap_or_default().trim().to_owned();
        let code = status_line.split_whitespace().nth(1).unwrap_or_default();
        if !status_line.starts_with("HTTP/") || code != "200" {
            return Err(format!("the proxy answered {status_line:?}"));
        }
        Ok((s, buf[end..].to_vec()))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer through the proxy within {}", super::process::human(timeout))),
    }
}

/// The index just past the end of an HTTP head (`\r\n\r\n`, or a bare `\n\n`).
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Hosts the job reaches without the proxy: loopback, the cloud metadata endpoints CI runners
/// live on (AWS/GCP/Azure IMDS 169.254.169.254, ECS task metadata 169.254.170.2, GCP's
/// metadata.google.internal, Azure's platform address 168.63.129.16), and the CI service's own
/// hosts (the runner reaches them without Twingate already): `GITHUB_SERVER_URL`,
/// `GITHUB_API_URL`, `ACTIONS_RUNTIME_URL`, `ACTIONS_RESULTS_URL`,
/// `ACTIONS_ID_TOKEN_REQUEST_URL`, GitLab's `CI_SERVER_HOST`; the Twingate network's own host
/// and the Admin API's (`TGCTL_API_URL`), so that tgctl's API calls (revoking a minted key at
/// disconnect, after the daemon is gone) never depend on the proxy. Then `extra`, then
/// whatever `NO_PROXY` or `no_proxy` held already.
pub(crate) const NO_PROXY_BASE: &[&str] =
    &["localhost", "127.0.0.1", "::1", "169.254.169.254", "169.254.170.2", "metadata.google.internal", "168.63.129.16"];

pub(crate) fn no_proxy(env: &Env, extra: &[String]) -> String {
    let mut hosts: Vec<String> = NO_PROXY_BASE.iter().map(|s| (*s).to_owned()).collect();
    for var in [
        env::TGCTL_API_URL,
        env::GITHUB_SERVER_URL,
        env::GITHUB_API_URL,
        env::ACTIONS_RUNTIME_URL,
        env::ACTIONS_RESULTS_URL,
        env::ACTIONS_ID_TOKEN_REQUEST_URL,
    ] {
        if let Some(host) = env.get(var).and_then(url_host) {
            hosts.push(host);
        }
    }
    if let Some(h) = env.get(env::CI_SERVER_HOST) {
        hosts.push(h.trim().to_owned());
    }
    hosts.extend(extra.iter().filter_map(|h| url_host(h)));
    for var in [env::NO_PROXY, env::NO_PROXY_LOWER] {
        if let Some(list) = env.get(var) {
            hosts.extend(list.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned));
        }
    }
    let mut seen = Vec::new();
    // A value with commas in it (CI_SERVER_HOST=",") adds its parts, never an empty entry.
    for h in hosts.iter().flat_map(|h| h.split(',')).map(str::trim) {
        if !h.is_empty() && !seen.iter().any(|s: &String| s.eq_ignore_ascii_case(h)) {
            seen.push(h.to_owned());
        }
    }
    seen.join(",")
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?.to_owned()
    } else {
        host_port.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then_some(host)
}

/// Public package registries and mirrors the job reaches without Twingate: with
/// `--proxy-env private` they stay off the proxy, so package installs and cache downloads are
/// never carried by (or refused by) the client's proxy (issue 14 T8). Suffixes, as NO_PROXY
/// takes them.
const PUBLIC_REGISTRIES: &[&str] = &[
    ".ubuntu.com",
    ".debian.org",
    ".fedoraproject.org",
    ".alpinelinux.org",
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "pypi.org",
    "files.pythonhosted.org",
    "crates.io",
    "static.crates.io",
    "index.crates.io",
    "proxy.golang.org",
    "sum.golang.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "plugins.gradle.org",
    "rubygems.org",
    "api.nuget.org",
    "registry-1.docker.io",
    "auth.docker.io",
    "production.cloudflare.docker.com",
    "ghcr.io",
    "quay.io",
    "objects.githubusercontent.com",
    "codeload.github.com",
    "packages.twingate.com",
];

/// What the job needs in proxy mode, by `--proxy-env`: always `TGCTL_PROXY_URL`; `private` adds
/// `HTTP_PROXY`, `HTTPS_PROXY` (and lower-case twins) and `NO_PROXY`/`no_proxy` with the public
/// registries; `all` adds `ALL_PROXY`/`all_proxy` to those (and no registries in NO_PROXY).
pub(crate) fn job_env(
    addr: SocketAddr,
    env: &Env,
    extra_no_proxy: &[String],
    scope: ProxyEnv,
) -> Vec<(&'static str, String)> {
    let url = format!("http://{addr}");
    let mut vars = vec![("TGCTL_PROXY_URL", url.clone())];
    if scope == ProxyEnv::None {
        return vars;
    }
    let mut extra = extra_no_proxy.to_vec();
    if scope == ProxyEnv::Private {
        extra.extend(PUBLIC_REGISTRIES.iter().map(|h| (*h).to_owned()));
    }
    let no = no_proxy(env, &extra);
    vars.extend([("HTTP_PROXY", url.clone()), ("HTTPS_PROXY", url.clone())]);
    if scope == ProxyEnv::All {
        vars.push(("ALL_PROXY", url.clone()));
    }
    vars.extend([("http_proxy", url.clone()), ("https_proxy", url.clone())]);
    if scope == ProxyEnv::All {
        vars.push(("all_proxy", url));
    }
    vars.extend([("NO_PROXY", no.clone()), ("no_proxy", no)]);
    vars
}

/// A value as a shell word: as is when it is plain, else in single quotes.
pub(crate) fn shell_value(v: &str) -> String {
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || "_.,:/@%+=-[]".contains(c)) {
        v.to_owned()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// `NAME=value` lines (GitHub's `$GITHUB_ENV`, GitLab dotenv, `set -a; . FILE`), or
/// `export NAME=value` lines (`eval`, CircleCI's `$BASH_ENV`).
pub(crate) fn env_lines(vars: &[(&str, String)], export: bool) -> String {
    let prefix = if export { "export " } else { "" };
    vars.iter().map(|(k, v)| format!("{prefix}{k}={}\n", shell_value(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_merges_ci_hosts_and_the_existing_list() {
        let env = Env::default()
            .with(env::GITHUB_SERVER_URL, "https://github.example.com")
            .with(env::ACTIONS_RESULTS_URL, "https://results.actions.example.net:443/x?y")
            .with(env::CI_SERVER_HOST, "gitlab.example.com")
            .with(env::NO_PROXY, "corp.example, localhost")
            .with(env::NO_PROXY_LOWER, ".internal.example");
        let n =
            no_proxy(&env.with(env::TGCTL_API_URL, "http://127.0.0.1:9/api/graphql/"), &["acme.twingate.com".into()]);
        assert!(n.starts_with("localhost,127.0.0.1,::1,169.254.169.254,"), "{n}");
        for h in [
            "github.example.com",
            "results.actions.example.net",
            "gitlab.example.com",
            "corp.example",
            ".internal.example",
        ] {
            assert!(n.split(',').any(|x| x == h), "{h} missing from {n}");
        }
        assert_eq!(n.matches("localhost").count(), 1);
        // Found by fuzzing (cli/src/fuzz/proxy.rs): a value with commas never adds an empty entry.
        let odd = no_proxy(&Env::default().with(env::CI_SERVER_HOST, ", gitlab.example ,"), &[",".to_owned()]);
        assert!(odd.ends_with(",gitlab.example") && !odd.contains(",,"), "{odd}");
        assert_eq!(url_host("http://[fd00::1]:8080/p"), Some("fd00::1".into()));
        assert_eq!(url_host("https://u:p@h.example/"), Some("h.example".into()));
    }

    #[test]
    fn env_lines_are_sourceable() {
        let vars = vec![("HTTP_PROXY", "http://127.0.0.1:9".to_owned()), ("NO_PROXY", "a,*.b c'd".to_owned())];
        assert_eq!(env_lines(&vars, false), "HTTP_PROXY=http://127.0.0.1:9\nNO_PROXY='a,*.b c'\\''d'\n");
        assert!(env_lines(&vars, true).starts_with("export HTTP_PROXY=http://127.0.0.1:9\n"));
    }

    #[test]
    fn head_end_is_found() {
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n\r\nSSH-2.0"), Some(19));
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(authority("::1", 22), "[::1]:22");
    }

    #[tokio::test]
    async fn connect_via_reports_the_proxys_answer_and_keeps_a_banner() {
        use tokio::net::TcpListener;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            for answer in ["HTTP/1.1 403 Forbidden\r\n\r\n", "HTTP/1.1 200 Connection established\r\n\r\nBANNER"] {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(answer.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let e = connect_via(addr, "db", 5432, Duration::from_secs(5)).await.unwrap_err();
        assert!(e.contains("403 Forbidden"), "{e}");
        let (_s, rest) = connect_via(addr, "db", 5432, Duration::from_secs(5)).await.unwrap();
        assert_eq!(rest, b"BANNER");
    }
}
