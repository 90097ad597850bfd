//! The stages that bring a client up, after preflight and the key: setup, start, online (the
//! provider's), then resolve, probe and forward (the same for every provider, directly or
//! through the client's proxy), all before one deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Stage;
use super::args::ConnectArgs;
use super::client::ClientResource;
use super::forward::{self as fwd, Forward};
use super::job::ms;
use super::ladder::cap;
use super::probe::{self, Backoff, Probed, Resolved};
use super::provider::{Failure, Host, Provider, StageTime};
use super::proxy;
use super::state::{ForwardRecord, State};
use crate::error::{Error, Result};
use crate::parse;

/// What the flags ask for, parsed and checked before anything happens.
pub(crate) struct Plan {
    pub(crate) timeout: Duration,
    pub(crate) stall_after: Duration,
    pub(crate) wait: bool,
    pub(crate) resolve: Vec<String>,
    pub(crate) require_private: bool,
    /// `--probe`: the text as given, and the host and port.
    pub(crate) targets: Vec<(String, (String, u16))>,
    pub(crate) forwards: Vec<Forward>,
}

impl Plan {
    pub(crate) fn from_args(args: &ConnectArgs) -> Result<Self> {
        let timeout = parse::duration(&args.timeout)?;
        if timeout.is_zero() {
            return Err(Error::usage("--timeout must be more than 0"));
        }
        let stall_after = parse::duration(&args.stall_after)?;
        if stall_after.is_zero() {
            return Err(Error::usage("--stall-after must be more than 0"));
        }
        let mut targets = Vec::new();
        for p in &args.probe {
            targets.push((p.clone(), probe::parse_target(p).map_err(Error::usage)?));
        }
        let mut forwards = Vec::new();
        for f in &args.forward {
            forwards.push(fwd::parse_spec(f).map_err(|e| Error::usage(format!("--forward {e}")))?);
        }
        Ok(Self {
            timeout,
            stall_after,
            wait: args.waits(),
            resolve: args.resolve.clone(),
            require_private: args.require_private,
            targets,
            forwards,
        })
    }
}

/// What the climb measured, and where it got to.
pub(crate) struct Run {
    pub(crate) stages: Vec<StageTime>,
    /// The stage under way (named by a failure).
    pub(crate) current: Stage,
    pub(crate) resolved: Vec<Resolved>,
    pub(crate) probes: Vec<Probed>,
    pub(crate) resources: Vec<ClientResource>,
}

impl Run {
    pub(crate) fn new(stages: Vec<StageTime>, current: Stage) -> Self {
        Self { stages, current, resolved: Vec::new(), probes: Vec::new(), resources: Vec::new() }
    }

    fn enter(&mut self, host: &Host<'_>, stage: Stage) -> Instant {
        self.current = stage;
        host.events.stage(stage);
        Instant::now()
    }

    fn done(&mut self, stage: Stage, since: Instant) {
        self.stages.push(StageTime { stage, ms: ms(since.elapsed()) });
    }
}

pub(crate) async fn climb<P: Provider>(
    host: &Host<'_>,
    provider: &mut P,
    plan: &Plan,
    st: &mut State,
    run: &mut Run,
    deadline: Instant,
) -> std::result::Result<(), Failure> {
    if provider.has_setup() {
        let t = run.enter(host, Stage::Setup);
        provider.setup(host, st, deadline).await?;
        run.done(Stage::Setup, t);
    }
    let t = run.enter(host, Stage::Start);
    provider.start(host, st, deadline).await?;
    run.done(Stage::Start, t);
    if !plan.wait {
        return Ok(());
    }
    let t = run.enter(host, Stage::Online);
    provider.wait_online(host, st, deadline, plan.stall_after).await?;
    run.done(Stage::Online, t);

    // The rest, while watching that the client stays up.
    let via = provider.via();
    let usable = usable(host, plan, st, run, deadline, via);
    tokio::select! {
        r = usable => r?,
        f = provider.exited() => return Err(f),
    }
    // The resource list is information, not a gate.
    run.resources = provider.resources(host, deadline).await;
    Ok(())
}

/// resolve -> probe -> forward.
async fn usable(
    host: &Host<'_>,
    plan: &Plan,
    st: &mut State,
    run: &mut Run,
    deadline: Instant,
    via: Option<SocketAddr>,
) -> std::result::Result<(), Failure> {
    let events = &host.events;
    if !plan.resolve.is_empty() {
        let t = run.enter(host, Stage::Resolve);
        for host_name in &plan.resolve {
            events.step(format!("Resolving {host_name}"));
            let resolved = match via {
                // Through the proxy: a tunnel to the host (port: a --probe's for it, else 443).
                Some(proxy) => {
                    let port = plan.targets.iter().find(|(_, (h, _))| h == host_name).map_or(443, |(_, (_, p))| *p);
                    let text = proxy::authority(host_name, port);
                    probe_until(&text, host_name, port, deadline, Some(proxy)).await.map(|p| Resolved {
                        host: host_name.clone(),
                        addresses: Vec::new(),
                        attempts: p.attempts,
                        ms: p.ms,
                    })?
                }
                None => resolve_until(host_name, plan.require_private, deadline).await?,
            };
            run.resolved.push(resolved);
        }
        run.done(Stage::Resolve, t);
    }
    if !plan.targets.is_empty() {
        let t = run.enter(host, Stage::Probe);
        for (text, (h, port)) in &plan.targets {
            events.step(format!("Connecting to {text}"));
            run.probes.push(probe_until(text, h, *port, deadline, via).await?);
        }
        run.done(Stage::Probe, t);
    }
    if !plan.forwards.is_empty() {
        let t = run.enter(host, Stage::Forward);
        events.step("Starting the port forwards");
        let log = st.dir().join("forward.log");
        st.logs.push(log.clone());
        match fwd::spawn_background(&plan.forwards, via, &log, cap(deadline)).await {
            Ok((pid, bound)) => {
                st.record_group(pid);
                for f in &bound {
                    events.note(format!("Forwarding {f}{}", via.map(|p| format!(" through {p}")).unwrap_or_default()));
                    st.forwards.push(ForwardRecord {
                        listen: format!("127.0.0.1:{}", f.local),
                        target: f.target(),
                        pid,
                    });
                }
                st.save().map_err(Failure::from_error)?;
            }
            Err((pid, why)) => {
                if let Some(pid) = pid {
                    st.record_group(pid);
                }
                let _ = st.save();
                return Err(Failure::client(format!("the port forwards did not start: {why}")));
            }
        }
        run.done(Stage::Forward, t);
    }
    Ok(())
}

async fn resolve_until(host: &str, require_private: bool, deadline: Instant) -> std::result::Result<Resolved, Failure> {
    let t = Instant::now();
    let mut backoff = Backoff::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        match probe::resolve_once(host, require_private, left.min(Duration::from_secs(10))).await {
            Ok(addresses) => return Ok(Resolved { host: host.to_owned(), addresses, attempts, ms: ms(t.elapsed()) }),
            Err(why) => {
                if Instant::now() >= deadline {
                    return Err(Failure::timeout(format!("{host} did not resolve ({why}; {attempts} attempts)")));
                }
            }
        }
        tokio::time::sleep(backoff.next(deadline)).await;
    }
}

async fn probe_until(
    text: &str,
    host: &str,
    port: u16,
    deadline: Instant,
    via: Option<SocketAddr>,
) -> std::result::Result<Probed, Failure> {
    let t = Instant::now();
    let mut backoff = Backoff::default();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let once = match via {
            // In proxy mode the address is the proxy's: the far side is not visible.
            Some(proxy) => {
                proxy::connect_via(proxy, host, port, left.min(Duration::from_secs(10))).await.map(|_| proxy)
            }
            None => probe::probe_once(host, port, left.min(Duration::from_secs(10))).await,
        };
        match once {
            Ok(address) => {
                return Ok(Probed { target: text.to_owned(), address, attempts, ms: ms(t.elapsed()) });
            }
            Err(why) => {
                if Instant::now() >= deadline {
                    return Err(Failure::timeout(match via {
                        Some(p) => {
                            format!("{text} could not be reached through the proxy {p} ({why}; {attempts} attempts)")
                        }
                        None => format!("{text} did not accept a TCP connection ({why}; {attempts} attempts)"),
                    }));
                }
            }
        }
        tokio::time::sleep(backoff.next(deadline)).await;
    }
}
