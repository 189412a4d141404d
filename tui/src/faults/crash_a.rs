//! `crash A`: A is killed (SIGKILL) where `a` stops it gracefully
//! (SIGTERM: it drains). Under a steady load the difference shows: a crash
//! loses what A had in flight, a graceful stop answers it first.

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "crash-a",
    name: "crash A",
    key: 'k',
    in_cycle: false,
    about: "SIGKILL: in-flight requests lost; a stops A gracefully",
    shows: "under l (load): B answers 503 for what A had in flight; with a, those are answered first",
    a_never_got_it: Some("A never got it: A had crashed"),
    answer_lost: None,
    setting: Setting::CrashA,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_not_a_link_fault() {
        assert!(matches!(FAULT.setting, Setting::CrashA) && !FAULT.setting.is_link());
    }
}
