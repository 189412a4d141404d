//! `bandwidth`: at most `rate` KB/s (1 KB = 1,000 bytes, as toxiproxy counts)
//! on this direction: each piece is cut into 100 ms worth of bytes, each
//! written when the link would have finished sending it.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Piece, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "bandwidth",
    about: "lets at most `rate` KB/s through",
    attributes: &["rate"],
    build: |attributes| {
        if attributes.get("rate") == 0 {
            return Err("bandwidth: rate must be 1 KB/s or more (a rate of 0 is a timeout toxic)".into());
        }
        Ok(Box::new(Bandwidth { attributes: attributes.clone() }))
    },
};

#[derive(Debug)]
struct Bandwidth {
    attributes: Attributes,
}

impl Toxic for Bandwidth {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_chunk(&self, chunk: &mut Chunk, memory: &mut Memory, _: &mut fastrand::Rng) -> Verdict {
        let bytes_per_second = self.attributes.get("rate").saturating_mul(1_000).max(1);
        let slice = usize::try_from(bytes_per_second / 10).unwrap_or(usize::MAX).max(1);
        let mut paced = Vec::new();
        let mut sent_until = memory.busy_until.unwrap_or(chunk.now);
        for piece in std::mem::take(&mut chunk.pieces) {
            sent_until = sent_until.max(piece.due);
            for part in piece.bytes.chunks(slice) {
                let micros = (part.len() as u64).saturating_mul(1_000_000) / bytes_per_second;
                sent_until += Duration::from_micros(micros);
                paced.push(Piece { due: sent_until, bytes: part.to_vec() });
            }
        }
        memory.busy_until = Some(sent_until);
        chunk.pieces = paced;
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk, timed};
    use super::*;

    #[test]
    fn ten_kilobytes_at_ten_kb_per_second_take_a_second_in_tenths() {
        let toxic = build("bandwidth", json!({"rate": 10}));
        let (start, mut chunk) = chunk(&[7; 10_000]);
        let mut memory = Memory::default();
        toxic.on_chunk(&mut chunk, &mut memory, &mut fastrand::Rng::with_seed(0));
        let pieces = timed(start, &chunk);
        assert_eq!(pieces.len(), 10);
        assert!(pieces.iter().all(|(_, bytes)| bytes.len() == 1_000));
        assert_eq!(pieces[0].0, Duration::from_millis(100));
        assert_eq!(pieces[9].0, Duration::from_secs(1));
        assert_eq!(memory.busy_until, Some(start + Duration::from_secs(1)));
    }

    #[test]
    fn a_second_chunk_waits_for_the_first_to_be_sent() {
        let toxic = build("bandwidth", json!({"rate": 1}));
        let mut memory = Memory::default();
        let (start, mut first) = chunk(&[1; 500]);
        toxic.on_chunk(&mut first, &mut memory, &mut fastrand::Rng::with_seed(0));
        let mut second = Chunk::new(start, false, vec![2; 100]);
        toxic.on_chunk(&mut second, &mut memory, &mut fastrand::Rng::with_seed(0));
        assert_eq!(timed(start, &second).last().unwrap().0, Duration::from_millis(600));
    }

    #[test]
    fn a_rate_of_zero_is_refused() {
        let attributes = TYPE.attributes_from(&Attributes::default(), &Map::new()).unwrap();
        assert!((TYPE.build)(&attributes).unwrap_err().contains("1 KB/s or more"));
    }
}
