//! Service A's own faults and its idempotency memory, as A's admin listener and
//! the dashboard exchange them (`GET` / `PUT /faults`, `GET` / `PUT /policy`),
//! with their ranges, their 400 texts, and the one rule that picks which fault
//! answers a request. The defaults are the lab: no fault, no memory.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::change::parse_change;

/// A's admin path for its faults.
pub const FAULTS_PATH: &str = "/faults";
/// A's admin path for its policy (the idempotency memory).
pub const POLICY_PATH: &str = "/policy";
/// Lowest status an injected error may have.
pub const MIN_ERROR_STATUS: u16 = 500;
/// Highest status an injected error may have.
pub const MAX_ERROR_STATUS: u16 = 599;
/// Longest time a trickled body may take.
pub const MAX_TRICKLE_MS: u64 = 30_000;
/// The `error` of an injected error answer (body and log line).
pub const INJECTED_FAULT: &str = "injected fault";
/// How long A remembers an answer, with dedup on.
pub const DEDUP_FOR: Duration = Duration::from_secs(60);
/// Most request ids A remembers at once; the oldest goes first.
pub const DEDUP_MAX_IDS: usize = 10_000;

/// What A does wrong on purpose, on `/echo` only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Share of answers (0.0 to 1.0) that are `error_status` with `{"error":"injected fault"}`.
    pub error_rate: f64,
    /// The status of an injected error (500 to 599).
    pub error_status: u16,
    /// Share of the other answers (0.0 to 1.0) that are `200` with an HTML page, not the JSON.
    pub bad_body_rate: f64,
    /// When above 0, the rest of the answers send their head at once and the
    /// body a byte at a time, spread over this many milliseconds (at most [`MAX_TRICKLE_MS`]).
    pub trickle_ms: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self { error_rate: 0.0, error_status: 500, bad_body_rate: 0.0, trickle_ms: 0 }
    }
}

/// An example of a faults change, for the 400's message.
const FAULTS_EXAMPLE: &str = r#"{"error_rate": 0.5, "error_status": 503, "bad_body_rate": 0.1, "trickle_ms": 2000}"#;

impl Faults {
    /// What is wrong with these faults, if anything (the admin API's 400): says what is allowed.
    pub fn check(&self) -> Result<(), String> {
        for (name, rate) in [("error_rate", self.error_rate), ("bad_body_rate", self.bad_body_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be from 0.0 to 1.0 (a share of the answers), not {rate}"));
            }
        }
        if !(MIN_ERROR_STATUS..=MAX_ERROR_STATUS).contains(&self.error_status) {
            return Err(format!(
                "error_status must be from {MIN_ERROR_STATUS} to {MAX_ERROR_STATUS} (a server error), not {}",
                self.error_status
            ));
        }
        if self.trickle_ms > MAX_TRICKLE_MS {
            return Err(format!("trickle_ms must be from 0 to {MAX_TRICKLE_MS}, not {}", self.trickle_ms));
        }
        Ok(())
    }

    /// These faults with `change` applied, if the result is in range.
    pub fn changed(&self, change: &FaultsChange) -> Result<Faults, String> {
        let next = Faults {
            error_rate: change.error_rate.unwrap_or(self.error_rate),
            error_status: change.error_status.unwrap_or(self.error_status),
            bad_body_rate: change.bad_body_rate.unwrap_or(self.bad_body_rate),
            trickle_ms: change.trickle_ms.unwrap_or(self.trickle_ms),
        };
        next.check().map(|()| next)
    }

    /// Which fault answers one request, if any, with `draw` giving numbers in
    /// `0.0..1.0`: the error is drawn first, then the bad body; a trickle
    /// answers every request neither took. A rate of 0 draws nothing.
    pub fn pick(&self, mut draw: impl FnMut() -> f64) -> Option<Fault> {
        if self.error_rate > 0.0 && draw() < self.error_rate {
            return Some(Fault::ErrorStatus);
        }
        if self.bad_body_rate > 0.0 && draw() < self.bad_body_rate {
            return Some(Fault::BadBody);
        }
        (self.trickle_ms > 0).then_some(Fault::Trickle)
    }

    /// Whether any fault can answer a request (a draw of 0 is taken by any rate above 0).
    pub fn any(&self) -> bool {
        self.pick(|| 0.0).is_some()
    }
}

/// The body of `PUT /faults`: the settings to change; those left out keep
/// their value. An unknown field is an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_body_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trickle_ms: Option<u64>,
}

impl FaultsChange {
    /// Reads a `PUT /faults` body (see [`crate::change::parse_change`]); the error is the 400's message.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        parse_change(body, &[], "a faults change", FAULTS_EXAMPLE)
    }
}

/// One of A's faults, as its access line names it (`fault=error_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The answer is `error_status` with `{"error":"injected fault"}`.
    ErrorStatus,
    /// The answer is `200` with an HTML page instead of the JSON.
    BadBody,
    /// The head at once, then the body a byte at a time over `trickle_ms`.
    Trickle,
}

impl Fault {
    pub const ALL: [Fault; 3] = [Fault::ErrorStatus, Fault::BadBody, Fault::Trickle];

    /// The value of `fault=` in A's access line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Fault::ErrorStatus => "error_status",
            Fault::BadBody => "bad_body",
            Fault::Trickle => "trickle",
        }
    }

    /// What the learner sees, in one sentence.
    pub const fn description(self) -> &'static str {
        match self {
            Fault::ErrorStatus => "A answers a 5xx error: B's error_kind is status (and a retry may help)",
            Fault::BadBody => "A answers 200 with an HTML page: B's error_kind is body (a retry does not help)",
            Fault::Trickle => "A sends its answer a byte at a time: B times out although A answered",
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|fault| fault.as_str() == name)
    }
}

/// A's policy: whether it remembers answers by request id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct APolicy {
    /// With dedup on, A answers a repeated `x-request-id` from memory (for
    /// [`DEDUP_FOR`], at most [`DEDUP_MAX_IDS`] ids) without doing the work again.
    pub dedup: bool,
}

impl APolicy {
    /// This policy with `change` applied (every value is in range).
    pub fn changed(&self, change: &APolicyChange) -> APolicy {
        APolicy { dedup: change.dedup.unwrap_or(self.dedup) }
    }
}

/// The body of A's `PUT /policy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct APolicyChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<bool>,
}

impl APolicyChange {
    /// Reads a `PUT /policy` body of A; the error is the 400's message.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        parse_change(body, &[], "a policy change for A", r#"{"dedup": true}"#)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_defaults_are_no_fault_and_serialize_as_the_spec() {
        assert_eq!(
            serde_json::to_string(&Faults::default()).unwrap(),
            r#"{"error_rate":0.0,"error_status":500,"bad_body_rate":0.0,"trickle_ms":0}"#
        );
        assert_eq!(serde_json::to_string(&APolicy::default()).unwrap(), r#"{"dedup":false}"#);
        assert_eq!(Faults::default().pick(|| 0.0), None);
        assert!(!Faults::default().any());
        assert!(!Faults { error_status: 503, ..Faults::default() }.any());
        assert!(Faults { bad_body_rate: 0.01, ..Faults::default() }.any());
        assert!(Faults { trickle_ms: 1, ..Faults::default() }.any());
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out() {
        let change = FaultsChange::from_json(br#"{"error_rate": 0.25}"#).unwrap();
        assert_eq!(Faults::default().changed(&change).unwrap(), Faults { error_rate: 0.25, ..Faults::default() });
        let policy = APolicy::default().changed(&APolicyChange::from_json(br#"{"dedup": true}"#).unwrap());
        assert!(policy.dedup);
        assert!(policy.changed(&APolicyChange::default()).dedup);
    }

    #[test]
    fn out_of_range_values_say_what_is_allowed() {
        for (body, why) in [
            (json!({"error_rate": 1.5}), "error_rate must be from 0.0 to 1.0 (a share of the answers), not 1.5"),
            (json!({"bad_body_rate": -0.1}), "bad_body_rate must be from 0.0 to 1.0"),
            (json!({"error_status": 404}), "error_status must be from 500 to 599 (a server error), not 404"),
            (json!({"error_status": 600}), "not 600"),
            (json!({"trickle_ms": 30001}), "trickle_ms must be from 0 to 30000, not 30001"),
        ] {
            let change = FaultsChange::from_json(body.to_string().as_bytes()).unwrap();
            let error = Faults::default().changed(&change).unwrap_err();
            assert!(error.contains(why), "{body}: {error}");
        }
        assert_eq!(
            Faults::default()
                .changed(&FaultsChange { trickle_ms: Some(30_000), ..Default::default() })
                .map(|f| f.trickle_ms),
            Ok(30_000)
        );
    }

    #[test]
    fn bodies_that_are_not_a_change_are_refused_with_an_example() {
        for (body, why) in [
            (r#"{"error_rat": 1}"#, "unknown field `error_rat`, expected one of `error_rate`"),
            (r#"{"error_status": 70000}"#, "not a faults change"),
            (r#"{"trickle_ms": -1}"#, "send e.g. {\"error_rate\": 0.5"),
            ("[0.5]", "send a JSON object"),
            (r#"{"error_rate": "half"}"#, "not a faults change"),
        ] {
            let error = FaultsChange::from_json(body.as_bytes()).unwrap_err();
            assert!(error.contains(why), "{body}: {error}");
        }
        let error = APolicyChange::from_json(br#"{"dedup": 1}"#).unwrap_err();
        assert!(error.contains("not a policy change for A") && error.contains(r#"{"dedup": true}"#), "{error}");
        assert!(APolicyChange::from_json(br#"{"dedupe": true}"#).unwrap_err().contains("unknown field"));
    }

    #[test]
    fn the_error_is_drawn_first_then_the_bad_body_then_the_trickle_answers_the_rest() {
        let all = Faults { error_rate: 0.5, error_status: 503, bad_body_rate: 0.5, trickle_ms: 100 };
        let mut draws = [0.4, 0.9, 0.4, 0.9, 0.9].into_iter();
        let mut next = || draws.next().unwrap();
        assert_eq!(all.pick(&mut next), Some(Fault::ErrorStatus));
        assert_eq!(all.pick(&mut next), Some(Fault::BadBody), "0.9 misses the error, 0.4 takes the bad body");
        assert_eq!(all.pick(&mut next), Some(Fault::Trickle));
        let always = Faults { error_rate: 1.0, ..Faults::default() };
        assert_eq!(always.pick(|| 0.999_999), Some(Fault::ErrorStatus));
        let never = Faults { bad_body_rate: 1.0, ..Faults::default() };
        assert_eq!(never.pick(|| 0.999_999), Some(Fault::BadBody), "a zero error rate draws nothing");
    }

    #[test]
    fn fault_names_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(Fault::from_name(fault.as_str()), Some(fault));
        }
        assert_eq!(Fault::from_name("other"), None);
    }
}
