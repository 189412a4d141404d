//! `timeout`: nothing gets through; after `timeout` ms the connection is
//! closed, and with `timeout` 0 it is held for ever (until a peer gives up).
//! What a partition looks like from inside: silence, then the caller's own
//! timeout. A connection that lost bytes stays held even once the toxic is
//! gone: its stream has a hole.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Ending, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "timeout",
    about: "stops all data; closes the connection after `timeout` ms (0: never)",
    attributes: &["timeout"],
    build: |attributes| Ok(Box::new(Timeout { attributes: attributes.clone() })),
};

#[derive(Debug)]
struct Timeout {
    attributes: Attributes,
}

impl Toxic for Timeout {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_start(&self) -> Option<(Duration, Ending)> {
        match self.attributes.get("timeout") {
            0 => None,
            ms => Some((Duration::from_millis(ms), Ending::Close)),
        }
    }

    fn on_chunk(&self, _: &mut Chunk, _: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        Verdict::Lose
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk};
    use super::*;

    #[test]
    fn data_is_lost_and_zero_means_held_for_ever() {
        let toxic = build("timeout", json!({"timeout": 0}));
        let (_, mut chunk) = chunk(b"request");
        assert_eq!(toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut fastrand::Rng::with_seed(0)), Verdict::Lose);
        assert_eq!(toxic.on_start(), None);
    }

    #[test]
    fn a_timeout_closes_the_connection_after_it() {
        let toxic = build("timeout", json!({"timeout": 1500}));
        assert_eq!(toxic.on_start(), Some((Duration::from_millis(1500), Ending::Close)));
    }
}
