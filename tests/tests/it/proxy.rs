//! Proxy mode (the client's userspace HTTP proxy, no TUN), the job's proxy environment for each
//! CI, and port forwards, through the real `tgctl` and the simulated client: `twingate-sim` as
//! `twingate` and as `twingated` (a real HTTP CONNECT proxy that reaches local listeners only
//! while the key is valid), on a fake machine without /dev/net/tun (TGCTL_SYSROOT).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::*;

/// A fake machine without a TUN device, with the simulated client as `twingate` and `twingated`.
struct Rig {
    world: World,
    dir: TempDir,
}

impl Rig {
    async fn new(scenario: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for d in ["root/dev/net", "root/proc/self", "root/var/log", "sim", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(
            root.join("proc/self/status"),
            "Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n",
        )
        .unwrap();
        for name in ["twingate", "twingated"] {
            std::os::unix::fs::symlink(bin(SIM_BIN), dir.path().join("bin").join(name)).unwrap();
        }
        let path = format!("{}:{}", dir.path().join("bin").display(), host_env("PATH").unwrap_or_default());
        let world = World::new()
            .await
            .env("PATH", &path)
            .env("TGCTL_SYSROOT", root.to_str().unwrap())
            .env("TWINGATE_SIM_DIR", dir.path().join("sim").to_str().unwrap())
            .env("TWINGATE_SIM_LOG", root.join("var/log/twingated.log").to_str().unwrap())
            .env("TWINGATE_SIM_SCENARIO", scenario)
            .env("TWINGATE_SIM_MAX_LIFETIME", "120");
        Self { world, dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state_file(&self) -> PathBuf {
        self.world.state_dir.path().join("connect.json")
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_file()).unwrap()).unwrap()
    }

    fn key_file(&self) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = self.path("key.json");
        std::fs::write(&p, key_token("acme")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.to_str().unwrap().to_owned()
    }

    fn connect_cmd(&self, extra: &[&str]) -> std::process::Command {
        let key = self.key_file();
        let mut c = self.world.cmd();
        c.args(["connect", "--wait", "--service-key-file", &key]).args(extra);
        c
    }

    async fn connect(&self, extra: &[&str]) -> Run {
        run_blocking(self.connect_cmd(extra), None).await
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.world.run(args).await
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("sim/calls")).unwrap_or_default()
    }

    fn pids(&self) -> Vec<u32> {
        self.state()["pids"].as_array().unwrap().iter().map(|p| u32::try_from(p.as_u64().unwrap()).unwrap()).collect()
    }

    fn proxy(&self) -> String {
        self.state()["proxy"].as_str().unwrap().to_owned()
    }

    /// Disconnects and checks that nothing is left: state, processes, listeners, our logs.
    #[track_caller]
    fn assert_all_undone(&self, pids: &[u32], ports: &[String]) {
        assert!(!self.state_file().exists(), "the state file was left");
        for pid in pids {
            assert!(!alive(*pid), "process {pid} is still running");
        }
        for addr in ports {
            assert!(TcpStream::connect(addr).is_err(), "{addr} still accepts connections");
        }
        for log in ["twingated-proxy.log", "forward.log"] {
            assert!(!self.world.state_dir.path().join(log).exists(), "{log} was left");
        }
    }

    /// No file under the rig, the state dir or the config dir holds the canary, except the key
    /// file we wrote.
    #[track_caller]
    fn canary_in_no_file(&self) {
        for root in [self.dir.path(), self.world.state_dir.path(), self.world.config_dir.path()] {
            for file in walk(root) {
                if file.file_name().is_some_and(|n| n == "key.json") {
                    continue;
                }
                let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
                assert!(!text.contains(CANARY_KEY), "canary in {}", file.display());
            }
        }
    }
}

impl Drop for Rig {
    /// A test that failed half-way leaves no daemon or forwarder behind.
    fn drop(&mut self) {
        if self.state_file().exists() {
            let _ = self.world.cmd().arg("disconnect").output();
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_symlink() {
            continue;
        }
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !matches!(s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next()), Some('Z' | 'X') | None)
    })
}

/// An echo server on 127.0.0.1 (one thread per connection; EOF is answered with EOF). With a
/// banner, it speaks first, like an SSH server.
fn echo_server(banner: Option<&'static [u8]>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let mut r = s;
                if let Some(b) = banner {
                    let _ = w.write_all(b);
                }
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if w.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = w.shutdown(Shutdown::Write);
            });
        }
    });
    port
}

/// A port for a listener tgctl will open later. Picked below Linux's ephemeral range
/// (32768-60999): a port the kernel hands out for `bind(0)` and we then release can be handed out
/// again to tgctl's own `bind(0)` (the client proxy's port), which made a forward collide with it.
fn free_port() -> u16 {
    loop {
        let port = 20_000 + next_low_port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn next_low_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let salt = (std::process::id() % 997) as u16;
    (NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(31).wrapping_add(salt * 13)) % 12_000
}

/// Sends `payload`, half-closes, and returns everything that came back (writing and reading at
/// once, so large payloads do not deadlock on full buffers).
fn round_trip(addr: &str, payload: &[u8]) -> Vec<u8> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut w = s.try_clone().unwrap();
    let data = payload.to_vec();
    let writer = std::thread::spawn(move || {
        w.write_all(&data).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    if let Err(e) = (&s).read_to_end(&mut back) {
        panic!("{addr}: reading back {} of {} bytes: {e}", back.len(), payload.len());
    }
    writer.join().unwrap();
    back
}

/// A CONNECT through the proxy by hand: the status line, and the stream.
fn connect_through(proxy: &str, target: &str) -> (String, TcpStream) {
    let mut s = TcpStream::connect(proxy).unwrap();
    s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "the proxy closed early: {}", String::from_utf8_lossy(&head));
        head.push(b[0]);
    }
    (String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned(), s)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process that is killed and reaped if the test fails before it ends it.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stage_names(v: &Value) -> Vec<String> {
    v["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap().to_owned()).collect()
}

// ---- choosing the mode, readiness --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn auto_picks_proxy_without_tun_and_proves_probes_through_it() {
    let echo = echo_server(None);
    let rig = Rig::new("online-after=300").await;
    let probe = format!("127.0.0.1:{echo}");
    let r = rig.connect(&["--probe", &probe, "-o", "json"]).await;
    r.success().no_secrets().stderr_has("Network mode: proxy (auto: /dev/net/tun does not exist");
    let v = r.json();
    assert_eq!(v["networkMode"], "proxy");
    assert!(v["networkModeReason"].as_str().unwrap().contains("/dev/net/tun"), "{v}");
    assert_eq!(stage_names(&v), ["preflight", "key", "setup", "start", "online", "probe"]);
    let proxy = rig.proxy();
    assert_eq!(v["proxyUrl"], format!("http://{proxy}"));
    assert_eq!(v["probes"][0]["target"], probe.as_str());
    assert!(proxy.starts_with("127.0.0.1:"));

    // The daemon was started directly, as Twingate documents, with no setup and no key in argv.
    let calls = rig.calls();
    assert!(calls.lines().any(|l| l == format!("twingated --http-proxy {proxy} --tun off")), "{calls}");
    assert!(!calls.contains("setup") && !calls.contains(CANARY_KEY) && !calls.contains("PRIVATE"), "{calls}");
    let state = rig.state();
    assert_eq!((state["networkMode"].as_str(), state["ranSetup"].as_bool()), (Some("proxy"), Some(false)));
    let pids = rig.pids();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pids[0])).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(CANARY_KEY));

    // The proxy carries CONNECT tunnels to local listeners only.
    let (status, mut s) = connect_through(&proxy, &probe);
    assert!(status.contains(" 200 "), "{status}");
    s.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping");
    assert!(connect_through(&proxy, "10.1.2.3:5432").0.contains(" 403 "));

    let s = rig.run(&["status", "-o", "json"]).await;
    s.success().no_secrets();
    let s = s.json();
    assert_eq!((s["networkMode"].as_str(), s["proxyAccepting"].as_bool()), (Some("proxy"), Some(true)));
    assert_eq!(s["proxy"], proxy.as_str());

    let d = rig.run(&["disconnect", "-o", "json"]).await;
    d.success().no_secrets();
    assert_eq!(d.json()["stoppedClient"], true);
    rig.assert_all_undone(&pids, &[proxy]);
    rig.canary_in_no_file();
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_keeps_tun_when_it_can_and_falls_back_without_the_capability() {
    let rig = Rig::new("online-after=20").await;
    // TUN available: auto picks it (the classic flow: setup, start).
    std::fs::write(rig.root().join("dev/net/tun"), "").unwrap();
    let r = rig.connect(&["-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["networkMode"], "tun");
    assert!(r.json().get("proxyUrl").is_none());
    assert!(rig.calls().lines().any(|l| l == "setup --headless -"));
    rig.run(&["disconnect"]).await.success();

    // Without CAP_NET_ADMIN: proxy, saying why.
    std::fs::write(rig.root().join("proc/self/status"), "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n")
        .unwrap();
    let r = rig.connect(&["-o", "json"]).await;
    r.success().stderr_has("Network mode: proxy (auto: CAP_NET_ADMIN is missing");
    assert_eq!(r.json()["networkMode"], "proxy");
    let pids = rig.pids();
    let proxy = rig.proxy();
    rig.run(&["disconnect"]).await.success();
    rig.assert_all_undone(&pids, &[proxy]);

    // Explicit tun still refuses such a machine (exit 8, with the remedy); nothing starts.
    let r = rig.connect(&["--network-mode", "tun"]).await;
    r.failure(8).stderr_has("CAP_NET_ADMIN").stderr_has("--cap-add NET_ADMIN");
    assert!(!rig.state_file().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_daemon_names_both_ways_out_and_daemon_bin_finds_it() {
    let rig = Rig::new("online-after=20").await;
    std::fs::remove_file(rig.path("bin/twingated")).unwrap();
    let r = rig.connect(&[]).await;
    r.failure(8).stderr_has("twingated").stderr_has("/dev/net/tun").stderr_has("--device /dev/net/tun");
    r.stderr_has("--daemon-bin");
    assert!(!rig.state_file().exists());
    // --daemon-bin, and TGCTL_TWINGATED_BIN, point at it (any name: the sim goes by argv[0]).
    let elsewhere = rig.path("elsewhere/twingated");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(bin(SIM_BIN), &elsewhere).unwrap();
    let r = rig.connect(&["--daemon-bin", elsewhere.to_str().unwrap(), "--proxy-port", &free_port().to_string()]).await;
    r.success();
    rig.run(&["disconnect"]).await.success();
    let mut c = rig.connect_cmd(&["--network-mode", "proxy"]);
    c.env("TGCTL_TWINGATED_BIN", &elsewhere);
    run_blocking(c, None).await.success();
    rig.run(&["disconnect"]).await.success();
    let r = rig.connect(&["--daemon-bin", "/nonexistent/twingated"]).await;
    r.failure(8).stderr_has("--daemon-bin");
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_probes_that_fail_time_out_with_the_proxys_answer() {
    // A port nothing listens on: the proxy answers 502.
    let rig = Rig::new("online-after=20").await;
    let closed = format!("127.0.0.1:{}", free_port());
    let started = Instant::now();
    let r = rig.connect(&["--network-mode", "proxy", "--probe", &closed, "--timeout", "2"]).await;
    r.failure(7).no_secrets().stderr_has("timed out at stage probe").stderr_has("502 Bad Gateway");
    r.stderr_has("through the proxy");
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(!rig.state_file().exists());
    assert!(walk(rig.world.state_dir.path()).is_empty(), "{:?}", walk(rig.world.state_dir.path()));

    // A key that never comes online: the proxy refuses (403) until the budget runs out.
    let echo = echo_server(None);
    let rig = Rig::new("never").await;
    let r = rig.connect(&["--probe", &format!("127.0.0.1:{echo}"), "--timeout", "2"]).await;
    r.failure(7).no_secrets().stderr_has("403 Forbidden").stderr_has("not connected (status: authenticating)");
    assert!(!rig.state_file().exists());
    wait_until("the daemon to exit", || {
        std::fs::read_to_string(rig.path("sim/twingated.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_none_or(|p| !alive(p))
    });

    // --resolve goes through the proxy too (a tunnel to the host, on a --probe's port for it).
    let rig = Rig::new("online-after=20").await;
    let r = rig
        .connect(&[
            "--resolve",
            "localhost",
            "--probe",
            &format!("localhost:{echo}"),
            "--require-private",
            "-o",
            "json",
        ])
        .await;
    r.success().stderr_has("--require-private is not checked in proxy mode");
    assert_eq!(r.json()["resolved"][0]["host"], "localhost");
    assert_eq!(stage_names(&r.json()), ["preflight", "key", "setup", "start", "online", "resolve", "probe"]);
    rig.run(&["disconnect"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_that_crashes_is_restarted_on_the_same_proxy() {
    let echo = echo_server(None);
    // The first daemon dies at start-up; the next one comes up.
    let rig = Rig::new("online-after=100,crash-after=0,crashes=1").await;
    let r = rig.connect(&["--probe", &format!("127.0.0.1:{echo}"), "--timeout", "10", "-o", "json"]).await;
    r.success();
    assert!(r.json()["restarts"].as_u64().unwrap() >= 1, "{}", r.json());
    let proxy = rig.proxy();
    assert_eq!(rig.calls().lines().filter(|l| l.starts_with("twingated ")).count(), 2, "{}", rig.calls());
    assert!(connect_through(&proxy, &format!("127.0.0.1:{echo}")).0.contains(" 200 "));
    let pids = rig.pids();
    rig.run(&["disconnect"]).await.success();
    rig.assert_all_undone(&pids, &[proxy]);
}

// ---- the job's environment -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn proxy_settings_reach_the_job_in_each_ci() {
    let rig = Rig::new("online-after=20").await;

    // GitHub Actions: $GITHUB_ENV, for the steps after this one; NO_PROXY keeps the existing
    // list and adds loopback, metadata and GitHub's own hosts.
    let github_env = rig.path("github_env");
    let mut c = rig.connect_cmd(&[]);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ENV", &github_env)
        .env("GITHUB_OUTPUT", rig.path("github_output"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_API_URL", "https://api.github.com")
        .env("NO_PROXY", "corp.example,.svc");
    let r = run_blocking(c, None).await;
    r.success();
    let proxy = rig.proxy();
    let url = format!("http://{proxy}");
    let text = std::fs::read_to_string(&github_env).unwrap();
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        assert!(text.lines().any(|l| l == format!("{name}={url}")), "{name} in {text}");
    }
    let no_proxy = text.lines().find_map(|l| l.strip_prefix("NO_PROXY=")).unwrap();
    let hosts: Vec<&str> = no_proxy.split(',').collect();
    for h in
        ["localhost", "127.0.0.1", "::1", "169.254.169.254", "github.com", "api.github.com", "corp.example", ".svc"]
    {
        assert!(hosts.contains(&h), "{h} not in NO_PROXY={no_proxy}");
    }
    assert!(text.lines().any(|l| l == format!("no_proxy={no_proxy}")));
    rig.run(&["disconnect"]).await.success();

    // --env-file: NAME=value lines (GitLab dotenv, `set -a; . FILE`); export lines when the
    // file is CircleCI's $BASH_ENV. Both source in sh.
    let env_file = rig.path("connect.env");
    let r = rig.connect(&["--env-file", env_file.to_str().unwrap()]).await;
    r.success();
    let url = format!("http://{}", rig.proxy());
    let text = std::fs::read_to_string(&env_file).unwrap();
    assert!(text.contains("TGCTL_CONNECT_STATUS=online\n") && text.contains("TGCTL_NETWORK_MODE=proxy\n"), "{text}");
    assert!(text.lines().any(|l| l == format!("HTTPS_PROXY={url}")), "{text}");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("set -a; . '{}'; set +a; sh -c 'echo \"$HTTPS_PROXY|$no_proxy\"'", env_file.display()))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(said.starts_with(&format!("{url}|localhost,")), "{said}");
    rig.run(&["disconnect"]).await.success();

    let bash_env = rig.path("bash_env");
    std::fs::write(&bash_env, "export PATH=\"/opt/x:$PATH\"\n").unwrap();
    let mut c = rig.connect_cmd(&["--env-file", bash_env.to_str().unwrap()]);
    c.env("BASH_ENV", &bash_env).env("CIRCLE_BUILD_NUM", "7");
    run_blocking(c, None).await.success();
    let url = format!("http://{}", rig.proxy());
    let text = std::fs::read_to_string(&bash_env).unwrap();
    assert!(text.starts_with("export PATH=\"/opt/x:$PATH\"\n"), "{text}");
    assert!(text.lines().any(|l| l == format!("export ALL_PROXY={url}")), "{text}");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(". '{}'; sh -c 'echo \"$ALL_PROXY\"'", bash_env.display()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), url);
    rig.run(&["disconnect"]).await.success();

    // --print-env: only export lines on stdout, for eval.
    let r = rig.connect(&["--print-env"]).await;
    r.success().no_secrets();
    let url = format!("http://{}", rig.proxy());
    assert!(r.stdout().lines().all(|l| l.starts_with("export ")), "{}", r.stdout());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("eval \"$1\"; sh -c 'echo \"$TGCTL_NETWORK_MODE $http_proxy\"'")
        .arg("sh")
        .arg(r.stdout())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("proxy {url}"));
    rig.run(&["disconnect"]).await.success();

    // `connect -- CMD`: the command gets the proxy settings (and never the key).
    let mut c = rig.connect_cmd(&["--", "sh", "-c", "echo \"$HTTPS_PROXY|${TWINGATE_SERVICE_KEY:-none}\""]);
    c.env("TWINGATE_SIM_SCENARIO", "online-after=20");
    let r = run_blocking(c, None).await;
    r.success().no_secrets();
    let line = r.stdout().trim().to_owned();
    assert!(line.starts_with("http://127.0.0.1:") && line.ends_with("|none"), "{line}");
    assert!(!rig.state_file().exists());
    rig.canary_in_no_file();
}

// ---- forwards ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn forwards_carry_real_tcp_traffic_and_stop_at_disconnect() {
    let echo = echo_server(None);
    let banner = echo_server(Some(b"SSH-2.0-sim\r\n"));
    let rig = Rig::new("online-after=20").await;
    let p1 = free_port();
    let f1 = format!("{p1}:127.0.0.1:{echo}");
    let f2 = format!("0:localhost:{banner}");
    // In proxy mode only a probe proves the key works (the proxy may refuse tunnels until the
    // client has logged in): probe before traffic, as the docs say.
    let probe = format!("127.0.0.1:{echo}");
    let r = rig.connect(&["--probe", &probe, "--forward", &f1, "--forward", &f2, "-o", "json"]).await;
    r.success().no_secrets();
    let v = r.json();
    assert_eq!(stage_names(&v).last().unwrap(), "forward");
    let forwards = v["forwards"].as_array().unwrap().clone();
    assert_eq!(forwards.len(), 2);
    let a = forwards[0]["listen"].as_str().unwrap().to_owned();
    let b = forwards[1]["listen"].as_str().unwrap().to_owned();
    assert_eq!(a, format!("127.0.0.1:{p1}"));
    assert_ne!(b, "127.0.0.1:0", "the bound port is reported");
    assert_eq!(forwards[1]["target"], format!("localhost:{banner}"));

    // Small messages both ways, on each forward.
    assert_eq!(round_trip(&a, b"hello"), b"hello");
    let mut got = round_trip(&b, b"hi");
    assert!(got.starts_with(b"SSH-2.0-sim\r\n"), "the server's first bytes arrive: {got:?}");
    got.drain(..13);
    assert_eq!(got, b"hi");

    // A large payload with half-close: everything comes back, then EOF.
    let big: Vec<u8> = (0..16 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let back = std::thread::scope(|t| t.spawn(|| round_trip(&a, &big)).join());
    let Ok(back) = back else {
        let log = std::fs::read_to_string(rig.world.state_dir.path().join("forward.log")).unwrap_or_default();
        panic!("the large payload failed; forward.log:\n{log}");
    };
    assert_eq!(back.len(), big.len());
    assert!(back == big, "the payload came back changed");

    // Many concurrent connections over both forwards.
    let handles: Vec<_> = (0..48)
        .map(|i| {
            let addr = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                let msg: Vec<u8> = (0..64 * 1024).map(|j| ((i * 31 + j) % 251) as u8).collect();
                let mut back = round_trip(&addr, &msg);
                if i % 2 == 1 {
                    back.drain(..13);
                }
                assert_eq!(back, msg, "connection {i}");
            })
        })
        .collect();
    let failed = handles.into_iter().filter_map(|h| h.join().err()).count();
    if failed > 0 {
        // Say what the forwarder and the proxy saw.
        let logs: Vec<String> = ["forward.log", "twingated-proxy.log"]
            .iter()
            .map(|l| std::fs::read_to_string(rig.world.state_dir.path().join(l)).unwrap_or_default())
            .collect();
        panic!("{failed} of 48 concurrent connections failed\nforward.log:\n{}\nproxy log:\n{}", logs[0], logs[1]);
    }

    // status shows them; disconnect ends the forwarder and the daemon.
    let s = rig.run(&["status", "-o", "json"]).await;
    let fs = s.json()["forwards"].as_array().unwrap().clone();
    assert_eq!(fs.len(), 2);
    assert!(fs.iter().all(|f| f["listening"] == true));
    let pids = rig.pids();
    assert_eq!(pids.len(), 2, "the daemon and the forwarder: {pids:?}");
    // The forwarder never holds the key, in argv or environment.
    let fpid = forwards[0]["pid"].as_u64().unwrap();
    let environ = std::fs::read(format!("/proc/{fpid}/environ")).unwrap();
    assert!(!String::from_utf8_lossy(&environ).contains(CANARY_KEY));
    let proxy = rig.proxy();
    let d = rig.run(&["disconnect", "-o", "json"]).await;
    d.success();
    assert_eq!(d.json()["stoppedForwards"], 2);
    rig.assert_all_undone(&pids, &[proxy, a, b]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_fails_the_forward_stage_and_undoes_everything() {
    let rig = Rig::new("online-after=20").await;
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let r = rig.connect(&["--forward", &format!("{port}:127.0.0.1:9")]).await;
    r.failure(8).stderr_has("failed at stage forward").stderr_has(&format!("127.0.0.1:{port}"));
    assert!(!rig.state_file().exists());
    wait_until("the daemon to exit", || {
        std::fs::read_to_string(rig.path("sim/twingated.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_none_or(|p| !alive(p))
    });
    // Bad specs are usage errors before anything starts.
    rig.connect(&["--forward", "db:5432"]).await.failure(2).stderr_has("LOCAL_PORT:HOST:PORT");
}

#[tokio::test(flavor = "multi_thread")]
async fn tgctl_forward_runs_in_the_foreground_until_interrupted() {
    let echo = echo_server(None);
    let rig = Rig::new("online-after=20").await;
    rig.connect(&["--probe", &format!("127.0.0.1:{echo}")]).await.success();
    let proxy = rig.proxy();
    for extra in [vec![], vec!["--proxy".to_owned(), format!("http://{proxy}")]] {
        let port = free_port();
        let mut c = rig.world.cmd();
        c.args(["forward", &port.to_string(), &format!("127.0.0.1:{echo}")])
            .args(&extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = Reaped(c.spawn().unwrap());
        let addr = format!("127.0.0.1:{port}");
        wait_until("the forward to listen", || TcpStream::connect(&addr).is_ok());
        assert_eq!(round_trip(&addr, b"through the proxy"), b"through the proxy");
        let signal = std::process::Command::new("kill").args(["-INT", &child.0.id().to_string()]).status().unwrap();
        assert!(signal.success());
        let status = child.0.wait().unwrap();
        let mut err = String::new();
        child.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert_eq!(status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("through the proxy {proxy}")), "{err}");
        assert!(TcpStream::connect(&addr).is_err(), "still listening after Ctrl-C");
    }
    // A refused tunnel is logged and the client connection closed; the forward keeps serving.
    let port = free_port();
    let mut c = rig.world.cmd();
    c.args(["forward", &port.to_string(), "10.9.9.9:22"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = Reaped(c.spawn().unwrap());
    let addr = format!("127.0.0.1:{port}");
    wait_until("the forward to listen", || TcpStream::connect(&addr).is_ok());
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 16];
    // Closed (EOF, or a reset) once the proxy refuses: nothing comes back.
    assert!(!matches!(s.read(&mut buf), Ok(n) if n > 0));
    assert!(TcpStream::connect(&addr).is_ok());
    std::process::Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
    let mut err = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("403 Forbidden"), "{err}");

    let pids = rig.pids();
    rig.run(&["disconnect"]).await.success();
    rig.assert_all_undone(&pids, &[proxy]);
    // Usage errors.
    rig.run(&["forward"]).await.failure(2).stderr_has("nothing to forward");
    rig.run(&["forward", "x", "db:1"]).await.failure(2);
}

// ---- secrets -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_key_is_in_no_argv_output_or_env_file_and_a_leaky_daemon_is_masked() {
    let echo = echo_server(None);
    let rig = Rig::new("online-after=50,leak-log").await;
    let env_file = rig.path("connect.env");
    let github_env = rig.path("github_env");
    let mut c = rig.connect_cmd(&[
        "--probe",
        &format!("127.0.0.1:{echo}"),
        "--forward",
        &format!("0:127.0.0.1:{echo}"),
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    c.env("GITHUB_ACTIONS", "true").env("GITHUB_ENV", &github_env).env("GITHUB_OUTPUT", rig.path("out"));
    let r = run_blocking(c, None).await;
    r.success();
    assert!(!r.stdout().contains(CANARY_KEY));
    for line in r.stderr().lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(CANARY_KEY), "{line}");
    }
    // No process's argv holds it.
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            assert!(!String::from_utf8_lossy(&cmdline).contains(CANARY_KEY), "argv of {}", entry.path().display());
        }
    }
    for f in [&env_file, &github_env, &rig.state_file()] {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(CANARY_KEY) && !text.contains("PRIVATE KEY"), "{}", f.display());
    }
    let pids = rig.pids();
    let proxy = rig.proxy();
    rig.run(&["disconnect"]).await.success();
    rig.assert_all_undone(&pids, &[proxy]);

    // A daemon that logs its key: the failure report masks it, and no log of ours is left.
    let rig = Rig::new("never,leak-log").await;
    let r = rig.connect(&["--probe", &format!("127.0.0.1:{echo}"), "--timeout", "1"]).await;
    r.failure(7).no_secrets().stderr_has("key material: ***");
    rig.canary_in_no_file_but_the_client_log();
}

impl Rig {
    /// The simulated client's own log (where `leak-log` writes) aside, no file holds the canary.
    #[track_caller]
    fn canary_in_no_file_but_the_client_log(&self) {
        let client_log = self.root().join("var/log/twingated.log");
        assert!(std::fs::read_to_string(&client_log).unwrap().contains(CANARY_KEY), "the scenario should leak");
        std::fs::remove_file(client_log).unwrap();
        self.canary_in_no_file();
    }
}

// ---- emulator mode: the proxy reaches resources only while the login is accepted ---------------

/// A running `tgctl-emulator`, ended and reaped on drop.
struct Emulator {
    child: std::process::Child,
    api_url: String,
    token: String,
    base_url: String,
}

impl Emulator {
    fn start() -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(bin("tgctl-emulator"))
            .args(["serve", "--quiet", "--reads-per-minute", "0", "--writes-per-minute", "0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn tgctl-emulator");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut api_url, mut token, mut base_url) = (String::new(), String::new(), String::new());
        while base_url.is_empty() {
            let line = lines.next().expect("the emulator printed its URLs").unwrap();
            if let Some((k, v)) = line.split_once('=') {
                match k {
                    "TGCTL_API_URL" => api_url = v.to_owned(),
                    "TWINGATE_API_TOKEN" => token = v.to_owned(),
                    "TGCTL_EMULATOR_URL" => base_url = v.to_owned(),
                    _ => {}
                }
            }
        }
        Self { child, api_url, token, base_url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_emulator_a_valid_key_reaches_resources_and_a_revoked_one_is_refused() {
    let emu = Emulator::start();
    let echo = echo_server(None);
    let mut rig = Rig::new("").await;
    for (k, v) in
        [("TGCTL_API_URL", &emu.api_url), ("TWINGATE_API_TOKEN", &emu.token), ("TWINGATE_SIM_API_URL", &emu.base_url)]
    {
        rig.world.extra_env.push((k.to_owned(), v.clone()));
    }
    rig.run(&["service-account", "create", "ci", "--resource", "demo-web"]).await.success();

    // A minted key: the daemon logs in, the proxy carries the probe and a forward.
    let probe = format!("127.0.0.1:{echo}");
    let forward = format!("0:127.0.0.1:{echo}");
    let r = rig
        .run(&[
            "connect",
            "--wait",
            "--mint",
            "--service-account",
            "ci",
            "--probe",
            &probe,
            "--forward",
            &forward,
            "--timeout",
            "20",
            "-o",
            "json",
        ])
        .await;
    r.success().no_secrets();
    assert_eq!(r.json()["networkMode"], "proxy");
    let listen = r.json()["forwards"][0]["listen"].as_str().unwrap().to_owned();
    assert_eq!(round_trip(&listen, b"via the emulator"), b"via the emulator");
    assert!(
        std::fs::read_to_string(rig.root().join("var/log/twingated.log")).unwrap().contains("headless login accepted")
    );
    let pids = rig.pids();
    let proxy = rig.proxy();
    let d = rig.run(&["disconnect", "-o", "json"]).await;
    d.success();
    assert!(d.json()["revokedKeyId"].is_string());
    rig.assert_all_undone(&pids, &[proxy, listen]);

    // A revoked key: the login is refused, so the proxy refuses tunnels and connect times out
    // at the probe, showing why.
    let key_file = rig.path("revoked.json");
    let r =
        rig.run(&["service-key", "create", "--service-account", "ci", "--key-file", key_file.to_str().unwrap()]).await;
    r.success();
    let id = r.stdout().lines().find_map(|l| l.strip_prefix("id\t")).unwrap().to_owned();
    rig.run(&["service-key", "revoke", &id, "--yes"]).await.success();
    let r = rig
        .run(&[
            "connect",
            "--wait",
            "--service-key-file",
            key_file.to_str().unwrap(),
            "--probe",
            &probe,
            "--timeout",
            "2",
        ])
        .await;
    r.failure(7).no_secrets().stderr_has("stage probe").stderr_has("403 Forbidden");
    r.stderr_has("headless login refused: HTTP 401 key revoked");
    assert!(!rig.state_file().exists());
}

// ---- no orphans --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_a_command_tears_down_the_daemon_and_the_forwards_when_it_ends() {
    let echo = echo_server(None);
    let rig = Rig::new("online-after=20").await;
    let port = free_port();
    // The command talks through the forward, then exits 3: connect exits 3 and leaves nothing.
    let script = format!(
        "python3 -c \"import socket; s=socket.create_connection(('127.0.0.1',{port})); s.sendall(b'cmd'); s.shutdown(1); print(s.recv(10).decode())\"; exit 3"
    );
    let forward = format!("{port}:127.0.0.1:{echo}");
    let probe = format!("127.0.0.1:{echo}");
    let r = rig.connect(&["--probe", &probe, "--forward", &forward, "--", "sh", "-c", &script]).await;
    r.failure(3).no_secrets();
    assert_eq!(r.stdout().trim(), "cmd");
    assert!(!rig.state_file().exists());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the forward outlived the command");
    assert_eq!(
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| String::from_utf8_lossy(c).contains(&forward))
            .count(),
        0,
        "a forwarder for {forward} is still running"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_probing_in_proxy_mode_stops_the_daemon_and_exits_130() {
    let rig = Rig::new("never").await;
    let probe = format!("127.0.0.1:{}", free_port());
    let mut c = rig.connect_cmd(&["--probe", &probe, "--timeout", "30"]);
    c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    wait_until("the daemon's proxy", || {
        std::fs::read_to_string(rig.state_file())
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["proxy"].as_str().map(str::to_owned))
            .is_some_and(|p| TcpStream::connect(p).is_ok())
    });
    let pids = rig.pids();
    let proxy = rig.proxy();
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    rig.assert_all_undone(&pids, &[proxy]);
}

/// Reads a GitHub Actions file command as the runner does: `name=value` lines and
/// `name<<DELIMITER` ... `DELIMITER` heredocs (docs.github.com, "Workflow commands for GitHub
/// Actions: Multiline strings"; the runner's FileCommandManager).
fn read_github_file(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut vars = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<").filter(|(n, _)| !n.contains('=')) {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            vars.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            vars.insert(name.to_owned(), value.to_owned());
        }
    }
    vars
}

/// Issue 15, item 9: a value with a line break (here one of NO_PROXY's hosts) never adds a
/// variable: `$GITHUB_ENV` gets the runner's heredoc form, and the --env-file (GitLab dotenv,
/// `$BASH_ENV`), which has no such form, refuses it. On main, INJECTED=1 became a variable.
#[tokio::test(flavor = "multi_thread")]
async fn a_line_break_in_a_value_never_adds_a_variable_to_the_job() {
    let rig = Rig::new("online-after=20").await;
    let github_env = rig.path("github_env");
    let mut c = rig.connect_cmd(&[]);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ENV", &github_env)
        .env("GITHUB_OUTPUT", rig.path("github_output"))
        .env("NO_PROXY", "corp.example\nINJECTED=1,.svc");
    let r = run_blocking(c, None).await;
    crate::hardening::no_panic(&r);
    r.success();
    let vars = read_github_file(&std::fs::read_to_string(&github_env).unwrap());
    assert!(!vars.contains_key("INJECTED"), "{vars:?}");
    assert!(vars["NO_PROXY"].contains("corp.example\nINJECTED=1"), "{vars:?}");
    assert_eq!(vars["HTTPS_PROXY"], format!("http://{}", rig.proxy()));
    let outputs = read_github_file(&std::fs::read_to_string(rig.path("github_output")).unwrap());
    assert_eq!(outputs.keys().map(String::as_str).collect::<Vec<_>>(), ["elapsed-ms", "key-id", "status"]);
    rig.run(&["disconnect"]).await.success();

    for bash_env in [false, true] {
        let env_file = rig.path(if bash_env { "bash_env" } else { "connect.env" });
        let mut c = rig.connect_cmd(&["--env-file", env_file.to_str().unwrap()]);
        c.env("NO_PROXY", "corp.example\nINJECTED=1");
        if bash_env {
            c.env("BASH_ENV", &env_file);
        }
        let r = run_blocking(c, None).await;
        crate::hardening::no_panic(&r);
        r.failure(2).stderr_has("refusing to write NO_PROXY");
        let text = std::fs::read_to_string(&env_file).unwrap_or_default();
        assert!(!text.contains("INJECTED"), "{text}");
        rig.run(&["disconnect"]).await.success();
    }
}
