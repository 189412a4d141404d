//! The link's toxics: toxiproxy's fault types, one file each, registered in
//! [`TYPES`]. A toxic sees the bytes of one read on one direction of one
//! connection ([`Chunk`]) and says what becomes of them ([`Verdict`]): passed
//! (maybe later, maybe in slices), lost, or the connection ended after them.
//!
//! What every toxic shares lives here, not in each toxic, as in toxiproxy:
//! the direction (`stream`), the probability (`toxicity`, drawn per request by
//! the connection), the order in which toxics stack, and the attributes'
//! reading and checking.

mod bandwidth;
mod latency;
mod limit_data;
mod lose_next;
mod reset_peer;
mod slicer;
mod slow_close;
mod timeout;

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

/// Every toxic type the link knows, by its toxiproxy name.
pub const TYPES: &[ToxicType] = &[
    latency::TYPE,
    bandwidth::TYPE,
    slow_close::TYPE,
    timeout::TYPE,
    reset_peer::TYPE,
    slicer::TYPE,
    limit_data::TYPE,
    lose_next::TYPE,
];

/// The largest value an attribute takes: a trillion (ms: 31 years; bytes: a
/// terabyte). Above it, times added to a clock could overflow it on some
/// platforms, and no lab needs more.
pub const MAX_ATTRIBUTE: u64 = 1_000_000_000_000;

/// One toxic type: its name, what it does, and how its attributes are read.
pub struct ToxicType {
    /// toxiproxy's name (`latency`, `timeout`, ...).
    pub name: &'static str,
    /// What it does, in a line (help and errors).
    pub about: &'static str,
    /// Its attributes, with their defaults (toxiproxy's: 0).
    pub attributes: &'static [&'static str],
    /// Builds the toxic from checked attributes (every name in `attributes`, each a whole number).
    pub build: fn(&Attributes) -> Result<Box<dyn Toxic>, String>,
}

impl fmt::Debug for ToxicType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A toxic's attributes, read and checked: each known name has a whole number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(Vec<(&'static str, u64)>);

impl Attributes {
    /// The value of `name` (0 when it was not given, as in toxiproxy).
    pub fn get(&self, name: &str) -> u64 {
        self.0.iter().find(|(key, _)| *key == name).map_or(0, |(_, value)| *value)
    }

    /// As the API shows them.
    pub fn to_json(&self) -> Map<String, Value> {
        self.0.iter().map(|(key, value)| ((*key).to_owned(), Value::from(*value))).collect()
    }
}

impl ToxicType {
    pub fn named(name: &str) -> Option<&'static ToxicType> {
        TYPES.iter().find(|kind| kind.name == name)
    }

    /// Reads `given` over `base` (the toxic's current attributes, for an
    /// update): unknown names and values that are not whole numbers are refused.
    pub fn attributes_from(&self, base: &Attributes, given: &Map<String, Value>) -> Result<Attributes, String> {
        if let Some(unknown) = given.keys().find(|key| !self.attributes.contains(&key.as_str())) {
            return Err(format!(
                "{} has no attribute {unknown:?} (it has: {})",
                self.name,
                if self.attributes.is_empty() { "none".to_owned() } else { self.attributes.join(", ") }
            ));
        }
        let mut read = Vec::with_capacity(self.attributes.len());
        for &name in self.attributes {
            let value = match given.get(name) {
                None => base.get(name),
                Some(value) => value.as_u64().filter(|value| *value <= MAX_ATTRIBUTE).ok_or_else(|| {
                    format!(
                        "{}: attribute {name:?} must be a whole number from 0 to {MAX_ATTRIBUTE} (got {value})",
                        self.name
                    )
                })?,
            };
            read.push((name, value));
        }
        Ok(Attributes(read))
    }
}

/// What a toxic does; one implementation per file.
pub trait Toxic: fmt::Debug + Send + Sync {
    /// The attributes as the API shows them (a `lose_next` counts down).
    fn attributes(&self) -> Map<String, Value>;

    /// When the toxic begins on one direction of a connection (it was there
    /// when the connection opened, or was added later): a timer after which it
    /// ends the connection by itself, if it has one.
    fn on_start(&self) -> Option<(Duration, Ending)> {
        None
    }

    /// What becomes of the bytes of one read, already timed by the toxics
    /// before this one.
    fn on_chunk(&self, chunk: &mut Chunk, memory: &mut Memory, rng: &mut fastrand::Rng) -> Verdict;

    /// How long a peer's close waits before it is passed on.
    fn close_delay(&self) -> Duration {
        Duration::ZERO
    }
}

/// How a toxic's timer ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Both sides closed (a FIN), as toxiproxy's `timeout` does.
    Close,
    /// Both sides reset (an RST), as `reset_peer` does.
    Reset,
}

/// What a toxic made of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// On to the next toxic, then the peer.
    Pass,
    /// Lost: and the connection with it, since its stream now has a hole.
    Lose,
    /// The pieces left are written, then the connection is closed.
    CloseAfter,
}

/// The bytes of one read on their way through the toxics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// When it was read.
    pub now: Instant,
    /// The first read of a request (upstream) or of an answer (downstream):
    /// the other direction spoke last, or nobody did yet.
    pub first_of_turn: bool,
    /// What is to be written and when, in order.
    pub pieces: Vec<Piece>,
}

impl Chunk {
    pub fn new(now: Instant, first_of_turn: bool, bytes: Vec<u8>) -> Self {
        Chunk { now, first_of_turn, pieces: vec![Piece { due: now, bytes }] }
    }

    /// How many bytes are still to be written.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|piece| piece.bytes.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes to be written at `due` (never before an earlier piece).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub due: Instant,
    pub bytes: Vec<u8>,
}

/// What one toxic remembers on one direction of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Bytes it has passed so far (`limit_data`).
    pub bytes: u64,
    /// Until when the direction is busy sending (`bandwidth`).
    pub busy_until: Option<Instant>,
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the toxics' own tests: a chunk at a fixed instant and a seeded RNG.
    use super::*;

    pub fn build(kind: &str, attributes: Value) -> Box<dyn Toxic> {
        let kind = ToxicType::named(kind).expect("a registered type");
        let Value::Object(given) = attributes else { panic!("attributes are an object") };
        let attributes = kind.attributes_from(&Attributes::default(), &given).expect("valid attributes");
        (kind.build)(&attributes).expect("a valid toxic")
    }

    pub fn chunk(bytes: &[u8]) -> (Instant, Chunk) {
        let now = Instant::now();
        (now, Chunk::new(now, true, bytes.to_vec()))
    }

    /// Each piece's delay after `start`, and its bytes.
    pub fn timed(start: Instant, chunk: &Chunk) -> Vec<(Duration, Vec<u8>)> {
        chunk.pieces.iter().map(|piece| (piece.due - start, piece.bytes.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_type_is_registered_once_and_builds_from_its_defaults() {
        for (i, kind) in TYPES.iter().enumerate() {
            assert!(TYPES[..i].iter().all(|other| other.name != kind.name), "{} twice", kind.name);
            let defaults = kind.attributes_from(&Attributes::default(), &Map::new()).unwrap();
            // Some refuse their all-zero defaults (a bandwidth of 0); none panics.
            let _ = (kind.build)(&defaults);
        }
    }

    #[test]
    fn attributes_are_checked_by_name_and_kind_and_updates_keep_the_rest() {
        let latency = ToxicType::named("latency").unwrap();
        let Value::Object(bad) = json!({"latencyy": 5}) else { unreachable!() };
        assert_eq!(
            latency.attributes_from(&Attributes::default(), &bad).unwrap_err(),
            "latency has no attribute \"latencyy\" (it has: latency, jitter)"
        );
        let Value::Object(negative) = json!({"jitter": -1}) else { unreachable!() };
        assert!(latency.attributes_from(&Attributes::default(), &negative).unwrap_err().contains("whole number"));
        let Value::Object(huge) = json!({"latency": u64::MAX}) else { unreachable!() };
        assert!(
            latency.attributes_from(&Attributes::default(), &huge).unwrap_err().contains("from 0 to 1000000000000")
        );
        let Value::Object(first) = json!({"latency": 300, "jitter": 100}) else { unreachable!() };
        let base = latency.attributes_from(&Attributes::default(), &first).unwrap();
        let Value::Object(update) = json!({"jitter": 5}) else { unreachable!() };
        let updated = latency.attributes_from(&base, &update).unwrap();
        assert_eq!((updated.get("latency"), updated.get("jitter")), (300, 5));
    }
}
