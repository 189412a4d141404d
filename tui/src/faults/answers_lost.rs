//! `answers lost`: A gets every request and answers it, but the answers never
//! come back (`timeout` 0 downstream). A logs `status=ok`, B answers
//! `timeout`: the work was done although the caller was told it failed. With
//! retries, A does it again.

use super::{Fault, Params, Setting, Stream, ToxicSpec};

pub const FAULT: Fault = Fault {
    id: "answers-lost",
    name: "answers lost",
    key: '5',
    in_cycle: true,
    about: "A answers every request, its answers never reach B (timeout downstream)",
    shows: "503 timeout from B while A's line says status=ok: A did the work B says failed",
    a_never_got_it: None,
    answer_lost: Some("the link lost the answer: B never heard back"),
    setting: Setting::Toxics(toxics),
};

fn toxics(_: Params) -> Vec<ToxicSpec> {
    vec![ToxicSpec::new("timeout", Stream::Downstream, 1.0, &[("timeout", 0)])]
}

#[cfg(test)]
mod tests {
    use super::super::TEST_PARAMS;
    use super::*;

    #[test]
    fn loses_only_what_comes_back() {
        let toxics = FAULT.toxics(TEST_PARAMS);
        assert!(toxics.iter().all(|t| t.stream == Stream::Downstream && t.kind == "timeout"));
        assert!(FAULT.a_never_got_it.is_none(), "A gets every request");
    }
}
