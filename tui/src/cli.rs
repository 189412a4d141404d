//! The dashboard's flags and environment variables.

use std::path::PathBuf;

use clap::Parser;
use contract::Service;
use reqwest::Url;

/// Command line of the dashboard.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "tui",
    version,
    about = "Dashboard for services A and B: send requests, watch answers, latencies and logs, break A on purpose.",
    after_help = "Services that do not answer at their URL are started as children of the dashboard \
                  (unless --attach) and stopped when it exits. Press ? in the dashboard for the keys."
)]
pub struct Cli {
    /// Base URL of service A.
    #[arg(long, env = "SERVICE_A_URL", default_value = Service::A.default_url())]
    pub a_url: Url,

    /// Base URL of service B.
    #[arg(long, env = "SERVICE_B_URL", default_value = Service::B.default_url())]
    pub b_url: Url,

    /// Directory of the services' log files (followed live; reports go here too).
    #[arg(long, env = "LOG_DIR", default_value = contract::DEFAULT_LOG_DIR)]
    pub log_dir: PathBuf,

    /// Never start services; only attach to those already running.
    #[arg(long)]
    pub attach: bool,

    /// B's timeout for its call to A, in ms: given to a B the dashboard starts,
    /// drawn on the latency chart, and the base of the slow request's delay.
    #[arg(long, env = "SERVICE_A_TIMEOUT_MS", default_value_t = contract::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,

    /// Requests in a burst (key `l`).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub burst_requests: u64,

    /// Requests in flight at once during a burst.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub burst_concurrency: u64,
}

impl Cli {
    /// The delay of the slow request (`s`): well past B's timeout.
    pub fn slow_delay_ms(&self) -> u64 {
        (self.timeout_ms + 1_000).min(contract::params::MAX_DELAY_MS)
    }
}
