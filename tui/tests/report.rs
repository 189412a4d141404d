//! The Markdown report: what a learner hands in as proof of success and failure.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use contract::{ErrorKind, Service};
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
