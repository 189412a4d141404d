//! The guided lab (`g`): the lab's experiments in order, each with what to
//! press and what to look for, ticked off when the dashboard sees it happen,
//! with the request id as evidence. It can be closed and opened again at any
//! time; the other keys work while it is open.

use contract::ErrorKind;

use super::requests::{AState, Conditions};
use contract::Service;

use super::duplicates::Change;
use crate::msg::{LinkCondition, LogLine, Outcome};

/// What the dashboard saw that a step may be shown by.
#[derive(Debug, Clone, Copy)]
pub enum Seen<'a> {
    /// B's answer to a request, sent under `conditions`, with `delay_ms`.
    Answer { outcome: &'a Outcome, delay_ms: Option<u64>, conditions: Conditions },
    /// A line of either log.
    Line(&'a LogLine),
    /// What both logs together say of a request's work, and the conditions
    /// the request was sent under, when the dashboard still knows them.
    Work { change: Change, conditions: Option<Conditions> },
}

/// One experiment of the lab: what to press, what to look for, and the
/// evidence that shows it (a predicate, as the report's questions have).
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub title: &'static str,
    /// What to press (keys named through [`crate::keys::fill`]).
    pub press: &'static str,
    /// What to look for on the screen and in the logs.
    pub look_for: &'static str,
    pub shown_by: fn(&Seen<'_>) -> bool,
    /// What the step starts from; what an earlier step left otherwise is
    /// said first ([`Step::first`]).
    pub starts: Starts,
}

/// What a step expects of the lab when it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Starts {
    /// A running and thawed (its own keys start or stop it otherwise).
    pub a_up: bool,
    /// No steady load running.
    pub no_load: bool,
}

/// A up, no load: where most steps begin.
const CALM: Starts = Starts { a_up: true, no_load: true };
/// The step's own keys set A as it needs.
const ANY_A: Starts = Starts { a_up: false, no_load: true };

impl Step {
    /// What to press, with the keys' names filled in.
    pub fn press(&self) -> String {
        crate::keys::fill(self.press)
    }

    /// What to undo first of what the lab is in now (`a`: A's state, `a_ours`:
    /// the dashboard started A, `load`: a steady load runs), for this step to
    /// show what it says: "f (thaw A)", "l (stop the load)". Empty when ready.
    pub fn first(&self, a: AState, a_ours: bool, load: bool) -> Vec<String> {
        let mut first = Vec::new();
        if self.starts.a_up {
            match a {
                AState::Up => {}
                AState::Frozen => first.push(crate::keys::fill("{key:freeze} (thaw A)")),
                AState::Down | AState::Crashed if a_ours => first.push(crate::keys::fill("{key:a} (start A)")),
                AState::Down | AState::Crashed => first.push("start A again where it was started".to_owned()),
            }
        }
        if self.starts.no_load && load {
            first.push(crate::keys::fill("{key:load} (stop the load)"));
        }
        first
    }
}

fn answer_kind(seen: &Seen<'_>) -> Option<(Option<ErrorKind>, Conditions, Option<u64>, bool)> {
    match seen {
        Seen::Answer { outcome, delay_ms, conditions } => {
            Some((outcome.error_kind(), *conditions, *delay_ms, outcome.is_ok()))
        }
        _ => None,
    }
}

/// The lab, in order: the failures of A, the network, B's policy, then the
/// failures where the work and the answer part ways.
pub const STEPS: [Step; 13] = [
    Step {
        title: "One that works",
        press: "{key:send}",
        look_for: "200 in a few ms; one line in B's log and one in A's, with the same request_id",
        shown_by: |seen| matches!(answer_kind(seen), Some((_, c, _, true)) if c.link == LinkCondition::Healthy),
        starts: CALM,
    },
    Step {
        title: "A stopped",
        press: "{key:a} (stop A), then {key:send}",
        look_for: "503 connect at once, not after 1 s; no line in A's log (A never got it)",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(ErrorKind::Connect), c, _, _)) if c.a == AState::Down),
        starts: ANY_A,
    },
    Step {
        title: "A frozen",
        press: "{key:a} (start A), {key:freeze} (freeze A), then {key:send}; {key:freeze} again to thaw",
        look_for: "503 timeout after B's timeout (this ticks it); thaw A: its line comes only then (⚠A+)",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(ErrorKind::Timeout), c, _, _)) if c.a == AState::Frozen),
        starts: ANY_A,
    },
    Step {
        title: "A slow",
        press: "{key:slow} (a request A takes longer to answer than B waits)",
        look_for: "503 timeout; A's line says the client closed the connection at B's timeout",
        shown_by: |seen| {
            matches!(answer_kind(seen), Some((Some(ErrorKind::Timeout), c, Some(_), _))
                if c.a == AState::Up && c.link == LinkCondition::Healthy)
        },
        starts: CALM,
    },
    Step {
        title: "The network, not A",
        press: "{key:link} twice (the link partitioned), then {key:send}",
        look_for: "503 timeout while A is up: no line in A's log, the network lost it",
        shown_by: |seen| {
            matches!(answer_kind(seen), Some((Some(ErrorKind::Timeout), c, _, _))
                if c.a == AState::Up && c.link == LinkCondition::Fault("partition"))
        },
        starts: CALM,
    },
    Step {
        title: "A retry",
        press: "{fault:lose-next} (the link loses the next 2), {key:retries} twice (two retries), then {key:send}",
        look_for: "a 200 whose line in B's log says tries=3: two tries lost on the way, the third got through",
        shown_by: |seen| {
            matches!(seen, Seen::Line(line)
                if line.service == Service::B && line.ok == Some(true) && line.tries.is_some_and(|tries| tries > 1))
        },
        starts: CALM,
    },
    Step {
        title: "A's errors",
        press: "{key:reset} (undo everything), {fault:a-errors} (half of A's answers 500), then {key:send} a few times",
        look_for: "503 error_kind status from B; A's line says fault=error_status",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(ErrorKind::Status), ..))),
        starts: CALM,
    },
    Step {
        title: "A bad body",
        press: "{fault:a-errors} (errors off), {fault:a-bad-body} (an HTML page instead of JSON), then {key:send}",
        look_for: "503 error_kind body from B, although A's line says status=ok fault=bad_body",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(ErrorKind::Body), ..))),
        starts: CALM,
    },
    Step {
        title: "Answers lost",
        press: "{key:reset} (undo A's faults), {fault:answers-lost} (the link loses what A sends back), then {key:send}",
        look_for: "503 timeout from B, yet A's line of the same request_id says status=ok: the work was done",
        shown_by: |seen| {
            matches!(seen, Seen::Work { change: Change::DoneButTimedOut, conditions: Some(c) }
                if c.link == LinkCondition::Fault("answers-lost"))
        },
        starts: CALM,
    },
    Step {
        title: "Duplicate work",
        press: "{key:retries} (one retry; the answers still lost), then {key:send}",
        look_for: "two lines in A's log with one request_id: A did the work twice (Numbers: work twice)",
        shown_by: |seen| matches!(seen, Seen::Work { change: Change::Duplicated, .. }),
        starts: CALM,
    },
    Step {
        title: "The fix: dedup",
        press: "{fault:a-dedup} (A remembers answers by request id), then {key:send}",
        look_for: "A's second line of the request_id says dedup=hit: answered from memory, not done again",
        shown_by: |seen| matches!(seen, Seen::Work { change: Change::FromMemory, .. }),
        starts: CALM,
    },
    Step {
        title: "Crash vs stop",
        press: "{key:reset}, {key:load} (a steady load), {fault:crash-a} (crash A), {key:a} (start it again), {key:load} (stop the load)",
        look_for: "503s from the crash on: what A had in flight is lost; try a (a graceful stop) under the load: A answers what it has first",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(_), c, _, _)) if c.a == AState::Crashed),
        starts: Starts { a_up: true, no_load: false },
    },
    Step {
        title: "The breaker",
        press: "{key:reset}, {key:breaker} (breaker on), {key:a} (stop A), then {key:send} six times",
        look_for: "five 503 connect, then 503 circuit_open in about a millisecond: B no longer calls A",
        shown_by: |seen| matches!(answer_kind(seen), Some((Some(ErrorKind::CircuitOpen), ..))),
        starts: CALM,
    },
];

/// Whether the answer to `request` shows the step titled `title`: the
/// report asks the guide's own experiments, so the two never disagree.
pub fn shows(title: &str, request: &super::requests::SentRequest) -> bool {
    let Some(outcome) = &request.outcome else { return false };
    let seen = Seen::Answer { outcome, delay_ms: request.delay_ms, conditions: request.conditions };
    STEPS.iter().any(|step| step.title == title && (step.shown_by)(&seen))
}

/// Where the learner is in the guide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guide {
    /// The overlay is shown.
    pub open: bool,
    /// Per step: the request id that showed it, once seen.
    pub done: [Option<String>; STEPS.len()],
}

impl Guide {
    /// The first step not done yet.
    pub fn current(&self) -> Option<usize> {
        self.done.iter().position(Option::is_none)
    }

    /// Takes what the dashboard saw of request `id`; returns the title of
    /// each step it completes.
    pub fn observe(&mut self, id: &str, seen: &Seen<'_>) -> Vec<&'static str> {
        let mut ticked = Vec::new();
        for (index, step) in STEPS.iter().enumerate() {
            if self.done[index].is_none() && (step.shown_by)(seen) {
                self.done[index] = Some(id.to_owned());
                ticked.push(step.title);
            }
        }
        ticked
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn answer(status: u16, kind: Option<ErrorKind>) -> Outcome {
        Outcome::Answered {
            status,
            latency: Duration::from_millis(5),
            error_kind: kind,
            upstream_ms: None,
            body: String::new(),
        }
    }

    fn seen(outcome: &Outcome, delay_ms: Option<u64>, conditions: Conditions) -> Seen<'_> {
        Seen::Answer { outcome, delay_ms, conditions }
    }

    #[test]
    fn each_step_ticks_itself_off_on_the_right_evidence_only() {
        let mut guide = Guide::default();
        let up = Conditions::default();
        assert_eq!(guide.current(), Some(0));
        assert_eq!(guide.observe("g-1", &seen(&answer(200, None), None, up)), ["One that works"]);
        // A 503 connect while A is up (the link reset) is not "A stopped".
        let reset = Conditions { a: AState::Up, link: LinkCondition::Fault("reset") };
        let connect = answer(503, Some(ErrorKind::Connect));
        assert!(guide.observe("g-2", &seen(&connect, None, reset)).is_empty());
        let down = Conditions { a: AState::Down, link: LinkCondition::Healthy };
        assert_eq!(guide.observe("g-3", &seen(&connect, None, down)), ["A stopped"]);
        let frozen = Conditions { a: AState::Frozen, link: LinkCondition::Healthy };
        let timeout = answer(503, Some(ErrorKind::Timeout));
        assert_eq!(guide.observe("g-4", &seen(&timeout, None, frozen)), ["A frozen"]);
        assert_eq!(guide.observe("g-5", &seen(&timeout, Some(1300), up)), ["A slow"]);
        let cut = Conditions { a: AState::Up, link: LinkCondition::Fault("partition") };
        assert_eq!(guide.observe("g-6", &seen(&timeout, None, cut)), ["The network, not A"]);
        let retried = LogLine::parse(
            Service::B,
            "2026-02-04 14:29:46,799 service=B endpoint=/call-echo status=ok tries=3 latency_ms=9 request_id=g-7",
        );
        assert_eq!(guide.observe("g-7", &Seen::Line(&retried)), ["A retry"]);
        assert_eq!(guide.observe("g-8", &seen(&answer(503, Some(ErrorKind::Status)), None, up)), ["A's errors"]);
        assert_eq!(guide.observe("g-9", &seen(&answer(503, Some(ErrorKind::Body)), None, up)), ["A bad body"]);
        // Work done for a B that gave up is the answers-lost step only under that fault (a thawed A is not).
        let work = |change, conditions| Seen::Work { change, conditions };
        assert!(guide.observe("g-9b", &work(Change::DoneButTimedOut, Some(frozen))).is_empty());
        let lost = Conditions { a: AState::Up, link: LinkCondition::Fault("answers-lost") };
        assert_eq!(guide.observe("g-10", &work(Change::DoneButTimedOut, Some(lost))), ["Answers lost"]);
        assert_eq!(guide.observe("g-11", &work(Change::Duplicated, None)), ["Duplicate work"]);
        assert_eq!(guide.observe("g-12", &work(Change::FromMemory, None)), ["The fix: dedup"]);
        let crashed = Conditions { a: AState::Crashed, link: LinkCondition::Healthy };
        assert_eq!(guide.observe("g-13", &seen(&connect, None, crashed)), ["Crash vs stop"]);
        assert_eq!(guide.current(), Some(12));
        let open = answer(503, Some(ErrorKind::CircuitOpen));
        assert_eq!(guide.observe("g-14", &seen(&open, None, down)), ["The breaker"]);
        assert_eq!(guide.current(), None);
        // The evidence is the first request that showed each step.
        assert_eq!(guide.done[1].as_deref(), Some("g-3"));
        assert!(guide.observe("g-15", &seen(&answer(200, None), None, up)).is_empty(), "done steps stay done");
    }

    #[test]
    fn a_step_says_first_what_an_earlier_step_left_behind() {
        let step = |title: &str| STEPS.iter().find(|step| step.title == title).expect("a step");
        // A ticked "A frozen" with A still frozen: "A slow" says to thaw it first.
        assert_eq!(step("A slow").first(AState::Frozen, true, false), ["f (thaw A)"]);
        assert!(step("A slow").first(AState::Up, true, false).is_empty());
        // "Crash vs stop" ticks at the crash: the breaker step says what is left.
        assert_eq!(step("The breaker").first(AState::Crashed, true, true), ["a (start A)", "l (stop the load)"]);
        assert_eq!(step("The breaker").first(AState::Down, false, false), ["start A again where it was started"]);
        // Steps whose own keys set A ask nothing of it; the crash step wants its load.
        assert!(step("A frozen").first(AState::Down, true, false).is_empty());
        assert!(step("Crash vs stop").first(AState::Up, true, true).is_empty());
    }

    #[test]
    fn every_step_names_its_keys_through_the_key_table() {
        for step in STEPS {
            let press = step.press();
            assert!(!press.contains('{') && !press.contains('?'), "{}: {press}", step.title);
        }
    }
}
