//! B's call policy as B's admin listener and the dashboard exchange it
//! (`GET` / `PUT /policy`), with its ranges. The defaults are the lab's
//! exactly: one try within 1000 ms, no breaker, no deadline header.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The admin listener's one path.
pub const PATH: &str = "/policy";
/// Most extra tries after a failed one.
pub const MAX_RETRIES: u32 = 3;
/// Longest budget a learner can set.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// Failures in a row that open the breaker.
pub const FAILURES_TO_OPEN: u32 = 5;
/// How long an open breaker refuses calls before it lets one trial through.
pub const OPEN_FOR: Duration = Duration::from_secs(5);

/// How B calls A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The whole budget for the call to A, retries and backoff included.
    pub timeout_ms: u64,
    /// Extra tries after a `connect`, `timeout` or 5xx failure (0 to [`MAX_RETRIES`]).
    pub retries: u32,
    /// Whether the circuit breaker is on.
    pub breaker: bool,
    /// Whether B tells A its remaining budget (`x-deadline-ms`).
    pub deadline: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { timeout_ms: crate::DEFAULT_TIMEOUT_MS, retries: 0, breaker: false, deadline: false }
    }
}

impl Policy {
    /// What is wrong with this policy, if anything (the admin API's 400).
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(format!("timeout_ms must be from 1 to {MAX_TIMEOUT_MS}, not {}", self.timeout_ms));
        }
        if self.retries > MAX_RETRIES {
            return Err(format!("retries must be from 0 to {MAX_RETRIES}, not {}", self.retries));
        }
        Ok(())
    }

    pub fn budget(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// This policy with `change` applied, if the result is in range.
    pub fn changed(&self, change: &PolicyChange) -> Result<Policy, String> {
        let next = Policy {
            timeout_ms: change.timeout_ms.unwrap_or(self.timeout_ms),
            retries: change.retries.unwrap_or(self.retries),
            breaker: change.breaker.unwrap_or(self.breaker),
            deadline: change.deadline.unwrap_or(self.deadline),
        };
        next.check().map(|()| next)
    }
}

/// The body of `PUT /policy`: the settings to change; those left out keep
/// their value. An unknown field is an error, so a typo never passes silently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<bool>,
}

/// The fields of `GET /policy` that report the breaker and are not settings:
/// a `PUT` ignores them, so the body of a `GET` can be sent back as it is.
pub const READ_ONLY_FIELDS: [&str; 3] = ["breaker_state", "breaker_failures", "breaker_reopens_in_ms"];

const POLICY_EXAMPLE: &str = r#"{"timeout_ms": 1500, "retries": 2, "breaker": true, "deadline": true}"#;

impl PolicyChange {
    /// Reads a `PUT /policy` body (see [`crate::change::parse_change`]); the
    /// error is the 400's message.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        crate::change::parse_change(body, &READ_ONLY_FIELDS, "a policy change", POLICY_EXAMPLE)
    }
}

/// The circuit breaker's state as B reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerPhase {
    /// The breaker is off: every call goes to A.
    Off,
    /// Calls go to A; failures in a row are counted.
    Closed,
    /// Calls are refused at once (`circuit_open`) for a while.
    Open,
    /// One trial call is on its way; it decides.
    HalfOpen,
}

/// The answer of `GET /policy` and `PUT /policy`: the policy and the breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStatus {
    #[serde(flatten)]
    pub policy: Policy,
    pub breaker_state: BreakerPhase,
    /// Failures in a row so far (closed).
    #[serde(default)]
    pub breaker_failures: u32,
    /// How long until the open breaker lets a trial through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker_reopens_in_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_defaults_are_the_lab_and_out_of_range_values_say_what_is_wrong() {
        let lab = Policy::default();
        assert_eq!((lab.timeout_ms, lab.retries, lab.breaker, lab.deadline), (1000, 0, false, false));
        assert_eq!(lab.check(), Ok(()));
        let error = Policy { retries: 4, ..lab }.check().unwrap_err();
        assert!(error.contains("retries must be from 0 to 3, not 4"), "{error}");
        let error = Policy { timeout_ms: 0, ..lab }.check().unwrap_err();
        assert!(error.contains("timeout_ms must be from 1"), "{error}");
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out_and_refuses_unknown_fields() {
        let change: PolicyChange = serde_json::from_value(json!({"retries": 2})).unwrap();
        let next = Policy::default().changed(&change).unwrap();
        assert_eq!(next, Policy { retries: 2, ..Policy::default() });
        let error = serde_json::from_value::<PolicyChange>(json!({"retry": 2})).unwrap_err().to_string();
        assert!(error.contains("unknown field `retry`"), "{error}");
        let too_many = PolicyChange { retries: Some(9), ..PolicyChange::default() };
        assert!(Policy::default().changed(&too_many).is_err());
    }

    #[test]
    fn the_status_is_flat_json() {
        let status = PolicyStatus {
            policy: Policy::default(),
            breaker_state: BreakerPhase::Open,
            breaker_failures: 0,
            breaker_reopens_in_ms: Some(4200),
        };
        let value = serde_json::to_value(status).unwrap();
        assert_eq!(
            value,
            json!({"timeout_ms": 1000, "retries": 0, "breaker": false, "deadline": false,
                   "breaker_state": "open", "breaker_failures": 0, "breaker_reopens_in_ms": 4200})
        );
        assert_eq!(serde_json::from_value::<PolicyStatus>(value.clone()).unwrap(), status);
        // What GET answers, PUT takes: the breaker's fields are ignored.
        let change = PolicyChange::from_json(value.to_string().as_bytes()).unwrap();
        assert_eq!(
            change,
            PolicyChange { timeout_ms: Some(1000), retries: Some(0), breaker: Some(false), deadline: Some(false) }
        );
    }
}
