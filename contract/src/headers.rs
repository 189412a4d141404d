//! Header names and the `server-timing` value B writes and the dashboard reads.

use std::time::Duration;

/// Ties the log lines of one call together across B and A.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest `x-request-id` a service keeps, in bytes; a longer one is replaced.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// Whether a caller's `x-request-id` is kept: 1 to [`MAX_REQUEST_ID_BYTES`] bytes
/// of printable ASCII (`0x20..=0x7e`; space included, tab and every other
/// control or non-ASCII byte not). Anything else is replaced by a fresh id, so an
/// id can neither fill a disk nor collide with another after lossy decoding.
pub fn is_acceptable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_BYTES).contains(&id.len()) && id.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// W3C Trace Context: the trace a request belongs to, across services
/// (`00-<trace id>-<caller's span id>-<flags>`). B accepts one or starts
/// one, and forwards it to A; both log its `trace_id`.
pub const TRACEPARENT: &str = "traceparent";

/// A `traceparent` as W3C Trace Context version 00 defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    /// 32 lowercase hex digits, not all zero.
    pub trace_id: String,
    /// The caller's span: 16 lowercase hex digits, not all zero.
    pub parent_id: String,
    /// `01`: sampled.
    pub flags: u8,
}

impl TraceParent {
    /// Reads a `traceparent` value; `None` when it is not version 00 in
    /// W3C's exact form (the trace then starts afresh, as W3C allows).
    pub fn parse(value: &[u8]) -> Option<TraceParent> {
        let text = std::str::from_utf8(value).ok()?;
        let mut parts = text.split('-');
        let (version, trace_id, parent_id, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let zero = |part: &str| part.bytes().all(|b| b == b'0');
        if parts.next().is_some() || version != "00" || !hex(trace_id, 32) || !hex(parent_id, 16) || !hex(flags, 2) {
            return None;
        }
        if zero(trace_id) || zero(parent_id) {
            return None;
        }
        Some(TraceParent {
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            flags: u8::from_str_radix(flags, 16).ok()?,
        })
    }

    /// The `traceparent` a service sends on for its own span `span_id`.
    pub fn child(&self, span_id: &str) -> String {
        traceparent(&self.trace_id, span_id, self.flags)
    }
}

/// A `traceparent` value: `00-<trace id>-<span id>-<flags>`.
pub fn traceparent(trace_id: &str, span_id: &str, flags: u8) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(55);
    for part in ["00-", trace_id, "-", span_id, "-"] {
        text.push_str(part);
    }
    text.push(char::from(HEX[usize::from(flags >> 4)]));
    text.push(char::from(HEX[usize::from(flags & 0xf)]));
    text
}

/// B's remaining budget for a call, in whole milliseconds, sent to A when
/// deadline propagation is on: A stops working once it has passed.
pub const DEADLINE_MS: &str = "x-deadline-ms";

/// B's time spent calling A, so a client can split total latency into its parts.
pub const SERVER_TIMING: &str = "server-timing";

/// The `server-timing` value for B's call to A: `upstream;dur=12.3` (milliseconds).
pub fn upstream_timing(elapsed: Duration) -> String {
    // Tenths of a millisecond, rounded, written as whole numbers (no float formatting per call).
    let tenths = (elapsed.as_micros() + 50) / 100;
    let mut text = String::with_capacity(24);
    text.push_str("upstream;dur=");
    text.push_str(itoa::Buffer::new().format(tenths / 10));
    text.push('.');
    text.push_str(itoa::Buffer::new().format(tenths % 10));
    text
}

/// Reads the `upstream` duration in milliseconds back out of a `server-timing` value.
pub fn parse_upstream_timing(value: &str) -> Option<f64> {
    value.split(',').find_map(|metric| {
        let mut parts = metric.trim().split(';');
        if parts.next()?.trim() != "upstream" {
            return None;
        }
        parts.find_map(|param| param.trim().strip_prefix("dur=")?.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_printable_ascii_and_short() {
        assert!(is_acceptable_request_id(b"7f3a"));
        assert!(is_acceptable_request_id(b"id with space"));
        assert!(is_acceptable_request_id(&[b'x'; MAX_REQUEST_ID_BYTES]));
        assert!(!is_acceptable_request_id(&[b'x'; MAX_REQUEST_ID_BYTES + 1]));
        assert!(!is_acceptable_request_id(b""));
        assert!(!is_acceptable_request_id(b"tab\there"));
        assert!(!is_acceptable_request_id("\u{e9}".as_bytes()));
        assert!(!is_acceptable_request_id(b"\xff\xfe"));
        assert!(!is_acceptable_request_id(b"del\x7f"));
    }

    #[test]
    fn a_traceparent_is_read_as_w3c_writes_it_and_nothing_else() {
        let good = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parent = TraceParent::parse(good).unwrap();
        assert_eq!(parent.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parent.child("b7ad6b7169203331"), "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
        for bad in [
            &b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"[..],
            b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            b"\xff",
            b"",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn upstream_timing_round_trips() {
        let value = upstream_timing(Duration::from_micros(12_345));
        assert_eq!(value, "upstream;dur=12.3");
        assert_eq!(upstream_timing(Duration::from_micros(12_350)), "upstream;dur=12.4", "rounded");
        assert_eq!(upstream_timing(Duration::from_micros(40)), "upstream;dur=0.0");
        assert_eq!(upstream_timing(Duration::from_millis(1_000)), "upstream;dur=1000.0");
        assert_eq!(parse_upstream_timing(&value), Some(12.3));
        assert_eq!(parse_upstream_timing("db;dur=1, upstream;desc=x;dur=4.5"), Some(4.5));
        assert_eq!(parse_upstream_timing("db;dur=1"), None);
    }
}
