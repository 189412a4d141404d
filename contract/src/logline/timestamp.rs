//! The timestamp of a log line: `YYYY-MM-DD HH:MM:SS,mmm` in UTC, as the lab's
//! Python logging writes it (with a comma before the milliseconds).

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Length of `YYYY-MM-DD HH:MM:SS,mmm`.
pub(super) const TIMESTAMP_LEN: usize = 23;

/// Writes `YYYY-MM-DD HH:MM:SS,mmm` (UTC).
pub fn write_timestamp(out: &mut String, at: OffsetDateTime) {
    write_timestamp_ms(out, unix_ms(at));
}

/// `at` in whole milliseconds since the epoch (truncated, as the line writes it).
pub(super) fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// Writes `YYYY-MM-DD HH:MM:SS,mmm` (UTC) of `unix_ms`, milliseconds since the epoch.
///
/// The date and time of day are formatted once per second per thread and
/// reused: a busy service writes thousands of lines within the same second,
/// and for each of them only the milliseconds are new.
pub fn write_timestamp_ms(out: &mut String, unix_ms: i64) {
    let second = unix_ms.div_euclid(1000);
    SECOND.with(|cell| {
        let (cached, text) = &mut *cell.borrow_mut();
        if *cached != Some(second) {
            let at = OffsetDateTime::from_unix_timestamp(second).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            text.clear();
            push_padded(text, u32::try_from(at.year()).unwrap_or(0), 4);
            text.push('-');
            push_padded(text, u32::from(u8::from(at.month())), 2);
            text.push('-');
            push_padded(text, u32::from(at.day()), 2);
            text.push(' ');
            push_padded(text, u32::from(at.hour()), 2);
            text.push(':');
            push_padded(text, u32::from(at.minute()), 2);
            text.push(':');
            push_padded(text, u32::from(at.second()), 2);
            text.push(',');
            *cached = Some(second);
        }
        out.push_str(text);
    });
    // Below 1000: three digits.
    push_padded(out, u32::try_from(unix_ms.rem_euclid(1000)).unwrap_or(0), 3);
}

thread_local! {
    /// The last second formatted on this thread: `YYYY-MM-DD HH:MM:SS,`.
    static SECOND: std::cell::RefCell<(Option<i64>, String)> = const { std::cell::RefCell::new((None, String::new())) };
}

/// Writes `value` with at least `width` digits, zero-padded.
fn push_padded(out: &mut String, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        // `rest % 10` is below 10.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = at.min(digits.len() - width.min(digits.len()));
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// Parses `YYYY-MM-DD HH:MM:SS,mmm` as UTC.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    // The exact length first: the format description also accepts what is not ours.
    if text.len() != TIMESTAMP_LEN {
        return None;
    }
    PrimitiveDateTime::parse(text, TIMESTAMP_FORMAT).ok().map(PrimitiveDateTime::assume_utc)
}

/// `YYYY-MM-DD HH:MM:SS,mmm`, as the lab's Python logging writes it.
const TIMESTAMP_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second],[subsecond digits:3]");

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn milliseconds_since_the_epoch_are_written_padded_on_either_side_of_a_second() {
        for (unix_ms, expected) in [
            (7, "1970-01-01 00:00:00,007"),
            (999, "1970-01-01 00:00:00,999"),
            (1_000, "1970-01-01 00:00:01,000"),
            (-1, "1969-12-31 23:59:59,999"),
        ] {
            let mut text = String::new();
            write_timestamp_ms(&mut text, unix_ms);
            assert_eq!(text, expected, "{unix_ms}");
        }
    }

    #[test]
    fn timestamps_round_trip_and_only_the_exact_shape_parses() {
        let at = datetime!(2026-02-04 14:29:46.799 UTC);
        let mut text = String::new();
        write_timestamp(&mut text, at);
        assert_eq!(text, "2026-02-04 14:29:46,799");
        assert_eq!(parse_timestamp(&text), Some(at));
        for bad in [
            "2026-02-04 14:29:46.799",
            "2026-13-04 14:29:46,799",
            "2026-02-04T14:29:46,799",
            "2026-02-04 14:29:46,79",
            "2026-02-04 14:29:46,7990",
            "2026-2-04 14:29:46,799 ",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
