//! "Usable", not just "online": names resolve (through NSS, like the job's tools will) and,
//! optionally, only to private addresses; TCP ports accept connections.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

/// RFC 1918, 100.64.0.0/10 (CGNAT, where Twingate's resolvers and addresses live), loopback,
/// and IPv6 unique-local fc00::/7 (IPv4-mapped addresses are judged as IPv4).
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_loopback() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        },
    }
}

/// A `--resolve` that succeeded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resolved {
    pub(crate) host: String,
    pub(crate) addresses: Vec<IpAddr>,
    pub(crate) attempts: u32,
    pub(crate) ms: u64,
}

/// A `--probe` that succeeded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probed {
    pub(crate) target: String,
    pub(crate) address: SocketAddr,
    pub(crate) attempts: u32,
    pub(crate) ms: u64,
}

/// `HOST:PORT` or `[V6]:PORT`.
pub(crate) fn parse_target(text: &str) -> Result<(String, u16), String> {
    let bad = || format!("--probe {text:?} is not HOST:PORT");
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, p) = rest.split_once("]:").ok_or_else(bad)?;
        (h, p)
    } else {
        text.rsplit_once(':').ok_or_else(bad)?
    };
    // Brackets only ever enclose an IPv6 literal: a host with one left in it ("[[]:1") would not
    // print back as the same target.
    if host.is_empty() || host.contains(['[', ']']) || host.contains(':') && !text.starts_with('[') {
        return Err(bad());
    }
    let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(bad)?;
    Ok((host.to_owned(), port))
}

/// One resolution through getaddrinfo. `Err` says why it does not count (yet).
pub(crate) async fn resolve_once(host: &str, require_private: bool, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    let lookup = tokio::net::lookup_host((host, 0));
    let addrs: Vec<IpAddr> = match tokio::time::timeout(timeout, lookup).await {
        Err(_) => return Err("the lookup timed out".to_owned()),
        Ok(Err(e)) => return Err(e.to_string()),
        Ok(Ok(it)) => it.map(|a| a.ip()).collect(),
    };
    let mut unique: Vec<IpAddr> = Vec::new();
    for a in addrs {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    if unique.is_empty() {
        return Err("no addresses".to_owned());
    }
    if require_private {
        let public: Vec<String> = unique.iter().filter(|a| !is_private(**a)).map(ToString::to_string).collect();
        if !public.is_empty() {
            return Err(format!("resolves to public address(es) {} (--require-private)", public.join(", ")));
        }
    }
    Ok(unique)
}

/// One TCP connection attempt.
pub(crate) async fn probe_once(host: &str, port: u16, timeout: Duration) -> Result<SocketAddr, String> {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port))).await {
        Err(_) => Err(format!("no answer within {}", super::process::human(timeout))),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(stream)) => stream.peer_addr().map_err(|e| e.to_string()),
    }
}

/// Capped exponential backoff (from 100 ms, ×1.5, at most 2 s) with a little jitter.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Backoff::FIRST }
    }
}

impl Backoff {
    pub(crate) const FIRST: Duration = Duration::from_millis(100);
    pub(crate) const MAX: Duration = Duration::from_secs(2);

    /// The next wait, never past `deadline`.
    pub(crate) fn next(&mut self, deadline: Instant) -> Duration {
        let jitter = 0.9 + fastrand::f64() * 0.2;
        let d = self.next.mul_f64(jitter);
        self.next = self.next.mul_f64(1.5).min(Self::MAX);
        d.min(deadline.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "100.95.0.251",
            "127.0.0.1",
            "::1",
            "fd00::1",
            "fc00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "100.63.255.255", "2001:db8::1", "fe80::1", "::ffff:8.8.8.8"]
        {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target("db.internal:5432").unwrap(), ("db.internal".into(), 5432));
        assert_eq!(parse_target("[::1]:22").unwrap(), ("::1".into(), 22));
        // "[[]:1" and "a]:1": found by fuzzing (cli/src/fuzz/proxy.rs); they did not print back.
        for bad in ["db", "db:", "db:0", "db:99999", ":22", "::1:22", "[[]:1", "a]:1", "[a[b]:1"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_grows_and_caps() {
        let far = Instant::now() + Duration::from_secs(3600);
        let mut b = Backoff::default();
        let waits: Vec<Duration> = (0..12).map(|_| b.next(far)).collect();
        assert!(waits[0] <= Duration::from_millis(110));
        assert!(waits[11] <= Duration::from_millis(2_200) && waits[11] >= Duration::from_millis(1_800));
        let near = Instant::now() + Duration::from_millis(10);
        assert!(b.next(near) <= Duration::from_millis(10));
    }

    #[tokio::test]
    async fn localhost_resolves_privately_and_literals_judge_themselves() {
        let addrs = resolve_once("localhost", true, Duration::from_secs(5)).await.unwrap();
        assert!(addrs.iter().all(|a| a.is_loopback()));
        let err = resolve_once("8.8.8.8", true, Duration::from_secs(5)).await.unwrap_err();
        assert!(err.contains("public"), "{err}");
        assert!(resolve_once("8.8.8.8", false, Duration::from_secs(5)).await.is_ok());
    }
}
