//! Each service's clock against the dashboard's, estimated the way NTP
//! does from round trips. A line a service wrote while it handled a request
//! the dashboard sent at `t0` and had answered at `t3` was written, by the
//! dashboard's clock, between the two; so if the line says `t`, the
//! service's clock is ahead of the dashboard's by somewhere in
//! `[t − t3, t − t0]`. Each such request narrows the interval (the
//! intersection of all of them); the midpoint is the offset, half its width
//! the error bound. Only requests B answered 200 count: a line written
//! after B gave up (a thawed A) says nothing of when it was sent.

use std::collections::VecDeque;

use contract::Service;
use time::OffsetDateTime;

use crate::text::unix_ms;

/// Round trips kept for the lines still to come.
const KEPT: usize = 64;

/// A log's times are cut to the millisecond: each bound is widened by one.
const TRUNCATION_MS: i64 = 1;

/// What is known of one service's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// The service's clock minus the dashboard's, in ms (the interval's middle).
    pub ms: i64,
    /// How far the truth may be from `ms`, either way.
    pub bound_ms: i64,
    /// How many requests narrowed it.
    pub samples: u32,
}

/// The interval each service's offset is known to lie in (A, B).
#[derive(Debug, Clone, Default)]
pub struct Clocks {
    known: [Option<(i64, i64, u32)>; 2],
    /// The latest round trips: request id, sent, answered (the dashboard's ms).
    trips: VecDeque<(String, i64, i64)>,
}

impl Clocks {
    /// Request `id`, sent at `sent` (before it left), was answered 200 and
    /// the answer seen at `seen` (after it came): its lines are awaited.
    pub fn answered(&mut self, id: &str, sent: OffsetDateTime, seen: OffsetDateTime) {
        if self.trips.len() == KEPT {
            self.trips.pop_front();
        }
        self.trips.push_back((id.to_owned(), unix_ms(sent), unix_ms(seen)));
    }

    /// A line of `service` written at (its) `at` for request `id`: if it is
    /// one of the round trips kept, it narrows the offset.
    pub fn observe(&mut self, service: Service, id: &str, at: OffsetDateTime) {
        let Some(&(_, t0, t3)) = self.trips.iter().rev().find(|(trip, _, _)| trip == id) else { return };
        let t = unix_ms(at);
        let (lo, hi) = (t - t3 - TRUNCATION_MS, t - t0 + TRUNCATION_MS);
        let known = &mut self.known[service.index()];
        *known = match *known {
            // Narrowed by this request.
            Some((was_lo, was_hi, n)) if lo.max(was_lo) <= hi.min(was_hi) => {
                Some((lo.max(was_lo), hi.min(was_hi), n.saturating_add(1)))
            }
            // None yet, or the clock moved (the service restarted with another): from here.
            _ => Some((lo, hi, 1)),
        };
    }

    /// What is known of `service`'s clock, once one request showed it.
    pub fn offset(&self, service: Service) -> Option<Offset> {
        let (lo, hi, samples) = self.known[service.index()]?;
        Some(Offset { ms: lo + (hi - lo) / 2, bound_ms: (hi - lo + 1) / 2, samples })
    }
}

impl Offset {
    /// Whether the clocks differ by more than what can be told apart.
    pub fn is_off(&self) -> bool {
        self.ms.abs() > self.bound_ms
    }

    /// `A's clock is 250 ms ahead of the dashboard's (±2 ms, from 6 requests)`.
    pub fn describe(&self, service: Service) -> String {
        let how = match self.ms {
            ms if !self.is_off() => format!("agrees with the dashboard's within ±{} ms", self.bound_ms.max(ms.abs())),
            ms if ms > 0 => format!("is {ms} ms ahead of the dashboard's (±{} ms)", self.bound_ms),
            ms => format!("is {} ms behind the dashboard's (±{} ms)", -ms, self.bound_ms),
        };
        let n = self.samples;
        format!("{}'s clock {how}, from {n} request{}", service.name(), if n == 1 { "" } else { "s" })
    }

    /// What the trace says of a service whose times it corrected.
    pub fn correction(&self, service: Service) -> String {
        let how = if self.ms > 0 { "ahead of" } else { "behind" };
        format!(
            "{}'s clock is {} ms {how} the dashboard's (±{} ms): its times here are corrected",
            service.name(),
            self.ms.abs(),
            self.bound_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn round_trips_narrow_the_offset_and_a_moved_clock_starts_again() {
        let t0 = datetime!(2026-12-03 12:00:00.000 UTC);
        let ms = Duration::milliseconds;
        let mut clocks = Clocks::default();
        assert_eq!(clocks.offset(Service::A), None);
        // A's clock 250 ms ahead: its line, 3 ms into a 10 ms round trip, reads +253.
        clocks.answered("r1", t0, t0 + ms(10));
        clocks.observe(Service::A, "r1", t0 + ms(253));
        assert_eq!(clocks.offset(Service::A), Some(Offset { ms: 248, bound_ms: 6, samples: 1 }));
        // Another, 8 ms into its own round trip: the interval narrows.
        let t1 = t0 + ms(100);
        clocks.answered("r2", t1, t1 + ms(10));
        clocks.observe(Service::A, "r2", t1 + ms(258));
        clocks.observe(Service::B, "unknown", t1);
        let offset = clocks.offset(Service::A).unwrap();
        assert_eq!((offset.ms, offset.bound_ms, offset.samples), (250, 4, 2));
        assert!(offset.is_off());
        assert_eq!(
            offset.correction(Service::A),
            "A's clock is 250 ms ahead of the dashboard's (±4 ms): its times here are corrected"
        );
        assert_eq!(
            offset.describe(Service::A),
            "A's clock is 250 ms ahead of the dashboard's (±4 ms), from 2 requests"
        );
        // Restarted with its clock right: no overlap, so the estimate starts again.
        let t2 = t0 + ms(1_000);
        clocks.answered("r3", t2, t2 + ms(4));
        clocks.observe(Service::A, "r3", t2 + ms(2));
        let offset = clocks.offset(Service::A).unwrap();
        assert_eq!((offset.samples, offset.is_off()), (1, false));
        assert_eq!(offset.describe(Service::A), "A's clock agrees with the dashboard's within ±3 ms, from 1 request");
        assert_eq!(clocks.offset(Service::B), None, "each service its own");
    }
}
