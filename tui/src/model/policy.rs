//! B's call policy as the dashboard knows it: where B's admin listener is,
//! what it last said, and the change each policy key asks for.

use contract::policy::{BreakerPhase, MAX_RETRIES, MAX_TIMEOUT_MS, Policy, PolicyChange, PolicyStatus};
use time::OffsetDateTime;

use crate::msg::Action;

/// How much `+` and `-` change B's timeout.
pub const TIMEOUT_STEP_MS: u64 = 250;

/// What the dashboard knows of B's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyView {
    /// B's admin listener (a B the dashboard started, or `--b-admin-url`).
    pub admin: Option<String>,
    /// What B said last (with the changes sent since, until B confirms them).
    pub status: Option<PolicyStatus>,
    /// Why B's admin listener did not answer, if it did not last time.
    pub unreachable: Option<String>,
    /// When B last answered.
    pub seen_at: Option<OffsetDateTime>,
    /// Changes sent and not answered yet: until they are, the screen keeps
    /// the policy they make (a poll's answer may predate them).
    pub pending: u32,
}

impl PolicyView {
    /// The policy now, if B has told it.
    pub fn policy(&self) -> Option<Policy> {
        self.status.map(|status| status.policy)
    }

    /// A change was sent; the screen shows `next` until B answers.
    pub fn sent(&mut self, next: Policy) {
        self.pending += 1;
        if let Some(status) = &mut self.status {
            status.policy = next;
        }
    }

    /// Takes what B said (`answers_change`: to a change sent); returns a mark
    /// if the breaker opened or closed, or B refused a change.
    pub fn seen(
        &mut self,
        seen: Result<PolicyStatus, String>,
        answers_change: bool,
        now: OffsetDateTime,
    ) -> Option<String> {
        if answers_change {
            self.pending = self.pending.saturating_sub(1);
        }
        match seen {
            Ok(mut status) => {
                let before = self.status.map(|s| s.breaker_state);
                if self.pending > 0
                    && let Some(shown) = self.status
                {
                    status.policy = shown.policy;
                }
                self.status = Some(status);
                self.unreachable = None;
                self.seen_at = Some(now);
                match (before, status.breaker_state) {
                    (Some(BreakerPhase::Off | BreakerPhase::Closed | BreakerPhase::HalfOpen), BreakerPhase::Open) => {
                        Some("B's breaker opened: B answers circuit_open without calling A".into())
                    }
                    (Some(BreakerPhase::Open | BreakerPhase::HalfOpen), BreakerPhase::Closed) => {
                        Some("B's breaker closed: the trial call got through".into())
                    }
                    _ => None,
                }
            }
            Err(why) => {
                let mark = answers_change.then(|| format!("B's policy did not change: {why}"));
                self.unreachable = Some(why);
                mark
            }
        }
    }
}

/// The change a policy key asks for, the mark that says so, and the policy
/// as it will be; or why the key does nothing.
pub fn change_for(action: Action, policy: Policy) -> Result<(PolicyChange, String, Policy), String> {
    let none = PolicyChange::default();
    let (change, text) = match action {
        Action::TimeoutUp => {
            let next = (policy.timeout_ms + TIMEOUT_STEP_MS).min(MAX_TIMEOUT_MS);
            if next == policy.timeout_ms {
                return Err(format!("B's timeout is already at its longest ({MAX_TIMEOUT_MS} ms)"));
            }
            (PolicyChange { timeout_ms: Some(next), ..none }, format!("B's timeout {next} ms"))
        }
        Action::TimeoutDown => {
            let next = policy.timeout_ms.saturating_sub(TIMEOUT_STEP_MS).max(TIMEOUT_STEP_MS);
            if next >= policy.timeout_ms {
                return Err(format!("B's timeout is already at its shortest step ({} ms)", policy.timeout_ms));
            }
            (PolicyChange { timeout_ms: Some(next), ..none }, format!("B's timeout {next} ms"))
        }
        Action::CycleRetries => {
            let next = if policy.retries >= MAX_RETRIES { 0 } else { policy.retries + 1 };
            (PolicyChange { retries: Some(next), ..none }, format!("B's retries {next}"))
        }
        Action::ToggleBreaker => {
            let on = !policy.breaker;
            (PolicyChange { breaker: Some(on), ..none }, format!("B's breaker {}", on_off(on)))
        }
        Action::ToggleDeadline => {
            let on = !policy.deadline;
            (PolicyChange { deadline: Some(on), ..none }, format!("B's deadline propagation {}", on_off(on)))
        }
        _ => return Err("not a policy key".into()),
    };
    let next = policy.changed(&change)?;
    Ok((change, text, next))
}

pub fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_changes_one_setting_within_its_range() {
        let lab = Policy::default();
        let (change, text, next) = change_for(Action::TimeoutUp, lab).unwrap();
        assert_eq!((change.timeout_ms, text.as_str(), next.timeout_ms), (Some(1250), "B's timeout 1250 ms", 1250));
        let (_, _, next) = change_for(Action::TimeoutDown, Policy { timeout_ms: 300, ..lab }).unwrap();
        assert_eq!(next.timeout_ms, 250);
        assert!(change_for(Action::TimeoutDown, Policy { timeout_ms: 250, ..lab }).unwrap_err().contains("shortest"));
        let max = Policy { timeout_ms: MAX_TIMEOUT_MS, ..lab };
        assert!(change_for(Action::TimeoutUp, max).unwrap_err().contains("longest"));
        let retries: Vec<u32> = [0, 1, 2, 3]
            .into_iter()
            .map(|r| change_for(Action::CycleRetries, Policy { retries: r, ..lab }).unwrap().2.retries)
            .collect();
        assert_eq!(retries, [1, 2, 3, 0]);
        let (change, text, _) = change_for(Action::ToggleBreaker, lab).unwrap();
        assert_eq!((change.breaker, change.timeout_ms, text.as_str()), (Some(true), None, "B's breaker on"));
        let (change, _, _) = change_for(Action::ToggleDeadline, Policy { deadline: true, ..lab }).unwrap();
        assert_eq!(change.deadline, Some(false));
    }

    #[test]
    fn the_breaker_opening_and_closing_are_marks() {
        let mut view = PolicyView::default();
        let at = OffsetDateTime::UNIX_EPOCH;
        let status = |breaker_state| PolicyStatus {
            policy: Policy { breaker: true, ..Policy::default() },
            breaker_state,
            breaker_failures: 0,
            breaker_reopens_in_ms: None,
        };
        assert_eq!(view.seen(Ok(status(BreakerPhase::Closed)), false, at), None);
        assert!(view.seen(Ok(status(BreakerPhase::Open)), false, at).unwrap().contains("opened"));
        assert_eq!(view.seen(Ok(status(BreakerPhase::Open)), false, at), None, "still open: no new mark");
        assert_eq!(view.seen(Err("refused".into()), false, at), None);
        assert_eq!(view.unreachable.as_deref(), Some("refused"));
        assert!(view.seen(Ok(status(BreakerPhase::Closed)), false, at).unwrap().contains("closed"));
    }

    #[test]
    fn a_poll_from_before_a_change_does_not_undo_it_on_screen() {
        let mut view = PolicyView::default();
        let at = OffsetDateTime::UNIX_EPOCH;
        let lab = PolicyStatus {
            policy: Policy::default(),
            breaker_state: BreakerPhase::Off,
            breaker_failures: 0,
            breaker_reopens_in_ms: None,
        };
        view.seen(Ok(lab), false, at);
        let (_, _, first) = change_for(Action::TimeoutUp, view.policy().unwrap()).unwrap();
        view.sent(first);
        let (_, _, second) = change_for(Action::TimeoutUp, view.policy().unwrap()).unwrap();
        view.sent(second);
        assert_eq!(view.policy().unwrap().timeout_ms, 1500);
        view.seen(Ok(lab), false, at); // a poll answered before the changes arrived
        assert_eq!(view.policy().unwrap().timeout_ms, 1500);
        let after_first = PolicyStatus { policy: first, ..lab };
        view.seen(Ok(after_first), true, at);
        assert_eq!(view.policy().unwrap().timeout_ms, 1500, "one change still on its way");
        view.seen(Ok(PolicyStatus { policy: second, ..lab }), true, at);
        assert_eq!((view.policy().unwrap().timeout_ms, view.pending), (1500, 0));
        let refused = view.seen(Err("B refused: no".into()), true, at);
        assert!(refused.unwrap().contains("did not change"));
    }
}
