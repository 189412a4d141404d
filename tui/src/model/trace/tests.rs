//! The trace's rules: each hop from the dashboard's answer and both logs.

use std::time::Duration;

use contract::{ErrorKind, Service};
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::model::requests::{AState, Conditions, SentRequest};
use crate::msg::{LinkCondition, LogLine, Outcome};

const T0: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

fn sent(delay_ms: Option<u64>, outcome: Option<Outcome>, conditions: Conditions) -> SentRequest {
    SentRequest { id: "t-1".into(), sent_at: T0, msg: "hi".into(), delay_ms, burst: false, outcome, conditions }
}

fn answered(status: u16, ms: u64, kind: Option<ErrorKind>) -> Option<Outcome> {
    Some(Outcome::Answered {
        status,
        latency: Duration::from_millis(ms),
        error_kind: kind,
        upstream_ms: None,
        body: String::new(),
    })
}

/// A log line of `service` ending `end_ms` after T0.
fn line(service: Service, end_ms: i64, fields: &str) -> LogLine {
    let mut raw = String::new();
    contract::logline::write_timestamp(&mut raw, T0 + time::Duration::milliseconds(end_ms));
    let endpoint = if service == Service::A { "/echo" } else { "/call-echo" };
    raw.push_str(&format!(" service={} endpoint={endpoint} {fields} request_id=t-1", service.name()));
    LogLine::parse(service, &raw)
}

fn texts(trace: &Trace) -> Vec<String> {
    trace.hops.iter().map(|hop| format!("{:?} {}", hop.at_ms, hop.text)).collect()
}

#[test]
fn a_success_shows_each_hop_with_where_the_time_went() {
    let a = line(Service::A, 3, "status=ok latency_ms=1");
    let b = line(Service::B, 4, "status=ok latency_ms=3");
    let trace = build(&sent(None, answered(200, 5, None), Conditions::default()), &[&b, &a]);
    assert_eq!(
        texts(&trace),
        [
            "Some(0) sent /call-echo",
            "Some(1) B got it",
            "Some(2) A got it",
            "Some(3) A answered ok after 1 ms of work",
            "Some(4) 200"
        ]
    );
    assert_eq!((trace.orphan, trace.missing.as_deref()), (None, None));
    let rows: Vec<String> = render(&trace).into_iter().map(|(_, row)| row).collect();
    println!("{}", rows.join("\n"));
    assert_eq!(rows[0], "       ms  dashboard    B     link      A");
    assert_eq!(rows[1], "       +0      ●────────▶       │       │  sent /call-echo");
    assert_eq!(rows[4], "       +3      │        ◀───────────────●  A answered ok after 1 ms of work");
}

#[test]
fn a_stopped_a_is_drawn_as_a_missing_hop_with_the_reason() {
    let b = line(Service::B, 2, r#"status=error error_kind=connect error="cannot connect" latency_ms=1"#);
    let stopped = Conditions { a: AState::Down, link: LinkCondition::Healthy };
    let trace = build(&sent(None, answered(503, 3, Some(ErrorKind::Connect)), stopped), &[&b]);
    assert_eq!(trace.missing.as_deref(), Some("A never got it: A was stopped"));
    let missing = trace.hops.iter().find(|hop| hop.kind == HopKind::Missing).expect("a missing hop");
    assert_eq!((missing.from, missing.to, missing.at_ms), (Lane::B, Lane::A, None));
    assert!(render(&trace).iter().any(|(_, row)| row.contains("╌╌╳  A never got it: A was stopped")));
    assert_eq!(trace.hops.last().unwrap().text, "503 connect: B could not connect");
}

#[test]
fn a_frozen_a_and_a_partitioned_link_say_which_it_was() {
    let b = line(Service::B, 1001, r#"status=error error_kind=timeout error="too slow" latency_ms=1000"#);
    let frozen = Conditions { a: AState::Frozen, link: LinkCondition::Healthy };
    let trace = build(&sent(None, answered(503, 1002, Some(ErrorKind::Timeout)), frozen), &[&b]);
    assert_eq!(trace.missing.as_deref(), Some("A never got it: A was frozen (it reads it when thawed)"));
    let partitioned = Conditions { a: AState::Up, link: LinkCondition::Fault("partition") };
    let trace = build(&sent(None, answered(503, 1002, Some(ErrorKind::Timeout)), partitioned), &[&b]);
    assert_eq!(trace.missing.as_deref(), Some("A never got it: the link was partitioned"));
    let lost = trace.hops.iter().find(|hop| hop.kind == HopKind::Missing).unwrap();
    assert_eq!(lost.to, Lane::Link, "lost on the link, not at A");
}

#[test]
fn a_slow_a_answering_after_b_gave_up_is_orphaned_work_drawn_after_b_s_answer() {
    let b = line(Service::B, 1001, r#"status=error error_kind=timeout error="too slow" latency_ms=1000"#);
    let a = line(Service::A, 1301, "status=ok latency_ms=1300");
    let trace =
        build(&sent(Some(1300), answered(503, 1002, Some(ErrorKind::Timeout)), Conditions::default()), &[&a, &b]);
    assert_eq!(trace.orphan, Some(Orphan { after_ms: 300, a_ok: true }));
    let last = trace.hops.last().unwrap();
    assert_eq!((last.kind, last.at_ms), (HopKind::Orphaned, Some(1301)), "A's answer comes after B's");
    assert!(last.text.contains("300 ms after B gave up"), "{}", last.text);
    assert_eq!(
        trace.summary().as_deref(),
        Some("Orphaned work: A answered 300 ms after B had given up; nobody was waiting for it.")
    );
    // A that stopped when B hung up is not orphaned work.
    let stopped = line(
        Service::A,
        1002,
        r#"status=error error="the client closed the connection before the answer" latency_ms=1001"#,
    );
    let trace =
        build(&sent(Some(1300), answered(503, 1002, Some(ErrorKind::Timeout)), Conditions::default()), &[&stopped, &b]);
    assert_eq!(trace.orphan, None);
}

#[test]
fn retries_show_each_try_the_lost_ones_first() {
    let a = line(Service::A, 520, "status=ok latency_ms=0");
    let b = line(Service::B, 521, "status=ok tries=2 latency_ms=520");
    let flaky = Conditions { a: AState::Up, link: LinkCondition::Fault("flaky") };
    let trace = build(&sent(None, answered(200, 522, None), flaky), &[&a, &b]);
    let tries: Vec<&str> = trace.hops.iter().filter(|h| h.text.starts_with("try")).map(|h| h.text.as_str()).collect();
    assert_eq!(tries, ["try 1: A never got it: the flaky link lost it", "try 2: A got it"]);
}

#[test]
fn the_breaker_refusal_has_no_call_to_a() {
    let b = line(Service::B, 1, r#"status=error error_kind=circuit_open error="open" latency_ms=0"#);
    let trace = build(&sent(None, answered(503, 2, Some(ErrorKind::CircuitOpen)), Conditions::default()), &[&b]);
    assert!(trace.hops.iter().all(|hop| hop.to != Lane::A && hop.from != Lane::A), "{:?}", texts(&trace));
    assert!(trace.hops.last().unwrap().text.contains("B did not call A"));
    assert_eq!(trace.missing, None);
}

#[test]
fn a_missing_b_line_and_clocks_a_few_ms_apart_still_give_a_trace() {
    // No line from B yet; A's clock a little behind the dashboard's.
    let a = line(Service::A, -2, "status=ok latency_ms=0");
    let trace = build(&sent(None, answered(200, 3, None), Conditions::default()), &[&a]);
    assert_eq!(
        texts(&trace),
        [
            "Some(0) sent /call-echo",
            "None no line from B (yet)",
            "Some(0) A got it",
            "Some(0) A answered ok after 0 ms of work",
            "Some(3) 200"
        ]
    );
    // Still waiting for B: the trace says so.
    let trace = build(&sent(None, None, Conditions::default()), &[]);
    assert_eq!(trace.hops.last().unwrap().text, "waiting for B's answer");
}

#[test]
fn answers_lost_with_a_retry_draw_both_tries_a_did_and_where_each_answer_was_lost() {
    let first = line(Service::A, 7, "status=ok latency_ms=0");
    let second = line(Service::A, 518, "status=ok latency_ms=0");
    let b = line(Service::B, 1006, r#"status=error error_kind=timeout error="did not answer" tries=2 latency_ms=1001"#);
    let lost = Conditions { a: AState::Up, link: LinkCondition::Fault("answers-lost") };
    let trace = build(&sent(None, answered(503, 1006, Some(ErrorKind::Timeout)), lost), &[&first, &second, &b]);
    let answers: Vec<&Hop> = trace.hops.iter().filter(|hop| hop.from == Lane::A).collect();
    assert_eq!(answers.len(), 2, "{:?}", texts(&trace));
    for answer in answers {
        assert_eq!((answer.to, answer.kind), (Lane::Link, HopKind::Missing), "lost on the link, not received by B");
        assert!(
            answer.text.contains("A answered ok") && answer.text.contains("the link lost the answer"),
            "{}",
            answer.text
        );
    }
    assert_eq!(trace.hops.iter().filter(|hop| hop.text.contains("A got it")).count(), 2, "A did the work twice");
}

#[test]
fn a_200_whose_line_from_a_is_not_read_yet_never_says_a_never_got_it() {
    let b = line(Service::B, 4, "status=ok latency_ms=3");
    let flaky = Conditions { a: AState::Up, link: LinkCondition::Fault("flaky") };
    let trace = build(&sent(None, answered(200, 5, None), flaky), &[&b]);
    let to_a: Vec<&Hop> = trace.hops.iter().filter(|hop| hop.from == Lane::B && hop.kind == HopKind::Missing).collect();
    assert_eq!(to_a.len(), 1, "{:?}", texts(&trace));
    assert_eq!((to_a[0].to, to_a[0].text.as_str()), (Lane::A, "no line from A (yet)"));
}

#[test]
fn an_answer_lost_to_toxics_set_through_the_api_ends_on_the_link() {
    let a = line(Service::A, 3, "status=ok latency_ms=0");
    let b = line(Service::B, 1002, r#"status=error error_kind=timeout error="did not answer" latency_ms=1000"#);
    let other = Conditions { a: AState::Up, link: LinkCondition::Other };
    let trace = build(&sent(None, answered(503, 1003, Some(ErrorKind::Timeout)), other), &[&a, &b]);
    let answer = trace.hops.iter().find(|hop| hop.from == Lane::A).expect("A's answer");
    assert_eq!((answer.to, answer.kind), (Lane::Link, HopKind::Missing), "{:?}", texts(&trace));
    assert!(answer.text.contains("set through its API"), "{}", answer.text);
}

#[test]
fn an_error_a_answered_on_purpose_is_not_said_to_be_a_giving_up() {
    let a = line(Service::A, 1, r#"status=error fault=error_status error="injected fault" latency_ms=0"#);
    let b = line(Service::B, 2, r#"status=error error_kind=status error="service A answered 500" latency_ms=1"#);
    let trace = build(&sent(None, answered(503, 3, Some(ErrorKind::Status)), Conditions::default()), &[&a, &b]);
    let texts: Vec<&str> = trace.hops.iter().map(|hop| hop.text.as_str()).collect();
    assert!(
        texts.iter().any(|text| text.starts_with("A answered an error on purpose (fault=error_status)")),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|text| text.contains("A gave up")), "{texts:?}");
}
