//! The model's rules, driven through its two ways in.

use std::time::Duration;

use time::macros::datetime;

use contract::{ErrorKind, Service};

use super::*;
use crate::model::logs::MAX_LOG_LINES;
use crate::model::requests::MAX_ENTRIES;
use crate::msg::{Action, Answer, Effect, Event, Health, InputMode, LogLine, Outcome, ProcessState};

const T0: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

fn app() -> Model {
    Model::new(Settings::default(), "t3st")
}

fn answered(status: u16, ms: u64, kind: Option<ErrorKind>) -> Outcome {
    Outcome::Answered {
        status,
        latency: Duration::from_millis(ms),
        error_kind: kind,
        upstream_ms: None,
        body: String::new(),
    }
}

fn answer_of(outcome: Outcome) -> Answer {
    Answer { id: String::new(), sent_at: T0, msg: "hello".into(), delay_ms: None, burst: true, outcome }
}

fn answer(id: &str, outcome: Outcome, burst: bool) -> Event {
    Event::Answer(Answer { id: id.into(), sent_at: T0, msg: "hello".into(), delay_ms: None, burst, outcome })
}

fn log(service: Service, second: u8, id: &str, endpoint: &str) -> LogLine {
    let raw = format!(
        "2026-11-24 12:00:{second:02},000 service={} endpoint={endpoint} status=ok latency_ms=0 request_id={id}",
        service.name()
    );
    LogLine::parse(service, &raw)
}

#[test]
fn enter_sends_the_message_with_a_fresh_id_and_shows_a_pending_row() {
    let mut app = app();
    let effect = app.on_action(Action::Send, T0);
    let id = app.ids().sign("t3st-0001");
    assert!(id.starts_with("t3st-0001-"), "readable, then the tag: {id}");
    assert_eq!(effect, Some(Effect::Send { id: id.clone(), msg: "hello".into(), delay_ms: None }));
    let Some(Entry::Request(row)) = app.requests.entries().back() else { panic!("no row") };
    assert_eq!(row.outcome, None);
    app.on_event(answer(&id, answered(503, 1003, Some(ErrorKind::Timeout)), false), T0);
    let Some(Entry::Request(row)) = app.requests.entries().back() else { panic!("no row") };
    assert_eq!(row.outcome.as_ref().map(Outcome::status_label).as_deref(), Some("503"));
    assert_eq!(app.requests.entries().len(), 1, "the answer fills the pending row");
    assert_eq!(app.stats.by_error_kind[&ErrorKind::Timeout], 1);
    let Some(Effect::Send { id, .. }) = app.on_action(Action::Send, T0) else { panic!("Enter sends") };
    assert_ne!(id, "t3st-0001", "every request gets its own id");
}

#[test]
fn slow_request_asks_for_a_delay_beyond_the_timeout_and_leaves_a_marker() {
    let mut app = app();
    let effect = app.on_action(Action::SendSlow, T0);
    assert!(matches!(effect, Some(Effect::Send { delay_ms: Some(1300), .. })));
    assert!(
        matches!(app.requests.entries().get(0).expect("an entry"), Entry::Mark(m) if m.text.contains("1300 ms") && m.text.contains("gives up after 1000 ms"))
    );
}

#[test]
fn editing_replaces_on_the_first_key_keeps_on_enter_and_drops_on_esc() {
    let mut app = app();
    app.on_action(Action::StartEditing, T0);
    app.on_action(Action::EditConfirm, T0);
    assert_eq!(app.message, "hello", "Enter with nothing typed keeps the message");
    app.on_action(Action::StartEditing, T0);
    for c in "hello!".chars() {
        app.on_action(Action::EditChar(c), T0);
    }
    app.on_action(Action::EditBackspace, T0);
    app.on_action(Action::EditChar('!'), T0);
    app.on_action(Action::EditConfirm, T0);
    assert_eq!(app.message, "hello!", "the first key typed replaced the message");
    app.on_action(Action::StartEditing, T0);
    app.on_action(Action::EditChar('x'), T0);
    app.on_action(Action::EditClear, T0);
    app.on_action(Action::EditChar('y'), T0);
    app.on_action(Action::EditConfirm, T0);
    assert_eq!(app.message, "y", "Ctrl-U cleared what was typed");
    app.on_action(Action::StartEditing, T0);
    app.on_action(Action::EditChar('x'), T0);
    app.on_action(Action::EditCancel, T0);
    assert_eq!((app.message.as_str(), &app.mode), ("y", &InputMode::Normal));
    app.on_action(Action::StartEditing, T0);
    app.on_action(Action::EditChar('x'), T0);
    app.on_action(Action::EditCancel, T0);
}

#[test]
fn a_message_cannot_grow_past_the_services_limit() {
    let mut app = app();
    app.on_action(Action::StartEditing, T0);
    for _ in 0..MAX_MESSAGE_BYTES + 10 {
        app.on_action(Action::EditChar('x'), T0);
    }
    app.on_action(Action::EditConfirm, T0);
    assert_eq!(app.message.len(), MAX_MESSAGE_BYTES);
}

#[test]
fn a_burst_counts_progress_refuses_a_second_and_can_be_cancelled() {
    let mut app = app();
    let effect = app.on_action(Action::StartBurst, T0);
    assert_eq!(
        effect,
        Some(Effect::StartBurst { requests: 200, concurrency: 20, msg: "hello".into(), id_prefix: "t3st-L1".into() })
    );
    assert_eq!(app.on_action(Action::StartBurst, T0), None);
    assert!(app.note().is_some_and(|n| n.contains("already running")));
    app.on_event(answer("b-1", answered(200, 2, None), true), T0);
    app.on_event(answer("b-2", answered(503, 2, Some(ErrorKind::Connect)), true), T0);
    assert!(app.burst.is_some(), "running");
    let counted = app.session_log.running_burst().expect("its summary");
    assert_eq!((counted.answered, counted.failed()), (2, 1), "counted once, in the burst's summary");
    assert_eq!((app.stats.answered(), app.stats.by_status.get("503")), (2, Some(&1)), "and the numbers agree");
    assert_eq!(app.on_action(Action::Cancel, T0), Some(Effect::CancelBurst));
    assert_eq!(app.on_action(Action::Cancel, T0), None, "cancel once");
    app.on_event(Event::BurstDone { cancelled: true }, T0);
    assert!(app.burst.is_none());
    assert!(
        matches!(app.requests.entries().back(), Some(Entry::Mark(m)) if m.text.starts_with("burst cancelled: 2 of 200"))
    );
}

#[test]
fn service_changes_leave_markers_at_the_current_request_count() {
    let mut app = app();
    app.on_event(Event::Process(Service::A, ProcessState::Starting), T0);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 7 }), T0);
    app.on_event(answer("x", answered(200, 1, None), true), T0);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 7 }), T0);
    app.on_event(Event::Process(Service::A, ProcessState::Running { pid: 7 }), T0);
    app.on_event(Event::Process(Service::A, ProcessState::Stopping), T0);
    app.on_event(Event::Process(Service::A, ProcessState::Stopped), T0);
    let markers: Vec<(String, u64)> = app.requests.marks().map(|m| (m.text.clone(), m.at_request)).collect();
    assert_eq!(
        markers,
        [
            ("A started (pid 7)".to_owned(), 0),
            ("A frozen (SIGSTOP)".to_owned(), 1),
            ("A thawed (SIGCONT)".to_owned(), 1),
            ("A stopped".to_owned(), 1)
        ]
    );
}

#[test]
fn logs_merge_by_time_hide_health_checks_and_filter_by_request() {
    let mut app = app();
    let arrived = T0 + Duration::from_secs(3);
    app.on_event(Event::Logs(vec![log(Service::A, 1, "r1", "/echo"), log(Service::A, 3, "r2", "/echo")]), arrived);
    app.on_event(
        Event::Logs(vec![log(Service::B, 2, "r1", "/call-echo"), log(Service::B, 4, "h", "/health")]),
        arrived,
    );
    let order: Vec<(Service, Option<&str>)> =
        app.logs.visible(app.log_filter()).map(|l| (l.service, l.request_id.as_deref())).collect();
    assert_eq!(order, [(Service::A, Some("r1")), (Service::B, Some("r1")), (Service::A, Some("r2"))]);
    assert_eq!(app.logs.hidden_health, 1);

    app.on_action(Action::Send, T0);
    let id = app.requests.selected_request().map(|r| r.id.clone()).expect("a request");
    app.on_event(Event::Logs(vec![log(Service::B, 5, &id, "/call-echo")]), T0);
    app.on_action(Action::ToggleFilter, T0);
    assert_eq!(app.logs.visible(app.log_filter()).count(), 1);
    app.on_action(Action::ToggleFilter, T0);
    assert_eq!(app.logs.visible(app.log_filter()).count(), 4);
}

#[test]
fn a_line_stamped_in_the_future_or_by_a_clock_that_stepped_back_does_not_stop_the_panel_following() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    let arrival = |second: u64| T0 + Duration::from_secs(second);
    let newest = |app: &Model| app.logs.visible(None).last().and_then(|l| l.request_id.clone());
    // One line from a clock a year ahead, then the usual lines: each new one is the newest.
    let ahead = "2027-11-24 12:00:01,000 service=A endpoint=/echo status=ok latency_ms=0 request_id=ahead";
    app.on_event(Event::Logs(vec![LogLine::parse(Service::A, ahead)]), arrival(1));
    for second in 2..6 {
        app.on_event(
            Event::Logs(vec![log(Service::B, second, &format!("n{second}"), "/call-echo")]),
            arrival(second.into()),
        );
        assert_eq!(newest(&app), Some(format!("n{second}")), "the panel follows past a line from the future");
    }
    // A clock that steps back 30 s: its line arrives last and is shown last.
    app.on_event(Event::Logs(vec![log(Service::A, 10, "behind", "/echo")]), arrival(40));
    assert_eq!(newest(&app).as_deref(), Some("behind"));
    // Within the window lines still merge by their own time.
    app.on_event(Event::Logs(vec![log(Service::B, 41, "b41", "/call-echo")]), arrival(42));
    app.on_event(Event::Logs(vec![log(Service::A, 40, "a40", "/echo")]), arrival(42));
    let last_two: Vec<String> = app.logs.visible(None).rev().take(2).filter_map(|l| l.request_id.clone()).collect();
    assert_eq!(last_two, ["b41", "a40"], "A's 40 s line goes above B's 41 s line");
}

#[test]
fn the_filter_follows_the_selection_and_says_when_the_request_left_the_list() {
    let mut app = app();
    let Some(Effect::Send { id: first, .. }) = app.on_action(Action::Send, T0) else { panic!("Enter sends") };
    app.on_action(Action::ToggleFilter, T0);
    assert_eq!(app.log_filter(), Some(Some(first.as_str())));
    // A slow request: a mark, then the new request, which is now selected (following).
    let Some(Effect::Send { id: slow, .. }) = app.on_action(Action::SendSlow, T0) else { panic!("s sends") };
    assert_eq!(app.log_filter(), Some(Some(slow.as_str())), "the filter follows the newest request");
    app.on_action(Action::SelectUp, T0);
    assert_eq!(app.log_filter(), Some(None), "a mark is selected: nothing to filter by");
    app.on_action(Action::SelectUp, T0);
    assert_eq!(app.log_filter(), Some(Some(first.as_str())));
    // A burst pushes the selected request out of the bounded list: still shown, and said so.
    app.on_action(Action::StartBurst, T0);
    for i in 0..MAX_ENTRIES {
        app.on_event(answer(&format!("b-{i}"), answered(200, 1, None), true), T0);
    }
    assert_eq!(app.requests.evicted_selection(), Some(first.as_str()));
    assert_eq!(app.log_filter(), Some(Some(first.as_str())));
    app.on_action(Action::SelectNewest, T0);
    assert_eq!(app.requests.evicted_selection(), None);
}

#[test]
fn lines_of_earlier_runs_are_not_counted_as_this_sessions_health_checks() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0 + Duration::from_secs(2));
    app.on_event(Event::Logs(vec![log(Service::A, 1, "old", "/echo"), log(Service::A, 3, "h1", "/health")]), T0);
    assert_eq!(app.logs.hidden_health, 1, "only this session's /health line");
    let old = app.logs.visible(None).next().expect("the old line is shown");
    assert!(!app.logs.is_this_session(old));
}

#[test]
fn notes_expire() {
    let mut app = app();
    app.on_event(Event::Note("B started".into()), T0);
    app.on_event(Event::Health(Service::A, Health::Down), T0 + Duration::from_secs(5));
    assert_eq!(app.note(), Some("B started"));
    app.on_event(Event::Health(Service::A, Health::Down), T0 + Duration::from_secs(9));
    assert_eq!(app.note(), None);
}

#[test]
fn an_attached_service_whose_lines_never_arrive_logs_elsewhere() {
    let mut app = app();
    for second in 0..5 {
        app.on_event(Event::Health(Service::A, Health::Up { latency: Duration::from_millis(1) }), T0);
        app.on_event(Event::Health(Service::B, Health::Up { latency: Duration::from_millis(1) }), T0);
        app.on_event(Event::Logs(vec![log(Service::B, second, "h", "/health")]), T0);
    }
    assert!(app.logs.logs_elsewhere(Service::A));
    assert!(!app.logs.logs_elsewhere(Service::B));
}

#[test]
fn filter_without_a_selected_request_explains_itself() {
    let mut app = app();
    app.on_action(Action::ToggleFilter, T0);
    assert_eq!(app.log_filter(), Some(None));
    assert!(app.note().is_some_and(|n| n.contains("not a request")));
}

#[test]
fn selection_moves_and_returns_to_following() {
    let mut app = app();
    for _ in 0..3 {
        app.on_action(Action::Send, T0);
    }
    assert_eq!(app.requests.selected_index(), Some(2));
    app.on_action(Action::SelectUp, T0);
    app.on_action(Action::SelectUp, T0);
    app.on_action(Action::SelectUp, T0);
    assert_eq!(app.requests.selected_index(), Some(0));
    app.on_action(Action::SelectDown, T0);
    app.on_action(Action::SelectDown, T0);
    app.on_action(Action::SelectDown, T0);
    assert!(app.requests.is_following(), "past the newest row: following again");
    app.on_action(Action::Send, T0);
    assert_eq!(app.requests.selected_index(), Some(3));
}

#[test]
fn history_is_bounded() {
    let mut app = app();
    for i in 0..MAX_ENTRIES + 50 {
        app.on_event(answer(&format!("b-{i}"), answered(200, 1, None), true), T0);
    }
    for i in 0..MAX_LOG_LINES + 50 {
        let second = u8::try_from(i % 60).unwrap_or(0);
        app.on_event(Event::Logs(vec![log(Service::A, second, "x", "/echo")]), T0);
    }
    assert_eq!(app.requests.entries().len(), MAX_ENTRIES);
    assert_eq!(app.logs.len(), MAX_LOG_LINES);
    assert_eq!(app.stats.total, (MAX_ENTRIES + 50) as u64);
}

#[test]
fn pausing_keeps_the_view_still_while_lines_arrive() {
    let mut app = app();
    app.on_action(Action::TogglePause, T0);
    app.on_event(Event::Logs(vec![log(Service::A, 1, "a", "/echo"), log(Service::A, 2, "b", "/echo")]), T0);
    assert!(app.logs.paused);
    assert_eq!(app.logs.scroll, 2);
    app.on_action(Action::TogglePause, T0);
    assert_eq!((app.logs.paused, app.logs.scroll), (false, 0));
}

#[test]
fn quit_works_in_any_state_and_says_what_happens_next() {
    let mut app = app();
    app.on_action(Action::StartBurst, T0);
    app.on_action(Action::ToggleHelp, T0);
    assert!(!app.is_quitting());
    assert_eq!(app.on_action(Action::Quit, T0), None);
    assert!(app.is_quitting());
    assert!(app.note().is_some_and(|n| n.contains("stopping the services")));
}

#[test]
fn stop_and_freeze_keys_explain_what_they_cannot_do_to_an_attached_service() {
    let mut app = app();
    app.on_event(Event::Process(Service::B, ProcessState::Attached), T0);
    app.on_event(Event::Health(Service::B, Health::Up { latency: Duration::from_millis(1) }), T0);
    assert_eq!(app.on_action(Action::ToggleB, T0), None);
    assert!(app.note().is_some_and(|n| n.contains("stop it where you started it")));
    app.on_event(Event::Process(Service::A, ProcessState::Attached), T0);
    assert_eq!(app.on_action(Action::ToggleFreeze, T0), None);
    assert!(app.note().is_some_and(|n| n.contains("kill -STOP $(lsof -t -sTCP:LISTEN -i :8080)")), "{:?}", app.note());
    // An attached service that went away may be replaced by one of the dashboard's own.
    app.on_event(Event::Health(Service::B, Health::Down), T0);
    assert_eq!(app.on_action(Action::ToggleB, T0), Some(Effect::ToggleRunning { service: Service::B, b_policy: None }));
}

#[test]
fn the_session_log_keeps_every_request_sent_by_hand_through_bursts() {
    let mut app = app();
    let Some(Effect::Send { id: first, .. }) = app.on_action(Action::Send, T0) else { panic!("Enter sends") };
    app.on_event(answer(&first, answered(503, 2, Some(ErrorKind::Connect)), false), T0);
    app.on_action(Action::StartBurst, T0);
    // Answered in another order than sent: the last one sent comes back first.
    for i in (0..MAX_ENTRIES + 10).rev() {
        let kind = (i % 2 == 0).then_some(ErrorKind::Timeout);
        let status = if kind.is_some() { 503 } else { 200 };
        app.on_event(answer(&format!("b-{i:06}"), answered(status, 5, kind), true), T0);
    }
    app.on_event(Event::BurstDone { cancelled: false }, T0);
    assert!(app.requests.pending_mut(&first).is_none());
    let manual: Vec<&str> = app.session_log.manual.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(manual, [first.as_str()], "the list on screen lost it; the session log did not");
    assert_eq!(
        app.session_log.manual.get(0).and_then(|r| r.outcome.as_ref()).map(Outcome::status_label).as_deref(),
        Some("503")
    );
    let burst = app.session_log.bursts.get(0).expect("one burst");
    assert_eq!((burst.answered, burst.by_status["503"], burst.by_error_kind[&ErrorKind::Timeout]), (2010, 1005, 1005));
    assert_eq!((burst.first_id.as_deref(), burst.last_id.as_deref()), (Some("b-000000"), Some("b-002009")));
    assert!(burst.ended_at.is_some() && !burst.cancelled);
    assert_eq!(burst.percentiles().p50, 5.0);
}

#[test]
fn a_steady_load_starts_reports_and_stops_on_l() {
    let mut app = app();
    let Some(Effect::StartLoad { rate, id_prefix, .. }) = app.on_action(Action::ToggleLoad, T0) else {
        panic!("l starts a load")
    };
    assert_eq!((rate, id_prefix.as_str()), (20, "t3st-S1"));
    app.on_event(Event::LoadSent(10), T0);
    app.on_event(Event::LoadSent(30), T0 + Duration::from_secs(1));
    app.on_event(Event::LoadAnswer(Answer { id: "t3st-S1-000000".into(), ..answer_of(answered(200, 3, None)) }), T0);
    let load = app.load.as_ref().expect("running");
    let counted = app.session_log.running_load();
    assert_eq!((load.sent, counted.map(|load| load.answered), load.in_flight(counted)), (30, Some(1), 29));
    assert_eq!(load.achieved(), Some(20.0));
    assert_eq!(app.on_action(Action::ToggleLoad, T0), Some(Effect::StopLoad));
    assert!(app.load.as_ref().is_some_and(|load| load.stopping));
    app.on_event(Event::LoadDone, T0 + Duration::from_secs(2));
    assert!(app.load.is_none());
    let marks: Vec<&str> = app.requests.marks().map(|m| m.text.as_str()).collect();
    assert_eq!(
        marks,
        ["steady load: 20 requests/s (l stops it)", "steady load stopped: 30 sent, 1 answered, 0 failed"]
    );
    let summary = app.session_log.bursts.get(0).expect("the load is summarised");
    assert_eq!((summary.requests, summary.answered), (1, 1));
}

#[test]
fn b_s_answers_tell_what_b_sees_of_a() {
    let mut app = app();
    assert_eq!(app.b_sees_a, None);
    app.on_event(answer("x", answered(503, 1001, Some(ErrorKind::Timeout)), true), T0);
    assert_eq!(app.b_sees_a, Some(BSeesA { failure: Some(ErrorKind::Timeout), at: T0 }));
    let later = T0 + Duration::from_secs(3);
    app.on_event(answer("y", answered(200, 2, None), true), later);
    assert_eq!(app.b_sees_a, Some(BSeesA { failure: None, at: later }));
}

#[test]
fn n_cycles_the_link_once_it_is_up_and_marks_each_change() {
    let mut app = app();
    assert_eq!(app.on_action(Action::CycleLink, T0), None, "no link yet");
    app.on_event(Event::LinkUp { addr: "127.0.0.1:5000".into() }, T0);
    let modes: Vec<Option<Effect>> = (0..9).map(|_| app.on_action(Action::CycleLink, T0)).collect();
    let ids = ["delay", "partition", "reset", "flaky", "answers-lost", "requests-lost", "slow-link", "lose-next"];
    let mut expected: Vec<Option<Effect>> = ids.iter().map(|id| Some(Effect::SetLink(Some(*id)))).collect();
    expected.push(Some(Effect::SetLink(None)));
    assert_eq!(modes, expected);
    let marks: Vec<&str> = app.requests.marks().map(|m| m.text.as_str()).collect();
    assert_eq!(
        marks[..3],
        ["link: delay (latency↓ 300±100 ms)", "link: partition (timeout↑ + timeout↓)", "link: reset (reset_peer↓)"]
    );
    assert_eq!(marks[4], "link: answers lost (timeout↓)");
    assert_eq!(marks.last(), Some(&"link: ok"));
    app.on_event(Event::Process(Service::B, ProcessState::Attached), T0);
    app.on_action(Action::CycleLink, T0);
    assert!(app.note().is_some_and(|n| n.contains("--service-a-url http://127.0.0.1:5000")));
}

#[test]
fn a_new_budget_for_b_is_told_to_the_runtime_once_and_b_starts_again_with_the_policy() {
    use contract::policy::{BreakerPhase, Policy, PolicyStatus};
    let mut app = app();
    let status = |timeout_ms| PolicyStatus {
        policy: Policy { timeout_ms, ..Policy::default() },
        breaker_state: BreakerPhase::Off,
        breaker_failures: 0,
        breaker_reopens_in_ms: None,
    };
    let seen = |timeout_ms| Event::Policy { seen: Ok(status(timeout_ms)), answers_change: false };
    assert!(app.on_event(seen(1_000), T0).is_empty(), "the budget it started with");
    assert_eq!(app.on_event(seen(1_500), T0), [Effect::WaitForB(super::b_wait(1_500))]);
    assert!(app.on_event(seen(1_500), T0).is_empty(), "said once");
    app.on_event(Event::Process(Service::B, ProcessState::Running { pid: 7 }), T0);
    let started_again = app.on_action(Action::ToggleB, T0);
    assert!(
        matches!(started_again, Some(Effect::ToggleRunning { service: Service::B, b_policy: Some(policy) }) if policy.timeout_ms == 1_500),
        "{started_again:?}"
    );
}

#[test]
fn following_selects_the_newest_request_not_a_mark_after_it() {
    let mut app = app();
    app.on_action(Action::Send, T0);
    app.on_event(Event::Process(Service::A, ProcessState::Frozen { pid: 9 }), T0);
    assert!(app.requests.is_following());
    assert!(
        matches!(app.requests.selected(), Some(Entry::Request(request)) if request.id == app.ids().sign("t3st-0001")),
        "{:?}",
        app.requests.selected()
    );
    // Up from there goes to the entry before the request; Down twice follows again.
    app.on_action(Action::SelectUp, T0);
    assert!(!app.requests.is_following());
    app.on_action(Action::SelectDown, T0);
    app.on_action(Action::SelectDown, T0);
    app.on_action(Action::SelectDown, T0);
    assert!(app.requests.is_following());
}

#[test]
fn answers_of_a_load_take_their_place_by_the_time_they_were_sent() {
    let mut app = app();
    app.on_action(Action::ToggleLoad, T0);
    let at = |ms: u64| T0 + Duration::from_millis(ms);
    let load_answer = |id: &str, sent_ms: u64| {
        Event::LoadAnswer(Answer { id: id.into(), sent_at: at(sent_ms), ..answer_of(answered(200, 3, None)) })
    };
    // Answered out of order: the later one first.
    app.on_event(load_answer("t3st-S1-000001", 100), at(150));
    app.on_event(load_answer("t3st-S1-000000", 50), at(160));
    let times: Vec<OffsetDateTime> = app.requests.entries().iter().map(Entry::time).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    let ids: Vec<&str> = app
        .requests
        .entries()
        .iter()
        .filter_map(|entry| match entry {
            Entry::Request(request) => Some(request.id.as_str()),
            Entry::Mark(_) => None,
        })
        .collect();
    assert_eq!(ids, ["t3st-S1-000000", "t3st-S1-000001"]);
}

#[test]
fn a_selected_entry_stays_selected_when_an_older_answer_is_put_before_it() {
    let mut app = app();
    app.on_action(Action::ToggleLoad, T0);
    let at = |ms: u64| T0 + Duration::from_millis(ms);
    let load_answer = |id: &str, sent_ms: u64| {
        Event::LoadAnswer(Answer { id: id.into(), sent_at: at(sent_ms), ..answer_of(answered(200, 3, None)) })
    };
    app.on_event(load_answer("t3st-S1-000002", 200), at(210));
    app.on_action(Action::SelectUp, T0);
    app.on_action(Action::SelectDown, T0);
    let selected = |app: &Model| app.requests.selected_request().map(|request| request.id.clone());
    assert_eq!(selected(&app).as_deref(), Some("t3st-S1-000002"));
    app.on_event(load_answer("t3st-S1-000001", 100), at(220));
    assert_eq!(selected(&app).as_deref(), Some("t3st-S1-000002"), "the selection follows its entry");
}

#[test]
fn a_line_under_an_id_the_dashboard_did_not_send_is_shown_but_is_no_evidence() {
    let mut app = app();
    app.on_event(Event::SessionStarted, T0);
    let retried = |id: &str| {
        LogLine::parse(
            Service::B,
            &format!(
                "2026-11-24 12:00:01,000 service=B endpoint=/call-echo status=ok tries=3 latency_ms=9 request_id={id}"
            ),
        )
    };
    // Another client's line, or one forged under a guessed id: the next
    // readable id without the tag, and the real tag of another id.
    let real = app.ids().sign("t3st-0001");
    let tag = real.rsplit('-').next().unwrap_or_default();
    for forged in ["t3st-0001".to_owned(), format!("t3st-0002-{tag}"), "c0ffee-0001".to_owned()] {
        app.on_event(Event::Logs(vec![retried(&forged)]), T0);
        assert_eq!(app.guide.done[5], None, "{forged} ticked A retry");
        assert!(
            app.logs.visible(None).any(|line| line.request_id.as_deref() == Some(forged.as_str())),
            "{forged} is shown"
        );
    }
    assert_eq!(app.work.total, (0, 0), "no forged line is counted as B's call");
    // The same line under the id the dashboard sent is evidence.
    app.on_event(Event::Logs(vec![retried(&real)]), T0);
    assert_eq!(app.guide.done[5].as_deref(), Some(real.as_str()));
    assert_eq!(app.work.total, (0, 1));
}

#[test]
fn the_links_limits_are_said_once_per_episode_not_once_per_report() {
    let mut app = app();
    let report = |refused: u64, open: u64, idle_closed: u64, accept_failed: u64| {
        Event::Link(crate::msg::LinkReport {
            counters: crate::msg::LinkCounters {
                open,
                refused,
                idle_closed,
                accept_failed,
                accept_error: Some(24),
                limits: crate::msg::LinkLimits::default(),
                ..Default::default()
            },
            enabled: true,
            toxics: Vec::new(),
        })
    };
    let marks = |app: &Model| -> Vec<String> {
        app.requests
            .entries()
            .iter()
            .filter_map(|entry| match entry {
                Entry::Mark(mark) => Some(mark.text.clone()),
                Entry::Request(_) => None,
            })
            .collect()
    };
    // A flood of refusals over several reports: one mark.
    for refused in 1..5 {
        app.on_event(report(refused * 100, 256, 0, 0), T0);
    }
    assert_eq!(marks(&app).len(), 1, "{:?}", marks(&app));
    assert!(marks(&app)[0].contains("cap of 256 open connections"), "{:?}", marks(&app));
    // It ends (connections closed), then starts again: a second mark.
    app.on_event(report(400, 10, 0, 0), T0);
    app.on_event(report(401, 256, 0, 0), T0);
    assert_eq!(marks(&app).len(), 2);
    // Quiet connections closed, and the dashboard out of descriptors: named.
    app.on_event(report(401, 256, 3, 0), T0);
    assert!(marks(&app)[2].contains("link closing quiet connections: nothing sent within 10 s"), "{:?}", marks(&app));
    app.on_event(report(401, 256, 9, 0), T0);
    assert_eq!(marks(&app).len(), 3, "closing more in the same episode: no new mark");
    app.on_event(report(401, 256, 3, 7), T0);
    if cfg!(unix) {
        assert!(marks(&app)[3].ends_with("out of file descriptors (too many open files)"), "{:?}", marks(&app));
    }
}

#[test]
fn v_with_the_guide_open_closes_it_to_show_the_view_and_says_so() {
    let mut app = app();
    app.on_action(Action::ToggleGuide, T0);
    assert!(app.guide.open);
    app.on_action(Action::NextView, T0);
    assert!(!app.guide.open, "the view it would hide is shown");
    assert!(app.note().is_some_and(|note| note.contains("g opens the guide")), "{:?}", app.note());
}

#[test]
fn pasted_text_goes_into_the_message_while_editing_and_is_never_run_as_keys() {
    let mut app = app();
    // Not editing: a paste of "q0a" must not quit, undo or stop A.
    assert_eq!(app.on_action(Action::Paste("q0a".into()), T0), None);
    assert!(!app.is_quitting());
    assert!(app.note().is_some_and(|note| note.contains("press e first")), "{:?}", app.note());
    app.on_action(Action::StartEditing, T0);
    app.on_action(Action::Paste("two\nlines\u{1b}[31m".into()), T0);
    app.on_action(Action::EditConfirm, T0);
    assert_eq!(app.message, "two lines\u{1b}[31m", "one line, kept as typed (shown made safe)");
}

#[test]
fn a_flood_of_other_lines_cannot_push_the_dashboards_own_evidence_out() {
    let mut app = app();
    let Some(Effect::Send { id, .. }) = app.on_action(Action::Send, T0) else { panic!("Enter sends") };
    let arrived = T0 + Duration::from_secs(1);
    app.on_event(Event::Logs(vec![log(Service::A, 1, &id, "/echo"), log(Service::B, 1, &id, "/call-echo")]), arrived);
    // Someone floods A's log with more lines than the panel keeps.
    for chunk in 0..(MAX_LOG_LINES / 500 + 2) {
        let flood = (0..500).map(|n| log(Service::A, 1, &format!("flood-{chunk}-{n}"), "/echo")).collect();
        app.on_event(Event::Logs(flood), arrived);
    }
    let own: Vec<Service> = app.logs.visible(Some(Some(id.as_str()))).map(|line| line.service).collect();
    assert_eq!(own, [Service::A, Service::B], "both halves of the request are still there");
    assert!(app.logs.len() <= 2 * MAX_LOG_LINES, "still bounded: {}", app.logs.len());
}

#[test]
fn request_lines_without_ids_are_said_once_per_service() {
    let mut app = app();
    let bare = |service: Service, endpoint: &str| {
        let raw =
            format!("2026-11-24 12:00:01,000 service={} endpoint={endpoint} status=ok latency_ms=0", service.name());
        LogLine::parse(service, &raw)
    };
    app.on_event(Event::Logs(vec![bare(Service::A, "/health")]), T0);
    assert_eq!(app.note(), None, "a health check is not a request line of the lab");
    app.on_event(Event::Logs(vec![bare(Service::A, "/echo"), bare(Service::A, "/echo")]), T0);
    assert!(
        app.note().is_some_and(|note| note.starts_with("A's request lines carry no request_id")),
        "{:?}",
        app.note()
    );
    app.on_event(Event::Note("something else".into()), T0);
    app.on_event(Event::Logs(vec![bare(Service::A, "/echo")]), T0);
    assert_eq!(app.note(), Some("something else"), "said once");
    app.on_event(Event::Logs(vec![bare(Service::B, "/call-echo")]), T0);
    assert!(app.note().is_some_and(|note| note.starts_with("B's request lines")), "{:?}", app.note());
}

/// A's host clock 3 s ahead: its line reads 3 s after B's, which no trace
/// may show as A working 3 s after B answered; the round trips bound the
/// offset and the trace corrects A's times, saying so.
#[test]
fn a_clock_ahead_is_estimated_from_round_trips_and_corrected_in_the_trace() {
    let mut app = app();
    let line = |service: Service, at: &str, id: &str| {
        let endpoint = if service == Service::A { "/echo" } else { "/call-echo" };
        let raw = format!(
            "2026-11-24 {at} service={} endpoint={endpoint} status=ok latency_ms=0 request_id={id}",
            service.name()
        );
        LogLine::parse(service, &raw)
    };
    let ms = time::Duration::milliseconds;
    for n in 0..3_i64 {
        let sent = T0 + ms(n * 100);
        let Some(Effect::Send { id, .. }) = app.on_action(Action::Send, sent) else { panic!("Enter sends") };
        let event = Event::Answer(Answer {
            id: id.clone(),
            sent_at: sent,
            msg: "hello".into(),
            delay_ms: None,
            burst: false,
            outcome: answered(200, 10, None),
        });
        app.on_event(event, sent + ms(10));
        let (a_at, b_at) = (format!("12:00:03,{:03}", n * 100 + 4), format!("12:00:00,{:03}", n * 100 + 8));
        app.on_event(Event::Logs(vec![line(Service::A, &a_at, &id), line(Service::B, &b_at, &id)]), sent + ms(20));
    }
    let offset = app.clocks.offset(Service::A).expect("estimated");
    assert!((2_990..=3_010).contains(&offset.ms) && offset.bound_ms <= 10, "{offset:?}");
    assert!(!app.clocks.offset(Service::B).expect("estimated").is_off(), "B's clock is the dashboard's");
    let trace = app.selected_trace().expect("the newest request's trace");
    let caveat = trace.caveat.clone().unwrap_or_default();
    let said = format!(
        "A's clock is {} ms ahead of the dashboard's (±{} ms): its times here are corrected",
        offset.ms, offset.bound_ms
    );
    assert_eq!(caveat, said);
    let rows: Vec<String> = crate::model::trace::render(&trace).into_iter().map(|(_, row)| row).collect();
    let a_row = rows.iter().find(|row| row.contains("A got it")).expect("A's hop");
    let at: i64 = a_row.split_whitespace().next().and_then(|ms| ms.trim_start_matches('+').parse().ok()).unwrap();
    assert!((0..=10).contains(&at), "A got it within the round trip, not 3 s later: {rows:?}");
}
