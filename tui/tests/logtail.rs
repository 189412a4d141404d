//! The log follower against real files: partial lines, rotation, truncation,
//! a directory that appears late, the backlog shown at start, and what must not
//! hurt it: 64 MB appended at once, a 2 GB file it never followed, a line that
//! never ends.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use contract::Service;
use tui::io::tail::{BACKLOG_BYTES, LogTail, READ_BUDGET_BYTES, REPLACEMENT_FROM_START_BYTES, newest_log_file};
use tui::msg::LogLine;
use tui::text::MAX_LINE_BYTES;
use tui::text::sanitize;

fn append(path: &Path, text: &str) {
    OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-a.2026-11-24.log");
    let mut tail = LogTail::from_start(dir.path(), Service::A);
    append(&file, "first\nsec");
    assert_eq!(tail.poll(), ["first"]);
    assert!(tail.poll().is_empty());
    append(&file, "ond\r\nthird\n");
    assert_eq!(tail.poll(), ["second", "third"]);
}

#[test]
fn rotation_reads_the_old_file_to_its_end_then_follows_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("service-a.2026-11-24-10.log");
    let new = dir.path().join("service-a.2026-11-24-11.log");
    let mut tail = LogTail::from_start(dir.path(), Service::A);
    append(&old, "old 1\n");
    assert_eq!(tail.poll(), ["old 1"]);
    // The last line of the old file and the first of the new one land together.
    append(&old, "old 2\n");
    append(&new, "new 1\n");
    assert_eq!(tail.poll(), ["old 2", "new 1"]);
    append(&new, "new 2\n");
    assert_eq!(tail.poll(), ["new 2"]);
}

#[test]
fn truncation_starts_again_from_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-b.log");
    let mut tail = LogTail::from_start(dir.path(), Service::B);
    append(&file, "one\ntwo\n");
    assert_eq!(tail.poll(), ["one", "two"]);
    std::fs::write(&file, "fresh\n").unwrap();
    assert_eq!(tail.poll(), ["fresh"]);
}

#[test]
fn a_missing_directory_is_waited_for() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("logs");
    let mut tail = LogTail::new(&dir, Service::A);
    assert!(tail.poll().is_empty());
    std::fs::create_dir(&dir).unwrap();
    assert!(tail.poll().is_empty());
    append(&dir.join("service-a.2026-11-24.log"), "hello\n");
    assert_eq!(tail.poll(), ["hello"]);
}

#[test]
fn the_other_services_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("service-b.2026-11-24.log"), "b\n");
    append(&dir.path().join("report-20261124-120000.md"), "r\n");
    let mut tail = LogTail::from_start(dir.path(), Service::A);
    assert!(tail.poll().is_empty());
    assert_eq!(newest_log_file(dir.path(), Service::B).unwrap().file_name().unwrap(), "service-b.2026-11-24.log");
}

#[test]
fn at_start_only_the_last_lines_of_a_big_file_are_shown_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-a.2026-11-24.log");
    let line = format!("{}\n", "x".repeat(99));
    append(&file, &line.repeat(usize::try_from(BACKLOG_BYTES).unwrap() / 100 * 3));
    let mut tail = LogTail::new(dir.path(), Service::A);
    let lines = tail.poll();
    assert!(!lines.is_empty() && lines.len() <= usize::try_from(BACKLOG_BYTES).unwrap() / 100);
    assert!(lines.iter().all(|l| l.len() == 99), "no partial first line");
}

#[test]
fn lines_are_parsed_and_made_safe_to_show() {
    let line = LogLine::parse(
        Service::B,
        "2026-11-24 12:00:00,000 service=B endpoint=/call-echo status=error error_kind=timeout latency_ms=1001 request_id=abc",
    );
    assert_eq!(
        (line.ok, line.request_id.as_deref(), line.endpoint.as_deref()),
        (Some(false), Some("abc"), Some("/call-echo"))
    );
    assert!(line.at.is_some());
    let foreign = LogLine::parse(Service::A, "panic: \u{1b}[31mred\u{7}");
    assert_eq!((foreign.at, foreign.ok), (None, None));
    assert!(!foreign.text.chars().any(char::is_control), "{:?}", foreign.text);
    assert!(sanitize(&"y".repeat(20_000)).len() < 9_000);
    // The original Flask B's error line, its quotes unescaped: still a record.
    let flask = LogLine::parse(
        Service::B,
        r#"2026-11-24 12:00:00,000 service=B endpoint=/call-echo status=error error="HTTPConnectionPool(host='127.0.0.1', port=8080): Max retries exceeded with url: /echo?msg=hi (Caused by NewConnectionError("Failed to establish a new connection: [Errno 111] Connection refused"))" latency_ms=3"#,
    );
    assert_eq!((flask.ok, flask.latency_ms, flask.endpoint.as_deref()), (Some(false), Some(3), Some("/call-echo")));
    assert!(flask.error.as_deref().is_some_and(|e| e.ends_with("Connection refused\"))")), "{:?}", flask.error);
}

/// Bytes of text in `lines` (newlines not counted).
fn bytes(lines: &[String]) -> usize {
    lines.iter().map(String::len).sum()
}

/// Marks `path` as last written an hour ago (older than anything written now).
fn age(path: &Path) {
    let file = OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();
}

#[test]
fn sixty_four_megabytes_appended_at_once_all_arrive_in_order_a_bounded_part_per_poll() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-a.2026-11-24.log");
    append(&file, "before\n");
    let mut tail = LogTail::new(dir.path(), Service::A);
    assert_eq!(tail.poll(), ["before"]);

    let line = |i: usize| {
        format!("2026-11-24 12:00:00,000 service=A endpoint=/echo status=ok latency_ms=0 request_id=flood-{i:08}\n")
    };
    let count = 64 * 1024 * 1024 / line(0).len();
    let mut text = String::with_capacity(64 * 1024 * 1024 + 4096);
    for i in 0..count {
        text.push_str(&line(i));
    }
    text.push_str("after\n");
    append(&file, &text);

    let mut next = 0;
    let mut polls = 0;
    loop {
        let lines = tail.poll();
        polls += 1;
        assert!(bytes(&lines) <= READ_BUDGET_BYTES, "one poll holds a bounded part");
        for got in &lines {
            if next == count {
                assert_eq!(got, "after");
                next += 1;
            } else {
                assert_eq!(*got, line(next).trim_end(), "line {next} in order");
                next += 1;
            }
        }
        if next == count + 1 {
            break;
        }
        assert!(tail.is_behind() || !lines.is_empty(), "stalled at line {next} of {count}");
        assert!(polls < 1_000, "did not get through 64 MB");
    }
    assert!(!tail.is_behind() || tail.poll().is_empty());
    assert!(polls >= 64 * 1024 * 1024 / READ_BUDGET_BYTES, "64 MB came in bounded parts ({polls} polls)");
}

#[test]
fn a_two_gigabyte_file_it_never_followed_is_shown_from_its_backlog_only() {
    let dir = tempfile::tempdir().unwrap();
    // The next-newest file: 2 GB with no newline (sparse: no disk used).
    let older = dir.path().join("service-a.2026-11-23.log");
    File::create(&older).unwrap().set_len(2 * 1024 * 1024 * 1024).unwrap();
    age(&older);
    let followed = dir.path().join("service-a.2026-11-24.log");
    append(&followed, "followed 1\n");
    let mut tail = LogTail::new(dir.path(), Service::A);
    assert_eq!(tail.poll(), ["followed 1"]);

    // Retention deletes the followed file: the 2 GB one is the newest left.
    append(&followed, "followed 2\n");
    std::fs::remove_file(&followed).unwrap();
    let lines = tail.poll();
    // The rest of the deleted file, then nothing: the backlog of the 2 GB file
    // is inside its one endless line.
    assert_eq!(lines, ["followed 2"]);
    assert!(!tail.is_behind(), "reading gigabytes");

    // It is at the end of the 2 GB file: a new line shows at the next poll.
    append(&older, "\nnew in the old file\n");
    assert_eq!(tail.poll(), ["new in the old file"]);
}

#[test]
fn a_rotated_file_is_read_from_its_start_unless_it_is_already_big() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("service-b.2026-11-24-10.log");
    append(&first, "first\n");
    let mut tail = LogTail::new(dir.path(), Service::B);
    assert_eq!(tail.poll(), ["first"]);
    // A newer file that is already bigger than a fresh rotation can be.
    let line = format!("{}\n", "z".repeat(99));
    let big = line.repeat(usize::try_from(REPLACEMENT_FROM_START_BYTES).unwrap() / 100 * 2);
    append(&dir.path().join("service-b.2026-11-24-11.log"), &big);
    let lines = tail.poll();
    assert!(!lines.is_empty() && bytes(&lines) <= usize::try_from(BACKLOG_BYTES).unwrap());
    assert!(lines.iter().all(|l| l.len() == 99), "whole lines only");
    assert!(!tail.is_behind());
}

#[test]
fn a_line_that_never_ends_is_shown_clipped_once_and_does_not_grow() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-a.2026-11-24.log");
    let mut tail = LogTail::from_start(dir.path(), Service::A);
    append(&file, "before\n");
    assert_eq!(tail.poll(), ["before"]);
    let mut delivered = Vec::new();
    for _ in 0..50 {
        append(&file, &"y".repeat(100_000));
        delivered.extend(tail.poll());
    }
    assert_eq!(delivered.len(), 1, "one clipped line for 5 MB without newline");
    assert!(delivered[0].len() <= MAX_LINE_BYTES && delivered[0].starts_with("yyy"));
    append(&file, "yyy\nafter\n");
    assert_eq!(tail.poll(), ["after"], "the rest of the long line is skipped");
}

#[test]
fn a_file_deleted_and_created_again_under_its_name_is_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-b.log");
    let mut tail = LogTail::new(dir.path(), Service::B);
    append(&file, "one\n");
    assert_eq!(tail.poll(), ["one"]);
    append(&file, "two\n");
    std::fs::remove_file(&file).unwrap();
    // Longer than before: no truncation to notice, only a new file under the name.
    append(&file, "fresh 1\nfresh 2\nfresh 3\n");
    let mut lines = tail.poll();
    lines.extend(tail.poll());
    assert_eq!(lines, ["two", "fresh 1", "fresh 2", "fresh 3"]);
}

/// A FIFO, a device and a directory under log files' names (newer than the
/// real file): never opened (a FIFO would block the open), said once, and
/// the real file is still followed.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_under_a_log_file_s_name_is_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("service-a.2026-11-24.log");
    append(&real, "real 1\n");
    age(&real);
    let fifo = dir.path().join("service-a.2026-11-25.log");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut tail = LogTail::from_start(dir.path(), Service::A);
    // Without the check this poll blocks for ever in open(2).
    assert_eq!(tail.poll(), ["real 1"]);
    let problem = tail.problem().expect("the FIFO is said").to_owned();
    assert!(problem.contains("service-a.2026-11-25.log is a FIFO, not a log file: skipped"), "{problem}");
    append(&real, "real 2\n");
    assert_eq!(tail.poll(), ["real 2"]);
    std::fs::remove_file(&fifo).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &fifo).unwrap();
    assert!(tail.poll().is_empty(), "nothing read from /dev/zero");
    assert!(tail.problem().is_some_and(|p| p.contains("is a device")), "{:?}", tail.problem());
    std::fs::remove_file(&fifo).unwrap();
    assert!(tail.poll().is_empty());
    assert_eq!(tail.problem(), None, "gone: nothing to say any more");
}

/// The followed file's name replaced by a link to `/dev/zero` while it is
/// read: what the old file held is read, then it is let go; nothing comes
/// from the device, and the real file's return is followed from its start.
#[cfg(unix)]
#[test]
fn a_followed_file_replaced_by_a_link_to_dev_zero_is_let_go_and_its_return_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-b.2026-11-24.log");
    append(&file, "before\n");
    let mut tail = LogTail::from_start(dir.path(), Service::B);
    assert_eq!(tail.poll(), ["before"]);
    let kept = dir.path().join("kept");
    std::fs::rename(&file, &kept).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    append(&kept, "last of the old one\n");
    assert_eq!(tail.poll(), ["last of the old one"], "what the old file holds is read");
    for _ in 0..3 {
        let lines = tail.poll();
        assert!(lines.iter().all(|line| !line.contains('\0')), "no NULs: {lines:?}");
        assert!(!tail.is_behind(), "never reading without end");
    }
    std::fs::remove_file(&file).unwrap();
    append(&file, "back\n");
    assert_eq!(tail.poll(), ["back"]);
}

/// The file followed before, moved away while a link stood in its place and
/// moved back: read on from where it was left, not shown (and counted) twice.
#[cfg(unix)]
#[test]
fn the_followed_file_moved_back_under_its_name_is_read_on_not_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-b.2026-11-24.log");
    append(&file, "one\ntwo\n");
    let mut tail = LogTail::from_start(dir.path(), Service::B);
    assert_eq!(tail.poll(), ["one", "two"]);
    let kept = dir.path().join("service-b.2026-11-24.log.bak");
    std::fs::rename(&file, &kept).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    assert!(tail.poll().is_empty());
    assert!(tail.poll().is_empty());
    std::fs::remove_file(&file).unwrap();
    append(&kept, "three\n");
    std::fs::rename(&kept, &file).unwrap();
    assert_eq!(tail.poll(), ["three"], "only what came after");
}

/// A log directory that cannot be read says why instead of "no lines yet".
#[test]
fn a_log_directory_that_cannot_be_read_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("logs");
    append(&not_a_dir, "a file, not a directory\n");
    let mut tail = LogTail::from_start(&not_a_dir, Service::A);
    assert!(tail.poll().is_empty());
    let problem = tail.problem().expect("said").to_owned();
    assert!(problem.starts_with(&format!("cannot read the log directory {}:", not_a_dir.display())), "{problem}");
    // A directory that does not exist yet is waited for, silently.
    let mut waiting = LogTail::from_start(dir.path().join("later"), Service::A);
    assert!(waiting.poll().is_empty());
    assert_eq!(waiting.problem(), None);
}
