//! `tgctl service-account list|get|create|update|delete`: the flags, shared by every
//! provider's verbs ([`twingate`] here, Firezone's in `commands::firezone::service_account`).

pub(crate) mod twingate;

use clap::{Args, Subcommand};

use super::ListArgs;

#[derive(Debug, Subcommand)]
pub(crate) enum ServiceAccountCommand {
    /// List service accounts
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  tgctl service-account list
  tgctl service-account list --name-prefix ci- -o json
  tgctl service-account list --limit 10 -o id"
    )]
    List(ListArgs),
    /// Show a service account with its resources and keys
    #[command(after_help = "Examples:
  tgctl service-account get ci-deployer
  tgctl service-account get U2VydmljZUFjY291bnQ6... -o json")]
    Get(GetArgs),
    /// Create a service account, optionally with resources
    #[command(after_help = "Examples:
  tgctl service-account create ci-deployer
  tgctl service-account create ci-deployer --resource prod-db --resource grafana
  tgctl service-account create ci-deployer -o id   # prints the new ID only
  tgctl --provider firezone service-account create ci-deployer --add-group ci")]
    Create(CreateArgs),
    /// Rename a service account or change its resources
    #[command(after_help = "Examples:
  tgctl service-account update ci-deployer --name ci-deployer-prod
  tgctl service-account update ci-deployer --add-resource grafana --remove-resource prod-db
  tgctl --provider firezone service-account update ci-deployer --add-group ci --remove-group old")]
    Update(UpdateArgs),
    /// Delete a service account (its keys stop working)
    #[command(
        visible_alias = "rm",
        after_help = "Examples:
  tgctl service-account delete ci-deployer          # asks for confirmation on a terminal
  tgctl service-account delete ci-deployer --yes    # scripts"
    )]
    Delete(GetArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// Name or ID of the service account
    pub(crate) service_account: String,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the new service account
    pub(crate) name: String,
    /// Resource (name or ID) the account may reach; repeat for several
    #[arg(long = "resource", value_name = "RESOURCE")]
    pub(crate) resources: Vec<String>,
    /// Firezone: group (name or ID) to add the account to; repeatable
    #[arg(long = "add-group", value_name = "GROUP")]
    pub(crate) add_groups: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name or ID of the service account
    pub(crate) service_account: String,
    /// New name
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Resource (name or ID) to give access to; repeatable
    #[arg(long = "add-resource", value_name = "RESOURCE")]
    pub(crate) add_resources: Vec<String>,
    /// Resource (name or ID) to take access from; repeatable
    #[arg(long = "remove-resource", value_name = "RESOURCE")]
    pub(crate) remove_resources: Vec<String>,
    /// Firezone: group (name or ID) to add the account to; repeatable
    #[arg(long = "add-group", value_name = "GROUP")]
    pub(crate) add_groups: Vec<String>,
    /// Firezone: group (name or ID) to remove the account from; repeatable
    #[arg(long = "remove-group", value_name = "GROUP")]
    pub(crate) remove_groups: Vec<String>,
}
