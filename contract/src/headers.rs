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

/// B's remaining budget for a call, in whole milliseconds, sent to A when
/// deadline propagation is on: A stops working once it has passed.
pub const DEADLINE_MS: &str = "x-deadline-ms";

/// B's time spent calling A, so a client can split total latency into its parts.
pub const SERVER_TIMING: &str = "server-timing";

/// The `server-timing` value for B's call to A: `upstream;dur=12.3` (milliseconds).
pub fn upstream_timing(elapsed: Duration) -> String {
    format!("upstream;dur={:.1}", elapsed.as_secs_f64() * 1000.0)
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
    fn upstream_timing_round_trips() {
        let value = upstream_timing(Duration::from_micros(12_345));
        assert_eq!(value, "upstream;dur=12.3");
        assert_eq!(parse_upstream_timing(&value), Some(12.3));
        assert_eq!(parse_upstream_timing("db;dur=1, upstream;desc=x;dur=4.5"), Some(4.5));
        assert_eq!(parse_upstream_timing("db;dur=1"), None);
    }
}
