//! The log panel's state: both services' lines merged by time, and how the
//! learner is looking at them (following or paused, scrolled, filtered).
//!
//! A line is placed by its own timestamp, held between [`ARRIVAL_WINDOW`]
//! before its arrival and its arrival (no line is written after it is read):
//! a line stamped in the future cannot sit below everything that comes after
//! it, and one from a clock that stepped back cannot hide far above, so the
//! panel keeps following. Lines of earlier runs (before the session began) keep their own
//! time: they are history, read from the file at start.

use contract::Service;
use time::{Duration, OffsetDateTime};

use crate::msg::LogLine;
use crate::ring::Ring;

/// Log lines kept for the log panel.
pub const MAX_LOG_LINES: usize = 5_000;

/// How far before its arrival a line's own timestamp may place it.
pub const ARRIVAL_WINDOW: Duration = Duration::seconds(2);

/// A line and the time the panel sorts it by (its arrival, if it has no time).
#[derive(Debug, Clone)]
struct Placed {
    key: OffsetDateTime,
    line: LogLine,
}

/// Lines and view.
#[derive(Debug, Clone)]
pub struct LogView {
    /// Lines under the dashboard's own request ids, and all the others: a
    /// flood of other lines (another client, a forged file) cannot push the
    /// evidence of the dashboard's requests out of the panel and the trace.
    ours: Ring<Placed>,
    others: Ring<Placed>,
    /// Not following: new lines are kept but the view stays where it is.
    pub paused: bool,
    /// Lines scrolled back from the newest (when paused).
    pub scroll: usize,
    /// Show only the selected request's lines.
    pub filtered: bool,
    /// Health-check lines of this session left out of the panel (the dashboard
    /// polls every second).
    pub hidden_health: u64,
    /// When this session began: earlier lines are from earlier runs.
    pub session_started: Option<OffsetDateTime>,
    /// Lines of this session seen per service (A, B).
    pub lines_seen: [u64; 2],
    /// Health checks answered per service (A, B): an attached service that
    /// answers but whose lines never arrive logs somewhere else.
    pub health_up: [u64; 2],
    /// Why a service's log cannot be followed (A, B), as the follower says.
    pub problems: [Option<String>; 2],
}

impl Default for LogView {
    fn default() -> Self {
        Self {
            ours: Ring::new(MAX_LOG_LINES),
            others: Ring::new(MAX_LOG_LINES),
            paused: false,
            scroll: 0,
            filtered: false,
            hidden_health: 0,
            session_started: None,
            lines_seen: [0; 2],
            health_up: [0; 2],
            problems: [None, None],
        }
    }
}

impl LogView {
    /// Adds lines of either service that arrived at `now`, each in time order
    /// within its service; `ours` tells the dashboard's own request ids.
    pub fn add(&mut self, lines: Vec<LogLine>, now: OffsetDateTime, ours: impl Fn(&str) -> bool) {
        for line in lines {
            let this_session = self.is_this_session(&line);
            if this_session {
                self.lines_seen[line.service.index()] += 1;
            }
            if line.endpoint.as_deref() == Some("/health") {
                self.hidden_health += u64::from(this_session);
                continue;
            }
            // Merge by time: each service's lines arrive in order, so a binary
            // search on the timestamp finds where a line of the other one goes.
            let key =
                line.at.map_or(now, |at| if this_session { at.clamp(now - ARRIVAL_WINDOW, now) } else { at.min(now) });
            let ring = if line.request_id.as_deref().is_some_and(&ours) { &mut self.ours } else { &mut self.others };
            let position = ring.partition_point(|l| l.key <= key);
            ring.insert(position, Placed { key, line });
            if self.paused {
                // Keep the view still while new lines arrive below it.
                self.scroll += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.ours.len() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `line` was written in this session (not by an earlier run).
    pub fn is_this_session(&self, line: &LogLine) -> bool {
        match (self.session_started, line.at) {
            (Some(started), Some(at)) => at >= started,
            _ => true,
        }
    }

    /// True when `service` answers health checks but none of its lines reached
    /// the followed directory: it logs somewhere else.
    pub fn logs_elsewhere(&self, service: Service) -> bool {
        self.problems[service.index()].is_none()
            && self.health_up[service.index()] >= 5
            && self.lines_seen[service.index()] == 0
    }

    /// The lines the panel shows, oldest first: all of them, or only those of
    /// request `id` (none if the filter has no request to show). Both rings
    /// merged by time.
    pub fn visible<'a>(&'a self, filter: Option<Option<&'a str>>) -> impl DoubleEndedIterator<Item = &'a LogLine> {
        let shown = move |placed: &&Placed| match filter {
            None => true,
            Some(id) => id.is_some() && placed.line.request_id.as_deref() == id,
        };
        let mut merged: Vec<&LogLine> = Vec::with_capacity(self.len());
        let (mut ours, mut others) =
            (self.ours.iter().filter(shown).peekable(), self.others.iter().filter(shown).peekable());
        loop {
            let next = match (ours.peek(), others.peek()) {
                (Some(a), Some(b)) if a.key <= b.key => ours.next(),
                (Some(_), Some(_)) | (None, Some(_)) => others.next(),
                (Some(_), None) => ours.next(),
                (None, None) => break,
            };
            merged.extend(next.map(|placed| &placed.line));
        }
        merged.into_iter()
    }

    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        self.scroll = 0;
    }

    /// Scrolls back (pausing), at most to the oldest line.
    pub fn scroll_up(&mut self, by: usize) {
        self.paused = true;
        self.scroll = self.scroll.saturating_add(by).min(self.len().saturating_sub(1));
    }

    pub fn scroll_down(&mut self, by: usize) {
        self.scroll = self.scroll.saturating_sub(by);
    }
}
