//! Text helpers shared by the panels and the report: making untrusted text safe
//! to show, clipping it to a width, and how times, latencies and messages read.

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The longest line kept whole; longer ones are clipped (a line is one request,
/// so only a foreign or broken file has such lines).
pub const MAX_LINE_BYTES: usize = 8 * 1024;

const TIME_OF_DAY: &[BorrowedFormatItem<'_>] = format_description!("[hour]:[minute]:[second],[subsecond digits:3]");
const FILE_STAMP: &[BorrowedFormatItem<'_>] = format_description!("[year][month][day]-[hour][minute][second]");
const DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

/// Replaces what must not reach a screen or a report as it is with a
/// visible `�`, and clips very long lines: the one sanitiser of both.
/// Control characters (ESC, CR, ...) could move the cursor or recolour the
/// terminal; the others are invisible and change what text around them
/// means or how it is laid out (see [`is_hidden`]).
pub fn sanitize(raw: &str) -> String {
    let mut out: String = raw.chars().map(|c| if c.is_control() || is_hidden(c) { '\u{fffd}' } else { c }).collect();
    if out.len() > MAX_LINE_BYTES {
        let mut end = MAX_LINE_BYTES;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// Characters that are invisible yet change the text around them: bidi
/// controls (U+202E makes `txt.exe` of `exe.txt`; U+2066–U+2069 isolates),
/// zero-width ones (U+200B–U+200D, U+2060: two ids that look the same),
/// line and paragraph separators (U+2028, U+2029: a terminal draws a line
/// break there, and the layout breaks), the soft hyphen, the byte-order mark
/// and the other format characters (tags, interlinear annotation).
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00ad}' // soft hyphen
        | '\u{034f}' // combining grapheme joiner
        | '\u{061c}' // Arabic letter mark
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' // Hangul fillers, drawn blank
        | '\u{17b4}' | '\u{17b5}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' // zero-width space, joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}' // line, paragraph separator
        | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}' // word joiner, invisible operators, bidi isolates
        | '\u{feff}' // byte-order mark, zero-width no-break space
        | '\u{fff9}'..='\u{fffb}' // interlinear annotation
        | '\u{e0000}'..='\u{e007f}' // tags
    )
}

/// `text` cut to `width` terminal cells (a CJK character takes two), with `…`
/// when cut.
pub fn clip(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut clipped = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cells = c.width().unwrap_or(0);
        if used + cells + 1 > width {
            break;
        }
        used += cells;
        clipped.push(c);
    }
    clipped.push('…');
    clipped
}

/// `text` clipped to `width` cells and padded with spaces to exactly `width`
/// (`format!("{:<w$}")` counts characters, which misaligns wide ones).
pub fn pad(text: &str, width: usize) -> String {
    let mut out = clip(text, width);
    let cells = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(cells)));
    out
}

/// `text` in lines of at most `width` cells, broken between words (a word
/// wider than a line is clipped): for text that must be read whole.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let word = clip(word, width);
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `HH:MM:SS,mmm` of a time, in UTC (the log lines' clock).
pub fn time_of_day(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(TIME_OF_DAY).unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS,mmm` in UTC, as the log lines write it.
pub fn timestamp(at: OffsetDateTime) -> String {
    let mut out = String::new();
    contract::logline::write_timestamp(&mut out, at);
    out
}

/// `YYYYMMDD-HHMMSS` in UTC, for file names.
pub fn file_stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(FILE_STAMP).unwrap_or_default()
}

/// `YYYY-MM-DD` in UTC: the period in a daily log file's name.
pub fn date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(DATE).unwrap_or_default()
}

/// The message as the lists show it: `hello`, `hello (delay 2000 ms)`.
pub fn display_message(msg: &str, delay_ms: Option<u64>) -> String {
    match delay_ms {
        Some(ms) => format!("{msg} (delay {ms} ms)"),
        None => msg.to_owned(),
    }
}

/// `0.8 ms`, `12 ms`, `1003 ms`.
pub fn format_ms(ms: f64) -> String {
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}

/// A duration in milliseconds, as a float.
/// Milliseconds since the Unix epoch (`since` of `GET /logs`, clock offsets).
pub fn unix_ms(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// An I/O error as a person reads it: `permission denied`, `out of file
/// descriptors (too many open files)`, not `Permission denied (os error 13)`.
pub fn describe_io(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    if crate::platform::limits::out_of_descriptors(error) {
        return "out of file descriptors (too many open files)".to_owned();
    }
    match error.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::StorageFull => "the disk is full".to_owned(),
        ErrorKind::QuotaExceeded => "over the disk quota".to_owned(),
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn control_characters_never_reach_the_screen_and_long_lines_are_clipped() {
        assert_eq!(sanitize("a\u{1b}[2Jb\r\n"), "a\u{fffd}[2Jb\u{fffd}\u{fffd}");
        let long = "é".repeat(MAX_LINE_BYTES);
        let clipped = sanitize(&long);
        assert!(clipped.len() <= MAX_LINE_BYTES + '…'.len_utf8());
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn invisible_characters_that_change_the_text_around_them_are_made_visible() {
        for hidden in [
            '\u{202e}',
            '\u{202a}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{2060}',
            '\u{2028}',
            '\u{2029}',
            '\u{00ad}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert_eq!(sanitize(&format!("x{hidden}y")), "x\u{fffd}y", "U+{:04X}", u32::from(hidden));
        }
        // What is only a letter stays: accents, CJK, emoji (with their joiner
        // a family is one emoji: the joiner is shown as �, never hidden).
        assert_eq!(sanitize("héllo 日本 🙂"), "héllo 日本 🙂");
    }

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("hello", 5), "hello");
        assert_eq!(clip("héllo wörld", 6), "héllo…");
        assert_eq!(clip("日本語のテキスト", 7), "日本語…", "two cells each");
        assert_eq!(pad("日本", 6), "日本  ");
        assert_eq!(pad("日本語のテキスト", 7).width(), 7);
        assert_eq!(pad("日本語のテキスト", 6), "日本… ", "a wide character does not fit in the last cell");
    }

    #[test]
    fn wrapping_breaks_between_words_and_never_mid_word() {
        assert_eq!(
            wrap_words("B's breaker opened: B answers circuit_open", 20),
            ["B's breaker opened:", "B answers", "circuit_open"]
        );
        assert_eq!(wrap_words("short", 20), ["short"]);
        assert_eq!(wrap_words("", 20), [""]);
        assert_eq!(wrap_words("abcdefghij", 5), ["abcd…"], "a word wider than the line is clipped");
    }

    #[test]
    fn times_read_like_the_log_lines() {
        let at = datetime!(2026-11-24 09:05:03.042 +01:00);
        assert_eq!(time_of_day(at), "08:05:03,042");
        assert_eq!(timestamp(at), "2026-11-24 08:05:03,042");
        assert_eq!(file_stamp(at), "20261124-080503");
    }

    #[test]
    fn latencies_keep_a_decimal_only_when_small() {
        assert_eq!(format_ms(0.84), "0.8 ms");
        assert_eq!(format_ms(1003.4), "1003 ms");
        assert_eq!(display_message("hi", Some(2000)), "hi (delay 2000 ms)");
    }
}
