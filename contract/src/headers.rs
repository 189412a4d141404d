//! Header names and the `server-timing` value B writes and the dashboard reads.

use std::time::Duration;

/// Ties the log lines of one call together across B and A.
pub const REQUEST_ID: &str = "x-request-id";

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
    fn upstream_timing_round_trips() {
        let value = upstream_timing(Duration::from_micros(12_345));
        assert_eq!(value, "upstream;dur=12.3");
        assert_eq!(parse_upstream_timing(&value), Some(12.3));
        assert_eq!(parse_upstream_timing("db;dur=1, upstream;desc=x;dur=4.5"), Some(4.5));
        assert_eq!(parse_upstream_timing("db;dur=1"), None);
    }
}
