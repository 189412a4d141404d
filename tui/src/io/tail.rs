//! Follows a service's newest log file the way `tail -F` does: by name, from
//! an offset, across rotation (the old file is read to its end before the newer
//! one), truncation (start again from 0), files that do not exist yet and a log
//! directory that does not exist yet. Polling, so it works on every file system.
//! It hands back raw lines; what they mean is for the caller.
//!
//! Its cost is linear in the bytes appended and its memory is bounded whatever
//! the files hold: each poll reads at most [`READ_BUDGET_BYTES`] (the rest comes
//! with the next poll, at once), each byte is looked at once, an unfinished line
//! keeps at most [`MAX_LINE_BYTES`](crate::text::MAX_LINE_BYTES), and a file it has not followed before is
//! shown from its last [`BACKLOG_BYTES`] only.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use contract::{Service, files};

use crate::text::describe_io;

mod lines;
mod source;
mod stream;

pub use source::{Batch, LogSource, Sources, follow};
pub use stream::LogStream;

use lines::LineSplitter;

/// How often the files are polled: fast enough to feel live, cheap when idle.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How much of a file is shown when it is first seen (its last lines).
pub const BACKLOG_BYTES: u64 = 16 * 1024;

/// A file that takes the followed file's place (rotation, or re-created under
/// its name) is read from its start, unless it is already bigger than this:
/// then only its last [`BACKLOG_BYTES`] are shown.
pub const REPLACEMENT_FROM_START_BYTES: u64 = 1024 * 1024;

/// The most one poll reads of one file, so one poll never holds a huge buffer;
/// a follower that stopped there [`is_behind`](LogTail::is_behind) and goes on
/// with the next poll.
pub const READ_BUDGET_BYTES: usize = 2 * 1024 * 1024;

/// The size of one read.
const CHUNK_BYTES: usize = 256 * 1024;

/// Follows the newest log file of one service in one directory.
#[derive(Debug)]
pub struct LogTail {
    dir: PathBuf,
    service: Service,
    current: Option<Followed>,
    /// Cuts the bytes read into lines; keeps the unfinished one.
    lines: LineSplitter,
    /// How the first file found is read: from its last lines (found at start),
    /// as a replacement (appeared later), or whole (tests).
    first_start: Start,
    /// The followed file that went away (deleted or replaced), and when it was
    /// last written: a file newer than that is its successor.
    lost: Option<(PathBuf, SystemTime)>,
    /// The file let go last and how far it was read: if the same file comes
    /// back under the name (a link planted over it, then removed), reading
    /// goes on from there, never showing (and counting) its lines twice.
    left: Option<(std::fs::Metadata, u64)>,
    /// The last poll stopped at its budget with bytes left to read.
    behind: bool,
    /// Why nothing can be followed now (an unreadable directory, a FIFO under
    /// a log file's name, ...), for the screen.
    problem: Option<String>,
    /// Reused for every read.
    chunk: Vec<u8>,
}

#[derive(Debug)]
struct Followed {
    path: PathBuf,
    file: File,
    offset: u64,
    /// When the file was last written, as of the last poll.
    modified: SystemTime,
    /// Its name points at another file now: read to this length (what it had
    /// when that was noticed), then let go, whatever is still written to it.
    until: Option<u64>,
}

/// Where reading a newly opened file begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At its last [`BACKLOG_BYTES`], from the first whole line in them.
    Backlog,
    /// At 0 (a file that replaces the followed one: bounded by
    /// [`REPLACEMENT_FROM_START_BYTES`]).
    Replacement,
    /// At 0 whatever its size ([`LogTail::from_start`], for tests).
    Beginning,
}

/// What reading the followed file came to.
enum Progress {
    /// Read to its end; it is still the file under its name.
    End,
    /// Stopped at the budget: more to read.
    More,
    /// Read to its end, but deleted or replaced (or unreadable): let go of it.
    Gone,
}

impl LogTail {
    /// A follower that starts with the last [`BACKLOG_BYTES`] of the current file.
    pub fn new(dir: impl Into<PathBuf>, service: Service) -> Self {
        Self {
            dir: dir.into(),
            service,
            current: None,
            lines: LineSplitter::default(),
            first_start: Start::Backlog,
            lost: None,
            left: None,
            behind: false,
            problem: None,
            chunk: Vec::new(),
        }
    }

    /// A follower that reads the current file from its start (for tests).
    pub fn from_start(dir: impl Into<PathBuf>, service: Service) -> Self {
        Self { first_start: Start::Beginning, ..Self::new(dir, service) }
    }

    /// Whether the last poll left bytes to read (poll again without waiting).
    pub fn is_behind(&self) -> bool {
        self.behind
    }

    /// The service whose log this is.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Why the last poll could not follow a file, if it could not.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// The complete new lines since the last poll (without their newlines), in
    /// file order; at most about [`READ_BUDGET_BYTES`] of them per file.
    pub fn poll(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        self.behind = false;
        if self.current.is_some() {
            match self.read_current(&mut lines) {
                // The old file is read to its end before a newer one.
                Progress::More => {
                    self.behind = true;
                    return lines;
                }
                Progress::End => {}
                Progress::Gone => self.let_go(&mut lines),
            }
        }
        let newest = match find_newest(&self.dir, self.service) {
            Ok(found) => {
                self.problem = found.skipped;
                found.newest
            }
            Err(why) => {
                self.problem = Some(why);
                None
            }
        };
        let Some(newest) = newest else {
            if self.first_start == Start::Backlog && self.current.is_none() && self.lost.is_none() {
                // Nothing there at start: a file that appears later is new, not backlog.
                self.first_start = Start::Replacement;
            }
            return lines;
        };
        let start = match &self.current {
            Some(current) if current.path == newest => return lines,
            // A newer file while following: rotation.
            Some(_) => Start::Replacement,
            None => match &self.lost {
                None => self.first_start,
                Some((path, modified)) => {
                    let newer = modified_time(&newest).is_some_and(|m| m > *modified);
                    // Re-created under the followed name, or newer than the
                    // followed file was: it takes its place. An older file
                    // (the next-newest after a deletion) was never followed.
                    if *path == newest || newer { Start::Replacement } else { Start::Backlog }
                }
            },
        };
        self.lines.flush(&mut lines);
        self.open(newest, start);
        if let Progress::More = self.read_current(&mut lines) {
            self.behind = true;
        }
        lines
    }

    /// Stops following the current file (its unfinished line goes out as is).
    fn let_go(&mut self, lines: &mut Vec<String>) {
        self.lines.flush(lines);
        if let Some(current) = self.current.take() {
            self.left = current.file.metadata().ok().map(|metadata| (metadata, current.offset));
            self.lost = Some((current.path, current.modified));
        }
    }

    fn open(&mut self, path: PathBuf, start: Start) {
        self.lines.clear();
        // Only a regular file, opened without blocking: a FIFO under a log
        // file's name must not stop the follower (and the dashboard's exit).
        let file = match crate::platform::files::open_regular(&path) {
            Ok(file) => file,
            Err(error) => {
                self.problem = Some(format!("cannot follow {}: {}", path.display(), describe_io(&error)));
                self.current = None;
                return;
            }
        };
        let metadata = file.metadata().ok();
        let len = metadata.as_ref().map_or(0, std::fs::Metadata::len);
        let modified = metadata.as_ref().and_then(|m| m.modified().ok()).unwrap_or(SystemTime::UNIX_EPOCH);
        let backlog = match start {
            Start::Backlog => true,
            Start::Replacement => len > REPLACEMENT_FROM_START_BYTES,
            Start::Beginning => false,
        };
        let mut offset = 0;
        let back = self.left.take().filter(|(was, read)| {
            metadata.as_ref().is_some_and(|now| crate::platform::files::same_file(was, now)) && *read <= len
        });
        if let Some((_, read)) = back {
            // The file followed before, back under its name: on from where it was left.
            offset = read;
        } else if backlog && len > BACKLOG_BYTES {
            // One byte before the backlog: if it ends a line the backlog starts
            // with a whole line, otherwise the line it is in is skipped.
            offset = len - BACKLOG_BYTES - 1;
            self.lines.skip_to_newline();
        }
        self.lost = None;
        self.current = Some(Followed { path, file, offset, modified, until: None });
    }

    /// Reads what the followed file has beyond the offset, up to the budget.
    fn read_current(&mut self, lines: &mut Vec<String>) -> Progress {
        let Some(current) = &mut self.current else { return Progress::End };
        let Ok(open) = current.file.metadata() else { return Progress::Gone };
        if let Ok(modified) = open.modified() {
            current.modified = modified;
        }
        // Every poll, not only at its end: is the name still this file? If
        // not, what it holds now is read, and then it is let go.
        let replaced =
            !std::fs::metadata(&current.path).is_ok_and(|on_disk| crate::platform::files::same_file(&open, &on_disk));
        if replaced && current.until.is_none() {
            current.until = Some(open.len());
        }
        if open.len() < current.offset {
            // Truncated: its lines start again from the top.
            current.offset = 0;
            self.lines.clear();
        }
        if current.file.seek(SeekFrom::Start(current.offset)).is_err() {
            return Progress::Gone;
        }
        self.chunk.resize(CHUNK_BYTES, 0);
        let mut budget = READ_BUDGET_BYTES;
        loop {
            let left = current.until.map_or(u64::MAX, |until| until.saturating_sub(current.offset));
            if left == 0 {
                return Progress::Gone;
            }
            if budget == 0 {
                return Progress::More;
            }
            let want = budget.min(CHUNK_BYTES).min(usize::try_from(left).unwrap_or(usize::MAX));
            match current.file.read(&mut self.chunk[..want]) {
                Ok(0) => break,
                Ok(read) => {
                    current.offset += read as u64;
                    budget -= read;
                    self.lines.push(&self.chunk[..read], lines);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Progress::Gone,
            }
        }
        // At its end: let go of it if its name is another file's now.
        if replaced { Progress::Gone } else { Progress::End }
    }
}

fn modified_time(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The newest of `service`'s log files in `dir` (latest modified; name breaks ties).
/// The newest log file of `service` in `dir` (by when it was last written).
pub fn newest_log_file(dir: &Path, service: Service) -> Option<PathBuf> {
    find_newest(dir, service).ok()?.newest
}

/// What a look into the log directory found.
struct Found {
    newest: Option<PathBuf>,
    /// A file with a log file's name that is not a regular file (a FIFO, a
    /// device, a directory, a dangling link): never opened, said on screen.
    skipped: Option<String>,
}

/// Looks for the newest regular log file of `service`; an unreadable
/// directory is an error that says why (a missing one is not: it may come).
fn find_newest(dir: &Path, service: Service) -> Result<Found, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Found { newest: None, skipped: None }),
        Err(error) => return Err(format!("cannot read the log directory {}: {}", dir.display(), describe_io(&error))),
    };
    let mut skipped = None;
    let newest = entries
        .filter_map(Result::ok)
        .filter(|entry| files::is_log_file_of(service, &entry.file_name().to_string_lossy()))
        .filter_map(|entry| {
            // Through a symbolic link: what counts is what it points at.
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(metadata) if metadata.is_file() => {
                    Some((metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH), entry.file_name(), path))
                }
                Ok(metadata) => {
                    skipped = Some(format!("{} is {}, not a log file: skipped", path.display(), kind_of(&metadata)));
                    None
                }
                Err(error) => {
                    skipped = Some(format!("{} cannot be read: {}: skipped", path.display(), describe_io(&error)));
                    None
                }
            }
        })
        .max()
        .map(|(_, _, path)| path);
    Ok(Found { newest, skipped })
}

/// What a file that is not a regular one is, in words.
fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    if metadata.is_dir() { "a directory" } else { crate::platform::files::special_kind(metadata) }
}
