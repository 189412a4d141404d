//! Follows a service's newest log file the way `tail -F` does: by name, from
//! an offset, across rotation (the old file is read to its end before the newer
//! one), truncation (start again from 0), files that do not exist yet and a log
//! directory that does not exist yet. Polling, so it works on every file system.
//! It hands back raw lines; what they mean is for the caller.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use contract::{Service, files};

use crate::text::MAX_LINE_BYTES;

/// How often the files are polled: fast enough to feel live, cheap when idle.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How much of an existing file is shown at start (its last lines).
pub const BACKLOG_BYTES: u64 = 16 * 1024;

/// Follows the newest log file of one service in one directory.
#[derive(Debug)]
pub struct LogTail {
    dir: PathBuf,
    service: Service,
    current: Option<Followed>,
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
    /// Whether the first file found is shown from its last lines (at start) or whole.
    backlog_only: bool,
}

#[derive(Debug)]
struct Followed {
    path: PathBuf,
    file: File,
    offset: u64,
}

impl LogTail {
    /// A follower that starts with the last [`BACKLOG_BYTES`] of the current file.
    pub fn new(dir: impl Into<PathBuf>, service: Service) -> Self {
        Self { dir: dir.into(), service, current: None, partial: Vec::new(), backlog_only: true }
    }

    /// A follower that reads the current file from its start (for tests).
    pub fn from_start(dir: impl Into<PathBuf>, service: Service) -> Self {
        Self { backlog_only: false, ..Self::new(dir, service) }
    }

    /// The complete new lines since the last poll (without their newlines).
    pub fn poll(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        let newest = newest_log_file(&self.dir, self.service);
        if self.current.is_none() {
            let Some(path) = newest else { return lines };
            self.open(path);
            return self.read_current(lines);
        }
        // Read what the current file still has, then move to a newer file.
        lines = self.read_current(lines);
        if let Some(newest) = newest {
            let switched = self.current.as_ref().is_none_or(|c| c.path != newest);
            if switched {
                self.flush_partial(&mut lines);
                self.backlog_only = false;
                self.open(newest);
                lines = self.read_current(lines);
            }
        }
        lines
    }

    fn open(&mut self, path: PathBuf) {
        let Ok(mut file) = File::open(&path) else {
            self.current = None;
            return;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut offset = 0;
        self.partial.clear();
        if self.backlog_only && len > BACKLOG_BYTES {
            offset = len - BACKLOG_BYTES;
            // Skip the partial line the backlog starts in.
            if file.seek(SeekFrom::Start(offset)).is_ok() {
                let mut skip = Vec::new();
                let _ = (&mut file).take(BACKLOG_BYTES).read_to_end(&mut skip);
                if let Some(newline) = skip.iter().position(|b| *b == b'\n') {
                    offset += newline as u64 + 1;
                }
            }
        }
        self.backlog_only = false;
        self.current = Some(Followed { path, file, offset });
    }

    fn read_current(&mut self, mut lines: Vec<String>) -> Vec<String> {
        let Some(current) = &mut self.current else { return lines };
        match read_from(current) {
            Ok(ReadResult::Bytes(bytes)) => self.partial.extend_from_slice(&bytes),
            Ok(ReadResult::Truncated(bytes)) => {
                self.partial.clear();
                self.partial.extend_from_slice(&bytes);
            }
            Err(_) => {
                // Deleted by retention or unreadable: pick up the newest file next poll.
                self.current = None;
                return lines;
            }
        }
        while let Some(newline) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=newline).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]);
            lines.push(text.trim_end_matches('\r').to_owned());
        }
        if self.partial.len() > MAX_LINE_BYTES * 4 {
            // A runaway line without newline: show what there is rather than grow.
            self.flush_partial(&mut lines);
        }
        lines
    }

    fn flush_partial(&mut self, lines: &mut Vec<String>) {
        if !self.partial.is_empty() {
            lines.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
    }
}

enum ReadResult {
    Bytes(Vec<u8>),
    /// The file got shorter than our offset: it was truncated; read from 0.
    Truncated(Vec<u8>),
}

fn read_from(current: &mut Followed) -> io::Result<ReadResult> {
    let open = current.file.metadata()?;
    let len = open.len();
    // The path must still be this file (not deleted, not replaced).
    let on_disk = std::fs::metadata(&current.path)?;
    if !crate::platform::files::same_file(&open, &on_disk) {
        return Err(io::Error::other("replaced"));
    }
    let truncated = len < current.offset;
    if truncated {
        current.offset = 0;
    }
    let mut bytes = Vec::new();
    if len > current.offset {
        current.file.seek(SeekFrom::Start(current.offset))?;
        (&mut current.file).take(len - current.offset).read_to_end(&mut bytes)?;
        current.offset += bytes.len() as u64;
    }
    Ok(if truncated { ReadResult::Truncated(bytes) } else { ReadResult::Bytes(bytes) })
}

/// The newest of `service`'s log files in `dir` (latest modified; name breaks ties).
pub fn newest_log_file(dir: &Path, service: Service) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| files::is_log_file_of(service, &entry.file_name().to_string_lossy()))
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            Some((modified, entry.file_name(), entry.path()))
        })
        .max()
        .map(|(_, _, path)| path)
}

/// Follows both services' newest files in `dir`, polling every
/// [`POLL_INTERVAL`]: each poll's new lines (in file order per service) go to
/// `deliver`. Blocking file I/O: run it on a thread of its own. Returns when
/// `deliver` returns false.
pub fn follow(dir: &Path, mut deliver: impl FnMut(Vec<(Service, String)>) -> bool) {
    let mut tails = Service::ALL.map(|service| LogTail::new(dir, service));
    loop {
        let mut batch = Vec::new();
        for tail in &mut tails {
            let service = tail.service;
            batch.extend(tail.poll().into_iter().map(|line| (service, line)));
        }
        if !deliver(batch) {
            return;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}
