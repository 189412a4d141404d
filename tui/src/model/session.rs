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

/// One burst, summarised as it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstSummary {
    pub started_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub requests: u64,
    pub concurrency: u64,
    pub answered: u64,
    pub cancelled: bool,
    pub by_status: BTreeMap<String, u64>,
    pub by_error_kind: BTreeMap<ErrorKind, u64>,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
    /// Latencies (ms) of the first [`MAX_BURST_SAMPLES`] answers B gave.
    latencies: Vec<f64>,
}

impl BurstSummary {
    /// Percentiles of the answers B gave (not of calls B never answered).
    pub fn percentiles(&self) -> Percentiles {
        percentiles(self.latencies.iter().copied())
    }
}

/// The session as the report tells it.
#[derive(Debug, Clone)]
pub struct SessionLog {
    pub manual: Ring<SentRequest>,
    pub bursts: Ring<BurstSummary>,
    pub marks: Ring<Mark>,
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
        self.bursts.push(BurstSummary {
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

    /// Counts one answer of the running burst.
    pub fn burst_answer(&mut self, id: &str, outcome: &Outcome) {
        let Some(burst) = self.bursts.iter_mut().next_back().filter(|burst| burst.ended_at.is_none()) else { return };
        burst.answered += 1;
        *burst.by_status.entry(outcome.status_label()).or_default() += 1;
        if let Some(kind) = outcome.error_kind() {
            *burst.by_error_kind.entry(kind).or_default() += 1;
        }
        if matches!(outcome, Outcome::Answered { .. }) && burst.latencies.len() < MAX_BURST_SAMPLES {
            burst.latencies.push(millis(outcome.latency()));
        }
        if burst.first_id.is_none() {
            burst.first_id = Some(id.to_owned());
        }
        burst.last_id = Some(id.to_owned());
    }

    pub fn burst_ended(&mut self, at: OffsetDateTime, cancelled: bool) {
        if let Some(burst) = self.bursts.iter_mut().next_back().filter(|burst| burst.ended_at.is_none()) {
            burst.ended_at = Some(at);
            burst.cancelled = cancelled;
        }
    }
}
