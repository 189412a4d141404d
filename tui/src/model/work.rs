//! How much work A does for each request B gets, read from both services' log
//! lines: A's `/echo` lines over B's `/call-echo` lines, over the last
//! [`WINDOW_SECONDS`] and over the session. With retries, one request to B can
//! make A work up to four times; this is where the learner sees that.

use std::collections::BTreeMap;

use contract::Service;
use time::OffsetDateTime;

use crate::msg::LogLine;

/// The recent window, in seconds of log time.
pub const WINDOW_SECONDS: i64 = 10;

/// Request lines counted per second of log time, and over the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkRatio {
    /// Unix second → (A's `/echo` lines, B's `/call-echo` lines).
    per_second: BTreeMap<i64, (u64, u64)>,
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
            let counts = self.per_second.entry(at.unix_timestamp()).or_default();
            match side {
                Service::A => {
                    counts.0 += 1;
                    self.total.0 += 1;
                }
                Service::B => {
                    counts.1 += 1;
                    self.total.1 += 1;
                }
            }
        }
        // Keep a minute: enough for the window whatever the clocks say.
        while self.per_second.len() > 60 {
            self.per_second.pop_first();
        }
    }

    /// A's and B's request lines in the [`WINDOW_SECONDS`] before `now`.
    pub fn recent(&self, now: OffsetDateTime) -> (u64, u64) {
        let from = now.unix_timestamp() - WINDOW_SECONDS;
        self.per_second.range(from..).fold((0, 0), |(a, b), (_, (da, db))| (a + da, b + db))
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
        let mut raw = String::new();
        contract::logline::write_timestamp(&mut raw, at);
        raw.push_str(&format!(" service={} endpoint={endpoint} status=ok latency_ms=1 request_id=x", service.name()));
        LogLine::parse(service, &raw)
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
