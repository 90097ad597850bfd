//! --state FILE: loaded at start, saved atomically after every mutation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Emu, unlimited};
use serde_json::{Value, json};
use tgctl_emulator::{Config, Seed};

#[tokio::test]
async fn state_round_trips_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = Config { state_file: Some(path.clone()), ..unlimited() };

    let e = Emu::start(config.clone()).await;
    assert!(path.exists(), "saved at start");
    let token = e.token();
    let g = e.create_group("persisted").await;
    let sa = e.create_service_account("ci", json!([])).await;
    let p = e
        .ok(
            "serviceAccountKeyCreate",
            "mutation($s: ID!) { serviceAccountKeyCreate(serviceAccountId: $s, expirationTime: 2) { ok error token entity { id } } }",
            json!({"s": sa}),
        )
        .await;
    let key_id = p["entity"]["id"].as_str().unwrap().to_string();
    let private_key: Value = serde_json::from_str(p["token"].as_str().unwrap()).unwrap();
    let read_token = e.new_token("read").await;
    e.hook(reqwest::Method::POST, "clock", json!({"advanceSeconds": 3 * 86400})).await;
    e.emu.shutdown().await;

    let text = std::fs::read_to_string(&path).unwrap();
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["clock_offset_secs"], 3 * 86400);
    assert!(text.contains("BEGIN PUBLIC KEY"));
    assert!(!text.contains("PRIVATE KEY"), "never private keys");
    let pem_body = private_key["private_key"].as_str().unwrap().lines().nth(1).unwrap().to_string();
    assert!(!text.contains(&pem_body));

    // Restart: the seed is ignored when the file exists; the token and clock carry over.
    let e = Emu::start(Config { seed: Seed::Empty, ..config }).await;
    assert_eq!(e.token(), token);
    let d = e
        .data(
            "query($g: ID!, $k: ID) { group(id: $g) { name } serviceAccountKey(id: $k) { status } resources { totalCount } }",
            json!({"g": g, "k": key_id}),
        )
        .await;
    assert_eq!(d["group"]["name"], "persisted");
    assert_eq!(d["serviceAccountKey"]["status"], "EXPIRED", "clock offset persisted");
    assert_eq!(d["resources"]["totalCount"], 7, "demo data, not the empty seed");
    assert_eq!(e.post(Some(&read_token), "{ groups { totalCount } }", json!({})).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let e = Arc::new(Emu::start(Config { state_file: Some(path.clone()), ..unlimited() }).await);

    // A reader keeps parsing the file while writers mutate: it must never see a torn file.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (path, stop, reads) = (path.clone(), stop.clone(), reads.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let bytes = std::fs::read(&path).expect("the state file always exists");
                serde_json::from_slice::<Value>(&bytes).expect("the state file always parses");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut tasks = Vec::new();
    for t in 0..8 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                e.create_group(&format!("atomic-{t}-{i}")).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    assert!(reads.load(Ordering::Relaxed) > 0);

    // The last save holds every group, and no temp files are left behind.
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let groups = saved["groups"].as_object().unwrap();
    assert_eq!(groups.values().filter(|g| g["name"].as_str().unwrap().starts_with("atomic-")).count(), 200);
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["state.json"]);
}

#[tokio::test]
async fn a_corrupt_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err =
        tgctl_emulator::start(Config { state_file: Some(path.clone()), ..unlimited() }).await.err().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json", "left alone");
}
