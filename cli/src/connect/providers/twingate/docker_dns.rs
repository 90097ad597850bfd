//! `connect --docker-dns`: containers started during the job resolve private names.
//!
//! Containers do not use the host's resolver: Docker gives each one a resolv.conf of its own,
//! which on GitHub-hosted runners names Azure's 168.63.129.16 and so bypasses the client's DNS
//! (Twingate/github-action README "Known Limitations", PR #36). Twingate's Linux headless docs
//! suggest pointing the Docker daemon's DNS at the client's resolvers, 100.95.0.251-254, for
//! containerized jobs (headless-and-ci-wrappers.md §1.9); Cloudflare WARP's action does the same
//! for its client (`configure_docker_dns`, §5.3). The daemon reads `dns` from
//! /etc/docker/daemon.json when it starts, so the daemon is restarted after the edit and again
//! after the restore.
//!
//! This module is the edit and its exact undo, as pure functions over the file's text; the
//! caller reads and writes the file (with sudo when needed) and restarts the daemon. The record
//! goes into the connect state, so `disconnect` restores what was there before: the previous
//! `dns` value, or no `dns` key, or no file at all.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::install::{ensure_parent, write_privileged};
use crate::config::env::{self, Env};
use crate::connect::preflight::Machine;
use crate::connect::process::{Runner, which};
use crate::error::{Error, Kind, Result};

/// The Twingate client's resolvers, on its sdwan0 interface (headless-and-ci-wrappers.md §1.9).
pub(crate) const TWINGATE_RESOLVERS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(100, 95, 0, 251)),
    IpAddr::V4(Ipv4Addr::new(100, 95, 0, 252)),
    IpAddr::V4(Ipv4Addr::new(100, 95, 0, 253)),
    IpAddr::V4(Ipv4Addr::new(100, 95, 0, 254)),
];

/// Where the Docker daemon reads its configuration on Linux.
pub(crate) const DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// What `--docker-dns` changed, for `disconnect` to put back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DockerDnsRecord {
    /// Whether daemon.json existed before.
    pub(crate) existed: bool,
    /// Its `dns` value before (None: no `dns` key).
    pub(crate) previous: Option<Value>,
    /// The resolvers written.
    pub(crate) written: Vec<String>,
}

/// What restoring leaves: new text for the file, or no file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Restored {
    Write(String),
    Remove,
    /// Someone changed `dns` after connect did: it is left alone.
    LeftAlone(String),
}

fn parse(path: &str, text: &str) -> Result<Map<String, Value>> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(Kind::Usage, format!("{path} is not a JSON object; --docker-dns left it alone"))
            .hint("fix the file (Docker reads one JSON object from it), or connect without --docker-dns")),
        Err(e) => Err(Error::new(Kind::Usage, format!("{path} is not valid JSON ({e}); --docker-dns left it alone"))
            .hint("fix the file (dockerd would not start with it either), or connect without --docker-dns")),
    }
}

fn render(map: Map<String, Value>) -> String {
    // Two-space indentation and a final newline, as Docker's docs write the file.
    let mut text = serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// The file with `dns` set to `resolvers` (every other setting kept), and the record of the edit.
/// `current` is the file's text, None when there is no file.
pub(crate) fn edit(path: &str, current: Option<&str>, resolvers: &[IpAddr]) -> Result<(String, DockerDnsRecord)> {
    let mut map = parse(path, current.unwrap_or(""))?;
    let written: Vec<String> = resolvers.iter().map(IpAddr::to_string).collect();
    let previous = map.insert("dns".to_owned(), Value::from(written.clone()));
    let record = DockerDnsRecord { existed: current.is_some(), previous, written };
    Ok((render(map), record))
}

/// Undoes [`edit`] on the file as it is now: `dns` back to what it was (or gone, or the whole
/// file gone if connect created it and nothing else was added). A `dns` someone changed since
/// is left as it is.
pub(crate) fn restore(path: &str, current: Option<&str>, record: &DockerDnsRecord) -> Result<Restored> {
    let Some(current) = current else {
        return Ok(if record.existed {
            Restored::LeftAlone(format!("{path} is gone; nothing to restore"))
        } else {
            Restored::Remove
        });
    };
    let mut map = parse(path, current)?;
    let ours = Value::from(record.written.clone());
    if map.get("dns") != Some(&ours) {
        return Ok(Restored::LeftAlone(format!(
            "the dns setting in {path} was changed after connect set it; it is left as it is"
        )));
    }
    match &record.previous {
        Some(v) => {
            map.insert("dns".to_owned(), v.clone());
        }
        None => {
            map.remove("dns");
        }
    }
    if !record.existed && map.is_empty() {
        return Ok(Restored::Remove);
    }
    Ok(Restored::Write(render(map)))
}

fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), &e)),
    }
}

/// Restarts dockerd where systemd runs it, so it reads daemon.json again. Elsewhere (no
/// systemd, no docker unit running) there is nothing to restart: containers started by the
/// next dockerd get the setting. Returns what happened, for a note.
async fn restart_dockerd(env: &Env, runner: &Runner, machine: &Machine) -> String {
    let Some(systemctl) = which("systemctl", env.get(env::PATH)).filter(|_| machine.has_systemd()) else {
        return "dockerd is not run by systemd here: restart it for the setting to apply".to_owned();
    };
    let t = Duration::from_secs(60);
    match runner.run(&systemctl, &["is-active", "--quiet", "docker"], None, t, false).await {
        Ok(out) if out.success() => {}
        _ => return "the docker service is not running: it reads the setting when it starts".to_owned(),
    }
    match runner.run(&systemctl, &["restart", "docker"], None, Duration::from_secs(120), true).await {
        Ok(out) if out.success() => "restarted the docker service".to_owned(),
        Ok(out) => format!("`systemctl restart docker` failed: {}", out.text().trim()),
        Err(e) => format!("`systemctl restart docker` failed: {e}"),
    }
}

/// Sets the daemon's DNS. `save` records the edit (in the connect state) before the file changes.
pub(crate) async fn apply(
    env: &Env,
    runner: &Runner,
    machine: &Machine,
    save: &mut dyn FnMut(DockerDnsRecord) -> Result<()>,
) -> Result<String> {
    let path = machine.path(DAEMON_JSON);
    let current = read(&path)?;
    let (text, record) = edit(DAEMON_JSON, current.as_deref(), &TWINGATE_RESOLVERS)?;
    save(record)?;
    ensure_parent(runner, &path).await?;
    write_privileged(runner, &path, text.as_bytes()).await?;
    Ok(restart_dockerd(env, runner, machine).await)
}

/// Puts back what [`apply`] changed; returns notes (what was left alone, the restart).
pub(crate) async fn undo(
    env: &Env,
    runner: &Runner,
    machine: &Machine,
    record: &DockerDnsRecord,
) -> Result<Vec<String>> {
    let path = machine.path(DAEMON_JSON);
    let current = read(&path)?;
    let mut notes = Vec::new();
    match restore(DAEMON_JSON, current.as_deref(), record)? {
        Restored::Write(text) => write_privileged(runner, &path, text.as_bytes()).await?,
        Restored::Remove => {
            if current.is_some() {
                let p = path.to_string_lossy();
                match runner.run(Path::new("rm"), &["-f", &p], None, Duration::from_secs(30), true).await {
                    Ok(out) if out.success() => {}
                    _ => return Err(Error::internal(format!("cannot remove {p}"))),
                }
            }
        }
        Restored::LeftAlone(why) => {
            notes.push(why);
            return Ok(notes);
        }
    }
    notes.push(restart_dockerd(env, runner, machine).await);
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twingate() -> Vec<IpAddr> {
        ["100.95.0.251", "100.95.0.252"].iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn no_file_is_created_then_removed() {
        let (text, rec) = edit(DAEMON_JSON, None, &twingate()).unwrap();
        assert_eq!(text, "{\n  \"dns\": [\n    \"100.95.0.251\",\n    \"100.95.0.252\"\n  ]\n}\n");
        assert!(!rec.existed && rec.previous.is_none());
        assert_eq!(restore(DAEMON_JSON, Some(&text), &rec).unwrap(), Restored::Remove);
        assert_eq!(restore(DAEMON_JSON, None, &rec).unwrap(), Restored::Remove);
    }

    #[test]
    fn other_settings_are_kept_and_the_previous_dns_comes_back() {
        let before = r#"{"log-driver": "json-file", "dns": ["8.8.8.8"], "live-restore": true}"#;
        let (text, rec) = edit(DAEMON_JSON, Some(before), &twingate()).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["dns"], serde_json::json!(["100.95.0.251", "100.95.0.252"]));
        assert_eq!(v["log-driver"], "json-file");
        assert_eq!(v["live-restore"], true);
        let Restored::Write(after) = restore(DAEMON_JSON, Some(&text), &rec).unwrap() else { panic!() };
        let a: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(a, serde_json::from_str::<Value>(before).unwrap());
    }

    #[test]
    fn a_file_without_dns_gets_none_back_and_stays() {
        let (text, rec) = edit(DAEMON_JSON, Some("{\"debug\": true}\n"), &twingate()).unwrap();
        let Restored::Write(after) = restore(DAEMON_JSON, Some(&text), &rec).unwrap() else { panic!() };
        assert_eq!(serde_json::from_str::<Value>(&after).unwrap(), serde_json::json!({"debug": true}));
        // An empty file counts as no settings, and is kept (it existed).
        let (text, rec) = edit(DAEMON_JSON, Some(""), &twingate()).unwrap();
        assert_eq!(restore(DAEMON_JSON, Some(&text), &rec).unwrap(), Restored::Write("{}\n".to_owned()));
    }

    #[test]
    fn a_dns_changed_by_someone_else_is_left_alone() {
        let (_, rec) = edit(DAEMON_JSON, None, &twingate()).unwrap();
        let theirs = "{\"dns\": [\"1.1.1.1\"]}";
        assert!(matches!(restore(DAEMON_JSON, Some(theirs), &rec).unwrap(), Restored::LeftAlone(_)));
    }

    #[test]
    fn a_broken_file_is_refused_and_left_alone() {
        let e = edit(DAEMON_JSON, Some("{not json"), &twingate()).unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
        let e = edit(DAEMON_JSON, Some("[1, 2]"), &twingate()).unwrap_err();
        assert!(e.message.contains("not a JSON object"), "{}", e.message);
    }

    #[test]
    fn the_record_round_trips_through_the_state_file() {
        let (_, rec) = edit(DAEMON_JSON, Some("{\"dns\": [\"8.8.8.8\"]}"), &twingate()).unwrap();
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(serde_json::from_str::<DockerDnsRecord>(&json).unwrap(), rec);
    }
}
