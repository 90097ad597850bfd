//! `tgctl device list|get|trust|untrust|archive|unarchive|block|unblock`. The actions take many
//! devices at once (IDs, names, or `--filter`), show a progress bar on a terminal, and end with
//! what changed and what failed.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Ctx;
use crate::api::devices::{self, Action, Device, DeviceState, Filter};
use crate::api::{self, Page, ids, label, paginate};
use crate::error::{Error, Kind, Result};
use crate::output::{Fmt, Tabular};
use crate::parse;

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// List devices
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl device list
  tgctl device list --state active --untrusted -o json
  tgctl device list --user ada@example.com
  tgctl device list --serial C02XYZ -o id"
    )]
    List(ListDevicesArgs),
    /// Show a device
    #[command(after_help = "Examples:
  tgctl device get \"Ada's MacBook\"
  tgctl device get RGV2aWNlOjE5MzI2OQ== -o json")]
    Get(DeviceArg),
    /// Trust devices (they pass device-trust checks)
    #[command(after_help = "Examples:
  tgctl device trust RGV2aWNlOjE5MzI2OQ== \"Ada's MacBook\"
  tgctl device trust --filter serial=C02XYZ
  tgctl device list --untrusted --user ada@example.com -o id | xargs tgctl device trust")]
    Trust(TargetArgs),
    /// Stop trusting devices
    #[command(after_help = "Examples:
  tgctl device untrust RGV2aWNlOjE5MzI2OQ==
  tgctl device untrust --filter trusted=true,state=archived")]
    Untrust(TargetArgs),
    /// Archive devices (hidden from lists; they can sign in again)
    #[command(after_help = "Examples:
  tgctl device archive RGV2aWNlOjE5MzI2OQ== --yes
  tgctl device archive --filter state=active,trusted=false --yes")]
    Archive(TargetArgs),
    /// Unarchive devices
    #[command(after_help = "Examples:
  tgctl device unarchive RGV2aWNlOjE5MzI2OQ==
  tgctl device unarchive --filter state=archived")]
    Unarchive(TargetArgs),
    /// Block devices (they cannot sign in)
    #[command(after_help = "Examples:
  tgctl device block \"Lost laptop\" --yes
  tgctl device block --filter serial=C02XYZ --yes")]
    Block(TargetArgs),
    /// Unblock devices
    #[command(after_help = "Examples:
  tgctl device unblock RGV2aWNlOjE5MzI2OQ==
  tgctl device unblock --filter state=blocked")]
    Unblock(TargetArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListDevicesArgs {
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Exact device name
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Device name contains this text (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub(crate) name_contains: Option<String>,
    /// Only devices in this state; repeat for several
    #[arg(long, value_enum)]
    pub(crate) state: Vec<DeviceState>,
    /// Only trusted devices
    #[arg(long, conflicts_with = "untrusted")]
    pub(crate) trusted: bool,
    /// Only untrusted devices
    #[arg(long)]
    pub(crate) untrusted: bool,
    /// Only the device with this serial number
    #[arg(long, value_name = "SERIAL")]
    pub(crate) serial: Option<String>,
    /// Only this user's devices (e-mail address or user ID)
    #[arg(long, value_name = "USER")]
    pub(crate) user: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DeviceArg {
    /// Name or ID of the device
    pub(crate) device: String,
}

#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// Devices (IDs or names)
    #[arg(value_name = "DEVICE", required_unless_present = "filter")]
    pub(crate) devices: Vec<String>,
    /// Devices matching serial=SERIAL,state=active|archived|blocked,trusted=true|false
    #[arg(long, value_name = "FILTER")]
    pub(crate) filter: Option<String>,
}

impl Tabular for Device {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "user", "state", "trusted", "os", "serial", "last login"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        let os = match (&self.os_name, &self.os_version) {
            (Some(n), Some(v)) => format!("{n} {v}"),
            (Some(n), None) => n.clone(),
            _ => f.opt(None),
        };
        vec![
            self.id.clone(),
            f.opt(self.name.as_deref()),
            f.opt(self.user.as_ref().map(|u| u.label()).as_deref()),
            label(&self.active_state),
            f.yes_no(self.is_trusted),
            os,
            f.opt(self.serial_number.as_deref()),
            f.opt_time(self.last_successful_login_at.as_ref(), if f.is_tty() { "never" } else { "" }),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.clone()),
            ("name", f.opt(self.name.as_deref())),
            ("user", f.opt(self.user.as_ref().map(|u| format!("{} ({})", u.label(), u.id)).as_deref())),
            ("state", label(&self.active_state)),
            ("trusted", f.yes_no(self.is_trusted)),
            ("type", self.device_type.clone()),
            ("os", f.opt(self.os_name.as_deref())),
            ("os version", f.opt(self.os_version.as_deref())),
            ("client version", f.opt(self.client_version.as_deref())),
            ("hardware", f.opt(self.hardware_model.as_deref())),
            ("manufacturer", f.opt(self.manufacturer_name.as_deref())),
            ("hostname", f.opt(self.hostname.as_deref())),
            ("username", f.opt(self.username.as_deref())),
            ("serial", f.opt(self.serial_number.as_deref())),
            ("last login", f.opt_time(self.last_successful_login_at.as_ref(), "never")),
            ("last failed login", f.opt_time(self.last_failed_login_at.as_ref(), "never")),
        ]
    }
}

pub(crate) async fn run(ctx: &Ctx, command: DeviceCommand) -> Result<()> {
    match command {
        DeviceCommand::List(a) => list(ctx, a).await,
        DeviceCommand::Get(a) => get(ctx, a).await,
        DeviceCommand::Trust(a) => act(ctx, Action::Trust, a).await,
        DeviceCommand::Untrust(a) => act(ctx, Action::Untrust, a).await,
        DeviceCommand::Archive(a) => act(ctx, Action::Archive, a).await,
        DeviceCommand::Unarchive(a) => act(ctx, Action::Unarchive, a).await,
        DeviceCommand::Block(a) => act(ctx, Action::Block, a).await,
        DeviceCommand::Unblock(a) => act(ctx, Action::Unblock, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListDevicesArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let client = ctx.client()?;
    let user_id = match &args.user {
        Some(u) => Some(api::users::find(&client, u).await?.id),
        None => None,
    };
    let mut states = args.state.clone();
    states.dedup();
    let filter = Filter { states, trusted: super::tri(args.trusted, args.untrusted), serial: args.serial.clone() };
    // The API filters devices by state, trust and serial only; the rest is filtered here.
    let contains = args.name_contains.as_ref().map(|c| c.to_lowercase());
    let keep = |d: &Device| {
        args.name.as_ref().is_none_or(|n| d.name.as_ref() == Some(n))
            && contains.as_ref().is_none_or(|c| d.name.as_ref().is_some_and(|n| n.to_lowercase().contains(c)))
            && user_id.as_ref().is_none_or(|u| d.user.as_ref().is_some_and(|du| &du.id == u))
    };
    let mut out = ctx.printer.list::<Device>();
    paginate(
        args.limit,
        |after, first| {
            let (client, filter) = (&client, &filter);
            async move {
                let page = devices::list_page(client, filter, after, first).await?;
                Ok(Page { nodes: page.nodes.into_iter().filter(keep).collect(), ..page })
            }
        },
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

/// The one device named by ID or exact name (names need a full listing: the API has no name filter).
async fn find(client: &api::Client, text: &str) -> Result<Device> {
    api::find("device", "Device", text, devices::get(client, text), async {
        let all = devices::all(client, &Filter::default()).await?;
        Ok(all.into_iter().filter(|d| d.name.as_deref() == Some(text)).collect())
    })
    .await
}

async fn get(ctx: &Ctx, args: DeviceArg) -> Result<()> {
    let client = ctx.client()?;
    let device = find(&client, &args.device).await?;
    ctx.printer.object(&device)
}

/// `serial=...,state=...,trusted=...` as an API filter.
fn parse_filter(text: &str) -> Result<Filter> {
    let hint = "use serial=SERIAL,state=active|archived|blocked,trusted=true|false";
    let mut filter = Filter::default();
    for (key, value) in parse::assignments(text)? {
        match key.as_str() {
            "serial" | "serial-number" | "serial_number" => filter.serial = Some(value),
            "state" => {
                for v in value.split('|').map(str::trim) {
                    let s = <DeviceState as clap::ValueEnum>::from_str(v, true)
                        .map_err(|_| Error::usage(format!("{v:?} is not a device state")).hint(hint))?;
                    filter.states.push(s);
                }
            }
            "trusted" => {
                filter.trusted = Some(match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => return Err(Error::usage(format!("trusted={value} must be true or false")).hint(hint)),
                });
            }
            other => return Err(Error::usage(format!("the filter has an unknown key {other:?}")).hint(hint)),
        }
    }
    Ok(filter)
}

/// Every device the arguments name, each once; any name that doesn't resolve fails the whole
/// command before anything is changed.
async fn targets(client: &api::Client, args: &TargetArgs) -> Result<Vec<Device>> {
    let mut out: Vec<Device> = Vec::new();
    let mut names = Vec::new();
    for text in &args.devices {
        if ids::is_id_of(text, "Device") {
            let d = devices::get(client, text)
                .await?
                .ok_or_else(|| Error::not_found(format!("no device with ID {text}")).hint("nothing was changed"))?;
            out.push(d);
        } else if let Some(other) = ids::type_of(text) {
            return Err(Error::usage(format!("{text} is a {other} ID, not a device ID")).hint("nothing was changed"));
        } else {
            names.push(text.as_str());
        }
    }
    if !names.is_empty() {
        let all = devices::all(client, &Filter::default()).await?;
        for name in names {
            let matches: Vec<Device> = all.iter().filter(|d| d.name.as_deref() == Some(name)).cloned().collect();
            out.push(api::one_match("device", name, matches).map_err(|e| Error {
                hint: Some(format!("{}; nothing was changed", e.hint.clone().unwrap_or_default())),
                ..e
            })?);
        }
    }
    if let Some(text) = &args.filter {
        let filter = parse_filter(text)?;
        out.extend(devices::all(client, &filter).await?);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert(d.id.clone()));
    Ok(out)
}

/// What happened to one device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    id: String,
    name: String,
    /// changed, unchanged, failed or skipped (not attempted after an error that stopped the run)
    result: &'static str,
    state: Option<DeviceState>,
    is_trusted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Why it failed (decides the exit code of the whole run).
    #[serde(skip)]
    kind: Option<Kind>,
}

impl Outcome {
    fn of(d: &Device, result: &'static str) -> Self {
        Outcome {
            id: d.id.clone(),
            name: d.label().to_owned(),
            result,
            state: Some(d.active_state),
            is_trusted: Some(d.is_trusted),
            error: None,
            kind: None,
        }
    }
}

impl Tabular for Outcome {
    fn headers() -> &'static [&'static str] {
        &["id", "name", "result", "state", "trusted", "error"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.result.to_owned(),
            self.state.map(|s| label(&s)).unwrap_or_else(|| f.opt(None)),
            self.is_trusted.map(|t| f.yes_no(t)).unwrap_or_else(|| f.opt(None)),
            f.opt(self.error.as_deref()),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }
}

/// Errors after which trying the next device is pointless.
fn stops_the_run(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::AuthMissing
            | Kind::AuthRejected
            | Kind::PermissionDenied
            | Kind::Network
            | Kind::RateLimited
            | Kind::Interrupted
    )
}

async fn act(ctx: &Ctx, action: Action, args: TargetArgs) -> Result<()> {
    if let Some(f) = &args.filter {
        parse_filter(f)?;
    }
    let client = ctx.client()?;
    let found = targets(&client, &args).await?;
    if found.is_empty() {
        ctx.printer.info("No device matches; nothing to do.");
        return ctx.printer.list::<Outcome>().finish().map(|_| ());
    }
    let (done, todo): (Vec<Device>, Vec<Device>) = found.into_iter().partition(|d| action.is_done(d));
    if matches!(action, Action::Archive | Action::Block) && !todo.is_empty() {
        let mut names: Vec<String> = todo.iter().take(5).map(|d| format!("{:?}", d.label())).collect();
        if todo.len() > 5 {
            names.push(format!("and {} more", todo.len() - 5));
        }
        ctx.confirm(&format!("{} {} device(s): {}", action.verb(), todo.len(), names.join(", ")))?;
    }
    let mut outcomes: Vec<Outcome> = done.iter().map(|d| Outcome::of(d, "unchanged")).collect();
    let progress = ctx
        .printer
        .progress(&format!("{} {} device(s)", capital(action.verb()), todo.len()))
        .with_length(todo.len() as u64);
    let mut stop: Option<Error> = None;
    for d in &todo {
        if stop.is_some() {
            outcomes.push(Outcome::of(d, "skipped"));
            continue;
        }
        progress.set_message(&format!("{} {}", action.verb(), d.label()));
        match devices::apply(&client, &d.id, action).await {
            Ok(after) => outcomes.push(Outcome::of(&after, "changed")),
            Err(e) => {
                if !ctx.printer.is_quiet() {
                    progress.println(&format!("could not {} {:?}: {}", action.verb(), d.label(), e.message));
                }
                outcomes.push(Outcome {
                    error: Some(e.message.clone()),
                    kind: Some(e.kind),
                    ..Outcome::of(d, "failed")
                });
                if stops_the_run(e.kind) {
                    stop = Some(e);
                }
            }
        }
        progress.inc();
    }
    progress.finish();
    let mut out = ctx.printer.list::<Outcome>();
    out.push_page(outcomes.clone())?;
    out.finish()?;
    summarize(ctx, action, &outcomes, stop)
}

/// The summary on stderr, and the exit status when a device failed: that of the failure whose
/// exit code ranks highest (`rank`), so a server error is not reported as a refusal.
fn summarize(ctx: &Ctx, action: Action, outcomes: &[Outcome], stop: Option<Error>) -> Result<()> {
    let count = |r: &str| outcomes.iter().filter(|o| o.result == r).count();
    let (changed, unchanged, failed, skipped) =
        (count("changed"), count("unchanged"), count("failed"), count("skipped"));
    let mut parts = vec![format!("{} {changed} device(s)", capital(action.past()))];
    if unchanged > 0 {
        parts.push(format!("{unchanged} already {}", action.past()));
    }
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    if skipped > 0 {
        parts.push(format!("{skipped} not attempted"));
    }
    let summary = parts.join("; ") + ".";
    if failed == 0 {
        ctx.printer.success(&summary);
        return Ok(());
    }
    ctx.printer.info(&summary);
    if let Some(e) = stop {
        return Err(Error {
            hint: Some(format!(
                "{skipped} device(s) after it were not attempted; run the command again when it is fixed"
            )),
            ..e
        });
    }
    let kind = outcomes.iter().filter_map(|o| o.kind).max_by_key(|k| rank(*k)).unwrap_or(Kind::Rejected);
    let mut error =
        Error::new(kind, format!("{failed} of {} device(s) could not be {}", outcomes.len(), action.past()));
    if kind == Kind::OutcomeUnknown {
        error = error.hint("check the devices marked failed with `tgctl device get`: the change may have been made");
    }
    for o in outcomes.iter().filter(|o| o.result == "failed") {
        error = error.detail(format!("{} ({}): {}", o.name, o.id, o.error.as_deref().unwrap_or("failed")));
    }
    Err(error)
}

/// Which failure decides the run's exit code: one whose outcome is unknown (the change may have
/// been made), then network and server errors, then any other.
fn rank(kind: Kind) -> u8 {
    match kind {
        Kind::OutcomeUnknown => 3,
        Kind::Network | Kind::RateLimited | Kind::BadResponse => 2,
        Kind::Rejected | Kind::GraphQl => 0,
        _ => 1,
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().collect::<String>() + c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_into_the_api_filter() {
        let f = parse_filter("serial=C02XYZ,state=active|blocked,trusted=false").unwrap();
        assert_eq!(
            f,
            Filter {
                serial: Some("C02XYZ".into()),
                states: vec![DeviceState::Active, DeviceState::Blocked],
                trusted: Some(false)
            }
        );
        assert!(parse_filter("state=lost").unwrap_err().message.contains("not a device state"));
        assert!(parse_filter("trusted=maybe").is_err());
        assert!(parse_filter("owner=ada").unwrap_err().message.contains("unknown key"));
    }
}
