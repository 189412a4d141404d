//! `slow_close`: a peer's close is passed on `delay` ms late, so the other
//! side keeps a connection that is already gone.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "slow_close",
    about: "passes a close on `delay` ms late",
    attributes: &["delay"],
    build: |attributes| Ok(Box::new(SlowClose { attributes: attributes.clone() })),
};

#[derive(Debug)]
struct SlowClose {
    attributes: Attributes,
}

impl Toxic for SlowClose {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_chunk(&self, _: &mut Chunk, _: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        Verdict::Pass
    }

    fn close_delay(&self) -> Duration {
        Duration::from_millis(self.attributes.get("delay"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk};
    use super::*;

    #[test]
    fn data_passes_and_the_close_waits() {
        let toxic = build("slow_close", json!({"delay": 250}));
        let (_, mut chunk) = chunk(b"data");
        let before = chunk.clone();
        assert_eq!(toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut fastrand::Rng::with_seed(0)), Verdict::Pass);
        assert_eq!(chunk, before);
        assert_eq!(toxic.close_delay(), Duration::from_millis(250));
    }
}
