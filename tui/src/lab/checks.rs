//! What the lab expects of B's answers and of the logs, as pure checks: each
//! says, when it fails, what was expected and what came instead, in words a
//! learner can act on.

use contract::ErrorKind;
use serde_json::Value;

use crate::model::requests::SentRequest;
use crate::msg::{LogLine, Outcome};
use crate::text::{clip, sanitize};

/// Most characters of a body quoted in a detail.
const QUOTED: usize = 120;

/// B's answer is the lab's 200: `{"service_a":{"echo":MSG},"service_b":"ok"}`.
pub fn echoed(request: &SentRequest) -> Result<(), String> {
    let expected = format!("200 {{\"service_a\":{{\"echo\":\"{}\"}},\"service_b\":\"ok\"}}", request.msg);
    let (status, body) = answered(request, &expected)?;
    if status != 200 {
        return Err(format!("expected {expected}; B answered {status} {}", quote(body)));
    }
    let json =
        object(body).ok_or_else(|| format!("expected {expected}; B's 200 is not a JSON object: {}", quote(body)))?;
    let echo = json.get("service_a").and_then(|a| a.get("echo")).and_then(Value::as_str);
    if echo != Some(request.msg.as_str()) || json.get("service_b").and_then(Value::as_str) != Some("ok") {
        return Err(format!("expected {expected}; B answered 200 {}", quote(body)));
    }
    Ok(())
}

/// B's answer is the lab's 503 JSON with error kind `kind` (said by B, or
/// read from its error text); `Ok(true)` when the kind was read from the text.
pub fn unavailable(request: &SentRequest, kind: ErrorKind) -> Result<bool, String> {
    let (seen, guessed) = lab_503(request, Some(kind))?;
    match seen {
        seen if seen == kind => Ok(guessed),
        seen if guessed => Err(format!(
            "expected {}; B's error text reads as {} (it sends no error_kind): {}",
            expected_503(Some(kind)),
            seen.as_str(),
            quote(body_of(request))
        )),
        seen => Err(format!("expected {}; B said error_kind {}", expected_503(Some(kind)), seen.as_str())),
    }
}

/// B's answer is the lab's 503 JSON with any of the lab's error kinds: its
/// kind, and whether it was read from B's error text.
pub fn unavailable_any(request: &SentRequest) -> Result<(ErrorKind, bool), String> {
    lab_503(request, None)
}

/// `503 {"error":…,"error_kind":"timeout",…}`, the answer a check expects.
fn expected_503(kind: Option<ErrorKind>) -> String {
    format!(
        "503 {{\"error\":…,\"error_kind\":\"{}\",\"service_a\":\"unavailable\",\"service_b\":\"ok\"}}",
        kind.map_or("…", ErrorKind::as_str)
    )
}

/// The shape of the lab's 503, whatever its kind: the kind B said (one of
/// the lab's), or the one its error text names when it says none.
fn lab_503(request: &SentRequest, kind: Option<ErrorKind>) -> Result<(ErrorKind, bool), String> {
    let expected = expected_503(kind);
    let (status, body) = answered(request, &expected)?;
    if status != 503 {
        return Err(format!("expected {expected}; B answered {status} {}", quote(body)));
    }
    let Some(json) = object(body) else {
        return Err(format!("expected {expected}; B's 503 is not JSON: {}", quote(body)));
    };
    let text = |key: &str| json.get(key).and_then(Value::as_str);
    let Some(error) = text("error").filter(|error| !error.is_empty()) else {
        return Err(format!("expected {expected}; B's 503 has no \"error\" text: {}", quote(body)));
    };
    if text("service_a") != Some("unavailable") || text("service_b") != Some("ok") {
        return Err(format!(
            "expected {expected}; B's 503 does not say \"service_a\":\"unavailable\",\"service_b\":\"ok\": {}",
            quote(body)
        ));
    }
    match json.get("error_kind") {
        Some(said) => match said.as_str().and_then(ErrorKind::from_name) {
            Some(seen) => Ok((seen, false)),
            None => {
                let names: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.as_str()).collect();
                Err(format!("expected {expected}; B's error_kind {said} is none of {}", names.join(", ")))
            }
        },
        None => match crate::msg::kind_from_error_text(error) {
            Some(seen) => Ok((seen, true)),
            None => Err(format!(
                "expected {expected}; B's 503 has no error_kind and its error text names no kind: {}",
                quote(body)
            )),
        },
    }
}

fn body_of(request: &SentRequest) -> &str {
    match &request.outcome {
        Some(Outcome::Answered { body, .. }) => body,
        _ => "",
    }
}

/// How much sooner than its timeout B may give up and still be said to have
/// waited for it (the timer's and the log's rounding).
pub const EARLY_MS: u64 = 100;
/// How much later than its timeout B may answer and still be on time (its
/// own work after giving up, a busy machine).
pub const LATE_MS: u64 = 400;

/// B gave up at its budget (`timeout_ms`): not much sooner, not much later.
pub fn within_budget(request: &SentRequest, timeout_ms: u64) -> Result<(), String> {
    let latency = request.outcome.as_ref().map_or(0, |outcome| whole_ms(outcome.latency()));
    if latency + EARLY_MS < timeout_ms {
        return Err(format!(
            "expected B to wait for A about {timeout_ms} ms (its timeout) before it gives up; \
             it answered after {latency} ms"
        ));
    }
    if latency > timeout_ms + LATE_MS {
        return Err(format!(
            "expected B to give up after about {timeout_ms} ms (its timeout); it answered after {latency} ms"
        ));
    }
    Ok(())
}

/// The status and body of B's answer, or what came instead of one.
fn answered<'a>(request: &'a SentRequest, expected: &str) -> Result<(u16, &'a str), String> {
    match &request.outcome {
        Some(Outcome::Answered { status, body, .. }) => Ok((*status, body)),
        Some(Outcome::NoAnswer { latency, error }) => {
            let timed_out = error == crate::io::http::NOT_IN_TIME;
            let hint = if timed_out { ": does B set a timeout on its call to A?" } else { "" };
            Err(format!("expected {expected}; B gave no answer after {} ms ({error}){hint}", whole_ms(*latency)))
        }
        None => Err(format!("expected {expected}; no answer came")),
    }
}

fn object(body: &str) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_str(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A body as a detail quotes it: clipped, on one line.
fn quote(body: &str) -> String {
    if body.is_empty() { "(an empty body)".into() } else { format!("`{}`", clip(&sanitize(body), QUOTED)) }
}

fn whole_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// How a request's lines were found in a log: by its id, or by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    ById,
    /// The log's lines carry no `request_id`: the line of the lab's call
    /// written while the request was in flight (the lab sends one at a time).
    ByTime,
}

/// The lines of `service`'s log that belong to `request`: those with its id,
/// or, in a log whose lines carry no ids, those written while it was in
/// flight ([`crate::model::join::by_time`]).
pub fn lines_of<'a>(
    request: &SentRequest,
    lines: impl Iterator<Item = &'a LogLine>,
    service: contract::Service,
    joined: Joined,
) -> Vec<&'a LogLine> {
    match joined {
        Joined::ById => lines
            .filter(|line| line.call_of() == Some(service) && line.request_id.as_deref() == Some(request.id.as_str()))
            .collect(),
        Joined::ByTime => crate::model::join::by_time(request, lines, service, crate::model::join::AFTER_ANSWER),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::requests::Conditions;

    fn request(outcome: Outcome) -> SentRequest {
        SentRequest {
            id: "lab1-0001-x".into(),
            sent_at: time::OffsetDateTime::UNIX_EPOCH,
            msg: "hello".into(),
            delay_ms: None,
            burst: false,
            outcome: Some(outcome),
            conditions: Conditions::default(),
        }
    }

    fn answer(status: u16, kind: Option<ErrorKind>, body: &str) -> SentRequest {
        request(Outcome::Answered {
            status,
            latency: Duration::from_millis(1003),
            error_kind: kind,
            upstream_ms: None,
            body: body.into(),
        })
    }

    #[test]
    fn the_labs_503_passes_and_every_way_of_getting_it_wrong_is_named() {
        let good = r#"{"error":"A did not answer within 1000 ms","error_kind":"timeout","service_a":"unavailable","service_b":"ok"}"#;
        assert_eq!(unavailable(&answer(503, Some(ErrorKind::Timeout), good), ErrorKind::Timeout), Ok(false));
        let flask = r#"{"error":"Read timed out. (read timeout=1.0)","service_a":"unavailable","service_b":"ok"}"#;
        assert_eq!(unavailable(&answer(503, Some(ErrorKind::Timeout), flask), ErrorKind::Timeout), Ok(true));

        let cases = [
            (answer(500, None, r#"{"error":"boom"}"#), "B answered 500 `{\"error\":\"boom\"}`"),
            (answer(503, None, "A is down"), "B's 503 is not JSON: `A is down`"),
            (answer(503, None, ""), "B's 503 is not JSON: (an empty body)"),
            (answer(503, None, r#"{"service_a":"unavailable","service_b":"ok"}"#), "has no \"error\" text"),
            (answer(503, None, r#"{"error":"x","service_a":"down"}"#), "does not say \"service_a\":\"unavailable\""),
            (
                answer(503, Some(ErrorKind::Connect), &good.replace("timeout\",", "connect\",")),
                "B said error_kind connect",
            ),
            (
                answer(503, None, r#"{"error":"oops","service_a":"unavailable","service_b":"ok"}"#),
                "no error_kind and its error text names no kind",
            ),
            (
                answer(503, None, &good.replace("\"timeout\"", "\"oops\"")),
                "B's error_kind \"oops\" is none of connect, timeout, status, body, circuit_open",
            ),
            (answer(503, None, &good.replace("\"timeout\"", "7")), "B's error_kind 7 is none of"),
            (
                request(Outcome::NoAnswer {
                    latency: Duration::from_millis(5000),
                    error: crate::io::http::NOT_IN_TIME.into(),
                }),
                "B gave no answer after 5000 ms (B did not answer in time): does B set a timeout",
            ),
        ];
        for (request, said) in cases {
            let detail = unavailable(&request, ErrorKind::Timeout).unwrap_err();
            assert!(detail.starts_with("expected 503 {\"error\":…,\"error_kind\":\"timeout\""), "{detail}");
            assert!(detail.contains(said), "{detail} lacks {said}");
        }
    }

    #[test]
    fn the_echo_must_be_the_labs_json_with_the_message() {
        assert_eq!(echoed(&answer(200, None, r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#)), Ok(()));
        let wrong = echoed(&answer(200, None, r#"{"echo":"hello"}"#)).unwrap_err();
        assert!(wrong.ends_with("B answered 200 `{\"echo\":\"hello\"}`"), "{wrong}");
        let text = echoed(&answer(200, None, "hello")).unwrap_err();
        assert!(text.contains("B's 200 is not a JSON object: `hello`"), "{text}");
    }

    #[test]
    fn a_b_that_waits_past_its_budget_is_told_how_long_it_took() {
        let slow = answer(503, Some(ErrorKind::Timeout), "{}");
        assert_eq!(within_budget(&slow, 1000), Ok(()));
        let detail = within_budget(&slow, 500).unwrap_err();
        assert_eq!(detail, "expected B to give up after about 500 ms (its timeout); it answered after 1003 ms");
        let early = within_budget(&slow, 2000).unwrap_err();
        assert_eq!(
            early,
            "expected B to wait for A about 2000 ms (its timeout) before it gives up; it answered after 1003 ms"
        );
    }
}
