//! Files tgctl reads (config.toml, credentials.toml, connect's state file) and what the headless
//! client prints (`status`, `resources`), plus `--probe HOST:PORT`.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{CANARY, any_json, check_error, config, edits, mutate};
use crate::config::{Config, Env, env};
use crate::connect::client::ClientState;
use crate::connect::probe::parse_target;
use crate::connect::providers::twingate::cli::{parse_resources, parse_status};
use crate::connect::state;

/// TOML-ish text: valid profiles, broken a little, or anything.
fn config_toml() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "network",
        "api_url",
        "token_store",
        "reads_per_minute",
        "writes_per_minute",
        "provider",
        "token",
        "profile",
        "",
    ]);
    let value = prop_oneof![
        Just("\"acme\"".to_owned()),
        Just("\"keyring\"".to_owned()),
        Just("\"file\"".to_owned()),
        Just("\"firezone\"".to_owned()),
        Just("\"twingate\"".to_owned()),
        Just("\"wss://api.firezone.dev/\"".to_owned()),
        (0i64..100_000).prop_map(|n| n.to_string()),
        Just("-1".to_owned()),
        Just("[1, 2]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("\"unterminated".to_owned()),
        ".{0,12}".prop_map(|s| format!("{s:?}")),
        ".{0,12}",
    ];
    let section = prop::sample::select(vec!["[profiles.default]", "[profiles.ci]", "[profiles]", "[other]", "", "[["]);
    let line =
        prop_oneof![(key, value).prop_map(|(k, v)| format!("{k} = {v}")), section.prop_map(str::to_owned), ".{0,24}",];
    prop_oneof![prop::collection::vec(line, 0..10).prop_map(|l| l.join("\n")), ".{0,120}",]
}

fn credentials_toml() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just(format!("\"tok-{CANARY}\"")),
        Just(format!("\"{CANARY}")),
        Just(format!("{CANARY}\"")),
        Just(format!("[\"{CANARY}\"]")),
        Just(format!("{{ x = \"{CANARY}\" }}")),
        Just("42".to_owned()),
        Just("\"\"".to_owned()),
    ];
    let name = prop::sample::select(vec!["default", "ci", "", "a.b", "\"quoted\""]);
    let entry = (name, token, prop::sample::select(vec!["token", "tokens", "secret"]))
        .prop_map(|(n, t, k)| format!("[profiles.{n}]\n{k} = {t}"));
    prop_oneof![
        prop::collection::vec(entry, 0..4).prop_map(|e| e.join("\n")),
        ".{0,60}".prop_map(|s| format!("{s}{CANARY}")),
        ".{0,60}".prop_map(|s| format!("[profiles.default]\ntoken = \"{CANARY}{s}")),
    ]
}

fn world(config_toml: Option<&str>, credentials: Option<&str>) -> (tempfile::TempDir, Env) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = config_toml {
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
    }
    if let Some(text) = credentials {
        std::fs::write(dir.path().join("credentials.toml"), text).unwrap();
    }
    let env = Env::default()
        .with(env::TGCTL_CONFIG_DIR, dir.path().to_string_lossy().into_owned())
        .with(env::TGCTL_NO_KEYRING, "1");
    (dir, env)
}

fn state_value() -> Value {
    json!({
        "version": 1, "provider": "twingate", "clientBin": "/usr/bin/twingate", "sudo": false,
        "ranSetup": true, "ranStart": true,
        "mintedKey": {"id": "U2VydmljZUFjY291bnRLZXk6eA==", "name": "tgctl-job", "serviceAccountId": "sa"},
        "keyId": "5c6bcf4e", "keyExpiresAt": "2026-07-02T10:00:00Z", "network": "acme",
        "status": "online", "startedAt": "2026-07-01T10:00:00Z", "onlineAt": "2026-07-01T10:00:01Z",
        "tgctlPid": 4242, "pids": [4250], "commandPid": null, "log": "/var/log/twingated.log",
        "resources": [{"name": "prod-db", "address": "db.internal", "kind": "main"}]
    })
}

/// Lines like `twingate resources` prints, and worse.
fn resources_text() -> impl Strategy<Value = String> {
    let cell = prop_oneof![".{0,12}", Just(String::new()), Just("-".to_owned()), Just("Name".to_owned())];
    let row = prop::collection::vec(cell, 1..6).prop_map(|c| c.join("\t"));
    let header = prop::sample::select(vec![
        "MAIN RESOURCES",
        "KUBERNETES RESOURCES",
        "BACKGROUND RESOURCES",
        "RESOURCES",
        "resources",
        "Name\tAddress\tAlias\tAuth Status",
    ])
    .prop_map(str::to_owned);
    let line = prop_oneof![3 => row, 1 => header, 1 => ".{0,20}"];
    prop::collection::vec(line, 0..12).prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn config_files(text in config_toml()) {
        let (_dir, env) = world(Some(&text), None);
        match Config::load(&env) {
            Ok(c) => {
                // What loads, saves and loads back the same.
                c.save().unwrap();
                prop_assert_eq!(Config::load(&env).unwrap().file, c.file);
            }
            Err(e) => check_error(&e, &[]),
        }
    }

    /// credentials.toml holds tokens: whatever is in it, an error never quotes it.
    #[test]
    fn credentials_files(text in credentials_toml()) {
        let (_dir, env) = world(None, Some(&text));
        let config = Config::load(&env).unwrap();
        for profile in ["default", "ci", "a.b"] {
            match config.stored_token(profile) {
                Ok(_) => {}
                Err(e) => check_error(&e, &[]),
            }
        }
    }

    #[test]
    fn connect_state_files(changes in edits(), junk in prop::option::of(any_json()), cut in prop::option::of(any::<usize>())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(state::FILE_NAME);
        let mut bytes = junk.unwrap_or_else(|| mutate(&state_value(), &changes)).to_string().into_bytes();
        if let Some(n) = cut {
            bytes.truncate(n % (bytes.len() + 1));
        }
        std::fs::write(&path, &bytes).unwrap();
        match state::State::load_at(&path) {
            Ok(Some(s)) => {
                // A state file that loads is saved and loaded back unchanged.
                s.save().unwrap();
                prop_assert_eq!(state::State::load_at(&path).unwrap().map(|l| (*l).clone()), Some((*s).clone()));
            }
            Ok(None) => prop_assert!(false, "the file exists"),
            Err(e) => check_error(&e, &[]),
        }
    }

    #[test]
    fn client_status_output(stdout in ".{0,40}", stderr in ".{0,40}", word in prop::sample::select(vec!["online", "ONLINE", " online ", "not-running", "authenticating", ""])) {
        let s = parse_status(&stdout, &stderr);
        prop_assert!(!s.as_str().is_empty());
        prop_assert!(!s.as_str().contains('\n'));
        let s = parse_status(&format!("\n{word}\nmore"), &stderr);
        match word.trim().to_ascii_lowercase().as_str() {
            "online" => prop_assert_eq!(s, ClientState::Online),
            "not-running" => prop_assert_eq!(s, ClientState::NotRunning),
            "" => {}
            other => prop_assert_eq!(s.as_str(), other),
        }
    }

    #[test]
    fn client_resources_output(text in resources_text()) {
        let rows = parse_resources(&text);
        for r in &rows {
            prop_assert!(!r.name.eq_ignore_ascii_case("name"));
            prop_assert!(!r.kind.is_empty());
            prop_assert!(!r.name.contains(['\t', '\n']) && !r.address.contains(['\t', '\n']));
        }
        prop_assert!(rows.len() <= text.lines().count());
    }

    #[test]
    fn probe_targets(text in ".{0,30}", host in "[a-z0-9.-]{1,20}", port in 1u16..) {
        if let Err(e) = parse_target(&text) {
            prop_assert!(!e.contains('\n'));
        }
        prop_assert_eq!(parse_target(&format!("{host}:{port}")), Ok((host.clone(), port)));
        prop_assert_eq!(parse_target(&format!("[::1]:{port}")), Ok(("::1".to_owned(), port)));
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// What a Firezone client sends to our notify socket: any datagrams, then `READY=1`. The wait
    /// ends exactly at the first datagram with a `READY=1` line, and keeps the last `STATUS=`.
    #[test]
    fn firezone_notify_datagrams(datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..6), status in "[ -~]{0,20}") {
        use crate::connect::providers::firezone::notify::{NotifySocket, Notified};
        let datagrams: Vec<Vec<u8>> = datagrams
            .into_iter()
            .filter(|d| !String::from_utf8_lossy(d).lines().any(|l| l.trim() == "READY=1"))
            .collect();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let parent = tempfile::tempdir().unwrap();
        let seen = rt.block_on(async {
            let sock = NotifySocket::bind(parent.path()).unwrap();
            let client = std::os::unix::net::UnixDatagram::unbound().unwrap();
            for d in &datagrams {
                client.send_to(d, sock.path()).unwrap();
            }
            client.send_to(format!("STATUS={status}\nREADY=1").as_bytes(), sock.path()).unwrap();
            let mut seen = Notified::default();
            tokio::time::timeout(std::time::Duration::from_secs(5), sock.ready(&mut seen)).await.unwrap().unwrap();
            seen
        });
        prop_assert_eq!(seen.messages as usize, datagrams.len() + 1);
        let line = format!("STATUS={status}");
        prop_assert_eq!(seen.status.as_deref(), line.trim().strip_prefix("STATUS="));
    }
}
