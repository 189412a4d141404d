//! B's call policy as pure rules, with the clock and the randomness passed in
//! so that tests can check every bound: which failures are worth another try,
//! how long to back off before it (exponential, full jitter, never past the
//! budget), and the circuit breaker's states. The policy itself and its ranges
//! are in [`contract::policy`], shared with the dashboard.

use std::time::{Duration, Instant};

use contract::ErrorKind;
use contract::policy::BreakerPhase;
pub use contract::policy::{FAILURES_TO_OPEN, OPEN_FOR, Policy};

/// The first backoff's ceiling; each retry doubles it, up to [`BACKOFF_CAP`].
pub const BACKOFF_BASE: Duration = Duration::from_millis(50);
pub const BACKOFF_CAP: Duration = Duration::from_millis(1_000);
/// A try that would get less than this of the budget is not started: it could
/// only end in a timeout.
pub const MIN_TRY: Duration = Duration::from_millis(10);

/// Whether a failed try is worth another: A unreachable, too slow, or a 5xx
/// (A's own trouble). A 4xx or a wrong body would fail the same way again.
pub fn is_retryable(kind: ErrorKind, status: Option<u16>) -> bool {
    match kind {
        ErrorKind::Connect | ErrorKind::Timeout => true,
        ErrorKind::Status => status.is_some_and(|status| (500..600).contains(&status)),
        ErrorKind::Body | ErrorKind::CircuitOpen => false,
    }
}

/// How long try number `try_number` (1 for the first) may take, with `left`
/// of the budget and `retries` allowed: an equal share of what is left among
/// the tries still possible. One try gets the whole budget (the lab); with
/// retries, a try lost on the network leaves time for the next, and each try
/// is less patient with a slow A. That is the price of retrying.
pub fn try_share(left: Duration, retries: u32, try_number: u32) -> Duration {
    let tries_left = (retries + 1).saturating_sub(try_number.saturating_sub(1)).max(1);
    left / tries_left
}

/// The pause before retry number `retry` (1 for the first), with full jitter:
/// `draw(ceiling_us)` returns a number of microseconds from 0 to
/// `ceiling_us` inclusive, where the ceiling is [`BACKOFF_BASE`] doubled per
/// retry and capped at [`BACKOFF_CAP`], and never more than leaves a useful
/// try ([`MIN_TRY`]) in what is `left` of the budget: the tries use the whole
/// budget. `None` when not even that is left.
pub fn backoff(retry: u32, left: Duration, draw: impl FnOnce(u64) -> u64) -> Option<Duration> {
    let room = left.checked_sub(MIN_TRY)?;
    let doubled = BACKOFF_BASE.saturating_mul(1_u32 << retry.saturating_sub(1).min(16));
    let ceiling = doubled.min(BACKOFF_CAP);
    let ceiling_us = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Some(Duration::from_micros(draw(ceiling_us).min(ceiling_us)).min(room))
}

/// The circuit breaker's state, as the services panel shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; failures in a row are counted.
    Closed { failures: u32 },
    /// Calls are refused at once until `until`.
    Open { until: Instant },
    /// One trial call is on its way; the others are refused until it ends
    /// (or, if its caller went away and it never ends, until `replace_at`).
    HalfOpen { replace_at: Instant },
}

impl BreakerState {
    /// The state as the admin API reports it: phase, failures so far, and how
    /// long until an open breaker lets a trial through.
    pub fn report(&self, now: Instant) -> (BreakerPhase, u32, Option<Duration>) {
        match *self {
            BreakerState::Closed { failures } => (BreakerPhase::Closed, failures, None),
            BreakerState::Open { until } => (BreakerPhase::Open, 0, Some(until.saturating_duration_since(now))),
            BreakerState::HalfOpen { .. } => (BreakerPhase::HalfOpen, 0, None),
        }
    }
}

/// What the breaker says about a call that is about to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Call A as usual.
    Call,
    /// Call A: this is the one trial that decides whether the breaker closes.
    Trial,
    /// Do not call A; answer `circuit_open` now. `for_another` is how long
    /// the breaker stays open (zero while a trial is on its way).
    Refuse { for_another: Duration },
}

/// The circuit breaker: [`FAILURES_TO_OPEN`] failed calls in a row open it
/// for [`OPEN_FOR`]; then one trial call closes it (success) or opens it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    state: BreakerState,
}

impl Default for Breaker {
    fn default() -> Self {
        Self { state: BreakerState::Closed { failures: 0 } }
    }
}

impl Breaker {
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether a call starting `now` may go to A.
    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.state {
            BreakerState::Closed { .. } => Admission::Call,
            BreakerState::Open { until } | BreakerState::HalfOpen { replace_at: until } if now >= until => {
                self.state = BreakerState::HalfOpen { replace_at: now + OPEN_FOR };
                Admission::Trial
            }
            BreakerState::Open { until } => Admission::Refuse { for_another: until - now },
            BreakerState::HalfOpen { .. } => Admission::Refuse { for_another: Duration::ZERO },
        }
    }

    /// Lets go of a trial that decided nothing (its caller hung up, or its
    /// own `delay_ms` doomed it): the next call is the trial, at once, instead
    /// of everyone waiting [`OPEN_FOR`] for a result that never comes.
    pub fn release(&mut self, now: Instant) -> Option<BreakerState> {
        matches!(self.state, BreakerState::HalfOpen { .. }).then(|| {
            self.state = BreakerState::Open { until: now };
            self.state
        })
    }

    /// Counts how an admitted call ended (all its tries together). Returns the
    /// new state when it changed, for the log and the metrics.
    pub fn record(&mut self, now: Instant, succeeded: bool) -> Option<BreakerState> {
        let next = match (self.state, succeeded) {
            (BreakerState::Closed { failures: 0 }, true) => return None,
            (_, true) => BreakerState::Closed { failures: 0 },
            (BreakerState::Closed { failures }, false) if failures + 1 < FAILURES_TO_OPEN => {
                self.state = BreakerState::Closed { failures: failures + 1 };
                return None;
            }
            (BreakerState::Closed { .. } | BreakerState::HalfOpen { .. }, false) => {
                BreakerState::Open { until: now + OPEN_FOR }
            }
            // A call admitted before the breaker opened, ending after: no change.
            (BreakerState::Open { .. }, false) => return None,
        };
        // Closed with a count to Closed without one is no change of state.
        let changed = std::mem::discriminant(&self.state) != std::mem::discriminant(&next);
        self.state = next;
        changed.then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_try_gets_an_equal_share_of_what_is_left() {
        let second = Duration::from_secs(1);
        assert_eq!(try_share(second, 0, 1), second, "one try: the whole budget, as in the lab");
        assert_eq!(try_share(second, 1, 1), second / 2);
        assert_eq!(
            try_share(Duration::from_millis(480), 1, 2),
            Duration::from_millis(480),
            "the last try: all that is left"
        );
        assert_eq!(try_share(Duration::from_millis(900), 3, 2), Duration::from_millis(300));
        assert_eq!(try_share(second, 3, 9), second, "past the last try: what is left, never a division by zero");
    }

    #[test]
    fn only_connect_timeout_and_5xx_are_tried_again() {
        assert!(is_retryable(ErrorKind::Connect, None));
        assert!(is_retryable(ErrorKind::Timeout, None));
        assert!(is_retryable(ErrorKind::Status, Some(503)));
        assert!(!is_retryable(ErrorKind::Status, Some(404)));
        assert!(!is_retryable(ErrorKind::Status, Some(301)));
        assert!(!is_retryable(ErrorKind::Body, None));
    }

    #[test]
    fn backoff_doubles_its_ceiling_is_capped_and_jitters_from_zero() {
        let plenty = Duration::from_secs(60);
        let ceiling = |retry| backoff(retry, plenty, |ceiling_us| ceiling_us).unwrap();
        assert_eq!(ceiling(1), Duration::from_millis(50));
        assert_eq!(ceiling(2), Duration::from_millis(100));
        assert_eq!(ceiling(3), Duration::from_millis(200));
        assert_eq!(ceiling(10), BACKOFF_CAP);
        assert_eq!(ceiling(u32::MAX), BACKOFF_CAP, "no overflow");
        assert_eq!(backoff(1, plenty, |_| 0), Some(Duration::ZERO), "full jitter starts at zero");
        assert_eq!(backoff(1, plenty, |_| u64::MAX), Some(Duration::from_millis(50)), "a wild draw is clamped");
    }

    #[test]
    fn backoff_never_spends_the_budget_a_try_needs() {
        for left_ms in 0..200 {
            let left = Duration::from_millis(left_ms);
            for retry in 1..=4 {
                for draw in [0, 1, 25_000, 50_000, 400_000, u64::MAX] {
                    if let Some(pause) = backoff(retry, left, |ceiling| draw.min(ceiling)) {
                        assert!(pause + MIN_TRY <= left, "retry {retry}, {left:?} left: paused {pause:?}");
                    }
                }
            }
        }
        assert_eq!(backoff(1, MIN_TRY - Duration::from_millis(1), |_| 0), None, "no time for a try");
    }

    #[test]
    fn five_failures_in_a_row_open_the_breaker_for_five_seconds_then_one_trial_decides() {
        let t0 = Instant::now();
        let mut breaker = Breaker::default();
        for failure in 1..FAILURES_TO_OPEN {
            assert_eq!(breaker.admit(t0), Admission::Call);
            assert_eq!(breaker.record(t0, false), None, "failure {failure} of {FAILURES_TO_OPEN}");
        }
        // A success in between starts the count again.
        assert_eq!(breaker.record(t0, true), None);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
        for _ in 1..FAILURES_TO_OPEN {
            breaker.record(t0, false);
        }
        assert_eq!(breaker.record(t0, false), Some(BreakerState::Open { until: t0 + OPEN_FOR }));

        // Open: refused at once, saying for how long.
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(breaker.admit(t1), Admission::Refuse { for_another: Duration::from_secs(3) });
        // A call admitted earlier that fails now changes nothing.
        assert_eq!(breaker.record(t1, false), None);

        // After 5 s: one trial; the others are refused while it runs.
        let t2 = t0 + OPEN_FOR;
        assert_eq!(breaker.admit(t2), Admission::Trial);
        assert_eq!(breaker.admit(t2), Admission::Refuse { for_another: Duration::ZERO });
        assert_eq!(breaker.state().report(t2).0, BreakerPhase::HalfOpen);
        // The trial fails: open again for 5 s from now.
        assert_eq!(breaker.record(t2, false), Some(BreakerState::Open { until: t2 + OPEN_FOR }));
        // Next trial succeeds: closed.
        let t3 = t2 + OPEN_FOR;
        assert_eq!(breaker.admit(t3), Admission::Trial);
        assert_eq!(breaker.record(t3, true), Some(BreakerState::Closed { failures: 0 }));
        assert_eq!(breaker.admit(t3), Admission::Call);
    }

    #[test]
    fn a_released_trial_lets_the_next_call_be_the_trial_at_once() {
        let t0 = Instant::now();
        let mut breaker = Breaker::default();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.record(t0, false);
        }
        let t1 = t0 + OPEN_FOR;
        assert_eq!(breaker.admit(t1), Admission::Trial);
        assert_eq!(breaker.release(t1), Some(BreakerState::Open { until: t1 }));
        assert_eq!(breaker.admit(t1), Admission::Trial, "no wait for a result that will not come");
        // Releasing outside a trial changes nothing.
        breaker.record(t1, true);
        assert_eq!(breaker.release(t1), None);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn backoff_leaves_the_last_try_what_is_left_instead_of_giving_up_early() {
        // 200 ms left, a 1 s draw: the pause is cut so a try still fits.
        let pause = backoff(5, Duration::from_millis(200), |ceiling| ceiling).unwrap();
        assert_eq!(pause + MIN_TRY, Duration::from_millis(200));
        assert_eq!(backoff(1, MIN_TRY, |_| 0), Some(Duration::ZERO), "exactly a try left: try at once");
    }

    #[test]
    fn a_trial_whose_caller_went_away_is_replaced_after_the_open_time() {
        let t0 = Instant::now();
        let mut breaker = Breaker::default();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.record(t0, false);
        }
        let t1 = t0 + OPEN_FOR;
        assert_eq!(breaker.admit(t1), Admission::Trial);
        // Its result never comes (the client hung up and the call was dropped).
        assert_eq!(
            breaker.admit(t1 + OPEN_FOR - Duration::from_millis(1)),
            Admission::Refuse { for_another: Duration::ZERO }
        );
        assert_eq!(breaker.admit(t1 + OPEN_FOR), Admission::Trial);
    }
}
