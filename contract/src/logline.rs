//! The log line: written here, parsed here, and nowhere else.
//!
//! Text (the lab's shape), one record per line:
//!
//! ```text
//! 2026-02-04 14:29:46,799 service=A endpoint=/echo status=ok latency_ms=0 request_id=7f3a
//! ```
//!
//! The timestamp is UTC with milliseconds. A value that is empty or holds a space,
//! `"`, `=`, `\` or a control character is written in double quotes with `\"`, `\\`,
//! `\n`, `\r`, `\t` and `\u{..}` escapes, so no value can break or forge a line.
//!
//! JSON (`--log-format json`), one object per line, keys in the same order:
//!
//! ```text
//! {"timestamp":"2026-02-04 14:29:46,799","service":"A","endpoint":"/echo","status":"ok","latency_ms":0,"request_id":"7f3a"}
//! ```
//!
//! A [`LogRecord`] holds text values: its fields whose key ends in `_ms` are
//! numbers in JSON, every other value a string. A program that knows its values'
//! types writes lines with [`LineWriter`] instead, which writes numbers as JSON
//! numbers (`"pid":4242`) and formats straight into a reused buffer.

use std::fmt::Write as _;

use thiserror::Error;
use time::{OffsetDateTime, UtcOffset};

/// The key of the timestamp in JSON lines.
pub const TIMESTAMP_KEY: &str = "timestamp";

mod key;
mod parse;
mod timestamp;

pub use key::{FieldKey, Key};

use parse::{parse_json, parse_lab_text, parse_text};
pub use timestamp::{parse_timestamp, write_timestamp, write_timestamp_ms};

/// One log line: when, and its fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// UTC, truncated to the millisecond.
    pub timestamp: OffsetDateTime,
    /// `(key, value)` pairs, in the order they are written.
    pub fields: Vec<(String, String)>,
}

/// Why a line is not a log record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseLineError {
    #[error("the line does not start with a `YYYY-MM-DD HH:MM:SS,mmm` timestamp")]
    Timestamp,
    #[error("field {0} is not `key=value`")]
    Field(usize),
    #[error("a quoted value is not closed or has a bad escape")]
    Quote,
    #[error("not a JSON object of strings and numbers with a timestamp")]
    Json,
}

impl LogRecord {
    /// A record at `timestamp` (converted to UTC and truncated to the millisecond).
    pub fn new(timestamp: OffsetDateTime) -> Self {
        let utc = timestamp.to_offset(UtcOffset::UTC);
        let millis = utc.millisecond();
        let timestamp = utc.replace_millisecond(millis).unwrap_or(utc);
        Self { timestamp, fields: Vec::new() }
    }

    /// Appends a field (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(key, value);
        self
    }

    /// Appends a field.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.fields.push((key.into(), value.into()));
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Appends the line in `format` (without newline) to `out`.
    pub fn write(&self, format: Format, out: &mut String) {
        match format {
            Format::Text => self.write_text(out),
            Format::Json => self.write_json(out),
        }
    }

    /// The text line, without the trailing newline.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write_text(&mut out);
        out
    }

    /// Appends the text line (without newline) to `out`.
    pub fn write_text(&self, out: &mut String) {
        self.write_with(Format::Text, out);
    }

    /// Appends the JSON line (without newline) to `out`.
    pub fn write_json(&self, out: &mut String) {
        self.write_with(Format::Json, out);
    }

    fn write_with(&self, format: Format, out: &mut String) {
        let mut line = LineWriter::start(out, format, self.timestamp);
        for (key, value) in &self.fields {
            line.record_value(key, value);
        }
        line.finish();
    }

    /// Parses a line in either format (a trailing `\r` or `\n` is ignored).
    pub fn parse(line: &str) -> Result<Self, ParseLineError> {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.starts_with('{') { parse_json(line) } else { parse_text(line) }
    }

    /// [`LogRecord::parse`], and failing that the original lab's shape as
    /// Python's logging writes it: a quoted value is taken as written, up to
    /// the quote that ends the line or is followed by ` key=`, so an `error=`
    /// holding quotes of its own (`error="... url: '/echo' ..."`) or a
    /// backslash still reads. For a reader of other implementations' logs; the
    /// services' own lines always parse strictly.
    pub fn parse_lenient(line: &str) -> Result<Self, ParseLineError> {
        Self::parse(line).or_else(|strict| {
            let line = line.trim_end_matches(['\n', '\r']);
            if line.starts_with('{') { Err(strict) } else { parse_lab_text(line).map_err(|_| strict) }
        })
    }
}

/// The two shapes of a line: the lab's `key=value` text, or one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
}

/// Writes one line field by field into a caller's buffer, in either format, with
/// the same escaping as [`LogRecord`]: the one writer of the format for programs
/// that format lines on a hot path without building a record first.
///
/// ```
/// use contract::logline::{Format, LineWriter};
/// let mut out = String::new();
/// let at = time::macros::datetime!(2026-02-04 14:29:46.799 UTC);
/// let mut line = LineWriter::start(&mut out, Format::Json, at);
/// line.str("service", "A");
/// line.u64("pid", 4242);
/// line.finish();
/// assert_eq!(out, r#"{"timestamp":"2026-02-04 14:29:46,799","service":"A","pid":4242}"#);
/// ```
pub struct LineWriter<'a> {
    out: &'a mut String,
    format: Format,
}

impl<'a> LineWriter<'a> {
    /// Appends the timestamp (the start of the line) to `out`.
    pub fn start(out: &'a mut String, format: Format, timestamp: OffsetDateTime) -> Self {
        Self::start_ms(out, format, timestamp::unix_ms(timestamp))
    }

    /// [`LineWriter::start`] at `unix_ms`, milliseconds since the epoch (UTC).
    pub fn start_ms(out: &'a mut String, format: Format, unix_ms: i64) -> Self {
        if format == Format::Json {
            out.push_str("{\"");
            out.push_str(TIMESTAMP_KEY);
            out.push_str("\":\"");
            write_timestamp_ms(out, unix_ms);
            out.push('"');
        } else {
            write_timestamp_ms(out, unix_ms);
        }
        Self { out, format }
    }

    fn key<K: FieldKey>(&mut self, key: K) {
        let name = key.name();
        match (self.format, K::CHECKED) {
            (Format::Text, true) => {
                self.out.push(' ');
                self.out.push_str(name);
                self.out.push('=');
            }
            (Format::Text, false) => {
                self.out.push(' ');
                write_key(self.out, name);
                self.out.push('=');
            }
            (Format::Json, true) => {
                self.out.push_str(",\"");
                self.out.push_str(name);
                self.out.push_str("\":");
            }
            (Format::Json, false) => {
                self.out.push(',');
                write_json_string(self.out, name);
                self.out.push(':');
            }
        }
    }

    /// A text value (quoted and escaped where needed; always a string in JSON).
    pub fn str(&mut self, key: impl FieldKey, value: &str) {
        self.key(key);
        match self.format {
            Format::Text => write_text_value(self.out, value),
            Format::Json => write_json_string(self.out, value),
        }
    }

    /// A whole number (a JSON number in JSON).
    pub fn u64(&mut self, key: impl FieldKey, value: u64) {
        self.key(key);
        push_u64(self.out, value);
    }

    /// A signed whole number (a JSON number in JSON).
    pub fn i64(&mut self, key: impl FieldKey, value: i64) {
        self.key(key);
        if value < 0 {
            self.out.push('-');
        }
        push_u64(self.out, value.unsigned_abs());
    }

    /// A value as it would appear in a [`LogRecord`]: a number in JSON if the
    /// key ends in `_ms` and the text is a whole number, else a string.
    pub fn record_value(&mut self, key: &str, value: &str) {
        if self.format == Format::Json && key.ends_with("_ms") && is_json_number(value) {
            self.key(key);
            self.out.push_str(value);
        } else {
            self.str(key, value);
        }
    }

    /// Writes `fields` as they were formatted when made: the same bytes as
    /// writing them one by one, without formatting them again.
    pub fn fixed(&mut self, fields: &FixedFields) {
        if fields.format == self.format {
            self.out.push_str(&fields.text);
        } else {
            for (key, value) in &fields.fields {
                self.str(*key, value);
            }
        }
    }

    /// Ends the line (without newline).
    pub fn finish(self) {
        if self.format == Format::Json {
            self.out.push('}');
        }
    }
}

/// Fields formatted once and then written into many lines as they are: the
/// part of a request line that every request to an endpoint shares
/// (`service=A endpoint=/echo status=ok`). [`LineWriter::fixed`] writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFields {
    format: Format,
    fields: Vec<(Key, String)>,
    /// `fields` as a [`LineWriter`] in `format` writes them.
    text: String,
}

impl FixedFields {
    pub fn new(format: Format, fields: &[(Key, &str)]) -> Self {
        let mut text = String::new();
        let mut line = LineWriter { out: &mut text, format };
        for (key, value) in fields {
            line.str(*key, value);
        }
        let fields = fields.iter().map(|(key, value)| (*key, (*value).to_owned())).collect();
        Self { format, fields, text }
    }
}

fn push_u64(out: &mut String, value: u64) {
    out.push_str(itoa::Buffer::new().format(value));
}

fn write_key(out: &mut String, key: &str) {
    // Keys come from our own code; this keeps the line parseable even if one didn't.
    if key.is_empty() {
        out.push('_');
    }
    if all_bytes(key, |b| b.is_ascii_alphanumeric() || b == b'_') {
        out.push_str(key);
        return;
    }
    out.extend(key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }));
}

/// Characters that must never reach a log line raw: controls (C0, DEL, C1), the
/// Unicode line and paragraph separators, and bidirectional overrides (which can
/// make a terminal show a line other than the one written).
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `test` holds for every byte of `text`. Sixteen bytes are looked at
/// together, with no early exit inside them, so the compiler checks them at
/// once (ids are 32 to 36 bytes, and nearly every value passes).
fn all_bytes(text: &str, test: impl Fn(u8) -> bool) -> bool {
    let mut blocks = text.as_bytes().chunks_exact(16);
    let blocks_pass = blocks.by_ref().all(|block| block.iter().fold(true, |all, &b| all & test(b)));
    blocks_pass && blocks.remainder().iter().all(|&b| test(b))
}

/// The bytes a text value can hold bare: printable ASCII but `"`, `=` and `\\`.
fn is_plain_ascii(b: u8) -> bool {
    matches!(b, b'!'..=b'~') & (b != b'"') & (b != b'=') & (b != b'\\')
}

fn needs_quotes(value: &str) -> bool {
    if all_bytes(value, is_plain_ascii) {
        return value.is_empty();
    }
    value.is_empty() || value.chars().any(|c| matches!(c, ' ' | '"' | '=' | '\\') || must_escape(c))
}

fn write_text_value(out: &mut String, value: &str) {
    if !needs_quotes(value) {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json_string(out: &mut String, value: &str) {
    out.push('"');
    if all_bytes(value, |b| matches!(b, b' '..=b'~') & (b != b'"') & (b != b'\\')) {
        out.push_str(value);
        out.push('"');
        return;
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_json_number(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> LogRecord {
        LogRecord::new(datetime!(2026-02-04 14:29:46.799 UTC))
            .with("service", "A")
            .with("endpoint", "/echo")
            .with("status", "ok")
            .with("latency_ms", "0")
            .with("request_id", "7f3a")
    }

    #[test]
    fn a_checked_key_writes_what_the_same_name_as_text_writes() {
        const LATENCY: Key = Key::new("latency_ms");
        let at = datetime!(2026-02-04 14:29:46.799 UTC);
        for format in [Format::Text, Format::Json] {
            let (mut checked, mut text) = (String::new(), String::new());
            let mut line = LineWriter::start(&mut checked, format, at);
            line.str(Key::new("request_id"), "7f 3a");
            line.u64(LATENCY, 1003);
            line.finish();
            let mut line = LineWriter::start(&mut text, format, at);
            line.str("request_id", "7f 3a");
            line.u64("latency_ms", 1003);
            line.finish();
            assert_eq!(checked, text, "{format:?}");
        }
        // A name that is not a key is mended as it is written.
        let mut out = String::new();
        let mut line = LineWriter::start(&mut out, Format::Text, at);
        line.str("bad key=", "x");
        assert!(out.ends_with(" bad_key_=x"), "{out}");
    }

    #[test]
    fn fixed_fields_write_what_the_fields_one_by_one_write_in_either_format() {
        const SERVICE: Key = Key::new("service");
        const ENDPOINT: Key = Key::new("endpoint");
        let at = datetime!(2026-02-04 14:29:46.799 UTC);
        let fields = [(SERVICE, "A"), (ENDPOINT, "/a path \"quoted\"\n")];
        for made_in in [Format::Text, Format::Json] {
            let fixed = FixedFields::new(made_in, &fields);
            for format in [Format::Text, Format::Json] {
                let (mut at_once, mut one_by_one) = (String::new(), String::new());
                let mut line = LineWriter::start(&mut at_once, format, at);
                line.fixed(&fixed);
                line.u64("latency_ms", 3);
                line.finish();
                let mut line = LineWriter::start(&mut one_by_one, format, at);
                for (key, value) in fields {
                    line.str(key, value);
                }
                line.u64("latency_ms", 3);
                line.finish();
                assert_eq!(at_once, one_by_one, "made in {made_in:?}, written in {format:?}");
                assert_eq!(LogRecord::parse(&at_once).unwrap().get("endpoint"), Some(fields[1].1));
            }
        }
    }

    #[test]
    fn writes_the_lab_shape() {
        assert_eq!(
            sample().to_text(),
            "2026-02-04 14:29:46,799 service=A endpoint=/echo status=ok latency_ms=0 request_id=7f3a"
        );
        let error = LogRecord::new(datetime!(2026-02-04 14:30:33.278 UTC))
            .with("service", "B")
            .with("endpoint", "/call-echo")
            .with("status", "error")
            .with("error_kind", "connect")
            .with("error", "connection refused")
            .with("latency_ms", "2");
        assert_eq!(
            error.to_text(),
            "2026-02-04 14:30:33,278 service=B endpoint=/call-echo status=error error_kind=connect error=\"connection refused\" latency_ms=2"
        );
    }

    #[test]
    fn timestamps_are_utc_and_truncated_to_milliseconds() {
        let local = datetime!(2026-02-04 16:29:46.799_999 +02:00);
        assert_eq!(LogRecord::new(local).to_text(), "2026-02-04 14:29:46,799");
        // The per-second cache gives the same text as formatting afresh.
        for at in [
            datetime!(2026-02-04 14:29:46.005 UTC),
            datetime!(2026-02-04 14:29:46.050 UTC),
            datetime!(2026-02-04 14:29:47.000 UTC),
            datetime!(0999-12-31 23:59:59.999 UTC),
        ] {
            let mut cached = String::new();
            write_timestamp(&mut cached, at);
            let expected = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
                at.millisecond()
            );
            assert_eq!(cached, expected);
            assert_eq!(parse_timestamp(&cached), Some(at));
        }
    }

    #[test]
    fn writes_json_with_numbers_for_milliseconds() {
        let mut out = String::new();
        sample().write_json(&mut out);
        assert_eq!(
            out,
            r#"{"timestamp":"2026-02-04 14:29:46,799","service":"A","endpoint":"/echo","status":"ok","latency_ms":0,"request_id":"7f3a"}"#
        );
    }

    #[test]
    fn hostile_values_stay_on_one_line_and_round_trip() {
        let hostile = [
            "line\nbreak",
            "2026-02-04 14:29:46,799 service=A endpoint=/forged status=ok",
            "status=ok",
            "quote\" and \\ backslash",
            "esc \u{1b}[31mred\u{1b}[0m",
            "nul\0 del\u{7f} c1\u{85} ls\u{2028} rlo\u{202e}",
            "",
            " ",
            "tab\tcr\r",
            "ünïcödé ✓",
        ];
        for value in hostile {
            let record = sample().with("error", value).with("tail", "x");
            let text = record.to_text();
            assert!(!text.contains(['\n', '\r', '\u{1b}', '\u{2028}', '\u{202e}']), "{text:?}");
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert_eq!(LogRecord::parse(&text), Ok(record.clone()), "{text}");
            let mut json = String::new();
            record.write_json(&mut json);
            assert!(!json.chars().any(char::is_control), "{json:?}");
            assert_eq!(LogRecord::parse(&json), Ok(record), "{json}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_record() {
        assert_eq!(LogRecord::parse("hello"), Err(ParseLineError::Timestamp));
        assert_eq!(LogRecord::parse("2026-02-04 14:29:46,79 service=A"), Err(ParseLineError::Timestamp));
        assert_eq!(LogRecord::parse("2026-13-04 14:29:46,799 service=A"), Err(ParseLineError::Timestamp));
        assert_eq!(LogRecord::parse("2026-02-04 14:29:46,799 service"), Err(ParseLineError::Field(0)));
        assert_eq!(LogRecord::parse("2026-02-04 14:29:46,799 error=\"open"), Err(ParseLineError::Quote));
        assert_eq!(LogRecord::parse("2026-02-04 14:29:46,799 error=\"\\q\""), Err(ParseLineError::Quote));
        assert_eq!(LogRecord::parse(r#"{"service":"A"}"#), Err(ParseLineError::Json));
        assert_eq!(LogRecord::parse("{not json"), Err(ParseLineError::Json));
    }

    #[test]
    fn line_writer_writes_typed_numbers_and_matches_the_record() {
        let at = datetime!(2026-02-04 14:29:46.799 UTC);
        for format in [Format::Text, Format::Json] {
            let mut typed = String::new();
            let mut line = LineWriter::start(&mut typed, format, at);
            line.str("service", "A");
            line.str("event", "listening");
            line.u64("pid", 4242);
            line.i64("delta", -7);
            line.u64("zero", 0);
            line.str("error", "two words\n");
            line.finish();
            let record = LogRecord::parse(&typed).unwrap();
            assert_eq!(record.get("pid"), Some("4242"));
            assert_eq!(record.get("delta"), Some("-7"));
            assert_eq!(record.get("zero"), Some("0"));
            assert_eq!(record.get("error"), Some("two words\n"));
            if format == Format::Json {
                let value: serde_json::Value = serde_json::from_str(&typed).unwrap();
                assert!(value["pid"].is_u64(), "{typed}");
                assert!(value["delta"].is_i64(), "{typed}");
                assert!(value["service"].is_string(), "{typed}");
            } else {
                assert_eq!(record.to_text(), typed);
            }
        }
        assert_eq!(sample().to_text(), {
            let mut out = String::new();
            sample().write(Format::Text, &mut out);
            out
        });
    }

    #[test]
    fn parses_a_line_with_its_newline() {
        let text = format!("{}\r\n", sample().to_text());
        assert_eq!(LogRecord::parse(&text), Ok(sample()));
    }

    #[test]
    fn the_original_labs_lines_read_leniently_quotes_and_backslashes_as_written() {
        // As the Flask pair writes them (str(e) of requests' errors, unescaped).
        let line = r#"2026-02-04 14:29:46,799 service=B endpoint=/call-echo status=error error="HTTPConnectionPool(host='127.0.0.1', port=8080): Read timed out. (read timeout=1.0) "quoted" C:\x" latency_ms=1003"#;
        assert!(LogRecord::parse(line).is_err(), "not this project's escaping");
        let record = LogRecord::parse_lenient(line).unwrap();
        assert_eq!(record.get("endpoint"), Some("/call-echo"));
        assert_eq!(
            record.get("error"),
            Some(
                r#"HTTPConnectionPool(host='127.0.0.1', port=8080): Read timed out. (read timeout=1.0) "quoted" C:\x"#
            )
        );
        assert_eq!(record.get("latency_ms"), Some("1003"));
        // A quote at the end of the line ends the value too.
        let last = r#"2026-02-04 14:29:46,799 service=B status=error error="a "b" c""#;
        assert_eq!(LogRecord::parse_lenient(last).unwrap().get("error"), Some(r#"a "b" c"#));
        // This project's lines read the same either way; what is no record stays none.
        let ours = sample().to_text();
        assert_eq!(LogRecord::parse_lenient(&ours), LogRecord::parse(&ours));
        for bad in
            ["", "not a line", "2026-02-04 14:29:46,799 service=B error=\"never closed", "2026-02-04 14:29:46,799 =x"]
        {
            assert!(LogRecord::parse_lenient(bad).is_err(), "{bad:?}");
        }
    }
}
