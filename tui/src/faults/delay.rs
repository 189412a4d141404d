//! `delay`: A's answers held on the way back (`latency` downstream), so B
//! waits longer although A answered at once; past B's timeout, B gives up.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "delay",
    name: "delay",
    key: '1',
    in_cycle: true,
    about: "A's answers held on the way back (latency, downstream)",
    shows: "B's latency grows by the delay; A's own latency_ms stays small",
    a_never_got_it: None,
    answer_lost: Some("the link held the answer past B's timeout"),
    setting: Setting::Toxics(toxics),
};

fn toxics(params: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new(
        "latency",
        Stream::Downstream,
        1.0,
        &[("latency", params.delay_ms), ("jitter", params.jitter_ms)],
    )]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn holds_the_answers_by_the_dashboards_delay() {
        let [latency] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!((latency.kind.as_str(), latency.stream), ("latency", Stream::Downstream));
        assert_eq!(
            (latency.attributes["latency"].as_u64(), latency.attributes["jitter"].as_u64()),
            (Some(300), Some(100))
        );
    }
}
