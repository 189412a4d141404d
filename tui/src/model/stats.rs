//! Latency numbers: percentiles over a recent window, and counts over the session.

use std::collections::BTreeMap;

use contract::ErrorKind;

use crate::msg::Outcome;
use crate::ring::Ring;
use crate::text::millis;

/// How many recent latencies the percentiles are computed over: recent enough
/// to move when A breaks, large enough to be stable.
pub const WINDOW: usize = 1_000;

/// How many points the latency chart keeps.
pub const CHART_POINTS: usize = 300;

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub count: usize,
}

/// Percentiles over the whole session (every answer B gave), from an HDR
/// histogram: constant memory, each value within 0.1 %; the max is exact.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SessionPercentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub count: u64,
}

/// Microseconds the session histogram holds: 1 µs to an hour (longer is an hour).
const HDR_HIGHEST_US: u64 = 3_600_000_000;

/// Session counters and the recent window.
#[derive(Debug, Clone)]
pub struct Stats {
    window: Ring<f64>,
    /// Every answer's latency in µs (`None` if the histogram could not be made).
    session: Option<hdrhistogram::Histogram<u64>>,
    /// The slowest answer of the session, exactly (ms).
    session_max: f64,
    /// `(request number, latency ms, ok)` for the chart.
    chart: Ring<(f64, f64, bool)>,
    /// Calls that ended, answered or not.
    pub total: u64,
    /// Calls B never answered (not reachable, or broke off): counted apart, and
    /// kept out of the percentiles, which describe B's answers.
    pub no_answer: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_error_kind: BTreeMap<ErrorKind, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            window: Ring::new(WINDOW),
            session: hdrhistogram::Histogram::new_with_bounds(1, HDR_HIGHEST_US, 3).ok(),
            session_max: 0.0,
            chart: Ring::new(CHART_POINTS),
            total: 0,
            no_answer: 0,
            by_status: BTreeMap::new(),
            by_error_kind: BTreeMap::new(),
        }
    }
}

impl Stats {
    /// Counts one finished call.
    pub fn record(&mut self, outcome: &Outcome) {
        self.total += 1;
        *self.by_status.entry(outcome.status_label()).or_default() += 1;
        if let Some(kind) = outcome.error_kind() {
            *self.by_error_kind.entry(kind).or_default() += 1;
        }
        if matches!(outcome, Outcome::NoAnswer { .. }) {
            self.no_answer += 1;
            return;
        }
        let ms = millis(outcome.latency());
        self.window.push(ms);
        if let Some(session) = &mut self.session {
            let micros = u64::try_from(outcome.latency().as_micros()).unwrap_or(u64::MAX);
            session.saturating_record(micros.clamp(1, HDR_HIGHEST_US));
        }
        self.session_max = self.session_max.max(ms);
        // Precision loss only past 2^53 requests.
        #[allow(clippy::cast_precision_loss)]
        self.chart.push((self.total as f64, ms, outcome.is_ok()));
    }

    /// Calls B answered (with any status).
    pub fn answered(&self) -> u64 {
        self.total - self.no_answer
    }

    /// Counts by error kind, in the spec's order, including zeros.
    pub fn error_kind_counts(&self) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        ErrorKind::ALL.into_iter().map(|kind| (kind, self.by_error_kind.get(&kind).copied().unwrap_or(0)))
    }

    /// Percentiles of the recent window (nearest-rank).
    pub fn percentiles(&self) -> Percentiles {
        percentiles(self.window.iter().copied())
    }

    /// Percentiles of every answer of the session (not only the recent window).
    pub fn session_percentiles(&self) -> SessionPercentiles {
        let Some(session) = self.session.as_ref().filter(|session| !session.is_empty()) else {
            return SessionPercentiles::default();
        };
        // Microseconds to milliseconds; precision loss only past 2^53 µs.
        #[allow(clippy::cast_precision_loss)]
        // HDR gives a bucket's highest value, which may pass the exact max.
        let at = |quantile: f64| (session.value_at_quantile(quantile) as f64 / 1_000.0).min(self.session_max);
        SessionPercentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: self.session_max,
            count: session.len(),
        }
    }

    /// The chart's points, oldest first.
    pub fn chart_points(&self) -> impl Iterator<Item = (f64, f64, bool)> + '_ {
        self.chart.iter().copied()
    }
}

/// Nearest-rank percentiles of `values` (milliseconds).
pub fn percentiles(values: impl Iterator<Item = f64>) -> Percentiles {
    let mut sorted: Vec<f64> = values.collect();
    if sorted.is_empty() {
        return Percentiles::default();
    }
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let index = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    Percentiles {
        p50: rank(0.50),
        p90: rank(0.90),
        p99: rank(0.99),
        max: sorted[sorted.len() - 1],
        count: sorted.len(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = percentiles((1..=100).map(f64::from));
        assert_eq!((p.p50, p.p90, p.p99, p.max, p.count), (50.0, 90.0, 99.0, 100.0, 100));
        assert_eq!(percentiles(std::iter::empty()), Percentiles::default());
        let one = percentiles(std::iter::once(7.0));
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
    }

    #[test]
    fn the_session_percentiles_keep_what_the_recent_window_forgot() {
        let mut stats = Stats::default();
        // 10,000 answers: 1 to 10,000 ms, the slowest first. The window keeps the last 1,000.
        for ms in (1..=10_000).rev() {
            stats.record(&answered(200, ms, None));
        }
        assert_eq!(stats.percentiles().max, 1_000.0, "the window forgot the slow ones");
        let session = stats.session_percentiles();
        assert_eq!((session.count, session.max), (10_000, 10_000.0), "the max is exact");
        for (seen, exact) in [(session.p50, 5_000.0), (session.p99, 9_900.0), (session.p999, 9_990.0)] {
            assert!((seen - exact).abs() <= exact * 0.001, "{seen} is within 0.1 % of {exact}");
        }
        assert_eq!(Stats::default().session_percentiles(), SessionPercentiles::default());
    }

    fn answered(status: u16, ms: u64, error_kind: Option<ErrorKind>) -> Outcome {
        let latency = Duration::from_millis(ms);
        Outcome::Answered { status, latency, error_kind, upstream_ms: None, body: String::new() }
    }

    #[test]
    fn calls_b_never_answered_are_counted_apart_and_kept_out_of_the_percentiles() {
        let mut stats = Stats::default();
        stats.record(&answered(200, 4, None));
        stats.record(&Outcome::NoAnswer { latency: Duration::from_micros(300), error: "refused".into() });
        assert_eq!((stats.total, stats.answered(), stats.no_answer), (2, 1, 1));
        assert_eq!(stats.percentiles().p50, 4.0);
        assert_eq!(stats.by_status["no answer"], 1);
        assert_eq!(stats.chart_points().count(), 1);
    }

    #[test]
    fn window_forgets_old_latencies_but_counts_stay() {
        let mut stats = Stats::default();
        for _ in 0..WINDOW {
            stats.record(&answered(503, 1000, Some(ErrorKind::Timeout)));
        }
        for _ in 0..WINDOW {
            stats.record(&answered(200, 2, None));
        }
        assert_eq!(stats.percentiles().max, 2.0);
        assert_eq!(stats.total, 2 * WINDOW as u64);
        assert_eq!(stats.by_status["503"], WINDOW as u64);
        assert_eq!(stats.by_error_kind[&ErrorKind::Timeout], WINDOW as u64);
        assert_eq!(stats.chart_points().count(), CHART_POINTS);
    }
}
