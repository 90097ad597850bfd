//! `--provider firezone`: every REST verb against a mock Firezone API (wiremock), through the
//! same transport rules as the Admin API (401, 404, 429 then success, 5xx, a write that times
//! out is not re-sent), and `connect --provider firezone` with the simulated headless client
//! (`firezone-sim`).

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

pub const SA: &str = "2dd91f07-a726-4ee5-9e08-710fc4da8344";
pub const TOKEN_ID: &str = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
const GROUP: &str = "0b1f5c1e-1111-4222-8333-944455556666";
pub const CLIENT: &str = "c0ffee00-0000-4000-8000-000000000001";
const FZ_T0: &str = "2026-01-01T00:00:00.000000Z";

/// The secret of a minted client token: carries the canary, so `no_secrets` catches a leak.
pub fn client_token_secret() -> String {
    format!(".SFMyNTY.g2gDaANtAAAAJDZiYTdi{CANARY_KEY}")
}

pub fn actor(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "type": "service_account", "email": null, "disabled_at": null,
        "last_seen_at": null, "inserted_at": FZ_T0, "updated_at": FZ_T0})
}

pub fn token(id: &str, expires: &str) -> Value {
    json!({"id": id, "actor_id": SA, "expires_at": expires, "inserted_at": FZ_T0, "updated_at": FZ_T0})
}

pub fn client(id: &str, firezone_id: &str) -> Value {
    json!({"id": id, "external_id": firezone_id, "actor_id": SA, "name": "tgctl-ci", "online": true,
        "ipv4": "100.64.0.2", "ipv6": null, "last_seen_version": "1.5.12", "last_seen_at": FZ_T0,
        "created_at": FZ_T0})
}

pub fn list(items: Vec<Value>, next: Option<&str>) -> Value {
    json!({"data": items, "metadata": {"limit": 100, "count": 1, "next_page": next, "prev_page": null}})
}

pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A world whose tgctl talks to the mock as Firezone's API.
pub async fn fz_world() -> World {
    let w = World::new().await;
    let uri = w.server.uri();
    w.env("TGCTL_PROVIDER", "firezone").env("FIREZONE_API_URL", &uri).env("FIREZONE_API_TOKEN", CANARY_TOKEN)
}

/// Answers `m p` (Bearer token required) with `response`.
pub async fn mount(w: &World, m: &str, p: &str, response: ResponseTemplate) {
    Mock::given(method(m))
        .and(path(p))
        .and(header("authorization", format!("Bearer {CANARY_TOKEN}").as_str()))
        .respond_with(response)
        .with_priority(5)
        .mount(&w.server)
        .await;
}

/// How many requests `m p` received.
pub async fn hits(w: &World, m: &str, p: &str) -> usize {
    w.server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .count()
}

/// One verb: its arguments, the mocks it needs, and the request whose failures are injected.
struct Case {
    name: &'static str,
    args: Vec<String>,
    base: Vec<(&'static str, String, ResponseTemplate)>,
    main: (&'static str, String),
    check: fn(&Run),
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

fn cases(dir: &std::path::Path) -> Vec<Case> {
    let sa = format!("/actors/{SA}");
    let tokens = format!("/actors/{SA}/client_tokens");
    let tok = format!("/actors/{SA}/client_tokens/{TOKEN_ID}");
    let get_sa = ("GET", sa.clone(), ok(json!({"data": actor(SA, "ci")})));
    let key_file = dir.join("fz-token").to_str().unwrap().to_owned();
    let created = json!({"data": {"id": TOKEN_ID, "actor_id": SA, "expires_at": "2999-01-01T00:00:00Z",
        "inserted_at": FZ_T0, "updated_at": FZ_T0, "token": client_token_secret()}});
    vec![
        Case {
            name: "service-account list",
            args: s(&["service-account", "list", "-o", "json"]),
            base: vec![("GET", "/actors".into(), ok(list(vec![actor(SA, "ci")], None)))],
            main: ("GET", "/actors".into()),
            check: |r| assert_eq!(r.json()[0]["name"], "ci"),
        },
        Case {
            name: "service-account get",
            args: s(&["service-account", "get", SA, "-o", "json"]),
            base: vec![
                get_sa.clone(),
                ("GET", tokens.clone(), ok(list(vec![token(TOKEN_ID, "2999-01-01T00:00:00Z")], None))),
            ],
            main: ("GET", sa.clone()),
            check: |r| assert_eq!(r.json()["tokens"][0]["id"], TOKEN_ID),
        },
        Case {
            name: "service-account create",
            args: s(&["service-account", "create", "ci", "-o", "id"]),
            base: vec![(
                "POST",
                "/actors".into(),
                ResponseTemplate::new(201).set_body_json(json!({"data": actor(SA, "ci")})),
            )],
            main: ("POST", "/actors".into()),
            check: |r| assert_eq!(r.stdout().trim(), SA),
        },
        Case {
            name: "service-account update --add-group",
            args: s(&["service-account", "update", SA, "--add-group", GROUP, "-o", "id"]),
            base: vec![
                get_sa.clone(),
                ("GET", format!("/groups/{GROUP}"), ok(json!({"data": {"id": GROUP, "name": "ci-group"}}))),
                ("PATCH", format!("/groups/{GROUP}/memberships"), ok(json!({"data": [{"actor_id": SA}]}))),
            ],
            main: ("PATCH", format!("/groups/{GROUP}/memberships")),
            check: |r| assert!(r.stderr().contains("Added it to group \"ci-group\""), "{}", r.stderr()),
        },
        Case {
            name: "service-account delete",
            args: s(&["service-account", "delete", SA, "--yes", "-o", "json"]),
            base: vec![get_sa.clone(), ("DELETE", sa.clone(), ok(json!({"data": actor(SA, "ci")})))],
            main: ("DELETE", sa.clone()),
            check: |r| assert_eq!(r.json()["deleted"], true),
        },
        Case {
            name: "service-key create",
            args: vec![
                "service-key".into(),
                "create".into(),
                "--service-account".into(),
                SA.into(),
                "--key-file".into(),
                key_file,
                "--force".into(),
                "-o".into(),
                "json".into(),
            ],
            base: vec![get_sa.clone(), ("POST", tokens.clone(), ResponseTemplate::new(201).set_body_json(created))],
            main: ("POST", tokens.clone()),
            check: |r| assert_eq!(r.json()["id"], TOKEN_ID),
        },
        Case {
            name: "service-key list",
            args: s(&["service-key", "list", "--service-account", SA, "-o", "json"]),
            base: vec![
                get_sa.clone(),
                ("GET", tokens.clone(), ok(list(vec![token(TOKEN_ID, "2999-01-01T00:00:00Z")], None))),
            ],
            main: ("GET", tokens.clone()),
            check: |r| assert_eq!(r.json()[0]["serviceAccount"]["name"], "ci"),
        },
        Case {
            name: "service-key get",
            args: s(&["service-key", "get", TOKEN_ID, "--service-account", SA, "-o", "json"]),
            base: vec![
                get_sa.clone(),
                ("GET", tok.clone(), ok(json!({"data": token(TOKEN_ID, "2999-01-01T00:00:00Z")}))),
            ],
            main: ("GET", tok.clone()),
            check: |r| assert_eq!(r.json()["expiresAt"], "2999-01-01T00:00:00Z"),
        },
        Case {
            name: "service-key revoke",
            args: s(&["service-key", "revoke", TOKEN_ID, "--service-account", SA, "--yes", "-o", "id"]),
            base: vec![
                get_sa.clone(),
                ("GET", tok.clone(), ok(json!({"data": token(TOKEN_ID, "2999-01-01T00:00:00Z")}))),
                ("DELETE", tok.clone(), ok(json!({"data": {"id": TOKEN_ID}}))),
            ],
            main: ("DELETE", tok.clone()),
            check: |r| assert_eq!(r.stdout().trim(), TOKEN_ID),
        },
        Case {
            name: "service-key revoke --all",
            args: s(&["service-key", "revoke", "--all", "--service-account", SA, "--yes", "-o", "json"]),
            base: vec![get_sa.clone(), ("DELETE", tokens.clone(), ok(json!({"data": {"deleted_count": 3}})))],
            main: ("DELETE", tokens.clone()),
            check: |r| assert_eq!(r.json()["deletedCount"], 3),
        },
        Case {
            name: "client list",
            args: s(&["client", "list", "-o", "json"]),
            base: vec![("GET", "/clients".into(), ok(list(vec![client(CLIENT, "job-1")], None)))],
            main: ("GET", "/clients".into()),
            check: |r| assert_eq!(r.json()[0]["firezoneId"], "job-1"),
        },
        Case {
            name: "client delete",
            args: s(&["client", "delete", CLIENT, "--yes", "-o", "id"]),
            base: vec![
                ("GET", format!("/clients/{CLIENT}"), ok(json!({"data": client(CLIENT, "job-1")}))),
                ("DELETE", format!("/clients/{CLIENT}"), ResponseTemplate::new(204)),
            ],
            main: ("DELETE", format!("/clients/{CLIENT}")),
            check: |r| assert_eq!(r.stdout().trim(), CLIENT),
        },
        Case {
            name: "client delete --firezone-id",
            args: s(&["client", "delete", "--firezone-id", "job-1", "--yes", "-o", "id"]),
            base: vec![
                ("GET", "/clients".into(), ok(list(vec![client(CLIENT, "job-1"), client("other", "job-2")], None))),
                ("DELETE", format!("/clients/{CLIENT}"), ResponseTemplate::new(204)),
            ],
            main: ("DELETE", format!("/clients/{CLIENT}")),
            check: |r| assert_eq!(r.stdout().trim(), CLIENT),
        },
    ]
}

/// Runs every case with `inject` mounted in front of its main request (each outcome is logged
/// to the test's stderr, shown when it fails).
#[allow(clippy::print_stderr)]
async fn each_case(
    scenario: &str,
    inject: impl Fn(&Case) -> Option<(ResponseTemplate, Option<u64>)>,
    verify: impl Fn(&Case, &Run, usize),
) {
    let dir = tempfile::tempdir().unwrap();
    for case in cases(dir.path()) {
        let w = fz_world().await.env("TGCTL_HTTP_TIMEOUT", "0.4");
        if let Some((response, times)) = inject(&case) {
            let mut mock = Mock::given(method(case.main.0)).and(path(case.main.1.as_str())).respond_with(response);
            if let Some(n) = times {
                mock = mock.up_to_n_times(n);
            }
            mock.with_priority(1).mount(&w.server).await;
        }
        for (m, p, r) in &case.base {
            mount(&w, m, p, r.clone()).await;
        }
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let r = w.run(&args).await;
        let n = hits(&w, case.main.0, &case.main.1).await;
        eprintln!("{scenario}: {} -> exit {} ({n} main requests)", case.name, r.code());
        verify(&case, &r, n);
        r.no_secrets();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_succeeds_with_a_bearer_token() {
    each_case(
        "success",
        |_| None,
        |case, r, n| {
            r.success();
            assert_eq!(n, 1, "{}", case.name);
            (case.check)(r);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_maps_401_to_exit_3() {
    let body = json!({"error": {"reason": "Unauthorized"}});
    each_case(
        "401",
        |_| Some((ResponseTemplate::new(401).set_body_json(body.clone()), None)),
        |case, r, n| {
            r.failure(3).stderr_has("HTTP 401").stderr_has("FIREZONE_API_TOKEN");
            assert_eq!(n, 1, "{}: a 401 is not retried", case.name);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_maps_404_to_exit_4() {
    let body = json!({"error": {"reason": "Not Found"}});
    each_case(
        "404",
        |_| Some((ResponseTemplate::new(404).set_body_json(body.clone()), None)),
        |case, r, n| {
            r.failure(4);
            assert_eq!(n, 1, "{}", case.name);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_waits_out_a_429_then_succeeds() {
    let limited = ResponseTemplate::new(429)
        .insert_header("Retry-After", "0")
        .set_body_json(json!({"error": {"reason": "Too Many Requests"}}));
    each_case(
        "429",
        |_| Some((limited.clone(), Some(1))),
        |case, r, n| {
            r.success().stderr_has("HTTP 429");
            assert_eq!(n, 2, "{}: the 429 and the retry", case.name);
            (case.check)(r);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_is_retried_for_reads_and_never_for_writes() {
    each_case(
        "5xx",
        |_| Some((ResponseTemplate::new(503), Some(1))),
        |case, r, n| {
            if case.main.0 == "GET" {
                r.success();
                assert_eq!(n, 2, "{}: a read is retried", case.name);
            } else {
                r.failure(6).stderr_has("HTTP 503").stderr_has("not retried");
                assert_eq!(n, 1, "{}: a write whose fate is unknown is not re-sent", case.name);
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_times_out_is_not_re_sent_and_a_read_is() {
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
    each_case(
        "timeout",
        |_| Some((slow.clone(), Some(1))),
        |case, r, n| {
            if case.main.0 == "GET" {
                r.success();
                assert_eq!(n, 2, "{}: a read that timed out is retried", case.name);
            } else {
                r.failure(6).stderr_has("timed out after it was sent").stderr_has("not re-sent");
                assert_eq!(n, 1, "{}: a write that timed out is never re-sent", case.name);
            }
        },
    )
    .await;
}

// ---- specifics -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_created_token_is_shown_once_like_a_twingate_key() {
    let w = fz_world().await;
    let created = json!({"data": {"id": TOKEN_ID, "actor_id": SA, "expires_at": "2999-01-01T00:00:00Z",
        "inserted_at": FZ_T0, "token": client_token_secret()}});
    mount(&w, "GET", "/actors", ok(list(vec![actor(SA, "ci")], None))).await;
    mount(&w, "POST", &format!("/actors/{SA}/client_tokens"), ResponseTemplate::new(201).set_body_json(created)).await;

    // To a 0600 file, never over an existing one without --force.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let f = file.to_str().unwrap();
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--expires-in", "7d", "--key-file", f]).await;
    r.success().no_secrets().stderr_has("Wrote client token to");
    assert_eq!(file_mode(&file), 0o600);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), client_token_secret());
    let body: Value =
        serde_json::from_slice(&w.server.received_requests().await.unwrap().last().unwrap().body).unwrap();
    let at: jiff::Timestamp = body["client_token"]["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (at.as_second() - jiff::Timestamp::now().as_second()) as f64 / 86_400.0;
    assert!((6.9..7.1).contains(&days), "expires in {days} days");
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--key-file", f]).await;
    r.failure(2).stderr_has("already exists");

    // To stdout only off a terminal; masked first under GitHub Actions.
    let r = w.run_env(&["service-key", "create", "--service-account", "ci"], &[("GITHUB_ACTIONS", "true")]).await;
    r.success();
    assert_eq!(r.stdout().trim(), client_token_secret());
    let first = r.stderr().lines().next().unwrap_or_default().to_owned();
    assert_eq!(first, format!("::add-mask::{}", client_token_secret()));
    let r = w.run_env(&["service-key", "create", "--service-account", "ci"], &[("TGCTL_FORCE_TTY", "1")]).await;
    r.failure(2).no_secrets().stderr_has("refusing to print");

    // The default expiry is 365 days; --no-expiry and --name don't exist for Firezone tokens.
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--no-expiry", "--show"]).await;
    r.failure(2).stderr_has("always expire");
    let r = w.run(&["service-key", "create", "--service-account", "ci", "--name", "x", "--show"]).await;
    r.failure(2).stderr_has("no name");
}

#[tokio::test(flavor = "multi_thread")]
async fn twingate_only_verbs_say_so() {
    let w = fz_world().await;
    for (args, verb) in [
        (vec!["service-key", "rename", TOKEN_ID, "new"], "service-key rename"),
        (vec!["service-key", "delete", TOKEN_ID, "--yes"], "service-key delete"),
        (vec!["service-key", "rotate", TOKEN_ID, "--show", "--yes"], "service-key rotate"),
    ] {
        let r = w.run(&args).await;
        r.failure(2).stderr_has(&format!("`tgctl {verb}` is not available with --provider firezone"));
    }
    w.run(&["auth", "login"]).await.failure(2).stderr_has("FIREZONE_API_TOKEN");
    // And the other way round.
    let tw = World::new().await;
    tw.run(&["client", "list"]).await.failure(2).stderr_has("available with --provider firezone only");
    tw.run(&["service-account", "create", "x", "--add-group", "g"]).await.failure(2).stderr_has("--add-group");
    tw.run(&["service-key", "revoke", "--all", "--service-account", "x"]).await.failure(2).stderr_has("--all");
    assert!(w.server.received_requests().await.unwrap().is_empty());
    assert!(tw.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_provider_comes_from_the_flag_the_environment_or_the_profile() {
    let w = World::new().await;
    let uri = w.server.uri();
    let w = w.env("FIREZONE_API_URL", &uri).env("FIREZONE_API_TOKEN", CANARY_TOKEN);
    mount(&w, "GET", "/actors", ok(list(vec![actor(SA, "ci")], None))).await;
    w.run(&["--provider", "firezone", "service-account", "list", "-o", "id"]).await.success().stdout_has(SA);
    w.run_env(&["service-account", "list", "-o", "id"], &[("TGCTL_PROVIDER", "firezone")]).await.success();
    std::fs::write(w.config_path("config.toml"), "profile = \"fz\"\n[profiles.fz]\nprovider = \"firezone\"\n").unwrap();
    w.run(&["service-account", "list", "-o", "id"]).await.success().stdout_has(SA);
    w.run_env(&["service-account", "list"], &[("TGCTL_PROVIDER", "zerotier")]).await.failure(2);
    // No token: exit 3 with where to get one.
    let mut c = w.cmd();
    c.env_remove("FIREZONE_API_TOKEN").args(["service-account", "list"]);
    run_blocking(c, None).await.failure(3).stderr_has("FIREZONE_API_TOKEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_follow_next_page_cursors_and_names_resolve() {
    let w = fz_world().await;
    let second = "c2-cursor";
    Mock::given(method("GET"))
        .and(path("/actors"))
        .and(wiremock::matchers::query_param("page_cursor", second))
        .respond_with(ok(list(vec![actor("a2", "deploy")], None)))
        .with_priority(1)
        .mount(&w.server)
        .await;
    mount(&w, "GET", "/actors", ok(list(vec![actor(SA, "ci")], Some(second)))).await;
    let r = w.run(&["service-account", "list", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let r = w.run(&["service-account", "list", "--name-prefix", "dep", "-o", "id"]).await;
    assert_eq!(r.success().stdout().trim(), "a2");
    // A name that isn't there: exit 4.
    w.run(&["service-key", "list", "--service-account", "nope"])
        .await
        .failure(4)
        .stderr_has("no service account named");
    // Every request asked for type=service_account.
    for req in w.server.received_requests().await.unwrap() {
        assert!(req.url.query().unwrap_or_default().contains("type=service_account"), "{}", req.url);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_are_shown_and_exit_5() {
    let w = fz_world().await;
    let body =
        json!({"error": {"reason": "Unprocessable Entity", "validation_errors": {"name": ["has already been taken"]}}});
    mount(&w, "POST", "/actors", ResponseTemplate::new(422).set_body_json(body)).await;
    let r = w.run(&["service-account", "create", "ci"]).await;
    r.failure(5).stderr_has("HTTP 422").stderr_has("name: has already been taken");
}

// ---- connect --provider firezone ---------------------------------------------------------------

/// The service-account token given to connect: carries the canary.
pub(crate) fn fz_token() -> String {
    format!("fz-sa-token-{CANARY_KEY}")
}

/// A fake machine (TUN, CAP_NET_ADMIN) with `firezone-sim` as the client.
pub(crate) struct FzRig {
    pub(crate) world: World,
    pub(crate) dir: tempfile::TempDir,
}

impl FzRig {
    pub(crate) async fn new(scenario: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("dev/net")).unwrap();
        std::fs::create_dir_all(root.join("proc/self")).unwrap();
        std::fs::create_dir_all(dir.path().join("sim")).unwrap();
        std::fs::write(root.join("dev/net/tun"), "").unwrap();
        std::fs::write(root.join("proc/self/status"), "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n")
            .unwrap();
        // No API token unless a test adds one (--mint, client record deletion).
        let world = World::new().await;
        let uri = world.server.uri();
        let world = world
            .env("TGCTL_PROVIDER", "firezone")
            .env("FIREZONE_API_URL", &uri)
            .env("TGCTL_SYSROOT", root.to_str().unwrap())
            .env("TGCTL_FIREZONE_BIN", bin("firezone-sim").to_str().unwrap())
            .env("FIREZONE_SIM_DIR", dir.path().join("sim").to_str().unwrap())
            .env("FIREZONE_SIM_SCENARIO", scenario)
            .env("FIREZONE_SIM_MAX_LIFETIME", "60")
            .env("GITLAB_CI", "true")
            .env("CI_PROJECT_PATH", "group/app")
            .env("CI_JOB_ID", "4242");
        Self { world, dir }
    }

    pub(crate) fn with_env(mut self, k: &str, v: &str) -> Self {
        self.world = self.world.env(k, v);
        self
    }

    pub(crate) fn sim(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("sim").join(file)).unwrap_or_default()
    }

    pub(crate) fn state_file(&self) -> std::path::PathBuf {
        self.world.state_dir.path().join("connect.json")
    }

    pub(crate) async fn connect(&self, extra: &[&str]) -> Run {
        let mut args = vec!["connect", "--wait"];
        args.extend_from_slice(extra);
        let token = fz_token();
        self.world.run_env(&args, &[("FIREZONE_TOKEN", token.as_str())]).await
    }

    /// Nothing of the connection is left: no client, no state, no notify socket, no log.
    #[track_caller]
    pub(crate) fn all_undone(&self, pid: Option<u32>) {
        assert!(!self.state_file().exists(), "the state file was left");
        if let Some(pid) = pid {
            assert!(!alive(pid), "the client {pid} is still running");
        }
        let left: Vec<String> = std::fs::read_dir(self.world.state_dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("pace-"))
            .collect();
        assert!(left.is_empty(), "left in the state dir: {left:?}");
    }

    /// No argv of the client ever carried the token.
    #[track_caller]
    pub(crate) fn token_never_in_argv(&self, token: &str) {
        let calls = self.sim("calls");
        assert!(!calls.is_empty(), "the client never ran");
        assert!(!calls.contains(token) && !calls.contains(CANARY_KEY), "token in argv: {calls}");
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !matches!(s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next()), Some('Z' | 'X') | None)
    })
}

fn stage_names(v: &Value) -> Vec<String> {
    v["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_waits_for_ready_then_status_and_disconnect() {
    let rig = FzRig::new("ready-after=300").await;
    let started = std::time::Instant::now();
    let r = rig.connect(&["-o", "json"]).await;
    r.success().no_secrets();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let v = r.json();
    assert_eq!(v["status"], "online");
    assert_eq!(v["provider"], "firezone");
    assert_eq!(stage_names(&v), ["preflight", "key", "start", "online"]);
    assert_eq!(v["firezoneId"], "tgctl-gitlab-group-app-4242");
    // The real client sends READY=1 and no STATUS= (its linux.rs `notify_service_controller`).
    assert!(v["clientStatus"].is_null(), "{v}");
    let pid = v["clientPid"].as_u64().unwrap() as u32;
    assert!(alive(pid));
    // The client got its identity and the token in its environment, never in argv.
    let env = rig.sim("env");
    assert!(env.contains("FIREZONE_ID=tgctl-gitlab-group-app-4242\n"), "{env}");
    assert!(env.contains("FIREZONE_NAME=tgctl-gitlab-group-app-4242\n"), "{env}");
    assert!(env.contains("TOKEN=present"));
    rig.token_never_in_argv(&fz_token());
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(CANARY_KEY));
    let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap()).into_owned();
    assert!(!environ.contains("FIREZONE_API_TOKEN="), "the API token reached the client");
    // The notify socket lived in a private directory, gone once the client was ready.
    let socket = env.lines().find_map(|l| l.strip_prefix("NOTIFY_SOCKET=")).unwrap().to_owned();
    assert!(socket.starts_with(rig.world.state_dir.path().to_str().unwrap()), "{socket}");
    assert!(!std::path::Path::new(&socket).exists());
    assert_eq!(file_mode(&rig.state_file()), 0o600);
    assert_eq!(file_mode(std::path::Path::new(v["clientLog"].as_str().unwrap())), 0o600);

    let r = rig.world.run(&["status", "-o", "json"]).await;
    r.success();
    assert_eq!(r.json()["clientState"], "online");
    assert_eq!(r.json()["connected"], true);
    // A second connect is refused.
    rig.connect(&[]).await.failure(2).stderr_has("already connected");

    let r = rig.world.run(&["disconnect", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["stoppedClient"], true);
    rig.all_undone(Some(pid));
    let r = rig.world.run(&["status", "-o", "json"]).await;
    assert_eq!(r.json()["connected"], false);
    assert_eq!(r.json()["clientState"], "not-running");
}

#[tokio::test(flavor = "multi_thread")]
async fn never_ready_times_out_with_exit_7_and_stops_the_client() {
    let rig = FzRig::new("never").await;
    let started = std::time::Instant::now();
    let r = rig.connect(&["--timeout", "1"]).await;
    r.failure(7).no_secrets();
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    r.stderr_has("timed out at stage online").stderr_has("did not send READY=1");
    let pid: u32 = rig.sim("client.pid").trim().parse().unwrap();
    rig.all_undone(Some(pid));
    rig.world.run(&["disconnect"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_before_ready_exits_8_with_the_clients_error() {
    let rig = FzRig::new("ready-after=5000,crash-after=100").await;
    let r = rig.connect(&["--timeout", "10"]).await;
    r.failure(8).no_secrets();
    r.stderr_has("failed at stage online").stderr_has("exited with status 1").stderr_has("Firezone disconnected");
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_token_exits_9_at_once_and_its_log_is_masked() {
    let rig = FzRig::new("bad-token,leak-log").await;
    let r = rig.connect(&["--timeout", "60"]).await;
    r.failure(9).no_secrets();
    r.stderr_has("the portal said \"Authentication token invalid\"").stderr_has("create a new service-account token");
    r.stderr_has("using token ***");
    // Not restarted: a refused token does not get better.
    assert_eq!(rig.sim("starts").trim(), "1");
    rig.token_never_in_argv(&fz_token());
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_comes_from_a_file_stdin_or_the_environment_never_argv() {
    let rig = FzRig::new("ready-after=20").await;
    // From a file.
    let file = rig.dir.path().join("token");
    std::fs::write(&file, format!("{}\n", fz_token())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    rig.world.run(&["connect", "--wait", "--token-file", file.to_str().unwrap()]).await.success().no_secrets();
    rig.world.run(&["disconnect"]).await.success();
    // From stdin.
    rig.world.run_with_stdin(&["connect", "--wait", "--token", "-"], &fz_token()).await.success().no_secrets();
    rig.world.run(&["disconnect"]).await.success();
    rig.token_never_in_argv(&fz_token());
    // Never from argv, never a Twingate key, never nothing.
    let before = rig.sim("calls").lines().count();
    rig.world.run(&["connect", "--wait", "--token", "abc"]).await.failure(2).stderr_has("takes only `-`");
    rig.world.run(&["connect", "--wait"]).await.failure(2).stderr_has("no Firezone token");
    rig.world
        .run(&["connect", "--wait", "--service-key-file", file.to_str().unwrap()])
        .await
        .failure(2)
        .stderr_has("--token-file");
    assert_eq!(rig.sim("calls").lines().count(), before, "the client was run");
    rig.all_undone(None);
    // Twingate's connect refuses the Firezone flags.
    let tw = World::new().await;
    tw.run(&["connect", "--wait", "--token", "-"]).await.failure(2).stderr_has("--provider firezone only");
}

#[tokio::test(flavor = "multi_thread")]
async fn github_actions_masks_the_token_before_anything_else() {
    let rig = FzRig::new("ready-after=20").await.with_env("GITHUB_ACTIONS", "true");
    let out = rig.dir.path().join("github_output");
    let rig = rig.with_env("GITHUB_OUTPUT", out.to_str().unwrap());
    let r = rig.connect(&[]).await;
    r.success();
    // The masks (the token and its base64) come first, before any other line.
    let stderr = r.stderr();
    let masks: Vec<&str> = stderr.lines().take_while(|l| l.starts_with("::add-mask::")).collect();
    assert!(masks.contains(&format!("::add-mask::{}", fz_token()).as_str()), "{stderr}");
    assert!(stderr.lines().filter(|l| !l.starts_with("::add-mask::")).all(|l| !l.contains(CANARY_KEY)));
    assert!(std::fs::read_to_string(&out).unwrap().contains("status=online"));
    rig.world.run(&["disconnect"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_runs_inside_the_connection_then_everything_is_undone() {
    let rig = FzRig::new("ready-after=20").await;
    let r = rig.connect(&["--", "sh", "-c", "test -z \"$FIREZONE_TOKEN\" && exit 3"]).await;
    r.failure(3).no_secrets().stderr_has("Disconnected.");
    let pid: u32 = rig.sim("client.pid").trim().parse().unwrap();
    rig.all_undone(Some(pid));
}

/// Mocks for --mint: the account by name, the token, and (on disconnect) the client record.
async fn mount_mint(w: &World, firezone_id: &str) {
    mount(w, "GET", "/actors", ok(list(vec![actor(SA, "ci")], None))).await;
    let created = json!({"data": {"id": TOKEN_ID, "actor_id": SA, "expires_at": "2999-01-01T00:00:00Z",
        "inserted_at": FZ_T0, "token": client_token_secret()}});
    Mock::given(method("POST"))
        .and(path(format!("/actors/{SA}/client_tokens")))
        .respond_with(ResponseTemplate::new(201).set_body_json(created))
        .expect(1)
        .named("mint")
        .mount(&w.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/actors/{SA}/client_tokens/{TOKEN_ID}")))
        .respond_with(ok(json!({"data": {"id": TOKEN_ID}})))
        .expect(1)
        .named("delete the minted token")
        .mount(&w.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/clients"))
        .and(wiremock::matchers::query_param("firezone_id", firezone_id))
        .respond_with(ok(list(vec![client(CLIENT, firezone_id)], None)))
        .expect(1)
        .named("find the client record")
        .mount(&w.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/clients/{CLIENT}")))
        .respond_with(ok(json!({"data": client(CLIENT, firezone_id)})))
        .expect(1)
        .named("delete the client record")
        .mount(&w.server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mint_creates_a_job_token_and_disconnect_deletes_it_and_the_client_record() {
    let rig = FzRig::new("ready-after=50")
        .await
        .with_env("FIREZONE_SIM_VALID_TOKEN", &client_token_secret())
        .with_env("FIREZONE_API_TOKEN", CANARY_TOKEN);
    let fid = "tgctl-gitlab-group-app-4242";
    mount_mint(&rig.world, fid).await;
    let r = rig.world.run(&["connect", "--wait", "--mint", "--service-account", "ci", "-o", "json"]).await;
    r.success().no_secrets();
    assert_eq!(r.json()["mintedTokenId"], TOKEN_ID);
    let body: Value = serde_json::from_slice(
        &rig.world.server.received_requests().await.unwrap().iter().find(|q| q.method.as_str() == "POST").unwrap().body,
    )
    .unwrap();
    let at: jiff::Timestamp = body["client_token"]["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (at.as_second() - jiff::Timestamp::now().as_second()) as f64 / 3600.0;
    assert!((5.9..6.1).contains(&hours), "a minted token lives 6 h by default, not {hours}");
    rig.token_never_in_argv(&client_token_secret());
    let state = std::fs::read_to_string(rig.state_file()).unwrap();
    assert!(!state.contains(CANARY_KEY), "the token is in the state file");
    let pid = r.json()["clientPid"].as_u64().unwrap() as u32;

    let r = rig.world.run(&["disconnect", "-o", "json"]).await;
    r.success().no_secrets();
    let v = r.json();
    assert_eq!(v["revokedKeyId"], TOKEN_ID);
    assert_eq!(v["deletedClientIds"][0], CLIENT);
    rig.all_undone(Some(pid));
    // The expectations (each exactly once) are checked when the mock server drops.
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minted_token_and_client_record_are_deleted_when_connect_fails() {
    let rig = FzRig::new("bad-token").await.with_env("FIREZONE_API_TOKEN", CANARY_TOKEN);
    let fid = "tgctl-gitlab-group-app-4242";
    mount_mint(&rig.world, fid).await;
    let r = rig.world.run(&["connect", "--wait", "--mint", "--service-account", "ci"]).await;
    r.failure(9).no_secrets();
    rig.all_undone(None);
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_mode_is_refused_for_the_firezone_client() {
    let w = World::new().await.env("FIREZONE_TOKEN", "fz-canary-token");
    for flags in [vec!["--network-mode", "proxy"], vec!["--forward", "15432:db:5432"], vec!["--print-env"]] {
        let mut args = vec!["connect", "--provider", "firezone", "--wait"];
        args.extend(flags);
        let r = w.run(&args).await;
        r.failure(2).stderr_has("no userspace proxy mode");
        assert!(!r.stderr().contains("fz-canary-token"));
    }
}
