//! The parts of the report that make it the lab's deliverable: what makes
//! this a distributed system, shown by this session's own requests; the
//! guide's checklist with the request that ticked each step; and the
//! retries, quoted from B's log.

use std::collections::HashMap;
use std::fmt::Write as _;

use contract::{ErrorKind, Service};

use crate::markdown::{self, code};
use crate::model::Model;
use crate::model::guide::STEPS;
use crate::model::requests::{AState, SentRequest};
use crate::model::verdict::{Verdict, VerdictKind};
use crate::msg::{LinkCondition, LogLine, Outcome};

/// The lines quoted per example, at most.
const QUOTED: usize = 6;

type Logs = HashMap<String, Vec<(Service, String)>>;

fn kind(request: &SentRequest) -> Option<ErrorKind> {
    request.outcome.as_ref().and_then(Outcome::error_kind)
}

fn ms(request: &SentRequest) -> u128 {
    request.outcome.as_ref().map_or(0, |outcome| outcome.latency().as_millis())
}

/// "What makes this distributed?": each property of a distributed system
/// with the request of this session that showed it, or how to show it.
pub fn distributed(md: &mut String, model: &Model, logs: &Logs, verdicts: &[Verdict]) {
    let manual: Vec<&SentRequest> = model.session_log.manual.iter().collect();
    let find = |test: &dyn Fn(&SentRequest) -> bool| manual.iter().copied().find(|request| test(request));
    let _ = writeln!(md, "## What makes this distributed?\n");
    let _ = writeln!(md, "Two processes that share nothing but a network. This session showed:\n");
    let not_shown = |how: &str| format!("_not shown in this session_: {}", crate::keys::fill(how));

    let down = find(&|r| matches!(r.conditions.a, AState::Down | AState::Crashed) && kind(r).is_some());
    let said = down.map_or_else(
        || not_shown("press `{key:a}` (stop A), then `{key:send}`"),
        |r| {
            let kind = kind(r).map_or("", ErrorKind::as_str);
            format!("A was down and B still answered, `503 {kind}` in {} ms ({})", ms(r), code(&r.id))
        },
    );
    let _ = writeln!(md, "- **Independent failure.** {said}.");

    let slow =
        find(&|r| kind(r) == Some(ErrorKind::Timeout) && (r.conditions.a == AState::Frozen || r.delay_ms.is_some()));
    let said = slow.map_or_else(
        || not_shown("press `{key:freeze}` (freeze A), then `{key:send}`"),
        |r| {
            let how = if r.conditions.a == AState::Frozen { "frozen" } else { "slow" };
            format!(
                "A was {how}; B could not tell that from dead, so it waited {} ms, its budget, and answered \
                 `503 timeout` ({})",
                ms(r),
                code(&r.id)
            )
        },
    );
    let _ = writeln!(md, "- **No way to tell slow from dead but a timeout.** {said}.");

    let network =
        find(&|r| r.conditions.a == AState::Up && r.conditions.link != LinkCondition::Healthy && kind(r).is_some());
    let said = network.map_or_else(
        || not_shown("press `{key:link}` twice (the link partitioned), then `{key:send}`"),
        |r| {
            let link = match r.conditions.link {
                LinkCondition::Fault(id) => id,
                _ => "changed through its API",
            };
            let kind = kind(r).map_or("", ErrorKind::as_str);
            format!("A was up and healthy, the link was `{link}`, and B answered `503 {kind}` ({})", code(&r.id))
        },
    );
    let _ = writeln!(md, "- **The network fails on its own.** {said}.");

    // The lost answer first: the plainest case of it.
    let done_for_nobody = |r: &SentRequest| model.duplicates.work(&r.id).done_but_timed_out();
    let done = find(&|r| done_for_nobody(r) && r.conditions.link == LinkCondition::Fault("answers-lost"))
        .or_else(|| find(&done_for_nobody));
    // Shown by `tui lab` with A's line joined by time, which the ledger of
    // work (joined by id) cannot count.
    let by_lab = verdicts
        .iter()
        .find(|verdict| verdict.name == "answers-lost" && verdict.kind == VerdictKind::Pass)
        .map(|verdict| {
            let id = verdict.request_ids.first().map_or_else(String::new, |id| format!(" ({})", code(id)));
            format!("`tui lab` showed it: {}{id}", markdown::text(&verdict.detail))
        });
    let said = done.map_or_else(
        || by_lab.unwrap_or_else(|| not_shown("press `{fault:answers-lost}` (answers lost), then `{key:send}`")),
        |r| {
            format!(
                "B answered 503, yet A's log says `status=ok` for the same request: the work was done ({})",
                code(&r.id)
            )
        },
    );
    let _ = writeln!(md, "- **Partial failure: the work and the answer part ways.** {said}.");

    // One request, both halves: the lines of each log with its id.
    let both = manual.iter().copied().find_map(|r| {
        let lines = logs.get(&r.id)?;
        let has = |service: Service| lines.iter().any(|(s, _)| *s == service);
        (has(Service::A) && has(Service::B)).then_some((r, lines))
    });
    match both {
        Some((r, lines)) => {
            let _ = writeln!(
                md,
                "- **Each service sees only its half.** Request {} in B's log and in A's, tied by its \
                 `request_id` alone:\n",
                code(&r.id)
            );
            let quoted = lines.iter().take(QUOTED).map(|(_, line)| line.as_str());
            let _ = writeln!(md, "{}", markdown::code_block("text", quoted));
        }
        None if model.no_ids_said.iter().any(|said| *said) => {
            let _ = writeln!(
                md,
                "- **Each service sees only its half.** _This implementation's lines carry no `request_id`, so \
                 no line ties B's half of a request to A's: they can only be matched by time._\n"
            );
        }
        None => {
            let _ = writeln!(
                md,
                "- **Each service sees only its half.** {}.\n",
                not_shown("press `{key:send}`: its id is in B's line and in A's")
            );
        }
    }
}

/// The guide's steps, each ticked with the request that showed it: by the
/// guide as the learner went, or by `tui lab`'s verdict of its experiment
/// (which may have shown it by another way: the link's latency for an A
/// that ignores `delay_ms`, lines joined by time). A step the lab did not
/// pass says why, not which keys to press.
pub fn checklist(md: &mut String, model: &Model, verdicts: &[Verdict]) {
    let verdict = |step: &crate::model::guide::Step| verdicts.iter().find(|verdict| verdict.title == step.title);
    let ticks: Vec<Option<String>> = STEPS
        .iter()
        .zip(&model.guide.done)
        .map(|(step, id)| {
            id.as_ref().map(|id| code(id)).or_else(|| {
                let passed = verdict(step).filter(|verdict| verdict.kind == VerdictKind::Pass)?;
                let id = passed.request_ids.first().map_or_else(String::new, |id| format!("{} ", code(id)));
                Some(format!("{id}(shown by `tui lab`: {})", markdown::text(&passed.detail)))
            })
        })
        .collect();
    let done = ticks.iter().filter(|tick| tick.is_some()).count();
    let _ = writeln!(md, "## The guide's checklist ({done} of {} shown)\n", STEPS.len());
    for (n, (step, tick)) in STEPS.iter().zip(&ticks).enumerate() {
        match (tick, verdict(step)) {
            (Some(tick), _) => {
                let _ = writeln!(md, "- [x] {}. {}: {tick}", n + 1, markdown::text(step.title));
            }
            (None, Some(verdict)) => {
                let _ = writeln!(
                    md,
                    "- [ ] {}. {}: {} by `tui lab`: {}",
                    n + 1,
                    markdown::text(step.title),
                    match verdict.kind {
                        VerdictKind::Fail => "failed",
                        VerdictKind::Skip => "skipped",
                        _ => "not run",
                    },
                    markdown::text(&verdict.detail)
                );
            }
            (None, None) => {
                let _ = writeln!(
                    md,
                    "- [ ] {}. {}: press {}",
                    n + 1,
                    markdown::text(step.title),
                    markdown::text(&step.press())
                );
            }
        }
    }
    md.push('\n');
}

/// B's lines that say it tried more than once, quoted, with A's lines of
/// the same request: each try is a call A may see.
pub fn retries(md: &mut String, model: &Model, logs: &Logs) {
    let _ = writeln!(md, "## Retries\n");
    let retried: Vec<(&SentRequest, u32, usize)> = model
        .session_log
        .manual
        .iter()
        .filter_map(|r| {
            let lines = logs.get(&r.id)?;
            let parsed: Vec<LogLine> = lines.iter().map(|(service, line)| LogLine::parse(*service, line)).collect();
            let tries = parsed.iter().filter(|l| l.call_of() == Some(Service::B)).find_map(|l| l.tries)?;
            let a_lines = parsed.iter().filter(|l| l.call_of() == Some(Service::A)).count();
            (tries > 1).then_some((r, tries, a_lines))
        })
        .collect();
    let Some(&(first, tries, a_lines)) = retried.first() else {
        let how =
            crate::keys::fill("press `{key:retries}` twice (two retries), `{fault:lose-next}`, then `{key:send}`");
        let _ = writeln!(md, "No request sent by hand was retried by B in this session. To show it: {how}\n");
        return;
    };
    let _ = writeln!(
        md,
        "{} requests sent by hand were retried by B. Request {}: B's line says `tries={tries}`, and A's log has \
         {a_lines} line(s) of it (a try lost on the way never reached A; one whose answer was lost did the work \
         again):\n",
        retried.len(),
        code(&first.id)
    );
    let lines = logs.get(&first.id).map(Vec::as_slice).unwrap_or_default();
    let _ = writeln!(md, "{}", markdown::code_block("text", lines.iter().take(QUOTED).map(|(_, line)| line.as_str())));
}
