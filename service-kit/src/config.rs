//! The logging flags both services take (`--log-dir`, `--log-format`, ...).

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};

/// How and where a service writes its log lines.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Directory for the rotating log files (created if missing).
    #[arg(long, env = "LOG_DIR", default_value = contract::DEFAULT_LOG_DIR)]
    pub log_dir: PathBuf,

    /// Line format on stdout and in the files.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// When to start a new log file.
    #[arg(long, env = "LOG_ROTATION", value_enum, default_value_t = LogRotation::Daily)]
    pub log_rotation: LogRotation,

    /// How many log files to keep; older ones are deleted at rotation.
    #[arg(long, env = "LOG_MAX_FILES", default_value_t = contract::DEFAULT_LOG_MAX_FILES,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    pub log_max_files: usize,

    /// Send each request's span to this OpenTelemetry collector over
    /// OTLP/HTTP (JSON), e.g. http://localhost:4318 (built with `--features otlp`).
    #[cfg(feature = "otlp")]
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_name = "URL")]
    pub otlp_endpoint: Option<String>,
}

/// The shape of each log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `2026-02-04 14:29:46,799 service=A endpoint=/echo status=ok ...` (the lab's shape).
    Text,
    /// One JSON object per line, for log tools.
    Json,
}

/// How often the log file rotates (file names carry the UTC date and time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogRotation {
    Minutely,
    Hourly,
    Daily,
    Never,
}

/// The limits that keep one client from holding the service (SPEC: Hostile
/// clients and limits).
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Most client connections open at once; past it new ones wait in the
    /// kernel's queue (and the log says so once).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|n| n as usize))]
    pub max_connections: usize,

    /// A client must send its whole request head within this many milliseconds
    /// (from connecting, or from the first byte of a later request), or it is disconnected.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub header_timeout_ms: u64,

    /// An idle keep-alive connection is closed after this many milliseconds.
    #[arg(long, default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub idle_timeout_ms: u64,

    /// On SIGINT/SIGTERM, in-flight requests get at most this many milliseconds
    /// to finish; what is left is then cut (and logged as cut). A's `delay_ms`
    /// waits end at once, and a request head not yet whole gets at most 1 s.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub shutdown_grace_ms: u64,

    /// Threads that serve requests: 1 (the default) runs everything on one
    /// thread, 0 is one per core, N spreads the work over N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=1024).map(usize::from))]
    pub threads: usize,
}

impl Default for ServerArgs {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            shutdown_grace_ms: 10_000,
            threads: 1,
        }
    }
}

/// Where a service listens: `127.0.0.1:8080`, `[::1]:8080` or `localhost:8080`.
/// A host name is resolved when the service binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr(String);

impl ListenAddr {
    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ListenAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("{text:?} is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, localhost:8080)"))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!("{text:?} is not HOST:PORT with a port from 0 to 65535"));
        }
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(format!("{text:?}: write an IPv6 address in brackets, e.g. [::1]:8080"));
        }
        Ok(Self(text.to_owned()))
    }
}

impl From<std::net::SocketAddr> for ListenAddr {
    fn from(addr: std::net::SocketAddr) -> Self {
        Self(addr.to_string())
    }
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
