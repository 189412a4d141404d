//! Reading both services' log files for the report: only files written since
//! the first request sent by hand, one bounded line at a time, and only lines
//! that can hold a wanted id are parsed.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use contract::{LogRecord, Service, files};
use time::OffsetDateTime;

use crate::text::MAX_LINE_BYTES;

/// A log file last written this long before the first request sent by hand
/// is still read (file times and the clock may differ a little).
const FILE_TIME_SLACK: Duration = Duration::from_secs(60);

/// The read buffer for log files.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// The log lines of each request id, from both services' files in `dir`, in
/// time order; only files written since `since` (if given) are read.
pub fn collect_log_lines(
    dir: &Path,
    ids: &HashSet<String>,
    since: Option<SystemTime>,
) -> HashMap<String, Vec<(Service, String)>> {
    let mut found: HashMap<String, Vec<(OffsetDateTime, Service, String)>> = HashMap::new();
    if ids.is_empty() {
        return HashMap::new();
    }
    let filter = IdFilter::new(ids);
    let Ok(entries) = std::fs::read_dir(dir) else { return HashMap::new() };
    let mut paths: Vec<(Service, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            // A file last written before the first request cannot hold its lines.
            let modified = entry.metadata().ok().and_then(|m| m.modified().ok());
            match (since, modified) {
                (Some(since), Some(modified)) => modified + FILE_TIME_SLACK >= since,
                _ => true,
            }
        })
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let service = Service::ALL.into_iter().find(|service| files::is_log_file_of(*service, &name))?;
            Some((service, entry.path()))
        })
        .collect();
    paths.sort();
    for (service, path) in paths {
        let Ok(file) = File::open(&path) else { continue };
        for_each_line(BufReader::with_capacity(READ_BUFFER_BYTES, file), |line| {
            if !filter.may_hold(line) {
                return;
            }
            let Ok(record) = LogRecord::parse_lenient(line) else { return };
            if let Some(id) = record.get("request_id").filter(|id| ids.contains(*id)) {
                found.entry(id.to_owned()).or_default().push((record.timestamp, service, line.to_owned()));
            }
        });
    }
    found
        .into_iter()
        .map(|(id, mut lines)| {
            // Both services' lines in time order (A before B within a millisecond:
            // A answers before B can).
            lines.sort_by_key(|(at, service, _)| (*at, service.index()));
            (id, lines.into_iter().map(|(_, service, line)| (service, line)).collect())
        })
        .collect()
}

/// Calls `each` with every line of `reader` (without its newline), each at
/// most [`MAX_LINE_BYTES`] long: the rest of a longer line is skipped, so a
/// file with no newline at all costs one bounded buffer, not its size.
fn for_each_line(mut reader: impl BufRead, mut each: impl FnMut(&str)) {
    let mut line = Vec::with_capacity(MAX_LINE_BYTES + 1);
    let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
    loop {
        line.clear();
        match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        } else if line.len() > MAX_LINE_BYTES {
            // Over-long: keep its start, skip the rest up to its newline.
            line.truncate(MAX_LINE_BYTES);
            if !skip_line(&mut reader) {
                each(&String::from_utf8_lossy(&line));
                return;
            }
        }
        each(&String::from_utf8_lossy(&line));
    }
}

/// Skips to just after the next newline; false at the end of the file.
fn skip_line(reader: &mut impl BufRead) -> bool {
    let mut skipped = Vec::with_capacity(READ_BUFFER_BYTES);
    let limit = u64::try_from(READ_BUFFER_BYTES).unwrap_or(u64::MAX);
    loop {
        skipped.clear();
        match reader.take(limit).read_until(b'\n', &mut skipped) {
            Ok(0) | Err(_) => return false,
            Ok(_) if skipped.last() == Some(&b'\n') => return true,
            Ok(_) => {}
        }
    }
}

/// A cheap test that skips most lines without parsing them: a line with a
/// wanted id holds the ids' common prefix (`r3p0-00` for `r3p0-0001`,
/// `r3p0-0042`), which the lines of bursts (`r3p0-L7-000123`) do not.
struct IdFilter {
    prefix: String,
}

impl IdFilter {
    fn new(ids: &HashSet<String>) -> Self {
        let mut ids = ids.iter();
        let mut prefix = ids.next().cloned().unwrap_or_default();
        for id in ids {
            let common = prefix.chars().zip(id.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
            prefix.truncate(common);
        }
        // Only characters that both log formats write as they are (no quoting).
        let plain = prefix.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(prefix.len());
        prefix.truncate(plain);
        Self { prefix }
    }

    fn may_hold(&self, line: &str) -> bool {
        line.contains(&self.prefix)
    }
}
