//! What the session report needs, kept apart from what the screen shows: every
//! request the learner sent by hand (a burst cannot push them out), each burst
//! summarised, and every mark. Bounded, so a day-long session stays small.

use std::collections::BTreeMap;

use contract::ErrorKind;
use time::OffsetDateTime;

use super::requests::{Mark, SentRequest};
use super::stats::{Percentiles, percentiles};
use crate::msg::Outcome;
use crate::ring::Ring;
use crate::text::millis;

/// Requests sent by hand kept for the report (far more than anyone types).
pub const MAX_MANUAL: usize = 10_000;
/// Bursts and marks kept for the report.
pub const MAX_BURSTS: usize = 1_000;
pub const MAX_MARKS: usize = 10_000;
/// Latencies kept per burst for its percentiles (exact up to this many answers).
pub const MAX_BURST_SAMPLES: usize = 100_000;

/// Which kind of load a summary is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    /// `L`: N requests, C at a time.
    Burst,
    /// `l`: a steady rate (requests per second) until stopped.
    Steady { rate: u32 },
}

/// One burst or steady load, summarised as it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstSummary {
    pub kind: LoadKind,
    pub started_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    /// Requests asked for (a burst), or sent so far (a steady load).
    pub requests: u64,
    /// Requests in flight at once (a burst; 0 for a steady load).
    pub concurrency: u64,
    pub answered: u64,
    pub cancelled: bool,
    pub by_status: BTreeMap<String, u64>,
    pub by_error_kind: BTreeMap<ErrorKind, u64>,
    /// The first and the last request id sent (not answered).
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    /// Latencies (ms) of the first [`MAX_BURST_SAMPLES`] answers B gave.
    latencies: Vec<f64>,
}

impl BurstSummary {
    /// Answers that were not a 2xx (a 503, a 400, no answer at all).
    pub fn failed(&self) -> u64 {
        let ok: u64 = self.by_status.iter().filter(|(status, _)| status.starts_with('2')).map(|(_, n)| n).sum();
        self.answered - ok
    }

    /// Percentiles of the answers B gave (not of calls B never answered).
    pub fn percentiles(&self) -> Percentiles {
        percentiles(self.latencies.iter().copied())
    }

    fn count(&mut self, id: &str, outcome: &Outcome) {
        self.answered += 1;
        *self.by_status.entry(outcome.status_label()).or_default() += 1;
        if let Some(kind) = outcome.error_kind() {
            *self.by_error_kind.entry(kind).or_default() += 1;
        }
        if matches!(outcome, Outcome::Answered { .. }) && self.latencies.len() < MAX_BURST_SAMPLES {
            self.latencies.push(millis(outcome.latency()));
        }
        // Answers come back in any order; the ids of one burst or load share a
        // prefix and end in a zero-padded number, so the order of the text is
        // the order they were sent in.
        if self.first_id.as_deref().is_none_or(|first| id < first) {
            self.first_id = Some(id.to_owned());
        }
        if self.last_id.as_deref().is_none_or(|last| id > last) {
            self.last_id = Some(id.to_owned());
        }
    }
}

/// The session as the report tells it.
#[derive(Debug, Clone)]
pub struct SessionLog {
    pub manual: Ring<SentRequest>,
    /// Bursts and steady loads, in the order they started.
    pub bursts: Ring<BurstSummary>,
    /// Every mark, once: the request list, the chart and the timeline show these.
    pub marks: Ring<std::sync::Arc<Mark>>,
}

impl Default for SessionLog {
    fn default() -> Self {
        Self { manual: Ring::new(MAX_MANUAL), bursts: Ring::new(MAX_BURSTS), marks: Ring::new(MAX_MARKS) }
    }
}

impl SessionLog {
    pub fn sent_by_hand(&mut self, request: SentRequest) {
        self.manual.push(request);
    }

    /// Records the answer of a request sent by hand.
    pub fn answered_by_hand(&mut self, id: &str, outcome: &Outcome) {
        if let Some(request) = self.manual.iter_mut().rev().find(|request| request.id == id) {
            request.outcome = Some(outcome.clone());
        }
    }

    pub fn burst_started(&mut self, at: OffsetDateTime, requests: u64, concurrency: u64) {
        self.started(LoadKind::Burst, at, requests, concurrency);
    }

    /// A steady load started (its number of requests is known as it runs).
    pub fn load_started(&mut self, at: OffsetDateTime, rate: u32) {
        self.started(LoadKind::Steady { rate }, at, 0, 0);
    }

    fn started(&mut self, kind: LoadKind, at: OffsetDateTime, requests: u64, concurrency: u64) {
        self.bursts.push(BurstSummary {
            kind,
            started_at: at,
            ended_at: None,
            requests,
            concurrency,
            answered: 0,
            cancelled: false,
            by_status: BTreeMap::new(),
            by_error_kind: BTreeMap::new(),
            first_id: None,
            last_id: None,
            latencies: Vec::new(),
        });
    }

    /// The running burst (`steady` false) or steady load (`steady` true).
    fn running(&mut self, steady: bool) -> Option<&mut BurstSummary> {
        self.bursts
            .iter_mut()
            .rev()
            .find(|load| load.ended_at.is_none() && matches!(load.kind, LoadKind::Steady { .. }) == steady)
    }

    /// The burst running now: its counts are the one count of its answers.
    pub fn running_burst(&self) -> Option<&BurstSummary> {
        self.bursts.iter().rev().find(|load| load.ended_at.is_none() && load.kind == LoadKind::Burst)
    }

    /// The steady load running now.
    pub fn running_load(&self) -> Option<&BurstSummary> {
        self.bursts.iter().rev().find(|load| load.ended_at.is_none() && matches!(load.kind, LoadKind::Steady { .. }))
    }

    /// Counts one answer of the running burst.
    pub fn burst_answer(&mut self, id: &str, outcome: &Outcome) {
        if let Some(burst) = self.running(false) {
            burst.count(id, outcome);
        }
    }

    /// Counts one answer of the running steady load.
    pub fn load_answer(&mut self, id: &str, outcome: &Outcome) {
        if let Some(load) = self.running(true) {
            load.requests += 1;
            load.count(id, outcome);
        }
    }

    pub fn burst_ended(&mut self, at: OffsetDateTime, cancelled: bool) {
        if let Some(burst) = self.running(false) {
            burst.ended_at = Some(at);
            burst.cancelled = cancelled;
        }
    }

    pub fn load_ended(&mut self, at: OffsetDateTime) {
        if let Some(load) = self.running(true) {
            load.ended_at = Some(at);
        }
    }
}
