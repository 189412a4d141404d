//! Log setup: every `tracing` event becomes one line of the contract (text or
//! JSON), formatted once into a reused per-thread buffer and handed to the
//! [`LogSink`], which writes the file (every `info` line and above) and the
//! console (what `RUST_LOG` allows) on its own threads.
//!
//! Lifecycle lines (target `lifecycle`: listening, config, shutdown) always reach
//! the console unless `RUST_LOG` names the `lifecycle` target itself, so that
//! `RUST_LOG=warn` cannot make a running service look hung.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use contract::Service;
use contract::logline::{FixedFields, Format, Key, LineWriter};
use thiserror::Error;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogArgs, LogFormat};
use crate::logwriter::{FileSettings, LogSink, WriterGuard};

/// The first field of every line.
const SERVICE: Key = Key::new("service");

/// The fields after it in a request line.
use crate::access_log::key::{ENDPOINT, STATUS};

/// The target of lifecycle lines.
pub const LIFECYCLE: &str = "lifecycle";

/// Flushes the logs when dropped: keep it alive in `main` until the server is done.
#[must_use = "dropping the guard stops the log writers; bind it with `let _guard = ...`"]
pub struct LogGuard {
    _writer: WriterGuard,
}

/// Why logging could not be set up.
#[derive(Debug, Error)]
pub enum TelemetryError {
    #[error("cannot open the log file in {path}: {source}")]
    LogFile { path: String, source: std::io::Error },
    #[error("a global logger is already installed: {0}")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
    #[error("{0}")]
    Otlp(String),
}

/// Installs the global subscriber for `service` and starts the log writer.
pub fn init(service: Service, args: &LogArgs) -> Result<LogGuard, TelemetryError> {
    let format = match args.log_format {
        LogFormat::Text => Format::Text,
        LogFormat::Json => Format::Json,
    };
    let settings =
        FileSettings { dir: args.log_dir.clone(), rotation: args.log_rotation, max_files: args.log_max_files };
    let (sink, guard) = LogSink::start(service, format, settings)
        .map_err(|source| TelemetryError::LogFile { path: args.log_dir.display().to_string(), source })?;
    let console = console_filter(std::env::var("RUST_LOG").ok().as_deref());
    let access_to_console = console.would_enable(crate::access_log::TARGET, &Level::INFO);
    let lines = Arc::new(Lines { service, format, sink, access_to_console });
    tracing_subscriber::registry().with(LineLayer { lines: lines.clone(), console }).try_init()?;
    // Installed once per process, like the subscriber just above.
    let _ = REQUEST_LINES.set(lines);
    #[cfg(feature = "otlp")]
    if let Some(endpoint) = &args.otlp_endpoint {
        crate::otlp::start(endpoint, service).map_err(TelemetryError::Otlp)?;
        tracing::info!(target: "lifecycle", event = "otlp", endpoint = endpoint.as_str());
    }
    Ok(LogGuard { _writer: guard })
}

/// What `RUST_LOG` lets through to stdout: `level` or `target=level` directives
/// (e.g. `warn`, `info,access=off`); `info` when unset or not understood.
/// Lifecycle lines stay on unless a directive names the `lifecycle` target.
pub fn console_filter(rust_log: Option<&str>) -> Targets {
    let default = || Targets::new().with_default(Level::INFO);
    let filter = match rust_log {
        Some(text) if !text.trim().is_empty() => text.parse().unwrap_or_else(|error| {
            eprintln!("RUST_LOG={text:?} is not understood ({error}); the console shows `info`");
            default()
        }),
        _ => default(),
    };
    let names_lifecycle = rust_log.is_some_and(|text| {
        text.split(',').any(|directive| directive.split('=').next().is_some_and(|target| target.trim() == LIFECYCLE))
    });
    if names_lifecycle { filter } else { filter.with_target(LIFECYCLE, Level::INFO) }
}

/// Where every line goes, for the `tracing` layer and the request lines alike.
struct Lines {
    service: Service,
    format: Format,
    sink: LogSink,
    /// What `RUST_LOG` says of the `access` target, read once.
    access_to_console: bool,
}

impl Lines {
    /// The fields a request line starts with, after its time.
    fn head_fields<'a>(&'a self, endpoint: &'a str, status: &'static str) -> [(Key, &'a str); 3] {
        [(SERVICE, self.service.name()), (ENDPOINT, endpoint), (STATUS, status)]
    }

    /// Writes `service=`, `endpoint=` and `status=` of one of the service's
    /// own endpoints, formatted at its first line on this thread.
    fn head(&self, line: &mut LineWriter<'_>, endpoint: &'static str, status: &'static str) {
        let head = || FixedFields::new(self.format, &self.head_fields(endpoint, status));
        HEADS.with(|heads| {
            let mut heads = heads.borrow_mut();
            let known = heads.iter().find(|(e, s, _)| std::ptr::eq(*e, endpoint) && std::ptr::eq(*s, status));
            match known {
                Some((_, _, fixed)) => line.fixed(fixed),
                None if heads.len() < MAX_HEADS => {
                    let fixed = head();
                    line.fixed(&fixed);
                    heads.push((endpoint, status, fixed));
                }
                None => line.fixed(&head()),
            }
        });
    }

    /// Hands one formatted line (with its newline) to the sink, and to
    /// `GET /logs` readers if it goes to the file.
    fn hand_over(&self, line: &str, to_console: bool, to_file: bool, at_ms: i64) {
        self.sink.write(line.as_bytes(), to_console);
        if to_file {
            crate::log_stream::record(line.as_bytes(), at_ms);
        }
    }
}

/// The one layer: formats each event once and hands the bytes to the sink.
struct LineLayer {
    lines: Arc<Lines>,
    console: Targets,
}

impl LineLayer {
    fn to_file(metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn to_console(&self, metadata: &Metadata<'_>) -> bool {
        self.console.would_enable(metadata.target(), metadata.level())
    }
}

thread_local! {
    /// The line being formatted, reused: no allocation per line once warm.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(256));
}

/// Formats a line into this thread's reused buffer (a fresh one if it is in
/// use: a line logged while formatting another) and hands it to `write`.
fn with_line_buffer(write: impl FnOnce(&mut String)) {
    LINE.with(move |cell| match cell.try_borrow_mut() {
        Ok(mut out) => {
            out.clear();
            write(&mut out);
        }
        Err(_) => write(&mut String::new()),
    });
}

/// Where request lines go, set by [`init`]. The access log writes its line
/// here itself rather than as a `tracing` event: one line per request is the
/// hot path, and its fields are known, so the dispatch and the field visitor
/// are skipped.
static REQUEST_LINES: OnceLock<Arc<Lines>> = OnceLock::new();

/// The endpoint of a request line: one of the service's own (a `&'static`
/// name, whose line head is formatted once per thread), or another path as sent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Endpoint<'a> {
    Own(&'static str),
    Other(&'a str),
}

impl Endpoint<'_> {
    /// As the line says it.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Endpoint::Own(name) => name,
            Endpoint::Other(path) => path,
        }
    }
}

/// The most line heads kept per thread (a service has a handful of endpoints).
const MAX_HEADS: usize = 32;

thread_local! {
    /// `service=.. endpoint=.. status=..` of the service's own endpoints,
    /// formatted at their first line: most of a request line is the same for
    /// every request to an endpoint.
    static HEADS: RefCell<Vec<(&'static str, &'static str, FixedFields)>> = const { RefCell::new(Vec::new()) };
}

/// Writes one request line, as a `tracing` event of target `access` would be
/// written: the time `now` ([`crate::clock`]), `service=`, `endpoint=`,
/// `status=`, then the fields `fields` writes. Nothing before [`init`]
/// (tests that build a router alone).
pub(crate) fn request_line(
    now: i64,
    endpoint: Endpoint<'_>,
    status: &'static str,
    fields: impl FnOnce(&mut LineWriter<'_>),
) {
    let Some(lines) = REQUEST_LINES.get() else {
        return;
    };
    with_line_buffer(|out| {
        let mut line = LineWriter::start_ms(out, lines.format, now);
        match endpoint {
            Endpoint::Own(name) => lines.head(&mut line, name, status),
            Endpoint::Other(path) => {
                for (key, value) in lines.head_fields(path, status) {
                    line.str(key, value);
                }
            }
        }
        fields(&mut line);
        line.finish();
        out.push('\n');
        lines.hand_over(out, lines.access_to_console, true, now);
    });
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for LineLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        Self::to_file(metadata) || self.to_console(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let to_console = self.to_console(metadata);
        if !Self::to_file(metadata) && !to_console {
            return;
        }
        let now = crate::clock::now_ms();
        let lines = &*self.lines;
        with_line_buffer(|out| {
            format_event(out, lines.format, lines.service, now, event);
            out.push('\n');
            lines.hand_over(out, to_console, Self::to_file(metadata), now);
        });
    }
}

/// Formats `event` as one line (without newline): `service=` first, `level=`
/// for warnings and errors only (request lines keep the lab's shape), then the
/// event's fields in order, numbers as numbers.
pub fn format_event(out: &mut String, format: Format, service: Service, unix_ms: i64, event: &Event<'_>) {
    let mut line = LineWriter::start_ms(out, format, unix_ms);
    line.str("service", service.name());
    let level = *event.metadata().level();
    if level <= Level::WARN {
        line.str("level", if level == Level::ERROR { "error" } else { "warn" });
    }
    event.record(&mut FieldWriter { line: &mut line, scratch: String::new() });
    line.finish();
}

/// Writes an event's fields through the contract's writer, which escapes every
/// value, so `%value` and `?value` fields are as safe as plain ones.
struct FieldWriter<'l, 'o> {
    line: &'l mut LineWriter<'o>,
    scratch: String,
}

impl Visit for FieldWriter<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.line.str(field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.line.u64(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.line.i64(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.line.str(field.name(), if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value:?}");
        if field.name() == "message" && self.scratch.is_empty() {
            return;
        }
        self.line.str(field.name(), &self.scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_lines_stay_on_unless_rust_log_names_them() {
        let access = tracing::Level::INFO;
        for (rust_log, lifecycle_on, access_on) in [
            (None, true, true),
            (Some("warn"), true, false),
            (Some("error"), true, false),
            (Some("info,access=off"), true, false),
            (Some("warn,lifecycle=off"), false, false),
            (Some("lifecycle=warn"), false, false),
            (Some("not a filter ==="), true, true),
        ] {
            let filter = console_filter(rust_log);
            assert_eq!(filter.would_enable(LIFECYCLE, &access), lifecycle_on, "{rust_log:?}");
            assert_eq!(filter.would_enable("access", &access), access_on, "{rust_log:?}");
        }
    }
}
