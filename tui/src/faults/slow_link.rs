//! `slow link`: A's answers come back at 1 KB/s (`bandwidth` downstream): a
//! short answer takes a fifth of a second, a long message more than B's timeout.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

/// KB/s: an answer of about 200 bytes takes 0.2 s, one with a 2 KB message over 2 s.
const RATE_KB_S: u64 = 1;

pub const FAULT: Fault = Fault {
    id: "slow-link",
    name: "slow link",
    key: '7',
    in_cycle: true,
    about: "A's answers come back at 1 KB/s (bandwidth downstream)",
    shows: "a short message takes ~0.2 s; a long one (e, paste 2 KB) times out at B",
    a_never_got_it: None,
    answer_lost: Some("the slow link was still carrying the answer when B gave up"),
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("bandwidth", Stream::Downstream, 1.0, &[("rate", RATE_KB_S)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn throttles_the_answers() {
        let [slow] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!(
            (slow.kind.as_str(), slow.stream, slow.attributes["rate"].as_u64()),
            ("bandwidth", Stream::Downstream, Some(1))
        );
    }
}
