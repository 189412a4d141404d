//! `limit_data`: the connection is closed once `bytes` bytes have passed on
//! this direction (the last piece is cut to fit): an answer cut in the middle.

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "limit_data",
    about: "closes the connection after `bytes` bytes",
    attributes: &["bytes"],
    build: |attributes| Ok(Box::new(LimitData { attributes: attributes.clone() })),
};

#[derive(Debug)]
struct LimitData {
    attributes: Attributes,
}

impl Toxic for LimitData {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_chunk(&self, chunk: &mut Chunk, memory: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        let limit = self.attributes.get("bytes");
        let mut room = limit.saturating_sub(memory.bytes);
        for piece in &mut chunk.pieces {
            let keep = usize::try_from(room).unwrap_or(usize::MAX).min(piece.bytes.len());
            piece.bytes.truncate(keep);
            room -= keep as u64;
        }
        chunk.pieces.retain(|piece| !piece.bytes.is_empty());
        memory.bytes = limit - room;
        if memory.bytes >= limit { Verdict::CloseAfter } else { Verdict::Pass }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk};
    use super::*;

    #[test]
    fn passes_up_to_the_limit_then_closes() {
        let toxic = build("limit_data", json!({"bytes": 10}));
        let mut memory = Memory::default();
        let mut rng = fastrand::Rng::with_seed(0);
        let (_, mut first) = chunk(b"123456");
        assert_eq!(toxic.on_chunk(&mut first, &mut memory, &mut rng), Verdict::Pass);
        assert_eq!(first.len(), 6);
        let (_, mut second) = chunk(b"789abc");
        assert_eq!(toxic.on_chunk(&mut second, &mut memory, &mut rng), Verdict::CloseAfter);
        assert_eq!(second.pieces[0].bytes, b"789a");
        let (_, mut third) = chunk(b"more");
        assert_eq!(toxic.on_chunk(&mut third, &mut memory, &mut rng), Verdict::CloseAfter);
        assert!(third.is_empty());
    }
}
