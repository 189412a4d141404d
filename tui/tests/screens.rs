//! What the screen shows, as insta snapshots of the real drawing code on a
//! `TestBackend`, with fixed times and latencies (nothing from the clock).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use contract::policy::{BreakerPhase, Policy, PolicyStatus};
use contract::{ErrorKind, Service};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use time::OffsetDateTime;
use time::macros::datetime;
use tui::cli::Settings;
use tui::model::Model;
use tui::msg::{Action, Answer, Effect, Event, Health, LogLine, Outcome, ProcessState};

const T0: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

fn at(ms: i64) -> OffsetDateTime {
    T0 + Duration::from_millis(u64::try_from(ms).unwrap())
}

fn app() -> Model {
    // A fixed log directory: the screen shows it, and it must not depend on where the tests run.
    let settings = Settings { log_dir: std::path::PathBuf::from("/srv/lab/logs"), ..Settings::default() };
    let mut app = Model::new(settings, "d3mo");
    for (service, pid) in [(Service::A, 4101), (Service::B, 4102)] {
        app.on_event(Event::Process(service, ProcessState::Starting), T0);
        app.on_event(Event::Process(service, ProcessState::Running { pid }), T0);
        app.on_event(Event::Health(service, Health::Up { latency: Duration::from_micros(800) }), T0);
    }
    app
}

/// Sends a request through the app as the dashboard would, with a fixed answer.
fn request(app: &mut Model, when: i64, status: u16, ms: u64, kind: Option<ErrorKind>, body: &str) -> String {
    let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::Send, at(when)) else {
        panic!("Enter must send")
    };
    let upstream_ms = if status == 200 { Some(ms as f64 - 1.2) } else { Some(ms as f64 - 0.8) };
    let outcome = Outcome::Answered {
        status,
        latency: Duration::from_millis(ms),
        error_kind: kind,
        upstream_ms,
        body: body.into(),
    };
    app.on_event(
        Event::Answer(Answer { id: id.clone(), sent_at: at(when), msg, delay_ms, burst: false, outcome }),
        at(when),
    );
    id
}

fn log(app: &mut Model, service: Service, when: i64, fields: &str) {
    let mut stamp = String::new();
    contract::logline::write_timestamp(&mut stamp, at(when));
    let raw = format!("{stamp} service={} {fields}", service.name());
    app.on_event(Event::Logs(vec![LogLine::parse(service, &raw)]), at(when));
}

/// The rows of the full-width panel titled `title`, without their borders,
/// joined by spaces: what it says, however its lines are broken.
fn panel_text(screen: &str, title: &str) -> String {
    screen
        .lines()
        .skip_while(|line| !line.contains(title))
        .skip(1)
        .take_while(|line| !line.contains('└'))
        .map(|line| line.trim_matches('"').trim_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

fn screen(app: &Model) -> String {
    screen_of_size(app, 120, 36)
}

fn screen_of_size(app: &Model, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| tui::view::draw(frame, app)).unwrap();
    format!("{}", terminal.backend())
}

/// A success, A frozen, a timeout with its log line, a slow request pending.
fn frozen_session() -> (Model, String) {
    let mut app = app();
    success(&mut app);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 4101 }), at(2_000));
    let body = r#"{"error":"service A did not answer within 1000 ms","error_kind":"timeout","service_a":"unavailable","service_b":"ok"}"#;
    let id = request(&mut app, 3_000, 503, 1003, Some(ErrorKind::Timeout), body);
    log(
        &mut app,
        Service::B,
        4_003,
        &format!(
            r#"endpoint=/call-echo status=error error_kind=timeout error="service A did not answer within 1000 ms" latency_ms=1001 request_id={id}"#
        ),
    );
    (app, id)
}

#[test]
fn at_80x24_the_list_the_numbers_the_log_ids_and_the_keys_stay_readable() {
    let (app, id) = frozen_session();
    let screen = screen_of_size(&app, 80, 24);
    let row = screen.lines().find(|line| line.contains("12:00:03,000")).expect("the 503 row");
    assert!(row.contains("timeout") && row.contains(&id), "kind and id in the row: {row}");
    assert!(screen.contains("p99 1003 ms") && screen.contains("max 1003 ms"), "numbers whole:\n{screen}");
    let log_row = screen.lines().find(|line| line.contains("status=error")).expect("B's line");
    // Too narrow for the whole line: the id and the endpoint without their
    // names, so B's status and error_kind stay in view.
    assert!(log_row.contains(&format!("B 12:00:04,003 {id} /call-echo status=error error_kind=timeout")), "{log_row}");
    assert!(screen.contains("q quit"), "the footer ends whole:\n{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn at_80x24_v_shows_the_timeline_in_the_list_s_place_and_a_cut_log_line_says_so() {
    let (mut app, id) = frozen_session();
    let screen = screen_of_size(&app, 80, 24);
    let log_row = screen.lines().find(|line| line.contains("status=error")).expect("B's line");
    assert!(log_row.ends_with("…│\""), "a clipped line ends in …: {log_row}");
    app.on_action(Action::NextView, at(5_000));
    let screen = screen_of_size(&app, 80, 24);
    assert!(screen.contains("Timeline") && screen.contains("availability (200s) · p99 (v: next view)"), "{screen}");
    assert!(!screen.contains(&format!("timeout {id}")), "the list gave way to the timeline:\n{screen}");
    // Three charts need rows (three each): the timeline also takes the logs' place.
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines.iter().position(|l| l.contains("Timeline per second")).unwrap();
    let bottom = lines.iter().skip(top).position(|l| l.contains('└')).unwrap();
    assert!(bottom >= 9, "{bottom} rows for the timeline:\n{screen}");
    assert!(!screen.contains("Logs of A and B"), "{screen}");
    app.on_action(Action::NextView, at(5_000));
    assert!(screen_of_size(&app, 80, 24).contains(&format!("Trace of {id}")), "v again: the trace of the selection");
    app.on_action(Action::NextView, at(5_000));
    assert!(screen_of_size(&app, 80, 24).contains(&format!("timeout {id}")), "v a third time: the list is back");
}

#[test]
fn what_b_said_of_a_says_how_old_it_is_once_it_is_not_fresh() {
    let (mut app, _) = frozen_session();
    let services = |app: &Model| screen_of_size(app, 160, 45).lines().take(6).collect::<Vec<_>>().join("\n");
    assert!(services(&app).contains("· B cannot reach A (timeout)"), "{}", services(&app));
    // A health check 17 s after B's last answer (at 3 s): what B said is 17 s old.
    app.on_event(Event::Health(Service::A, Health::Up { latency: Duration::from_millis(1) }), at(20_000));
    let text = services(&app);
    assert!(text.contains("· B could not reach A 17 s ago (timeout)"), "{text}");
}

#[test]
fn at_160x45_every_panel_is_drawn() {
    let (app, _) = frozen_session();
    insta::assert_snapshot!(screen_of_size(&app, 160, 45));
}

#[test]
fn below_80x24_the_dashboard_says_the_terminal_is_too_small() {
    let (app, _) = frozen_session();
    for (width, height) in [(79, 24), (80, 23), (40, 10)] {
        let screen = screen_of_size(&app, width, height);
        assert!(screen.contains("terminal too small: need 80x24"), "{width}x{height}:\n{screen}");
    }
}

#[test]
fn a_json_log_line_reads_like_a_text_one() {
    let mut app = app();
    let id = success(&mut app);
    let json = format!(
        r#"{{"timestamp":"2026-11-24 12:00:01,004","service":"A","endpoint":"/echo","status":"ok","latency_ms":0,"request_id":"{id}"}}"#
    );
    app.on_event(Event::Logs(vec![LogLine::parse(Service::A, &json)]), at(1_004));
    let screen = screen(&app);
    let rows: Vec<&str> = screen.lines().filter(|line| line.contains("endpoint=/echo")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(
        rows.iter().all(|row| row.contains(&format!("request_id={id} endpoint=/echo status=ok latency_ms=0"))),
        "{rows:?}"
    );
}

fn success(app: &mut Model) -> String {
    let id = request(app, 1_000, 200, 3, None, r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#);
    log(app, Service::A, 1_002, &format!("endpoint=/echo status=ok latency_ms=0 request_id={id}"));
    log(app, Service::B, 1_003, &format!("endpoint=/call-echo status=ok latency_ms=2 request_id={id}"));
    id
}

#[test]
fn after_a_success() {
    let mut app = app();
    success(&mut app);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn after_a_is_stopped() {
    let mut app = app();
    success(&mut app);
    app.on_event(Event::Process(Service::A, ProcessState::Stopping), at(2_000));
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), at(2_100));
    app.on_event(Event::Health(Service::A, Health::Down), at(2_200));
    let body = r#"{"error":"cannot connect to service A: connection refused","error_kind":"connect","service_a":"unavailable","service_b":"ok"}"#;
    let id = request(&mut app, 3_000, 503, 2, Some(ErrorKind::Connect), body);
    log(
        &mut app,
        Service::B,
        3_002,
        &format!(
            r#"endpoint=/call-echo status=error error_kind=connect error="cannot connect to service A: connection refused" latency_ms=1 request_id={id}"#
        ),
    );
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn after_a_is_frozen_with_the_log_filtered_to_the_request() {
    let mut app = app();
    success(&mut app);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 4101 }), at(2_000));
    app.on_event(Event::Health(Service::A, Health::Down), at(2_500));
    let body = r#"{"error":"service A did not answer within 1000 ms","error_kind":"timeout","service_a":"unavailable","service_b":"ok"}"#;
    let id = request(&mut app, 3_000, 503, 1003, Some(ErrorKind::Timeout), body);
    log(
        &mut app,
        Service::B,
        4_003,
        &format!(
            r#"endpoint=/call-echo status=error error_kind=timeout error="service A did not answer within 1000 ms" latency_ms=1001 request_id={id}"#
        ),
    );
    app.on_action(Action::ToggleFilter, at(4_100));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = app();
    app.on_action(Action::ToggleHelp, T0);
    let screen = screen(&app);
    for (key, what) in tui::keys::KEYS.iter().filter_map(|key| key.help) {
        assert!(screen.contains(&format!("{key} ")), "help lacks {key:?}");
        let start: String = tui::keys::fill(what).chars().take(20).collect();
        assert!(screen.contains(&start), "help lacks what {key:?} does");
    }
    assert!(screen.contains("by 250 ms"), "the step comes from the model's constant");
    insta::assert_snapshot!(screen);
}

#[test]
fn editing_and_a_burst_in_progress() {
    let mut app = app();
    app.on_action(Action::StartBurst, at(500));
    for i in 0..50 {
        let outcome = Outcome::Answered {
            status: 200,
            latency: Duration::from_millis(2 + i % 5),
            error_kind: None,
            upstream_ms: Some(1.0),
            body: String::new(),
        };
        let answer = Answer {
            id: format!("d3mo-L1-{i:06}"),
            sent_at: at(600),
            msg: "hello".into(),
            delay_ms: None,
            burst: true,
            outcome,
        };
        app.on_event(Event::Answer(answer), at(700));
    }
    app.on_action(Action::StartEditing, at(800));
    for c in " world".chars() {
        app.on_action(Action::EditChar(c), at(800));
    }
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn an_attached_service_cannot_be_stopped_and_says_why() {
    let mut app = app();
    app.on_event(Event::Process(Service::B, ProcessState::Attached), T0);
    assert_eq!(app.on_action(Action::ToggleB, at(100)), None, "nothing to do for the runtime");
    let screen = screen(&app);
    assert!(screen.contains("attached (started elsewhere)"));
    assert!(screen.contains("stop it where you started it"));
}

#[test]
fn tiny_and_huge_terminals_do_not_break_the_drawing() {
    let mut app = app();
    success(&mut app);
    app.on_action(Action::TogglePause, T0);
    app.on_action(Action::ScrollLogsUp, T0);
    for (width, height) in [(1, 1), (20, 6), (40, 12), (300, 100)] {
        for help in [false, true] {
            if help {
                app.on_action(Action::ToggleHelp, T0);
            }
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            terminal.draw(|frame| tui::view::draw(frame, &app)).unwrap();
            if help {
                app.on_action(Action::ToggleHelp, T0);
            }
        }
    }
}

/// A session with a steady load: fine, partitioned at 8 s (B times out while A
/// is up), healed at 12 s.
fn partitioned_session() -> Model {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    app.on_event(Event::LinkUp { addr: "127.0.0.1:40001".into() }, T0);
    let answer = |id: String, status: u16, ms: u64, kind: Option<ErrorKind>| {
        let outcome = Outcome::Answered {
            status,
            latency: Duration::from_millis(ms),
            error_kind: kind,
            upstream_ms: Some(ms as f64 - 0.5),
            body: String::new(),
        };
        Event::LoadAnswer(Answer { id, sent_at: T0, msg: "hello".into(), delay_ms: None, burst: true, outcome })
    };
    app.on_action(Action::ToggleLoad, at(100));
    for tenth in 1..200_i64 {
        let now = at(tenth * 100);
        match tenth {
            80 => {
                app.on_action(Action::CycleLink, now); // delay
                app.on_action(Action::CycleLink, now); // partition
            }
            120 => {
                for _ in 0..7 {
                    app.on_action(Action::CycleLink, now); // reset, flaky, the new presets, ok
                }
            }
            _ => {}
        }
        let id = format!("d3mo-S1-{tenth:06}");
        let event = if (90..=130).contains(&tenth) {
            answer(id, 503, 1002, Some(ErrorKind::Timeout))
        } else {
            answer(id, 200, 3 + u64::try_from(tenth % 4).unwrap(), None)
        };
        app.on_event(event, now);
        app.on_event(Event::LoadSent(u64::try_from(tenth * 2).unwrap()), now);
    }
    app.on_event(
        Event::Link(tui::msg::LinkReport {
            counters: tui::msg::LinkCounters {
                connections: 21,
                open: 20,
                bytes_to_a: 48_310,
                bytes_to_b: 61_544,
                ..tui::msg::LinkCounters::default()
            },
            enabled: true,
            toxics: app.link.toxics.clone(),
        }),
        at(20_000),
    );
    app
}

#[test]
fn the_timeline_view_shows_calls_availability_and_p99_with_the_actions() {
    let mut app = partitioned_session();
    app.on_action(Action::NextView, at(20_000));
    let screen = screen_of_size(&app, 160, 45);
    assert!(screen.contains("Timeline") && screen.contains("availability (200s) · p99 (v: next view)"), "{screen}");
    assert!(screen.contains("B cannot reach A (timeout)") || screen.contains("B reaches A"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_services_panel_shows_the_link_in_each_mode() {
    let mut app = app();
    app.on_event(Event::LinkUp { addr: "127.0.0.1:40001".into() }, T0);
    let mut panels = String::new();
    for _ in 0..9 {
        let screen = screen_of_size(&app, 160, 45);
        panels.extend(screen.lines().skip(1).take(5).map(|line| format!("{line}\n")));
        app.on_action(Action::CycleLink, T0);
    }
    for mode in [
        "B→A ok",
        "B→A delay (latency↓ 300±100 ms)",
        "B→A partition (timeout↑ + timeout↓)",
        "B→A reset (reset_peer↓)",
        "B→A flaky (timeout↑ 33%)",
        "B→A answers lost (timeout↓)",
        "B→A requests lost (timeout↑)",
        "B→A slow link (bandwidth↓ 1 KB/s)",
        "B→A lose next 2 (lose_next↑ 2 left)",
    ] {
        assert!(panels.contains(mode), "{mode} missing:\n{panels}");
    }
    insta::assert_snapshot!(panels);
}

fn policy_status(retries: u32, breaker: BreakerPhase, reopens_in_ms: Option<u64>) -> PolicyStatus {
    PolicyStatus {
        policy: Policy { retries, breaker: breaker != BreakerPhase::Off, ..Policy::default() },
        breaker_state: breaker,
        breaker_failures: 0,
        breaker_reopens_in_ms: reopens_in_ms,
    }
}

#[test]
fn the_services_panel_shows_b_s_policy_and_the_numbers_a_s_work_per_b_request() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    app.on_event(Event::PolicyAdmin("http://127.0.0.1:40002".into()), T0);
    app.on_event(Event::Policy { seen: Ok(policy_status(0, BreakerPhase::Off, None)), answers_change: false }, T0);
    let lab = screen_of_size(&app, 120, 36);
    assert!(lab.contains("policy 1000 ms, retries 0, breaker off, deadline off"), "{lab}");

    // R twice and c: the screen shows the change at once, and marks it.
    for action in [Action::CycleRetries, Action::CycleRetries, Action::ToggleBreaker] {
        assert!(matches!(app.on_action(action, at(500)), Some(Effect::ChangePolicy(_))));
    }
    // Each try of a retried call is a line in A's log: 3 for one request to B.
    let id = app.ids().sign("d3mo-0001");
    for i in 0..3 {
        log(&mut app, Service::A, 1_000 + i, &format!("endpoint=/echo status=error latency_ms=0 request_id={id}"));
    }
    log(
        &mut app,
        Service::B,
        1_010,
        &format!("endpoint=/call-echo status=error error_kind=status tries=3 latency_ms=9 request_id={id}"),
    );
    app.on_event(
        Event::Policy { seen: Ok(policy_status(2, BreakerPhase::Open, Some(4_200))), answers_change: true },
        at(1_100),
    );
    let wide = screen_of_size(&app, 120, 36);
    assert!(wide.contains("retries 2, breaker OPEN 5 s, deadline off"), "{wide}");
    assert!(wide.contains("A per B 3.00× (10 s) 3.00× (all) · orphaned 0"), "{wide}");
    assert!(wide.contains("B's breaker opened"), "the breaker opening is a mark:\n{wide}");
    insta::assert_snapshot!("policy_120x36", wide);
    let narrow = screen_of_size(&app, 80, 24);
    assert!(narrow.contains("breaker OPEN"), "{narrow}");
    assert!(narrow.contains("A per B 3.00×"), "{narrow}");
    insta::assert_snapshot!("policy_80x24", narrow);

    // Counting failures toward opening: all four settings stay at 120
    // columns (the count gives way first), and the count is there at 80.
    let counting = PolicyStatus { breaker_failures: 2, ..policy_status(0, BreakerPhase::Closed, None) };
    app.on_event(Event::Policy { seen: Ok(counting), answers_change: false }, at(1_200));
    let wide = screen_of_size(&app, 120, 36);
    assert!(wide.contains(", breaker closed, deadline off"), "{wide}");
    let narrow = screen_of_size(&app, 80, 24);
    assert!(narrow.contains("breaker closed, 2 failed, deadline off"), "{narrow}");
}

#[test]
fn the_policy_keys_say_how_to_give_a_hand_started_b_an_admin_listener() {
    let mut app = app();
    app.on_event(Event::Process(Service::B, ProcessState::Attached), T0);
    assert_eq!(app.on_action(Action::TimeoutUp, T0), None);
    let screen = screen_of_size(&app, 160, 45);
    assert!(screen.contains("policy B has no admin listener"), "{screen}");
    assert!(screen.contains("--admin-addr 127.0.0.1:8091"), "{screen}");
    // At 120 columns the hint takes a second line: its instruction is never cut off.
    let narrower = screen_of_size(&app, 120, 40);
    let footer: String = narrower.lines().rev().take(2).collect::<Vec<_>>().join("");
    assert!(footer.contains("--b-admin-url") && footer.contains("http://127.0.0.1:8091"), "{narrower}");
}

#[test]
fn the_trace_view_draws_the_slow_request_with_a_s_work_after_b_gave_up() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::SendSlow, at(1_000)) else {
        panic!("s sends")
    };
    let body = r#"{"error":"service A did not answer within 1000 ms","error_kind":"timeout","service_a":"unavailable","service_b":"ok"}"#;
    let outcome = Outcome::Answered {
        status: 503,
        latency: Duration::from_millis(1003),
        error_kind: Some(ErrorKind::Timeout),
        upstream_ms: Some(1001.0),
        body: body.into(),
    };
    app.on_event(
        Event::Answer(Answer { id: id.clone(), sent_at: at(1_000), msg, delay_ms, burst: false, outcome }),
        at(2_003),
    );
    log(
        &mut app,
        Service::B,
        2_002,
        &format!(
            r#"endpoint=/call-echo status=error error_kind=timeout error="service A did not answer within 1000 ms" latency_ms=1001 request_id={id}"#
        ),
    );
    log(&mut app, Service::A, 2_302, &format!("endpoint=/echo status=ok latency_ms=1300 request_id={id}"));
    app.on_action(Action::NextView, at(2_400));
    app.on_action(Action::NextView, at(2_400));
    let wide = screen_of_size(&app, 120, 36);
    assert!(wide.contains(&format!("Trace of {id}")), "{wide}");
    assert!(wide.contains("300 ms after B gave up"), "{wide}");
    assert!(wide.contains("Orphaned work: A answered 300 ms after B had given up"), "{wide}");
    assert!(wide.contains("⚠A+300 ms"), "the request list marks it:\n{wide}");
    assert!(wide.contains("orphaned 1"), "the numbers count it:\n{wide}");
    insta::assert_snapshot!("trace_120x36", wide);
    let narrow = screen_of_size(&app, 80, 24);
    assert!(narrow.contains("Trace of"), "{narrow}");
    insta::assert_snapshot!("trace_80x24", narrow);
    app.on_action(Action::NextView, at(2_500));
    assert!(!screen_of_size(&app, 120, 36).contains("Trace of"), "v again: back to the chart");
}

#[test]
fn the_guide_ticks_off_the_steps_the_dashboard_sees_and_the_keys_keep_working() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    assert_eq!(app.on_action(Action::ToggleGuide, T0), None);
    let first = screen_of_size(&app, 120, 36);
    assert!(first.contains("Guided lab: 0 of 13"), "{first}");
    assert!(first.contains("press: Enter"), "{first}");
    // Enter works while the guide is open, and the success ticks step 1.
    let ok = request(&mut app, 1_000, 200, 3, None, r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#);
    // A stopped: a 503 connect, with the id as evidence.
    app.on_event(Event::Process(Service::A, ProcessState::Stopping), at(2_000));
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), at(2_000));
    app.on_event(Event::Health(Service::A, Health::Down), at(2_100));
    let body = r#"{"error":"cannot connect to service A: connection refused","error_kind":"connect","service_a":"unavailable","service_b":"ok"}"#;
    let down = request(&mut app, 3_000, 503, 2, Some(ErrorKind::Connect), body);
    let b_line = format!(
        r#"endpoint=/call-echo status=error error_kind=connect error="cannot connect to service A: connection refused" latency_ms=1 request_id={down}"#
    );
    log(&mut app, Service::B, 3_002, &b_line);
    let screen = screen_of_size(&app, 120, 36);
    assert!(screen.contains("Guided lab: 2 of 13"), "{screen}");
    // Each tick with its request id, the ids in one column.
    let tick = |title: &str, id: &str| {
        let row = screen.lines().find(|line| line.contains(title)).unwrap_or_else(|| panic!("{title}:\n{screen}"));
        let at = row.find(id).unwrap_or_else(|| panic!("{id} in {row}"));
        // The column on screen: the panels to the left hold wide box characters.
        row[at..].chars().count()
    };
    assert_eq!(tick("✓ 1. One that works", &ok), tick("✓ 2. A stopped", &down), "{screen}");
    assert!(screen.contains("▶ 3. A frozen"), "{screen}");
    assert!(screen.contains("guide ✓ step 2: A stopped"), "a marker says so:\n{screen}");
    // What the guide says to look for stays in view: the row's status and
    // kind, and B's log line whole, error= included.
    let row = screen.lines().find(|line| line.contains("12:00:03,000")).expect("the 503 row");
    assert!(row.contains("503") && row.contains("connect") && row.contains(&down), "{screen}");
    // A long line continues on the next row, broken between words.
    let logs = panel_text(&screen, "Logs of A and B");
    assert!(logs.contains("error=\"cannot connect to service A: connection refused\" latency_ms=1"), "{screen}");
    insta::assert_snapshot!("guide_120x36", screen);
    // At 80x24 the guide takes the services' place and says how they are.
    let narrow = screen_of_size(&app, 80, 24);
    assert!(narrow.contains("· A ○ down · B ● up"), "{narrow}");
    let row = narrow.lines().find(|line| line.contains("12:00:03,000")).expect("the 503 row at 80x24");
    assert!(row.contains("503") && row.contains("connect"), "{narrow}");
    assert!(narrow.contains(&format!("B 12:00:03,002 {down} /call-echo status=error error_kind=connect")), "{narrow}");
    insta::assert_snapshot!("guide_80x24", narrow);
    app.on_action(Action::ToggleGuide, at(4_000));
    let closed = screen_of_size(&app, 120, 36);
    assert!(!closed.contains("Guided lab"), "g closes it");
    // The marker does not take the place of the answer just sent.
    assert!(closed.contains(&format!("id {down}")), "the selected answer is the request's:\n{closed}");
    // Closed and opened again: the progress is kept.
    app.on_action(Action::ToggleGuide, at(4_000));
    assert!(screen_of_size(&app, 120, 36).contains("Guided lab: 2 of 13"));
}

/// Every error kind, A frozen, B's breaker open, a long mark, B and the link
/// attached: at 80x24 and 120x40 what does not fit gives way whole, the
/// counts that happened and the instructions stay.
#[test]
fn long_texts_give_way_by_what_matters_least_never_the_counts_or_the_instructions() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    app.on_event(Event::Process(Service::B, ProcessState::Attached), T0);
    app.on_event(Event::LinkUp { addr: "127.0.0.1:40001".into() }, T0);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 4101 }), at(100));
    let kinds = [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Status, ErrorKind::Body, ErrorKind::CircuitOpen];
    for (i, kind) in (0..).zip(kinds) {
        let body = format!(r#"{{"error":"x","error_kind":"{kind}","service_a":"unavailable","service_b":"ok"}}"#);
        request(&mut app, 1_000 + i * 100, 503, 5, Some(kind), &body);
    }
    app.on_event(Event::PolicyAdmin("http://127.0.0.1:40002".into()), T0);
    for (phase, when) in [(BreakerPhase::Closed, 500), (BreakerPhase::Open, 2_000)] {
        app.on_event(Event::Policy { seen: Ok(policy_status(0, phase, Some(0))), answers_change: true }, at(when));
    }
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = screen_of_size(&app, width, height);
        for kind in kinds {
            assert!(screen.contains(&format!("{kind} 1")), "{kind} at {width}x{height}:\n{screen}");
        }
        if width >= 120 {
            assert!(screen.contains("❄ frozen") && screen.contains("f thaws"), "{screen}");
            assert!(screen.contains("breaker OPEN (next call tries A)"), "not 'OPEN 0 s':\n{screen}");
            assert!(screen.contains("(B elsewhere: n says how)"), "the link's hint whole:\n{screen}");
            assert!(screen.contains("no admin listener on A (x says how to give it one)"), "whole:\n{screen}");
            // The mark is read whole, over two rows.
            let mark: String = screen
                .lines()
                .skip_while(|line| !line.contains("── B's breaker opened"))
                .take(2)
                .map(|line| line.split('│').nth(1).unwrap_or("").trim().to_owned())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(mark.ends_with("──"), "the mark ends on the screen: {mark}\n{screen}");
        }
        insta::assert_snapshot!(format!("fitted_{width}x{height}"), screen);
    }
}

#[test]
fn numbers_with_big_counts_of_every_kind_stay_whole_at_80x24_and_120x40() {
    let mut app = app();
    let kinds = [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Status, ErrorKind::Body, ErrorKind::CircuitOpen];
    // Thousands of each kind, and thousands of successes: a long session under load.
    let mut when = 1_000;
    for (n, kind) in (1_000..).step_by(1_111).zip(kinds) {
        let body = format!(r#"{{"error":"x","error_kind":"{kind}","service_a":"unavailable","service_b":"ok"}}"#);
        for _ in 0..n {
            when += 1;
            request(&mut app, when, 503, 5, Some(kind), &body);
        }
    }
    for _ in 0..1_007 {
        when += 1;
        request(&mut app, when, 200, 3, None, r#"{"msg":"hello"}"#);
    }
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = screen_of_size(&app, width, height);
        for (n, kind) in (1_000..).step_by(1_111).zip(kinds) {
            assert!(screen.contains(&format!("{kind} {n}")), "{kind} {n} whole at {width}x{height}:\n{screen}");
        }
        assert!(screen.contains("200×1007") && screen.contains(" · "), "{screen}");
        insta::assert_snapshot!(format!("numbers_big_counts_{width}x{height}"), screen);
    }
}

#[test]
fn after_a_step_that_left_a_frozen_the_guide_says_to_thaw_it_first() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    app.on_action(Action::ToggleGuide, T0);
    request(&mut app, 1_000, 200, 3, None, r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#);
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), at(2_000));
    app.on_event(Event::Health(Service::A, Health::Down), at(2_000));
    let refused =
        r#"{"error":"cannot connect to service A","error_kind":"connect","service_a":"unavailable","service_b":"ok"}"#;
    request(&mut app, 3_000, 503, 2, Some(ErrorKind::Connect), refused);
    // A started again and frozen: "A frozen" ticks while A is still frozen.
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 4103 }), at(4_000));
    app.on_event(Event::Health(Service::A, Health::Up { latency: Duration::from_micros(800) }), at(4_000));
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 4103 }), at(5_000));
    let timeout = r#"{"error":"service A did not answer within 1000 ms","error_kind":"timeout","service_a":"unavailable","service_b":"ok"}"#;
    request(&mut app, 6_000, 503, 1003, Some(ErrorKind::Timeout), timeout);
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = screen_of_size(&app, width, height);
        assert!(screen.contains("▶ 4. A slow"), "{screen}");
        assert!(screen.contains("first: f (thaw A)"), "what step 3 left is said first:\n{screen}");
        insta::assert_snapshot!(format!("guide_first_thaw_{width}x{height}"), screen);
    }
    // Thawed: nothing to do first.
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 4103 }), at(7_000));
    assert!(!screen_of_size(&app, 120, 40).contains("first:"));
}

#[test]
fn the_message_being_typed_is_shown_made_safe() {
    let mut app = app();
    app.on_action(Action::StartEditing, T0);
    for c in "x\u{2028}y\u{202e}z\u{e0041}".chars() {
        app.on_action(Action::EditChar(c), T0);
    }
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = screen_of_size(&app, width, height);
        let footer = screen.lines().find(|line| line.contains("message:")).expect("the message line");
        assert!(footer.contains("x�y�z�█"), "{footer}");
        assert!(!footer.chars().any(|c| ['\u{2028}', '\u{202e}', '\u{e0041}'].contains(&c)), "{footer}");
    }
}

/// Second newcomer pass: at 120x40 a load's long ids stay whole beside
/// `circuit_open` (the message column gives way), and with every kind on two
/// rows the work A did twice or for nobody is still said.
#[test]
fn at_120x40_load_ids_stay_whole_and_the_work_counts_are_not_pushed_out() {
    let mut app = app();
    let kinds = [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Status, ErrorKind::Body, ErrorKind::CircuitOpen];
    for (i, kind) in kinds.into_iter().enumerate() {
        for n in 0..(130 + i * 7) {
            let body = format!(r#"{{"error":"x","error_kind":"{kind}"}}"#);
            request(&mut app, 1_000 + (i * 200 + n) as i64, 503, 5, Some(kind), &body);
        }
    }
    let id = "4520-L25-000193-rzmswc";
    let outcome = Outcome::Answered {
        status: 503,
        latency: Duration::from_millis(4),
        error_kind: Some(ErrorKind::CircuitOpen),
        upstream_ms: None,
        body: String::new(),
    };
    let answer =
        Answer {
            id: id.into(), sent_at: at(3_000), msg: "héllo wörld".into(), delay_ms: None, burst: false, outcome
        };
    app.on_event(Event::Answer(answer), at(3_000));
    app.duplicates.duplicated = 1;
    app.duplicates.done_but_timed_out = 3;
    app.duplicates.from_memory = 1;
    let screen = screen_of_size(&app, 120, 40);
    assert!(screen.contains(id), "the id whole:\n{screen}");
    assert!(screen.contains("circuit_open 159"), "{screen}");
    assert!(screen.contains("work twice 1, after timeout 3, dedup 1"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// Second newcomer pass: a note too long for one row goes on under its first
/// word, not from column 0, and is read whole.
#[test]
fn a_long_note_wraps_under_itself_at_80x24() {
    let mut app = app();
    let note = "link closing quiet connections: a connection that carries nothing is closed after it has carried nothing for 60 s (as a NAT forgets a quiet flow)";
    app.on_event(Event::Note(note.into()), at(100));
    let screen = screen_of_size(&app, 80, 24);
    let rows: Vec<&str> = screen.lines().rev().take(2).collect();
    assert!(rows[1].starts_with("\" link closing quiet connections:"), "{screen}");
    assert!(rows[0].starts_with("\" ") && !rows[0].starts_with("\"  "), "{screen}");
    assert!(rows[0].contains("a quiet flow)"), "{screen}");
}

/// Another implementation's 503 without `error_kind`: the kind read from its
/// error text is shown as such, never as B's word.
#[test]
fn a_kind_read_from_b_s_error_text_is_shown_as_a_guess() {
    let mut app = app();
    let body = r#"{"error":"HTTPConnectionPool(host='127.0.0.1', port=8080): Read timed out. (read timeout=1.0)","service_a":"unavailable","service_b":"ok"}"#;
    request(&mut app, 1_000, 503, 1003, Some(ErrorKind::Timeout), body);
    let screen = screen_of_size(&app, 120, 40);
    let row = screen.lines().find(|line| line.contains("12:00:01,000")).expect("the row");
    assert!(row.contains("503") && row.contains("timeout?"), "{row}");
    assert!(screen.contains("timeout? read from B's error text"), "{screen}");
}

/// Another implementation run with `--a-cmd` / `--b-cmd` has no admin API:
/// the rows and the keys say so instead of telling to start it with flags it
/// does not have.
#[test]
fn another_implementation_is_not_told_to_use_this_projects_admin_flags() {
    let words = |text: &str| Some(tui::cli::CommandLine(text.split(' ').map(str::to_owned).collect()));
    let settings = Settings {
        log_dir: std::path::PathBuf::from("/srv/lab/logs"),
        commands: [words("python3 a.py {port}"), words("python3 b.py {port} {a_url}")],
        ..Settings::default()
    };
    let mut app = Model::new(settings, "d3mo");
    let screen = screen_of_size(&app, 120, 40);
    assert!(screen.contains("A's faults none: your A has no admin API (link faults work)"), "{screen}");
    assert!(screen.contains("policy your B's own (no admin API to read or change it)"), "{screen}");
    app.on_action(Action::CycleRetries, at(100));
    assert!(app.note().is_some_and(|note| note.starts_with("your B (--b-cmd) has no admin API")), "{:?}", app.note());
    assert!(!screen.contains("--admin-addr"), "{screen}");
}

/// Another implementation's lines carry no request ids (the lab's Flask
/// pair): the trace joins them to the request by time, says so, and does not
/// claim that A never got it; `t` says why it finds none.
#[test]
fn a_trace_of_lines_without_ids_is_joined_by_time_and_says_so() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    let id = request(&mut app, 1_000, 200, 12, None, r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#);
    log(&mut app, Service::A, 1_008, "endpoint=/echo status=ok latency_ms=0");
    log(&mut app, Service::B, 1_011, "endpoint=/call-echo status=ok latency_ms=10");
    app.on_action(Action::NextView, at(1_100));
    app.on_action(Action::NextView, at(1_100));
    let trace = panel_text(&screen_of_size(&app, 120, 40), &format!("Trace of {id}"));
    assert!(trace.contains("A got it") && trace.contains("A answered ok after 0 ms of work"), "{trace}");
    assert!(!trace.contains("never got it") && !trace.contains("no line from"), "{trace}");
    assert!(trace.contains("A's and B's lines carry no request_id: joined to this request by time"), "{trace}");
    app.on_action(Action::NextView, at(1_200));
    app.on_action(Action::ToggleFilter, at(1_200));
    let screen = screen_of_size(&app, 120, 40);
    let logs = panel_text(&screen, "Logs");
    assert!(logs.contains("lines that carry no request_id cannot be picked by it (t shows all;"), "{screen}");
}

/// Another A that ignores `delay_ms` answers the slow request at once: said
/// once, with what does make A slow.
#[test]
fn an_a_that_ignores_delay_ms_is_said_once_with_what_makes_it_slow() {
    let words = |text: &str| Some(tui::cli::CommandLine(text.split(' ').map(str::to_owned).collect()));
    let settings = Settings { commands: [words("python3 a.py {port}"), None], ..Settings::default() };
    let mut app = Model::new(settings, "d3mo");
    for when in [1_000, 2_000] {
        let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::SendSlow, at(when)) else {
            panic!("s sends")
        };
        let outcome = Outcome::Answered {
            status: 200,
            latency: Duration::from_millis(8),
            error_kind: None,
            upstream_ms: None,
            body: r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#.into(),
        };
        app.on_event(Event::Answer(Answer { id, sent_at: at(when), msg, delay_ms, burst: false, outcome }), at(when));
        let said = app.requests.marks().filter(|mark| mark.text.contains("your A ignores delay_ms")).count();
        assert_eq!(said, 1, "said once");
    }
    let note = app.note().unwrap_or_default();
    assert!(note.starts_with("A answered delay_ms=1300 in 8 ms: your A ignores delay_ms."), "{note}");
    assert!(
        note.ends_with(
            "slow the network instead: x 1 (the link's delay, 300 ms now: start the dashboard with \
             --link-delay-ms 1300 to pass B's 1000 ms timeout)"
        ),
        "{note}"
    );
}
