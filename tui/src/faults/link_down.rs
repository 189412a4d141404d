//! `link down`: the link stops listening and cuts its connections
//! (toxiproxy's `enabled: false`): B's connections are refused at once, as if
//! A's host were up but nothing listened.

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "link-down",
    name: "link down",
    key: '9',
    in_cycle: false,
    about: "the link stops listening: B's connections refused (enabled: false)",
    shows: "503 connect at once while A is up: refused, not timed out",
    a_never_got_it: Some("A never got it: the link was down (connection refused)"),
    answer_lost: None,
    setting: Setting::LinkDown,
};

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn is_the_link_disabled_whatever_its_toxics() {
        assert!(FAULT.toxics(TEST_PARAMS).is_empty());
        assert!(FAULT.matches(false, &[], TEST_PARAMS));
        assert!(!FAULT.matches(true, &[], TEST_PARAMS));
    }
}
