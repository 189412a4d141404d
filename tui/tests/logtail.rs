//! The log follower against real files: partial lines, rotation, truncation,
//! a directory that appears late, and the backlog shown at start.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use contract::Service;
use tui::io::tail::{BACKLOG_BYTES, LogTail, newest_log_file};
use tui::msg::LogLine;
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
}
