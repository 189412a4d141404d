//! `requests lost`: every request is lost on the way to A (`timeout` 0
//! upstream); what A answers would still come back, but A never hears of it.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "requests-lost",
    name: "requests lost",
    key: '6',
    in_cycle: true,
    about: "every request lost on the way to A (timeout upstream)",
    shows: "503 timeout and no line in A's log: A never heard of it",
    a_never_got_it: Some("A never got it: the link lost the request"),
    answer_lost: None,
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("timeout", Stream::Upstream, 1.0, &[("timeout", 0)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn loses_only_what_goes_to_a() {
        let [lose] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!((lose.kind.as_str(), lose.stream, lose.toxicity), ("timeout", Stream::Upstream, 1.0));
    }
}
