//! The lab's header names ([`contract::headers`]) as [`HeaderName`]s, made
//! at compile time: a lookup or an insert with one skips reading the name
//! again for every request (with a `&str`, `http` parses and checks it each time).

use axum::http::HeaderName;

/// `x-request-id`: the caller's id, kept, or a fresh one.
pub const REQUEST_ID: HeaderName = HeaderName::from_static(contract::headers::REQUEST_ID);

/// `traceparent`: the W3C trace the request belongs to.
pub const TRACEPARENT: HeaderName = HeaderName::from_static(contract::headers::TRACEPARENT);

/// `x-deadline-ms`: how long the caller will still wait (B to A).
pub const DEADLINE_MS: HeaderName = HeaderName::from_static(contract::headers::DEADLINE_MS);

/// `server-timing`: how long B's call to A took (`upstream;dur=...`).
pub const SERVER_TIMING: HeaderName = HeaderName::from_static(contract::headers::SERVER_TIMING);

#[cfg(test)]
mod tests {
    #[test]
    fn the_names_are_the_contracts() {
        assert_eq!(super::REQUEST_ID.as_str(), "x-request-id");
        assert_eq!(super::TRACEPARENT.as_str(), "traceparent");
        assert_eq!(super::DEADLINE_MS.as_str(), "x-deadline-ms");
        assert_eq!(super::SERVER_TIMING.as_str(), "server-timing");
    }
}
