//! End-to-end: the dashboard's supervisor starts the real services (as
//! children of the `tui` binary) on ports they pick themselves (port 0), and the
//! learner's failure keys do what they say: B answers 503 `connect` when A is
//! stopped, 503 `timeout` when A is frozen, 200 again once A is back; and no
//! child is left at the end.

#![cfg(unix)] // freezing is SIGSTOP; Windows has no freeze
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use contract::{ErrorKind, Service};
use reqwest::Url;
use tokio::sync::{mpsc, oneshot, watch};
use tui::cli::{DashboardArgs, Settings};
use tui::io::http::Client;
use tui::io::supervisor::{Command, Supervisor};
use tui::msg::{Event, Health, Outcome, ProcessState};

/// Settings for A and B on ports of their own choosing, logging into `logs`.
fn settings(logs: &Path, attach: bool) -> Settings {
    let mut args = vec!["tui", "--a-url", "http://127.0.0.1:0", "--b-url", "http://127.0.0.1:0", "--log-dir"];
    args.push(logs.to_str().unwrap());
    if attach {
        args.push("--attach");
    }
    Settings::from(DashboardArgs::parse_from(args))
}

fn supervisor(settings: Settings) -> (Supervisor, Client, mpsc::Receiver<Event>) {
    let client = Client::new(Duration::from_millis(settings.timeout_ms)).unwrap();
    let (events_tx, events) = mpsc::channel(256);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_tui"));
    (Supervisor::new(settings, exe, client.clone(), events_tx, None).unwrap(), client, events)
}

/// Waits (at most 20 s) for the supervisor to report `wanted` for `service`.
async fn until_state(
    events: &mut mpsc::Receiver<Event>,
    service: Service,
    wanted: fn(&ProcessState) -> bool,
) -> ProcessState {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv()).await.expect("supervisor went quiet").unwrap();
        if let Event::Process(s, state) = event {
            if let ProcessState::Failed(why) = &state {
                panic!("{} failed: {why}", s.name());
            }
            if s == service && wanted(&state) {
                return state;
            }
        }
    }
}

fn is_running(state: &ProcessState) -> bool {
    matches!(state, ProcessState::Running { .. })
}

fn status_and_kind(outcome: &Outcome) -> (u16, Option<ErrorKind>) {
    match outcome {
        Outcome::Answered { status, error_kind, .. } => (*status, *error_kind),
        Outcome::NoAnswer { error, .. } => panic!("B did not answer: {error}"),
    }
}

/// Signal 0: whether the process exists (the supervisor reaps its children,
/// so a stopped one leaves no zombie behind).
fn pid_alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|pid| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok())
}

fn url(urls: &watch::Receiver<[Url; 2]>, service: Service) -> Url {
    urls.borrow()[service.index()].clone()
}

#[tokio::test]
async fn supervised_a_stopped_frozen_and_restarted() {
    let logs = tempfile::tempdir().unwrap();
    let (mut supervisor, client, mut events) = supervisor(settings(logs.path(), false));
    let urls = supervisor.urls();
    let (commands, commands_rx) = mpsc::channel(8);
    let task = tokio::spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(commands_rx).await;
    });

    let ProcessState::Running { pid: a_pid } = until_state(&mut events, Service::A, is_running).await else {
        unreachable!()
    };
    let ProcessState::Running { pid: b_pid } = until_state(&mut events, Service::B, is_running).await else {
        unreachable!()
    };
    let (a_url, b_url) = (url(&urls, Service::A), url(&urls, Service::B));
    assert_ne!(a_url.port(), Some(0), "the real port, read from A's listening line");
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "e2e-1", "hi", None).await), (200, None));
    assert!(matches!(client.health(&a_url).await, Health::Up { .. }));

    // a: stop A -> B answers 503 connect.
    commands.send(Command::ToggleRunning(Service::A, None)).await.unwrap();
    until_state(&mut events, Service::A, |c| *c == ProcessState::Stopped).await;
    assert!(!pid_alive(a_pid), "A's process is gone");
    let outcome = client.call_echo(&b_url, "e2e-2", "hi", None).await;
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Connect)));

    // a again: A starts on the same port (B was told that one); f: freeze it
    // -> B answers 503 timeout after its 1 s.
    commands.send(Command::ToggleRunning(Service::A, None)).await.unwrap();
    until_state(&mut events, Service::A, is_running).await;
    assert_eq!(url(&urls, Service::A), a_url);
    commands.send(Command::ToggleFreeze).await.unwrap();
    until_state(&mut events, Service::A, |c| matches!(c, ProcessState::Frozen { .. })).await;
    let started = Instant::now();
    let outcome = client.call_echo(&b_url, "e2e-3", "hi", None).await;
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(1000));

    // f again: thaw -> 200.
    commands.send(Command::ToggleFreeze).await.unwrap();
    until_state(&mut events, Service::A, is_running).await;
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "e2e-4", "hi", None).await), (200, None));

    // Freeze, then quit: the frozen child must be thawed to be stopped.
    commands.send(Command::ToggleFreeze).await.unwrap();
    let ProcessState::Frozen { pid: frozen_pid } =
        until_state(&mut events, Service::A, |c| matches!(c, ProcessState::Frozen { .. })).await
    else {
        unreachable!()
    };
    let (done_tx, done_rx) = oneshot::channel();
    commands.send(Command::Shutdown(done_tx)).await.unwrap();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    tokio::time::timeout(Duration::from_secs(20), done_rx).await.unwrap().unwrap();
    task.await.unwrap();
    drain.await.unwrap();
    for pid in [frozen_pid, b_pid] {
        assert!(!pid_alive(pid), "child {pid} outlived the supervisor");
    }
    // They exited cleanly (asked to stop, not killed): both logs end with the shutdown line.
    for service in Service::ALL {
        let lines = testkit::log_lines(logs.path(), service);
        assert!(lines.last().unwrap().contains("event=shutdown phase=done"), "{}", service.name());
    }
}

#[tokio::test]
async fn attach_mode_starts_nothing() {
    let logs = tempfile::tempdir().unwrap();
    let (mut supervisor, _client, mut events) = supervisor(settings(logs.path(), true));
    supervisor.start_missing().await;
    drop(supervisor);
    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        seen.push(event);
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|e| matches!(e, Event::Process(_, ProcessState::Absent))), "{seen:?}");
}

/// The link as the dashboard wires it: a B the supervisor starts calls A
/// through it, and the network breaks while A itself stays healthy.
#[tokio::test]
async fn b_started_through_the_link_feels_the_network_while_a_stays_up() {
    use tui::faults;
    use tui::io::link::Link;

    let set = |link: &Link, id: Option<&str>| {
        let toxics = id.map_or_else(Vec::new, |id| {
            faults::by_id(id).unwrap().toxics(faults::Params { delay_ms: 300, jitter_ms: 100 })
        });
        link.set_toxics(&toxics).unwrap();
    };

    let logs = tempfile::tempdir().unwrap();
    // A's port is not known until A starts: the link follows it.
    let (target_tx, target) = watch::channel("127.0.0.1:9".parse().unwrap());
    let (link, run_link) =
        Link::bind("127.0.0.1:0".parse().unwrap(), target, 7, tui::io::link::Limits::default()).await.unwrap();
    let link_task = tokio::spawn(run_link);
    let link_url = Url::parse(&format!("http://{}", link.addr())).unwrap();

    let settings = settings(logs.path(), false);
    let client = Client::new(Duration::from_millis(settings.timeout_ms)).unwrap();
    let (events_tx, mut events) = mpsc::channel(256);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_tui"));
    let mut supervisor = Supervisor::new(settings, exe, client.clone(), events_tx, Some(link_url)).unwrap();
    let urls = supervisor.urls();
    let (commands, commands_rx) = mpsc::channel(8);
    let task = tokio::spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(commands_rx).await;
    });
    until_state(&mut events, Service::A, is_running).await;
    let a_url = url(&urls, Service::A);
    target_tx.send_replace(format!("127.0.0.1:{}", a_url.port().unwrap()).parse().unwrap());
    until_state(&mut events, Service::B, is_running).await;
    let b_url = url(&urls, Service::B);
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });

    // ok: through the link, B reaches A.
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "link-ok-1", "hi", None).await), (200, None));
    assert!(link.counters().bytes_to_a > 0, "B's call went through the link");

    // partition: B waits its whole second and answers timeout; A answers the
    // dashboard directly all the while.
    set(&link, Some("partition"));
    let started = Instant::now();
    let outcome = client.call_echo(&b_url, "link-partition", "hi", None).await;
    let waited = started.elapsed();
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Timeout)));
    assert!(waited >= Duration::from_millis(1000) && waited < Duration::from_millis(2500), "{waited:?}");
    assert!(matches!(client.health(&a_url).await, Health::Up { .. }), "A is up, seen directly");

    // reset: B fails fast.
    set(&link, Some("reset"));
    let started = Instant::now();
    let outcome = client.call_echo(&b_url, "link-reset", "hi", None).await;
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Connect)));
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());

    // answers lost: B times out, but A got the request and did the work.
    set(&link, Some("answers-lost"));
    let outcome = client.call_echo(&b_url, "link-answers-lost", "hi", None).await;
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Timeout)));
    let a_line = poll_log_line(logs.path(), "service-a", "link-answers-lost").await;
    assert!(a_line.contains("status=ok"), "A did the work B says failed: {a_line}");

    // ok again: 200.
    set(&link, None);
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "link-ok-2", "hi", None).await), (200, None));

    let (done_tx, done_rx) = oneshot::channel();
    commands.send(Command::Shutdown(done_tx)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), done_rx).await.unwrap().unwrap();
    task.await.unwrap();
    drain.await.unwrap();
    link_task.abort();

    // A's log (flushed: A has exited) has the two calls that got through and nothing of the others.
    let a_lines = testkit::log_lines(logs.path(), Service::A).join("\n");
    for id in ["link-ok-1", "link-ok-2"] {
        assert!(a_lines.contains(&format!("request_id={id}")), "{id} in A's log:\n{a_lines}");
    }
    for id in ["link-partition", "link-reset"] {
        assert!(!a_lines.contains(&format!("request_id={id}")), "{id} never reached A:\n{a_lines}");
    }
}

/// The line of `service`'s log in `dir` that mentions `id`, polled for up to 5 s.
async fn poll_log_line(dir: &std::path::Path, service: &str, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{service}.")) {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if let Some(line) = text.lines().find(|line| line.contains(id)) {
                    return line.to_owned();
                }
            }
        }
        assert!(Instant::now() < deadline, "no line of {id} in {service}'s log");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `--a-cmd`: the dashboard runs another implementation of A (a stdlib Python
/// one here) on a port it gives it, its console goes into A's log file, the
/// built-in B calls it, and freezing and stopping work on its process.
#[tokio::test]
async fn another_implementation_of_a_runs_with_its_console_in_a_s_log() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed; --a-cmd is not tested here");
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let stub = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stub_a.py");
    let args = [
        "tui",
        "--a-url",
        "http://127.0.0.1:0",
        "--b-url",
        "http://127.0.0.1:0",
        "--log-dir",
        logs.path().to_str().unwrap(),
        "--a-cmd",
        &format!("python3 '{stub}' {{port}}"),
    ];
    let (mut supervisor, client, mut events) = supervisor(Settings::from(DashboardArgs::parse_from(args)));
    let urls = supervisor.urls();
    let (commands, commands_rx) = mpsc::channel(8);
    let task = tokio::spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(commands_rx).await;
    });
    let ProcessState::Running { pid } = until_state(&mut events, Service::A, is_running).await else { unreachable!() };
    until_state(&mut events, Service::B, is_running).await;
    let (a_url, b_url) = (url(&urls, Service::A), url(&urls, Service::B));
    assert_ne!(a_url.port(), Some(0), "a free port, given to the command");
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "cmd-1", "hi", None).await), (200, None));
    // The pid is the implementation's own (no shell between): freezing it holds B's call.
    commands.send(Command::ToggleFreeze).await.unwrap();
    until_state(&mut events, Service::A, |c| matches!(c, ProcessState::Frozen { .. })).await;
    let outcome = client.call_echo(&b_url, "cmd-2", "hi", None).await;
    assert_eq!(status_and_kind(&outcome), (503, Some(ErrorKind::Timeout)));
    commands.send(Command::ToggleFreeze).await.unwrap();
    until_state(&mut events, Service::A, is_running).await;
    // Its console lines are in A's log file, in the lab's shape.
    assert_eq!(status_and_kind(&client.call_echo(&b_url, "cmd-3", "hi", None).await), (200, None));
    testkit::eventually("the stub's /echo lines in A's log", || {
        testkit::log_lines(logs.path(), Service::A)
            .iter()
            .filter(|l| l.contains("service=A endpoint=/echo status=ok"))
            .count()
            >= 2
    })
    .await;
    // Killed from outside: not "stopped" (nobody asked it to), and the key starts it again.
    std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let why = loop {
        let event = tokio::time::timeout_at(deadline, events.recv()).await.expect("no word of the exit").unwrap();
        if let Event::Process(Service::A, ProcessState::Failed(why)) = event {
            break why;
        }
    };
    assert!(why.starts_with("exited by itself ("), "{why}");
    commands.send(Command::ToggleRunning(Service::A, None)).await.unwrap();
    let ProcessState::Running { pid } = until_state(&mut events, Service::A, is_running).await else { unreachable!() };
    let (done_tx, done_rx) = oneshot::channel();
    commands.send(Command::Shutdown(done_tx)).await.unwrap();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    tokio::time::timeout(Duration::from_secs(20), done_rx).await.unwrap().unwrap();
    task.await.unwrap();
    drain.await.unwrap();
    assert!(!pid_alive(pid), "the stub outlived the supervisor");
}
