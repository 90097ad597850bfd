//! `tgctl help [COMMAND...|environment|exit-codes]`.

use clap::Args;

use super::Ctx;
use crate::config::env::VARS;
use crate::error::{Error, Result, exit_codes_markdown, exit_codes_text};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tgctl help environment
  tgctl help exit-codes
  tgctl help exit-codes --markdown
  tgctl help resource access add")]
pub(crate) struct HelpArgs {
    /// A command path (e.g. `service-key create`) or a topic: environment, exit-codes
    pub(crate) topic: Vec<String>,
    /// Print the exit-code table as Markdown (the copy in the docs)
    #[arg(long)]
    pub(crate) markdown: bool,
}

pub(crate) fn run(ctx: &Ctx, args: HelpArgs) -> Result<()> {
    let topic: Vec<&str> = args.topic.iter().map(String::as_str).collect();
    let text = match topic.as_slice() {
        ["environment" | "env"] => environment(),
        ["exit-codes" | "exit-code"] if args.markdown => exit_codes_markdown(),
        ["exit-codes" | "exit-code"] => exit_codes_text(),
        _ if args.markdown => return Err(Error::usage("--markdown is for `tgctl help exit-codes`")),
        path => command_help(path)?,
    };
    ctx.printer.raw(&text)
}

fn environment() -> String {
    let mut s = String::from(
        "Environment variables read by tgctl (empty counts as unset).\n\
         Every setting is taken from a flag, else the environment, else the profile in config.toml;\n\
         `tgctl auth status` shows where each value came from.\n\n",
    );
    for v in VARS.iter().filter(|v| v.documented) {
        s.push_str(&format!("  {}\n      {}\n", v.name, v.help));
        if let Some(r) = crate::config::env::numeric_range(v.name) {
            s.push_str(&format!("      Range: {} to {}.\n", r.min, r.max));
        }
    }
    s
}

fn command_help(path: &[&str]) -> Result<String> {
    let mut cmd = super::command();
    cmd.build();
    let mut current = &mut cmd;
    for name in path {
        let Some(next) = current.find_subcommand_mut(name) else {
            return Err(Error::usage(format!("no command or topic {:?}", path.join(" ")))
                .hint("topics: environment, exit-codes; commands: `tgctl --help`"));
        };
        current = next;
    }
    Ok(current.render_long_help().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_paths_render() {
        assert!(environment().contains("TWINGATE_API_TOKEN"));
        assert!(!environment().contains("TGCTL_BACKOFF_SCALE"));
        assert!(exit_codes_text().contains("130"));
        assert!(command_help(&["service-key", "create"]).unwrap().contains("--key-file"));
        assert!(command_help(&["nope"]).is_err());
    }
}
