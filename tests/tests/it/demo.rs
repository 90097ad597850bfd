//! `scripts/demo.sh` (the README's first command) with prebuilt binaries: opt-in through
//! TGCTL_DEMO_PREBUILT, tested with a local `tgctl-<target>.tar.gz` as the release ships them.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;

#[test]
fn the_demo_runs_from_a_prebuilt_archive_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("tgctl-x86_64-unknown-linux-musl");
    std::fs::create_dir_all(&stage).unwrap();
    for b in ["tgctl", "tgctl-emulator", "twingate-sim"] {
        std::fs::copy(bin(b), stage.join(b)).unwrap();
    }
    let archive = dir.path().join("tgctl-x86_64-unknown-linux-musl.tar.gz");
    let tar = Command::new("tar")
        .args([
            "-czf",
            archive.to_str().unwrap(),
            "-C",
            dir.path().to_str().unwrap(),
            "tgctl-x86_64-unknown-linux-musl",
        ])
        .status()
        .unwrap();
    assert!(tar.success());
    // A guard, not a stand-in: if the demo tried to compile, it would fail loudly.
    let guard = dir.path().join("guard");
    std::fs::create_dir_all(&guard).unwrap();
    std::fs::write(
        guard.join("cargo"),
        "#!/bin/sh\necho 'cargo must not run with a complete prebuilt archive' >&2\nexit 99\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(guard.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh");
    let out = Command::new("bash")
        .arg(script)
        .env_clear()
        .env("PATH", format!("{}:{}", guard.display(), host_env("PATH").unwrap_or_default()))
        .env("HOME", dir.path())
        .env("TGCTL_DEMO_PREBUILT", &archive)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Using prebuilt binaries from") && text.contains("tgctl tgctl-emulator twingate-sim"),
        "{text}"
    );
    assert!(!text.contains("Building"), "{text}");
    assert!(text.contains("The key minted for this job was revoked"), "{text}");

    // A wrong path is one clear line and exit 2.
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.sh"))
        .env("TGCTL_DEMO_PREBUILT", dir.path().join("nope.tar.gz"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or directory"));
}
