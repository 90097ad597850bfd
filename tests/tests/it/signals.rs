//! Process and signal hygiene: SIGINT and SIGTERM sent to `tgctl connect --wait` at every stage
//! (preflight, setup, waiting for online, resolve, probe, and while running a `--` command) leave
//! no client process and no process of the connection behind, no key in the client, and no state
//! file pointing at nothing (either none, or one that `disconnect` cleans up); tgctl exits 130,
//! or with the command's 128+signal when it ran one. For the Twingate client and, with
//! `--provider firezone`, Firezone's (whose stages are preflight, start/online, resolve, probe).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::sim_machine::{SimMachine, alive, processes_of};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Provider {
    Twingate,
    /// Twingate in proxy network mode (`--network-mode proxy`: the daemon's userspace proxy).
    TwingateProxy,
    Firezone,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Preflight,
    Setup,
    Online,
    Resolve,
    Probe,
    Command,
}

/// A client whose `--version` (preflight) or `setup` hangs in a child process of its own, after
/// leaving a mark, so the test knows the stage has been reached; other calls go to `real`.
fn hanging_client(m: &SimMachine, path: &std::path::Path, real: &std::path::Path, on: &str) {
    let _ = std::fs::remove_file(path);
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = \"{on}\" ]; then\n  cat >/dev/null &\n  touch \"{mark}\"\n  sleep 60\n  exit 1\nfi\nexec \"{real}\" \"$@\"\n",
        mark = m.path("work/hanging").display(),
        real = real.display(),
    );
    std::fs::write(path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What is still running of the machine: tgctl's children and everything they started.
fn leftovers(m: &SimMachine) -> Vec<String> {
    processes_of(m).into_iter().map(|(pid, argv)| format!("{pid}: {argv}")).collect()
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn state_has(m: &SimMachine, pointer: &str) -> bool {
    std::fs::read_to_string(m.state_file())
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v.pointer(pointer).is_some_and(|x| !x.is_null()))
}

fn spawn(m: &SimMachine, provider: Provider, stage: Stage) -> Child {
    let mut args: Vec<String> = ["connect", "--wait", "--timeout", "60"].map(String::from).to_vec();
    let mut c: Command = m.cmd();
    match provider {
        Provider::Twingate | Provider::TwingateProxy => {
            let key = m.key_file("key.json", &key_token("acme"));
            args.extend(["--service-key-file".to_owned(), key]);
            if provider == Provider::TwingateProxy {
                args.extend(["--network-mode".to_owned(), "proxy".to_owned()]);
            }
        }
        Provider::Firezone => {
            c.env("FIREZONE_TOKEN", format!("fz-sa-token-{CANARY_KEY}"));
        }
    }
    match stage {
        Stage::Resolve => args.extend(["--resolve", "192.0.2.1", "--require-private"].map(String::from)),
        Stage::Probe => args.extend(["--probe".to_owned(), format!("127.0.0.1:{}", closed_port())]),
        Stage::Command => args.extend(["--", "sh", "-c", "sleep 60"].map(String::from)),
        _ => {}
    }
    c.args(&args).stdout(Stdio::null()).stderr(Stdio::piped());
    c.spawn().unwrap()
}

fn fz_client_up(m: &SimMachine) -> bool {
    std::fs::read_to_string(m.path("fzsim/client.pid")).ok().and_then(|p| p.trim().parse().ok()).is_some_and(alive)
}

fn fz_ready(m: &SimMachine) -> bool {
    std::fs::read_to_string(m.path("fzsim/events")).is_ok_and(|e| e.contains("ready"))
}

/// Waits until tgctl is in `stage`.
fn reach(m: &SimMachine, provider: Provider, stage: Stage) {
    match (provider, stage) {
        (Provider::Firezone, Stage::Online) => m.wait_for("the client to start", 15, fz_client_up),
        (Provider::Firezone, Stage::Resolve | Stage::Probe) => {
            m.wait_for("READY=1", 15, fz_ready);
            std::thread::sleep(Duration::from_millis(400));
        }
        _ => {}
    }
    if provider == Provider::Firezone && matches!(stage, Stage::Online | Stage::Resolve | Stage::Probe) {
        return;
    }
    match stage {
        Stage::Preflight | Stage::Setup => {
            m.wait_for("the hanging client call", 15, |m| m.path("work/hanging").exists())
        }
        Stage::Online => m.wait_for("the client to start", 15, |m| m.client_status() == "authenticating"),
        Stage::Resolve | Stage::Probe => {
            m.wait_for("online", 15, |m| m.client_status() == "online");
            // The ladder polls status, then moves on to resolve/probe, which keep failing.
            std::thread::sleep(Duration::from_millis(400));
        }
        Stage::Command => m.wait_for("the command", 15, |m| state_has(m, "/commandPid")),
    }
}

fn wait_exit(child: &mut Child, secs: u64) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            return status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tgctl did not exit within {secs}s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn interrupt(provider: Provider, stage: Stage, signal: &str) {
    let m = match (provider, stage) {
        (Provider::Twingate | Provider::TwingateProxy, Stage::Online) => SimMachine::new("never", None),
        (Provider::Twingate | Provider::TwingateProxy, _) => SimMachine::new("online-after=50", None),
        (Provider::Firezone, Stage::Online) => SimMachine::firezone("never"),
        (Provider::Firezone, _) => SimMachine::firezone("ready-after=50"),
    };
    let m = match (provider, stage) {
        (Provider::Twingate, Stage::Preflight | Stage::Setup) => {
            let on = if stage == Stage::Setup { "setup" } else { "--version" };
            hanging_client(&m, &m.path("bin/twingate"), &bin(SIM_BIN), on);
            m
        }
        (Provider::Firezone, Stage::Preflight) => {
            let path = m.path("bin/firezone-headless-client");
            hanging_client(&m, &path, &bin("firezone-sim"), "--version");
            let path = path.to_string_lossy().into_owned();
            m.with_env("TGCTL_FIREZONE_BIN", &path)
        }
        _ => m,
    };
    let mut child = spawn(&m, provider, stage);
    reach(&m, provider, stage);
    let label = format!("{provider:?}: SIG{signal} during {stage:?}");
    assert!(Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap().success());
    let code = tokio::task::spawn_blocking(move || {
        let code = wait_exit(&mut child, 20);
        let mut stderr = String::new();
        use std::io::Read;
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (code, stderr)
    })
    .await
    .unwrap();
    let (code, stderr) = code;
    assert!(!stderr.contains("panicked"), "{label}: {stderr}");
    let expected = match (stage, signal) {
        // The command got the signal and died of it: tgctl exits with its 128+N.
        (Stage::Command, "TERM") => 143,
        _ => 130,
    };
    assert_eq!(code, expected, "{label}: exit code\n{stderr}");
    // Nothing of the connection is running once tgctl has exited (a SIGKILL tgctl sent on its
    // way out may take a moment to land: a short grace).
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut left = leftovers(&m);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = leftovers(&m);
    }
    assert!(left.is_empty(), "{label}: processes left behind: {left:?}\n{stderr}");
    // No state file pointing at nothing: none, or one that disconnect undoes.
    if m.state_file().exists() {
        m.run(&["disconnect"]).await.success();
    }
    match provider {
        Provider::Twingate | Provider::TwingateProxy => m.all_undone(),
        Provider::Firezone => {
            assert!(!m.state_file().exists(), "{label}: the state file was left");
            assert!(!fz_client_up(&m), "{label}: the client is still running");
            let notify: Vec<_> = std::fs::read_dir(m.path("state"))
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("fz-notify"))
                .collect();
            assert!(notify.is_empty(), "{label}: the notify socket's directory was left");
        }
    }
    assert!(leftovers(&m).is_empty());
}

macro_rules! signal_tests {
    ($($name:ident: $provider:ident, $stage:expr, $sig:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            interrupt(Provider::$provider, $stage, $sig).await;
        }
    )*};
}

signal_tests! {
    sigint_during_preflight: Twingate, Stage::Preflight, "INT";
    sigterm_during_preflight: Twingate, Stage::Preflight, "TERM";
    sigint_during_setup: Twingate, Stage::Setup, "INT";
    sigterm_during_setup: Twingate, Stage::Setup, "TERM";
    sigint_while_waiting_for_online: Twingate, Stage::Online, "INT";
    sigterm_while_waiting_for_online: Twingate, Stage::Online, "TERM";
    sigint_during_resolve: Twingate, Stage::Resolve, "INT";
    sigterm_during_resolve: Twingate, Stage::Resolve, "TERM";
    sigint_during_probe: Twingate, Stage::Probe, "INT";
    sigterm_during_probe: Twingate, Stage::Probe, "TERM";
    sigint_while_running_the_command: Twingate, Stage::Command, "INT";
    sigterm_while_running_the_command: Twingate, Stage::Command, "TERM";
    // (In proxy mode "online" is the daemon's proxy accepting connections: no wait to interrupt.)
    proxy_sigint_during_probe: TwingateProxy, Stage::Probe, "INT";
    proxy_sigterm_during_resolve: TwingateProxy, Stage::Resolve, "TERM";
    proxy_sigint_while_running_the_command: TwingateProxy, Stage::Command, "INT";
    proxy_sigterm_while_running_the_command: TwingateProxy, Stage::Command, "TERM";
    firezone_sigint_during_preflight: Firezone, Stage::Preflight, "INT";
    firezone_sigterm_during_preflight: Firezone, Stage::Preflight, "TERM";
    firezone_sigint_while_waiting_for_ready: Firezone, Stage::Online, "INT";
    firezone_sigterm_while_waiting_for_ready: Firezone, Stage::Online, "TERM";
    firezone_sigint_during_resolve: Firezone, Stage::Resolve, "INT";
    firezone_sigterm_during_probe: Firezone, Stage::Probe, "TERM";
    firezone_sigint_while_running_the_command: Firezone, Stage::Command, "INT";
    firezone_sigterm_while_running_the_command: Firezone, Stage::Command, "TERM";
}
