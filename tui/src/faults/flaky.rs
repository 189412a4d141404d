//! `flaky`: about one request in three is lost on the way to A (`timeout` 0
//! upstream, toxicity 1/3, drawn per request): B times out on those, the rest
//! pass. With retries, most calls still succeed.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "flaky",
    name: "flaky",
    key: '4',
    in_cycle: true,
    about: "about 1 request in 3 lost on the way to A (timeout upstream, toxicity 1/3)",
    shows: "some 503 timeout among 200s; with R (retries) most become 200 with tries=2",
    a_never_got_it: Some("A never got it: the flaky link lost it"),
    answer_lost: None,
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("timeout", Stream::Upstream, 1.0 / 3.0, &[("timeout", 0)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn loses_a_third_of_the_requests() {
        let [lose] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!((lose.kind.as_str(), lose.stream), ("timeout", Stream::Upstream));
        assert!((lose.toxicity - 1.0 / 3.0).abs() < 1e-9);
    }
}
