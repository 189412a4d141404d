//! The lab's questions, answered with this session's evidence: for each, the
//! requests sent by hand that show it (id, status, kind, latency), their log
//! lines from both services, and the first one's trace as a text diagram. A
//! question no request sent by hand shows yet says so, and what to press to
//! show it (the guide also ticks from a load's answers; the report lists the
//! requests sent by hand only).

use std::collections::HashMap;
use std::fmt::Write as _;

use contract::{ErrorKind, Service};

use super::request_table;
use crate::markdown::{self, code};
use crate::model::requests::{AState, SentRequest};
use crate::model::trace::render;
use crate::model::{Model, guide};
use crate::msg::{LinkCondition, LogLine, Outcome};

/// Examples listed per question, at most.
const EXAMPLES: usize = 3;

struct Question {
    title: &'static str,
    /// What the evidence says, in a sentence (before the examples).
    answer: &'static str,
    /// What to do to show it, when no request does yet.
    how: &'static str,
    shows: fn(&Model, &SentRequest) -> bool,
    /// The examples that show it best come first (the answer's own case).
    best: fn(&SentRequest) -> bool,
    /// Examples with lines in both logs come first (a debugging example
    /// whose lines really match across the two logs).
    both_logs_first: bool,
}

/// No example is better than another.
fn any(_: &SentRequest) -> bool {
    false
}

fn kind(request: &SentRequest) -> Option<ErrorKind> {
    request.outcome.as_ref().and_then(Outcome::error_kind)
}

const QUESTIONS: [Question; 5] = [
    Question {
        title: "What happens if A is down?",
        answer: "B stays up and answers at once: `503` with `error_kind: connect`: B could not open a connection \
                 to A (`connection refused`, or `connection reset by peer` through the link, which resets B's \
                 connection when A refuses its own), in a few milliseconds, not after the timeout. A has no line \
                 for the request: it never got it.",
        how: "press `{key:a}` to stop A, then `{key:send}`.",
        shows: |_, r| guide::shows("A stopped", r),
        best: any,
        both_logs_first: false,
    },
    Question {
        title: "What happens on timeout?",
        answer: "B waits for its budget (1000 ms unless you changed it), then answers `503` with \
                 `error_kind: timeout`. A frozen A has no line until it is thawed; a slow A stops when B hangs up, \
                 or works on for nobody (orphaned work) when the hang-up cannot reach it.",
        how: "press `{key:slow}` (a slow request), or `{key:freeze}` to freeze A and then `{key:send}`.",
        shows: |_, r| guide::shows("A frozen", r) || guide::shows("A slow", r),
        best: any,
        both_logs_first: false,
    },
    Question {
        title: "What happens when the network (not A) fails?",
        answer: "A is up and healthy, yet B fails: a partitioned link makes B time out, a reset one makes it fail \
                 at once with `connect`, a flaky one loses some requests. A has no line for a request the \
                 network lost on the way to A, which is how the logs tell the network from A (when the answers \
                 are lost instead, A has a `status=ok` line: it did the work).",
        how: "press `{key:link}` twice (the link partitioned), then `{key:send}`.",
        shows: |_, r| r.conditions.link != LinkCondition::Healthy && r.conditions.a == AState::Up && kind(r).is_some(),
        best: any,
        both_logs_first: false,
    },
    Question {
        title: "What do the logs show, and how would you debug?",
        answer: "Every request has one line in B's log and, if A got it, one in A's, with the same `request_id`. \
                 To debug a failure: take B's error line, read its `error_kind` and `latency_ms`, then look for its \
                 id in A's log (`grep <id> logs/service-a.*`). No line in A: A never got it (stopped, frozen, or \
                 the network). A line that ends after B's: A worked for a caller that was gone.",
        how: "send any request that fails (press `{key:a}`, then `{key:send}`).",
        shows: |_, r| r.outcome.as_ref().is_some_and(|o| !o.is_ok()),
        best: any,
        both_logs_first: true,
    },
    Question {
        title: "Did A do the work when B said it failed?",
        answer: "Yes, for these requests: B answered 503 because nothing came back in time, yet A's log has a \
                 `status=ok` line with the same `request_id`. The work was done: the answer was lost on the way \
                 back (answers lost), or came after B had stopped waiting (a thawed or slow A). A retry then makes A do it again (two lines of one id: duplicate work), which is why a \
                 retried call must be safe to repeat, or carry an idempotency key: with dedup on, A answers the \
                 repeat from memory and logs `dedup=hit`.",
        how: "press `{fault:answers-lost}` (answers lost), then `{key:send}`; `{key:retries}` and `{key:send}` again \
              for duplicate work.",
        shows: |model, r| model.duplicates.work(&r.id).done_but_timed_out(),
        // The lost answer first: the question is about the network.
        best: |r| r.conditions.link == LinkCondition::Fault("answers-lost"),
        both_logs_first: false,
    },
];

/// The section: one subsection per question.
pub fn write(md: &mut String, model: &Model, logs: &HashMap<String, Vec<(Service, String)>>) {
    let _ = writeln!(md, "## The lab's questions, with this session's evidence\n");
    if model.no_ids_said.iter().any(|said| *said) || Service::ALL.into_iter().any(|s| model.is_foreign(s)) {
        let _ = writeln!(
            md,
            "_The answers below say what this project's services do (request ids in both logs, `error_kind`). \
             Another implementation ran in this session: trust its own log lines and answers quoted below over \
             those sentences; a kind marked \"read from B's error text\" was not said by B._\n"
        );
    }
    // A request an earlier question already showed in full goes after the
    // others, so two questions do not quote the same lines and trace.
    let mut shown_in_full: Vec<&str> = Vec::new();
    for question in &QUESTIONS {
        let _ = writeln!(md, "### {}\n", question.title);
        let mut examples: Vec<&SentRequest> =
            model.session_log.manual.iter().filter(|request| (question.shows)(model, request)).collect();
        let in_both = |request: &SentRequest| {
            let lines = logs.get(&request.id).map(Vec::as_slice).unwrap_or_default();
            Service::ALL.iter().all(|service| lines.iter().any(|(s, _)| s == service))
        };
        examples.sort_by_key(|request| {
            (
                question.both_logs_first && !in_both(request),
                !(question.best)(request),
                shown_in_full.contains(&request.id.as_str()),
            )
        });
        examples.truncate(EXAMPLES);
        let Some(first) = examples.first() else {
            let _ = writeln!(
                md,
                "**Not shown in this session** by a request sent by hand (loads and bursts are summarised below, \
                 not examined here). To show it: {}\n",
                crate::keys::fill(question.how)
            );
            continue;
        };
        let _ = writeln!(md, "{}\n", question.answer);
        request_table(md, examples.iter().copied());
        shown_in_full.push(&first.id);
        let raw = logs.get(&first.id).map(Vec::as_slice).unwrap_or_default();
        let _ = writeln!(md, "\nThe log lines of {}:\n", code(&first.id));
        let lines: Vec<LogLine> = raw.iter().map(|(service, line)| LogLine::parse(*service, line)).collect();
        let by_id: Vec<&LogLine> = lines.iter().collect();
        let by_time: Vec<&LogLine> =
            model.joined_by_time(first, &by_id).into_iter().flat_map(|(_, found)| found).collect();
        if raw.is_empty() {
            let _ = writeln!(md, "_{}_\n", super::no_line_because(model));
        } else {
            let _ = writeln!(md, "{}", markdown::code_block("text", raw.iter().map(|(_, line)| line.as_str())));
        }
        if !by_time.is_empty() {
            let _ = writeln!(
                md,
                "Written while it was in flight (joined to it by time, not by id: they may be another request's):\n"
            );
            let _ = writeln!(md, "{}", markdown::code_block("text", by_time.iter().map(|line| line.text.as_str())));
        }
        let trace = model.trace_of(first, by_id);
        let rows: Vec<String> = render(&trace).into_iter().map(|(_, row)| row).collect();
        let _ = writeln!(md, "Its trace (ms after the dashboard sent it):\n");
        let _ = writeln!(md, "{}", markdown::code_block("text", rows.iter().map(String::as_str)));
        if let Some(summary) = trace.summary() {
            let _ = writeln!(md, "{}\n", markdown::text(&summary));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;
    use crate::cli::Settings;
    use crate::model::requests::Conditions;

    fn request(kind: ErrorKind, conditions: Conditions, delay_ms: Option<u64>) -> SentRequest {
        let outcome = Outcome::Answered {
            status: 503,
            latency: Duration::from_millis(3),
            error_kind: Some(kind),
            upstream_ms: None,
            body: String::new(),
        };
        let sent_at = datetime!(2026-12-01 12:00:00 UTC);
        SentRequest {
            id: "q-1".into(),
            sent_at,
            msg: "hi".into(),
            delay_ms,
            burst: false,
            outcome: Some(outcome),
            conditions,
        }
    }

    #[test]
    fn the_questions_ask_the_guides_experiments() {
        let model = Model::new(Settings::default(), "q");
        let down = Conditions { a: AState::Down, link: LinkCondition::Healthy };
        assert!((QUESTIONS[0].shows)(&model, &request(ErrorKind::Connect, down, None)));
        let reset = Conditions { a: AState::Up, link: LinkCondition::Fault("reset") };
        assert!(!(QUESTIONS[0].shows)(&model, &request(ErrorKind::Connect, reset, None)), "the link, not A");
        let frozen = Conditions { a: AState::Frozen, link: LinkCondition::Healthy };
        assert!((QUESTIONS[1].shows)(&model, &request(ErrorKind::Timeout, frozen, None)));
        assert!((QUESTIONS[1].shows)(&model, &request(ErrorKind::Timeout, Conditions::default(), Some(1300))));
    }
}
