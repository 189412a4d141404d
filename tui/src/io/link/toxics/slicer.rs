//! `slicer`: cuts the data into slices of `average_size` ± `size_variation`
//! bytes, `delay` µs apart: a peer that reads "one message per read" breaks.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Piece, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "slicer",
    about: "cuts data into `average_size` ± `size_variation` byte slices `delay` µs apart",
    attributes: &["average_size", "size_variation", "delay"],
    build: |attributes| {
        if attributes.get("average_size") == 0 {
            return Err("slicer: average_size must be 1 byte or more".into());
        }
        if attributes.get("size_variation") >= attributes.get("average_size") {
            return Err("slicer: size_variation must be smaller than average_size".into());
        }
        Ok(Box::new(Slicer { attributes: attributes.clone() }))
    },
};

#[derive(Debug)]
struct Slicer {
    attributes: Attributes,
}

impl Toxic for Slicer {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_chunk(&self, chunk: &mut Chunk, _: &mut Memory, rng: &mut fastrand::Rng) -> Verdict {
        let (average, variation) = (self.attributes.get("average_size"), self.attributes.get("size_variation"));
        let gap = Duration::from_micros(self.attributes.get("delay"));
        let mut sliced = Vec::new();
        for piece in std::mem::take(&mut chunk.pieces) {
            let mut due = piece.due;
            let mut rest = piece.bytes.as_slice();
            while !rest.is_empty() {
                let size = rng.u64(average.saturating_sub(variation)..=average.saturating_add(variation));
                let size = usize::try_from(size).unwrap_or(usize::MAX).clamp(1, rest.len());
                let (slice, tail) = rest.split_at(size);
                sliced.push(Piece { due, bytes: slice.to_vec() });
                rest = tail;
                due += gap;
            }
        }
        chunk.pieces = sliced;
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk, timed};
    use super::*;

    #[test]
    fn slices_keep_every_byte_in_order_with_the_gap_between_them() {
        let toxic = build("slicer", json!({"average_size": 10, "size_variation": 3, "delay": 1000}));
        let data: Vec<u8> = (0..=255).collect();
        let (start, mut chunk) = chunk(&data);
        toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut fastrand::Rng::with_seed(9));
        let pieces = timed(start, &chunk);
        let joined: Vec<u8> = pieces.iter().flat_map(|(_, bytes)| bytes.clone()).collect();
        assert_eq!(joined, data);
        let (last, full) = pieces.split_last().unwrap();
        assert!(full.iter().all(|(_, bytes)| (7..=13).contains(&bytes.len())));
        assert!(!last.1.is_empty() && last.1.len() <= 13);
        for (i, (delay, _)) in pieces.iter().enumerate() {
            assert_eq!(*delay, Duration::from_millis(i as u64));
        }
    }

    #[test]
    fn the_largest_sizes_do_not_overflow() {
        let largest = super::super::MAX_ATTRIBUTE;
        let toxic = build("slicer", json!({"average_size": largest, "size_variation": largest - 1, "delay": 0}));
        let (_, mut chunk) = chunk(b"a 4 KB message, say");
        toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut fastrand::Rng::with_seed(1));
        let joined: Vec<u8> = chunk.pieces.iter().flat_map(|piece| piece.bytes.clone()).collect();
        assert_eq!(joined, b"a 4 KB message, say");
    }

    #[test]
    fn a_variation_as_large_as_the_size_is_refused() {
        let Value::Object(given) = json!({"average_size": 4, "size_variation": 4}) else { unreachable!() };
        let attributes = TYPE.attributes_from(&Attributes::default(), &given).unwrap();
        assert!((TYPE.build)(&attributes).unwrap_err().contains("smaller than average_size"));
    }
}
