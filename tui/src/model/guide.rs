//! The guided lab (`g`): the lab's experiments in order, each with what to
//! press and what to look for, ticked off when the dashboard sees it happen,
//! with the request id as evidence. It can be closed and opened again at any
//! time; the other keys work while it is open.

use contract::ErrorKind;

use super::requests::{AState, Conditions};
use crate::msg::{LinkCondition, Outcome};

/// One experiment of the lab.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub title: &'static str,
    /// What to press.
    pub press: &'static str,
    /// What to look for on the screen and in the logs.
    pub look_for: &'static str,
}

/// The lab, in order: the failures of A, then the network, then B's policy.
pub const STEPS: [Step; 7] = [
    Step {
        title: "A success",
        press: "Enter",
        look_for: "200 in a few ms; one line in B's log and one in A's, with the same request_id",
    },
    Step {
        title: "A stopped",
        press: "a (stop A), then Enter",
        look_for: "503 connect at once, not after 1 s; no line in A's log (A never got it)",
    },
    Step {
        title: "A frozen",
        press: "a (start A), f (freeze A), then Enter; f again to thaw",
        look_for: "503 timeout after B's timeout; A's line comes only after the thaw",
    },
    Step {
        title: "A slow",
        press: "f (thaw A if frozen), then s",
        look_for: "503 timeout; A's line says the client closed the connection at B's timeout",
    },
    Step {
        title: "The network, not A",
        press: "n twice (the link partitioned), then Enter",
        look_for: "503 timeout while A is up: no line in A's log, the network lost it",
    },
    Step {
        title: "A retry",
        press: "n until the link is flaky, R (one retry), then l (a steady load; l stops it)",
        look_for: "a 200 whose line in B's log says tries=2, and A per B above 1.00×",
    },
    Step {
        title: "The breaker",
        press: "n until ok, c (breaker on), a (stop A), then Enter six times",
        look_for: "five 503 connect, then 503 circuit_open in about a millisecond: B no longer calls A",
    },
];

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

    /// Takes an answer of B to request `id` (sent under `conditions`, with
    /// `delay_ms`); returns the title of each step it completes.
    pub fn observe(
        &mut self,
        id: &str,
        outcome: &Outcome,
        delay_ms: Option<u64>,
        conditions: Conditions,
    ) -> Vec<&'static str> {
        let kind = outcome.error_kind();
        let a = conditions.a;
        let link = conditions.link;
        let shows = [
            outcome.is_ok() && link == LinkCondition::Healthy,
            kind == Some(ErrorKind::Connect) && a == AState::Down,
            kind == Some(ErrorKind::Timeout) && a == AState::Frozen,
            kind == Some(ErrorKind::Timeout) && a == AState::Up && link == LinkCondition::Healthy && delay_ms.is_some(),
            kind == Some(ErrorKind::Timeout) && a == AState::Up && link == LinkCondition::Fault("partition"),
            false, // a retry is seen in B's log line (tries=2), not in the answer
            kind == Some(ErrorKind::CircuitOpen),
        ];
        self.tick(id, shows)
    }

    /// Takes a line of B's log: a 200 after more than one try is the retry step.
    pub fn observe_retry(&mut self, id: &str) -> Vec<&'static str> {
        let mut shows = [false; STEPS.len()];
        shows[5] = true;
        self.tick(id, shows)
    }

    fn tick(&mut self, id: &str, shows: [bool; STEPS.len()]) -> Vec<&'static str> {
        let mut ticked = Vec::new();
        for (index, shown) in shows.into_iter().enumerate() {
            if shown && self.done[index].is_none() {
                self.done[index] = Some(id.to_owned());
                ticked.push(STEPS[index].title);
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

    #[test]
    fn each_step_ticks_itself_off_on_the_right_evidence_only() {
        let mut guide = Guide::default();
        let up = Conditions::default();
        assert_eq!(guide.current(), Some(0));
        assert_eq!(guide.observe("g-1", &answer(200, None), None, up), ["A success"]);
        // A 503 connect while A is up (the link reset) is not "A stopped".
        let reset = Conditions { a: AState::Up, link: LinkCondition::Fault("reset") };
        assert!(guide.observe("g-2", &answer(503, Some(ErrorKind::Connect)), None, reset).is_empty());
        let down = Conditions { a: AState::Down, link: LinkCondition::Healthy };
        assert_eq!(guide.observe("g-3", &answer(503, Some(ErrorKind::Connect)), None, down), ["A stopped"]);
        let frozen = Conditions { a: AState::Frozen, link: LinkCondition::Healthy };
        assert_eq!(guide.observe("g-4", &answer(503, Some(ErrorKind::Timeout)), None, frozen), ["A frozen"]);
        assert_eq!(guide.observe("g-5", &answer(503, Some(ErrorKind::Timeout)), Some(1300), up), ["A slow"]);
        let cut = Conditions { a: AState::Up, link: LinkCondition::Fault("partition") };
        assert_eq!(guide.observe("g-6", &answer(503, Some(ErrorKind::Timeout)), None, cut), ["The network, not A"]);
        assert_eq!(guide.observe_retry("g-7"), ["A retry"]);
        assert_eq!(guide.current(), Some(6));
        assert_eq!(guide.observe("g-8", &answer(503, Some(ErrorKind::CircuitOpen)), None, down), ["The breaker"]);
        assert_eq!(guide.current(), None);
        // The evidence is the first request that showed each step.
        assert_eq!(guide.done[1].as_deref(), Some("g-3"));
        assert!(guide.observe("g-9", &answer(200, None), None, up).is_empty(), "done steps stay done");
    }
}
