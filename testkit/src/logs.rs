//! Reading a service's log files the way the dashboard does, through the contract's parser.

use std::path::{Path, PathBuf};

use contract::{LogRecord, Service, files};

/// The raw lines of `service`'s log files, oldest file first.
pub fn log_lines(log_dir: &Path, service: Service) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(log_dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| files::is_log_file_of(service, &path.file_name().unwrap().to_string_lossy()))
        // Only regular files: a test may plant a FIFO under a log file's name.
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .flat_map(|bytes| String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// Every parsed line of `service`'s log files; panics on a line that does not parse.
pub fn log_records(log_dir: &Path, service: Service) -> Vec<LogRecord> {
    log_lines(log_dir, service)
        .into_iter()
        .map(|line| LogRecord::parse(&line).unwrap_or_else(|e| panic!("unparseable log line ({e}): {line:?}")))
        .collect()
}

/// The request lines (not lifecycle lines) of `service`.
pub fn request_records(log_dir: &Path, service: Service) -> Vec<LogRecord> {
    log_records(log_dir, service).into_iter().filter(|r| r.get("endpoint").is_some()).collect()
}
