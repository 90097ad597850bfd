//! Default names for the credentials tgctl creates.
//!
//! One generator serves `service-key create` and `connect --mint`: `tgctl-<job>-<suffix>`, where
//! `<job>` says which CI job asked (`gh-web-123-2-deploy`, `gitlab-group-app-9`, ...) or, outside
//! CI, the UTC minute, and `<suffix>` is six random characters. Two jobs that start in the same
//! minute, or a job retried with the same IDs, never get the same name, and every name tgctl
//! chose starts with [`PREFIX`], so audits can tell them apart from names people gave.

use crate::config::env::{self, Env};

/// What every generated name starts with.
pub(crate) const PREFIX: &str = "tgctl-";

/// Names are kept to this many characters (the suffix always survives).
const MAX_LEN: usize = 100;

/// Random characters at the end of a name: 36^6, about two billion, per job.
const SUFFIX_LEN: usize = 6;

/// A CI system, the variable that says a job runs on it, and the variables that name the job.
struct CiSystem {
    label: &'static str,
    detect: &'static str,
    parts: &'static [&'static str],
}

/// In the order they are tried. GitHub is detected by `GITHUB_ACTIONS=true` (see
/// [`Env::in_github_actions`]); the others by their job-number variable being set.
const SYSTEMS: &[CiSystem] = &[
    CiSystem {
        label: "gh",
        detect: env::GITHUB_ACTIONS,
        parts: &[env::GITHUB_REPOSITORY, env::GITHUB_RUN_ID, env::GITHUB_RUN_ATTEMPT, env::GITHUB_JOB],
    },
    CiSystem { label: "gitlab", detect: env::CI_JOB_ID, parts: &[env::CI_PROJECT_PATH, env::CI_JOB_ID] },
    CiSystem {
        label: "circleci",
        detect: env::CIRCLE_BUILD_NUM,
        parts: &[env::CIRCLE_PROJECT_REPONAME, env::CIRCLE_BUILD_NUM, env::CIRCLE_JOB],
    },
    CiSystem {
        label: "buildkite",
        detect: env::BUILDKITE_BUILD_NUMBER,
        parts: &[env::BUILDKITE_PIPELINE_SLUG, env::BUILDKITE_BUILD_NUMBER],
    },
];

/// The CI job this process runs in, as a slug (`gh-web-123-2-deploy`); `None` outside CI.
pub(crate) fn ci_job(env: &Env) -> Option<String> {
    let system = SYSTEMS.iter().find(|s| {
        if s.detect == env::GITHUB_ACTIONS { env.in_github_actions() } else { env.get(s.detect).is_some() }
    })?;
    let mut words = vec![system.label.to_owned()];
    for var in system.parts {
        if let Some(value) = env.get(var) {
            // A repository's owner adds length, not meaning: `acme/web` is `web`.
            let value = if *var == env::GITHUB_REPOSITORY { value.rsplit('/').next().unwrap_or(value) } else { value };
            words.push(value.to_owned());
        }
    }
    Some(slug(&words.join("-")))
}

/// A fresh default name for a key (or token) created now: `tgctl-<job>-<suffix>`.
pub(crate) fn key_name(env: &Env) -> String {
    let job = ci_job(env).unwrap_or_else(|| jiff::Timestamp::now().strftime("%Y%m%d-%H%M").to_string());
    let suffix: String = (0..SUFFIX_LEN).map(|_| random_char()).collect();
    let room = MAX_LEN - PREFIX.len() - 1 - SUFFIX_LEN;
    let job: String = job.chars().take(room).collect();
    format!("{PREFIX}{}-{suffix}", job.trim_end_matches('-'))
}

fn random_char() -> char {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    char::from(ALPHABET[fastrand::usize(..ALPHABET.len())])
}

/// Letters, digits, `-`, `_` and `.` stay; anything else becomes `-`; runs of `-` collapse.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') { c } else { '-' };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_which_job_and_never_repeat() {
        let gha = Env::default()
            .with(env::GITHUB_ACTIONS, "true")
            .with(env::GITHUB_REPOSITORY, "acme/web app")
            .with(env::GITHUB_RUN_ID, "123")
            .with(env::GITHUB_RUN_ATTEMPT, "2")
            .with(env::GITHUB_JOB, "deploy");
        assert_eq!(ci_job(&gha).as_deref(), Some("gh-web-app-123-2-deploy"));
        let name = key_name(&gha);
        assert!(name.starts_with("tgctl-gh-web-app-123-2-deploy-"), "{name}");
        assert_eq!(name.len(), "tgctl-gh-web-app-123-2-deploy-".len() + SUFFIX_LEN);

        let gitlab = Env::default().with(env::CI_PROJECT_PATH, "group/app").with(env::CI_JOB_ID, "9");
        assert_eq!(ci_job(&gitlab).as_deref(), Some("gitlab-group-app-9"));
        let circle = Env::default().with(env::CIRCLE_BUILD_NUM, "7").with(env::CIRCLE_JOB, "build");
        assert_eq!(ci_job(&circle).as_deref(), Some("circleci-7-build"));
        assert_eq!(ci_job(&Env::default()), None);
        assert!(key_name(&Env::default()).starts_with(PREFIX));

        // The same job, the same minute: still different names.
        let names: std::collections::HashSet<String> = (0..200).map(|_| key_name(&gha)).collect();
        assert_eq!(names.len(), 200);
    }

    #[test]
    fn long_jobs_are_cut_but_keep_their_suffix() {
        let long = Env::default().with(env::CI_JOB_ID, "1").with(env::CI_PROJECT_PATH, "x".repeat(300));
        let name = key_name(&long);
        assert!(name.len() <= MAX_LEN, "{}", name.len());
        let suffix = name.rsplit('-').next().unwrap();
        assert_eq!(suffix.len(), SUFFIX_LEN);
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')), "{name}");
    }
}
