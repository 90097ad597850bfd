//! `tgctl user list|get|invite|update|delete`. Users are named by e-mail address or ID.

use clap::{Args, Subcommand, ValueEnum};

use super::Ctx;
use crate::api::users::{self, Details, Filter, Role, User, UserState};
use crate::api::{NameFilter, label, paginate};
use crate::error::{Error, Result};
use crate::output::{Fmt, Tabular};

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// List users
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl user list
  tgctl user list --role admin --role devops
  tgctl user list --state pending --email-suffix @example.com -o json"
    )]
    List(ListUsersArgs),
    /// Show a user and their groups
    #[command(after_help = "Examples:
  tgctl user get ada@example.com
  tgctl user get VXNlcjox -o json")]
    Get(UserArg),
    /// Invite a user: they are pending until they accept
    #[command(after_help = "Examples:
  tgctl user invite ada@example.com --first-name Ada --last-name Lovelace --send-invite
  tgctl user invite grace@example.com --role devops -o id")]
    Invite(InviteArgs),
    /// Change a user's role, name or state
    #[command(after_help = "Examples:
  tgctl user update ada@example.com --role admin
  tgctl user update ada@example.com --state disabled
  tgctl user update VXNlcjox --first-name Ada --last-name King

Only active users can be disabled (and disabled ones enabled); pending users must accept their
invitation first.")]
    Update(UpdateArgs),
    /// Delete a user
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl user delete ada@example.com          # asks for confirmation on a terminal
  tgctl user delete ada@example.com --yes    # scripts"
    )]
    Delete(UserArg),
}

#[derive(Debug, Args)]
pub(crate) struct ListUsersArgs {
    /// Stop after this many rows
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Exact e-mail address
    #[arg(long, value_name = "EMAIL")]
    pub(crate) email: Option<String>,
    /// E-mail address contains this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) email_contains: Option<String>,
    /// E-mail address matches this regular expression (evaluated by the API)
    #[arg(long, value_name = "REGEX")]
    pub(crate) email_regex: Option<String>,
    /// E-mail address starts with this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) email_prefix: Option<String>,
    /// E-mail address ends with this text (e.g. @example.com)
    #[arg(long, value_name = "TEXT")]
    pub(crate) email_suffix: Option<String>,
    /// Exact first name
    #[arg(long, value_name = "NAME")]
    pub(crate) first_name: Option<String>,
    /// Exact last name
    #[arg(long, value_name = "NAME")]
    pub(crate) last_name: Option<String>,
    /// Only users with this role; repeat for several
    #[arg(long, value_enum)]
    pub(crate) role: Vec<Role>,
    /// Only users in this state; repeat for several
    #[arg(long, value_enum)]
    pub(crate) state: Vec<UserState>,
}

#[derive(Debug, Args)]
pub(crate) struct UserArg {
    /// E-mail address or ID of the user
    pub(crate) user: String,
}

#[derive(Debug, Args)]
pub(crate) struct InviteArgs {
    /// E-mail address of the new user
    pub(crate) email: String,
    #[arg(long)]
    pub(crate) first_name: Option<String>,
    #[arg(long)]
    pub(crate) last_name: Option<String>,
    /// Role (default: the API's, member)
    #[arg(long, value_enum)]
    pub(crate) role: Option<Role>,
    /// E-mail the invitation to the user
    #[arg(long)]
    pub(crate) send_invite: bool,
}

/// The states an administrator may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SettableState {
    Active,
    Disabled,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// E-mail address or ID of the user
    pub(crate) user: String,
    /// New role
    #[arg(long, value_enum)]
    pub(crate) role: Option<Role>,
    #[arg(long)]
    pub(crate) first_name: Option<String>,
    #[arg(long)]
    pub(crate) last_name: Option<String>,
    /// Enable or disable the user
    #[arg(long, value_enum)]
    pub(crate) state: Option<SettableState>,
}

impl Tabular for User {
    fn headers() -> &'static [&'static str] {
        &["id", "email", "name", "role", "state", "type", "created"]
    }

    fn cells(&self, f: &Fmt) -> Vec<String> {
        vec![
            self.id.clone(),
            f.opt(self.email.as_deref()),
            self.full_name(),
            label(&self.role),
            label(&self.state),
            self.user_type.clone(),
            f.time(&self.created_at),
        ]
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn details(&self, f: &Fmt) -> Vec<(&'static str, String)> {
        let mut d: Vec<(&'static str, String)> = Self::headers().iter().copied().zip(self.cells(f)).collect();
        if let Some(groups) = &self.groups {
            d.push(("groups", f.list(&groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(), "none")));
        }
        d.push(("updated", f.time(&self.updated_at)));
        d
    }
}

pub(crate) async fn run(ctx: &Ctx, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::List(a) => list(ctx, a).await,
        UserCommand::Get(a) => get(ctx, a).await,
        UserCommand::Invite(a) => invite(ctx, a).await,
        UserCommand::Update(a) => update(ctx, a).await,
        UserCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn list(ctx: &Ctx, args: ListUsersArgs) -> Result<()> {
    if args.limit == Some(0) {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let client = ctx.client()?;
    let (mut role, mut state) = (args.role.clone(), args.state.clone());
    role.dedup();
    state.dedup();
    let filter = Filter {
        email: NameFilter {
            eq: args.email.clone(),
            contains: args.email_contains.clone(),
            regexp: args.email_regex.clone(),
            starts_with: args.email_prefix.clone(),
            ends_with: args.email_suffix.clone(),
        },
        first_name: args.first_name.clone(),
        last_name: args.last_name.clone(),
        roles: role,
        states: state,
    };
    let mut out = ctx.printer.list::<User>();
    paginate(args.limit, |after, first| users::list_page(&client, &filter, after, first), |page| out.push_page(page))
        .await?;
    out.finish()?;
    Ok(())
}

async fn get(ctx: &Ctx, args: UserArg) -> Result<()> {
    let client = ctx.client()?;
    let found = users::find(&client, &args.user).await?;
    let user = match found.groups {
        Some(_) => found,
        None => users::get(&client, &found.id)
            .await?
            .ok_or_else(|| Error::not_found(format!("user {} was deleted meanwhile", found.label())))?,
    };
    ctx.printer.object(&user)
}

async fn invite(ctx: &Ctx, args: InviteArgs) -> Result<()> {
    let email = args.email.trim();
    let valid = email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !valid || email.contains(char::is_whitespace) {
        return Err(Error::usage(format!("{:?} is not an e-mail address", args.email)));
    }
    let client = ctx.client()?;
    let user =
        users::invite(&client, email, args.first_name.clone(), args.last_name.clone(), args.role, args.send_invite)
            .await?;
    let how =
        if args.send_invite { "an invitation was e-mailed" } else { "no e-mail was sent (--send-invite sends one)" };
    ctx.printer.success(&format!("Invited {} ({}); {how}. They are pending until they accept.", email, user.id));
    ctx.printer.object(&user)
}

async fn update(ctx: &Ctx, args: UpdateArgs) -> Result<()> {
    let details = Details {
        first_name: args.first_name.clone(),
        last_name: args.last_name.clone(),
        active: args.state.map(|s| s == SettableState::Active),
    };
    if details.is_empty() && args.role.is_none() {
        return Err(Error::usage("nothing to change").hint("pass --role, --first-name, --last-name or --state"));
    }
    let client = ctx.client()?;
    let target = users::find(&client, &args.user).await?;
    if details.active.is_some() && target.state == UserState::Pending {
        return Err(Error::rejected(format!(
            "user {} has not accepted their invitation yet (pending); only active users can be disabled or enabled",
            target.label()
        ))
        .hint("to stop a pending invitation, delete the user: `tgctl user delete EMAIL`"));
    }
    let mut user = target.clone();
    if !details.is_empty() {
        user = users::update_details(&client, &target.id, &details).await?;
    }
    if let Some(role) = args.role {
        user = users::update_role(&client, &target.id, role).await.map_err(|e| {
            if details.is_empty() {
                e
            } else {
                let hint = format!("the name or state of {} was changed; the role was not", target.label());
                Error { hint: Some(e.hint.map_or(hint.clone(), |h| format!("{h}; {hint}"))), ..e }
            }
        })?;
    }
    ctx.printer.success(&format!("Updated user {}.", user.label()));
    ctx.printer.object(&user)
}

async fn delete(ctx: &Ctx, args: UserArg) -> Result<()> {
    let client = ctx.client()?;
    let target = users::find(&client, &args.user).await?;
    ctx.confirm(&format!("delete user {} ({}, {})", target.label(), target.full_name(), target.id))?;
    users::delete(&client, &target.id).await?;
    ctx.printer.success(&format!("Deleted user {}.", target.label()));
    ctx.printer.deleted(&target.id, &target.label())
}
