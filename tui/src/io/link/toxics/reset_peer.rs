//! `reset_peer`: `timeout` ms after it begins on a connection (0: at once),
//! the connection is reset (TCP RST): the caller fails fast with "connection
//! reset by peer". Data passes until then.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Ending, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "reset_peer",
    about: "resets the connection after `timeout` ms (0: at once)",
    attributes: &["timeout"],
    build: |attributes| Ok(Box::new(ResetPeer { attributes: attributes.clone() })),
};

#[derive(Debug)]
struct ResetPeer {
    attributes: Attributes,
}

impl Toxic for ResetPeer {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_start(&self) -> Option<(Duration, Ending)> {
        Some((Duration::from_millis(self.attributes.get("timeout")), Ending::Reset))
    }

    fn on_chunk(&self, _: &mut Chunk, _: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk};
    use super::*;

    #[test]
    fn resets_after_its_timeout_and_passes_data_until_then() {
        assert_eq!(build("reset_peer", json!({})).on_start(), Some((Duration::ZERO, Ending::Reset)));
        let toxic = build("reset_peer", json!({"timeout": 200}));
        assert_eq!(toxic.on_start(), Some((Duration::from_millis(200), Ending::Reset)));
        let (_, mut chunk) = chunk(b"data");
        assert_eq!(toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut fastrand::Rng::with_seed(0)), Verdict::Pass);
        assert_eq!(chunk.len(), 4);
    }
}
