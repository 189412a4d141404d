//! How much work A does for each request B gets, read from both services' log
//! lines: A's `/echo` lines over B's `/call-echo` lines, over the last
//! [`WINDOW_SECONDS`] and over the session. With retries, one request to B can
//! make A work up to four times; this is where the learner sees that.
//!
//! The window counts B's requests whose line is in it and, for each, A's
//! lines under the same request id whenever they came: an A line written long
//! after B gave up (a thawed A) counts for its own request, not for whatever
//! B answered in the seconds it arrived in. Lines without an id are counted
//! by the second they were written.

use std::collections::{BTreeMap, HashMap, VecDeque};

use contract::Service;
use time::OffsetDateTime;

use crate::msg::LogLine;

/// The recent window, in seconds of log time.
pub const WINDOW_SECONDS: i64 = 10;

/// How long (seconds of log time) the lines by id are kept: the window, and
/// room for an A line that comes long after its B line.
const KEEP_SECONDS: i64 = 60;

/// At most this many request ids are remembered (a flood of lines cannot grow it).
const MAX_IDS: usize = 10_000;

/// Request lines counted per request and per second of log time, and over the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkRatio {
    /// Unix second → (A's `/echo` lines, B's `/call-echo` lines) of lines without an id.
    per_second: BTreeMap<i64, (u64, u64)>,
    /// B's request lines with an id, oldest first: (unix second, id).
    b_lines: VecDeque<(i64, String)>,
    /// A's lines per request id, and the second of the last one.
    a_lines: HashMap<String, (u64, i64)>,
    /// The newest second of a line seen: what is kept is measured back from it.
    newest: Option<i64>,
    /// The same over the whole session.
    pub total: (u64, u64),
}

impl WorkRatio {
    /// Counts the request lines of this session (at or after `since`).
    pub fn add(&mut self, lines: &[LogLine], since: Option<OffsetDateTime>) {
        for line in lines {
            let Some(at) = line.at else { continue };
            if since.is_some_and(|since| at < since) {
                continue;
            }
            let Some(side) = line.call_of() else { continue };
            let second = at.unix_timestamp();
            self.newest = self.newest.max(Some(second));
            match (side, line.request_id.as_deref()) {
                (Service::A, Some(id)) => {
                    let seen = self.a_lines.entry(id.to_owned()).or_default();
                    *seen = (seen.0 + 1, second);
                }
                (Service::B, Some(id)) => self.b_lines.push_back((second, id.to_owned())),
                (Service::A, None) => self.per_second.entry(second).or_default().0 += 1,
                (Service::B, None) => self.per_second.entry(second).or_default().1 += 1,
            }
            match side {
                Service::A => self.total.0 += 1,
                Service::B => self.total.1 += 1,
            }
        }
        self.prune();
    }

    /// Forgets what is older than [`KEEP_SECONDS`] before the newest line, and past [`MAX_IDS`].
    fn prune(&mut self) {
        let Some(newest) = self.newest else { return };
        let oldest = newest - KEEP_SECONDS;
        while self.b_lines.front().is_some_and(|(second, _)| *second < oldest) || self.b_lines.len() > MAX_IDS {
            self.b_lines.pop_front();
        }
        if self.a_lines.len() > MAX_IDS || self.a_lines.values().any(|(_, second)| *second < oldest) {
            self.a_lines.retain(|_, (_, second)| *second >= oldest);
            if self.a_lines.len() > MAX_IDS {
                self.a_lines.clear();
            }
        }
        while self.per_second.first_key_value().is_some_and(|(second, _)| *second < oldest) {
            self.per_second.pop_first();
        }
    }

    /// A's and B's request lines for B's requests in the [`WINDOW_SECONDS`] before `now`.
    pub fn recent(&self, now: OffsetDateTime) -> (u64, u64) {
        let from = now.unix_timestamp() - WINDOW_SECONDS;
        let (mut a, mut b) = self.per_second.range(from..).fold((0, 0), |(a, b), (_, (da, db))| (a + da, b + db));
        for (_, id) in self.b_lines.iter().rev().take_while(|(second, _)| *second >= from) {
            b += 1;
            a += self.a_lines.get(id).map_or(0, |(count, _)| *count);
        }
        (a, b)
    }
}

/// `a` per `b` as `1.00×`, or `-` without requests to B.
pub fn ratio(a: u64, b: u64) -> String {
    // Display only: precision loss past 2^53 lines does not matter.
    #[allow(clippy::cast_precision_loss)]
    if b == 0 { "-".into() } else { format!("{:.2}×", a as f64 / b as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: Service, endpoint: &str, at: OffsetDateTime) -> LogLine {
        line_of(service, endpoint, at, "x")
    }

    fn line_of(service: Service, endpoint: &str, at: OffsetDateTime, id: &str) -> LogLine {
        let mut raw = String::new();
        contract::logline::write_timestamp(&mut raw, at);
        raw.push_str(&format!(
            " service={} endpoint={endpoint} status=ok latency_ms=1 request_id={id}",
            service.name()
        ));
        LogLine::parse(service, &raw)
    }

    #[test]
    fn an_a_line_long_after_b_gave_up_counts_for_its_own_request_not_the_window_it_came_in() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let mut work = WorkRatio::default();
        // Request 1: B timed out at t0 (A frozen); request 2 went through at t0+20 s,
        // and A's line of request 1 came then too, after the thaw.
        work.add(&[line_of(Service::B, "/call-echo", t0, "r1")], Some(t0));
        let later = t0 + time::Duration::seconds(20);
        let lines = [
            line_of(Service::A, "/echo", later, "r1"),
            line_of(Service::A, "/echo", later, "r2"),
            line_of(Service::B, "/call-echo", later, "r2"),
        ];
        work.add(&lines, Some(t0));
        assert_eq!(work.recent(later), (1, 1), "one A line per B request in the window");
        assert_eq!(ratio(1, 1), "1.00×");
        assert_eq!(work.total, (2, 2));
    }

    #[test]
    fn retries_show_as_more_than_one_a_line_per_b_line() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let mut work = WorkRatio::default();
        let earlier = line(Service::A, "/echo", t0 - time::Duration::seconds(30));
        work.add(&[earlier], Some(t0));
        assert_eq!(work.total, (0, 0), "lines from before the session do not count");
        let mut lines = Vec::new();
        for _ in 0..4 {
            lines.push(line(Service::A, "/echo", t0));
        }
        lines.push(line(Service::B, "/call-echo", t0));
        lines.push(line(Service::A, "/health", t0));
        work.add(&lines, Some(t0));
        assert_eq!(work.recent(t0 + time::Duration::seconds(1)), (4, 1));
        assert_eq!(ratio(4, 1), "4.00×");
        assert_eq!(work.recent(t0 + time::Duration::seconds(WINDOW_SECONDS + 1)), (0, 0), "out of the window");
        assert_eq!(work.total, (4, 1));
        assert_eq!(ratio(3, 0), "-");
    }
}
