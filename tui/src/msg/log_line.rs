//! One line of a service's log, read for the screen: its fields (any of the
//! lab's formats), made printable, with the request id first.

use contract::{LogRecord, Service};
use time::OffsetDateTime;

use crate::text::sanitize;

/// One log line, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub service: Service,
    /// From the line's timestamp; `None` if the line is not a record.
    pub at: Option<OffsetDateTime>,
    /// `ok` / `error` from `status=`, if the line has it.
    pub ok: Option<bool>,
    pub request_id: Option<String>,
    pub endpoint: Option<String>,
    /// `latency_ms=`: the service's time for the request (its line is written at the end).
    pub latency_ms: Option<u64>,
    /// `error=`, made printable.
    pub error: Option<String>,
    /// `error_kind=` of B's line (`timeout`, `connect`, ...).
    pub error_kind: Option<String>,
    /// `tries=` of B's line (absent: one try, or none).
    pub tries: Option<u32>,
    /// `fault=` of A's line: which of A's faults answered (`error_status`, `bad_body`, `trickle`).
    pub fault: Option<String>,
    /// `dedup=hit` in A's line: answered from A's memory, no work done.
    pub dedup_hit: bool,
    /// The line as written, control characters made visible, clipped.
    pub text: String,
    /// What the log panel shows after the time: the request id first (so it
    /// stays readable on a narrow screen), then the other fields in text form
    /// (also for a JSON line), without the date and `service=`.
    pub fields: String,
}

impl LogLine {
    /// Whose request line of the lab's call this is: A's `/echo` or B's
    /// `/call-echo` (not a health check, a metrics scrape or a lifecycle line).
    pub fn call_of(&self) -> Option<Service> {
        match (self.service, self.endpoint.as_deref()) {
            (Service::A, Some("/echo")) => Some(Service::A),
            (Service::B, Some("/call-echo")) => Some(Service::B),
            _ => None,
        }
    }

    /// Reads a raw line of `service`'s log (text or JSON), its time in UTC.
    pub fn parse(service: Service, raw: &str) -> Self {
        Self::parse_in(service, raw, time::UtcOffset::UTC)
    }

    /// Reads a raw line whose time of day is at `offset` from UTC (another
    /// implementation's local time, as Python's logging writes it).
    pub fn parse_in(service: Service, raw: &str, offset: time::UtcOffset) -> Self {
        let text = sanitize(raw);
        // Leniently: the lines of another implementation (the lab's Flask pair) read too.
        match LogRecord::parse_lenient(raw) {
            Ok(record) => LogLine {
                service,
                at: Some(record.timestamp.replace_offset(offset).to_offset(time::UtcOffset::UTC)),
                ok: record.get("status").map(|s| s == "ok"),
                request_id: record.get("request_id").map(str::to_owned),
                endpoint: record.get("endpoint").map(str::to_owned),
                latency_ms: record.get("latency_ms").and_then(|ms| ms.parse().ok()),
                error: record.get("error").map(sanitize),
                error_kind: record.get("error_kind").map(sanitize),
                tries: record.get("tries").and_then(|tries| tries.parse().ok()),
                fault: record.get("fault").map(sanitize),
                dedup_hit: record.get("dedup") == Some("hit"),
                fields: display_fields(&record),
                text,
            },
            Err(_) => LogLine {
                service,
                at: None,
                ok: None,
                request_id: None,
                endpoint: None,
                latency_ms: None,
                error: None,
                error_kind: None,
                tries: None,
                fault: None,
                dedup_hit: false,
                fields: text.clone(),
                text,
            },
        }
    }
}

/// `request_id=… endpoint=/echo status=ok …`: a record's fields with the id
/// first and without `service=`, escaped as the text format escapes them.
fn display_fields(record: &LogRecord) -> String {
    let mut shown = LogRecord::new(record.timestamp);
    let id = record.fields.iter().filter(|(key, _)| key == "request_id");
    let others = record.fields.iter().filter(|(key, _)| key != "request_id" && key != "service");
    for (key, value) in id.chain(others) {
        shown.push(key.as_str(), value.as_str());
    }
    let line = shown.to_text();
    // The text form starts with the date and the time, each followed by a space.
    sanitize(line.splitn(3, ' ').nth(2).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, offset};

    use super::*;

    #[test]
    fn the_labs_local_time_is_read_in_its_zone_and_kept_in_utc() {
        let raw = "2026-12-03 19:30:00,250 service=A endpoint=/echo status=ok latency_ms=0";
        let local = LogLine::parse_in(Service::A, raw, offset!(+5:30));
        assert_eq!(local.at, Some(datetime!(2026-12-03 14:00:00.250 UTC)));
        assert_eq!(LogLine::parse(Service::A, raw).at, Some(datetime!(2026-12-03 19:30:00.250 UTC)));
    }
}
