//! The experiments that need this project's admin APIs: B's call policy
//! (retries, the breaker) and A's own faults (errors, an HTML body, dedup).
//! Another implementation without them is skipped, never passed.

use contract::{ErrorKind, Service};
use tokio::time::Instant;

use super::checks::{self, Joined};
use super::experiments::{TRIES, fail, ms, read};
use super::{ADMIN_WAIT, Lab, Not, SETTLE, Shown};
use crate::model::requests::SentRequest;
use crate::msg::{Action, Outcome, ProcessState};

/// Presses `action` until B's admin API confirms a policy `wanted` says is right.
async fn set_policy(lab: &mut Lab, action: Action, wanted: impl Fn(&contract::policy::Policy) -> bool) -> Shown {
    for _ in 0..4 {
        if lab.model().policy.policy().is_some_and(|policy| wanted(&policy)) {
            break;
        }
        lab.act(action.clone());
    }
    let deadline = Instant::now() + ADMIN_WAIT;
    let confirmed = |model: &crate::model::Model| {
        model.policy.pending == 0 && model.policy.policy().is_some_and(|policy| wanted(&policy))
    };
    if !lab.world.until(deadline, confirmed).await? {
        return fail(format!(
            "B's admin API did not confirm the change ({action:?}) within {} s",
            ADMIN_WAIT.as_secs()
        ));
    }
    Ok(String::new())
}

pub(super) async fn retry(lab: &mut Lab) -> Shown {
    lab.b_admin()?;
    set_policy(lab, Action::CycleRetries, |policy| policy.retries == 2).await?;
    lab.link_fault("lose-next").await?;
    let request = lab.send(false).await?;
    checks::echoed(&request).map_err(Not::Fail)?;
    let tried = |lines: &[&crate::msg::LogLine]| lines.iter().any(|line| line.tries.is_some_and(|tries| tries > 1));
    let (lines, _) = lab.lines(&request, Service::B, tried).await?;
    match lines.iter().find_map(|line| line.tries.filter(|&tries| tries > 1)) {
        Some(tries) => Ok(format!("200 in {} ms; B's line says tries={tries}", ms(&request))),
        None => fail(format!(
            "expected B's line of request {} to say tries=3 (two tries lost by the link); it says: {}",
            request.id,
            lines.first().map_or("nothing (no line)", |line| line.text.as_str())
        )),
    }
}

/// Causes one of A's faults through its admin API and waits until A says it is on.
async fn a_fault(lab: &mut Lab, id: &'static str) -> Shown {
    lab.a_admin()?;
    let Some(fault) = crate::faults::by_id(id) else { return fail(format!("no fault is called {id}")) };
    if !lab.model().a_faults.is_on(fault) {
        lab.act(Action::Fault(id));
    }
    let deadline = Instant::now() + ADMIN_WAIT;
    if !lab.world.until(deadline, |model| model.a_faults.is_on(fault)).await? {
        return fail(format!("A's admin API did not confirm {} within {} s", fault.name, ADMIN_WAIT.as_secs()));
    }
    Ok(String::new())
}

pub(super) async fn a_errors(lab: &mut Lab) -> Shown {
    a_fault(lab, "a-errors").await?;
    let mut statuses = Vec::new();
    for _ in 0..TRIES {
        let request = lab.send(false).await?;
        if request.outcome.as_ref().is_some_and(Outcome::is_ok) {
            statuses.push("200".to_owned());
            continue;
        }
        let guessed = checks::unavailable(&request, ErrorKind::Status).map_err(Not::Fail)?;
        let after = match statuses.len() {
            0 => "at the first request".to_owned(),
            n => format!("after {n} answers of 200"),
        };
        return Ok(format!("503 status {after}{}", read(guessed)));
    }
    fail(format!("expected a 503 status with half of A's answers 500; {TRIES} answers were all 200"))
}

pub(super) async fn a_bad_body(lab: &mut Lab) -> Shown {
    a_fault(lab, "a-bad-body").await?;
    let request = lab.send(false).await?;
    let guessed = checks::unavailable(&request, ErrorKind::Body).map_err(Not::Fail)?;
    Ok(format!("503 body in {} ms for A's HTML page{}", ms(&request), read(guessed)))
}

/// The link loses A's answers and B retries once: A's lines of one request.
async fn lost_and_retried(lab: &mut Lab) -> Result<(SentRequest, Vec<crate::msg::LogLine>), Not> {
    lab.b_admin()?;
    if lab.joined[Service::A.index()] == Some(Joined::ByTime) {
        return Err(Not::Skip(
            "A's lines carry no request_id: two lines of one request cannot be told from two requests".into(),
        ));
    }
    set_policy(lab, Action::CycleRetries, |policy| policy.retries == 1).await?;
    lab.link_fault("answers-lost").await?;
    let request = lab.send(false).await?;
    checks::unavailable(&request, ErrorKind::Timeout).map_err(Not::Fail)?;
    let (lines, _) = lab.lines(&request, Service::A, |lines| lines.len() >= 2).await?;
    Ok((request, lines))
}

pub(super) async fn duplicate_work(lab: &mut Lab) -> Shown {
    let (request, lines) = lost_and_retried(lab).await?;
    if lines.len() < 2 {
        return fail(format!(
            "expected two lines in A's log for request {} (B retried after the answer was lost); found {}",
            request.id,
            lines.len()
        ));
    }
    Ok(format!("{} lines in A's log for one request: A did the work {} times", lines.len(), lines.len()))
}

pub(super) async fn dedup(lab: &mut Lab) -> Shown {
    a_fault(lab, "a-dedup").await?;
    let (request, lines) = lost_and_retried(lab).await?;
    if lines.iter().any(|line| line.dedup_hit) {
        return Ok(format!("A's second line of request {} says dedup=hit: answered from memory", request.id));
    }
    fail(format!(
        "expected A's second line of request {} to say dedup=hit; A's lines: {}",
        request.id,
        lines.iter().map(|line| line.text.as_str()).collect::<Vec<_>>().join(" | ")
    ))
}

pub(super) async fn breaker(lab: &mut Lab) -> Shown {
    lab.b_admin()?;
    lab.a_ours()?;
    set_policy(lab, Action::ToggleBreaker, |policy| policy.breaker).await?;
    lab.act(Action::ToggleA);
    if !lab.until_a(|process| matches!(process, ProcessState::Stopped)).await? {
        return fail(format!("A did not stop within {} s of being asked to", SETTLE.as_secs()));
    }
    let mut kinds = Vec::new();
    for _ in 0..TRIES {
        let request = lab.send(false).await?;
        let kind = request.outcome.as_ref().and_then(Outcome::error_kind);
        if kind == Some(ErrorKind::CircuitOpen) {
            return Ok(format!(
                "{} failed calls, then 503 circuit_open in {} ms: B no longer calls A",
                kinds.len(),
                ms(&request)
            ));
        }
        kinds.push(kind.map_or("no kind", ErrorKind::as_str));
    }
    fail(format!("expected 503 circuit_open after five failures; {TRIES} answers were: {}", kinds.join(", ")))
}
