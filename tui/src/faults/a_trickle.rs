//! `A trickles`: A sends its status at once and its body a byte at a time
//! over 2 s (A's `trickle_ms`): A logs `status=ok` at once, yet B's timeout
//! fires while the body is still coming.

use contract::faults::FaultsChange;

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "a-trickle",
    name: "A trickles",
    key: 't',
    in_cycle: false,
    about: "A sends the head, then the body a byte at a time for 2 s (A's trickle_ms)",
    shows: "503 timeout from B although A's line says status=ok fault=trickle at once",
    a_never_got_it: None,
    answer_lost: None,
    setting: Setting::AFault {
        on: FaultsChange { error_rate: None, error_status: None, bad_body_rate: None, trickle_ms: Some(2_000) },
        off: FaultsChange { error_rate: None, error_status: None, bad_body_rate: None, trickle_ms: Some(0) },
        is_on: |faults| faults.trickle_ms > 0,
    },
};

#[cfg(test)]
mod tests {
    use contract::faults::Faults;

    use super::*;

    #[test]
    fn on_trickles_past_bs_default_timeout() {
        let Setting::AFault { on, off, is_on } = FAULT.setting else { panic!("an A fault") };
        let faults = Faults::default().changed(&on).unwrap();
        assert!(faults.trickle_ms > contract::DEFAULT_TIMEOUT_MS);
        assert!(is_on(&faults) && !is_on(&faults.changed(&off).unwrap()));
    }
}
