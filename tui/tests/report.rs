//! The Markdown report: what a learner hands in as proof of success and failure.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::Write as _;
use std::time::Duration;

use contract::{ErrorKind, Service};
use time::OffsetDateTime;
use time::macros::datetime;
use tui::cli::Settings;
use tui::model::Model;
use tui::msg::{Action, Answer, Effect, Event, Outcome, ProcessState};

#[test]
fn report_has_the_requests_the_summary_and_each_requests_log_lines() {
    let logs = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    let mut app = Model::new(Settings { log_dir: logs.path().to_path_buf(), ..Settings::default() }, "r3p0");
    let send = |app: &mut Model, status: u16, kind: Option<ErrorKind>, ms: u64| {
        let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::Send, t0) else { panic!() };
        let outcome = Outcome::Answered {
            status,
            latency: Duration::from_millis(ms),
            error_kind: kind,
            upstream_ms: None,
            body: String::new(),
        };
        app.on_event(Event::Answer(Answer { id: id.clone(), sent_at: t0, msg, delay_ms, burst: false, outcome }), t0);
        id
    };
    let ok = send(&mut app, 200, None, 3);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 9 }), t0);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 9 }), t0);
    let timeout = send(&mut app, 503, Some(ErrorKind::Timeout), 1003);
    std::fs::write(
        logs.path().join("service-a.2026-11-24.log"),
        format!("2026-11-24 12:00:00,002 service=A endpoint=/echo status=ok latency_ms=0 request_id={ok}\n"),
    )
    .unwrap();
    std::fs::write(
        logs.path().join("service-b.2026-11-24.log"),
        format!(
            "2026-11-24 12:00:00,003 service=B endpoint=/call-echo status=ok latency_ms=2 request_id={ok}\n\
             2026-11-24 12:00:01,004 service=B endpoint=/call-echo status=error error_kind=timeout latency_ms=1001 request_id={timeout}\n"
        ),
    )
    .unwrap();

    let path = tui::io::report::write(&app, datetime!(2026-11-24 12:05:00 UTC)).unwrap();
    assert_eq!(path, logs.path().join("report-20261124-120500.md"));
    let md = std::fs::read_to_string(path).unwrap();
    assert!(md.starts_with("# Services A and B: session report"));
    assert!(md.contains("- Service B: `http://127.0.0.1:8081` (timeout for A: 1000 ms)"));
    assert!(md.contains("| 200 | 1 |") && md.contains("| 503 | 1 |"), "{md}");
    assert!(md.contains("| timeout | 1 |") && md.contains("| connect | 0 |"));
    assert!(md.contains("p50 3.0 ms") && md.contains("max 1003.0 ms"));
    assert!(md.contains(&format!("| 12:00:00,000 | hello | 503 | 1003.0 ms | timeout | `{timeout}` |")), "{md}");
    assert!(md.contains("| **A frozen (SIGSTOP)** |"));
    // Each request's lines from both services, in time order, in a code block.
    let section = md.split(&format!("### `{ok}`")).nth(1).unwrap();
    let block: Vec<&str> =
        section.lines().skip_while(|l| *l != "```text").skip(1).take_while(|l| *l != "```").collect();
    assert_eq!(block.len(), 2);
    assert!(block[0].contains("service=A") && block[1].contains("service=B"));
    assert!(md.split(&format!("### `{timeout}`")).nth(1).unwrap().contains("error_kind=timeout"));
}

/// A model whose log directory is `logs`, with `burst_requests` per burst.
fn session(logs: &std::path::Path, burst_requests: u64) -> Model {
    let settings =
        Settings { log_dir: logs.to_path_buf(), burst_requests, burst_concurrency: 10, ..Settings::default() };
    Model::new(settings, "r3p0")
}

/// Sends the current message by hand at `at`; B answers `status` after `ms`.
fn send_by_hand(app: &mut Model, at: OffsetDateTime, status: u16, kind: Option<ErrorKind>, ms: u64) -> String {
    let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::Send, at) else { panic!("no send") };
    let latency = Duration::from_millis(ms);
    let outcome = Outcome::Answered { status, latency, error_kind: kind, upstream_ms: None, body: String::new() };
    app.on_event(Event::Answer(Answer { id: id.clone(), sent_at: at, msg, delay_ms, burst: false, outcome }), at);
    id
}

/// Runs a burst at `at`: every tenth answer a 503 timeout; `cancel_after` ends it early.
fn burst(app: &mut Model, at: OffsetDateTime, cancel_after: Option<u64>) -> Vec<String> {
    let Some(Effect::StartBurst { requests, msg, id_prefix, .. }) = app.on_action(Action::StartBurst, at) else {
        panic!("no burst")
    };
    let answered = cancel_after.unwrap_or(requests);
    let ids: Vec<String> = (0..answered).map(|n| format!("{id_prefix}-{n:06}")).collect();
    for (n, id) in ids.iter().enumerate() {
        let (status, error_kind, ms) = if n % 10 == 9 { (503, Some(ErrorKind::Timeout), 1001) } else { (200, None, 2) };
        let latency = Duration::from_millis(ms);
        let outcome = Outcome::Answered { status, latency, error_kind, upstream_ms: None, body: String::new() };
        let answer = Answer { id: id.clone(), sent_at: at, msg: msg.clone(), delay_ms: None, burst: true, outcome };
        app.on_event(Event::Answer(answer), at);
    }
    app.on_event(Event::BurstDone { cancelled: cancel_after.is_some() }, at + Duration::from_secs(2));
    ids
}

fn log_line(service: Service, at: &str, id: &str, error: Option<&str>) -> String {
    let (name, endpoint) = match service {
        Service::A => ("A", "/echo"),
        Service::B => ("B", "/call-echo"),
    };
    let status = error.map_or("status=ok".to_owned(), |kind| format!("status=error error_kind={kind}"));
    format!("2026-11-24 {at} service={name} endpoint={endpoint} {status} latency_ms=1 request_id={id}\n")
}

#[test]
fn after_a_stopped_a_and_three_bursts_every_request_sent_by_hand_is_there_with_its_lines() {
    let logs = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    let at = |s: u64| t0 + Duration::from_secs(s);
    let mut app = session(logs.path(), 1_000);
    let first = send_by_hand(&mut app, at(1), 200, None, 3);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 9 }), at(2));
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), at(3));
    let refused = send_by_hand(&mut app, at(4), 503, Some(ErrorKind::Connect), 2);
    let bursts = [burst(&mut app, at(10), None), burst(&mut app, at(20), None), burst(&mut app, at(30), Some(500))];
    let last = send_by_hand(&mut app, at(40), 200, None, 4);

    // The files as the services wrote them: the bursts' lines too.
    let (mut a, mut b) = (String::new(), String::new());
    a.push_str(&log_line(Service::A, "12:00:01,002", &first, None));
    b.push_str(&log_line(Service::B, "12:00:01,003", &first, None));
    b.push_str(&log_line(Service::B, "12:00:04,002", &refused, Some("connect")));
    for id in bursts.iter().flatten() {
        a.push_str(&log_line(Service::A, "12:00:10,001", id, None));
        b.push_str(&log_line(Service::B, "12:00:10,002", id, None));
    }
    // B's line of the last request was written before A's reached the file.
    b.push_str(&log_line(Service::B, "12:00:40,004", &last, None));
    a.push_str(&log_line(Service::A, "12:00:40,001", &last, None));
    std::fs::write(logs.path().join("service-a.2026-11-24.log"), a).unwrap();
    std::fs::write(logs.path().join("service-b.2026-11-24.log"), b).unwrap();

    let md = std::fs::read_to_string(tui::io::report::write(&app, at(60)).unwrap()).unwrap();
    assert!(!md.contains("left out"), "{md}");
    // Every request sent by hand, in the table and with its lines from both services.
    assert!(md.contains(&format!("| 12:00:04,000 | hello | 503 | 2.0 ms | connect | `{refused}` |")), "{md}");
    for id in [&first, &last] {
        let block = log_block(&md, id);
        assert_eq!(block.len(), 2, "{id}: {block:?}");
        assert!(block[0].contains("service=A") && block[1].contains("service=B"), "time order: {block:?}");
    }
    let refused_block = log_block(&md, &refused);
    assert_eq!(refused_block.len(), 1);
    assert!(refused_block[0].contains("service=B") && refused_block[0].contains("error_kind=connect"));
    // Each burst summarised: counts, statuses, errors by kind, first and last id.
    for (ids, answered) in bursts.iter().zip([1_000, 1_000, 500]) {
        let row = md
            .lines()
            .find(|l| l.contains(&format!("`{}`", ids[0])) && l.contains(&format!("`{}`", ids[ids.len() - 1])))
            .unwrap_or_else(|| panic!("no summary of the burst {}: {md}", ids[0]));
        let fails = answered / 10;
        assert!(row.contains(&format!("| 1000 | {answered} |")), "{row}");
        assert!(row.contains(&format!("200: {}, 503: {fails}", answered - fails)), "{row}");
        assert!(row.contains(&format!("timeout: {fails}")), "{row}");
        assert!(row.contains("2.0 ms / ") && row.contains("/ 1001 ms"), "{row}");
        assert_eq!(row.contains("(cancelled)"), answered == 500, "{row}");
    }
    // The timeline: marks and requests sent by hand, in time order.
    let timeline = md.split("## Timeline").nth(1).unwrap().split("\n## ").next().unwrap();
    let order = [
        format!("sent hello: 200, 3.0 ms | `{first}`"),
        "**A stopped**".to_owned(),
        format!("sent hello: 503, connect, 2.0 ms | `{refused}`"),
        "**burst: 1000 requests, 10 at a time**".to_owned(),
        "**burst cancelled: ".to_owned(),
        format!("`{last}`"),
    ];
    let places: Vec<Option<usize>> = order.iter().map(|what| timeline.find(what.as_str())).collect();
    assert!(places.iter().all(Option::is_some), "{places:?} {timeline}");
    assert!(places.is_sorted(), "{places:?} {timeline}");
}

/// The lines of the code block under request `id`'s heading.
fn log_block<'a>(md: &'a str, id: &str) -> Vec<&'a str> {
    let section = md.split(&format!("### `{id}`")).nth(1).unwrap_or_else(|| panic!("no section for {id}"));
    let section = section.split("\n### ").next().unwrap();
    section.lines().skip_while(|l| *l != "```text").skip(1).take_while(|l| *l != "```").collect()
}

#[test]
fn a_two_gigabyte_log_file_without_newline_is_read_a_bounded_line_at_a_time() {
    let logs = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    let mut app = session(logs.path(), 10);
    let id = send_by_hand(&mut app, t0, 200, None, 3);
    // 2 GB of one endless line (sparse: no disk used), then a line of the request.
    let huge = logs.path().join("service-a.2026-11-24.log");
    std::fs::File::create(&huge).unwrap().set_len(2 << 30).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&huge)
        .unwrap()
        .write_all(format!("\n{}", log_line(Service::A, "12:00:00,002", &id, None)).as_bytes())
        .unwrap();
    std::fs::write(logs.path().join("service-b.2026-11-24.log"), log_line(Service::B, "12:00:00,003", &id, None))
        .unwrap();

    let path = tui::io::report::write(&app, t0 + Duration::from_secs(5)).unwrap();
    let md = std::fs::read_to_string(path).unwrap();
    let block = log_block(&md, &id);
    assert_eq!(block.len(), 2, "the line after the 2 GB one is found: {block:?}");
    assert!(block[0].contains("service=A") && block[1].contains("service=B"));
    assert!(md.len() < 64 * 1024, "the endless line is not in the report ({} bytes)", md.len());
}

#[cfg(target_os = "linux")]
#[test]
fn with_nothing_sent_by_hand_the_report_opens_no_log_file() {
    use std::os::unix::fs::OpenOptionsExt as _;
    const O_NONBLOCK: i32 = 0o4000; // Linux

    let logs = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    let mut app = session(logs.path(), 10);
    burst(&mut app, t0, None);
    // A's log file is a FIFO: a reader that opens it waits for a writer, and
    // a writer can open it without waiting only while a reader does.
    let fifo = logs.path().join("service-a.2026-11-24.log");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let report = std::thread::spawn(move || tui::io::report::write(&app, t0).map(std::fs::read_to_string));
    let mut opened = false;
    while !report.is_finished() {
        // The report opened the file: let it go on (it reads an empty file) and fail.
        opened |= std::fs::OpenOptions::new().write(true).custom_flags(O_NONBLOCK).open(&fifo).is_ok();
        std::thread::yield_now();
    }
    let md = report.join().unwrap().unwrap().unwrap();
    assert!(!opened, "the report opened a log file with nothing to look for in it");
    assert!(md.contains("No request was sent by hand."), "{md}");
    assert!(md.contains("| 10 | 10 |"), "the burst is summarised: {md}");
    // What nothing showed says so, and how to show it.
    assert!(md.contains("- **Independent failure.** _not shown in this session_: press `a` (stop A)"), "{md}");
    assert!(md.contains("- [ ] 3. A frozen: press a (start A), f (freeze A), then Enter"), "{md}");
    assert!(md.contains("No request sent by hand was retried by B in this session."), "{md}");
}

#[test]
fn what_the_learner_typed_and_what_the_logs_hold_cannot_inject_markdown_or_html() {
    let logs = tempfile::tempdir().unwrap();
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    let mut app = session(logs.path(), 10);
    let mut ids = Vec::new();
    for hostile in ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "a|b``` `c", "**bold** _it_ <b>"] {
        app.on_action(Action::StartEditing, t0);
        for _ in 0..64 {
            app.on_action(Action::EditBackspace, t0);
        }
        for c in hostile.chars() {
            app.on_action(Action::EditChar(c), t0);
        }
        app.on_action(Action::EditConfirm, t0);
        ids.push(send_by_hand(&mut app, t0, 200, None, 3));
    }
    app.on_event(Event::Process(Service::A, ProcessState::Failed("<script>alert(1)</script> | x".into())), t0);
    // A log line with a fence of its own and HTML.
    std::fs::write(
        logs.path().join("service-a.2026-11-24.log"),
        format!(
            "2026-11-24 12:00:00,002 service=A endpoint=/echo status=ok msg=\"```\\n<img src=x>\" request_id={}\n",
            ids[0]
        ),
    )
    .unwrap();

    let md = std::fs::read_to_string(tui::io::report::write(&app, t0).unwrap()).unwrap();
    // No raw HTML outside code blocks, no link, tables intact.
    let outside_code: String = md.split("\n```").step_by(2).collect();
    for raw in ["<img", "<script", "<b>", "](javascript:", "**bold**"] {
        let unescaped = outside_code.match_indices(raw).any(|(at, _)| !outside_code[..at].ends_with('\\'));
        assert!(!unescaped, "{raw} in {outside_code}");
    }
    assert!(md.contains("\\<img src=x onerror=alert(1)\\>") && md.contains("\\[x\\](javascript:alert(1))"), "{md}");
    for row in md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| ---")) {
        let cells = row.replace("\\|", "").matches('|').count();
        assert!([3, 4, 7, 10].contains(&cells), "a cell broke its table: {row}");
    }
    // The log line's own fence cannot close the block it is in.
    let block = md.split(&format!("### `{}`", ids[0])).nth(1).unwrap();
    assert!(block.contains("````text\n") && block.contains("msg=\"```"), "{block}");
}

/// Issue 11: each of the lab's questions is answered with the session's own
/// requests, their lines and their trace, or says it was not shown.
#[test]
fn the_lab_s_questions_are_answered_with_this_session_s_requests_and_traces() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = session(logs.path(), 10);
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 9 }), t0);
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), t0);
    let down = send_by_hand(&mut app, t0, 503, Some(ErrorKind::Connect), 2);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 10 }), t0);
    app.on_event(Event::LinkUp { addr: "127.0.0.1:40001".into() }, t0);
    app.on_action(Action::CycleLink, t0);
    app.on_action(Action::CycleLink, t0); // partition
    let cut = send_by_hand(&mut app, t0 + Duration::from_secs(5), 503, Some(ErrorKind::Timeout), 1002);
    let mut b_lines = log_line(Service::B, "12:00:00,002", &down, Some("connect"));
    b_lines.push_str(&log_line(Service::B, "12:00:06,002", &cut, Some("timeout")));
    std::fs::write(logs.path().join("service-b.2026-11-24.log"), b_lines).unwrap();

    let md = std::fs::read_to_string(tui::io::report::write(&app, t0 + Duration::from_secs(60)).unwrap()).unwrap();
    let section =
        |title: &str| md.split(&format!("### {title}")).nth(1).unwrap().split("\n### ").next().unwrap().to_owned();
    let a_down = section("What happens if A is down?");
    assert!(a_down.contains(&format!("| 503 | 2.0 ms | connect | `{down}` |")), "{a_down}");
    assert!(a_down.contains("error_kind=connect"), "its log line: {a_down}");
    assert!(a_down.contains("╌╳  A never got it: A was stopped"), "its trace: {a_down}");
    let network = section("What happens when the network (not A) fails?");
    assert!(network.contains(&format!("`{cut}`")) && network.contains("the link was partitioned"), "{network}");
    assert!(!network.contains(&format!("`{down}`")), "A was down then, not the network");
    let timeout = section("What happens on timeout?");
    assert!(timeout.contains("**Not shown in this session** by a request sent by hand"), "{timeout}");
    assert!(timeout.contains("To show it: press `s`"), "{timeout}");
    let debug = section("What do the logs show, and how would you debug?");
    assert!(debug.contains("grep <id> logs/service-a.*") || debug.contains("grep &lt;id&gt;"), "{debug}");
    // The questions come before the timeline and the per-request lines.
    assert!(md.find("## The lab's questions").unwrap() < md.find("## Requests sent by hand").unwrap());
}

/// Two reports in one second are two files, and a link planted under the
/// report's name is not followed: its target is left as it was.
#[cfg(unix)]
#[test]
fn a_report_never_overwrites_a_file_nor_writes_through_a_planted_link() {
    let logs = tempfile::tempdir().unwrap();
    let app = Model::new(Settings { log_dir: logs.path().to_path_buf(), ..Settings::default() }, "r3p0");
    let at = datetime!(2026-11-24 12:05:00 UTC);
    let target = logs.path().join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    std::os::unix::fs::symlink(&target, logs.path().join("report-20261124-120500.md")).unwrap();
    let first = tui::io::report::write(&app, at).unwrap();
    let second = tui::io::report::write(&app, at).unwrap();
    assert_eq!(first, logs.path().join("report-20261124-120500-2.md"));
    assert_eq!(second, logs.path().join("report-20261124-120500-3.md"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me", "the link's target is untouched");
    assert!(std::fs::read_to_string(&first).unwrap().starts_with("# Services A and B: session report"));
    // Its data beside it, as JSON.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(first.with_extension("json")).unwrap()).unwrap();
    assert_eq!((json["requests"].as_array().map(Vec::len), json["summary"]["requests"].as_u64()), (Some(0), Some(0)));
    // A JSON name planted beside a free report name is not written through either.
    std::os::unix::fs::symlink(&target, logs.path().join("report-20261124-120500-4.json")).unwrap();
    assert!(tui::io::report::write(&app, at).is_err(), "refused, not written through the link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

#[test]
fn work_done_for_a_b_that_gave_up_is_shown_by_the_lost_answer_first() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = session(logs.path(), 10);
    let t0 = datetime!(2026-11-24 12:00:00 UTC);
    app.on_event(Event::SessionStarted, t0);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 9 }), t0);
    app.on_event(Event::LinkUp { addr: "127.0.0.1:40001".into() }, t0);
    // First a frozen A, thawed later: its work came after B gave up.
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 9 }), t0);
    let frozen = send_by_hand(&mut app, t0 + Duration::from_secs(1), 503, Some(ErrorKind::Timeout), 1001);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 9 }), t0 + Duration::from_secs(3));
    // Then the answers lost on the way back.
    app.on_action(Action::Fault("answers-lost"), t0 + Duration::from_secs(4));
    let lost = send_by_hand(&mut app, t0 + Duration::from_secs(5), 503, Some(ErrorKind::Timeout), 1001);
    let lines = [
        log_line(Service::B, "12:00:02,002", &frozen, Some("timeout")),
        log_line(Service::A, "12:00:03,001", &frozen, None),
        log_line(Service::A, "12:00:05,001", &lost, None),
        log_line(Service::B, "12:00:06,002", &lost, Some("timeout")),
    ];
    let now = t0 + Duration::from_secs(7);
    let parsed = lines
        .iter()
        .map(|line| {
            let service = if line.contains("service=A") { Service::A } else { Service::B };
            tui::msg::LogLine::parse(service, line.trim_end())
        })
        .collect();
    app.on_event(Event::Logs(parsed), now);
    let (a, b): (Vec<&String>, Vec<&String>) = lines.iter().partition(|line| line.contains("service=A"));
    std::fs::write(logs.path().join("service-a.2026-11-24.log"), a.into_iter().cloned().collect::<String>()).unwrap();
    std::fs::write(logs.path().join("service-b.2026-11-24.log"), b.into_iter().cloned().collect::<String>()).unwrap();

    let md = std::fs::read_to_string(tui::io::report::write(&app, now).unwrap()).unwrap();
    let section =
        md.split("### Did A do the work when B said it failed?").nth(1).unwrap().split("\n### ").next().unwrap();
    assert!(section.contains(&format!("`{frozen}`")), "both are evidence:\n{section}");
    assert!(section.contains(&format!("The log lines of `{lost}`")), "the lost answer is the example:\n{section}");
}
