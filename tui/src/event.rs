//! Everything that changes the dashboard's state, other than a key: answers,
//! health checks, children's states, log lines, the end of a burst, a report.

use std::path::PathBuf;
use std::time::Duration;

use contract::{ErrorKind, Service};
use time::OffsetDateTime;

use crate::logtail::LogLine;

/// A background result, delivered to the app through one channel.
#[derive(Debug, Clone)]
pub enum Event {
    /// A `/call-echo` finished (one the learner sent, or one of a burst).
    Answer(Answer),
    /// The result of a health check.
    Health(Service, Health),
    /// The supervisor changed what it knows of a service's process.
    Control(Service, Control),
    /// Something to tell the learner in the status line.
    Note(String),
    /// New log lines, in file order per service.
    Logs(Vec<LogLine>),
    /// A burst ended: all its requests done, or cancelled.
    BurstDone { cancelled: bool },
    /// `r` finished.
    ReportWritten(Result<PathBuf, String>),
}

/// One finished `/call-echo`.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The `x-request-id` the dashboard sent.
    pub id: String,
    /// When it was sent (UTC).
    pub sent_at: OffsetDateTime,
    pub msg: String,
    pub delay_ms: Option<u64>,
    /// Part of a burst (`l`) rather than a single request.
    pub burst: bool,
    pub outcome: Outcome,
}

/// What came back from B.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// B answered (200, 503, 400, ...).
    Answered {
        status: u16,
        latency: Duration,
        /// `error_kind` of a 503.
        error_kind: Option<ErrorKind>,
        /// `upstream;dur=` of `server-timing`: B's time spent calling A.
        upstream_ms: Option<f64>,
        body: String,
    },
    /// B itself could not be reached or did not answer.
    NoAnswer { latency: Duration, error: String },
}

impl Outcome {
    pub fn latency(&self) -> Duration {
        match self {
            Outcome::Answered { latency, .. } | Outcome::NoAnswer { latency, .. } => *latency,
        }
    }

    /// `200`, `503`, ... or `no answer`: the key of the counts by status.
    pub fn status_label(&self) -> String {
        match self {
            Outcome::Answered { status, .. } => status.to_string(),
            Outcome::NoAnswer { .. } => "no answer".into(),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Answered { status: 200..=299, .. })
    }
}

/// What the last health check of a service said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Health {
    Unknown,
    Up { latency: Duration },
    Down,
}

/// What the dashboard knows of a service's process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Still finding out at start.
    Unknown,
    /// Was already running: the dashboard uses it but does not own it.
    Attached,
    /// Not running, and `--attach` says not to start it.
    Absent,
    /// Started by the dashboard, waiting for its first healthy answer.
    Starting,
    /// Started by the dashboard and answering.
    Running { pid: u32 },
    /// Stopped with SIGSTOP: the port is open but nothing answers.
    Frozen { pid: u32 },
    /// SIGTERM sent, waiting for it to drain and exit.
    Stopping,
    /// Stopped by the dashboard (press the key again to start it).
    Stopped,
    /// Could not be started; the reason is what the child said.
    Failed(String),
}
