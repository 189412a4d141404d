//! Load the learner puts on B, as it runs. Its answers are counted once, in
//! the session's summary of it ([`super::session::BurstSummary`]); what is
//! here is only what that summary does not know.

use super::session::BurstSummary;

/// A burst in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstProgress {
    pub requests: u64,
    pub concurrency: u64,
    /// Esc pressed: no new requests; those in flight finish.
    pub cancelling: bool,
}

impl BurstProgress {
    pub fn new(requests: u64, concurrency: u64) -> Self {
        Self { requests, concurrency, cancelling: false }
    }

    /// Share of the requests done, 0.0 to 1.0, by the burst's summary.
    pub fn ratio(&self, summary: Option<&BurstSummary>) -> f64 {
        let done = summary.map_or(0, |summary| summary.answered);
        // Precision loss only past 2^53 requests.
        #[allow(clippy::cast_precision_loss)]
        let ratio = if self.requests == 0 { 0.0 } else { done as f64 / self.requests as f64 };
        ratio.min(1.0)
    }
}

/// The steady load in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SteadyLoad {
    /// Requests per second asked for.
    pub rate: u32,
    pub started_at: time::OffsetDateTime,
    /// Requests sent so far (as the load last reported).
    pub sent: u64,
    /// `l` pressed again: no new requests; those in flight finish.
    pub stopping: bool,
    /// `(when, sent)` as reported, for the achieved rate.
    samples: std::collections::VecDeque<(time::OffsetDateTime, u64)>,
}

impl SteadyLoad {
    pub fn new(rate: u32, started_at: time::OffsetDateTime) -> Self {
        Self { rate, started_at, sent: 0, stopping: false, samples: Default::default() }
    }

    pub fn sent(&mut self, sent: u64, at: time::OffsetDateTime) {
        self.sent = sent;
        self.samples.push_back((at, sent));
        // About the last two seconds of reports (one every 250 ms).
        while self.samples.len() > 9 {
            self.samples.pop_front();
        }
    }

    /// Requests sent and not answered yet, by the load's summary.
    pub fn in_flight(&self, summary: Option<&BurstSummary>) -> u64 {
        self.sent.saturating_sub(summary.map_or(0, |summary| summary.answered))
    }

    /// Requests per second actually sent, over the last reports.
    pub fn achieved(&self) -> Option<f64> {
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        let seconds = (last.0 - first.0).as_seconds_f64();
        // Precision loss only past 2^53 requests.
        #[allow(clippy::cast_precision_loss)]
        (seconds >= 0.5).then(|| (last.1 - first.1) as f64 / seconds)
    }
}
