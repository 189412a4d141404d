//! `lose_next` (the lab's own, not toxiproxy's): the next `requests` requests
//! are lost, each on its own connection, then everything passes. Deterministic
//! where `toxicity` is chance, for a retry demonstration that shows the same
//! thing every time: with one retry, B's first try is lost and its second
//! gets through.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "lose_next",
    about: "loses the next `requests` requests (the lab's own toxic), then passes",
    attributes: &["requests"],
    build: |attributes| Ok(Box::new(LoseNext { left: AtomicU64::new(attributes.get("requests")) })),
};

#[derive(Debug)]
struct LoseNext {
    /// Requests still to lose; shown as `requests` by the API, so it counts down.
    left: AtomicU64,
}

impl Toxic for LoseNext {
    fn attributes(&self) -> Map<String, Value> {
        Attributes(vec![("requests", self.left.load(Ordering::Relaxed))]).to_json()
    }

    fn on_chunk(&self, chunk: &mut Chunk, _: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        let lost = chunk.first_of_turn
            && self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1)).is_ok();
        if lost { Verdict::Lose } else { Verdict::Pass }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk};
    use super::*;
    use crate::io::link::toxics::Chunk;

    #[test]
    fn loses_exactly_the_next_n_requests_and_counts_down() {
        let toxic = build("lose_next", json!({"requests": 2}));
        let mut rng = fastrand::Rng::with_seed(0);
        let mut verdicts = Vec::new();
        for _ in 0..4 {
            let (_, mut request) = chunk(b"GET /echo");
            verdicts.push(toxic.on_chunk(&mut request, &mut Memory::default(), &mut rng));
        }
        assert_eq!(verdicts, [Verdict::Lose, Verdict::Lose, Verdict::Pass, Verdict::Pass]);
        assert_eq!(toxic.attributes()["requests"], 0);
    }

    #[test]
    fn the_rest_of_a_request_is_not_another_request() {
        let toxic = build("lose_next", json!({"requests": 1}));
        let mut rest = Chunk::new(tokio::time::Instant::now(), false, b"rest of the head".to_vec());
        let mut rng = fastrand::Rng::with_seed(0);
        assert_eq!(toxic.on_chunk(&mut rest, &mut Memory::default(), &mut rng), Verdict::Pass);
        assert_eq!(toxic.attributes()["requests"], 1);
    }
}
