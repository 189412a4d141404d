//! Reading a line back: this project's text and JSON shapes strictly, and the
//! original lab's text shape leniently.

use super::timestamp::{TIMESTAMP_LEN, parse_timestamp};
use super::{LogRecord, ParseLineError, TIMESTAMP_KEY};

pub(super) fn parse_text(line: &str) -> Result<LogRecord, ParseLineError> {
    parse_fields(line, parse_quoted)
}

/// The lab's text shape with raw quoted values (see [`LogRecord::parse_lenient`]).
pub(super) fn parse_lab_text(line: &str) -> Result<LogRecord, ParseLineError> {
    parse_fields(line, |quoted| {
        let end = quoted
            .match_indices('"')
            .map(|(at, _)| at)
            .find(|&at| ends_a_value(&quoted[at + 1..]))
            .ok_or(ParseLineError::Quote)?;
        Ok((quoted[..end].to_owned(), &quoted[end + 1..]))
    })
}

/// The timestamp, then ` key=value` fields; a value in quotes is read by
/// `quoted` (after its opening quote: the value and what follows it).
fn parse_fields(
    line: &str,
    quoted: impl Fn(&str) -> Result<(String, &str), ParseLineError>,
) -> Result<LogRecord, ParseLineError> {
    let stamp = line.get(..TIMESTAMP_LEN).ok_or(ParseLineError::Timestamp)?;
    let timestamp = parse_timestamp(stamp).ok_or(ParseLineError::Timestamp)?;
    let mut record = LogRecord { timestamp, fields: Vec::new() };
    let mut rest = &line[TIMESTAMP_LEN..];
    while !rest.is_empty() {
        rest = rest.strip_prefix(' ').ok_or(ParseLineError::Field(record.fields.len()))?;
        let (key, after_key) = rest.split_once('=').ok_or(ParseLineError::Field(record.fields.len()))?;
        if !is_key(key) {
            return Err(ParseLineError::Field(record.fields.len()));
        }
        let (value, after_value) = match after_key.strip_prefix('"') {
            Some(inside) => quoted(inside)?,
            None => {
                let end = after_key.find(' ').unwrap_or(after_key.len());
                (after_key[..end].to_owned(), &after_key[end..])
            }
        };
        record.fields.push((key.to_owned(), value));
        rest = after_value;
    }
    Ok(record)
}

fn is_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `rest` (what follows a quote) is the end of the line or ` key=...`.
fn ends_a_value(rest: &str) -> bool {
    rest.is_empty() || rest.strip_prefix(' ').and_then(|next| next.split_once('=')).is_some_and(|(key, _)| is_key(key))
}

/// Reads a quoted value after its opening quote; returns it and what follows the closing quote.
fn parse_quoted(input: &str) -> Result<(String, &str), ParseLineError> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &input[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some('u') => {
                    if chars.next().map(|(_, c)| c) != Some('{') {
                        return Err(ParseLineError::Quote);
                    }
                    let mut hex = String::new();
                    loop {
                        match chars.next().map(|(_, c)| c) {
                            Some('}') => break,
                            Some(h) if h.is_ascii_hexdigit() && hex.len() < 6 => hex.push(h),
                            _ => return Err(ParseLineError::Quote),
                        }
                    }
                    let code = u32::from_str_radix(&hex, 16).map_err(|_| ParseLineError::Quote)?;
                    value.push(char::from_u32(code).ok_or(ParseLineError::Quote)?);
                }
                _ => return Err(ParseLineError::Quote),
            },
            c => value.push(c),
        }
    }
    Err(ParseLineError::Quote)
}

pub(super) fn parse_json(line: &str) -> Result<LogRecord, ParseLineError> {
    // serde_json's `preserve_order` feature keeps the keys in the order written.
    let value: serde_json::Value = serde_json::from_str(line).map_err(|_| ParseLineError::Json)?;
    let serde_json::Value::Object(object) = value else {
        return Err(ParseLineError::Json);
    };
    let stamp = object.get(TIMESTAMP_KEY).and_then(|v| v.as_str()).ok_or(ParseLineError::Json)?;
    let timestamp = parse_timestamp(stamp).ok_or(ParseLineError::Json)?;
    let mut record = LogRecord { timestamp, fields: Vec::with_capacity(object.len()) };
    for (key, value) in object {
        let text = match value {
            _ if key == TIMESTAMP_KEY => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(ParseLineError::Json),
        };
        record.fields.push((key, text));
    }
    Ok(record)
}
