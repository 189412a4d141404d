//! The messages of the dashboard, and the data they carry: what a key asks for
//! ([`Action`]), what a background task reports ([`Event`]) and what the model
//! asks the runtime to do ([`Effect`]). A leaf: it imports nothing of the
//! dashboard but the text helpers, so every other module can use it.

use std::time::Duration;

use contract::faults::{APolicy, APolicyChange, Faults, FaultsChange};
use contract::policy::{PolicyChange, PolicyStatus};
use contract::{ErrorKind, Service};
use time::OffsetDateTime;

use crate::faults::ToxicSpec;

mod log_line;
pub use log_line::LogLine;

/// What the keyboard is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputMode {
    Normal,
    /// Typing a new message; the text so far.
    Editing(String),
    Help,
    /// The faults menu (`x`): a fault's key causes it (again: undoes it).
    Faults,
}

/// Everything the learner can ask for (a key, or a quit signal from outside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send,
    StartEditing,
    EditChar(char),
    /// Text pasted into the terminal (bracketed paste): typed into the
    /// message while editing, else refused (never run as keys).
    Paste(String),
    EditBackspace,
    EditConfirm,
    EditCancel,
    /// Ctrl-U while editing: clear the text.
    EditClear,
    SendSlow,
    /// `l`: start or stop the steady load.
    ToggleLoad,
    StartBurst,
    /// `n`: the link's next fault in the cycle.
    CycleLink,
    /// `x`: open the faults menu; any other key closes it.
    OpenFaults,
    CloseFaults,
    /// A registered fault (by id), from the menu or its own key: caused, or
    /// undone when it is on.
    Fault(&'static str),
    /// `0`: undo everything the learner broke: the link, A's faults, A
    /// frozen, B's policy.
    ResetAll,
    /// `v`: the next view in the chart's place.
    NextView,
    /// `g`: open or close the guided lab.
    ToggleGuide,
    /// `+` / `-`: B's timeout up / down by [`crate::model::TIMEOUT_STEP_MS`].
    TimeoutUp,
    TimeoutDown,
    /// `R`: B's retries 0 → 1 → 2 → 3 → 0.
    CycleRetries,
    /// `c`: B's circuit breaker on / off.
    ToggleBreaker,
    /// `d`: B's deadline propagation on / off.
    ToggleDeadline,
    /// Esc: cancel a running burst.
    Cancel,
    ToggleA,
    ToggleB,
    ToggleFreeze,
    SelectUp,
    SelectDown,
    SelectNewest,
    ToggleFilter,
    TogglePause,
    ScrollLogsUp,
    ScrollLogsDown,
    WriteReport,
    ToggleHelp,
    Quit,
}

/// A background result, delivered to the model through one bounded channel.
#[derive(Debug, Clone)]
pub enum Event {
    /// The dashboard is up: log lines written before now are from earlier runs.
    SessionStarted,
    /// A `/call-echo` finished (one the learner sent, or one of a burst).
    Answer(Answer),
    /// The result of a health check.
    Health(Service, Health),
    /// The supervisor changed what it knows of a service's process.
    Process(Service, ProcessState),
    /// A service the dashboard started listens at `url` (its real port).
    Listening { service: Service, url: String },
    /// Something to tell the learner in the status line.
    Note(String),
    /// New log lines, in file order per service.
    Logs(Vec<LogLine>),
    /// Why each service's log cannot be followed now (A, B; `None`: it can).
    LogProblems([Option<String>; 2]),
    /// A burst ended: all its requests done, or cancelled.
    BurstDone { cancelled: bool },
    /// A `/call-echo` of the steady load finished.
    LoadAnswer(Answer),
    /// The steady load has sent this many requests so far.
    LoadSent(u64),
    /// The steady load stopped; every request it sent is answered.
    LoadDone,
    /// The link is listening here (B goes through it when the dashboard starts B).
    LinkUp { addr: String },
    /// The link's counters and toxics, now (also those set through its API).
    Link(LinkReport),
    /// The link's toxiproxy API listens here.
    LinkApi(Result<String, String>),
    /// The external link (`--link-api URL`) holds this now: whether it is
    /// enabled, and its toxics (what the dashboard's keys set).
    LinkMirrored { enabled: bool, toxics: Vec<ToxicSpec> },
    /// `r` finished.
    ReportWritten(Result<std::path::PathBuf, String>),
    /// Where B's admin listener answers (a B the dashboard started reports it).
    PolicyAdmin(String),
    /// What B's admin listener said of its call policy, or why it said
    /// nothing; `answers_change`: the answer to a change the dashboard sent.
    Policy { seen: Result<PolicyStatus, String>, answers_change: bool },
    /// Where A's admin listener answers (an A the dashboard started reports it).
    AAdmin(String),
    /// What A's admin listener said of its faults and dedup, or why it said nothing.
    AFaults { seen: Result<AFaultsState, String>, answers_change: bool },
}

/// What the model asks the runtime to do; each carries all it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send one `/call-echo` with this id.
    Send {
        id: String,
        msg: String,
        delay_ms: Option<u64>,
    },
    /// Start the service if stopped, stop it if running (if the dashboard
    /// owns it); B starts with `b_policy`, the policy B last reported.
    ToggleRunning {
        service: Service,
        b_policy: Option<contract::policy::Policy>,
    },
    /// B's budget for A changed: wait this long for B's answers from now on.
    WaitForB(Duration),
    /// Freeze A if running, thaw it if frozen.
    ToggleFreeze,
    /// Send `requests` requests, `concurrency` at a time, with ids `<id_prefix>-<n>`.
    StartBurst {
        requests: u64,
        concurrency: u64,
        msg: String,
        id_prefix: String,
    },
    CancelBurst,
    /// Send `rate` requests per second, evenly spaced, with ids `<id_prefix>-<n>`, until stopped.
    StartLoad {
        rate: u32,
        msg: String,
        id_prefix: String,
    },
    StopLoad,
    /// The link healthy (`None`) or one registered fault's toxics, by id.
    SetLink(Option<&'static str>),
    /// Change B's call policy through its admin listener.
    ChangePolicy(PolicyChange),
    /// Change A's faults or dedup through its admin listener.
    ChangeA(AChange),
    /// Kill the service (SIGKILL), if the dashboard started it.
    Crash(Service),
    /// Undo every fault: the link healthy; A's faults off (`a_faults`: A
    /// has some and can be told); and, if given, thaw A and set B's policy back.
    ResetAll {
        a_faults: bool,
        thaw_a: bool,
        b_policy: Option<PolicyChange>,
    },
    WriteReport,
}

/// A's faults and its policy, as its admin listener says.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AFaultsState {
    pub faults: Faults,
    pub policy: APolicy,
}

/// A change to A through its admin listener.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AChange {
    Faults(FaultsChange),
    Policy(APolicyChange),
    /// Every fault off, dedup off.
    Reset,
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
    /// Part of a burst rather than a single request.
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

    /// B's `error_kind`, if B answered with one (or one was read from its
    /// error text: [`Outcome::kind_guessed`]).
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Outcome::Answered { error_kind, .. } => *error_kind,
            Outcome::NoAnswer { .. } => None,
        }
    }

    /// The kind was read from the text of B's error, not said by B: another
    /// implementation's 503 with no `error_kind` ([`kind_from_error_text`]).
    pub fn kind_guessed(&self) -> bool {
        matches!(self, Outcome::Answered { error_kind: Some(_), body, .. }
            if body.contains("\"error\"") && !body.contains("\"error_kind\""))
    }
}

/// The kind an error text names, for a B that does not say it: the words
/// Python's `requests` and most HTTP clients use (`Read timed out`,
/// `Connection refused`, `500 Server Error`, `Expecting value`).
pub fn kind_from_error_text(text: &str) -> Option<ErrorKind> {
    let text = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| text.contains(word));
    if has(&["timed out", "timeout"]) {
        Some(ErrorKind::Timeout)
    } else if has(&["refused", "failed to establish", "connection reset", "connection aborted", "not known"]) {
        Some(ErrorKind::Connect)
    } else if has(&["server error", "client error", "status code", "bad status"]) {
        Some(ErrorKind::Status)
    } else if has(&["json", "expecting value", "decode"]) {
        Some(ErrorKind::Body)
    } else {
        None
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
pub enum ProcessState {
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
    /// Asked to stop, waiting for it to drain and exit.
    Stopping,
    /// Stopped by the dashboard (press the key again to start it).
    Stopped,
    /// Could not be started; the reason is what the child said.
    Failed(String),
}

/// What the link was doing when a request was sent, as far as the dashboard
/// knows: the evidence a trace uses to say why A never got a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkCondition {
    /// No toxics, listening.
    #[default]
    Healthy,
    /// One of the registered faults ([`crate::faults`]), by id.
    Fault(&'static str),
    /// Toxics that are no registered fault (set through the link's API).
    Other,
}

/// What the link reports: its counters, whether it listens, its toxics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkReport {
    pub counters: LinkCounters,
    pub enabled: bool,
    pub toxics: Vec<ToxicSpec>,
}

/// What the link has carried so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// Connections accepted from B.
    pub connections: u64,
    /// Connections open now.
    pub open: u64,
    /// Bytes from B to A, and from A to B.
    pub bytes_to_a: u64,
    pub bytes_to_b: u64,
    /// Connections the link cut (reset), or held (partitioned) when they ended.
    pub cut: u64,
    /// Connections reset at once because `max_open` were open.
    pub refused: u64,
    /// Connections closed quiet: no first byte within `first_byte`, or nothing carried for `idle`.
    pub idle_closed: u64,
    /// Accepts that failed (out of file descriptors), and why the last one
    /// did (`raw_os_error`).
    pub accept_failed: u64,
    pub accept_error: Option<i32>,
    /// The link's limits, to say them when they are hit.
    pub limits: LinkLimits,
}

/// What the link allows: how many connections at once, and how long one may
/// be quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLimits {
    /// Connections open at once; another one is reset as soon as it is accepted.
    pub max_open: u64,
    /// How long a new connection may wait before sending its first byte.
    pub first_byte: Duration,
    /// How long a connection may carry nothing either way.
    pub idle: Duration,
}

impl Default for LinkLimits {
    fn default() -> Self {
        Self { max_open: 256, first_byte: Duration::from_secs(10), idle: Duration::from_secs(60) }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn the_kind_is_read_from_the_error_texts_of_pythons_requests() {
        let cases = [
            (
                "HTTPConnectionPool(host='127.0.0.1', port=8080): Read timed out. (read timeout=1.0)",
                Some(ErrorKind::Timeout),
            ),
            (
                "HTTPConnectionPool(host='127.0.0.1', port=8080): Max retries exceeded with url: /echo?msg=hi (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))",
                Some(ErrorKind::Connect),
            ),
            (
                "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
                Some(ErrorKind::Connect),
            ),
            (
                "500 Server Error: INTERNAL SERVER ERROR for url: http://127.0.0.1:8080/echo?msg=hi",
                Some(ErrorKind::Status),
            ),
            ("Expecting value: line 1 column 1 (char 0)", Some(ErrorKind::Body)),
            ("something went wrong", None),
        ];
        for (text, kind) in cases {
            assert_eq!(kind_from_error_text(text), kind, "{text}");
        }
        let said = Outcome::Answered {
            status: 503,
            latency: Duration::from_millis(3),
            error_kind: Some(ErrorKind::Connect),
            upstream_ms: None,
            body: r#"{"error":"x","error_kind":"connect"}"#.into(),
        };
        assert!(!said.kind_guessed());
        let read = Outcome::Answered {
            status: 503,
            latency: Duration::from_millis(3),
            error_kind: Some(ErrorKind::Connect),
            upstream_ms: None,
            body: r#"{"error":"Connection refused"}"#.into(),
        };
        assert!(read.kind_guessed());
    }
}
