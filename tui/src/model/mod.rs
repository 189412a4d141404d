//! The dashboard's state and every change to it: pure, no I/O, no clock of its
//! own (times arrive with each message), so tests drive it directly. It changes
//! only through [`Model::on_action`] and [`Model::on_event`], which return the
//! [`Effect`]s the runtime carries out.

pub mod guide;
pub mod load;
pub mod logs;
pub mod orphans;
pub mod policy;
pub mod requests;
pub mod services;
pub mod session;
pub mod stats;
pub mod timeline;
pub mod trace;
pub mod work;

use contract::Service;
use time::OffsetDateTime;

use crate::cli::Settings;
use crate::faults;
use crate::msg::{Action, Answer, Effect, Event, Health, InputMode, Outcome, ProcessState};
use load::{BurstProgress, SteadyLoad};
use logs::LogView;
use requests::{AState, Conditions, Entry, Mark, RequestList, SentRequest};
use services::ServiceView;
pub use services::{BSeesA, LinkView};
use session::SessionLog;
use stats::Stats;
use timeline::Timeline;
use work::WorkRatio;

use policy::PolicyView;
pub use policy::TIMEOUT_STEP_MS;

/// The longest message that can be typed (the services' own limit).
pub const MAX_MESSAGE_BYTES: usize = contract::params::MAX_MSG_BYTES;

/// How long a note stays in the status line.
pub const NOTE_LIFETIME: time::Duration = time::Duration::seconds(8);

/// Lines PgUp/PgDn scroll the logs by.
const SCROLL_STEP: usize = 10;

/// What the chart's place shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartView {
    /// Each answer's latency against B's timeout.
    Latency,
    /// Per second: calls, availability, p99.
    Timeline,
    /// The selected request's path across the dashboard, B, the link and A.
    Trace,
}

/// The whole state of the dashboard.
#[derive(Debug, Clone)]
pub struct Model {
    pub settings: Settings,
    pub mode: InputMode,
    /// The message Enter sends.
    pub message: String,
    pub requests: RequestList,
    pub stats: Stats,
    pub services: [ServiceView; 2],
    pub logs: LogView,
    pub burst: Option<BurstProgress>,
    pub load: Option<SteadyLoad>,
    /// Per second of the session: calls, availability, p99.
    pub timeline: Timeline,
    /// What shows in the chart's place (`v`).
    pub view: ChartView,
    /// The link between B and A: its mode, address and counters.
    pub link: LinkView,
    /// What B's last answer says of A (`None` before any answer).
    pub b_sees_a: Option<BSeesA>,
    /// B's call policy, as B's admin listener last told it.
    pub policy: PolicyView,
    /// A's request lines per B request line (retries make A work more).
    pub work: WorkRatio,
    /// Requests A worked on after B had given up.
    pub orphans: orphans::Orphans,
    /// The guided lab (`g`): which steps the learner has shown, with evidence.
    pub guide: guide::Guide,
    /// When the latest action or event arrived: the screen's clock, so a view
    /// can say how old what it shows is.
    pub clock: OffsetDateTime,
    /// What the report tells: every request sent by hand, bursts summarised, marks.
    pub session_log: SessionLog,
    /// The status line: the last thing the dashboard has to say, and when.
    note: Option<(String, OffsetDateTime)>,
    /// Makes each request id unique within the session.
    next_request: u64,
    /// A random part, so ids are unique across sessions in the same log files.
    session: String,
    quitting: bool,
}

impl Model {
    pub fn new(settings: Settings, session: impl Into<String>) -> Self {
        let link = LinkView::new(settings.fault_params());
        let admin = settings.b_admin_url.as_ref().map(|url| url.as_str().trim_end_matches('/').to_owned());
        Self {
            services: Service::ALL.map(|service| ServiceView::new(settings.display_url(service))),
            settings,
            mode: InputMode::Normal,
            message: "hello".into(),
            requests: RequestList::default(),
            stats: Stats::default(),
            logs: LogView::default(),
            burst: None,
            load: None,
            timeline: Timeline::default(),
            view: ChartView::Latency,
            link,
            b_sees_a: None,
            policy: PolicyView { admin, ..PolicyView::default() },
            work: WorkRatio::default(),
            orphans: orphans::Orphans::default(),
            guide: guide::Guide::default(),
            clock: OffsetDateTime::UNIX_EPOCH,
            session_log: SessionLog::default(),
            note: None,
            next_request: 0,
            session: session.into(),
            quitting: false,
        }
    }

    /// The trace of the selected request, from the log lines on hand; `None`
    /// when the selected row is not a request.
    /// While following, a mark at the bottom (A thawed) gives way to the
    /// newest request.
    pub fn selected_trace(&self) -> Option<trace::Trace> {
        let newest = || {
            self.requests.entries().iter().rev().find_map(|entry| match entry {
                Entry::Request(request) => Some(request),
                Entry::Mark(_) => None,
            })
        };
        let request =
            self.requests.selected_request().or_else(|| if self.requests.is_following() { newest() } else { None })?;
        let lines: Vec<&crate::msg::LogLine> = self.logs.visible(Some(Some(request.id.as_str()))).collect();
        Some(trace::build(request, &lines))
    }

    /// What the dashboard knows now of A and the link (kept with each request).
    pub fn conditions(&self) -> Conditions {
        let a = self.service(Service::A);
        let a = match (&a.process, a.health) {
            (ProcessState::Frozen { .. }, _) => AState::Frozen,
            (ProcessState::Stopped | ProcessState::Stopping, _) | (_, Health::Down) => AState::Down,
            _ => AState::Up,
        };
        Conditions { a, link: self.link.condition() }
    }

    /// B's budget for its call to A: as B's policy says, else as started.
    pub fn timeout_ms(&self) -> u64 {
        self.policy.policy().map_or(self.settings.timeout_ms, |policy| policy.timeout_ms)
    }

    pub fn service(&self, service: Service) -> &ServiceView {
        &self.services[service.index()]
    }

    /// What the status line says (a note expires after [`NOTE_LIFETIME`]).
    pub fn note(&self) -> Option<&str> {
        self.note.as_ref().map(|(text, _)| text.as_str())
    }

    fn say(&mut self, now: OffsetDateTime, text: impl Into<String>) {
        self.note = Some((text.into(), now));
    }

    /// The learner asked to quit (a key, or a signal from outside).
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// A fresh request id: `<session>-<n>`, short enough to read in a log line.
    fn new_request_id(&mut self) -> String {
        self.next_request += 1;
        format!("{}-{:04}", self.session, self.next_request)
    }

    /// Applies an action that happened at `now`; returns what the runtime must do for it.
    pub fn on_action(&mut self, action: Action, now: OffsetDateTime) -> Option<Effect> {
        self.clock = now;
        match action {
            Action::Quit => {
                self.quitting = true;
                self.say(now, "stopping the services the dashboard started...");
            }
            Action::ToggleGuide => self.guide.open = !self.guide.open,
            Action::ToggleHelp => {
                self.mode = if self.mode == InputMode::Help { InputMode::Normal } else { InputMode::Help };
            }
            Action::StartEditing => self.mode = InputMode::Editing(self.message.clone()),
            Action::EditChar(c) => {
                if let InputMode::Editing(text) = &mut self.mode
                    && text.len() + c.len_utf8() <= MAX_MESSAGE_BYTES
                {
                    text.push(c);
                }
            }
            Action::EditBackspace => {
                if let InputMode::Editing(text) = &mut self.mode {
                    text.pop();
                }
            }
            Action::EditConfirm => {
                if let InputMode::Editing(text) = std::mem::replace(&mut self.mode, InputMode::Normal) {
                    self.message = text;
                }
            }
            Action::EditCancel => self.mode = InputMode::Normal,
            Action::Send => return Some(self.send(None, now)),
            Action::SendSlow => {
                let (delay, timeout) = (self.settings.slow_delay_ms(), self.timeout_ms());
                let what = if delay > timeout {
                    format!("B gives up after {timeout} ms")
                } else {
                    format!("B waits up to {timeout} ms, so it should get through")
                };
                self.mark(now, format!("slow request: A waits {delay} ms, {what}"));
                return Some(self.send(Some(delay), now));
            }
            Action::StartBurst => return self.start_burst(now),
            Action::ToggleLoad => return Some(self.toggle_load(now)),
            Action::CycleLink => return self.cycle_link(now),
            Action::TimeoutUp
            | Action::TimeoutDown
            | Action::CycleRetries
            | Action::ToggleBreaker
            | Action::ToggleDeadline => return self.change_policy(action, now),
            Action::NextView => {
                self.view = match self.view {
                    ChartView::Latency => ChartView::Timeline,
                    ChartView::Timeline => ChartView::Trace,
                    ChartView::Trace => ChartView::Latency,
                };
            }
            Action::Cancel => {
                if let Some(burst) = &mut self.burst
                    && !burst.cancelling
                {
                    burst.cancelling = true;
                    self.say(now, "cancelling the burst: requests in flight finish");
                    return Some(Effect::CancelBurst);
                }
            }
            Action::ToggleA => return self.toggle_running(Service::A, now),
            Action::ToggleB => return self.toggle_running(Service::B, now),
            Action::ToggleFreeze => match self.service(Service::A).why_not_frozen(Service::A) {
                Some(why) => self.say(now, why),
                None => return Some(Effect::ToggleFreeze),
            },
            Action::SelectUp => self.move_selection(-1),
            Action::SelectDown => self.move_selection(1),
            Action::SelectNewest => self.requests.follow(),
            Action::ToggleFilter => self.toggle_filter(now),
            Action::TogglePause => self.logs.toggle_pause(),
            Action::ScrollLogsUp => self.logs.scroll_up(SCROLL_STEP),
            Action::ScrollLogsDown => self.logs.scroll_down(SCROLL_STEP),
            Action::WriteReport => {
                self.say(now, "writing the report...");
                return Some(Effect::WriteReport);
            }
        }
        None
    }

    fn send(&mut self, delay_ms: Option<u64>, now: OffsetDateTime) -> Effect {
        let id = self.new_request_id();
        let msg = self.message.clone();
        let request = SentRequest {
            id: id.clone(),
            sent_at: now,
            msg: msg.clone(),
            delay_ms,
            burst: false,
            outcome: None,
            conditions: self.conditions(),
        };
        self.session_log.sent_by_hand(request.clone());
        self.requests.push(Entry::Request(request));
        Effect::Send { id, msg, delay_ms }
    }

    fn start_burst(&mut self, now: OffsetDateTime) -> Option<Effect> {
        if self.burst.is_some() {
            self.say(now, "a burst is already running (Esc cancels it)");
            return None;
        }
        let (requests, concurrency) = (self.settings.burst_requests, self.settings.burst_concurrency);
        self.burst = Some(BurstProgress::new(requests, concurrency));
        self.session_log.burst_started(now, requests, concurrency);
        self.mark(now, format!("burst: {requests} requests, {concurrency} at a time"));
        self.next_request += 1;
        let id_prefix = format!("{}-L{}", self.session, self.next_request);
        Some(Effect::StartBurst { requests, concurrency, msg: self.message.clone(), id_prefix })
    }

    fn toggle_load(&mut self, now: OffsetDateTime) -> Effect {
        if let Some(load) = &mut self.load {
            if !load.stopping {
                load.stopping = true;
                self.say(now, "stopping the steady load: requests in flight finish");
            }
            return Effect::StopLoad;
        }
        let rate = self.settings.load_rate;
        self.load = Some(SteadyLoad::new(rate, now));
        self.session_log.load_started(now, rate);
        self.mark(now, format!("steady load: {rate} requests/s (l stops it)"));
        self.next_request += 1;
        let id_prefix = format!("{}-S{}", self.session, self.next_request);
        Effect::StartLoad { rate, msg: self.message.clone(), id_prefix }
    }

    fn cycle_link(&mut self, now: OffsetDateTime) -> Option<Effect> {
        let Some(addr) = self.link.addr.clone() else {
            self.say(now, "the link is not up yet");
            return None;
        };
        let next = faults::next_in_cycle(self.link.fault());
        self.link.expect(next);
        self.mark(now, format!("link: {}", self.link.detail()));
        if self.service(Service::B).process == ProcessState::Attached {
            self.say(
                now,
                format!(
                    "B was started elsewhere and may not use the link: start it with \
                     --service-a-url http://{addr} to send its calls through it"
                ),
            );
        }
        Some(Effect::SetLink(next.map(|fault| fault.id)))
    }

    /// `+ - R c d`: one change to B's policy, through B's admin listener.
    /// The screen shows the change at once; B's next answer confirms it.
    fn change_policy(&mut self, action: Action, now: OffsetDateTime) -> Option<Effect> {
        let Some(admin) = &self.policy.admin else {
            self.say(
                now,
                "B was started by hand without its admin listener, so its policy cannot be changed from here: \
                 start B with --admin-addr 127.0.0.1:8091 and the dashboard with --b-admin-url http://127.0.0.1:8091",
            );
            return None;
        };
        let Some(current) = self.policy.policy() else {
            let why = self.policy.unreachable.clone().unwrap_or_else(|| "no answer yet".into());
            self.say(now, format!("B's policy is not known yet (admin listener {admin}: {why})"));
            return None;
        };
        match policy::change_for(action, current) {
            Ok((change, text, next)) => {
                self.policy.sent(next);
                self.mark(now, text);
                Some(Effect::ChangePolicy(change))
            }
            Err(why) => {
                self.say(now, why);
                None
            }
        }
    }

    fn toggle_running(&mut self, service: Service, now: OffsetDateTime) -> Option<Effect> {
        match self.service(service).why_not_toggled(service, self.settings.attach) {
            Some(why) => {
                self.say(now, why);
                None
            }
            None => Some(Effect::ToggleRunning(service)),
        }
    }

    /// Adds a mark to the request list (also drawn on the chart).
    fn mark(&mut self, at: OffsetDateTime, text: impl Into<String>) {
        let mark = Mark { at, text: text.into(), at_request: self.stats.total };
        self.session_log.marks.push(mark.clone());
        self.requests.push(Entry::Mark(mark));
    }

    fn move_selection(&mut self, delta: isize) {
        self.requests.move_selection(delta);
    }

    /// `t`: show only the selected request's lines (following the selection), or all.
    fn toggle_filter(&mut self, now: OffsetDateTime) {
        self.logs.filtered = !self.logs.filtered;
        self.logs.scroll = 0;
        if self.logs.filtered && self.requests.selected_request_id().is_none() {
            self.say(now, "the selected row is not a request: select one (Up/Down) to see its log lines");
        }
    }

    /// The request id the log panel is filtered to: `None` shows every line;
    /// `Some(None)` means the filter is on but the selected row is not a request.
    pub fn log_filter(&self) -> Option<Option<&str>> {
        self.logs.filtered.then(|| self.requests.selected_request_id())
    }

    /// Applies a background event that arrived at `now`.
    pub fn on_event(&mut self, event: Event, now: OffsetDateTime) {
        self.clock = now;
        if self.note.as_ref().is_some_and(|(_, at)| now - *at > NOTE_LIFETIME) {
            self.note = None;
        }
        self.timeline.advance(now);
        match event {
            Event::SessionStarted => {
                self.logs.session_started = Some(now);
                self.timeline.start(now);
            }
            Event::LoadAnswer(answer) => {
                self.record_outcome(&answer.outcome, now);
                let ticked = self.guide.observe(&answer.id, &answer.outcome, answer.delay_ms, self.conditions());
                self.guide_ticked(&ticked, now);
                self.session_log.load_answer(&answer.id, &answer.outcome);
                if let Some(load) = &mut self.load {
                    load.record(answer.outcome.is_ok());
                }
                let Answer { id, sent_at, msg, delay_ms, outcome, .. } = answer;
                let conditions = self.conditions();
                let request =
                    SentRequest { id, sent_at, msg, delay_ms, burst: true, outcome: Some(outcome), conditions };
                self.requests.push(Entry::Request(request));
            }
            Event::LoadSent(sent) => {
                if let Some(load) = &mut self.load {
                    load.sent(sent, now);
                }
            }
            Event::LoadDone => {
                self.session_log.load_ended(now);
                if let Some(load) = self.load.take() {
                    let text = format!(
                        "steady load stopped: {} sent, {} answered, {} failed",
                        load.sent, load.answered, load.failed
                    );
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::LinkUp { addr } => self.link.addr = Some(addr),
            Event::Link(report) => {
                if self.link.update(report) {
                    // Changed from outside (its toxiproxy API): marked as the keys' changes are.
                    self.mark(now, format!("link: {}", self.link.detail()));
                }
            }
            Event::LinkApi(api) => self.link.api = Some(api),
            Event::Answer(answer) => self.on_answer(answer, now),
            Event::Health(service, health) => {
                self.services[service.index()].health = health;
                if matches!(health, Health::Up { .. }) {
                    self.logs.health_up[service.index()] += 1;
                }
            }
            Event::Process(service, process) => {
                if let Some(text) = self.services[service.index()].set_process(service, process) {
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::Listening { service, url } => self.services[service.index()].url = url,
            Event::Note(text) => self.say(now, text),
            Event::Logs(lines) => {
                self.work.add(&lines, self.logs.session_started);
                self.orphans.add(&lines, self.logs.session_started);
                let retried = lines.iter().filter(|line| {
                    line.service == Service::B && line.ok == Some(true) && line.tries.is_some_and(|tries| tries > 1)
                });
                let ticked: Vec<&str> = retried
                    .filter_map(|line| line.request_id.as_deref())
                    .flat_map(|id| self.guide.observe_retry(id))
                    .collect();
                self.guide_ticked(&ticked, now);
                self.logs.add(lines);
            }
            Event::PolicyAdmin(url) => self.policy.admin = Some(url),
            Event::Policy { seen, answers_change } => {
                if let Some(mark) = self.policy.seen(seen, answers_change, now) {
                    self.mark(now, mark);
                }
            }
            Event::BurstDone { cancelled } => {
                self.session_log.burst_ended(now, cancelled);
                if let Some(burst) = self.burst.take() {
                    let how = if cancelled { "cancelled" } else { "done" };
                    let text =
                        format!("burst {how}: {} of {} sent, {} failed", burst.done, burst.requests, burst.failed);
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::ReportWritten(Ok(path)) => self.say(now, format!("report written: {}", path.display())),
            Event::ReportWritten(Err(error)) => self.say(now, format!("could not write the report: {error}")),
        }
    }

    /// Counts an ended call in the numbers, the timeline and B's view of A.
    fn record_outcome(&mut self, outcome: &Outcome, now: OffsetDateTime) {
        self.stats.record(outcome);
        self.timeline.record(now, outcome);
        if let Outcome::Answered { status, error_kind, .. } = outcome {
            match error_kind {
                Some(kind) => self.b_sees_a = Some(BSeesA { failure: Some(*kind), at: now }),
                None if (200..300).contains(status) => self.b_sees_a = Some(BSeesA { failure: None, at: now }),
                None => {}
            }
        }
    }

    /// Marks each guide step just shown, and says so, while the guide is open
    /// (closed, it still keeps count quietly).
    fn guide_ticked(&mut self, titles: &[&str], now: OffsetDateTime) {
        if !self.guide.open {
            return;
        }
        for title in titles {
            self.mark(now, format!("guide: \"{title}\" shown"));
            self.say(now, format!("guided lab: \"{title}\" shown (g shows the next step)"));
        }
    }

    fn on_answer(&mut self, answer: Answer, now: OffsetDateTime) {
        let Answer { id, sent_at, msg, delay_ms, burst, outcome } = answer;
        self.record_outcome(&outcome, now);
        // The conditions when it was sent, for a request sent by hand.
        let conditions = match self.requests.pending_mut(&id) {
            Some(pending) => pending.conditions,
            None => self.conditions(),
        };
        let ticked = self.guide.observe(&id, &outcome, delay_ms, conditions);
        self.guide_ticked(&ticked, now);
        if burst {
            self.session_log.burst_answer(&id, &outcome);
            if let Some(progress) = &mut self.burst {
                progress.record(outcome.is_ok());
            }
        } else if let Some(pending) = self.requests.pending_mut(&id) {
            self.session_log.answered_by_hand(&id, &outcome);
            // A single request already has its (pending) entry: fill it in.
            pending.outcome = Some(outcome);
            return;
        }
        // A burst's answer, or one whose entry has left the bounded list.
        if !burst {
            self.session_log.answered_by_hand(&id, &outcome);
        }
        let conditions = self.conditions();
        self.requests.push(Entry::Request(SentRequest {
            id,
            sent_at,
            msg,
            delay_ms,
            burst,
            outcome: Some(outcome),
            conditions,
        }));
    }
}

#[cfg(test)]
mod tests;
