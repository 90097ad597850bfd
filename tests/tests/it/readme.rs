//! The README, run as written: every `sh` block, in order, in one bash session, as a new user
//! would type it after `./scripts/demo.sh`, with the real binaries. The README's own commands
//! start `tgctl-emulator --seed demo` (its first runnable block does), so the test follows the
//! README exactly; it fails on the first command that fails, naming it.
//!
//! Convention: a block whose fence line is directly preceded by a line starting
//! `<!-- not run by the README test:` (and a reason) is not run. Blocks in other languages
//! (yaml, ...) are never run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

const SKIP: &str = "<!-- not run by the README test:";

/// One fenced block of the README.
#[derive(Debug)]
struct Block {
    line: usize,
    lang: String,
    skip_reason: Option<String>,
    commands: Vec<String>,
}

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("README.md")
}

/// The fenced blocks of a Markdown text, with their commands: comment lines and blank lines
/// dropped, `\`-continued lines joined.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut previous = "";
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if !line.trim().is_empty() {
                previous = line;
            }
            continue;
        };
        let skip_reason = previous.trim().strip_prefix(SKIP).map(|r| r.trim_end_matches("-->").trim().to_owned());
        let mut commands = Vec::new();
        let mut pending = String::new();
        for (_, body) in lines.by_ref() {
            if body.trim_start().starts_with("```") {
                break;
            }
            let t = body.trim();
            if pending.is_empty() && (t.is_empty() || t.starts_with('#')) {
                continue;
            }
            match t.strip_suffix('\\') {
                Some(head) => {
                    pending.push_str(head.trim_end());
                    pending.push(' ');
                }
                None => {
                    pending.push_str(t);
                    commands.push(std::mem::take(&mut pending));
                }
            }
        }
        out.push(Block { line: i + 1, lang: info.trim().to_owned(), skip_reason, commands });
        previous = "";
    }
    out
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "sh" | "bash" | "shell")
}

/// A bash script that runs `commands` in order, printing each before it runs and naming the
/// one that failed.
fn script(commands: &[(usize, String)]) -> String {
    let mut s = String::from(
        "set -euo pipefail\n\
         trap 'echo \"README command failed (exit $?, README.md line $TOUR_LINE): $TOUR_CMD\" >&2' ERR\n",
    );
    for (line, cmd) in commands {
        let quoted = cmd.replace('\'', r"'\''");
        s.push_str(&format!("TOUR_LINE={line}; TOUR_CMD='{quoted}'\nprintf '\\n$ %s\\n' \"$TOUR_CMD\" >&2\n{cmd}\n"));
    }
    s.push_str("echo 'README tour: every command passed' >&2\n");
    s
}

/// A stand-in for the GitHub CLI, for `... | gh secret set NAME` only. It does what
/// `gh secret set NAME` does with no --body and stdin not a terminal: reads the value from
/// stdin, trims trailing CR/LF, and stores it, printing nothing when stdout is not a terminal
/// (cli/cli pkg/cmd/secret/set/set.go: getBody, setRun). It stores into $GH_STANDIN_DIR
/// instead of encrypting for a repository, and refuses anything else.
const GH_STANDIN: &str = r#"#!/usr/bin/env bash
set -euo pipefail
if [ "$#" -ne 3 ] || [ "$1" != secret ] || [ "$2" != set ]; then
  echo "gh stand-in: only 'gh secret set NAME' is supported (got: $*)" >&2; exit 1
fi
case "$3" in GITHUB_*|[0-9]*|*[!A-Za-z0-9_]*) echo "gh stand-in: invalid secret name $3" >&2; exit 1;; esac
value="$(cat)"
[ -n "$value" ] || { echo "gh stand-in: empty secret" >&2; exit 1; }
umask 077
printf '%s' "$value" > "$GH_STANDIN_DIR/$3"
"#;

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_convention_is_followed_and_blocks_are_found() {
    let text = std::fs::read_to_string(readme_path()).unwrap();
    let all = blocks(&text);
    let shell: Vec<&Block> = all.iter().filter(|b| is_shell(&b.lang)).collect();
    assert!(shell.len() >= 6, "{all:#?}");
    for b in &shell {
        if let Some(reason) = &b.skip_reason {
            assert!(reason.len() > 10, "README.md line {}: say why the block is not run", b.line);
        }
    }
    let run: usize = shell.iter().filter(|b| b.skip_reason.is_none()).map(|b| b.commands.len()).sum();
    assert!(run >= 25, "only {run} README commands would run");
    // The parser itself: continuation lines join, comments go.
    let sample = blocks(
        "text\n<!-- not run by the README test: needs a tenant -->\n```sh\n# c\na \\\n  b\n```\n```sh\nx\n```\n",
    );
    assert_eq!(sample[0].skip_reason.as_deref(), Some("needs a tenant"));
    assert_eq!(sample[0].commands, ["a b"]);
    assert_eq!((sample[1].skip_reason.as_deref(), sample[1].commands.as_slice()), (None, &["x".to_owned()][..]));
}

#[test]
fn every_readme_command_runs_as_written_against_the_emulator() {
    let text = std::fs::read_to_string(readme_path()).unwrap();
    let commands: Vec<(usize, String)> = blocks(&text)
        .into_iter()
        .filter(|b| is_shell(&b.lang) && b.skip_reason.is_none())
        .flat_map(|b| {
            let line = b.line;
            b.commands.into_iter().map(move |c| (line, c))
        })
        .collect();

    // The directory a new user is in after ./scripts/demo.sh: the binaries in target/debug.
    let home = tempfile::tempdir().unwrap();
    let work = home.path().join("tgctl");
    std::fs::create_dir_all(work.join("target")).unwrap();
    let bins = bin("tgctl").parent().unwrap().to_path_buf();
    assert!(bins.join("tgctl-emulator").exists(), "build the workspace binaries first");
    std::os::unix::fs::symlink(&bins, work.join("target").join("debug")).unwrap();
    let tools = home.path().join("tools");
    let secrets = home.path().join("gh-secrets");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    write_executable(&tools.join("gh"), GH_STANDIN);
    let path = format!("{}:{}", tools.display(), host_env("PATH").unwrap_or_default());

    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(script(&commands))
        .current_dir(&work)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home.path())
        .env("GH_STANDIN_DIR", &secrets)
        .env("TGCTL_CONFIG_DIR", home.path().join("config"))
        .env("TGCTL_STATE_DIR", home.path().join("state"))
        .env("TGCTL_NO_KEYRING", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        // Files, not pipes: the emulator the README starts in the background keeps its
        // inherited streams open after bash exits.
        .stdout(std::fs::File::create(home.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(home.path().join("stderr")).unwrap());
    // Its own process group, so the emulator the README starts in the background ends with it.
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().unwrap();
    let pgid = child.id();
    let status = child.wait().unwrap();
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pgid}")]).status();
    let stdout = std::fs::read_to_string(home.path().join("stdout")).unwrap();
    let stderr = std::fs::read_to_string(home.path().join("stderr")).unwrap();
    assert!(
        status.success() && stderr.contains("README tour: every command passed"),
        "a README command failed\n--- stderr\n{stderr}\n--- stdout\n{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("warning:"), "a README command warned:\n{stderr}");

    // What the tour promised is there: the key file (0600), the key piped into the secret
    // store, the connector's env file, the schema.
    assert_eq!(file_mode(&work.join("key.json")), 0o600);
    let piped = std::fs::read_to_string(secrets.join("TWINGATE_SERVICE_KEY")).unwrap();
    assert!(piped.contains("\"private_key\""), "the key reached the secret store");
    assert!(std::fs::read_to_string(work.join("connector.env")).unwrap().contains("TWINGATE_ACCESS_TOKEN="));
    assert!(std::fs::read_to_string(work.join("schema.graphql")).unwrap().contains("remoteNetworks("));
    assert!(stdout.contains("ci-deployer"), "{stdout}");
}
