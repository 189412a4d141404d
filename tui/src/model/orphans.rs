//! Orphaned work, counted as the log lines arrive: a request B gave up on
//! (its `/call-echo` line says `status=error`) whose `/echo` line in A ends
//! more than [`super::trace::ORPHAN_TOLERANCE_MS`] after B's: A worked for a caller that was
//! gone. Either line may arrive first; the last [`KEPT`] ids are remembered.

use std::collections::{HashMap, VecDeque};

use contract::Service;
use time::OffsetDateTime;

use super::trace::orphaned_after;
use crate::msg::LogLine;

/// Request ids remembered (the oldest are forgotten first).
pub const KEPT: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct Orphans {
    /// B's line per id: when it ended, and whether B failed.
    b: HashMap<String, (OffsetDateTime, bool)>,
    /// The latest end of A's lines per id.
    a: HashMap<String, OffsetDateTime>,
    order: VecDeque<String>,
    /// Ids found orphaned, with how long after B's answer A's line ended.
    found: HashMap<String, i64>,
    /// Requests with orphaned work this session.
    pub count: u64,
}

impl Orphans {
    /// Takes this session's lines.
    pub fn add(&mut self, lines: &[LogLine], since: Option<OffsetDateTime>) {
        for line in lines {
            let (Some(at), Some(id)) = (line.at, line.request_id.as_ref()) else { continue };
            if since.is_some_and(|since| at < since) {
                continue;
            }
            match line.call_of() {
                Some(Service::B) => {
                    self.remember(id);
                    self.b.insert(id.clone(), (at, line.ok == Some(false)));
                }
                Some(Service::A) => {
                    self.remember(id);
                    match self.a.get_mut(id) {
                        Some(end) => *end = (*end).max(at),
                        None => {
                            self.a.insert(id.clone(), at);
                        }
                    }
                }
                None => continue,
            }
            self.check(id);
        }
    }

    fn remember(&mut self, id: &str) {
        if self.b.contains_key(id) || self.a.contains_key(id) {
            return;
        }
        self.order.push_back(id.to_owned());
        while self.order.len() > KEPT {
            if let Some(old) = self.order.pop_front() {
                self.b.remove(&old);
                self.a.remove(&old);
                self.found.remove(&old);
            }
        }
    }

    fn check(&mut self, id: &str) {
        let (Some((b_end, b_failed)), Some(a_end)) = (self.b.get(id).copied(), self.a.get(id).copied()) else { return };
        if let Some(after) = orphaned_after(b_end, b_failed, a_end)
            && self.found.insert(id.to_owned(), after).is_none()
        {
            self.count += 1;
        }
    }

    /// How long after B gave up A's line for `id` ended, if that was orphaned work.
    pub fn of(&self, id: &str) -> Option<i64> {
        self.found.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: Service, at_ms: i64, status: &str, id: &str) -> LogLine {
        let mut raw = String::new();
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        contract::logline::write_timestamp(&mut raw, t0 + time::Duration::milliseconds(at_ms));
        let endpoint = if service == Service::A { "/echo" } else { "/call-echo" };
        raw.push_str(&format!(
            " service={} endpoint={endpoint} status={status} latency_ms=1 request_id={id}",
            service.name()
        ));
        LogLine::parse(service, &raw)
    }

    #[test]
    fn a_line_of_a_well_after_b_gave_up_counts_once_in_either_order() {
        let mut orphans = Orphans::default();
        orphans.add(&[line(Service::B, 1_000, "error", "late"), line(Service::A, 12_000, "ok", "late")], None);
        assert_eq!((orphans.count, orphans.of("late")), (1, Some(11_000)));
        // A's line first, B's after (two files, followed apart).
        orphans.add(&[line(Service::A, 2_300, "ok", "slow")], None);
        orphans.add(&[line(Service::B, 2_000, "error", "slow")], None);
        assert_eq!(orphans.count, 2);
        // Within the tolerance (A stopped when B hung up), or B succeeded: not orphaned.
        orphans.add(&[line(Service::B, 3_000, "error", "hung-up"), line(Service::A, 3_001, "error", "hung-up")], None);
        orphans.add(&[line(Service::B, 4_000, "ok", "fine"), line(Service::A, 4_500, "ok", "fine")], None);
        // The same id seen again does not count twice.
        orphans.add(&[line(Service::A, 13_000, "ok", "late")], None);
        assert_eq!((orphans.count, orphans.of("hung-up"), orphans.of("fine")), (2, None, None));
    }
}
