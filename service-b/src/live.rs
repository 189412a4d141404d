//! B's policy while B runs: the one copy every call reads, the breaker every
//! call updates, and the changes from the admin listener. Each change is one
//! `event=policy` line and each change of the breaker's state one
//! `event=breaker` line, counted in `/metrics`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use contract::policy::{BreakerPhase, PolicyChange, PolicyStatus};

use crate::policy::{Admission, Breaker, BreakerState, Policy};

/// Shared by every call and the admin listener. Clone is cheap.
#[derive(Debug, Clone)]
pub struct LivePolicy {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    policy: Policy,
    breaker: Breaker,
}

impl LivePolicy {
    pub fn new(policy: Policy) -> Self {
        Self { inner: Arc::new(Mutex::new(Inner { policy, breaker: Breaker::default() })) }
    }

    /// The lock is held for a few field reads and writes only, never across an
    /// await; a panic while holding it cannot leave it half-changed, so a
    /// poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The policy and the breaker's state, as `GET /policy` answers.
    pub fn status(&self, now: Instant) -> PolicyStatus {
        self.lock().status(now)
    }

    /// Applies `change` if the result is in range (else says what is wrong and
    /// changes nothing). Turning the breaker on starts it closed. Answers the
    /// status this change made, read under the same lock.
    pub fn change(&self, change: &PolicyChange, now: Instant) -> Result<PolicyStatus, String> {
        let (next, changed, status) = {
            let mut inner = self.lock();
            let next = inner.policy.changed(change)?;
            if next.breaker && !inner.policy.breaker {
                inner.breaker = Breaker::default();
            }
            let changed = next != inner.policy;
            inner.policy = next;
            (next, changed, inner.status(now))
        };
        // A PUT that repeats the policy changes nothing, and says nothing.
        if changed {
            log_policy("changed", &next);
        }
        Ok(status)
    }

    /// The policy a call starting `now` follows, and whether it may go to A
    /// (always, with the breaker off): one look, so both come from the same policy.
    pub fn start_call(&self, now: Instant) -> (Policy, Admission) {
        let (policy, admission, state) = {
            let mut inner = self.lock();
            if !inner.policy.breaker {
                return (inner.policy, Admission::Call);
            }
            let admission = inner.breaker.admit(now);
            (inner.policy, admission, inner.breaker.state())
        };
        if admission == Admission::Trial {
            breaker_changed(state, now);
        }
        (policy, admission)
    }

    /// Lets go of a trial that decided nothing (see [`Breaker::release`]).
    pub fn release(&self, now: Instant) {
        let changed = self.lock().breaker.release(now);
        if let Some(state) = changed {
            breaker_changed(state, now);
        }
    }

    /// Counts how an admitted call ended, with the breaker on.
    pub fn record(&self, now: Instant, succeeded: bool) {
        let changed = {
            let mut inner = self.lock();
            if !inner.policy.breaker {
                return;
            }
            inner.breaker.record(now, succeeded)
        };
        if let Some(state) = changed {
            breaker_changed(state, now);
        }
    }
}

impl Inner {
    fn status(&self, now: Instant) -> PolicyStatus {
        if !self.policy.breaker {
            return PolicyStatus {
                policy: self.policy,
                breaker_state: BreakerPhase::Off,
                breaker_failures: 0,
                breaker_reopens_in_ms: None,
            };
        }
        let (phase, failures, reopens_in) = self.breaker.state().report(now);
        PolicyStatus {
            policy: self.policy,
            breaker_state: phase,
            breaker_failures: failures,
            breaker_reopens_in_ms: reopens_in.map(|left| u64::try_from(left.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// One `event=policy` line: why (`start` or `changed`) and the whole policy.
pub fn log_policy(why: &'static str, policy: &Policy) {
    tracing::info!(
        target: "lifecycle",
        event = "policy",
        why,
        timeout_ms = policy.timeout_ms,
        retries = policy.retries,
        breaker = if policy.breaker { "on" } else { "off" },
        deadline = if policy.deadline { "on" } else { "off" },
    );
}

fn breaker_changed(state: BreakerState, now: Instant) {
    let (phase, _, reopens_in) = state.report(now);
    let name = match phase {
        BreakerPhase::Open => "open",
        BreakerPhase::HalfOpen => "half_open",
        BreakerPhase::Closed | BreakerPhase::Off => "closed",
    };
    service_kit::metrics::get().breaker_change(name);
    let trial_in_ms = reopens_in.map(|left| u64::try_from(left.as_millis()).unwrap_or(u64::MAX));
    tracing::warn!(target: "lifecycle", event = "breaker", state = name, trial_in_ms);
}
