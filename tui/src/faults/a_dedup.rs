//! `A dedup`: A remembers the answer of each request id for 60 s and
//! answers a repeat from memory (`dedup=hit` in its line): the fix for the
//! duplicate work that retries over lost answers cause.

use super::{Fault, Setting};

pub const FAULT: Fault = Fault {
    id: "a-dedup",
    name: "A dedup",
    key: 'u',
    in_cycle: false,
    about: "A remembers each request id's answer for 60 s (the fix for duplicate work)",
    shows: "with answers lost and retries: A's second line of an id says dedup=hit, no work done twice",
    a_never_got_it: None,
    answer_lost: None,
    setting: Setting::ADedup,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_toggle_of_as_policy_not_of_the_link() {
        assert!(matches!(FAULT.setting, Setting::ADedup));
        assert!(!FAULT.setting.is_link());
    }
}
