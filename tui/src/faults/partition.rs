//! `partition`: nothing crosses in either direction (`timeout` 0 both ways).
//! B waits in silence until its own timeout although A is perfectly healthy.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "partition",
    name: "partition",
    key: '2',
    in_cycle: true,
    about: "nothing crosses the link either way (timeout 0, both streams)",
    shows: "503 timeout while A is up; no line in A's log",
    a_never_got_it: Some("A never got it: the link was partitioned"),
    answer_lost: Some("the link was partitioned: the answer never crossed"),
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![
        ToxicSpec::new("timeout", Stream::Upstream, 1.0, &[("timeout", 0)]),
        ToxicSpec::new("timeout", Stream::Downstream, 1.0, &[("timeout", 0)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn holds_both_directions_for_ever() {
        let toxics = FAULT.toxics(TEST_PARAMS);
        assert_eq!(
            toxics.iter().map(|t| (t.kind.as_str(), t.stream)).collect::<Vec<_>>(),
            [("timeout", Stream::Upstream), ("timeout", Stream::Downstream)]
        );
        assert!(toxics.iter().all(|t| t.attributes["timeout"] == 0 && t.toxicity == 1.0));
    }
}
