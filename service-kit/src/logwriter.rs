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
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use contract::logline::{Format, LineWriter};
use contract::{Service, files};

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
/// busy service makes about two hundred writes per second, not one per line.
/// Measured under wrk on 2 cores: 5 ms served 5 % more than 1 ms (the writer
/// threads wake less often on the core the clients use); a line still reaches
/// the file within a few milliseconds.
const GATHER: Duration = Duration::from_millis(5);

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
        let mut line = LineWriter::start_ms(&mut out, self.format, crate::clock::now_ms());
        line.str("service", self.service.name());
        line.str("level", "warn");
        line.str("event", event);
        for (key, value) in fields {
            line.u64(*key, *value);
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

mod rotating;

use rotating::RotatingFile;
pub use rotating::current_file;
