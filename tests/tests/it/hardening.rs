//! Issue 15: security and state hardening. Each test here failed on the main of 2026-12-06
//! (a panic, exit 101 in debug and 134 in release, or a leak) and proves one fix through the real
//! binary.

use crate::common::*;

/// Neither a debug panic (101) nor a release abort (134), and no panic message.
#[track_caller]
pub fn no_panic(run: &Run) {
    assert!(
        !matches!(run.code(), 101 | 134) && !run.stderr().contains("panicked"),
        "tgctl panicked (exit {})\nstdout: {}\nstderr: {}",
        run.code(),
        run.stdout(),
        run.stderr()
    );
}

// ---- item 7: numeric env values are range-checked -----------------------------------------

#[tokio::test]
async fn numeric_env_values_out_of_range_are_a_usage_error_naming_the_variable() {
    let w = World::new().await;
    w.on("ServiceKeyListAll", serde_json::json!({"serviceAccounts": conn(vec![], None)})).await;
    for (var, value, range) in [
        ("TGCTL_RETRY_BUDGET", "1e19", "from 0 to 86400"),
        ("TGCTL_BACKOFF_SCALE", "inf", "from 0 to 1000"),
        ("TGCTL_BACKOFF_SCALE", "1e300", "from 0 to 1000"),
        ("TGCTL_HTTP_TIMEOUT", "NaN", "from 0.001 to 86400"),
        ("TGCTL_WRITES_PER_MINUTE", "-1", "from 0 to 100000"),
    ] {
        let run = w.run_env(&["service-key", "list"], &[(var, value)]).await;
        no_panic(&run);
        run.failure(2).stderr_has(var).stderr_has(range);
        assert_eq!(run.stderr().lines().filter(|l| l.starts_with("error")).count(), 1, "{}", run.stderr());
    }
}

#[tokio::test]
async fn a_huge_backoff_scale_never_reaches_the_retry_loop() {
    // On main, TGCTL_BACKOFF_SCALE=inf panicked at the first retry (Duration::mul_f64).
    let w = World::new().await;
    w.on_response("ServiceKeyListAll", wiremock::ResponseTemplate::new(503)).await;
    let run = w.run_env(&["-o", "json", "service-key", "list"], &[("TGCTL_BACKOFF_SCALE", "inf")]).await;
    no_panic(&run);
    run.failure(2);
    assert_eq!(run.json_error()["code"], "usage", "{}", run.stderr());
}

#[tokio::test]
async fn help_environment_shows_each_numeric_range() {
    let w = World::new().await;
    let run = w.run(&["help", "environment"]).await;
    run.success();
    let out = run.stdout();
    let at = out.find("TGCTL_RETRY_BUDGET").unwrap();
    assert!(out[at..].contains("Range: 0 to 86400"), "{out}");
}
