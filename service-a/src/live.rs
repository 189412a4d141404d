//! A's faults and policy while A runs: the one copy every `/echo` reads, the
//! seeded random numbers that decide which request a fault answers, the
//! idempotency memory, and the changes from the admin listener. Each change is
//! one `event=faults` or `event=policy` line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::http::HeaderValue;

use contract::faults::{APolicy, APolicyChange, Fault, Faults, FaultsChange};

use crate::dedup::{Memory, Remembered};

/// Shared by every request and the admin listener. Clone is cheap.
#[derive(Debug, Clone)]
pub struct LiveFaults {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// No fault and dedup off, as nearly always: a request then takes no lock
    /// at all (the hot path of the benchmarks). Written under the lock.
    quiet: AtomicBool,
    state: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Faults,
    policy: APolicy,
    /// One generator for the whole run: the same seed and the same requests in
    /// the same order give the same faults.
    rng: fastrand::Rng,
    memory: Memory,
}

impl LiveFaults {
    /// No fault, dedup off, draws from `seed`.
    pub fn new(seed: u64) -> Self {
        let inner = Inner {
            faults: Faults::default(),
            policy: APolicy::default(),
            rng: fastrand::Rng::with_seed(seed),
            memory: Memory::default(),
        };
        Self { inner: Arc::new(Shared { quiet: AtomicBool::new(true), state: Mutex::new(inner) }) }
    }

    /// The lock is held for a few field reads and writes only, never across an
    /// await, so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether no fault is set and dedup is off: nothing for a request to do here.
    fn quiet(&self) -> bool {
        self.inner.quiet.load(Ordering::Acquire)
    }

    /// Says whether anything is set now; called with the lock held, after a change.
    fn update_quiet(&self, inner: &Inner) {
        let quiet = !inner.faults.any() && !inner.policy.dedup;
        self.inner.quiet.store(quiet, Ordering::Release);
    }

    /// The faults now, as `GET /faults` answers.
    pub fn faults(&self) -> Faults {
        self.lock().faults
    }

    /// Applies `change` if the result is in range (else says what is wrong and
    /// changes nothing); answers the faults now. A change is one `event=faults` line.
    pub fn change_faults(&self, change: &FaultsChange) -> Result<Faults, String> {
        let (next, changed) = {
            let mut inner = self.lock();
            let next = inner.faults.changed(change)?;
            let changed = next != inner.faults;
            inner.faults = next;
            self.update_quiet(&inner);
            (next, changed)
        };
        if changed {
            log_faults("changed", &next);
        }
        Ok(next)
    }

    /// The policy now, as `GET /policy` answers.
    pub fn policy(&self) -> APolicy {
        self.lock().policy
    }

    /// Applies `change`; turning dedup off forgets every answer. A change is
    /// one `event=policy` line.
    pub fn change_policy(&self, change: &APolicyChange) -> APolicy {
        let (next, changed) = {
            let mut inner = self.lock();
            let next = inner.policy.changed(change);
            if !next.dedup {
                inner.memory.clear();
            }
            let changed = next != inner.policy;
            inner.policy = next;
            self.update_quiet(&inner);
            (next, changed)
        };
        if changed {
            log_policy("changed", &next);
        }
        next
    }

    /// Which fault answers the request being answered now, and the faults it
    /// was drawn from (for the status and the trickle's time).
    pub fn draw(&self) -> (Option<Fault>, Faults) {
        if self.quiet() {
            return (None, Faults::default());
        }
        let mut inner = self.lock();
        let faults = inner.faults;
        (faults.pick(|| inner.rng.f64()), faults)
    }

    /// The answer remembered for `request_id`, with dedup on. A request
    /// without an id of its caller's has none: it cannot come again.
    pub fn recall(&self, request_id: Option<&HeaderValue>) -> Option<Remembered> {
        let id = id_text(request_id)?;
        if self.quiet() {
            return None;
        }
        let mut inner = self.lock();
        if !inner.policy.dedup {
            return None;
        }
        inner.memory.recall(id, Instant::now())
    }

    /// Remembers the answer to `request_id` as made now, with dedup on (with
    /// it off, or with no id, the answer is neither copied nor the clock read).
    pub fn remember(&self, request_id: Option<&HeaderValue>, answer: &Remembered) {
        let Some(id) = id_text(request_id) else { return };
        if self.quiet() {
            return;
        }
        let mut inner = self.lock();
        if inner.policy.dedup {
            inner.memory.remember(id, answer.clone(), Instant::now());
        }
    }
}

/// A caller's request id as text (the echo handler passes only ids the access
/// log accepts: printable ASCII).
fn id_text(request_id: Option<&HeaderValue>) -> Option<&str> {
    request_id.and_then(|id| id.to_str().ok())
}

/// One `event=faults` line: why (`start` or `changed`) and all the faults.
pub fn log_faults(why: &'static str, faults: &Faults) {
    tracing::info!(
        target: "lifecycle",
        event = "faults",
        why,
        error_rate = faults.error_rate,
        error_status = faults.error_status,
        bad_body_rate = faults.bad_body_rate,
        trickle_ms = faults.trickle_ms,
    );
}

/// One `event=policy` line of A: why and the whole policy.
pub fn log_policy(why: &'static str, policy: &APolicy) {
    tracing::info!(target: "lifecycle", event = "policy", why, dedup = if policy.dedup { "on" } else { "off" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderValue, StatusCode};

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let draws = |seed| {
            let live = LiveFaults::new(seed);
            live.change_faults(&FaultsChange { error_rate: Some(0.5), ..Default::default() }).unwrap();
            (0..32).map(|_| live.draw().0.is_some()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        assert!(draws(7).contains(&true) && draws(7).contains(&false));
    }

    #[test]
    fn a_fault_set_then_cleared_answers_then_stops() {
        let live = LiveFaults::new(1);
        assert_eq!(live.draw().0, None);
        live.change_faults(&FaultsChange { error_rate: Some(1.0), ..Default::default() }).unwrap();
        assert_eq!(live.draw().0, Some(Fault::ErrorStatus));
        live.change_faults(&FaultsChange { error_rate: Some(0.0), trickle_ms: Some(10), ..Default::default() })
            .unwrap();
        assert_eq!(live.draw().0, Some(Fault::Trickle));
        live.change_faults(&FaultsChange { trickle_ms: Some(0), error_status: Some(503), ..Default::default() })
            .unwrap();
        assert_eq!(live.draw().0, None, "a status without a rate is no fault");
    }

    #[test]
    fn a_bad_change_changes_nothing() {
        let live = LiveFaults::new(1);
        assert!(
            live.change_faults(&FaultsChange { error_rate: Some(2.0), trickle_ms: Some(5), ..Default::default() })
                .is_err()
        );
        assert_eq!(live.faults(), Faults::default());
    }

    #[test]
    fn answers_are_remembered_only_with_dedup_on_and_turning_it_off_forgets_them() {
        let live = LiveFaults::new(1);
        let answer = Remembered {
            status: StatusCode::OK,
            content_type: HeaderValue::from_static("application/json"),
            body: Bytes::from_static(b"{}"),
            error: None,
        };
        let id = Some(&HeaderValue::from_static("id"));
        live.remember(id, &answer);
        assert_eq!(live.recall(id), None, "dedup is off");
        live.change_policy(&APolicyChange { dedup: Some(true) });
        live.remember(id, &answer);
        assert_eq!(live.recall(id), Some(answer.clone()));
        live.change_policy(&APolicyChange { dedup: Some(false) });
        live.change_policy(&APolicyChange { dedup: Some(true) });
        assert_eq!(live.recall(id), None, "turning dedup off forgot it");
        live.remember(None, &answer);
        assert_eq!(live.recall(None), None, "a request with no id of its caller's is never answered from memory");
    }
}
