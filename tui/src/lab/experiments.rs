//! The lab's experiments, in the guide's order: each presses the keys its
//! step of the guide names, then judges what B answered and what the logs
//! say. Each returns what it showed, or why it failed or was skipped.

use contract::{ErrorKind, Service};
use tokio::time::Instant;

use super::admin::{a_bad_body, a_errors, breaker, dedup, duplicate_work, retry};
use super::checks::{self, Joined};
use super::{ADMIN_WAIT, Lab, Not, SETTLE, Shown};
use crate::faults::{Stream, ToxicSpec};
use crate::model::guide::STEPS;
use crate::model::requests::{AState, SentRequest};
use crate::msg::{Action, Health, Outcome, ProcessState};

/// Requests sent at most while waiting for something that shows by chance
/// (half of A's answers fail) or by count (the breaker opens after five).
pub(super) const TRIES: usize = 10;

/// One experiment of the lab, named as `--only` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Experiment {
    Works,
    AStopped,
    AFrozen,
    ASlow,
    Partition,
    Retry,
    AErrors,
    ABadBody,
    AnswersLost,
    DuplicateWork,
    Dedup,
    Crash,
    Breaker,
}

impl Experiment {
    /// In the guide's order.
    pub const ALL: [Experiment; 13] = [
        Experiment::Works,
        Experiment::AStopped,
        Experiment::AFrozen,
        Experiment::ASlow,
        Experiment::Partition,
        Experiment::Retry,
        Experiment::AErrors,
        Experiment::ABadBody,
        Experiment::AnswersLost,
        Experiment::DuplicateWork,
        Experiment::Dedup,
        Experiment::Crash,
        Experiment::Breaker,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Experiment::Works => "works",
            Experiment::AStopped => "a-stopped",
            Experiment::AFrozen => "a-frozen",
            Experiment::ASlow => "a-slow",
            Experiment::Partition => "partition",
            Experiment::Retry => "retry",
            Experiment::AErrors => "a-errors",
            Experiment::ABadBody => "a-bad-body",
            Experiment::AnswersLost => "answers-lost",
            Experiment::DuplicateWork => "duplicate-work",
            Experiment::Dedup => "dedup",
            Experiment::Crash => "crash",
            Experiment::Breaker => "breaker",
        }
    }

    /// Its step's title in the guide.
    pub fn title(self) -> &'static str {
        STEPS[self as usize].title
    }

    /// What it does, for the progress line.
    pub const fn doing(self) -> &'static str {
        match self {
            Experiment::Works => "one request; B's 200 and a line in each log",
            Experiment::AStopped => "stop A, send: B says 503 connect",
            Experiment::AFrozen => "freeze A, send: B gives up at its timeout (503 timeout)",
            Experiment::ASlow => "a request A takes longer to answer than B waits: 503 timeout",
            Experiment::Partition => "partition the link, send: 503 timeout, A never gets it",
            Experiment::Retry => "the link loses the next 2, B retries twice: 200 after tries=3",
            Experiment::AErrors => "half of A's answers 500: B says 503 status",
            Experiment::ABadBody => "A answers an HTML page: B says 503 body",
            Experiment::AnswersLost => "the link loses A's answers: 503 timeout, yet A did the work",
            Experiment::DuplicateWork => "answers lost and one retry: A does the work twice",
            Experiment::Dedup => "the same with A's dedup on: A answers the retry from memory",
            Experiment::Crash => "crash A under a steady load: what A had in flight is lost",
            Experiment::Breaker => "breaker on, A stopped: after five failures B stops calling A",
        }
    }

    pub(super) async fn run(self, lab: &mut Lab) -> Shown {
        match self {
            Experiment::Works => works(lab).await,
            Experiment::AStopped => a_stopped(lab).await,
            Experiment::AFrozen => a_frozen(lab).await,
            Experiment::ASlow => a_slow(lab).await,
            Experiment::Partition => partition(lab).await,
            Experiment::Retry => retry(lab).await,
            Experiment::AErrors => a_errors(lab).await,
            Experiment::ABadBody => a_bad_body(lab).await,
            Experiment::AnswersLost => answers_lost(lab).await,
            Experiment::DuplicateWork => duplicate_work(lab).await,
            Experiment::Dedup => dedup(lab).await,
            Experiment::Crash => crash(lab).await,
            Experiment::Breaker => breaker(lab).await,
        }
    }
}

pub(super) fn fail<T>(why: impl Into<String>) -> Result<T, Not> {
    Err(Not::Fail(why.into()))
}

pub(super) fn ms(request: &SentRequest) -> u128 {
    request.outcome.as_ref().map_or(0, |outcome| outcome.latency().as_millis())
}

/// ", B's kind read from its error text" when B did not say it.
pub(super) fn read(guessed: bool) -> &'static str {
    if guessed { " (the kind read from B's error text: it sends no error_kind)" } else { "" }
}

async fn works(lab: &mut Lab) -> Shown {
    let request = lab.send(false).await?;
    checks::echoed(&request).map_err(Not::Fail)?;
    let timeout = lab.model().timeout_ms();
    if ms(&request) > u128::from(timeout) {
        return fail(format!(
            "expected B's 200 in milliseconds; it came after {} ms, longer than B's {timeout} ms timeout on A",
            ms(&request)
        ));
    }
    let mut joined = Vec::new();
    for service in [Service::B, Service::A] {
        if lab.logged(&request, service).await? == Joined::ByTime {
            joined.push(service.name());
        }
    }
    let joined = match joined.as_slice() {
        [] => String::new(),
        names => {
            let whose: Vec<String> = names.iter().map(|name| format!("{name}'s")).collect();
            format!("; {} lines carry no request_id, so they were joined to the request by time", whose.join(" and "))
        }
    };
    Ok(format!("200 in {} ms, a line in B's log and one in A's{joined}", ms(&request)))
}

async fn a_stopped(lab: &mut Lab) -> Shown {
    lab.a_ours()?;
    lab.act(Action::ToggleA);
    if !lab.until_a(|process| matches!(process, ProcessState::Stopped)).await? {
        return fail(format!("A did not stop within {} s of being asked to", SETTLE.as_secs()));
    }
    // The process the lab started is gone; something else may still hold the port.
    let deadline = Instant::now() + ADMIN_WAIT;
    let down = |model: &crate::model::Model| !matches!(model.service(Service::A).health, Health::Up { .. });
    if !lab.world.until(deadline, down).await? {
        return fail(
            "A's process stopped, yet A's port still answers: its command left a process behind (a wrapper \
             script that does not `exec` its server?), and the lab can stop only the process it started",
        );
    }
    let request = lab.send(false).await?;
    let guessed = checks::unavailable(&request, ErrorKind::Connect).map_err(Not::Fail)?;
    let timeout = lab.model().timeout_ms();
    if ms(&request) >= u128::from(timeout) {
        return fail(format!(
            "expected B to find A down at once (a refused connection takes no time); \
             its 503 came after {} ms, B's whole {timeout} ms timeout",
            ms(&request)
        ));
    }
    Ok(format!("503 connect in {} ms with A stopped{}", ms(&request), read(guessed)))
}

async fn a_frozen(lab: &mut Lab) -> Shown {
    lab.a_ours()?;
    lab.act(Action::ToggleFreeze);
    let deadline = Instant::now() + ADMIN_WAIT;
    if !lab.world.until(deadline, |model| model.conditions().a == AState::Frozen).await? {
        let why = lab.model().note().unwrap_or("A did not freeze").to_owned();
        return Err(Not::Skip(why));
    }
    let request = lab.send(false).await?;
    let judged = checks::unavailable(&request, ErrorKind::Timeout)
        .and_then(|guessed| checks::within_budget(&request, lab.model().timeout_ms()).map(|()| guessed));
    // Thawed, A reads the request at once and writes its line: waited for
    // here, so it is not taken for the next experiment's (a log without ids).
    lab.act(Action::ToggleFreeze);
    lab.until_a(|process| matches!(process, ProcessState::Running { .. })).await?;
    lab.lines(&request, Service::A, |lines| !lines.is_empty()).await?;
    let guessed = judged.map_err(Not::Fail)?;
    Ok(format!("503 timeout after {} ms with A frozen{}", ms(&request), read(guessed)))
}

async fn a_slow(lab: &mut Lab) -> Shown {
    let request = lab.send(true).await?;
    let delay = request.delay_ms.unwrap_or_default();
    if !request.outcome.as_ref().is_some_and(Outcome::is_ok) {
        let guessed = checks::unavailable(&request, ErrorKind::Timeout).map_err(Not::Fail)?;
        checks::within_budget(&request, lab.model().timeout_ms()).map_err(Not::Fail)?;
        return Ok(format!("503 timeout after {} ms for delay_ms={delay}{}", ms(&request), read(guessed)));
    }
    // A answered at once: it does not know delay_ms. The link makes it slow instead.
    let ignored = format!("A answered delay_ms={delay} in {} ms (it ignores delay_ms)", ms(&request));
    let slow = ToxicSpec::new("latency", Stream::Downstream, 1.0, &[("latency", delay), ("jitter", 0)]);
    if let Err(why) = lab.world.link().set_toxics(&[slow]) {
        return fail(format!("{ignored}, and the link refused a latency of {delay} ms: {why}"));
    }
    lab.link_settled().await?;
    let through_link = lab.send(false).await;
    let _ = lab.world.link().set_toxics(&[]);
    lab.link_settled().await?;
    let request = through_link?;
    let guessed = checks::unavailable(&request, ErrorKind::Timeout).map_err(Not::Fail)?;
    checks::within_budget(&request, lab.model().timeout_ms()).map_err(Not::Fail)?;
    Ok(format!(
        "{ignored}; with the link holding A's answer {delay} ms instead: 503 timeout after {} ms{}",
        ms(&request),
        read(guessed)
    ))
}

async fn partition(lab: &mut Lab) -> Shown {
    // A's silence proves something only if its lines can be read at all.
    if lab.joined[Service::A.index()].is_none() {
        let before = lab.send(false).await?;
        checks::echoed(&before).map_err(Not::Fail)?;
        lab.logged(&before, Service::A).await?;
    }
    lab.link_fault("partition").await?;
    let request = lab.send(false).await?;
    let guessed = checks::unavailable(&request, ErrorKind::Timeout).map_err(Not::Fail)?;
    checks::within_budget(&request, lab.model().timeout_ms()).map_err(Not::Fail)?;
    let (lines, how) = lab.lines(&request, Service::A, |lines| !lines.is_empty()).await?;
    if let Some(line) = lines.first() {
        return fail(match how {
            Joined::ById => format!("A logged request {} although the link was partitioned: {}", request.id, line.text),
            Joined::ByTime => format!(
                "A's log has a line written while request {} was in flight, although the link was partitioned \
                 (A's lines carry no request_id, so it may be another request's): {}",
                request.id, line.text
            ),
        });
    }
    Ok(format!("503 timeout after {} ms, no line in A's log: the network lost it{}", ms(&request), read(guessed)))
}

async fn answers_lost(lab: &mut Lab) -> Shown {
    lab.link_fault("answers-lost").await?;
    let request = lab.send(false).await?;
    let guessed = checks::unavailable(&request, ErrorKind::Timeout).map_err(Not::Fail)?;
    checks::within_budget(&request, lab.model().timeout_ms()).map_err(Not::Fail)?;
    let done = |lines: &[&crate::msg::LogLine]| lines.iter().any(|line| line.ok == Some(true));
    let (lines, how) = lab.lines(&request, Service::A, done).await?;
    if !lines.iter().any(|line| line.ok == Some(true)) {
        return fail(format!(
            "expected A's line of request {} to say status=ok (the link loses only the answer); it says: {}",
            request.id,
            lines.first().map_or("nothing (no line)", |line| line.text.as_str())
        ));
    }
    let by = if how == Joined::ByTime { " (A's line joined by time: it has no request_id)" } else { "" };
    Ok(format!("503 timeout, yet A's line says status=ok: the work was done{by}{}", read(guessed)))
}

async fn crash(lab: &mut Lab) -> Shown {
    lab.a_ours()?;
    lab.act(Action::ToggleLoad);
    let deadline = Instant::now() + SETTLE;
    let answering =
        |model: &crate::model::Model| model.session_log.running_load().is_some_and(|load| load.answered >= 5);
    if !lab.world.until(deadline, answering).await? {
        return fail("the steady load got no answers before the crash");
    }
    lab.act(Action::Fault("crash-a"));
    // B's answers to the requests A had when it crashed, and those after:
    // each must be the lab's 503, not a 500 or a hang.
    let failed = |model: &crate::model::Model| -> Vec<SentRequest> {
        model
            .requests
            .entries()
            .iter()
            .filter_map(|entry| match entry {
                crate::model::requests::Entry::Request(request)
                    if request.conditions.a == AState::Crashed
                        && request.outcome.as_ref().is_some_and(|outcome| !outcome.is_ok()) =>
                {
                    Some(request.clone())
                }
                _ => None,
            })
            .collect()
    };
    let deadline = Instant::now() + SETTLE;
    let labs =
        |model: &crate::model::Model| failed(model).iter().any(|request| checks::unavailable_any(request).is_ok());
    lab.world.until(deadline, |model| labs(model) || failed(model).len() >= TRIES).await?;
    let failed = failed(lab.model());
    if let Some((request, (kind, guessed))) =
        failed.iter().find_map(|request| checks::unavailable_any(request).ok().map(|kind| (request, kind)))
    {
        lab.ids.push(request.id.clone());
        return Ok(format!("503 {} from the crash on: what A had in flight is lost{}", kind.as_str(), read(guessed)));
    }
    match failed.first() {
        None => fail("expected B's answers to fail from the crash on (503); none did"),
        Some(request) => {
            lab.ids.push(request.id.clone());
            Err(Not::Fail(checks::unavailable_any(request).err().unwrap_or_default()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_experiment_is_its_step_of_the_guide_in_the_same_order() {
        assert_eq!(Experiment::ALL.len(), STEPS.len());
        let titles: Vec<(&str, &str)> = Experiment::ALL.iter().map(|e| (e.name(), e.title())).collect();
        assert_eq!(titles[0], ("works", "One that works"));
        assert_eq!(titles[4], ("partition", "The network, not A"));
        assert_eq!(titles[10], ("dedup", "The fix: dedup"));
        assert_eq!(titles[12], ("breaker", "The breaker"));
        let mut names: Vec<&str> = titles.iter().map(|(name, _)| *name).collect();
        names.dedup();
        assert_eq!(names.len(), STEPS.len(), "names are unique");
    }
}
