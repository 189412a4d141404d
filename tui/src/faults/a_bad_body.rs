//! `A bad body`: A answers `200` with an HTML page instead of its JSON
//! (A's `bad_body_rate`): B cannot read it and answers `503` with
//! `error_kind: body`, although A said 200.

use contract::faults::FaultsChange;

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "a-bad-body",
    name: "A bad body",
    key: 'h',
    in_cycle: false,
    about: "A answers 200 with an HTML page, not its JSON (A's bad_body_rate 1.0)",
    shows: "503 error_kind body from B while A's line says status=ok fault=bad_body",
    a_never_got_it: None,
    answer_lost: None,
    setting: Setting::AFault {
        on: FaultsChange { error_rate: None, error_status: None, bad_body_rate: Some(1.0), trickle_ms: None },
        off: FaultsChange { error_rate: None, error_status: None, bad_body_rate: Some(0.0), trickle_ms: None },
        is_on: |faults| faults.bad_body_rate > 0.0,
    },
};

#[cfg(test)]
mod tests {
    use contract::faults::Faults;

    use super::*;

    #[test]
    fn on_makes_every_body_bad_and_off_clears_it() {
        let Setting::AFault { on, off, is_on } = FAULT.setting else { panic!("an A fault") };
        let faults = Faults::default().changed(&on).unwrap();
        assert_eq!(faults.bad_body_rate, 1.0);
        assert!(is_on(&faults) && !is_on(&faults.changed(&off).unwrap()));
    }
}
