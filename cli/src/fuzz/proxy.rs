//! Proxy network mode: `--forward`/`tgctl forward` specs, the daemon's answers to `CONNECT`, and
//! the job environment tgctl writes as shell (`$GITHUB_ENV`, dotenv, `$BASH_ENV`).

use std::time::Duration;

use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::config;
use crate::config::{Env, env};
use crate::connect::forward::{parse_pair, parse_spec};
use crate::connect::proxy::{connect_via, env_lines, no_proxy, shell_value};

fn spec_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,30}",
        (any::<u16>(), "[a-z0-9.\\[\\]:-]{0,16}", any::<u16>()).prop_map(|(l, h, p)| format!("{l}:{h}:{p}")),
        (any::<u16>(), "[0-9a-f:]{2,12}", any::<u16>()).prop_map(|(l, h, p)| format!("{l}:[{h}]:{p}")),
    ]
}

/// What a proxy may answer to CONNECT: a real status line, then headers and bytes, or junk.
fn proxy_answer() -> impl Strategy<Value = Vec<u8>> {
    let status = prop::sample::select(vec![
        "HTTP/1.1 200 Connection established",
        "HTTP/1.0 200 OK",
        "HTTP/1.1 407 Proxy Authentication Required",
        "HTTP/1.1 502 Bad Gateway",
        "HTTP/1.1 200",
        "HTTP/1.1",
        "SSH-2.0-OpenSSH_9.6",
        "",
    ]);
    prop_oneof![
        (
            status,
            ".{0,40}",
            prop::sample::select(vec!["\r\n\r\n", "\n\n", "\r\n", ""]),
            prop::collection::vec(any::<u8>(), 0..32)
        )
            .prop_map(|(s, h, end, rest)| {
                let mut b = format!("{s}\r\n{h}{end}").into_bytes();
                b.extend(rest);
                b
            }),
        prop::collection::vec(any::<u8>(), 0..256),
        (1usize..40_000).prop_map(|n| vec![b'A'; n]),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn forward_specs_parse_and_print_back(text in spec_text(), local in any::<u16>(), target in ".{0,20}") {
        match parse_spec(&text) {
            Ok(f) => prop_assert_eq!(parse_spec(&f.spec()), Ok(f.clone())),
            Err(e) => prop_assert!(!e.contains('\n'), "{}", e),
        }
        match parse_pair(&local.to_string(), &target) {
            Ok(f) => prop_assert_eq!(parse_spec(&f.spec()), Ok(f.clone())),
            Err(e) => prop_assert!(!e.contains('\n'), "{}", e),
        }
    }

    #[test]
    fn no_proxy_lists_never_panic(urls in prop::collection::vec(".{0,30}", 0..4), existing in ".{0,40}") {
        let mut e = Env::default().with(env::NO_PROXY, existing.clone());
        for (var, url) in [env::TGCTL_API_URL, env::GITHUB_SERVER_URL, env::CI_SERVER_HOST].iter().zip(&urls) {
            e = e.with(var, url.clone());
        }
        let list = no_proxy(&e, &urls);
        prop_assert!(list.starts_with("localhost,127.0.0.1"));
        prop_assert!(!list.split(',').any(str::is_empty), "{:?}", list);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Whatever the daemon answers, connect_via returns (within its timeout) a tunnel only for a
    /// 200, and otherwise a one-line reason.
    #[test]
    fn connect_answers(answer in proxy_answer(), close in prop::bool::weighted(0.8)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let outcome = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let reply = answer.clone();
            let server = tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(&reply).await;
                if !close {
                    tokio::time::sleep(Duration::from_millis(80)).await;
                }
            });
            let r = connect_via(addr, "db.internal", 5432, Duration::from_millis(50)).await;
            server.abort();
            r
        });
        match outcome {
            Ok((_, rest)) => {
                let head = String::from_utf8_lossy(&answer);
                let first = head.lines().next().unwrap_or_default();
                prop_assert!(first.starts_with("HTTP/") && first.split_whitespace().nth(1) == Some("200"), "a tunnel from {:?}", first);
                prop_assert!(rest.len() <= answer.len());
            }
            Err(e) => prop_assert!(!e.contains('\n') && !e.contains('\r'), "{:?}", e),
        }
    }

    /// Values written as shell (`NAME=value`, `export NAME=value`) read back unchanged by sh.
    #[test]
    fn job_env_values_survive_the_shell(value in "[^\u{0}]{0,24}") {
        let dir = tempfile::tempdir().unwrap();
        for export in [false, true] {
            let file = dir.path().join("env");
            std::fs::write(&file, env_lines(&[("TGCTL_FUZZ", value.clone())], export)).unwrap();
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(". \"$1\"; printf '%s' \"$TGCTL_FUZZ\"")
                .arg("sh")
                .arg(&file)
                .current_dir(dir.path())
                .output()
                .unwrap();
            prop_assert!(out.status.success(), "{:?}", String::from_utf8_lossy(&out.stderr));
            prop_assert_eq!(String::from_utf8_lossy(&out.stdout), value.clone(), "as {}", shell_value(&value));
        }
    }
}
