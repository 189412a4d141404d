//! `reset`: every connection is reset at once (`reset_peer` 0): B fails fast
//! with a connect error although A is up.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "reset",
    name: "reset",
    key: '3',
    in_cycle: true,
    about: "every connection reset at once (reset_peer 0)",
    shows: "503 connect at once while A is up; no line in A's log",
    a_never_got_it: Some("A never got it: the link reset the connection"),
    answer_lost: None,
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("reset_peer", Stream::Downstream, 1.0, &[("timeout", 0)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn resets_at_once() {
        let [reset] = FAULT.toxics(TEST_PARAMS).try_into().unwrap();
        assert_eq!((reset.kind.as_str(), reset.attributes["timeout"].as_u64()), ("reset_peer", Some(0)));
    }
}
