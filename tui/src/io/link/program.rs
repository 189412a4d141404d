//! `tui link`: the link between B and A as a program of its own, to run on
//! B's host or in a container when A is elsewhere. The same link as the
//! dashboard's, with the same toxiproxy API (one proxy, `service_a`).

use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Limits, Link, api};
use crate::platform::signals::QuitSignals;

/// `tui link`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct LinkArgs {
    /// Where the link listens for B (start B with `--service-a-url http://THIS`).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,

    /// Where A answers (`http://HOST:PORT`); the link forwards each of B's
    /// connections there.
    #[arg(long, value_name = "URL")]
    pub to: reqwest::Url,

    /// Where the toxiproxy API listens (toxiproxy-cli, toxiproxy-python and
    /// the dashboard's faults drive the link through it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8474")]
    pub api: SocketAddr,

    /// Seed of the link's chance (toxicity, jitter): the same seed loses the
    /// same connections. Default: a fresh one, printed at start.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs the link until SIGINT or SIGTERM (Ctrl-C, Ctrl-Break on Windows).
pub fn main(args: LinkArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tui link: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tui link: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: LinkArgs) -> Result<(), String> {
    let host = args.to.host_str().ok_or_else(|| format!("--to {}: no host", args.to))?;
    let port = args.to.port_or_known_default().ok_or_else(|| format!("--to {}: no port", args.to))?;
    let target = tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|error| format!("--to {}: cannot resolve {host}: {error}", args.to))?
        .next()
        .ok_or_else(|| format!("--to {}: {host} has no address", args.to))?;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let (_target, receiver) = watch::channel(target);
    let (link, run_link) = Link::bind(args.listen, receiver, seed, Limits::default())
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    // The address asked for, or an error: a program's API does not move to another port.
    let listener =
        TcpListener::bind(args.api).await.map_err(|error| format!("cannot listen on {} (--api): {error}", args.api))?;
    let api_addr = listener.local_addr().map_err(|error| error.to_string())?;
    if !api_addr.ip().is_loopback() {
        eprintln!(
            "tui link: warning: the API on {api_addr} has no authentication (as toxiproxy's): anyone who reaches it \
             can break the link"
        );
    }
    let mut signals = QuitSignals::listen().map_err(|error| format!("cannot listen for signals: {error}"))?;
    eprintln!(
        "tui link: B → {} → A {target} (--to {}); toxiproxy API on {api_addr}; seed {seed}",
        link.addr(),
        args.to
    );
    tokio::select! {
        () = run_link => Err("the link stopped".into()),
        served = api::serve(listener, link) => Err(format!("the API stopped: {}", served.err().map_or_else(String::new, |e| e.to_string()))),
        name = signals.recv() => {
            eprintln!("tui link: {name}: stopping");
            Ok(())
        }
    }
}
