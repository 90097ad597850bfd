//! Process and signal hygiene: SIGINT and SIGTERM sent to `tgctl connect --wait` at every stage
//! (preflight, setup, waiting for online, resolve, probe, and while running a `--` command) leave
//! no client process and no process of the connection behind, no key in the client, and no state
//! file pointing at nothing (either none, or one that `disconnect` cleans up); tgctl exits 130,
//! or with the command's 128+signal when it ran one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::sim_machine::{SimMachine, alive};

#[derive(Debug, Clone, Copy)]
enum Stage {
    Preflight,
    Setup,
    Online,
    Resolve,
    Probe,
    Command,
}

/// A client whose `--version` (preflight) or `setup` hangs in a child process of its own, after
/// leaving a mark, so the test knows the stage has been reached.
fn hanging_client(m: &SimMachine, on: &str) {
    let path = m.path("bin/twingate");
    std::fs::remove_file(&path).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = \"{on}\" ]; then\n  cat >/dev/null &\n  touch \"{mark}\"\n  sleep 60\n  exit 1\nfi\nexec \"{sim}\" \"$@\"\n",
        mark = m.path("work/hanging").display(),
        sim = bin(SIM_BIN).display(),
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Processes still alive (not zombies) that carry this machine's sim dir in their environment:
/// tgctl's children and everything they started.
fn leftovers(m: &SimMachine) -> Vec<String> {
    let marker = m.path("sim").to_string_lossy().into_owned();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if String::from_utf8_lossy(&environ).contains(&marker) && alive(pid) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            out.push(format!("{pid}: {}", String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    out
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

fn spawn(m: &SimMachine, stage: Stage) -> Child {
    let key = m.key_file("key.json", &key_token("acme"));
    let mut args: Vec<String> =
        ["connect", "--wait", "--service-key-file", &key, "--timeout", "60"].map(String::from).to_vec();
    match stage {
        Stage::Resolve => args.extend(["--resolve", "192.0.2.1", "--require-private"].map(String::from)),
        Stage::Probe => args.extend(["--probe".to_owned(), format!("127.0.0.1:{}", closed_port())]),
        Stage::Command => args.extend(["--", "sh", "-c", "sleep 60"].map(String::from)),
        _ => {}
    }
    let mut c: Command = m.cmd();
    c.args(&args).stdout(Stdio::null()).stderr(Stdio::piped());
    c.spawn().unwrap()
}

/// Waits until tgctl is in `stage`.
fn reach(m: &SimMachine, stage: Stage) {
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

async fn interrupt(stage: Stage, signal: &str) {
    let scenario = match stage {
        Stage::Online => "never",
        _ => "online-after=50",
    };
    let m = SimMachine::new(scenario, None);
    match stage {
        Stage::Preflight => hanging_client(&m, "--version"),
        Stage::Setup => hanging_client(&m, "setup"),
        _ => {}
    }
    let mut child = spawn(&m, stage);
    reach(&m, stage);
    let label = format!("SIG{signal} during {stage:?}");
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
    m.all_undone();
    assert!(leftovers(&m).is_empty());
}

macro_rules! signal_tests {
    ($($name:ident: $stage:expr, $sig:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            interrupt($stage, $sig).await;
        }
    )*};
}

signal_tests! {
    sigint_during_preflight: Stage::Preflight, "INT";
    sigterm_during_preflight: Stage::Preflight, "TERM";
    sigint_during_setup: Stage::Setup, "INT";
    sigterm_during_setup: Stage::Setup, "TERM";
    sigint_while_waiting_for_online: Stage::Online, "INT";
    sigterm_while_waiting_for_online: Stage::Online, "TERM";
    sigint_during_resolve: Stage::Resolve, "INT";
    sigterm_during_resolve: Stage::Resolve, "TERM";
    sigint_during_probe: Stage::Probe, "INT";
    sigterm_during_probe: Stage::Probe, "TERM";
    sigint_while_running_the_command: Stage::Command, "INT";
    sigterm_while_running_the_command: Stage::Command, "TERM";
}
