//! The log writer: formatted lines in, a rotating file and the console out,
//! on threads of their own so that no request ever waits on a disk or a pipe.
//!
//! Callers append each line under one short lock to two swapped buffers (file
//! and console) and go on. Three small threads do the I/O:
//!
//! - `log-file` writes the file buffer in batches. The file is the record: a
//!   caller waits only if the disk falls behind by [`FILE_BUFFER_LIMIT`] (never
//!   drops). A failed write (disk full, no permission, directory gone) is
//!   reported on stderr at once, its lines are counted as lost, a partly written
//!   line is cut off again (no torn line), the directory is created again, and
//!   the first batch that works again starts with `event=log_lines_lost lines=N`.
//!   Rotation and retention are done here too, by the names of
//!   [`contract::files`]; retention deletes the service's own files only.
//! - `log-console` copies lines to stdout. When nobody reads stdout its buffer
//!   fills up to [`CONSOLE_BUFFER_LIMIT`]; further lines are dropped and counted,
//!   and when stdout flows again the count goes to stderr and into the log
//!   (`event=console_lines_dropped lines=N`).
//! - `log-stderr` writes the writer's own notices to stderr, so that a stalled
//!   terminal (which blocks stderr too) can never hold up the file writer.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use contract::logline::{Format, LineWriter};
use contract::{Service, files};

use crate::log_file;
use time::OffsetDateTime;

use crate::config::LogRotation;
use crate::metrics;

/// How far the file may fall behind before callers wait for the disk.
pub const FILE_BUFFER_LIMIT: usize = 8 * 1024 * 1024;

/// How much console output is kept for a stdout nobody reads; past it lines are
/// dropped. About 80 ms of lines at 100k requests/s: enough that a console writer
/// starved of CPU for a moment (2 busy cores) does not drop lines for a fast stdout.
pub const CONSOLE_BUFFER_LIMIT: usize = 1024 * 1024;

/// At most this many notices wait for stderr; more are counted, not kept.
const NOTICE_LIMIT: usize = 64;

/// A writer gathers lines this long after waking before it writes them, so a
/// busy service makes about a thousand writes per second, not one per line.
const GATHER: Duration = Duration::from_millis(1);

/// How long shutdown waits for a console that is not being read.
const CONSOLE_SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// Where and how the file is written.
#[derive(Debug, Clone)]
pub struct FileSettings {
    pub dir: PathBuf,
    pub rotation: LogRotation,
    pub max_files: usize,
}

/// The buffers the callers fill and the writer threads empty.
#[derive(Default)]
struct Buffers {
    file: Vec<u8>,
    console: Vec<u8>,
    console_dropped: u64,
    notices: VecDeque<String>,
    notices_dropped: u64,
    /// Callers waiting for the file buffer to have room (rare: a slow disk).
    room_waiters: usize,
    file_idle: bool,
    console_idle: bool,
    stderr_idle: bool,
    closing: bool,
    /// The file thread has written its last line (and its last notice).
    file_done: bool,
    console_done: bool,
    stderr_done: bool,
}

struct Shared {
    buffers: Mutex<Buffers>,
    file_wake: Condvar,
    file_room: Condvar,
    console_wake: Condvar,
    stderr_wake: Condvar,
    done: Condvar,
    service: Service,
    format: Format,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffers> {
        // A writer thread never panics while holding the lock, but if one did the
        // buffers are still plain bytes: keep logging.
        self.buffers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A line of the writer's own (`event=...`), formatted like every other line.
    fn own_line(&self, event: &str, fields: &[(&str, u64)]) -> String {
        let mut out = String::with_capacity(128);
        let mut line = LineWriter::start(&mut out, self.format, OffsetDateTime::now_utc());
        line.str("service", self.service.name());
        line.str("level", "warn");
        line.str("event", event);
        for (key, value) in fields {
            line.u64(key, *value);
        }
        line.finish();
        out.push('\n');
        out
    }

    fn notice(&self, buffers: &mut Buffers, text: String) {
        if buffers.notices.len() >= NOTICE_LIMIT {
            buffers.notices_dropped += 1;
            return;
        }
        buffers.notices.push_back(text);
        if buffers.stderr_idle {
            buffers.stderr_idle = false;
            self.stderr_wake.notify_one();
        }
    }
}

/// The callers' end of the writer. Cheap to clone.
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

/// Stops the writer threads when dropped, after the file has every line and the
/// console had a short chance to take the rest. Keep it alive until the end of `main`.
#[must_use = "dropping the guard stops the log writers; bind it with `let _guard = ...`"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    file_thread: Option<JoinHandle<()>>,
}

impl LogSink {
    /// Starts the writer threads. The file is opened (and the directory created)
    /// here, so a log directory that cannot be used is an error at start-up.
    pub fn start(service: Service, format: Format, settings: FileSettings) -> io::Result<(LogSink, WriterGuard)> {
        let mut file = RotatingFile::new(service, settings);
        file.open(OffsetDateTime::now_utc())?;
        let shared = Arc::new(Shared {
            buffers: Mutex::new(Buffers::default()),
            file_wake: Condvar::new(),
            file_room: Condvar::new(),
            console_wake: Condvar::new(),
            stderr_wake: Condvar::new(),
            done: Condvar::new(),
            service,
            format,
        });
        let spawn =
            |name: &str, body: Box<dyn FnOnce() + Send>| std::thread::Builder::new().name(name.to_owned()).spawn(body);
        let for_file = shared.clone();
        let file_thread = spawn("log-file", Box::new(move || file_loop(&for_file, file)))?;
        let for_console = shared.clone();
        spawn("log-console", Box::new(move || console_loop(&for_console)))?;
        let for_stderr = shared.clone();
        spawn("log-stderr", Box::new(move || stderr_loop(&for_stderr)))?;
        Ok((LogSink { shared: shared.clone() }, WriterGuard { shared, file_thread: Some(file_thread) }))
    }

    /// Appends one whole line (with its newline) to the file and, if
    /// `to_console`, to the console. Waits only if the disk is far behind.
    pub fn write(&self, line: &[u8], to_console: bool) {
        let shared = &*self.shared;
        let mut buffers = shared.lock();
        while buffers.file.len() >= FILE_BUFFER_LIMIT && !buffers.closing {
            buffers.room_waiters += 1;
            buffers = shared.file_room.wait(buffers).unwrap_or_else(PoisonError::into_inner);
            buffers.room_waiters -= 1;
        }
        buffers.file.extend_from_slice(line);
        if buffers.file_idle {
            buffers.file_idle = false;
            shared.file_wake.notify_one();
        }
        if to_console {
            if buffers.console.len() + line.len() <= CONSOLE_BUFFER_LIMIT {
                buffers.console.extend_from_slice(line);
                if buffers.console_idle {
                    buffers.console_idle = false;
                    shared.console_wake.notify_one();
                }
            } else {
                buffers.console_dropped += 1;
                metrics::get().lines_lost(metrics::Sink::Console, 1);
            }
        }
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        let shared = &*self.shared;
        {
            let mut buffers = shared.lock();
            // Console lines dropped until the end are told on the way out (the
            // stderr thread waits for the file thread, so this is written).
            let dropped = std::mem::take(&mut buffers.console_dropped);
            if dropped > 0 {
                let text =
                    format!("at exit: {dropped} console lines were dropped (stdout was not read); the file has them");
                shared.notice(&mut buffers, text);
            }
            buffers.closing = true;
            shared.file_wake.notify_all();
            shared.file_room.notify_all();
            shared.console_wake.notify_all();
            shared.stderr_wake.notify_all();
        }
        // The file gets every line: wait for it without limit.
        if let Some(thread) = self.file_thread.take() {
            let _ = thread.join();
        }
        // The console and stderr get a short chance; a pipe nobody reads must
        // not keep the process alive.
        let deadline = Instant::now() + CONSOLE_SHUTDOWN_WAIT;
        let mut buffers = shared.lock();
        while !(buffers.console_done && buffers.stderr_done) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            buffers = shared.done.wait_timeout(buffers, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

fn file_loop(shared: &Shared, mut file: RotatingFile) {
    let mut batch = Vec::with_capacity(64 * 1024);
    loop {
        {
            let mut buffers = shared.lock();
            while buffers.file.is_empty() && !buffers.closing {
                buffers.file_idle = true;
                buffers = shared.file_wake.wait(buffers).unwrap_or_else(PoisonError::into_inner);
            }
            if buffers.file.is_empty() && buffers.closing {
                break;
            }
            if !buffers.closing && buffers.file.len() < 16 * 1024 {
                drop(buffers);
                std::thread::sleep(GATHER);
                buffers = shared.lock();
            }
            std::mem::swap(&mut batch, &mut buffers.file);
            // A notify is a system call even with nobody waiting: only when needed.
            if buffers.room_waiters > 0 {
                shared.file_room.notify_all();
            }
        }
        let notices = file.write_batch(shared, &batch);
        batch.clear();
        if batch.capacity() > 4 * FILE_BUFFER_LIMIT {
            batch.shrink_to(64 * 1024);
        }
        if !notices.is_empty() {
            let mut buffers = shared.lock();
            for text in notices {
                shared.notice(&mut buffers, text);
            }
        }
    }
    file.close();
    // Still failing at exit: the count would otherwise never be told.
    let mut buffers = shared.lock();
    if file.lost > 0 {
        let text = format!("at exit: {} lines could not be written to the log file", file.lost);
        shared.notice(&mut buffers, text);
    }
    buffers.file_done = true;
    shared.stderr_wake.notify_all();
}

fn console_loop(shared: &Arc<Shared>) {
    let mut batch = Vec::with_capacity(CONSOLE_BUFFER_LIMIT);
    let mut stdout_failed = false;
    loop {
        let dropped;
        {
            let mut buffers = shared.lock();
            while buffers.console.is_empty() && !buffers.closing {
                buffers.console_idle = true;
                buffers = shared.console_wake.wait(buffers).unwrap_or_else(PoisonError::into_inner);
            }
            if buffers.console.is_empty() && buffers.closing {
                buffers.console_done = true;
                shared.done.notify_all();
                return;
            }
            if !buffers.closing && buffers.console.len() < 16 * 1024 {
                drop(buffers);
                std::thread::sleep(GATHER);
                buffers = shared.lock();
            }
            std::mem::swap(&mut batch, &mut buffers.console);
            dropped = std::mem::take(&mut buffers.console_dropped);
        }
        let result = {
            let mut stdout = io::stdout().lock();
            stdout.write_all(&batch).and_then(|()| stdout.flush())
        };
        match result {
            Ok(()) => stdout_failed = false,
            Err(error) => {
                let lines = count_lines(&batch);
                metrics::get().lines_lost(metrics::Sink::Console, lines);
                if !stdout_failed {
                    stdout_failed = true;
                    let mut buffers = shared.lock();
                    shared.notice(
                        &mut buffers,
                        format!("cannot write to stdout ({error}); console lines are dropped (the file has them)"),
                    );
                }
            }
        }
        batch.clear();
        if dropped > 0 {
            // The console flows again: say how much it missed, on stderr and in the log.
            let line = shared.own_line("console_lines_dropped", &[("lines", dropped)]);
            let sink = LogSink { shared: shared.clone() };
            sink.write(line.as_bytes(), true);
            let mut buffers = shared.lock();
            shared.notice(
                &mut buffers,
                format!("{dropped} console lines were dropped while stdout was not read (the file has them)"),
            );
        }
    }
}

fn stderr_loop(shared: &Shared) {
    let prefix = files::prefix(shared.service);
    loop {
        let (texts, dropped) = {
            let mut buffers = shared.lock();
            // The file thread's last notice comes after `closing`: wait for it too.
            while buffers.notices.is_empty() && !(buffers.closing && buffers.file_done) {
                buffers.stderr_idle = true;
                buffers = shared.stderr_wake.wait(buffers).unwrap_or_else(PoisonError::into_inner);
            }
            if buffers.notices.is_empty() && buffers.closing && buffers.file_done {
                buffers.stderr_done = true;
                shared.done.notify_all();
                return;
            }
            (std::mem::take(&mut buffers.notices), std::mem::take(&mut buffers.notices_dropped))
        };
        let mut stderr = io::stderr().lock();
        for text in texts {
            let _ = writeln!(stderr, "{prefix}: {text}");
        }
        if dropped > 0 {
            let _ = writeln!(stderr, "{prefix}: ({dropped} more notices dropped)");
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The current log file and what it takes to keep writing it.
struct RotatingFile {
    service: Service,
    settings: FileSettings,
    open: Option<OpenFile>,
    /// Lines lost since the last successful write (reported when writing works again).
    lost: u64,
    /// The error of the failure being reported, so it is said once, not per batch.
    failing: bool,
}

struct OpenFile {
    file: File,
    path: PathBuf,
    /// Where this file's rotation period ends (unix seconds); `None` for `never`.
    ends_at: Option<i64>,
    /// Bytes in the file, as far as this writer knows (to cut a torn line off again).
    len: u64,
    /// The file does not end with a newline (a torn line that could not be cut
    /// off, or a process killed mid-write): the next write starts a new line.
    ends_torn: bool,
    identity: Option<log_file::FileIdentity>,
}

impl RotatingFile {
    fn new(service: Service, settings: FileSettings) -> Self {
        Self { service, settings, open: None, lost: 0, failing: false }
    }

    /// Opens the file for `now`'s period (creating the directory), then applies retention.
    fn open(&mut self, now: OffsetDateTime) -> io::Result<()> {
        let (period, ends_at) = period(self.settings.rotation, now);
        let path = self.settings.dir.join(files::file_name(self.service, period.as_deref()));
        fs::create_dir_all(&self.settings.dir)?;
        let file = log_file::open_append(&path)?;
        let meta = file.metadata()?;
        let ends_torn = meta.len() > 0 && last_byte(&path).is_some_and(|b| b != b'\n');
        self.open =
            Some(OpenFile { identity: log_file::identity(&meta), len: meta.len(), ends_torn, file, path, ends_at });
        self.prune();
        Ok(())
    }

    /// Deletes the oldest of the service's own files beyond `max_files` (the
    /// current one counts and is never deleted). Other files are never touched,
    /// whatever their names start with.
    fn prune(&self) {
        let Some(current) = self.open.as_ref().map(|open| open.path.clone()) else { return };
        let Ok(entries) = fs::read_dir(&self.settings.dir) else { return };
        let mut own: Vec<(std::time::SystemTime, String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let path = entry.path();
                (files::is_log_file_of(self.service, &name) && path != current && entry.file_type().ok()?.is_file())
                    .then(|| (entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), name, path))
            })
            .collect();
        let keep = self.settings.max_files.saturating_sub(1);
        if own.len() <= keep {
            return;
        }
        own.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
        for (_, _, path) in own.drain(keep..) {
            let _ = fs::remove_file(path);
        }
    }

    fn close(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = open.file.sync_data();
        }
    }

    /// Writes one batch of whole lines; returns what stderr should be told.
    fn write_batch(&mut self, shared: &Shared, batch: &[u8]) -> Vec<String> {
        let mut notices = Vec::new();
        let now = OffsetDateTime::now_utc();
        let mut prefix = String::new();
        if let Err(error) = self.ensure_open(now, &mut notices, &mut prefix, shared) {
            self.lose(batch, &error, &mut notices);
            return notices;
        }
        if self.lost > 0 {
            prefix.push_str(&shared.own_line("log_lines_lost", &[("lines", self.lost)]));
        }
        let Some(open) = self.open.as_mut() else { return notices };
        if open.ends_torn {
            prefix.insert(0, '\n');
        }
        let start = open.len;
        let parts: [&[u8]; 2] = [prefix.as_bytes(), batch];
        let mut written = 0usize;
        let total = prefix.len() + batch.len();
        let mut failure = None;
        for part in parts {
            let mut at = 0;
            while at < part.len() {
                match open.file.write(&part[at..]) {
                    Ok(0) => {
                        failure = Some(io::Error::new(io::ErrorKind::WriteZero, "the file took no bytes"));
                        break;
                    }
                    Ok(n) => {
                        at += n;
                        written += n;
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            if failure.is_some() {
                break;
            }
        }
        match failure {
            None => {
                open.len = start + total as u64;
                open.ends_torn = false;
                if self.failing || self.lost > 0 {
                    notices.push(format!(
                        "the log file {} is written again; {} lines were lost",
                        open.path.display(),
                        self.lost
                    ));
                }
                self.failing = false;
                self.lost = 0;
            }
            Some(error) => {
                // Keep the whole lines that made it; cut a torn one off again.
                let mut joined = Vec::with_capacity(written);
                joined.extend_from_slice(&prefix.as_bytes()[..written.min(prefix.len())]);
                if written > prefix.len() {
                    joined.extend_from_slice(&batch[..written - prefix.len()]);
                }
                let keep = joined.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                if keep < written && open.file.set_len(start + keep as u64).is_err() {
                    // Could not cut it off: whoever writes this file next starts a new line.
                    open.ends_torn = true;
                }
                if keep >= prefix.len() {
                    // The report line made it; only the batch's unwritten lines are new losses.
                    self.lost = 0;
                }
                let batch_kept = keep.saturating_sub(prefix.len());
                self.lose(&batch[batch_kept..], &error, &mut notices);
            }
        }
        notices
    }

    /// Counts `lines` as lost, closes the file so the next batch opens it afresh,
    /// and says so on stderr once per failure.
    fn lose(&mut self, unwritten: &[u8], error: &io::Error, notices: &mut Vec<String>) {
        let lines = count_lines(unwritten);
        self.lost += lines;
        metrics::get().lines_lost(metrics::Sink::File, lines);
        let path = self.open.take().map_or_else(|| self.settings.dir.clone(), |open| open.path);
        if !self.failing {
            self.failing = true;
            notices.push(format!(
                "cannot write the log file {} ({error}); lines are lost until it works again, then counted in the log",
                path.display()
            ));
        }
    }

    /// Rotates when the period is over, and opens the file again when it (or its
    /// directory) was deleted or replaced, so lines never go to a deleted file.
    fn ensure_open(
        &mut self,
        now: OffsetDateTime,
        notices: &mut Vec<String>,
        prefix: &mut String,
        shared: &Shared,
    ) -> io::Result<()> {
        let reopen = match &self.open {
            None => true,
            Some(open) if open.ends_at.is_some_and(|end| now.unix_timestamp() >= end) => true,
            Some(open) => match fs::metadata(&open.path) {
                Ok(meta) => open.identity.is_some() && log_file::identity(&meta) != open.identity,
                Err(_) => {
                    let dir_gone = !self.settings.dir.is_dir();
                    notices.push(format!(
                        "the log {} {} was deleted; created it again",
                        if dir_gone { "directory of" } else { "file" },
                        open.path.display()
                    ));
                    prefix.push_str(&shared.own_line("log_file_recreated", &[]));
                    true
                }
            },
        };
        if reopen {
            self.close();
            self.open(now)?;
        }
        Ok(())
    }
}

/// The last byte of the file at `path`, if it can be read.
fn last_byte(path: &Path) -> Option<u8> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::End(-1)).ok()?;
    let mut byte = [0u8; 1];
    file.read_exact(&mut byte).ok()?;
    Some(byte[0])
}

/// The rotation period of `now`: its name part and when it ends (unix seconds).
fn period(rotation: LogRotation, now: OffsetDateTime) -> (Option<String>, Option<i64>) {
    let length = match rotation {
        LogRotation::Never => return (None, None),
        LogRotation::Minutely => 60,
        LogRotation::Hourly => 3_600,
        LogRotation::Daily => 86_400,
    };
    let now = now.to_offset(time::UtcOffset::UTC);
    let date = format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day());
    let name = match rotation {
        LogRotation::Minutely => format!("{date}-{:02}-{:02}", now.hour(), now.minute()),
        LogRotation::Hourly => format!("{date}-{:02}", now.hour()),
        _ => date,
    };
    let seconds = now.unix_timestamp();
    (Some(name), Some(seconds - seconds.rem_euclid(length) + length))
}

/// The path of the file a service writes now (for tests and messages).
pub fn current_file(dir: &Path, service: Service, rotation: LogRotation) -> PathBuf {
    dir.join(files::file_name(service, period(rotation, OffsetDateTime::now_utc()).0.as_deref()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn periods_name_and_end_like_the_contract_says() {
        let at = datetime!(2026-11-24 13:05:07 UTC);
        assert_eq!(period(LogRotation::Daily, at).0.as_deref(), Some("2026-11-24"));
        assert_eq!(period(LogRotation::Hourly, at).0.as_deref(), Some("2026-11-24-13"));
        assert_eq!(period(LogRotation::Minutely, at).0.as_deref(), Some("2026-11-24-13-05"));
        assert_eq!(period(LogRotation::Never, at), (None, None));
        assert_eq!(period(LogRotation::Minutely, at).1, Some(datetime!(2026-11-24 13:06 UTC).unix_timestamp()));
        assert_eq!(period(LogRotation::Daily, at).1, Some(datetime!(2026-11-25 0:00 UTC).unix_timestamp()));
    }

    #[test]
    fn a_file_left_with_a_torn_line_gets_the_next_line_on_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = current_file(dir.path(), Service::A, LogRotation::Never);
        fs::write(&path, "2026-01-01 00:00:00,000 service=A whole=1\n2026-01-01 00:00:00,001 serv").unwrap();
        let settings = FileSettings { dir: dir.path().to_path_buf(), rotation: LogRotation::Never, max_files: 7 };
        let (sink, guard) = LogSink::start(Service::A, Format::Text, settings).unwrap();
        sink.write(b"2026-01-01 00:00:01,000 service=A next=1\n", false);
        drop(guard);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("\n2026-01-01 00:00:01,000 service=A next=1\n"), "{text:?}");
    }

    #[test]
    fn retention_deletes_only_the_services_own_oldest_files() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = ["service-a.x.log", "service-a-notes.log", "service-b.important.log", "service-b.2020-01-01.log"];
        let old_a = ["service-a.2020-01-01.log", "service-a.2020-01-02.log", "service-a.2020-01-03.log"];
        for (i, name) in foreign.iter().chain(old_a.iter()).enumerate() {
            let path = dir.path().join(name);
            fs::write(&path, "old\n").unwrap();
            let when = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i as u64 * 86_400);
            File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
        }
        let settings = FileSettings { dir: dir.path().to_path_buf(), rotation: LogRotation::Daily, max_files: 2 };
        let mut file = RotatingFile::new(Service::A, settings);
        file.open(OffsetDateTime::now_utc()).unwrap();
        for name in foreign {
            assert!(dir.path().join(name).exists(), "{name} was deleted");
        }
        assert!(dir.path().join("service-a.2020-01-03.log").exists(), "the newest old file is kept");
        assert!(!dir.path().join("service-a.2020-01-02.log").exists());
        assert!(!dir.path().join("service-a.2020-01-01.log").exists());
        assert!(current_file(dir.path(), Service::A, LogRotation::Daily).exists());
    }
}
