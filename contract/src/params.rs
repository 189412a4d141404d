//! The query of `/echo` and `/call-echo`: `msg` (default `""`) and `delay_ms`.
//!
//! Parsed by hand and strictly, because the lenient decoders (`form_urlencoded`,
//! `percent-encoding`) pass `%zz` through and replace bad UTF-8, and the spec wants
//! a 400 for bad encoding instead of silently echoing something else.

use std::borrow::Cow;

use thiserror::Error;

/// The longest `msg` accepted, in bytes after decoding.
pub const MAX_MSG_BYTES: usize = 4096;

/// The longest `delay_ms` accepted (30 s).
pub const MAX_DELAY_MS: u64 = 30_000;

/// A valid `/echo` or `/call-echo` query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EchoParams {
    /// The text to echo; `""` when the query has no `msg`.
    pub msg: String,
    /// How long A waits before answering; `None` when not asked for.
    pub delay_ms: Option<u64>,
}

/// Why a query was refused; the `Display` text is the `error` of the 400 body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidInput {
    #[error("msg is {0} bytes long; the limit is {MAX_MSG_BYTES}")]
    MsgTooLong(usize),
    #[error("delay_ms must be a whole number of milliseconds from 0 to {MAX_DELAY_MS}")]
    BadDelay,
    #[error("the query has a bad percent-encoding (a % must be followed by two hex digits)")]
    BadPercentEncoding,
    #[error("the query is not valid UTF-8 once decoded")]
    NotUtf8,
    #[error("{0} is given more than once; give each parameter at most once")]
    Repeated(&'static str),
    #[error("x-deadline-ms must be a whole number of milliseconds")]
    BadDeadline,
}

/// The caller's remaining budget from an `x-deadline-ms` header value, if it
/// sent one. A deadline longer than any call can take is kept as it is.
pub fn parse_deadline_ms(value: Option<&[u8]>) -> Result<Option<u64>, InvalidInput> {
    let Some(value) = value else { return Ok(None) };
    let text = std::str::from_utf8(value).map_err(|_| InvalidInput::BadDeadline)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::BadDeadline);
    }
    text.parse().map(Some).map_err(|_| InvalidInput::BadDeadline)
}

impl EchoParams {
    /// Parses the raw query string (without `?`). A repeated `msg` or `delay_ms`
    /// is an error (which one would be meant?), and every value is checked.
    pub fn from_query(query: Option<&str>) -> Result<Self, InvalidInput> {
        let mut msg = None;
        let mut delay = None;
        for pair in query.unwrap_or("").split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match &*decode_component(key)? {
                "msg" if msg.is_some() => return Err(InvalidInput::Repeated("msg")),
                "msg" => msg = Some(decode_component(value)?),
                "delay_ms" if delay.is_some() => return Err(InvalidInput::Repeated("delay_ms")),
                "delay_ms" => delay = Some(decode_component(value)?),
                // Unknown keys are ignored, like any web framework does, but they
                // must still be well encoded: a bad query is a bad query.
                _ => {
                    decode_component(value)?;
                }
            }
        }
        let msg = msg.map(Cow::into_owned).unwrap_or_default();
        if msg.len() > MAX_MSG_BYTES {
            return Err(InvalidInput::MsgTooLong(msg.len()));
        }
        let delay_ms = delay.map(|text| parse_delay(&text)).transpose()?;
        Ok(Self { msg, delay_ms })
    }
}

fn parse_delay(text: &str) -> Result<u64, InvalidInput> {
    // `u64::from_str` accepts a leading `+`; a plain run of digits is what we document.
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::BadDelay);
    }
    match text.parse::<u64>() {
        Ok(ms) if ms <= MAX_DELAY_MS => Ok(ms),
        _ => Err(InvalidInput::BadDelay),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space and
/// `%XX` a byte; anything else after `%`, or bytes that are not UTF-8, is an error.
/// A component with nothing to decode is returned as it is (no copy).
pub fn decode_component(raw: &str) -> Result<Cow<'_, str>, InvalidInput> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut input = raw.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = input.next().and_then(hex_value);
                let lo = input.next().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => bytes.push(hi << 4 | lo),
                    _ => return Err(InvalidInput::BadPercentEncoding),
                }
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| InvalidInput::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<EchoParams, InvalidInput> {
        EchoParams::from_query(Some(query))
    }

    #[test]
    fn missing_msg_means_empty() {
        assert_eq!(EchoParams::from_query(None), Ok(EchoParams::default()));
        assert_eq!(parse("").map(|p| p.msg), Ok(String::new()));
        assert_eq!(parse("other=1").map(|p| p.msg), Ok(String::new()));
        assert_eq!(parse("msg").map(|p| p.msg), Ok(String::new()));
    }

    #[test]
    fn decodes_plus_and_percent() {
        let params = parse("msg=hello+w%C3%B6rld%21%0A&delay_ms=250").unwrap();
        assert_eq!(params.msg, "hello wörld!\n");
        assert_eq!(params.delay_ms, Some(250));
        assert_eq!(parse("msg=a%2Bb%26c%3Dd").unwrap().msg, "a+b&c=d");
    }

    #[test]
    fn a_repeated_parameter_is_refused() {
        assert_eq!(parse("msg=first&msg=second"), Err(InvalidInput::Repeated("msg")));
        assert_eq!(parse("delay_ms=1&delay_ms=abc"), Err(InvalidInput::Repeated("delay_ms")));
        assert_eq!(parse("delay_ms=1&msg=x&delay_ms=1"), Err(InvalidInput::Repeated("delay_ms")));
        assert_eq!(parse("msg=%41&m%73g=b"), Err(InvalidInput::Repeated("msg")), "keys compare decoded");
        // Unknown keys may repeat (as in any web framework), but must be well encoded.
        assert_eq!(parse("x=1&x=2&msg=ok").unwrap().msg, "ok");
    }

    #[test]
    fn refuses_bad_encoding() {
        assert_eq!(parse("msg=%zz"), Err(InvalidInput::BadPercentEncoding));
        assert_eq!(parse("msg=100%"), Err(InvalidInput::BadPercentEncoding));
        assert_eq!(parse("msg=%4"), Err(InvalidInput::BadPercentEncoding));
        assert_eq!(parse("msg=%ff%fe"), Err(InvalidInput::NotUtf8));
        assert_eq!(parse("x=%zz&msg=ok"), Err(InvalidInput::BadPercentEncoding));
    }

    #[test]
    fn delay_must_be_in_range() {
        assert_eq!(parse("delay_ms=0").unwrap().delay_ms, Some(0));
        assert_eq!(parse("delay_ms=30000").unwrap().delay_ms, Some(30_000));
        for bad in ["30001", "-1", "+5", "1.5", "abc", "", "99999999999999999999", "1e3", " 5"] {
            assert_eq!(parse(&format!("delay_ms={bad}")), Err(InvalidInput::BadDelay), "{bad:?}");
        }
    }

    #[test]
    fn msg_limit_is_in_decoded_bytes() {
        let at_limit = "a".repeat(MAX_MSG_BYTES);
        assert_eq!(parse(&format!("msg={at_limit}")).unwrap().msg.len(), MAX_MSG_BYTES);
        assert_eq!(parse(&format!("msg={at_limit}a")), Err(InvalidInput::MsgTooLong(MAX_MSG_BYTES + 1)));
        // 2,000 two-byte characters, percent-encoded: 12,000 bytes of query, 4,000 of msg.
        let encoded = "%C3%A9".repeat(2000);
        assert_eq!(parse(&format!("msg={encoded}")).unwrap().msg.len(), 4000);
    }

    #[test]
    fn a_deadline_is_whole_milliseconds_or_absent() {
        assert_eq!(parse_deadline_ms(None), Ok(None));
        assert_eq!(parse_deadline_ms(Some(b"250")), Ok(Some(250)));
        assert_eq!(parse_deadline_ms(Some(b"0")), Ok(Some(0)));
        for bad in [&b""[..], b"-1", b"1.5", b" 5", b"99999999999999999999999", b"\xff"] {
            assert_eq!(parse_deadline_ms(Some(bad)), Err(InvalidInput::BadDeadline), "{bad:?}");
        }
    }
}
