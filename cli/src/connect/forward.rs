//! Port forwards: a TCP listener on 127.0.0.1 whose connections are tunnelled to `HOST:PORT`
//! through the client's HTTP proxy (`CONNECT`), so that psql, ssh or redis-cli work unchanged
//! in proxy mode. Without a proxy (TUN mode) the target is dialled directly. Each connection is
//! copied both ways until both sides are done; EOF on one side shuts down the write half of the
//! other (half-close), so request/response protocols that close their sending side still get
//! their answer.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::proxy::{authority, connect_via};

/// Bytes buffered per direction of a connection.
const BUFFER: usize = 64 * 1024;
/// Opening the tunnel (proxy answer included) may take this long.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// One forward: `LOCAL_PORT:HOST:PORT` (`LOCAL_PORT:[V6]:PORT` for IPv6 literals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Forward {
    /// The port on 127.0.0.1 (0: any free port; the bound one is reported).
    pub(crate) local: u16,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Forward {
    pub(crate) fn target(&self) -> String {
        authority(&self.host, self.port)
    }

    /// `LOCAL_PORT:HOST:PORT`.
    pub(crate) fn spec(&self) -> String {
        format!("{}:{}", self.local, self.target())
    }
}

impl std::fmt::Display for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "127.0.0.1:{} -> {}", self.local, self.target())
    }
}

/// `LOCAL_PORT:HOST:PORT`.
pub(crate) fn parse_spec(text: &str) -> Result<Forward, String> {
    let bad = || format!("{text:?} is not LOCAL_PORT:HOST:PORT");
    let (local, rest) = text.split_once(':').ok_or_else(bad)?;
    let local: u16 = local.trim().parse().map_err(|_| bad())?;
    let (host, port) = super::probe::parse_target(rest).map_err(|_| bad())?;
    Ok(Forward { local, host, port })
}

/// `LOCAL_PORT` and `HOST:PORT` given separately (`tgctl forward 15432 db.internal:5432`).
pub(crate) fn parse_pair(local: &str, target: &str) -> Result<Forward, String> {
    let local: u16 = local.trim().parse().map_err(|_| format!("{local:?} is not a port number"))?;
    let (host, port) = super::probe::parse_target(target).map_err(|_| format!("{target:?} is not HOST:PORT"))?;
    Ok(Forward { local, host, port })
}

/// Binds every listener first (so a port in use fails before anything is served). The
/// returned forwards carry the bound ports.
pub(crate) async fn bind(forwards: &[Forward]) -> Result<Vec<(TcpListener, Forward)>, String> {
    let mut out = Vec::new();
    for f in forwards {
        let l = TcpListener::bind(("127.0.0.1", f.local))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{} (for {}): {e}", f.local, f.target()))?;
        let port = l.local_addr().map_err(|e| e.to_string())?.port();
        out.push((l, Forward { local: port, ..f.clone() }));
    }
    Ok(out)
}

/// Where a forward's connections go: through the proxy, or directly.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Via {
    Proxy(SocketAddr),
    Direct,
}

/// Serves the listeners until the future is dropped. `log` gets one line per failed connection.
pub(crate) async fn serve<L>(listeners: Vec<(TcpListener, Forward)>, via: Via, log: L)
where
    L: Fn(String) + Clone + Send + Sync + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for (listener, fwd) in listeners {
        let log = log.clone();
        tasks.spawn(accept_loop(listener, fwd, via, log));
    }
    while tasks.join_next().await.is_some() {}
}

async fn accept_loop<L>(listener: TcpListener, fwd: Forward, via: Via, log: L)
where
    L: Fn(String) + Clone + Send + Sync + 'static,
{
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let fwd = fwd.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    if let Err(e) = relay(client, &fwd, via).await {
                        log(format!("forward {fwd}: {e}"));
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                log(format!("forward {fwd}: accept: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn relay(mut client: TcpStream, fwd: &Forward, via: Via) -> Result<(), String> {
    let _ = client.set_nodelay(true);
    let mut upstream = match via {
        Via::Proxy(proxy) => {
            let (s, early) = connect_via(proxy, &fwd.host, fwd.port, OPEN_TIMEOUT).await?;
            if !early.is_empty() {
                client.write_all(&early).await.map_err(|e| e.to_string())?;
            }
            s
        }
        Via::Direct => {
            let s = tokio::time::timeout(OPEN_TIMEOUT, TcpStream::connect((fwd.host.as_str(), fwd.port)))
                .await
                .map_err(|_| format!("no answer from {} within {}s", fwd.target(), OPEN_TIMEOUT.as_secs()))?
                .map_err(|e| format!("{}: {e}", fwd.target()))?;
            let _ = s.set_nodelay(true);
            s
        }
    };
    match tokio::io::copy_bidirectional_with_sizes(&mut client, &mut upstream, BUFFER, BUFFER).await {
        Ok(_) => Ok(()),
        // A peer that resets is the peer's business, not an error of the forward.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// `connect --forward`: starts `tgctl forward` in the background (its own process group, no
/// terminal, no secrets in its environment, output to `log`) and waits up to `within` until it
/// says its listeners are bound. Returns its pid and the forwards with their bound ports; on
/// failure, the pid (if it started) and why.
pub(crate) async fn spawn_background(
    forwards: &[Forward],
    via: Option<SocketAddr>,
    log: &Path,
    within: Duration,
) -> Result<(u32, Vec<Forward>), (Option<u32>, String)> {
    use std::os::unix::fs::OpenOptionsExt;
    use tokio::io::AsyncBufReadExt;
    let exe = std::env::current_exe().map_err(|e| (None, format!("cannot find tgctl itself: {e}")))?;
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)
        .map_err(|e| (None, format!("cannot open {}: {e}", log.display())))?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["forward", "--ready-line"]);
    if let Some(p) = via {
        cmd.args(["--proxy", &p.to_string()]);
    } else {
        cmd.arg("--direct");
    }
    for f in forwards {
        cmd.args(["--forward", &f.spec()]);
    }
    // The forwarder needs no credential at all (issue 15, item 8).
    super::process::withhold_secrets(&mut cmd)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(log_file);
    let mut child = cmd.spawn().map_err(|e| (None, format!("cannot start `tgctl forward`: {e}")))?;
    let pid = child.id();
    let Some(out) = child.stdout.take() else {
        return Err((pid, "no pipe to `tgctl forward`".to_owned()));
    };
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(out);
    let read = reader.read_line(&mut line);
    let why = match tokio::time::timeout(within, read).await {
        Ok(Ok(_)) if line.starts_with("ready") => {
            let ports: Vec<u16> = line.split_whitespace().skip(1).filter_map(|p| p.parse().ok()).collect();
            let bound = forwards
                .iter()
                .enumerate()
                .map(|(i, f)| Forward { local: ports.get(i).copied().unwrap_or(f.local), ..f.clone() })
                .collect();
            // Not waited for: it runs until `disconnect` ends its process group.
            drop(child);
            return Ok((pid.unwrap_or_default(), bound));
        }
        Ok(_) => {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("it exited").trim().to_owned();
            last.trim_start_matches("error: ").to_owned()
        }
        Err(_) => "it did not report ready within the time budget".to_owned(),
    };
    let _ = child.start_kill();
    let _ = child.wait().await;
    Err((pid, why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn specs_parse() {
        assert_eq!(
            parse_spec("15432:db.internal:5432").unwrap(),
            Forward { local: 15432, host: "db.internal".into(), port: 5432 }
        );
        assert_eq!(parse_spec("2222:[fd00::1]:22").unwrap().host, "fd00::1");
        assert_eq!(parse_spec("0:db:1").unwrap().local, 0);
        for bad in ["db:5432", "x:db:5432", "15432:db", "15432:db:0", "70000:db:1"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_pair("15432", "db:5432").unwrap().spec(), "15432:db:5432");
    }

    #[tokio::test]
    async fn direct_forwards_carry_data_both_ways_with_half_close() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_port = echo.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = echo.accept().await.unwrap();
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                    let _ = w.shutdown().await;
                });
            }
        });
        let bound = bind(&[Forward { local: 0, host: "127.0.0.1".into(), port: echo_port }]).await.unwrap();
        let port = bound[0].1.local;
        tokio::spawn(serve(bound, Via::Direct, |_| {}));
        let mut c = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (mut r, mut w) = c.split();
        let send = async {
            w.write_all(&payload).await.unwrap();
            w.shutdown().await.unwrap();
        };
        let mut back = Vec::new();
        let recv = r.read_to_end(&mut back);
        let ((), n) = tokio::join!(send, recv);
        assert_eq!(n.unwrap(), payload.len());
        assert_eq!(back, payload);
    }
}
