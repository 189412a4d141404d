//! `A errors`: half of A's answers are `500 {"error":"injected fault"}`
//! (A's `error_rate`), so B answers `503` with `error_kind: status`; with
//! retries, B tries again, and most calls still succeed.

use contract::faults::FaultsChange;

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "a-errors",
    name: "A errors",
    key: 'e',
    in_cycle: false,
    about: "half of A's answers are 500 injected fault (A's error_rate 0.5)",
    shows: "503 error_kind status from B; A's line says fault=error_status; R (retries) hides most",
    a_never_got_it: None,
    answer_lost: None,
    setting: Setting::AFault {
        on: FaultsChange { error_rate: Some(0.5), error_status: Some(500), bad_body_rate: None, trickle_ms: None },
        off: FaultsChange { error_rate: Some(0.0), error_status: None, bad_body_rate: None, trickle_ms: None },
        is_on: |faults| faults.error_rate > 0.0,
    },
};

#[cfg(test)]
mod tests {
    use contract::faults::Faults;

    use super::*;

    #[test]
    fn on_sets_half_the_answers_to_errors_and_off_clears_them() {
        let Setting::AFault { on, off, is_on } = FAULT.setting else { panic!("an A fault") };
        let faults = Faults::default().changed(&on).unwrap();
        assert_eq!((faults.error_rate, faults.error_status), (0.5, 500));
        assert!(is_on(&faults));
        assert!(!is_on(&faults.changed(&off).unwrap()));
    }
}
