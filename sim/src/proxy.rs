//! Userspace mode: `twingated --http-proxy ADDR --tun off` (or `TWINGATE_HTTP_PROXY` and
//! `TWINGATE_TUN=off`), as Twingate documents for machines without TUN or root. The daemon runs
//! in the foreground and serves a real HTTP CONNECT proxy on ADDR.
//!
//! Like the real client it proxies only CONNECT (other methods get 405). It reaches only local
//! test listeners (`127.0.0.1`, `localhost`, `::1`: the stand-ins for private resources), and
//! only while the key is valid: in emulator mode while the login answers 200, otherwise while
//! the scenario says `online`. Otherwise: `403 Forbidden` (not connected, or not a resource) or
//! `502 Bad Gateway` (the target refused or did not answer). Tunnels copy both ways with
//! half-close: EOF on one side shuts down the write half of the other.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the proxy threads log (level, message).
pub type Logger = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// What the daemon loop tells the proxy threads.
#[derive(Default)]
pub struct Shared {
    pub online: AtomicBool,
    pub state: Mutex<String>,
    /// Refusals logged so far (the log is not flooded).
    refusals_logged: AtomicU32,
}

/// The daemon's options, from its argv (`--http-proxy ADDR`, `--http-proxy=ADDR`, `--tun off`)
/// with the documented environment variables as fallbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub http_proxy: Option<String>,
    pub tun: bool,
}

impl Options {
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
        let mut http_proxy = env("TWINGATE_HTTP_PROXY");
        let mut tun = env("TWINGATE_TUN");
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = a.split_once('=').map_or((a.as_str(), None), |(f, v)| (f, Some(v.to_owned())));
            let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{flag} needs a value"));
            match flag {
                "--http-proxy" => http_proxy = Some(value()?),
                "--tun" => tun = Some(value()?),
                _ => return Err(format!("unknown argument {a:?}")),
            }
        }
        let tun = match tun.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(other) => return Err(format!("--tun takes on or off, not {other:?}")),
        };
        Ok(Options { http_proxy: http_proxy.filter(|p| !p.is_empty()), tun })
    }
}

/// Binds the proxy and serves it on a thread (one thread per tunnel, two per direction).
pub fn serve(addr: &str, shared: Arc<Shared>, log: Logger) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let shared = shared.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &shared, &*log);
            });
        }
    });
    Ok(local)
}

fn refuse(
    mut client: TcpStream,
    status: &str,
    why: &str,
    shared: &Shared,
    log: &dyn Fn(&str, &str),
) -> std::io::Result<()> {
    if shared.refusals_logged.fetch_add(1, Ordering::Relaxed) < 20 {
        log("WARN", &format!("http proxy: {status}: {why}"));
    }
    let body = format!("{why}\n");
    let _ = client.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let _ = client.shutdown(Shutdown::Write);
    Ok(())
}

/// Reads the request head byte by byte, so that nothing after it is consumed.
fn read_head(client: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() > 16 * 1024 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "request head too large"));
        }
        if client.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn handle(mut client: TcpStream, shared: &Shared, log: &dyn Fn(&str, &str)) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = read_head(&mut client)?;
    client.set_read_timeout(None)?;
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if !method.eq_ignore_ascii_case("CONNECT") {
        return refuse(
            client,
            "405 Method Not Allowed",
            &format!("only CONNECT is proxied, not {method}"),
            shared,
            log,
        );
    }
    if !shared.online.load(Ordering::Acquire) {
        let state = shared.state.lock().map(|s| s.clone()).unwrap_or_default();
        return refuse(client, "403 Forbidden", &format!("not connected (status: {state})"), shared, log);
    }
    let Some((host, port)) = split_target(target) else {
        return refuse(client, "400 Bad Request", &format!("{target:?} is not HOST:PORT"), shared, log);
    };
    if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1") {
        return refuse(client, "403 Forbidden", &format!("{host} is not a resource of this network"), shared, log);
    }
    let upstream = (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .into_iter()
        .flatten()
        .find_map(|a| TcpStream::connect_timeout(&a, Duration::from_secs(3)).ok());
    let Some(upstream) = upstream else {
        return refuse(client, "502 Bad Gateway", &format!("cannot connect to {target}"), shared, log);
    };
    let _ = upstream.set_nodelay(true);
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (c2, u2) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || pump(c2, u2));
    pump(upstream, client);
    let _ = up.join();
    Ok(())
}

/// Copies until EOF, then shuts down the write half of `to` (half-close).
fn pump(mut from: TcpStream, to: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut to_w = &to;
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to_w.write_all(&buf[..n]).is_err() {
                    let _ = from.shutdown(Shutdown::Read);
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// `host:port`, `[v6]:port`.
fn split_target(t: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = t.strip_prefix('[') {
        let (h, p) = rest.split_once("]:")?;
        (h, p)
    } else {
        t.rsplit_once(':')?
    };
    Some((host.to_owned(), port.parse().ok().filter(|p| *p > 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_argv_or_the_environment() {
        let none = |_: &str| None;
        let args = |s: &[&str]| s.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            Options::parse(&args(&["--http-proxy", "127.0.0.1:9", "--tun", "off"]), none).unwrap(),
            Options { http_proxy: Some("127.0.0.1:9".into()), tun: false }
        );
        assert_eq!(
            Options::parse(&args(&["--http-proxy=127.0.0.1:9", "--tun=off"]), none).unwrap().http_proxy.as_deref(),
            Some("127.0.0.1:9")
        );
        let env = |k: &str| match k {
            "TWINGATE_HTTP_PROXY" => Some("127.0.0.1:7".to_owned()),
            "TWINGATE_TUN" => Some("off".to_owned()),
            _ => None,
        };
        assert_eq!(Options::parse(&[], env).unwrap(), Options { http_proxy: Some("127.0.0.1:7".into()), tun: false });
        assert!(Options::parse(&[], none).unwrap().tun);
        assert!(Options::parse(&args(&["--bogus"]), none).is_err());
        assert_eq!(split_target("[::1]:22"), Some(("::1".into(), 22)));
        assert_eq!(split_target("db:0"), None);
    }

    #[test]
    fn connect_only_while_online_and_only_to_local_targets() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let echo_addr = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in echo.incoming().flatten() {
                std::thread::spawn(move || {
                    let r = s.try_clone().unwrap();
                    pump(r, s);
                });
            }
        });
        let shared = Arc::new(Shared::default());
        *shared.state.lock().unwrap() = "authenticating".into();
        let addr = serve("127.0.0.1:0", shared.clone(), Arc::new(|_: &str, _: &str| {})).unwrap();
        let ask = |target: &str| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).unwrap();
            let head = read_head(&mut s).unwrap();
            (head, s)
        };
        assert!(ask(&echo_addr.to_string()).0.starts_with("HTTP/1.1 403"));
        shared.online.store(true, Ordering::Release);
        assert!(ask("10.0.0.1:22").0.starts_with("HTTP/1.1 403"));
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        assert!(ask(&closed.to_string()).0.starts_with("HTTP/1.1 502"));
        let (head, mut s) = ask(&echo_addr.to_string());
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        s.write_all(b"hello").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        assert_eq!(back, "hello");
    }
}
