//! Log setup: every event becomes one [`LogRecord`] line, on stdout and in a
//! rotating file, written through the contract crate's one formatter.
//!
//! Both sinks go through tracing-appender's worker thread with `lossy(false)`:
//! when the queue is full a request waits instead of its line being dropped. The
//! file is buffered and flushed whenever the queue drains, so a busy service makes
//! one `write` per batch, not per line. [`LogGuard`] flushes on drop.

use std::io::{self, BufWriter};

use contract::{LogRecord, Service, files};
use thiserror::Error;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{Targets, filter_fn};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::writer::MakeWriterExt as _;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogArgs, LogFormat, LogRotation};

/// Flushes both sinks when dropped: keep it alive in `main` until the server is done.
#[must_use = "dropping the guard stops the log writers; bind it with `let _guard = ...`"]
pub struct LogGuard {
    _workers: Vec<WorkerGuard>,
}

/// Why logging could not be set up.
#[derive(Debug, Error)]
pub enum TelemetryError {
    #[error("cannot create the log directory {path}: {source}")]
    LogDir { path: String, source: io::Error },
    #[error("cannot open the log file in {path}: {source}")]
    Appender { path: String, source: tracing_appender::rolling::InitError },
    #[error("a global logger is already installed: {0}")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber for `service`: every `info` line (and above)
/// goes to the rotating file; stdout gets the lines `RUST_LOG` allows (default
/// `info`). Each line is formatted once, with one timestamp, and the same bytes
/// go to both sinks.
pub fn init(service: Service, args: &LogArgs) -> Result<LogGuard, TelemetryError> {
    let file = rolling_file(service, args)?;
    let (file_writer, file_guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-file")
        .finish(BufWriter::with_capacity(64 * 1024, file));
    let (stdout_writer, stdout_guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-stdout")
        .finish(BufWriter::with_capacity(64 * 1024, io::stdout()));

    let console = console_filter();
    let for_stdout = console.clone();
    let writer = file_writer.with_max_level(Level::INFO).and(
        stdout_writer.with_filter(move |meta: &Metadata<'_>| for_stdout.would_enable(meta.target(), meta.level())),
    );
    let wanted =
        filter_fn(move |meta| *meta.level() <= Level::INFO || console.would_enable(meta.target(), meta.level()));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(LineFormat { service, format: args.log_format })
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(wanted),
        )
        .try_init()?;
    Ok(LogGuard { _workers: vec![file_guard, stdout_guard] })
}

/// What `RUST_LOG` lets through to stdout: `level` or `target=level` directives
/// (e.g. `warn`, `info,access=off`); `info` when unset or not understood.
fn console_filter() -> Targets {
    let default = || Targets::new().with_default(Level::INFO);
    match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => text.parse().unwrap_or_else(|error| {
            eprintln!("RUST_LOG={text:?} is not understood ({error}); the console shows `info`");
            default()
        }),
        _ => default(),
    }
}

/// The rotating file appender for `service` in `args.log_dir`.
pub fn rolling_file(service: Service, args: &LogArgs) -> Result<RollingFileAppender, TelemetryError> {
    let path = args.log_dir.display().to_string();
    std::fs::create_dir_all(&args.log_dir).map_err(|source| TelemetryError::LogDir { path: path.clone(), source })?;
    let rotation = match args.log_rotation {
        LogRotation::Minutely => Rotation::MINUTELY,
        LogRotation::Hourly => Rotation::HOURLY,
        LogRotation::Daily => Rotation::DAILY,
        LogRotation::Never => Rotation::NEVER,
    };
    RollingFileAppender::builder()
        .rotation(rotation)
        .filename_prefix(files::prefix(service))
        .filename_suffix(files::SUFFIX)
        .max_log_files(args.log_max_files)
        .build(&args.log_dir)
        .map_err(|source| TelemetryError::Appender { path, source })
}

/// Formats each event as one log line of the contract (text or JSON).
#[derive(Debug, Clone, Copy)]
pub struct LineFormat {
    pub service: Service,
    pub format: LogFormat,
}

impl LineFormat {
    /// The record for `event` at `now`: `service=` first, then the event's fields.
    pub fn record(&self, now: OffsetDateTime, event: &Event<'_>) -> LogRecord {
        let mut record = LogRecord::new(now).with("service", self.service.name());
        let level = *event.metadata().level();
        if level <= Level::WARN {
            // Only unusual lines say their level; request lines keep the lab's shape.
            record.push("level", level.as_str().to_ascii_lowercase());
        }
        event.record(&mut FieldCollector(&mut record));
        record
    }

    fn write(&self, record: &LogRecord) -> String {
        let mut line = String::with_capacity(160);
        match self.format {
            LogFormat::Text => record.write_text(&mut line),
            LogFormat::Json => record.write_json(&mut line),
        }
        line.push('\n');
        line
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let record = self.record(OffsetDateTime::now_utc(), event);
        writer.write_str(&self.write(&record))
    }
}

/// Copies an event's fields, as text, into a record. The contract's writer does
/// the escaping, so `%value` and `?value` fields are as safe as plain ones here.
struct FieldCollector<'a>(&'a mut LogRecord);

impl Visit for FieldCollector<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.push(field.name(), value.to_string());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.push(field.name(), value.to_string());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.push(field.name(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" && text.is_empty() {
            return;
        }
        self.0.push(field.name(), text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn args(dir: &Path, rotation: LogRotation, max_files: usize) -> LogArgs {
        LogArgs {
            log_dir: dir.to_path_buf(),
            log_format: LogFormat::Text,
            log_rotation: rotation,
            log_max_files: max_files,
        }
    }

    #[test]
    fn files_are_named_per_service() {
        let dir = tempfile::tempdir().unwrap();
        for service in Service::ALL {
            let mut file = rolling_file(service, &args(dir.path(), LogRotation::Daily, 7)).unwrap();
            io::Write::write_all(&mut file, b"x\n").unwrap();
        }
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(files::is_log_file_of(Service::A, &names[0]), "{names:?}");
        assert!(files::is_log_file_of(Service::B, &names[1]), "{names:?}");
    }

    #[test]
    fn retention_of_one_service_never_deletes_the_other_ones_files() {
        let dir = tempfile::tempdir().unwrap();
        let other = ["service-b.2020-01-01.log", "service-b.2020-01-02.log", "service-b.2020-01-03.log"];
        for name in other {
            std::fs::write(dir.path().join(name), "old\n").unwrap();
        }
        let old_a = ["service-a.2020-01-01.log", "service-a.2020-01-02.log", "service-a.2020-01-03.log"];
        for name in old_a {
            std::fs::write(dir.path().join(name), "old\n").unwrap();
        }
        // Building the appender prunes at once, keeping at most max_files files.
        let mut file = rolling_file(Service::A, &args(dir.path(), LogRotation::Daily, 1)).unwrap();
        io::Write::write_all(&mut file, b"x\n").unwrap();
        for name in other {
            assert!(dir.path().join(name).exists(), "{name} was deleted by service A's retention");
        }
        let left_a = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| files::is_log_file_of(Service::A, &e.as_ref().unwrap().file_name().to_string_lossy()))
            .count();
        assert_eq!(left_a, 1, "retention kept {left_a} files of A");
    }
}
