//! The session second by second: how many calls ended, the share B answered
//! 200 (availability), and the p99 latency of B's answers, so "I partitioned at
//! 12 s, availability fell to 0 within one timeout and came back 1 s after I
//! healed it" can be read off the screen.

use time::OffsetDateTime;

use super::stats::percentiles;
use crate::msg::Outcome;
use crate::ring::Ring;
use crate::text::millis;

/// Seconds kept (an hour).
pub const MAX_SECONDS: usize = 3_600;

/// One second of the session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Second {
    /// Seconds since the session started.
    pub at: i64,
    /// Calls that ended in this second (answered or not).
    pub ended: u64,
    /// Of those, answered 2xx by B.
    pub ok: u64,
    /// p99 latency (ms) of B's answers in this second; `None` without answers.
    pub p99: Option<f64>,
}

impl Second {
    /// The share answered 2xx, 0.0 to 1.0; `None` in a second without calls.
    pub fn availability(&self) -> Option<f64> {
        // Precision loss only past 2^53 calls a second.
        #[allow(clippy::cast_precision_loss)]
        (self.ended > 0).then(|| self.ok as f64 / self.ended as f64)
    }
}

/// Closed seconds and the one filling up.
#[derive(Debug, Clone)]
pub struct Timeline {
    started: Option<OffsetDateTime>,
    seconds: Ring<Second>,
    /// The current second: its number, calls ended, ok, latencies of answers.
    current: (i64, u64, u64, Vec<f64>),
}

impl Default for Timeline {
    fn default() -> Self {
        Self { started: None, seconds: Ring::new(MAX_SECONDS), current: (0, 0, 0, Vec::new()) }
    }
}

impl Timeline {
    pub fn start(&mut self, at: OffsetDateTime) {
        self.started = Some(at);
    }

    /// Seconds since the start, at `at`.
    pub fn second_of(&self, at: OffsetDateTime) -> i64 {
        self.started.map_or(0, |started| (at - started).whole_seconds().max(0))
    }

    /// Closes the seconds that ended before `now` (called on every event, so
    /// quiet seconds appear as zeros).
    pub fn advance(&mut self, now: OffsetDateTime) {
        let second = self.second_of(now);
        while self.current.0 < second {
            let (at, ended, ok, latencies) = std::mem::take(&mut self.current);
            let p99 = (!latencies.is_empty()).then(|| percentiles(latencies.into_iter()).p99);
            self.seconds.push(Second { at, ended, ok, p99 });
            // A long quiet gap: keep at most a ring's worth of empty seconds.
            let next = if second - at > MAX_SECONDS as i64 { second - MAX_SECONDS as i64 } else { at + 1 };
            self.current = (next, 0, 0, Vec::new());
        }
    }

    /// Counts a call that ended at `now`.
    pub fn record(&mut self, now: OffsetDateTime, outcome: &Outcome) {
        self.advance(now);
        self.current.1 += 1;
        self.current.2 += u64::from(outcome.is_ok());
        if matches!(outcome, Outcome::Answered { .. }) && self.current.3.len() < 10_000 {
            self.current.3.push(millis(outcome.latency()));
        }
    }

    /// The closed seconds, oldest first.
    pub fn seconds(&self) -> impl DoubleEndedIterator<Item = &Second> {
        self.seconds.iter()
    }

    /// The newest closed second.
    pub fn last(&self) -> Option<&Second> {
        self.seconds.back()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;

    fn answered(status: u16, ms: u64) -> Outcome {
        let latency = Duration::from_millis(ms);
        Outcome::Answered { status, latency, error_kind: None, upstream_ms: None, body: String::new() }
    }

    #[test]
    fn seconds_count_calls_availability_and_p99_with_quiet_seconds_as_zeros() {
        let t0 = datetime!(2026-11-24 12:00:00 UTC);
        let mut timeline = Timeline::default();
        timeline.start(t0);
        for ms in [2, 3, 4] {
            timeline.record(t0 + Duration::from_millis(100), &answered(200, ms));
        }
        timeline.record(t0 + Duration::from_millis(900), &answered(503, 1001));
        timeline.record(
            t0 + Duration::from_millis(3_500),
            &Outcome::NoAnswer { latency: Duration::ZERO, error: "x".into() },
        );
        timeline.advance(t0 + Duration::from_secs(4));
        let seconds: Vec<Second> = timeline.seconds().copied().collect();
        assert_eq!(seconds.len(), 4);
        assert_eq!((seconds[0].ended, seconds[0].ok), (4, 3));
        assert!(seconds[0].p99.is_some_and(|p99| (p99 - 1001.0).abs() < 1e-6), "{:?}", seconds[0].p99);
        assert_eq!(seconds[0].availability(), Some(0.75));
        assert_eq!((seconds[1].ended, seconds[1].availability()), (0, None));
        assert_eq!((seconds[3].ended, seconds[3].ok, seconds[3].p99), (1, 0, None));
    }
}
