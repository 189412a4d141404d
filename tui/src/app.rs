//! The dashboard's state and every change to it: pure, no I/O, no clock of its
//! own (times arrive inside events), so tests drive it directly.

use std::collections::VecDeque;
use std::path::PathBuf;

use contract::{ErrorKind, Service};
use time::OffsetDateTime;

use crate::event::{Answer, Control, Event, Health, Outcome};
use crate::keys::Action;
use crate::logtail::LogLine;
use crate::stats::Stats;

/// Rows kept in the request list (older ones leave; the numbers keep counting).
pub const MAX_ROWS: usize = 2_000;
/// Log lines kept for the log panel.
pub const MAX_LOG_LINES: usize = 5_000;
/// The longest message that can be typed (the services' own limit).
pub const MAX_MESSAGE_BYTES: usize = contract::params::MAX_MSG_BYTES;

/// What the keyboard is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a new message; the text so far.
    Editing(String),
    Help,
}

/// What the app asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send one `/call-echo` with this id.
    Send {
        id: String,
        msg: String,
        delay_ms: Option<u64>,
    },
    /// Start the service if stopped, stop it if running (if the dashboard owns it).
    ToggleRunning(Service),
    /// Freeze A if running, thaw it if frozen.
    ToggleFreeze,
    StartBurst {
        requests: u64,
        concurrency: u64,
        msg: String,
    },
    CancelBurst,
    WriteReport,
    Quit,
}

/// A row of the request list: a request, or an event that explains what follows.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Request(RequestRow),
    Marker(Marker),
}

/// One request and, once it is back, its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub id: String,
    pub sent_at: OffsetDateTime,
    pub msg: String,
    pub delay_ms: Option<u64>,
    pub burst: bool,
    /// `None` while waiting for B.
    pub outcome: Option<Outcome>,
}

/// Something the learner did (or that happened to a service), shown in the
/// request list and on the chart at the point where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at: Option<OffsetDateTime>,
    pub text: String,
    /// The request count when it happened: its place on the chart.
    pub at_request: u64,
}

/// The state of a burst in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    pub requests: u64,
    pub concurrency: u64,
    pub done: u64,
    pub failed: u64,
    pub cancelling: bool,
}

/// What the dashboard shows of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceView {
    pub url: String,
    pub health: Health,
    pub control: Control,
}

/// The log panel: merged lines, and how the learner is looking at them.
#[derive(Debug, Clone, Default)]
pub struct LogView {
    pub lines: VecDeque<LogLine>,
    /// Not following: new lines are kept but the view stays where it is.
    pub paused: bool,
    /// Lines scrolled back from the newest (when paused).
    pub scroll: usize,
    /// Show only this request id's lines.
    pub filter: Option<String>,
    /// Health-check lines left out of the panel (the dashboard polls every second).
    pub hidden_health: u64,
}

/// Fixed facts about this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub a_url: String,
    pub b_url: String,
    pub log_dir: PathBuf,
    pub timeout_ms: u64,
    pub slow_delay_ms: u64,
    pub burst_requests: u64,
    pub burst_concurrency: u64,
}

impl Settings {
    /// The settings of a dashboard started with no flags (the services' defaults).
    pub fn defaults() -> Self {
        Self {
            a_url: Service::A.default_url().into(),
            b_url: Service::B.default_url().into(),
            log_dir: contract::DEFAULT_LOG_DIR.into(),
            timeout_ms: contract::DEFAULT_TIMEOUT_MS,
            slow_delay_ms: contract::DEFAULT_TIMEOUT_MS + 1_000,
            burst_requests: 200,
            burst_concurrency: 20,
        }
    }
}

/// The whole state of the dashboard.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    pub mode: Mode,
    /// The message Enter sends.
    pub message: String,
    pub rows: VecDeque<Row>,
    /// Index into `rows`; `None` follows the newest row.
    pub selected: Option<usize>,
    pub stats: Stats,
    pub services: [ServiceView; 2],
    pub logs: LogView,
    pub burst: Option<Burst>,
    /// The status line: the last thing the dashboard has to say.
    pub note: Option<String>,
    pub last_report: Option<PathBuf>,
    /// Makes each request id unique within the session.
    next_request: u64,
    /// A random part, so ids are unique across sessions in the same log files.
    session: String,
    pub quitting: bool,
}

impl App {
    pub fn new(settings: Settings, session: impl Into<String>) -> Self {
        let view = |url: &str| ServiceView { url: url.to_owned(), health: Health::Unknown, control: Control::Unknown };
        Self {
            services: [view(&settings.a_url), view(&settings.b_url)],
            settings,
            mode: Mode::Normal,
            message: "hello".into(),
            rows: VecDeque::new(),
            selected: None,
            stats: Stats::default(),
            logs: LogView::default(),
            burst: None,
            note: None,
            last_report: None,
            next_request: 0,
            session: session.into(),
            quitting: false,
        }
    }

    pub fn service(&self, service: Service) -> &ServiceView {
        &self.services[service.index()]
    }

    /// A fresh request id: `<session>-<n>`, short enough to read in a log line.
    pub fn new_request_id(&mut self) -> String {
        self.next_request += 1;
        format!("{}-{:04}", self.session, self.next_request)
    }

    /// The id prefix of a new burst's requests: `<session>-L<n>`.
    pub fn new_burst_prefix(&mut self) -> String {
        self.next_request += 1;
        format!("{}-L{}", self.session, self.next_request)
    }

    /// Applies a key action; returns what the runtime must do for it.
    pub fn on_action(&mut self, action: Action, now: OffsetDateTime) -> Option<Effect> {
        match action {
            Action::Quit => {
                self.quitting = true;
                return Some(Effect::Quit);
            }
            Action::ToggleHelp => {
                self.mode = if self.mode == Mode::Help { Mode::Normal } else { Mode::Help };
            }
            Action::StartEditing => self.mode = Mode::Editing(self.message.clone()),
            Action::EditChar(c) => {
                if let Mode::Editing(text) = &mut self.mode
                    && text.len() + c.len_utf8() <= MAX_MESSAGE_BYTES
                {
                    text.push(c);
                }
            }
            Action::EditBackspace => {
                if let Mode::Editing(text) = &mut self.mode {
                    text.pop();
                }
            }
            Action::EditConfirm => {
                if let Mode::Editing(text) = std::mem::replace(&mut self.mode, Mode::Normal) {
                    self.message = text;
                }
            }
            Action::EditCancel => self.mode = Mode::Normal,
            Action::Send => return Some(self.send(None, now)),
            Action::SendSlow => {
                let (delay, timeout) = (self.settings.slow_delay_ms, self.settings.timeout_ms);
                self.mark(now, format!("slow request: A waits {delay} ms, B gives up after {timeout} ms"));
                return Some(self.send(Some(delay), now));
            }
            Action::StartBurst => return self.start_burst(now),
            Action::Cancel => {
                if let Some(burst) = &mut self.burst
                    && !burst.cancelling
                {
                    burst.cancelling = true;
                    self.note = Some("cancelling the burst: requests in flight finish".into());
                    return Some(Effect::CancelBurst);
                }
            }
            Action::ToggleA => return Some(Effect::ToggleRunning(Service::A)),
            Action::ToggleB => return Some(Effect::ToggleRunning(Service::B)),
            Action::ToggleFreeze => return Some(Effect::ToggleFreeze),
            Action::SelectUp => self.move_selection(-1),
            Action::SelectDown => self.move_selection(1),
            Action::SelectNewest => self.selected = None,
            Action::ToggleFilter => self.toggle_filter(),
            Action::TogglePause => {
                self.logs.paused = !self.logs.paused;
                self.logs.scroll = 0;
            }
            Action::ScrollLogsUp => {
                self.logs.paused = true;
                self.logs.scroll = self.logs.scroll.saturating_add(10).min(self.logs.lines.len().saturating_sub(1));
            }
            Action::ScrollLogsDown => self.logs.scroll = self.logs.scroll.saturating_sub(10),
            Action::WriteReport => {
                self.note = Some("writing the report...".into());
                return Some(Effect::WriteReport);
            }
        }
        None
    }

    fn send(&mut self, delay_ms: Option<u64>, now: OffsetDateTime) -> Effect {
        let id = self.new_request_id();
        let msg = self.message.clone();
        self.push_row(Row::Request(RequestRow {
            id: id.clone(),
            sent_at: now,
            msg: msg.clone(),
            delay_ms,
            burst: false,
            outcome: None,
        }));
        Effect::Send { id, msg, delay_ms }
    }

    fn start_burst(&mut self, now: OffsetDateTime) -> Option<Effect> {
        if self.burst.is_some() {
            self.note = Some("a burst is already running (Esc cancels it)".into());
            return None;
        }
        let (requests, concurrency) = (self.settings.burst_requests, self.settings.burst_concurrency);
        self.burst = Some(Burst { requests, concurrency, done: 0, failed: 0, cancelling: false });
        self.mark(now, format!("burst: {requests} requests, {concurrency} at a time"));
        Some(Effect::StartBurst { requests, concurrency, msg: self.message.clone() })
    }

    /// Adds a marker row (also drawn on the chart).
    pub fn mark(&mut self, at: OffsetDateTime, text: impl Into<String>) {
        self.push_row(Row::Marker(Marker { at: Some(at), text: text.into(), at_request: self.stats.total }));
    }

    fn push_row(&mut self, row: Row) {
        if self.rows.len() == MAX_ROWS {
            self.rows.pop_front();
            self.selected = self.selected.and_then(|i| i.checked_sub(1));
        }
        self.rows.push_back(row);
    }

    fn move_selection(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() - 1;
        let current = self.selected.unwrap_or(last);
        let next = current.saturating_add_signed(delta).min(last);
        // Moving down past the newest row goes back to following new rows.
        self.selected = if delta > 0 && current == last { None } else { Some(next) };
        if self.logs.filter.is_some() {
            self.logs.filter = self.selected_request().map(|row| row.id.clone());
        }
    }

    /// The row under the cursor (the newest when following).
    pub fn selected_index(&self) -> Option<usize> {
        self.selected.or_else(|| self.rows.len().checked_sub(1))
    }

    pub fn selected_request(&self) -> Option<&RequestRow> {
        match self.rows.get(self.selected_index()?)? {
            Row::Request(row) => Some(row),
            Row::Marker(_) => None,
        }
    }

    fn toggle_filter(&mut self) {
        if self.logs.filter.take().is_some() {
            return;
        }
        match self.selected_request() {
            Some(row) => {
                self.logs.filter = Some(row.id.clone());
                self.logs.scroll = 0;
            }
            None => self.note = Some("select a request first (Up/Down), then t shows its log lines".into()),
        }
    }

    /// Applies a background event that arrived at `now`.
    pub fn on_event(&mut self, event: Event, now: OffsetDateTime) {
        match event {
            Event::Answer(answer) => self.on_answer(answer),
            Event::Health(service, health) => self.services[service.index()].health = health,
            Event::Control(service, control) => self.on_control(service, control, now),
            Event::Note(text) => self.note = Some(text),
            Event::Logs(lines) => self.on_logs(lines),
            Event::BurstDone { cancelled } => {
                if let Some(burst) = self.burst.take() {
                    let how = if cancelled { "cancelled" } else { "done" };
                    let text =
                        format!("burst {how}: {} of {} sent, {} failed", burst.done, burst.requests, burst.failed);
                    self.mark(now, text.clone());
                    self.note = Some(text);
                }
            }
            Event::ReportWritten(Ok(path)) => {
                self.note = Some(format!("report written: {}", path.display()));
                self.last_report = Some(path);
            }
            Event::ReportWritten(Err(error)) => self.note = Some(format!("could not write the report: {error}")),
        }
    }

    fn on_answer(&mut self, answer: Answer) {
        let Answer { id, sent_at, msg, delay_ms, burst, outcome } = answer;
        let error_kind = match &outcome {
            Outcome::Answered { error_kind, .. } => *error_kind,
            Outcome::NoAnswer { .. } => None,
        };
        self.stats.record(outcome.latency(), outcome.status_label(), error_kind, outcome.is_ok());
        if burst {
            if let Some(progress) = &mut self.burst {
                progress.done += 1;
                progress.failed += u64::from(!outcome.is_ok());
            }
        } else if let Some(pending) = self.rows.iter_mut().rev().find_map(|row| match row {
            Row::Request(row) if row.id == id => Some(row),
            _ => None,
        }) {
            // A single request already has its (pending) row: fill it in.
            pending.outcome = Some(outcome);
            return;
        }
        // A burst's answer, or one whose row has left the bounded list.
        self.push_row(Row::Request(RequestRow { id, sent_at, msg, delay_ms, burst, outcome: Some(outcome) }));
    }

    fn on_control(&mut self, service: Service, control: Control, now: OffsetDateTime) {
        let view = &mut self.services[service.index()];
        let before = std::mem::replace(&mut view.control, control.clone());
        let name = service.name();
        let text = match (&before, &control) {
            (Control::Running { .. }, Control::Frozen { .. }) => Some(format!("{name} frozen (SIGSTOP)")),
            (Control::Frozen { .. }, Control::Running { .. }) => Some(format!("{name} thawed (SIGCONT)")),
            (Control::Starting, Control::Running { pid }) => Some(format!("{name} started (pid {pid})")),
            (_, Control::Stopped) if before != Control::Stopped => Some(format!("{name} stopped")),
            (_, Control::Failed(why)) => Some(format!("{name} failed to start: {why}")),
            _ => None,
        };
        if let Some(text) = text {
            self.mark(now, text.clone());
            self.note = Some(text);
        }
    }

    fn on_logs(&mut self, lines: Vec<LogLine>) {
        for line in lines {
            if line.endpoint.as_deref() == Some("/health") {
                self.logs.hidden_health += 1;
                continue;
            }
            if self.logs.lines.len() == MAX_LOG_LINES {
                self.logs.lines.pop_front();
            }
            // Merge by time: each service's lines arrive in order, so a binary
            // search on the timestamp finds where a line of the other one goes.
            let position = match line.at {
                Some(at) => self.logs.lines.partition_point(|l| l.at.is_none_or(|t| t <= at)),
                None => self.logs.lines.len(),
            };
            self.logs.lines.insert(position, line);
            if self.logs.paused {
                // Keep the view still while new lines arrive below it.
                self.logs.scroll += 1;
            }
        }
    }

    /// The log lines the panel shows (filter applied), oldest first.
    pub fn visible_logs(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        let filter = self.logs.filter.as_deref();
        self.logs.lines.iter().filter(move |l| filter.is_none_or(|id| l.request_id.as_deref() == Some(id)))
    }

    /// Counts by error kind, in the spec's order, including zeros.
    pub fn error_kind_counts(&self) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        ErrorKind::ALL.into_iter().map(|kind| (kind, self.stats.by_error_kind.get(&kind).copied().unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

    fn app() -> App {
        App::new(Settings::defaults(), "t3st")
    }

    fn answered(status: u16, ms: u64, kind: Option<ErrorKind>) -> Outcome {
        Outcome::Answered {
            status,
            latency: Duration::from_millis(ms),
            error_kind: kind,
            upstream_ms: None,
            body: String::new(),
        }
    }

    fn answer(id: &str, outcome: Outcome, burst: bool) -> Event {
        Event::Answer(Answer { id: id.into(), sent_at: T0, msg: "hello".into(), delay_ms: None, burst, outcome })
    }

    fn log(service: Service, second: u8, id: &str, endpoint: &str) -> LogLine {
        let raw = format!(
            "2026-11-24 12:00:{second:02},000 service={} endpoint={endpoint} status=ok latency_ms=0 request_id={id}",
            service.name()
        );
        LogLine::parse(service, &raw)
    }

    #[test]
    fn enter_sends_the_message_with_a_fresh_id_and_shows_a_pending_row() {
        let mut app = app();
        let effect = app.on_action(Action::Send, T0);
        assert_eq!(effect, Some(Effect::Send { id: "t3st-0001".into(), msg: "hello".into(), delay_ms: None }));
        let Some(Row::Request(row)) = app.rows.back() else { panic!("no row") };
        assert_eq!(row.outcome, None);
        app.on_event(answer("t3st-0001", answered(503, 1003, Some(ErrorKind::Timeout)), false), T0);
        let Some(Row::Request(row)) = app.rows.back() else { panic!("no row") };
        assert_eq!(row.outcome.as_ref().map(Outcome::status_label).as_deref(), Some("503"));
        assert_eq!(app.rows.len(), 1, "the answer fills the pending row");
        assert_eq!(app.stats.by_error_kind[&ErrorKind::Timeout], 1);
        assert_ne!(app.new_request_id(), "t3st-0001");
    }

    #[test]
    fn slow_request_asks_for_a_delay_beyond_the_timeout_and_leaves_a_marker() {
        let mut app = app();
        let effect = app.on_action(Action::SendSlow, T0);
        assert!(matches!(effect, Some(Effect::Send { delay_ms: Some(2000), .. })));
        assert!(matches!(&app.rows[0], Row::Marker(m) if m.text.contains("2000 ms") && m.text.contains("1000 ms")));
    }

    #[test]
    fn editing_keeps_on_enter_and_drops_on_esc() {
        let mut app = app();
        app.on_action(Action::StartEditing, T0);
        app.on_action(Action::EditBackspace, T0);
        app.on_action(Action::EditChar('!'), T0);
        app.on_action(Action::EditConfirm, T0);
        assert_eq!(app.message, "hell!");
        app.on_action(Action::StartEditing, T0);
        app.on_action(Action::EditChar('x'), T0);
        app.on_action(Action::EditCancel, T0);
        assert_eq!((app.message.as_str(), &app.mode), ("hell!", &Mode::Normal));
    }

    #[test]
    fn a_message_cannot_grow_past_the_services_limit() {
        let mut app = app();
        app.on_action(Action::StartEditing, T0);
        for _ in 0..MAX_MESSAGE_BYTES + 10 {
            app.on_action(Action::EditChar('x'), T0);
        }
        app.on_action(Action::EditConfirm, T0);
        assert_eq!(app.message.len(), MAX_MESSAGE_BYTES);
    }

    #[test]
    fn a_burst_counts_progress_refuses_a_second_and_can_be_cancelled() {
        let mut app = app();
        let effect = app.on_action(Action::StartBurst, T0);
        assert_eq!(effect, Some(Effect::StartBurst { requests: 200, concurrency: 20, msg: "hello".into() }));
        assert_eq!(app.on_action(Action::StartBurst, T0), None);
        assert!(app.note.as_deref().is_some_and(|n| n.contains("already running")));
        app.on_event(answer("b-1", answered(200, 2, None), true), T0);
        app.on_event(answer("b-2", answered(503, 2, Some(ErrorKind::Connect)), true), T0);
        let burst = app.burst.expect("running");
        assert_eq!((burst.done, burst.failed), (2, 1));
        assert_eq!(app.on_action(Action::Cancel, T0), Some(Effect::CancelBurst));
        assert_eq!(app.on_action(Action::Cancel, T0), None, "cancel once");
        app.on_event(Event::BurstDone { cancelled: true }, T0);
        assert!(app.burst.is_none());
        assert!(matches!(app.rows.back(), Some(Row::Marker(m)) if m.text.starts_with("burst cancelled: 2 of 200")));
    }

    #[test]
    fn service_changes_leave_markers_at_the_current_request_count() {
        let mut app = app();
        app.on_event(Event::Control(Service::A, Control::Starting), T0);
        app.on_event(Event::Control(Service::A, Control::Running { pid: 7 }), T0);
        app.on_event(answer("x", answered(200, 1, None), true), T0);
        app.on_event(Event::Control(Service::A, Control::Frozen { pid: 7 }), T0);
        app.on_event(Event::Control(Service::A, Control::Running { pid: 7 }), T0);
        app.on_event(Event::Control(Service::A, Control::Stopping), T0);
        app.on_event(Event::Control(Service::A, Control::Stopped), T0);
        let markers: Vec<(String, u64)> = app
            .rows
            .iter()
            .filter_map(|row| match row {
                Row::Marker(m) => Some((m.text.clone(), m.at_request)),
                Row::Request(_) => None,
            })
            .collect();
        assert_eq!(
            markers,
            [
                ("A started (pid 7)".to_owned(), 0),
                ("A frozen (SIGSTOP)".to_owned(), 1),
                ("A thawed (SIGCONT)".to_owned(), 1),
                ("A stopped".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn logs_merge_by_time_hide_health_checks_and_filter_by_request() {
        let mut app = app();
        app.on_event(Event::Logs(vec![log(Service::A, 1, "r1", "/echo"), log(Service::A, 3, "r2", "/echo")]), T0);
        app.on_event(Event::Logs(vec![log(Service::B, 2, "r1", "/call-echo"), log(Service::B, 4, "h", "/health")]), T0);
        let order: Vec<(Service, Option<&str>)> =
            app.visible_logs().map(|l| (l.service, l.request_id.as_deref())).collect();
        assert_eq!(order, [(Service::A, Some("r1")), (Service::B, Some("r1")), (Service::A, Some("r2"))]);
        assert_eq!(app.logs.hidden_health, 1);

        app.on_action(Action::Send, T0);
        let id = app.selected_request().map(|r| r.id.clone()).expect("a request");
        app.on_event(Event::Logs(vec![log(Service::B, 5, &id, "/call-echo")]), T0);
        app.on_action(Action::ToggleFilter, T0);
        assert_eq!(app.visible_logs().count(), 1);
        app.on_action(Action::ToggleFilter, T0);
        assert_eq!(app.visible_logs().count(), 4);
    }

    #[test]
    fn filter_without_a_selected_request_explains_itself() {
        let mut app = app();
        app.on_action(Action::ToggleFilter, T0);
        assert_eq!(app.logs.filter, None);
        assert!(app.note.as_deref().is_some_and(|n| n.contains("select a request")));
    }

    #[test]
    fn selection_moves_and_returns_to_following() {
        let mut app = app();
        for _ in 0..3 {
            app.on_action(Action::Send, T0);
        }
        assert_eq!(app.selected_index(), Some(2));
        app.on_action(Action::SelectUp, T0);
        app.on_action(Action::SelectUp, T0);
        app.on_action(Action::SelectUp, T0);
        assert_eq!(app.selected, Some(0));
        app.on_action(Action::SelectDown, T0);
        app.on_action(Action::SelectDown, T0);
        app.on_action(Action::SelectDown, T0);
        assert_eq!(app.selected, None, "past the newest row: following again");
        app.on_action(Action::Send, T0);
        assert_eq!(app.selected_index(), Some(3));
    }

    #[test]
    fn history_is_bounded() {
        let mut app = app();
        for i in 0..MAX_ROWS + 50 {
            app.on_event(answer(&format!("b-{i}"), answered(200, 1, None), true), T0);
        }
        for i in 0..MAX_LOG_LINES + 50 {
            let second = u8::try_from(i % 60).unwrap_or(0);
            app.on_event(Event::Logs(vec![log(Service::A, second, "x", "/echo")]), T0);
        }
        assert_eq!(app.rows.len(), MAX_ROWS);
        assert_eq!(app.logs.lines.len(), MAX_LOG_LINES);
        assert_eq!(app.stats.total, (MAX_ROWS + 50) as u64);
    }

    #[test]
    fn pausing_keeps_the_view_still_while_lines_arrive() {
        let mut app = app();
        app.on_action(Action::TogglePause, T0);
        app.on_event(Event::Logs(vec![log(Service::A, 1, "a", "/echo"), log(Service::A, 2, "b", "/echo")]), T0);
        assert!(app.logs.paused);
        assert_eq!(app.logs.scroll, 2);
        app.on_action(Action::TogglePause, T0);
        assert_eq!((app.logs.paused, app.logs.scroll), (false, 0));
    }

    #[test]
    fn quit_is_an_effect_in_any_state() {
        let mut app = app();
        app.on_action(Action::StartBurst, T0);
        app.on_action(Action::ToggleHelp, T0);
        assert_eq!(app.on_action(Action::Quit, T0), Some(Effect::Quit));
        assert!(app.quitting);
    }
}
