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
