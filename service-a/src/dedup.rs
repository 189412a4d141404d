//! A's idempotency memory: the answer it gave to each request id, kept for
//! [`DEDUP_FOR`], at most [`DEDUP_MAX_IDS`] ids and [`MAX_BYTES`] of bodies, the
//! oldest forgotten first. Time is passed in, so the rules are tested without
//! waiting.
//!
//! The first answer to an id is the one kept: a second request with the same id
//! that arrives while the first is still being worked on does the work too (it
//! finds nothing yet), and its answer is not kept.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use contract::faults::{DEDUP_FOR, DEDUP_MAX_IDS};

/// Most bytes of bodies kept at once: an echo can be tens of kilobytes (its
/// `msg` escaped), and 10,000 of them would be too much memory for a lab.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// One answer, as it is sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    pub status: StatusCode,
    pub content_type: HeaderValue,
    pub body: Bytes,
    /// The error the first answer's line said, for the line of a repeat.
    pub error: Option<String>,
}

/// The answers by request id, and the order they came in.
#[derive(Debug, Default)]
pub struct Memory {
    answers: HashMap<String, (Instant, Remembered)>,
    /// Ids in the order they were remembered (each once: the first answer wins).
    order: VecDeque<(Instant, String)>,
    bytes: usize,
}

impl Memory {
    /// The answer remembered for `id`, if it is younger than [`DEDUP_FOR`].
    pub fn recall(&mut self, id: &str, now: Instant) -> Option<Remembered> {
        self.forget_expired(now);
        self.answers.get(id).map(|(_, answer)| answer.clone())
    }

    /// Remembers `answer` for `id`, unless an answer for it is kept already.
    pub fn remember(&mut self, id: &str, answer: Remembered, now: Instant) {
        self.forget_expired(now);
        if self.answers.contains_key(id) {
            return;
        }
        self.bytes += answer.body.len();
        self.answers.insert(id.to_owned(), (now, answer));
        self.order.push_back((now, id.to_owned()));
        while self.answers.len() > DEDUP_MAX_IDS || self.bytes > MAX_BYTES {
            if !self.forget_oldest() {
                break;
            }
        }
    }

    /// Forgets everything (dedup turned off).
    pub fn clear(&mut self) {
        *self = Memory::default();
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    fn forget_expired(&mut self, now: Instant) {
        while self.order.front().is_some_and(|(at, _)| now.saturating_duration_since(*at) >= DEDUP_FOR) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) -> bool {
        let Some((_, id)) = self.order.pop_front() else { return false };
        if let Some((_, answer)) = self.answers.remove(&id) {
            self.bytes -= answer.body.len();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(body: &'static str) -> Remembered {
        Remembered {
            status: StatusCode::OK,
            content_type: HeaderValue::from_static("application/json"),
            body: Bytes::from_static(body.as_bytes()),
            error: None,
        }
    }

    #[test]
    fn an_answer_is_recalled_for_its_id_until_it_is_a_minute_old() {
        let start = Instant::now();
        let mut memory = Memory::default();
        assert_eq!(memory.recall("a", start), None);
        memory.remember("a", answer("first"), start);
        memory.remember("a", answer("second"), start + Duration::from_secs(1));
        assert_eq!(memory.recall("a", start + Duration::from_secs(59)), Some(answer("first")), "the first answer wins");
        assert_eq!(memory.recall("b", start), None);
        assert_eq!(memory.recall("a", start + DEDUP_FOR), None, "forgotten after 60 s");
        assert!(memory.is_empty());
    }

    #[test]
    fn at_most_ten_thousand_ids_the_oldest_forgotten_first() {
        let start = Instant::now();
        let mut memory = Memory::default();
        for n in 0..=DEDUP_MAX_IDS {
            memory.remember(&format!("id-{n}"), answer("x"), start);
        }
        assert_eq!(memory.len(), DEDUP_MAX_IDS);
        assert_eq!(memory.recall("id-0", start), None);
        assert!(memory.recall("id-1", start).is_some());
        assert!(memory.recall(&format!("id-{DEDUP_MAX_IDS}"), start).is_some());
    }

    #[test]
    fn the_bodies_kept_are_bounded_in_bytes_too() {
        let start = Instant::now();
        let mut memory = Memory::default();
        let big = Remembered { body: Bytes::from(vec![b'x'; MAX_BYTES / 2]), ..answer("") };
        memory.remember("one", big.clone(), start);
        memory.remember("two", big.clone(), start);
        memory.remember("three", big, start);
        assert_eq!(memory.len(), 2);
        assert_eq!(memory.recall("one", start), None);
        memory.clear();
        assert!(memory.is_empty() && memory.bytes == 0);
    }
}
