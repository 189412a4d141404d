//! The dashboard's flags and environment variables, and [`Settings`]: the one
//! place their defaults live. Everything else reads `Settings`.

use std::path::PathBuf;

use clap::Parser;
use contract::Service;
use reqwest::Url;

use crate::io::tail::Sources;

/// toxiproxy's own port, where its clients look for the link's API.
pub const LINK_API_PORT: u16 = 8474;

/// The dashboard's command line (the `tui` binary without a subcommand).
#[derive(Debug, Clone, Parser)]
#[command(name = "tui")]
pub struct DashboardArgs {
    /// Base URL of service A.
    #[arg(long, env = "SERVICE_A_URL", default_value = Service::A.default_url())]
    pub a_url: Url,

    /// Base URL of service B.
    #[arg(long, env = "SERVICE_B_URL", default_value = Service::B.default_url())]
    pub b_url: Url,

    /// Directory of the services' log files (followed live; reports go here too).
    #[arg(long, env = "LOG_DIR", default_value = contract::DEFAULT_LOG_DIR)]
    pub log_dir: PathBuf,

    /// B's admin listener, for a B started by hand with `--admin-addr`: the
    /// keys + - R c d change B's call policy through it. (A B the dashboard
    /// starts gets one of its own.)
    #[arg(long, env = "SERVICE_B_ADMIN_URL")]
    pub b_admin_url: Option<Url>,

    /// A's admin listener, for an A started by hand with `--admin-addr`: the
    /// faults menu (x) sets A's faults through it. (An A the dashboard starts
    /// gets one of its own.)
    #[arg(long, env = "SERVICE_A_ADMIN_URL")]
    pub a_admin_url: Option<Url>,

    /// Where A's log is read: a directory of its files, or the URL of its
    /// admin listener (its `GET /logs` stream, for an A on another host;
    /// the token from ADMIN_TOKEN). Default: the log directory.
    #[arg(long, value_name = "DIR|URL", value_parser = parse_logs)]
    pub a_logs: Option<Sources>,

    /// The same for B's log.
    #[arg(long, value_name = "DIR|URL", value_parser = parse_logs)]
    pub b_logs: Option<Sources>,

    /// Never start services; only attach to those already running.
    #[arg(long)]
    pub attach: bool,

    /// Start this instead of the built-in A (your own implementation), e.g.
    /// "python3 service_a.py {port}". {port}, {a_url} and {log_dir} are
    /// replaced, and PORT, SERVICE_A_URL, LOG_DIR set in its environment; what
    /// it writes to the console goes into service-a.DATE.log in the log
    /// directory. Split into words like a shell would, run without one.
    #[arg(long, value_name = "CMD", value_parser = parse_command, conflicts_with = "attach")]
    pub a_cmd: Option<CommandLine>,

    /// The same for B ({a_url} is where B must call A: the link).
    #[arg(long, value_name = "CMD", value_parser = parse_command, conflicts_with = "attach")]
    pub b_cmd: Option<CommandLine>,

    /// B's timeout for its call to A, in ms: given to a B the dashboard starts,
    /// drawn on the latency chart, and the base of the slow request's delay.
    #[arg(long, env = "SERVICE_A_TIMEOUT_MS", default_value_t = contract::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,

    /// Requests per second of the steady load (key `l`), evenly spaced.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub load_rate: u32,

    /// Latency the link adds to A's answers in its `delay` mode (key `n`), in ms.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub link_delay_ms: u64,

    /// Jitter of the link's delay: each answer is held delay ± up to this, in ms.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub link_jitter_ms: u64,

    /// Where the link listens for B (B started by hand: `--service-a-url http://THIS`).
    /// Port 0: a free port, shown on screen.
    #[arg(long, env = "LINK_ADDR", default_value = "127.0.0.1:0")]
    pub link_addr: std::net::SocketAddr,

    /// The link's toxiproxy API (toxiproxy-cli, toxiproxy-python and the other
    /// clients drive the link through it); when the port is taken, a free one.
    /// An http:// URL instead drives an external link (`tui link` on B's
    /// host, or toxiproxy) through its API: the keys set its toxics.
    #[arg(long, env = "LINK_API", value_name = "ADDR|URL", value_parser = parse_link_api,
          default_value_t = LinkApi::Serve(std::net::SocketAddr::from(([127, 0, 0, 1], LINK_API_PORT))))]
    pub link_api: LinkApi,

    /// Seed of every draw of chance on the link (toxicity, jitter) and in A's
    /// faults (when the dashboard starts A): the same seed loses the same
    /// requests. Default: a fresh one, shown in the report.
    #[arg(long, env = "LINK_SEED")]
    pub seed: Option<u64>,

    /// Requests in a burst (key `L`).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub burst_requests: u64,

    /// Requests in flight at once during a burst.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub burst_concurrency: u64,
}

/// Fixed facts about this session, read from the flags once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub a_url: Url,
    pub b_url: Url,
    /// B's admin listener, for a B started by hand.
    pub b_admin_url: Option<Url>,
    /// A's admin listener, for an A started by hand.
    pub a_admin_url: Option<Url>,
    pub log_dir: PathBuf,
    /// Where each service's log is read (A, B).
    pub logs: [Sources; 2],
    /// Never start anything.
    pub attach: bool,
    /// `--a-cmd`, `--b-cmd`: the words of the command that runs each service
    /// instead of the built-in one, placeholders not yet replaced.
    pub commands: [Option<CommandLine>; 2],
    pub timeout_ms: u64,
    pub load_rate: u32,
    pub link_delay_ms: u64,
    pub link_jitter_ms: u64,
    pub link_addr: std::net::SocketAddr,
    pub link_api: LinkApi,
    /// The link's seed (drawn when not given).
    pub seed: u64,
    pub burst_requests: u64,
    pub burst_concurrency: u64,
    /// This machine's offset from UTC: the lab's own lines (`--a-cmd`,
    /// `--b-cmd`) are in local time, as Python's logging writes them. Read
    /// once, before any thread starts ([`local_offset`]); UTC until then.
    pub local_offset: time::UtcOffset,
}

/// This machine's offset from UTC now. Call it before the async runtime
/// starts: on some systems it can only be read while the process has one
/// thread, and it is UTC when it cannot be read.
pub fn local_offset() -> time::UtcOffset {
    time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC)
}

impl From<DashboardArgs> for Settings {
    fn from(args: DashboardArgs) -> Self {
        let DashboardArgs {
            a_url,
            b_url,
            b_admin_url,
            a_admin_url,
            log_dir,
            a_logs,
            b_logs,
            attach,
            a_cmd,
            b_cmd,
            timeout_ms,
            load_rate,
            link_delay_ms,
            link_jitter_ms,
            link_addr,
            link_api,
            seed,
            burst_requests,
            burst_concurrency,
        } = args;
        // Absolute, so the screen and the report say exactly where the logs are.
        let log_dir = std::path::absolute(&log_dir).unwrap_or(log_dir);
        let files = || Sources::Files(log_dir.clone());
        let logs = [a_logs.unwrap_or_else(files), b_logs.unwrap_or_else(files)];
        Self {
            a_url,
            b_url,
            b_admin_url,
            a_admin_url,
            log_dir,
            logs,
            attach,
            commands: [a_cmd, b_cmd],
            timeout_ms,
            load_rate,
            link_delay_ms,
            link_jitter_ms,
            link_addr,
            link_api,
            seed: seed.unwrap_or_else(|| fastrand::u64(..)),
            burst_requests,
            burst_concurrency,
            local_offset: time::UtcOffset::UTC,
        }
    }
}

/// The link's toxiproxy API: served by the dashboard, or another program's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkApi {
    /// The dashboard's own link, its API served at this address.
    Serve(std::net::SocketAddr),
    /// An external link, driven through its API at this URL.
    Drive(Url),
}

impl std::fmt::Display for LinkApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkApi::Serve(addr) => write!(f, "{addr}"),
            LinkApi::Drive(url) => write!(f, "{url}"),
        }
    }
}

fn parse_link_api(text: &str) -> Result<LinkApi, String> {
    if text.starts_with("http://") || text.starts_with("https://") {
        return Url::parse(text).map(LinkApi::Drive).map_err(|error| format!("{text:?} is not a URL: {error}"));
    }
    text.parse().map(LinkApi::Serve).map_err(|error| format!("{text:?}: {error} (give IP:PORT, or an http:// URL)"))
}

/// `--a-logs`: an `http(s)://` URL is an admin listener (`/logs` is added
/// when the path does not end in it), anything else a directory.
fn parse_logs(text: &str) -> Result<Sources, String> {
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        let dir = PathBuf::from(text);
        return Ok(Sources::Files(std::path::absolute(&dir).unwrap_or(dir)));
    }
    let mut url = Url::parse(text).map_err(|error| format!("{text:?} is not a URL: {error}"))?;
    if !url.path().trim_end_matches('/').ends_with("/logs") {
        let path = format!("{}/logs", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    Ok(Sources::Stream(url))
}

/// The words of `--a-cmd` / `--b-cmd`: a program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine(pub Vec<String>);

/// `--a-cmd`'s words: quotes as a shell reads them, at least a program.
fn parse_command(text: &str) -> Result<CommandLine, String> {
    let words = shell_words::split(text).map_err(|error| format!("{error} in {text:?}"))?;
    if words.is_empty() {
        return Err("give the command to run, e.g. \"python3 service_a.py {port}\"".into());
    }
    Ok(CommandLine(words))
}

impl Default for Settings {
    /// The settings of a dashboard started with no flags.
    fn default() -> Self {
        Self::from(DashboardArgs::parse_from(["tui"]))
    }
}

impl Settings {
    /// The delay of the slow request (`s`): 300 ms past B's starting timeout,
    /// so B gives up on it, and two presses of `+` (B waits 500 ms longer) let
    /// it through.
    pub fn slow_delay_ms(&self) -> u64 {
        (self.timeout_ms + 300).min(contract::params::MAX_DELAY_MS)
    }

    /// The offset of the times in `service`'s lines: local for another
    /// implementation (the lab's Python logging), UTC for this project's.
    pub fn log_offset(&self, service: Service) -> time::UtcOffset {
        if self.commands[service.index()].is_some() { self.local_offset } else { time::UtcOffset::UTC }
    }

    /// What the faults' presets depend on.
    pub fn fault_params(&self) -> crate::faults::Params {
        crate::faults::Params { delay_ms: self.link_delay_ms, jitter_ms: self.link_jitter_ms }
    }

    /// The URL of `service`.
    pub fn url(&self, service: Service) -> &Url {
        match service {
            Service::A => &self.a_url,
            Service::B => &self.b_url,
        }
    }

    /// The URL of `service` as the screen shows it (no trailing `/`).
    pub fn display_url(&self, service: Service) -> &str {
        self.url(service).as_str().trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_services_defaults() {
        let settings = Settings::from(DashboardArgs::parse_from(["tui"]));
        assert_eq!(settings.display_url(Service::A), Service::A.default_url());
        assert_eq!(settings.display_url(Service::B), Service::B.default_url());
        assert_eq!((settings.timeout_ms, settings.slow_delay_ms()), (1000, 1300));
        assert_eq!((settings.burst_requests, settings.burst_concurrency), (200, 20));
        assert!(settings.log_dir.is_absolute() && settings.log_dir.ends_with("logs"), "{:?}", settings.log_dir);
    }

    #[test]
    fn the_slow_delay_stays_within_what_a_accepts() {
        let settings = Settings::from(DashboardArgs::parse_from(["tui", "--timeout-ms", "600000"]));
        assert_eq!(settings.slow_delay_ms(), contract::params::MAX_DELAY_MS);
    }
}
