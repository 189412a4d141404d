//! `lose next 2`: the next two requests are lost on the way to A, then
//! everything passes (`lose_next`, the lab's own toxic): the same result every
//! time, for showing what a retry does (R twice: the third try gets through).

use super::{Fault, Params, Setting, Stream, ToxicSpec};

/// Requests lost: with two retries (`R` twice) the third try gets through.
pub const LOST: u64 = 2;

pub const FAULT: Fault = Fault {
    id: "lose-next",
    name: "lose next 2",
    key: '8',
    in_cycle: true,
    about: "the next 2 requests lost on the way to A, then all pass (lose_next)",
    shows: "with two retries, one request: a 200 with tries=3; without retries two 503 timeouts",
    a_never_got_it: Some("A never got it: the link lost it (lose next 2)"),
    answer_lost: None,
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("lose_next", Stream::Upstream, 1.0, &[("requests", LOST)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn loses_a_fixed_number_upstream() {
        let [lose] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!(
            (lose.kind.as_str(), lose.stream, lose.attributes["requests"].as_u64()),
            ("lose_next", Stream::Upstream, Some(LOST))
        );
    }
}
