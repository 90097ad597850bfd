//! `tgctl forward LOCAL_PORT HOST:PORT`: a local TCP port tunnelled through the connection
//! (see `crate::connect::forward`). Foreground; Ctrl-C (or SIGTERM) stops it.

use std::net::SocketAddr;

use clap::Args;

use super::Ctx;
use crate::connect::forward::{self, Forward, Via};
use crate::connect::process::Signals;
use crate::connect::state::State;
use crate::error::{Error, Kind, Result};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # After `tgctl connect --wait` (proxy mode): psql through the client's proxy
  tgctl forward 15432 db.internal:5432 &
  psql -h 127.0.0.1 -p 15432 -U app

  # Several at once
  tgctl forward --forward 15432:db.internal:5432 --forward 16379:cache.internal:6379

Connections go through the HTTP proxy of the connection `tgctl connect` made in proxy mode
(or --proxy), with CONNECT; without a proxy (TUN mode) they are dialled directly. The listeners
are on 127.0.0.1 only. `tgctl connect --forward LOCAL_PORT:HOST:PORT` runs the same in the
background until `tgctl disconnect`.")]
pub(crate) struct ForwardArgs {
    /// The port to listen on, on 127.0.0.1
    #[arg(value_name = "LOCAL_PORT", requires = "target")]
    pub(crate) local_port: Option<String>,
    /// Where connections go
    #[arg(value_name = "HOST:PORT")]
    pub(crate) target: Option<String>,
    /// More forwards (repeatable)
    #[arg(long = "forward", value_name = "LOCAL_PORT:HOST:PORT")]
    pub(crate) forward: Vec<String>,
    /// The HTTP proxy to tunnel through [default: the one `tgctl connect` started]
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "direct")]
    pub(crate) proxy: Option<String>,
    /// Dial targets directly, without a proxy (TUN mode)
    #[arg(long)]
    pub(crate) direct: bool,
    /// Print `ready PORT...` on stdout once listening (for `connect --forward`)
    #[arg(long, hide = true)]
    pub(crate) ready_line: bool,
}

pub(crate) async fn run(ctx: &Ctx, args: ForwardArgs) -> Result<()> {
    let mut forwards: Vec<Forward> = Vec::new();
    if let (Some(l), Some(t)) = (&args.local_port, &args.target) {
        forwards.push(forward::parse_pair(l, t).map_err(Error::usage)?);
    }
    for f in &args.forward {
        forwards.push(forward::parse_spec(f).map_err(|e| Error::usage(format!("--forward {e}")))?);
    }
    if forwards.is_empty() {
        return Err(Error::usage("nothing to forward").hint("tgctl forward LOCAL_PORT HOST:PORT"));
    }
    let via = if args.direct {
        Via::Direct
    } else if let Some(p) = &args.proxy {
        Via::Proxy(parse_proxy(p)?)
    } else {
        let recorded = State::load(&ctx.env)?.and_then(|s| s.proxy.clone());
        match recorded {
            Some(p) => Via::Proxy(parse_proxy(&p)?),
            None => {
                ctx.printer
                    .info("No proxy recorded by `tgctl connect` (TUN mode, or not connected): dialling directly");
                Via::Direct
            }
        }
    };
    let mut signals = Signals::new()?;
    let bound = forward::bind(&forwards).await.map_err(|e| Error::new(Kind::Io, e))?;
    let through = match via {
        Via::Proxy(p) => format!(" through the proxy {p}"),
        Via::Direct => String::new(),
    };
    for (_, f) in &bound {
        ctx.printer.info(&format!("Forwarding {f}{through}"));
    }
    if args.ready_line {
        let ports: Vec<String> = bound.iter().map(|(_, f)| f.local.to_string()).collect();
        ctx.printer.raw(&format!("ready {}", ports.join(" ")))?;
    }
    let printer = ctx.printer.clone();
    tokio::select! {
        () = forward::serve(bound, via, move |m| printer.warn(&m)) => {}
        sig = signals.recv() => ctx.printer.info(&format!("Stopped forwarding ({sig})")),
    }
    Ok(())
}

/// `127.0.0.1:PORT`, `[::1]:PORT` or `http://127.0.0.1:PORT`.
fn parse_proxy(text: &str) -> Result<SocketAddr> {
    let t = text.trim().trim_start_matches("http://").trim_end_matches('/');
    t.parse().map_err(|_| Error::usage(format!("--proxy {text:?} is not IP:PORT (e.g. 127.0.0.1:8080)")))
}
