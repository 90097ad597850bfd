//! `tgctl completions SHELL`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Ctx};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl completions bash > /etc/bash_completion.d/tgctl
  tgctl completions zsh > \"${fpath[1]}/_tgctl\"
  tgctl completions fish > ~/.config/fish/completions/tgctl.fish")]
pub(crate) struct CompletionsArgs {
    /// Shell to generate completions for
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

pub(crate) fn run(ctx: &Ctx, args: CompletionsArgs) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "tgctl", &mut buf);
    let text = String::from_utf8(buf).map_err(|_| Error::internal("completions are not UTF-8"))?;
    ctx.printer.raw(&text)
}
