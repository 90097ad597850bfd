//! The Twingate client on this machine: finding `twingate`, its log, and installing it from
//! Twingate's package repositories (`connect --install auto|never`, `--client-version`).
//!
//! The install is a plan of steps ([`Step`]), made from what the machine has: run as root, with
//! `sudo -n`, or, with neither, shown as the exact commands to run. Debian and Ubuntu (apt-get):
//! the repository key dearmored into a keyring that only Twingate's list trusts (`signed-by`),
//! `apt-get update` on that list alone (retried), `apt-get install twingate[=VERSION]`. Fedora,
//! CentOS and Oracle Linux (dnf, yum): Twingate's rpm repository, `dnf install twingate[-VERSION]`.
//! Facts: headless-and-ci-wrappers.md §1.1 (key URL, keyring path, the `* *` list line, the rpm
//! baseurl with `gpgcheck=0` as Twingate's own recipe has it), §2.2 (updating the Twingate list
//! alone is what Twingate's action does; a full `apt update` fails on unrelated broken lists).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::env::{self, Env};
use crate::connect::logs::LogSource;
use crate::connect::preflight::{Machine, failed};
use crate::connect::process::{Runner, which};
use crate::error::{Error, Kind, Result};

pub(crate) const APT_URL: &str = "https://packages.twingate.com/apt/";
pub(crate) const APT_KEY_URL: &str = "https://packages.twingate.com/apt/gpg.key";
pub(crate) const APT_KEYRING: &str = "/usr/share/keyrings/twingate-client-keyring.gpg";
pub(crate) const APT_LIST: &str = "/etc/apt/sources.list.d/twingate.list";
pub(crate) const RPM_URL: &str = "https://packages.twingate.com/rpm/";
pub(crate) const RPM_REPO: &str = "/etc/yum.repos.d/twingate.repo";
/// The CA bundle apt needs to fetch from an https repository (Debian's ca-certificates).
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
pub(crate) const INSTALL_HINT: &str = "tgctl installs it by default (`--install auto`; Debian/Ubuntu: apt, Fedora/CentOS: dnf); or install it yourself: `curl -fsSL https://binaries.twingate.com/client/linux/install.sh | sudo bash`; or point --client-bin / TGCTL_TWINGATE_BIN at it";
/// How often `apt-get update` is tried, and the waits between tries.
const UPDATE_WAITS: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(5)];
const LONG: Duration = Duration::from_secs(600);

/// Where the client logs: the journal under systemd, else `/var/log/twingated.log`.
pub(crate) fn log_source(machine: &Machine) -> LogSource {
    if machine.has_systemd() {
        LogSource::Journal { unit: "twingate".to_owned() }
    } else {
        LogSource::File(machine.path("/var/log/twingated.log"))
    }
}

/// The client binary: --client-bin, TGCTL_TWINGATE_BIN, else `twingate` on PATH.
pub(crate) fn find_client(env: &Env, flag: Option<&Path>) -> Result<PathBuf> {
    let (wanted, source) = match (flag, env.get(env::TGCTL_TWINGATE_BIN)) {
        (Some(p), _) => (p.to_string_lossy().into_owned(), "--client-bin"),
        (None, Some(p)) => (p.to_owned(), "TGCTL_TWINGATE_BIN"),
        (None, None) => ("twingate".to_owned(), "PATH"),
    };
    match which(&wanted, env.get(env::PATH)) {
        Some(p) => Ok(p),
        None if source == "PATH" => {
            Err(failed("the Twingate client (`twingate`) is not installed (not found on PATH)", INSTALL_HINT))
        }
        None => Err(failed(
            format!("the client binary {wanted} ({source}) does not exist or is not executable"),
            INSTALL_HINT,
        )),
    }
}

/// What to install: a version (None: the latest), and where downloaded packages are kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub(crate) version: Option<String>,
    pub(crate) cache: Option<PathBuf>,
}

impl Request {
    /// From `--client-version` (`latest` or a package version) and TGCTL_CLIENT_CACHE.
    pub(crate) fn new(env: &Env, client_version: &str) -> Result<Self> {
        let v = client_version.trim();
        let version = match v {
            "" | "latest" => None,
            v if v.chars().all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
                && v.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Some(v.to_owned())
            }
            _ => {
                return Err(Error::new(
                    Kind::Usage,
                    format!(
                        "--client-version {v:?} is not a client version: use latest, or a version like 2026.190.6704"
                    ),
                ));
            }
        };
        Ok(Self { version, cache: env.get(env::TGCTL_CLIENT_CACHE).map(PathBuf::from) })
    }
}

/// One step of an install.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Download Twingate's apt key and write it as the keyring (dearmored with gpg, or kept
    /// armored as `.asc`, which apt also reads, where there is no gpg).
    AptKey { url: String, keyring: PathBuf, dearmor: bool },
    /// Write a file (as root).
    Write { path: PathBuf, text: String },
    /// Run a command (as root); `retry` for network steps.
    Run { argv: Vec<String>, retry: bool },
}

impl Step {
    /// The step as a shell command line, for a person to run.
    pub(crate) fn shell(&self) -> String {
        match self {
            Step::AptKey { url, keyring, dearmor: true } => {
                format!("curl -fsSL {url} | sudo gpg --dearmor -o {}", keyring.display())
            }
            Step::AptKey { url, keyring, dearmor: false } => {
                format!("curl -fsSL {url} | sudo tee {} >/dev/null", keyring.display())
            }
            Step::Write { path, text } => {
                format!("printf '%s' '{}' | sudo tee {} >/dev/null", text.replace('\'', "'\\''"), path.display())
            }
            Step::Run { argv, .. } => format!("sudo {}", argv.join(" ")),
        }
    }
}

/// The package manager found.
#[derive(Debug, Clone, PartialEq)]
enum Manager {
    Apt(PathBuf),
    Rpm(PathBuf),
}

fn manager(env: &Env) -> Option<Manager> {
    let path = env.get(env::PATH);
    if let Some(apt) = which("apt-get", path) {
        return Some(Manager::Apt(apt));
    }
    which("dnf", path).or_else(|| which("yum", path)).map(Manager::Rpm)
}

/// The steps that install the client on this machine.
fn plan(env: &Env, machine: &Machine, manager: &Manager, req: &Request) -> Vec<Step> {
    let mut steps = Vec::new();
    match manager {
        Manager::Apt(apt) => {
            let apt = apt.to_string_lossy().into_owned();
            let url = env.get(env::TGCTL_TWINGATE_APT_URL).unwrap_or(APT_URL);
            let key_url = env.get(env::TGCTL_TWINGATE_APT_KEY_URL).unwrap_or(APT_KEY_URL);
            // apt fetches an https repository only with CA certificates; slim images lack them.
            if url.starts_with("https:") && !machine.path(CA_BUNDLE).exists() {
                steps.push(Step::Run { argv: strs(&[&apt, "-q", "update"]), retry: true });
                steps.push(Step::Run {
                    argv: strs(&[&apt, "install", "-y", "-q", "--no-install-recommends", "ca-certificates"]),
                    retry: true,
                });
            }
            let dearmor = which("gpg", env.get(env::PATH)).is_some();
            let mut keyring = machine.path(APT_KEYRING);
            if !dearmor {
                keyring.set_extension("asc");
            }
            let list = machine.path(APT_LIST);
            steps.push(Step::AptKey { url: key_url.to_owned(), keyring: keyring.clone(), dearmor });
            let url = if url.ends_with('/') { url.to_owned() } else { format!("{url}/") };
            steps.push(Step::Write {
                path: list.clone(),
                text: format!("deb [signed-by={}] {url} * *\n", keyring.display()),
            });
            let list = list.to_string_lossy().into_owned();
            steps.push(Step::Run {
                argv: strs(&[
                    &apt,
                    "-q",
                    "update",
                    "-o",
                    &format!("Dir::Etc::sourcelist={list}"),
                    "-o",
                    "Dir::Etc::sourceparts=-",
                    "-o",
                    "APT::Get::List-Cleanup=0",
                    "-o",
                    "Acquire::Retries=3",
                ]),
                retry: true,
            });
            let mut install =
                strs(&[&apt, "install", "-y", "-q", "--no-install-recommends", "-o", "Acquire::Retries=3"]);
            if let Some(cache) = &req.cache {
                install.extend(strs(&["-o", &format!("Dir::Cache::Archives={}", cache.display())]));
            }
            install.push(match &req.version {
                Some(v) => format!("twingate={v}"),
                None => "twingate".to_owned(),
            });
            steps.push(Step::Run { argv: install, retry: true });
        }
        Manager::Rpm(dnf) => {
            let url = env.get(env::TGCTL_TWINGATE_RPM_URL).unwrap_or(RPM_URL);
            steps.push(Step::Write {
                path: machine.path(RPM_REPO),
                text: format!("[twingate]\nname=Twingate\nbaseurl={url}\nenabled=1\ngpgcheck=0\n"),
            });
            let mut install = strs(&[&dnf.to_string_lossy(), "install", "-y", "-q"]);
            if let Some(cache) = &req.cache {
                install.extend(strs(&["--setopt=keepcache=True", &format!("--setopt=cachedir={}", cache.display())]));
            }
            install.push(match &req.version {
                Some(v) => format!("twingate-{v}"),
                None => "twingate".to_owned(),
            });
            steps.push(Step::Run { argv: install, retry: true });
        }
    }
    steps
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Installs the client. `runner` is None when tgctl is neither root nor allowed `sudo -n`: the
/// error then lists the exact commands to run.
pub(crate) async fn install(
    env: &Env,
    runner: Option<&Runner>,
    machine: &Machine,
    req: &Request,
    log: &dyn Fn(&str),
) -> Result<()> {
    let Some(manager) = manager(env) else {
        return Err(failed(
            "the Twingate client is not installed, and this machine has neither apt-get nor dnf/yum",
            "install it yourself: `curl -fsSL https://binaries.twingate.com/client/linux/install.sh | sudo bash`, or use --client-bin",
        ));
    };
    let steps = plan(env, machine, &manager, req);
    let Some(runner) = runner else {
        let commands: Vec<String> = steps.iter().map(Step::shell).collect();
        return Err(failed(
            "installing the Twingate client needs root, and this user is not root and has no passwordless sudo",
            format!("run as root or with passwordless sudo, or install it first: {}", commands.join(" && ")),
        ));
    };
    let which_version = req.version.as_deref().unwrap_or("latest");
    log(&format!(
        "Installing the Twingate client ({which_version}) with {}",
        match manager {
            Manager::Apt(_) => "apt-get, from Twingate's signed repository",
            Manager::Rpm(_) => "dnf, from Twingate's rpm repository",
        }
    ));
    if let Some(cache) = &req.cache {
        std::fs::create_dir_all(cache.join("partial"))
            .map_err(|e| Error::io(format!("creating the package cache {}", cache.display()), &e))?;
    }
    let scale = env.number::<f64>(env::TGCTL_BACKOFF_SCALE).ok().flatten().unwrap_or(1.0).max(0.0);
    for step in &steps {
        run_step(env, runner, step, scale, log).await?;
    }
    Ok(())
}

async fn run_step(env: &Env, runner: &Runner, step: &Step, scale: f64, log: &dyn Fn(&str)) -> Result<()> {
    match step {
        Step::AptKey { url, keyring, dearmor } => {
            log(&format!("Downloading the Twingate apt key from {url}"));
            let armored = download_key(url).await?;
            ensure_parent(runner, keyring).await?;
            if *dearmor {
                let gpg = which("gpg", env.get(env::PATH)).unwrap_or_else(|| PathBuf::from("gpg"));
                let k = keyring.to_string_lossy();
                let out = runner
                    .run(&gpg, &["--batch", "--yes", "--dearmor", "-o", &k], Some(&armored), LONG, true)
                    .await
                    .map_err(|e| failed(format!("gpg --dearmor: {e}"), INSTALL_HINT))?;
                if !out.success() {
                    return Err(failed(format!("gpg --dearmor failed: {}", out.text().trim()), INSTALL_HINT));
                }
                Ok(())
            } else {
                write_privileged(runner, keyring, &armored).await
            }
        }
        Step::Write { path, text } => {
            ensure_parent(runner, path).await?;
            write_privileged(runner, path, text.as_bytes()).await
        }
        Step::Run { argv, retry } => {
            let tries = if *retry { UPDATE_WAITS.len() + 1 } else { 1 };
            let mut last = String::new();
            for attempt in 0..tries {
                if attempt > 0 {
                    let wait = UPDATE_WAITS[attempt - 1].mul_f64(scale);
                    log(&format!("{} failed ({last}); trying again in {}s", short(argv), wait.as_secs()));
                    tokio::time::sleep(wait).await;
                }
                // Through `env`, so the settings survive sudo's environment reset.
                let mut full = vec!["DEBIAN_FRONTEND=noninteractive"];
                full.extend(argv.iter().map(String::as_str));
                match runner.run(Path::new("env"), &full, None, LONG, true).await {
                    Ok(out) if out.success() => return Ok(()),
                    Ok(out) => last = tail(&out.text()),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(failed(format!("{} failed: {last}", short(argv)), INSTALL_HINT))
        }
    }
}

/// `apt-get update` for a command line, without its options.
fn short(argv: &[String]) -> String {
    let name =
        argv.first().map(|p| Path::new(p).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    format!(
        "{} {}",
        name.unwrap_or_default(),
        argv.get(1).filter(|a| !a.starts_with('-')).or(argv.get(2)).cloned().unwrap_or_default()
    )
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

async fn download_key(url: &str) -> Result<Vec<u8>> {
    let bad = |e: String| {
        failed(format!("cannot download {url}: {e}"), "check the network, then retry; or install the client yourself")
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::internal(format!("cannot build an HTTP client: {e}")))?;
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
        match client.get(url).send().await.and_then(reqwest::Response::error_for_status) {
            Ok(resp) => {
                let bytes = resp.bytes().await.map_err(|e| bad(e.to_string()))?;
                if !bytes.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                    return Err(failed(format!("{url} did not return an armored PGP key"), INSTALL_HINT));
                }
                return Ok(bytes.to_vec());
            }
            Err(e) if e.status().is_some_and(|s| s.is_client_error()) => return Err(bad(e.to_string())),
            Err(e) => last = e.to_string(),
        }
    }
    Err(bad(last))
}

pub(crate) async fn ensure_parent(runner: &Runner, path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else { return Ok(()) };
    if dir.is_dir() {
        return Ok(());
    }
    match &runner.sudo {
        None => std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), &e)),
        Some(_) => {
            let d = dir.to_string_lossy();
            match runner.run(Path::new("mkdir"), &["-p", &d], None, Duration::from_secs(30), true).await {
                Ok(out) if out.success() => Ok(()),
                _ => Err(failed(format!("cannot create {d}"), INSTALL_HINT)),
            }
        }
    }
}

pub(crate) async fn write_privileged(runner: &Runner, path: &Path, bytes: &[u8]) -> Result<()> {
    match &runner.sudo {
        None => std::fs::write(path, bytes).map_err(|e| Error::io(format!("writing {}", path.display()), &e)),
        Some(_) => {
            let p = path.to_string_lossy();
            let out = runner
                .run(Path::new("tee"), &[p.as_ref()], Some(bytes), Duration::from_secs(30), true)
                .await
                .map_err(|e| failed(format!("writing {p}: {e}"), INSTALL_HINT))?;
            if out.success() {
                Ok(())
            } else {
                Err(failed(format!("writing {p}: {}", out.stderr.trim()), INSTALL_HINT))
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn log_source_follows_systemd() {
        let d = tempfile::tempdir().unwrap();
        let m = Machine { root: d.path().to_owned() };
        assert_eq!(log_source(&m), LogSource::File(d.path().join("var/log/twingated.log")));
        std::fs::create_dir_all(d.path().join("run/systemd/system")).unwrap();
        assert!(matches!(log_source(&m), LogSource::Journal { .. }));
    }

    #[test]
    fn client_lookup_names_its_source() {
        let env = Env::default().with(env::PATH, "/nonexistent");
        let e = find_client(&env, None).unwrap_err();
        assert_eq!(e.kind, Kind::ClientFailed);
        assert!(e.hint.unwrap().contains("--install"));
        let env = env.with(env::TGCTL_TWINGATE_BIN, "/nonexistent/twingate");
        assert!(find_client(&env, None).unwrap_err().message.contains("TGCTL_TWINGATE_BIN"));
        assert_eq!(find_client(&env, Some(Path::new("/bin/sh"))).unwrap(), PathBuf::from("/bin/sh"));
    }

    fn bin_dir(names: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for n in names {
            let p = d.path().join(n);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        d
    }

    fn argvs(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Run { argv, .. } => Some(argv[1..].join(" ")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn versions_are_latest_or_package_versions() {
        let env = Env::default().with(env::TGCTL_CLIENT_CACHE, "/c");
        assert_eq!(Request::new(&env, "latest").unwrap().version, None);
        assert_eq!(Request::new(&env, "2026.190.6704").unwrap().version.as_deref(), Some("2026.190.6704"));
        assert_eq!(Request::new(&env, "").unwrap().cache, Some(PathBuf::from("/c")));
        for bad in ["twingate", "1.0; rm -rf /", "-1", "1 2"] {
            assert_eq!(Request::new(&env, bad).unwrap_err().kind, Kind::Usage, "{bad}");
        }
    }

    #[test]
    fn apt_plan_on_a_slim_machine_without_gpg_or_certificates() {
        let bins = bin_dir(&["apt-get"]);
        let root = tempfile::tempdir().unwrap();
        let env = Env::default().with(env::PATH, bins.path().to_str().unwrap());
        let machine = Machine { root: root.path().to_owned() };
        let Some(m @ Manager::Apt(_)) = manager(&env) else { panic!("apt-get not found") };
        let req = Request { version: Some("2026.1.2".into()), cache: Some(PathBuf::from("/cache")) };
        let steps = plan(&env, &machine, &m, &req);
        let runs = argvs(&steps);
        assert_eq!(runs[0], "-q update", "CA certificates first, from the machine's own lists");
        assert!(runs[1].ends_with("ca-certificates"));
        assert!(
            runs[2].starts_with("-q update -o Dir::Etc::sourcelist=") && runs[2].contains("Dir::Etc::sourceparts=-")
        );
        assert!(runs[3].contains("-o Dir::Cache::Archives=/cache") && runs[3].ends_with("twingate=2026.1.2"));
        let keyring = root.path().join("usr/share/keyrings/twingate-client-keyring.asc");
        assert!(steps.contains(&Step::AptKey { url: APT_KEY_URL.into(), keyring: keyring.clone(), dearmor: false }));
        let line = format!("deb [signed-by={}] {APT_URL} * *\n", keyring.display());
        assert!(steps.iter().any(|s| matches!(s, Step::Write { text, .. } if *text == line)));
        // With CA certificates, gpg and a file: mirror: no certificate step, a dearmored keyring.
        let bins = bin_dir(&["apt-get", "gpg"]);
        std::fs::create_dir_all(root.path().join("etc/ssl/certs")).unwrap();
        std::fs::write(root.path().join(CA_BUNDLE.trim_start_matches('/')), "").unwrap();
        let env = Env::default()
            .with(env::PATH, bins.path().to_str().unwrap())
            .with(env::TGCTL_TWINGATE_APT_URL, "file:/srv/repo");
        let steps = plan(&env, &machine, &manager(&env).unwrap(), &Request::default());
        assert!(argvs(&steps)[0].starts_with("-q update -o Dir::Etc::sourcelist="));
        assert!(argvs(&steps)[1].ends_with(" twingate"));
        assert!(steps.iter().any(|s| matches!(s, Step::Write { text, .. } if text.contains("] file:/srv/repo/ * *"))));
        assert!(steps.iter().any(|s| matches!(s, Step::AptKey { dearmor: true, .. })));
    }

    #[test]
    fn rpm_plan_and_the_commands_shown_to_a_person() {
        let bins = bin_dir(&["dnf"]);
        let env = Env::default().with(env::PATH, bins.path().to_str().unwrap());
        let machine = Machine { root: PathBuf::from("/") };
        let steps =
            plan(&env, &machine, &manager(&env).unwrap(), &Request { version: Some("2026.1.2".into()), cache: None });
        assert_eq!(
            steps[0],
            Step::Write {
                path: PathBuf::from(RPM_REPO),
                text: format!("[twingate]\nname=Twingate\nbaseurl={RPM_URL}\nenabled=1\ngpgcheck=0\n")
            }
        );
        assert_eq!(argvs(&steps), vec!["install -y -q twingate-2026.1.2"]);
        assert!(
            steps[1].shell().starts_with("sudo ") && steps[1].shell().ends_with("dnf install -y -q twingate-2026.1.2")
        );
        assert!(steps[0].shell().contains("| sudo tee /etc/yum.repos.d/twingate.repo"));
    }

    #[test]
    fn no_package_manager_and_no_privileges_say_what_to_do() {
        let bins = bin_dir(&["apt-get"]);
        let env = Env::default().with(env::PATH, bins.path().to_str().unwrap());
        let machine = Machine { root: tempfile::tempdir().unwrap().path().to_owned() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let e = rt.block_on(install(&env, None, &machine, &Request::default(), &|_| {})).unwrap_err();
        assert_eq!(e.kind, Kind::ClientFailed);
        let hint = e.hint.unwrap();
        assert!(hint.contains("sudo gpg --dearmor") || hint.contains("sudo tee"), "{hint}");
        assert!(hint.contains("apt-get install -y -q --no-install-recommends"), "{hint}");
        let env = Env::default().with(env::PATH, "/nonexistent");
        let e = rt.block_on(install(&env, None, &machine, &Request::default(), &|_| {})).unwrap_err();
        assert!(e.message.contains("neither apt-get nor dnf/yum"), "{}", e.message);
    }
}
