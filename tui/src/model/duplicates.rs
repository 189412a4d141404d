//! Work A did for one B request, read from both logs by request id: work
//! done more than once (a retry over a lost answer makes A do it again),
//! answers from A's memory (`dedup=hit`: the fix), and work A finished for a
//! request B gave up on (a timeout: the answer was lost or late, not the work).

use std::collections::{HashMap, VecDeque};

use contract::Service;
use time::OffsetDateTime;

use crate::msg::LogLine;

/// Request ids remembered at most (the oldest are forgotten first).
pub const MAX_IDS: usize = 10_000;

/// What both logs say of one request id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// A's `/echo` lines that did the work (not answered from memory).
    pub done: u32,
    /// A's lines of them that ended `status=ok`.
    pub done_ok: u32,
    /// A's lines answered from memory (`dedup=hit`).
    pub from_memory: u32,
    /// B's line said it gave up waiting (`error_kind=timeout`).
    pub b_timed_out: bool,
}

impl Work {
    /// A worked more than once for it.
    pub fn duplicated(&self) -> bool {
        self.done > 1
    }

    /// B gave up waiting, yet A did the work.
    pub fn done_but_timed_out(&self) -> bool {
        self.b_timed_out && self.done_ok > 0
    }
}

/// The work per request id of this session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duplicates {
    by_id: HashMap<String, Work>,
    /// Ids in the order first seen, to forget the oldest.
    order: VecDeque<String>,
    /// Requests A worked on more than once, and the extra work.
    pub duplicated: u64,
    pub extra_work: u64,
    /// Answers A gave from memory.
    pub from_memory: u64,
    /// Requests B gave up on (timeout) that A did.
    pub done_but_timed_out: u64,
}

impl Duplicates {
    /// Counts the lines of this session (at or after `since`); returns the
    /// ids that just became duplicated work, answered from memory, or done
    /// although B failed (for the guide).
    pub fn add(&mut self, lines: &[LogLine], since: Option<OffsetDateTime>) -> Vec<(String, Change)> {
        let mut changes = Vec::new();
        for line in lines {
            if line.at.is_none() || since.zip(line.at).is_some_and(|(since, at)| at < since) {
                continue;
            }
            let (Some(side), Some(id)) = (line.call_of(), line.request_id.as_deref()) else { continue };
            let before = self.work(id);
            let work = self.entry(id);
            match side {
                Service::A if line.dedup_hit => work.from_memory += 1,
                Service::A => {
                    work.done += 1;
                    work.done_ok += u32::from(line.ok == Some(true));
                }
                Service::B => {
                    work.b_timed_out |= line.ok == Some(false) && line.error_kind.as_deref() == Some("timeout")
                }
            }
            let after = *work;
            if after.done > before.done && after.done > 1 {
                self.extra_work += 1;
                if after.done == 2 {
                    self.duplicated += 1;
                    changes.push((id.to_owned(), Change::Duplicated));
                }
            }
            if after.from_memory > before.from_memory {
                self.from_memory += 1;
                changes.push((id.to_owned(), Change::FromMemory));
            }
            if after.done_but_timed_out() && !before.done_but_timed_out() {
                self.done_but_timed_out += 1;
                changes.push((id.to_owned(), Change::DoneButTimedOut));
            }
        }
        changes
    }

    /// What the logs say of `id` so far.
    pub fn work(&self, id: &str) -> Work {
        self.by_id.get(id).copied().unwrap_or_default()
    }

    fn entry(&mut self, id: &str) -> &mut Work {
        if !self.by_id.contains_key(id) {
            if self.order.len() >= MAX_IDS
                && let Some(oldest) = self.order.pop_front()
            {
                self.by_id.remove(&oldest);
            }
            self.order.push_back(id.to_owned());
        }
        self.by_id.entry(id.to_owned()).or_default()
    }
}

/// What a line made of a request's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A did it a second time.
    Duplicated,
    /// A answered it from memory.
    FromMemory,
    /// B gave up waiting, and A did it.
    DoneButTimedOut,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: Service, raw: &str) -> LogLine {
        LogLine::parse(service, raw)
    }

    const A_OK: &str = "2026-02-04 14:29:46,799 service=A endpoint=/echo status=ok latency_ms=0 request_id=r-1";
    const A_HIT: &str =
        "2026-02-04 14:29:47,799 service=A endpoint=/echo status=ok dedup=hit latency_ms=0 request_id=r-1";
    const B_FAIL: &str = "2026-02-04 14:29:48,000 service=B endpoint=/call-echo status=error error_kind=timeout error=\"x\" latency_ms=1000 request_id=r-1";

    #[test]
    fn a_second_try_that_a_did_is_duplicate_work_and_a_memory_answer_is_not() {
        let mut work = Duplicates::default();
        assert!(work.add(&[line(Service::A, A_OK)], None).is_empty());
        assert_eq!(work.add(&[line(Service::A, A_OK)], None), [("r-1".to_owned(), Change::Duplicated)]);
        assert_eq!((work.duplicated, work.extra_work), (1, 1));
        assert_eq!(work.add(&[line(Service::A, A_HIT)], None), [("r-1".to_owned(), Change::FromMemory)]);
        assert_eq!((work.duplicated, work.extra_work, work.from_memory), (1, 1, 1));
    }

    #[test]
    fn work_done_for_a_request_b_failed_is_found_whichever_line_comes_first() {
        for order in [[Service::A, Service::B], [Service::B, Service::A]] {
            let mut work = Duplicates::default();
            let lines: Vec<LogLine> =
                order.iter().map(|side| line(*side, if *side == Service::A { A_OK } else { B_FAIL })).collect();
            let changes = work.add(&lines, None);
            assert_eq!(changes, [("r-1".to_owned(), Change::DoneButTimedOut)], "{order:?}");
            assert_eq!(work.done_but_timed_out, 1);
        }
    }

    #[test]
    fn memory_is_bounded() {
        let mut work = Duplicates::default();
        for n in 0..MAX_IDS + 5 {
            let raw = A_OK.replace("r-1", &format!("r-{n}"));
            work.add(&[line(Service::A, &raw)], None);
        }
        assert_eq!(work.by_id.len(), MAX_IDS);
        assert_eq!(work.work("r-0"), Work::default(), "the oldest is forgotten");
    }
}
