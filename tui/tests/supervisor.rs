//! End-to-end: the dashboard's supervisor starts the real services (as
//! children of the `tui` binary) on spare ports, and the learner's failure keys
//! do what they say: B answers 503 `connect` when A is stopped, 503 `timeout`
//! when A is frozen, 200 again once A is back; and no child is left at the end.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::time::{Duration, Instant};

use contract::{ErrorKind, Service};
use tokio::sync::{mpsc, oneshot};
use tui::event::{Control, Event, Health, Outcome};
use tui::http::Client;
use tui::supervisor::{Command, Supervisor, SupervisorConfig};

fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A supervisor setup for A and B on spare ports, logging into `logs`, and a client for B.
fn config_on_spare_ports(logs: &std::path::Path, attach: bool) -> (SupervisorConfig, Client) {
    let a_url: reqwest::Url = format!("http://127.0.0.1:{}", spare_port()).parse().unwrap();
    let b_url: reqwest::Url = format!("http://127.0.0.1:{}", spare_port()).parse().unwrap();
    let client = Client::new(&b_url, Duration::from_millis(1000)).unwrap();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_tui"));
    (SupervisorConfig { exe, a_url, b_url, log_dir: logs.to_path_buf(), timeout_ms: 1000, attach }, client)
}

/// Waits (at most 20 s) for the supervisor to report `wanted` for `service`.
async fn until_control(
    events: &mut mpsc::UnboundedReceiver<Event>,
    service: Service,
    wanted: fn(&Control) -> bool,
) -> Control {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv()).await.expect("supervisor went quiet").unwrap();
        if let Event::Control(s, control) = event {
            if let Control::Failed(why) = &control {
                panic!("{} failed: {why}", s.name());
            }
            if s == service && wanted(&control) {
                return control;
            }
        }
    }
}

fn is_running(control: &Control) -> bool {
    matches!(control, Control::Running { .. })
}

fn status_and_kind(outcome: &Outcome) -> (u16, Option<ErrorKind>) {
    match outcome {
        Outcome::Answered { status, error_kind, .. } => (*status, *error_kind),
        Outcome::NoAnswer { error, .. } => panic!("B did not answer: {error}"),
    }
}

fn pid_alive(pid: u32) -> bool {
    PathBuf::from(format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
}

#[tokio::test]
async fn supervised_a_stopped_frozen_and_restarted() {
    let logs = tempfile::tempdir().unwrap();
    let (config, client) = config_on_spare_ports(logs.path(), false);
    let a_url = config.a_url.clone();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let mut supervisor = Supervisor::new(config, client.clone(), events_tx);
    let task = tokio::spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(commands_rx).await;
    });

    let Control::Running { pid: a_pid } = until_control(&mut events, Service::A, is_running).await else {
        unreachable!()
    };
    let Control::Running { pid: b_pid } = until_control(&mut events, Service::B, is_running).await else {
        unreachable!()
    };
    assert_eq!(status_and_kind(&client.call_echo("e2e-1", "hi", None).await), (200, None));
    assert!(matches!(client.health(&a_url).await, Health::Up { .. }));

    // a: stop A -> B answers 503 connect.
    commands.send(Command::ToggleRunning(Service::A)).unwrap();
    until_control(&mut events, Service::A, |c| *c == Control::Stopped).await;
    assert!(!pid_alive(a_pid), "A's process is gone");
    assert_eq!(status_and_kind(&client.call_echo("e2e-2", "hi", None).await), (503, Some(ErrorKind::Connect)));

    // a again: start A; f: freeze it -> B answers 503 timeout after its 1 s.
    commands.send(Command::ToggleRunning(Service::A)).unwrap();
    until_control(&mut events, Service::A, is_running).await;
    commands.send(Command::ToggleFreeze).unwrap();
    until_control(&mut events, Service::A, |c| matches!(c, Control::Frozen { .. })).await;
    let started = Instant::now();
    assert_eq!(status_and_kind(&client.call_echo("e2e-3", "hi", None).await), (503, Some(ErrorKind::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(1000));

    // f again: thaw -> 200.
    commands.send(Command::ToggleFreeze).unwrap();
    until_control(&mut events, Service::A, is_running).await;
    assert_eq!(status_and_kind(&client.call_echo("e2e-4", "hi", None).await), (200, None));

    // Freeze, then quit: the frozen child must be thawed to be stopped.
    commands.send(Command::ToggleFreeze).unwrap();
    let Control::Frozen { pid: frozen_pid } =
        until_control(&mut events, Service::A, |c| matches!(c, Control::Frozen { .. })).await
    else {
        unreachable!()
    };
    let (done_tx, done_rx) = oneshot::channel();
    commands.send(Command::Shutdown(done_tx)).unwrap();
    tokio::time::timeout(Duration::from_secs(20), done_rx).await.unwrap().unwrap();
    task.await.unwrap();
    for pid in [frozen_pid, b_pid] {
        assert!(!pid_alive(pid), "child {pid} outlived the supervisor");
    }
    // They exited cleanly (SIGTERM, not SIGKILL): both logs end with the shutdown line.
    for service in Service::ALL {
        let path = tui::logtail::newest_log_file(logs.path(), service).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.lines().last().unwrap().contains("event=shutdown phase=done"), "{}", service.name());
    }
}

#[tokio::test]
async fn attach_mode_starts_nothing() {
    let logs = tempfile::tempdir().unwrap();
    let (config, client) = config_on_spare_ports(logs.path(), true);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut supervisor = Supervisor::new(config, client, events_tx);
    supervisor.start_missing().await;
    assert_eq!(supervisor.control(Service::A), &Control::Absent);
    assert_eq!(supervisor.control(Service::B), &Control::Absent);
    drop(supervisor);
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(seen.iter().all(|e| matches!(e, Event::Control(_, Control::Absent))), "{seen:?}");
}
