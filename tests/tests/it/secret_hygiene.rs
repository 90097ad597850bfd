//! Secret hygiene: every command that touches a secret, run with canary secrets and `-v`, leaks
//! none of them to stdout (unless stdout is where the user asked the secret to go), stderr, any
//! file under the test's dirs (except the files meant to hold a secret, which must be 0600), or
//! the argv and environment of the client processes; key material is gone after `disconnect` and
//! after the client crashes.
//!
//! The emulator runs with a canary API token; the keys and connector tokens it makes are random,
//! so their secret parts are collected as they appear (from the 0600 files they were written to)
//! and scanned for from then on.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::*;
use crate::emulator::Emulator;
use crate::sim_machine::{SimMachine, alive, daemons_of, walk};

/// What must not leak, and the files allowed to hold it.
struct Secrets {
    values: BTreeSet<String>,
    allowed: BTreeSet<PathBuf>,
}

impl Secrets {
    fn new() -> Self {
        Self { values: [CANARY_TOKEN.to_owned(), CANARY_KEY.to_owned()].into(), allowed: BTreeSet::new() }
    }

    /// A service key's secret parts: its private key, each base64 line of it, the whole JSON.
    fn add_key(&mut self, json: &str) {
        let v: Value = serde_json::from_str(json).unwrap();
        let pem = v["private_key"].as_str().unwrap();
        self.values.insert(pem.trim().to_owned());
        for line in pem.lines().map(str::trim).filter(|l| l.len() >= 16 && !l.starts_with("-----")) {
            self.values.insert(line.to_owned());
        }
    }

    /// A file meant to hold a secret: 0600, and its secret parts join the list.
    fn allow(&mut self, path: PathBuf) {
        assert_eq!(file_mode(&path), 0o600, "{} holds a secret and must be 0600", path.display());
        self.allowed.insert(path);
    }

    /// A file tgctl does not write and whose content is not its doing (the client's own log).
    fn not_ours(&mut self, path: PathBuf) {
        self.allowed.insert(path);
    }

    #[track_caller]
    fn clean(&self, what: &str, text: &str) {
        for s in &self.values {
            assert!(!text.contains(s.as_str()), "a secret ({}...) in {what}:\n{text}", &s[..s.len().min(12)]);
        }
    }

    /// stdout and stderr of a run.
    #[track_caller]
    fn run(&self, what: &str, r: &Run) {
        assert!(!r.stderr().contains("panicked"), "{what}: {}", r.stderr());
        self.clean(&format!("{what}: stdout"), &r.stdout());
        self.clean(&format!("{what}: stderr"), &r.stderr());
    }

    /// Every file under the machine's dirs but the allowed ones.
    #[track_caller]
    fn files(&self, m: &SimMachine, extra: &[&std::path::Path]) {
        let mut files = walk(m.dir.path());
        for dir in extra {
            files.extend(walk(dir));
        }
        for f in files {
            if self.allowed.contains(&f) || f == m.client_key_store() {
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
            self.clean(&f.display().to_string(), &text);
        }
        if m.client_key_store().exists() {
            assert_eq!(file_mode(&m.client_key_store()), 0o600, "the client's key store");
        }
        // Every argv the client was ever called with.
        self.clean("the client's calls (argv)", &m.client_calls());
    }

    /// The argv and environment of every live client process of the machine.
    #[track_caller]
    fn processes(&self, m: &SimMachine) {
        let daemons = daemons_of(m);
        for pid in daemons {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            self.clean(&format!("/proc/{pid}/cmdline"), &String::from_utf8_lossy(&cmdline));
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            self.clean(&format!("/proc/{pid}/environ"), &String::from_utf8_lossy(&environ));
        }
    }
}

fn canary_emulator() -> Emulator {
    Emulator::start(&[
        "--seed",
        "demo",
        "--api-token",
        CANARY_TOKEN,
        "--reads-per-minute",
        "0",
        "--writes-per-minute",
        "0",
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn api_token_service_keys_and_connector_tokens_never_leak() {
    let emu = canary_emulator();
    let m = SimMachine::new("", Some(&emu));
    let mut s = Secrets::new();
    let work = |name: &str| m.path("work").join(name).to_string_lossy().into_owned();

    // auth: the token comes on stdin and lands in a 0600 file (no keyring here).
    let mut c = m.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "login", "-v"]);
    let r = run_blocking(c, Some(CANARY_TOKEN.to_owned())).await;
    s.run("auth login", r.success());
    s.allow(m.path("config/credentials.toml"));
    let mut c = m.cmd();
    c.env_remove("TWINGATE_API_TOKEN").args(["auth", "status", "-v", "-o", "json"]);
    s.run("auth status", run_blocking(c, None).await.success());
    s.run("auth status (env)", m.run(&["auth", "status", "-v"]).await.success());

    // Service keys: into 0600 files, or to a pipe when asked for on stdout.
    s.run(
        "service-account create",
        m.run(&["service-account", "create", "ci", "--resource", "demo-web", "-v"]).await.success(),
    );
    let k1 = work("k1.json");
    let r = m.run(&["service-key", "create", "--service-account", "ci", "--name", "k1", "--key-file", &k1, "-v"]).await;
    r.success();
    s.add_key(&std::fs::read_to_string(&k1).unwrap());
    s.allow(k1.clone().into());
    s.run("service-key create --key-file", &r);
    let r = m.run(&["service-key", "create", "--service-account", "ci", "--name", "piped", "-v"]).await;
    r.success();
    // stdout is where this key was asked to go; nothing else may hold it.
    s.add_key(r.stdout().trim());
    s.clean("service-key create (stdout): stderr", &r.stderr());
    for args in [
        vec!["service-key", "list", "-v"],
        vec!["service-key", "list", "--service-account", "ci", "-v", "-o", "json"],
        vec!["service-key", "get", "k1", "--service-account", "ci", "-v", "-o", "json"],
    ] {
        s.run(&args.join(" "), m.run(&args).await.success());
    }
    let r = m
        .run(&[
            "service-key",
            "rotate",
            "k1",
            "--service-account",
            "ci",
            "--key-file",
            &k1,
            "--force",
            "--delete-old",
            "--yes",
            "-v",
        ])
        .await;
    r.success();
    s.add_key(&std::fs::read_to_string(&k1).unwrap());
    s.allow(k1.clone().into());
    s.run("service-key rotate", &r);

    // Connector tokens: into a 0600 file.
    let connector = m.run(&["connector", "list", "-o", "id"]).await.stdout().lines().next().unwrap().to_owned();
    let tokens = work("tokens.json");
    let r = m.run(&["connector", "tokens", &connector, "--out", &tokens, "--yes", "-v"]).await;
    r.success();
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&tokens).unwrap()).unwrap();
    for field in ["accessToken", "refreshToken", "access_token", "refresh_token"] {
        if let Some(v) = t[field].as_str() {
            s.values.insert(v.to_owned());
        }
    }
    assert!(s.values.len() >= 2 + 4, "tokens were collected: {t}");
    s.allow(tokens.clone().into());
    s.run("connector tokens", &r);

    // tgctl api: errors and verbose lines never show the token.
    s.run(
        "api",
        m.run(&["api", "query { serviceAccounts(first: 5) { edges { node { id name } } } }", "-v"]).await.success(),
    );
    s.run("api (error)", m.run(&["api", "query { nope }", "-v"]).await.failure(5));

    // connect with the key from a file, the environment, and stdin; status; disconnect.
    let key_json = std::fs::read_to_string(&k1).unwrap();
    for how in ["file", "env", "stdin"] {
        let r = match how {
            "file" => m.run(&["connect", "--wait", "--service-key-file", &k1, "--timeout", "20", "-v"]).await,
            "env" => {
                m.run_env(&["connect", "--wait", "--timeout", "20", "-v"], &[("TWINGATE_SERVICE_KEY", &key_json)]).await
            }
            _ => m.run_stdin(&["connect", "--wait", "--service-key", "-", "--timeout", "20", "-v"], &key_json).await,
        };
        s.run(&format!("connect ({how})"), r.success());
        s.processes(&m);
        assert_eq!(file_mode(&m.state_file()), 0o600);
        s.files(&m, &[]);
        s.run("status", m.run(&["status", "-v", "-o", "json"]).await.success());
        s.run("disconnect", m.run(&["disconnect", "-v"]).await.success());
        m.all_undone();
    }

    // connect --mint: a key for this job, revoked and deleted at disconnect.
    let r =
        m.run(&["connect", "--wait", "--mint", "--service-account", "ci", "--timeout", "20", "-v", "-o", "json"]).await;
    s.run("connect --mint", r.success());
    let minted = std::fs::read_to_string(m.client_key_store()).unwrap();
    s.add_key(&minted);
    s.processes(&m);
    s.files(&m, &[]);
    s.run("status (minted)", m.run(&["status", "-v"]).await.success());
    s.run("disconnect (minted)", m.run(&["disconnect", "-v"]).await.success());
    m.all_undone();

    // Finally: nothing anywhere but the allowed files holds any secret seen in this test.
    s.files(&m, &[emu.state.path()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_client_loses_its_key_at_disconnect_or_when_connect_fails() {
    // Online, then the daemon dies: the client keeps the key in its own 0600 store (it has no
    // command to remove it); nothing else holds it.
    let m = SimMachine::new("online-after=50,crash-after=400", None);
    let mut s = Secrets::new();
    let key = m.key_file("key.json", &key_token("acme"));
    s.allow(key.clone().into());
    let r = m.run(&["connect", "--wait", "--service-key-file", &key, "-v"]).await;
    s.run("connect", r.success());
    assert_eq!(file_mode(&m.client_key_store()), 0o600);
    let daemon = m.daemon_pid().unwrap();
    m.wait_for("the crash", 10, |_| !alive(daemon));
    assert_eq!(m.client_status(), "not-running");
    s.run("status after the crash", m.run(&["status", "-v"]).await.success());
    s.run("disconnect after the crash", m.run(&["disconnect", "-v"]).await.success());
    m.all_undone();
    s.files(&m, &[]);

    // The client crashes on every start: connect fails (exit 8) and cleans up after itself.
    let m = SimMachine::new("online-after=2000,crash-after=100", None);
    let key = m.key_file("key.json", &key_token("acme"));
    s.allow(key.clone().into());
    let r = m.run(&["connect", "--wait", "--service-key-file", &key, "--timeout", "15", "-v"]).await;
    s.run("connect (crashing client)", &r);
    assert!(matches!(r.code(), 7 | 8), "exit {}: {}", r.code(), r.stderr());
    m.all_undone();
    s.files(&m, &[]);
    // A later disconnect has nothing to do and succeeds.
    s.run("disconnect (nothing)", m.run(&["disconnect", "-v"]).await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leaky_client_log_and_bad_keys_are_masked() {
    // The client logs its key, and never comes online: the failure report shows the log masked.
    let m = SimMachine::new("never,leak-log", None);
    let mut s = Secrets::new();
    let key = m.key_file("key.json", &key_token("acme"));
    s.allow(key.clone().into());
    // The simulated client logs the key on purpose (scenario leak-log): tgctl must mask it.
    s.not_ours(m.path("root/var/log/twingated.log"));
    let r = m.run(&["connect", "--wait", "--service-key-file", &key, "--timeout", "1", "-v", "-o", "json"]).await;
    s.run("connect (leaky log)", r.failure(7));
    m.all_undone();
    // A key that is almost right never has its secret quoted in the error.
    let mut v: Value = serde_json::from_str(&key_token("acme")).unwrap();
    v["expires_at"] = "2001-01-01T00:00:00Z".into();
    let expired = m.key_file("expired.json", &v.to_string());
    s.allow(expired.clone().into());
    s.run(
        "connect (expired key)",
        m.run(&["connect", "--wait", "--service-key-file", &expired, "-v"]).await.failure(9),
    );
    v["key_id"] = Value::Null;
    s.run(
        "connect (bad key on stdin)",
        m.run_stdin(&["connect", "--wait", "--service-key", "-", "-v"], &v.to_string()).await.failure(2),
    );
    let cut = &key_token("acme")[..120];
    s.run(
        "connect (cut key in env)",
        m.run_env(&["connect", "--wait", "-v"], &[("TWINGATE_SERVICE_KEY", cut)]).await.failure(2),
    );
    m.all_undone();
    s.files(&m, &[]);
}

// ---- --provider firezone -------------------------------------------------------------------------

/// Firezone's client gets its token in its environment (FIREZONE_TOKEN, as the real client reads
/// it), never in argv; tgctl's API tokens never reach it; nothing tgctl prints or writes holds it,
/// but the 0600 token file the user gave.
#[tokio::test(flavor = "multi_thread")]
async fn firezone_tokens_never_leak() {
    let token = format!("fz-sa-token-{CANARY_KEY}");
    let m = SimMachine::firezone("ready-after=50")
        .with_env("FIREZONE_API_TOKEN", CANARY_TOKEN)
        .with_env("TWINGATE_API_TOKEN", CANARY_TOKEN)
        // disconnect tries to delete the job's client record at an API that is not there.
        .with_env("TGCTL_BACKOFF_SCALE", "0");
    let mut s = Secrets::new();
    s.values.insert(token.clone());
    let file = m.key_file("token", &token);
    s.allow(file.clone().into());
    for how in ["file", "env", "stdin"] {
        let r = match how {
            "file" => m.run(&["connect", "--wait", "--token-file", &file, "-v"]).await,
            "env" => m.run_env(&["connect", "--wait", "-v"], &[("FIREZONE_TOKEN", &token)]).await,
            _ => m.run_stdin(&["connect", "--wait", "--token", "-", "-v"], &token).await,
        };
        s.run(&format!("firezone connect ({how})"), r.success());
        // The client process: the token in its environment (by design), never in argv; no API token.
        let clients = crate::sim_machine::daemons_of(&m);
        assert!(!clients.is_empty(), "the client is running");
        for pid in clients {
            let cmdline = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default())
                .into_owned();
            s.clean(&format!("/proc/{pid}/cmdline"), &cmdline);
            let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
                .into_owned();
            assert!(!environ.contains(CANARY_TOKEN), "an API token in the client's environment");
        }
        let calls = std::fs::read_to_string(m.path("fzsim/calls")).unwrap_or_default();
        s.clean("firezone client argv", &calls);
        for f in walk(&m.path("state")) {
            let mode = file_mode(&f);
            assert_eq!(mode & 0o077, 0, "{} is readable by others ({mode:o})", f.display());
        }
        s.files(&m, &[]);
        s.run("firezone status", m.run(&["status", "-v", "-o", "json"]).await.success());
        s.run("firezone disconnect", m.run(&["disconnect", "-v"]).await.success());
        assert!(!m.state_file().exists());
        assert!(crate::sim_machine::daemons_of(&m).is_empty(), "the client survived disconnect");
    }
    // A token the portal rejects: the failure report (with the client's output) is masked.
    let m = SimMachine::firezone("bad-token,leak-log");
    let r = m.run_env(&["connect", "--wait", "-v", "-o", "json"], &[("FIREZONE_TOKEN", &token)]).await;
    s.run("firezone connect (rejected, leaky client)", r.failure(9));
    assert!(!m.state_file().exists());
}

// ---- proxy network mode --------------------------------------------------------------------------

/// Proxy mode starts the daemon itself with the key in its environment (as Twingate documents
/// it): never in argv, never in output or files, never in the job command's environment; and
/// the Admin API token never reaches the daemon.
#[tokio::test(flavor = "multi_thread")]
async fn proxy_mode_keeps_the_key_to_the_daemon() {
    let m = SimMachine::new("online-after=50", None).with_env("TWINGATE_API_TOKEN", CANARY_TOKEN);
    let mut s = Secrets::new();
    let key = m.key_file("key.json", &key_token("acme"));
    s.allow(key.clone().into());
    let resource = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", resource.local_addr().unwrap().port());
    let r = m
        .run(&["connect", "--wait", "--service-key-file", &key, "--network-mode", "proxy", "--probe", &target, "-v"])
        .await;
    s.run("connect (proxy mode)", r.success());
    let daemons = daemons_of(&m);
    assert!(!daemons.is_empty(), "the daemon is running");
    for pid in daemons {
        let cmdline =
            String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()).into_owned();
        s.clean(&format!("/proc/{pid}/cmdline"), &cmdline);
        let environ =
            String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default()).into_owned();
        assert!(!environ.contains(CANARY_TOKEN), "the Admin API token in the daemon's environment ({pid}: {cmdline})");
    }
    s.files(&m, &[]);
    s.run("status (proxy mode)", m.run(&["status", "-v"]).await.success());
    s.run("disconnect (proxy mode)", m.run(&["disconnect", "-v"]).await.success());
    m.all_undone();

    // A command inside the connection sees the proxy, not the key.
    let r = m
        .run(&[
            "connect",
            "--wait",
            "--service-key-file",
            &key,
            "--network-mode",
            "proxy",
            "-v",
            "--",
            "sh",
            "-c",
            "env",
        ])
        .await;
    r.success();
    // stdout is the command's: its environment is the job's (the API token the job exported is
    // its own business), plus the proxy, minus the key.
    s.clean("connect -- env (proxy mode): stderr", &r.stderr());
    assert!(r.stdout().contains("HTTPS_PROXY=http://127.0.0.1:"), "{}", r.stdout());
    assert!(!r.stdout().contains("TWINGATE_SERVICE_KEY") && !r.stdout().contains(CANARY_KEY), "{}", r.stdout());
    m.all_undone();
    s.files(&m, &[]);
}
