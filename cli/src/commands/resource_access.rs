//! `tgctl resource access list|add|remove|set`: who may reach a resource.

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::Ctx;
use crate::api::resources::{self, AccessEntry, Grant, PrincipalKind};
use crate::api::{self, Patch, Ref, label, paginate, security_policies, service_accounts};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};
use crate::parse;

pub async fn run(ctx: &Ctx, command: AccessCommand) -> Result<()> {
    match command {
        AccessCommand::List(a) => access_list(ctx, a).await,
        AccessCommand::Add(a) => access_add(ctx, a).await,
        AccessCommand::Remove(a) => access_remove(ctx, a).await,
        AccessCommand::Set(a) => access_set(ctx, a).await,
    }
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// List the groups and service accounts that may reach a resource
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl resource access list prod-db
  tgctl resource access list prod-db -o json"
    )]
    List(AccessListArgs),
    /// Give groups and service accounts access (or change a group's policy or expiry)
    #[command(after_help = "Examples:
  tgctl resource access add prod-db --group Engineering --service-account ci-deployer
  tgctl resource access add prod-db --group Contractors --security-policy \"Strict Policy\" --expires-in 7d
  tgctl resource access add prod-db --group Oncall --expires-at 2026-12-31T23:59:59Z

--security-policy and --expires-* apply to groups only: a service account's access has neither
(its keys expire instead).")]
    Add(AccessAddArgs),
    /// Take access away from groups and service accounts
    #[command(after_help = "Examples:
  tgctl resource access remove prod-db --group Contractors
  tgctl resource access remove prod-db --service-account old-ci --yes")]
    Remove(AccessRemoveArgs),
    /// Replace all access with exactly the groups and service accounts given
    #[command(after_help = "Examples:
  tgctl resource access set prod-db --group Engineering --group Oncall --service-account ci-deployer
  tgctl resource access set prod-db --group Contractors --security-policy \"Strict Policy\" --expires-in 30d --yes

What changed (added, removed and changed principals) is printed on stderr, the final access on
stdout. Groups without --security-policy use the resource's policy; without an expiry they keep
access until it is removed.")]
    Set(AccessAddArgs),
}

#[derive(Debug, Args)]
pub struct AccessListArgs {
    /// Name or ID of the resource
    pub resource: String,
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct Principals {
    /// Group (name or ID); repeatable
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Service account (name or ID); repeatable
    #[arg(long = "service-account", value_name = "SERVICE_ACCOUNT")]
    pub service_accounts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AccessAddArgs {
    /// Name or ID of the resource
    pub resource: String,
    #[command(flatten)]
    pub principals: Principals,
    /// Security policy (name or ID) for the groups' access
    #[arg(long, value_name = "POLICY")]
    pub security_policy: Option<String>,
    /// When the groups' access ends (RFC 3339, e.g. 2026-12-31T23:59:59Z)
    #[arg(long, value_name = "TIME", conflicts_with_all = ["expires_in", "no_expiry"])]
    pub expires_at: Option<String>,
    /// How long the groups' access lasts (e.g. 7d, 12h)
    #[arg(long, value_name = "DURATION", conflicts_with = "no_expiry")]
    pub expires_in: Option<String>,
    /// The groups' access does not expire (removes an expiry)
    #[arg(long)]
    pub no_expiry: bool,
}

#[derive(Debug, Args)]
pub struct AccessRemoveArgs {
    /// Name or ID of the resource
    pub resource: String,
    #[command(flatten)]
    pub principals: Principals,
}

impl Tabular for AccessEntry {
    fn headers() -> &'static [&'static str] {
        &["principal id", "name", "type", "security policy", "expires"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.principal_id.clone(),
            self.principal_name.clone(),
            label(&self.principal_type),
            match (&self.security_policy, self.principal_type) {
                (Some(p), _) => p.name.clone(),
                (None, PrincipalKind::Group) => "resource's".to_owned(),
                (None, PrincipalKind::ServiceAccount) => f.opt(None),
            },
            f.opt_time(self.expires_at.as_ref(), if f.is_tty() { "never" } else { "" }),
        ]
    }

    fn id(&self) -> &str {
        &self.principal_id
    }
}

async fn access_list(ctx: &Ctx, args: AccessListArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let client = ctx.client()?;
    let resource = resources::find(&client, &args.resource).await?;
    let mut out = ctx.printer.list::<AccessEntry>();
    paginate(
        args.limit,
        |after, first| resources::access_page(&client, &resource.id, after, first),
        |page| out.push_page(page),
    )
    .await?;
    out.finish()?;
    Ok(())
}

/// The principals named on the command line, resolved (every name first, before any change).
async fn resolve_principals(client: &api::Client, p: &Principals) -> Result<Vec<(PrincipalKind, Ref)>> {
    let mut out: Vec<(PrincipalKind, Ref)> = Vec::new();
    for g in &p.groups {
        out.push((PrincipalKind::Group, Ref::of(&api::groups::find(client, g).await?)));
    }
    for s in &p.service_accounts {
        out.push((PrincipalKind::ServiceAccount, service_accounts::resolve(client, s).await?));
    }
    out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    out.dedup_by(|a, b| a.1.id == b.1.id);
    Ok(out)
}

/// The policy and expiry the flags ask for, checked against the principals.
struct GroupTerms {
    policy: Patch<Ref>,
    expiry: Patch<Timestamp>,
}

async fn group_terms(client: &api::Client, args: &AccessAddArgs, replacing: bool) -> Result<GroupTerms> {
    let expiry = parse::expiry(args.expires_at.as_deref(), args.expires_in.as_deref(), Timestamp::now())?;
    let has_terms = args.security_policy.is_some() || expiry.is_some() || args.no_expiry;
    if has_terms && args.principals.groups.is_empty() {
        return Err(Error::usage("--security-policy and --expires-* apply to groups only")
            .hint("a service account's access has no security policy or expiry (its keys expire instead)"));
    }
    if has_terms && !args.principals.service_accounts.is_empty() {
        return Err(Error::usage(
            "--security-policy and --expires-* apply to groups only, and service accounts were given too",
        )
        .hint(
            "a service account's access has no security policy or expiry; grant service accounts in a separate command",
        ));
    }
    let policy = match &args.security_policy {
        Some(p) => Patch::Set(Ref::of(&security_policies::find(client, p).await?)),
        // `set` states the whole access: no policy means the resource's own.
        None if replacing => Patch::Clear,
        None => Patch::Keep,
    };
    let expiry = match expiry {
        Some(t) => Patch::Set(t),
        None if replacing || args.no_expiry => Patch::Clear,
        None => Patch::Keep,
    };
    Ok(GroupTerms { policy, expiry })
}

fn grants(principals: &[(PrincipalKind, Ref)], terms: &GroupTerms) -> Vec<Grant> {
    principals
        .iter()
        .map(|(kind, r)| match kind {
            PrincipalKind::Group => Grant {
                principal_id: r.id.clone(),
                security_policy_id: terms.policy.clone().map(|p| p.id),
                expires_at: terms.expiry.clone(),
            },
            // Service accounts take neither: leave both out.
            PrincipalKind::ServiceAccount => {
                Grant { principal_id: r.id.clone(), security_policy_id: Patch::Keep, expires_at: Patch::Keep }
            }
        })
        .collect()
}

async fn print_access(ctx: &Ctx, client: &api::Client, resource_id: &str) -> Result<Vec<AccessEntry>> {
    let access = resources::access_all(client, resource_id).await?;
    let mut out = ctx.printer.list::<AccessEntry>();
    out.push_page(access.clone())?;
    out.finish()?;
    Ok(access)
}

async fn access_add(ctx: &Ctx, args: AccessAddArgs) -> Result<()> {
    if args.principals.groups.is_empty() && args.principals.service_accounts.is_empty() {
        return Err(Error::usage("give at least one --group or --service-account"));
    }
    let client = ctx.client()?;
    let resource = resources::find(&client, &args.resource).await?;
    let terms = group_terms(&client, &args, false).await?;
    let principals = resolve_principals(&client, &args.principals).await?;
    resources::access_add(&client, &resource.id, &grants(&principals, &terms)).await?;
    let names: Vec<&str> = principals.iter().map(|(_, r)| r.name.as_str()).collect();
    ctx.printer.success(&format!("Gave {} access to resource {:?}.", names.join(", "), resource.name));
    print_access(ctx, &client, &resource.id).await.map(|_| ())
}

async fn access_remove(ctx: &Ctx, args: AccessRemoveArgs) -> Result<()> {
    if args.principals.groups.is_empty() && args.principals.service_accounts.is_empty() {
        return Err(Error::usage("give at least one --group or --service-account"));
    }
    let client = ctx.client()?;
    let resource = resources::find(&client, &args.resource).await?;
    let principals = resolve_principals(&client, &args.principals).await?;
    let names: Vec<&str> = principals.iter().map(|(_, r)| r.name.as_str()).collect();
    ctx.confirm(&format!("take access to resource {:?} away from {}", resource.name, names.join(", ")))?;
    resources::access_remove(&client, &resource.id, principals.iter().map(|(_, r)| r.id.clone()).collect()).await?;
    ctx.printer.success(&format!("Removed access to resource {:?} from {}.", resource.name, names.join(", ")));
    print_access(ctx, &client, &resource.id).await.map(|_| ())
}

/// What `access set` changes.
#[derive(Debug, Default, PartialEq, Eq)]
struct AccessDiff {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

impl AccessDiff {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn describe(kind: PrincipalKind, name: &str) -> String {
    format!("{} {name:?}", label(&kind).replace('-', " "))
}

fn policy_text(p: Option<&Ref>) -> String {
    p.map_or_else(|| "the resource's".to_owned(), |p| format!("{:?}", p.name))
}

fn expiry_text(t: Option<&Timestamp>) -> String {
    t.map_or_else(|| "never".to_owned(), ToString::to_string)
}

/// Compares the current access with the wanted one.
fn diff(before: &[AccessEntry], wanted: &[(PrincipalKind, Ref)], terms: &GroupTerms) -> AccessDiff {
    let mut d = AccessDiff::default();
    for (kind, r) in wanted {
        match before.iter().find(|e| e.principal_id == r.id) {
            None => d.added.push(describe(*kind, &r.name)),
            Some(e) if *kind == PrincipalKind::Group => {
                let mut what = Vec::new();
                let want_policy = match &terms.policy {
                    Patch::Set(p) => Some(p),
                    _ => None,
                };
                if e.security_policy.as_ref().map(|p| &p.id) != want_policy.map(|p| &p.id) {
                    what.push(format!(
                        "security policy {} -> {}",
                        policy_text(e.security_policy.as_ref()),
                        policy_text(want_policy)
                    ));
                }
                let want_expiry = match &terms.expiry {
                    Patch::Set(t) => Some(t),
                    _ => None,
                };
                if e.expires_at.as_ref() != want_expiry {
                    what.push(format!(
                        "expires {} -> {}",
                        expiry_text(e.expires_at.as_ref()),
                        expiry_text(want_expiry)
                    ));
                }
                if !what.is_empty() {
                    d.changed.push(format!("{}: {}", describe(*kind, &r.name), what.join(", ")));
                }
            }
            Some(_) => {}
        }
    }
    for e in before {
        if !wanted.iter().any(|(_, r)| r.id == e.principal_id) {
            d.removed.push(describe(e.principal_type, &e.principal_name));
        }
    }
    d
}

async fn access_set(ctx: &Ctx, args: AccessAddArgs) -> Result<()> {
    let client = ctx.client()?;
    let resource = resources::find(&client, &args.resource).await?;
    let terms = group_terms(&client, &args, true).await?;
    let principals = resolve_principals(&client, &args.principals).await?;
    let before = resources::access_all(&client, &resource.id).await?;
    let d = diff(&before, &principals, &terms);
    if d.is_empty() {
        ctx.printer.info(&format!("Access to resource {:?} is already as given; nothing changed.", resource.name));
        let mut out = ctx.printer.list::<AccessEntry>();
        out.push_page(before)?;
        out.finish()?;
        return Ok(());
    }
    if !d.removed.is_empty() {
        ctx.confirm(&format!(
            "replace the access to resource {:?}, taking it away from {}",
            resource.name,
            d.removed.join(", ")
        ))?;
    }
    resources::access_set(&client, &resource.id, &grants(&principals, &terms)).await?;
    ctx.printer.success(&format!("Replaced the access to resource {:?}:", resource.name));
    for a in &d.added {
        ctx.printer.info(&format!("  added    {a}"));
    }
    for r in &d.removed {
        ctx.printer.info(&format!("  removed  {r}"));
    }
    for c in &d.changed {
        ctx.printer.info(&format!("  changed  {c}"));
    }
    print_access(ctx, &client, &resource.id).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: PrincipalKind, id: &str, policy: Option<&str>) -> AccessEntry {
        AccessEntry {
            principal_type: kind,
            principal_id: id.into(),
            principal_name: id.to_uppercase(),
            security_policy: policy.map(|p| Ref { id: p.into(), name: p.into() }),
            expires_at: None,
        }
    }

    fn r(id: &str) -> Ref {
        Ref { id: id.into(), name: id.to_uppercase() }
    }

    #[test]
    fn access_diffs_name_added_removed_and_changed_principals() {
        let before = vec![
            entry(PrincipalKind::Group, "g1", None),
            entry(PrincipalKind::Group, "g2", Some("strict")),
            entry(PrincipalKind::ServiceAccount, "s1", None),
        ];
        let wanted =
            vec![(PrincipalKind::Group, r("g1")), (PrincipalKind::Group, r("g2")), (PrincipalKind::Group, r("g3"))];
        let terms = GroupTerms { policy: Patch::Clear, expiry: Patch::Clear };
        let d = diff(&before, &wanted, &terms);
        assert_eq!(d.added, vec!["group \"G3\""]);
        assert_eq!(d.removed, vec!["service account \"S1\""]);
        assert_eq!(d.changed, vec!["group \"G2\": security policy \"strict\" -> the resource's"]);
        let same = diff(&before[..1], &wanted[..1], &terms);
        assert!(same.is_empty());
    }
}
