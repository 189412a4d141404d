//! Issue 11 end to end: real A and B processes (`tui serve-a`, `tui serve-b`),
//! A frozen and slowed the way a learner does it, and the dashboard's model fed
//! with B's answer and both log files, as the dashboard is: what the trace and
//! the orphaned-work count say.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::time::{Duration, Instant};

use contract::Service;
use nix::sys::signal::Signal;
use testkit::{Proc, Spawn, eventually, log_lines};
use time::OffsetDateTime;
use tui::cli::Settings;
use tui::model::Model;
use tui::model::trace::HopKind;
use tui::msg::{Action, Answer, Effect, Event, LogLine, Outcome};

fn start(service: Service, logs: &Path, args: &[&str]) -> Proc {
    Spawn::subcommand(env!("CARGO_BIN_EXE_tui"), &[service.subcommand()], service, logs)
        .args(args.iter().copied())
        .start()
}

/// Sends the model's request to B as the dashboard does; returns its id.
async fn send(model: &mut Model, action: Action, b: &Proc) -> String {
    let Some(Effect::Send { id, msg, delay_ms }) = model.on_action(action.clone(), OffsetDateTime::now_utc()) else {
        panic!("{action:?} sends")
    };
    let sent_at = OffsetDateTime::now_utc();
    let client = tui::io::http::Client::new(Duration::from_millis(1000)).unwrap();
    let url = reqwest::Url::parse(&b.url()).unwrap();
    let outcome = client.call_echo(&url, &id, &msg, delay_ms).await;
    model.on_event(
        Event::Answer(Answer { id: id.clone(), sent_at, msg, delay_ms, burst: false, outcome }),
        OffsetDateTime::now_utc(),
    );
    id
}

/// Feeds every line of both log files to the model, as the follower would.
fn feed_logs(model: &mut Model, logs: &Path) {
    let mut lines = Vec::new();
    for service in Service::ALL {
        lines.extend(log_lines(logs, service).iter().map(|raw| LogLine::parse(service, raw)));
    }
    model.on_event(Event::Logs(lines), OffsetDateTime::now_utc());
}

fn has_a_line(logs: &Path, id: &str) -> bool {
    log_lines(logs, Service::A).iter().any(|line| line.contains(id) && line.contains("endpoint=/echo"))
}

#[tokio::test]
async fn a_frozen_a_holding_a_request_past_b_s_timeout_is_orphaned_work_a_slow_request_is_not() {
    let logs = tempfile::tempdir().unwrap();
    let a = start(Service::A, logs.path(), &[]);
    let b = start(Service::B, logs.path(), &["--service-a-url", &a.url()]);
    let settings = Settings { log_dir: logs.path().to_path_buf(), ..Settings::default() };
    let mut model = Model::new(settings, "e2e1");
    model.on_event(Event::SessionStarted, OffsetDateTime::now_utc() - time::Duration::seconds(1));

    // The slow request: A notices B hanging up and stops; no work for nobody.
    let slow = send(&mut model, Action::SendSlow, &b).await;
    eventually("A logged the slow request", || has_a_line(logs.path(), &slow)).await;

    // A frozen: B gives up at 1 s; A stays frozen a while longer (the
    // scenario, not a wait for an event), then, thawed, it reads a request
    // whose caller is long gone.
    a.signal(Signal::SIGSTOP);
    let frozen = send(&mut model, Action::Send, &b).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let thawed = Instant::now();
    a.signal(Signal::SIGCONT);
    eventually("the thawed A logged the old request", || has_a_line(logs.path(), &frozen)).await;
    assert!(thawed.elapsed() < Duration::from_secs(5));
    feed_logs(&mut model, logs.path());

    let all: Vec<String> = Service::ALL
        .iter()
        .flat_map(|s| log_lines(logs.path(), *s))
        .filter(|l| l.contains("request_id=e2e1"))
        .collect();
    assert_eq!(model.orphans.count, 1, "only the thawed A's answer is work for nobody: {all:#?}");
    assert_eq!(model.orphans.of(&slow), None);
    // The trace of the selected request (the newest: the frozen one).
    let trace = model.selected_trace().unwrap();
    assert_eq!(trace.id, frozen);
    let orphan = trace.orphan.expect("orphaned work in the trace");
    assert!(orphan.after_ms >= 300, "A let go of it only after the thaw: {orphan:?}");
    let last = trace.hops.last().unwrap();
    assert_eq!(last.kind, HopKind::Orphaned, "A's answer is drawn after B's: {:?}", trace.hops);
    let b_answer = trace.hops.iter().position(|hop| hop.text.contains("timeout: B gave up")).unwrap();
    assert!(b_answer < trace.hops.len() - 1);

    // The slow one: A stopped when B hung up (its line at B's timeout).
    model.on_action(Action::SelectUp, OffsetDateTime::now_utc());
    let trace = model.selected_trace().unwrap();
    assert_eq!(trace.id, slow);
    assert_eq!(trace.orphan, None, "{:?}", trace.hops);
    assert!(trace.hops.iter().any(|hop| hop.text.contains("client closed")), "{:?}", trace.hops);
    assert!(matches!(
        model.requests.selected_request().and_then(|r| r.outcome.clone()),
        Some(Outcome::Answered { status: 503, .. })
    ));
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}
