//! `latency`: every piece waits `latency` ± `jitter` ms (uniform, never below
//! zero) before it is written. Order holds: a short draw behind a long one
//! waits for it.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Attributes, Chunk, Memory, Toxic, ToxicType, Verdict};

pub const TYPE: ToxicType = ToxicType {
    name: "latency",
    about: "holds the data `latency` ± `jitter` ms",
    attributes: &["latency", "jitter"],
    build: |attributes| Ok(Box::new(Latency { attributes: attributes.clone() })),
};

#[derive(Debug)]
struct Latency {
    attributes: Attributes,
}

impl Toxic for Latency {
    fn attributes(&self) -> Map<String, Value> {
        self.attributes.to_json()
    }

    fn on_chunk(&self, chunk: &mut Chunk, _: &mut Memory, rng: &mut fastrand::Rng) -> Verdict {
        let (latency, jitter) = (self.attributes.get("latency"), self.attributes.get("jitter"));
        let low = latency.saturating_sub(jitter).saturating_mul(1_000);
        let high = latency.saturating_add(jitter).saturating_mul(1_000);
        let delay = Duration::from_micros(rng.u64(low..=high));
        for piece in &mut chunk.pieces {
            piece.due += delay;
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, chunk, timed};
    use super::*;

    #[test]
    fn each_chunk_waits_within_latency_plus_or_minus_jitter() {
        let toxic = build("latency", json!({"latency": 100, "jitter": 20}));
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let (start, mut chunk) = chunk(b"answer");
            assert_eq!(toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut rng), Verdict::Pass);
            let [(delay, bytes)] = timed(start, &chunk).try_into().unwrap();
            assert!((80..=120).contains(&delay.as_millis()), "{delay:?}");
            assert_eq!(bytes, b"answer");
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_delays() {
        let toxic = build("latency", json!({"latency": 50, "jitter": 50}));
        let draws = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..10)
                .map(|_| {
                    let (start, mut chunk) = chunk(b"x");
                    toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut rng);
                    chunk.pieces[0].due - start
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
    }

    #[test]
    fn jitter_larger_than_latency_never_goes_below_zero() {
        let toxic = build("latency", json!({"latency": 5, "jitter": 50}));
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..100 {
            let (start, mut chunk) = chunk(b"x");
            toxic.on_chunk(&mut chunk, &mut Memory::default(), &mut rng);
            assert!(chunk.pieces[0].due >= start);
            assert!(chunk.pieces[0].due - start <= Duration::from_millis(55));
        }
    }
}
