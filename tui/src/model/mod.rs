//! The dashboard's state and every change to it: pure, no I/O, no clock of its
//! own (times arrive with each message), so tests drive it directly. It changes
//! only through [`Model::on_action`] and [`Model::on_event`], which return the
//! [`Effect`]s the runtime carries out.

mod a_faults;
mod actions;
pub mod clocks;
pub mod duplicates;
mod events;
mod fault_actions;
pub mod guide;
pub mod join;
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
pub mod verdict;
pub mod work;

use contract::Service;
use time::OffsetDateTime;

use crate::cli::Settings;
use crate::msg::{Health, InputMode, ProcessState};
pub use a_faults::AFaultsView;
use load::{BurstProgress, SteadyLoad};
use logs::LogView;
use requests::{AState, Conditions, Entry, Mark, RequestList};
use services::ServiceView;
pub use services::{BSeesA, LinkView};
use session::SessionLog;

use crate::ids::RequestIds;
use stats::Stats;
use timeline::Timeline;
use work::WorkRatio;

use policy::PolicyView;
pub use policy::TIMEOUT_STEP_MS;

/// The longest message that can be typed (the services' own limit).
pub const MAX_MESSAGE_BYTES: usize = contract::params::MAX_MSG_BYTES;

/// How long a note stays in the status line.
pub const NOTE_LIFETIME: time::Duration = time::Duration::seconds(8);

/// How long the dashboard waits for a B whose budget for A is `timeout_ms`:
/// twice that and 3 s more, so it always sees B's own answer.
pub fn b_wait(timeout_ms: u64) -> std::time::Duration {
    std::time::Duration::from_millis(timeout_ms).saturating_mul(2) + std::time::Duration::from_secs(3)
}

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
    /// The link between B and A: its toxics, address and counters.
    pub link: LinkView,
    /// A's own faults and dedup, as A's admin listener last told them.
    pub a_faults: AFaultsView,
    /// A's work per request id: duplicated, from memory, done although B failed.
    pub duplicates: duplicates::Duplicates,
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
    /// Per service: it was said that its request lines carry no `request_id`.
    pub no_ids_said: [bool; 2],
    /// Each service's clock against the dashboard's, from its lines of requests sent by hand.
    pub clocks: clocks::Clocks,
    /// It was said that A answered a slow request at once (it ignores `delay_ms`).
    pub delay_ignored_said: bool,
    /// When the latest action or event arrived: the screen's clock, so a view
    /// can say how old what it shows is.
    pub clock: OffsetDateTime,
    /// What the report tells: every request sent by hand, bursts summarised, marks.
    pub session_log: SessionLog,
    /// The status line: the last thing the dashboard has to say, and when.
    note: Option<(String, OffsetDateTime)>,
    /// Makes each request id unique within the session.
    next_request: u64,
    /// Makes the request ids (a random session part, so ids are unique
    /// across sessions in the same log files) and knows them again.
    ids: RequestIds,
    quitting: bool,
}

impl Model {
    pub fn new(settings: Settings, session: impl Into<String>) -> Self {
        let link = LinkView::new(settings.fault_params());
        let settings_a_admin = settings.a_admin_url.as_ref().map(|url| url.as_str().trim_end_matches('/').to_owned());
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
            duplicates: duplicates::Duplicates::default(),
            a_faults: AFaultsView { admin: settings_a_admin, ..AFaultsView::default() },
            b_sees_a: None,
            policy: PolicyView { admin, ..PolicyView::default() },
            work: WorkRatio::default(),
            orphans: orphans::Orphans::default(),
            guide: guide::Guide::default(),
            no_ids_said: [false; 2],
            clocks: clocks::Clocks::default(),
            delay_ignored_said: false,
            clock: OffsetDateTime::UNIX_EPOCH,
            session_log: SessionLog::default(),
            note: None,
            next_request: 0,
            // A fixed key: tests see the same ids every run; the dashboard
            // draws one ([`Model::with_id_key`]).
            ids: RequestIds::new(session, 0),
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
        Some(self.trace_of(request, lines))
    }

    /// The trace of `request` from its lines found by id, with the lines of
    /// a service whose lines carry no ids joined by time, said as such.
    pub fn trace_of<'a>(
        &'a self,
        request: &requests::SentRequest,
        mut lines: Vec<&'a crate::msg::LogLine>,
    ) -> trace::Trace {
        let joined = self.joined_by_time(request, &lines);
        let by_time: Vec<(Service, usize)> = joined.iter().map(|(service, found)| (*service, found.len())).collect();
        lines.extend(joined.into_iter().flat_map(|(_, found)| found));
        // A service whose clock is found to be off has its times corrected
        // ([`clocks`]), and the trace says so, with the bound.
        let off: Vec<(Service, clocks::Offset)> = Service::ALL
            .into_iter()
            .filter_map(|service| self.clocks.offset(service).filter(clocks::Offset::is_off).map(|o| (service, o)))
            .collect();
        let corrected: Vec<crate::msg::LogLine> = lines
            .iter()
            .map(|line| {
                let mut line = (*line).clone();
                if let Some((_, offset)) = off.iter().find(|(service, _)| Some(*service) == line.call_of()) {
                    line.at = line.at.map(|at| at - time::Duration::milliseconds(offset.ms));
                }
                line
            })
            .collect();
        let mut trace = trace::build(request, &corrected.iter().collect::<Vec<_>>());
        let clocks = off.iter().map(|(service, offset)| offset.correction(*service));
        let said: Vec<String> = join::caveat(&by_time).into_iter().chain(clocks).collect();
        trace.caveat = (!said.is_empty()).then(|| said.join("; "));
        trace
    }

    /// Per service whose lines carry no ids and that has none of `request`
    /// among `lines`: its lines written while it was in flight, in time
    /// order, and none written after the next request sent by hand (one
    /// sent right after this one's answer would otherwise lend it its lines).
    pub fn joined_by_time<'a>(
        &'a self,
        request: &requests::SentRequest,
        lines: &[&crate::msg::LogLine],
    ) -> Vec<(Service, Vec<&'a crate::msg::LogLine>)> {
        Service::ALL
            .into_iter()
            .filter(|service| {
                self.no_ids_said[service.index()] && !lines.iter().any(|line| line.call_of() == Some(*service))
            })
            .map(|service| {
                let next = self.session_log.manual.iter().map(|r| r.sent_at).filter(|at| *at > request.sent_at).min();
                let mut found = join::by_time(request, self.logs.visible(None), service, join::AFTER_ANSWER);
                found.retain(|line| next.is_none_or(|next| line.at.is_none_or(|at| at < next)));
                found.sort_by_key(|line| line.at);
                (service, found)
            })
            .filter(|(_, found)| !found.is_empty())
            .collect()
    }

    /// What the dashboard knows now of A and the link (kept with each request).
    pub fn conditions(&self) -> Conditions {
        let a = self.service(Service::A);
        let a = match (&a.process, a.health) {
            (ProcessState::Frozen { .. }, _) => AState::Frozen,
            (ProcessState::Stopped, _) if a.crashed => AState::Crashed,
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
    /// `service` is another implementation the dashboard runs (`--a-cmd`, `--b-cmd`).
    pub fn is_foreign(&self, service: Service) -> bool {
        self.settings.commands[service.index()].is_some()
    }

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

    /// The same model with request ids tagged by `key` (drawn at random by
    /// the dashboard, so a client cannot guess the next id).
    #[must_use]
    pub fn with_id_key(mut self, key: u128) -> Self {
        self.ids = RequestIds::new(self.ids.session(), key);
        self
    }

    /// Makes and recognises this session's request ids.
    pub fn ids(&self) -> &RequestIds {
        &self.ids
    }

    /// A fresh request id: `<session>-<n>-<tag>`, short enough to read in a log line.
    fn new_request_id(&mut self) -> String {
        self.next_request += 1;
        self.ids.sign(&format!("{}-{:04}", self.ids.session(), self.next_request))
    }

    /// Adds a mark to the request list (also drawn on the chart).
    fn mark(&mut self, at: OffsetDateTime, text: impl Into<String>) {
        let mark = std::sync::Arc::new(Mark { at, text: text.into(), at_request: self.stats.total });
        self.session_log.marks.push(std::sync::Arc::clone(&mark));
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
}

#[cfg(test)]
mod tests;
