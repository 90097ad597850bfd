//! What a CI job gets from `connect`: a key name that says which job minted it, step outputs
//! (`$GITHUB_OUTPUT`), the `--env-file` (GitLab dotenv, CircleCI `$BASH_ENV`), and in proxy
//! mode the proxy settings in `$GITHUB_ENV`.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::proxy::{self, NetworkMode};
use crate::config::env::{self, Env};
use crate::error::{Error, Result};

/// A key name that says which CI job it belongs to.
pub(crate) fn job_key_name(env: &Env) -> String {
    let g = |n: &str| env.get(n).map(str::to_owned);
    let parts: Vec<String> = if env.in_github_actions() {
        let repo = g(env::GITHUB_REPOSITORY).map(|r| r.rsplit('/').next().unwrap_or_default().to_owned());
        ["gh".to_owned()]
            .into_iter()
            .chain([repo, g(env::GITHUB_RUN_ID), g(env::GITHUB_RUN_ATTEMPT), g(env::GITHUB_JOB)].into_iter().flatten())
            .collect()
    } else if env.get(env::GITLAB_CI).is_some() || env.get(env::CI_JOB_ID).is_some() {
        let project = g(env::CI_PROJECT_PATH).map(|p| p.replace('/', "-"));
        ["gitlab".to_owned()].into_iter().chain([project, g(env::CI_JOB_ID)].into_iter().flatten()).collect()
    } else if env.get(env::CIRCLE_BUILD_NUM).is_some() {
        ["circleci".to_owned()]
            .into_iter()
            .chain(
                [g(env::CIRCLE_PROJECT_REPONAME), g(env::CIRCLE_BUILD_NUM), g(env::CIRCLE_JOB)].into_iter().flatten(),
            )
            .collect()
    } else if env.get(env::BUILDKITE_BUILD_NUMBER).is_some() {
        ["buildkite".to_owned()]
            .into_iter()
            .chain([g(env::BUILDKITE_PIPELINE_SLUG), g(env::BUILDKITE_BUILD_NUMBER)].into_iter().flatten())
            .collect()
    } else {
        vec![
            "connect".to_owned(),
            Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string(),
            std::process::id().to_string(),
        ]
    };
    let raw = format!("tgctl-{}", parts.join("-"));
    let clean: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    clean.chars().take(100).collect()
}

/// Step outputs under GitHub Actions, and the --env-file.
pub(crate) fn write_outputs(
    env: &Env,
    env_file: Option<&Path>,
    status: &str,
    elapsed: Duration,
    key_id: Option<&str>,
) -> Result<()> {
    let elapsed_ms = ms(elapsed);
    let key_id = key_id.unwrap_or_default();
    if env.in_github_actions()
        && let Some(path) = env.get(env::GITHUB_OUTPUT)
    {
        let outputs =
            [("status", status.to_owned()), ("elapsed-ms", elapsed_ms.to_string()), ("key-id", key_id.to_owned())];
        append(Path::new(path), &github_file_lines(&outputs))?;
    }
    if let Some(path) = env_file {
        let vars = [
            ("TGCTL_CONNECT_STATUS", status.to_owned()),
            ("TGCTL_CONNECT_ELAPSED_MS", elapsed_ms.to_string()),
            ("TGCTL_CONNECT_KEY_ID", key_id.to_owned()),
        ];
        append(path, &env_file_lines(path, &vars, false)?)?;
    }
    Ok(())
}

/// Lines for a GitHub Actions file command (`$GITHUB_OUTPUT`, `$GITHUB_ENV`): `name=value`, or
/// the runner's heredoc form `name<<DELIM` ... `DELIM` with a random delimiter the value does not
/// contain when the value has a line break, so a value can never add a variable (issue 15,
/// item 9; the form and the `ghadelimiter_` prefix are those of @actions/core's
/// `prepareKeyValueMessage`, docs.github.com "Workflow commands: Multiline strings").
pub(crate) fn github_file_lines(vars: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        if value.contains(['\n', '\r']) {
            let delimiter = loop {
                let d: String =
                    std::iter::repeat_with(|| format!("{:016x}", fastrand::u64(..))).take(2).collect::<String>();
                let d = format!("ghadelimiter_{d}");
                if !value.contains(&d) {
                    break d;
                }
            };
            out.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            out.push_str(&format!("{name}={value}\n"));
        }
    }
    out
}

/// Lines for the --env-file (GitLab dotenv, `set -a; . FILE`, or `export` lines for CircleCI's
/// `$BASH_ENV`). GitLab's dotenv has no multi-line form, so a value with a line break or NUL is
/// refused rather than written (issue 15, item 9): it could add variables to the job.
fn env_file_lines(path: &Path, vars: &[(&str, String)], export: bool) -> Result<String> {
    if let Some((name, _)) = vars.iter().find(|(_, v)| v.contains(['\n', '\r', '\0'])) {
        return Err(Error::usage(format!(
            "refusing to write {name} to {}: its value holds a line break, which would add variables",
            path.display()
        ))
        .hint("the value came from the key file or the API: check it (a key_id or address never spans lines)"));
    }
    Ok(proxy::env_lines(vars, export))
}

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), &e))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(format!("writing {}", path.display()), &e))
}

/// The job's environment in proxy mode: appended to `$GITHUB_ENV` under GitHub Actions, and to
/// the --env-file (`export` lines when that file is CircleCI's `$BASH_ENV`, else `NAME=value`
/// lines). `TGCTL_NETWORK_MODE` goes to the --env-file in every mode.
pub(crate) fn write_job_env(
    env: &Env,
    env_file: Option<&Path>,
    vars: &[(&'static str, String)],
    mode: NetworkMode,
) -> Result<()> {
    if !vars.is_empty()
        && env.in_github_actions()
        && let Some(path) = env.get(env::GITHUB_ENV)
    {
        append(Path::new(path), &github_file_lines(vars))?;
    }
    if let Some(path) = env_file {
        let bash_env = env.get(env::BASH_ENV).map(Path::new);
        let export = bash_env.is_some_and(|b| b == path || (b.exists() && same_file(b, path)));
        let mut all = vec![("TGCTL_NETWORK_MODE", mode.to_string())];
        all.extend(vars.iter().cloned());
        append(path, &env_file_lines(path, &all, export)?)?;
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_file_lines_use_a_heredoc_for_line_breaks() {
        let text = github_file_lines(&[("a", "1".into()), ("key-id", "k\nINJECTED=1".into())]);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("a=1"));
        let head = lines.next().unwrap();
        let delimiter = head.strip_prefix("key-id<<").unwrap();
        assert!(delimiter.starts_with("ghadelimiter_") && delimiter.len() > 40, "{head}");
        assert_eq!(lines.collect::<Vec<_>>(), ["k", "INJECTED=1", delimiter]);
        let err = env_file_lines(Path::new("f"), &[("X", "a\rb".into())], true).unwrap_err();
        assert!(err.message.contains("refusing to write X"), "{}", err.message);
    }

    #[test]
    fn minted_keys_are_named_after_the_job() {
        let gha = Env::default()
            .with(env::GITHUB_ACTIONS, "true")
            .with(env::GITHUB_REPOSITORY, "acme/web app")
            .with(env::GITHUB_RUN_ID, "123")
            .with(env::GITHUB_RUN_ATTEMPT, "2")
            .with(env::GITHUB_JOB, "deploy");
        assert_eq!(job_key_name(&gha), "tgctl-gh-web-app-123-2-deploy");
        let gitlab =
            Env::default().with(env::GITLAB_CI, "true").with(env::CI_PROJECT_PATH, "g/p").with(env::CI_JOB_ID, "9");
        assert_eq!(job_key_name(&gitlab), "tgctl-gitlab-g-p-9");
        let circle = Env::default().with(env::CIRCLE_BUILD_NUM, "7").with(env::CIRCLE_JOB, "build");
        assert_eq!(job_key_name(&circle), "tgctl-circleci-7-build");
        assert!(job_key_name(&Env::default()).starts_with("tgctl-connect-"));
    }
}
