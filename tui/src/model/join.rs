//! Joining a request to log lines that carry no request id: another
//! implementation's (the lab's Flask pair logs none). The rule is time: a
//! service's call line written while the request was in flight, or shortly
//! after B answered. It is a guess, and every screen that uses it says so.

use contract::Service;
use time::Duration;

use super::requests::SentRequest;
use crate::msg::{LogLine, Outcome};

/// How long after B's answer a line may still be the request's: both lines
/// are written as a request ends, and a slow disk or a busy service writes late.
pub const AFTER_ANSWER: Duration = Duration::seconds(1);

/// `service`'s call lines without a request id written between sending
/// `request` and [`AFTER_ANSWER`] after its answer (or now, while it is
/// pending: until `now`).
pub fn by_time<'a>(
    request: &SentRequest,
    lines: impl Iterator<Item = &'a LogLine>,
    service: Service,
    after: Duration,
) -> Vec<&'a LogLine> {
    let latency = request.outcome.as_ref().map_or(std::time::Duration::ZERO, Outcome::latency);
    // A log cuts its times to the millisecond: a line of the request may
    // read as early as the millisecond it was sent in, never earlier (an
    // earlier one is the request before's).
    let sent = request.sent_at;
    let from = sent.replace_millisecond(sent.millisecond()).unwrap_or(sent);
    let to = sent + latency + after;
    lines
        .filter(|line| line.call_of() == Some(service) && line.request_id.is_none())
        .filter(|line| line.at.is_some_and(|at| at >= from && at <= to))
        .collect()
}

/// What a trace says of the lines it joined by time: `services` (with how
/// many candidate lines each had).
pub fn caveat(services: &[(Service, usize)]) -> Option<String> {
    if services.is_empty() {
        return None;
    }
    let whose: Vec<String> = services.iter().map(|(service, _)| format!("{}'s", service.name())).collect();
    let several: Vec<&str> = services.iter().filter(|(_, n)| *n > 1).map(|(service, _)| service.name()).collect();
    let mut text = format!(
        "{} lines carry no request_id: joined to this request by time (written while it was in flight), \
         not by id",
        whose.join(" and ")
    );
    if !several.is_empty() {
        text.push_str(&format!("; {} had several lines then, which may be other requests'", several.join(" and ")));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use time::macros::datetime;

    use super::*;
    use crate::model::requests::Conditions;

    #[test]
    fn only_lines_without_ids_written_while_the_request_was_in_flight_are_joined() {
        let request = SentRequest {
            id: "j-1".into(),
            sent_at: datetime!(2026-12-03 12:00:00.005_700 UTC),
            msg: "hi".into(),
            delay_ms: None,
            burst: false,
            outcome: Some(Outcome::NoAnswer { latency: StdDuration::from_millis(20), error: "x".into() }),
            conditions: Conditions::default(),
        };
        let line = |text: &str| LogLine::parse(Service::A, text);
        let lines = [
            line("2026-12-03 11:59:59,900 service=A endpoint=/echo status=ok latency_ms=0"),
            line("2026-12-03 12:00:00,004 service=A endpoint=/echo status=ok latency_ms=0"),
            line("2026-12-03 12:00:00,005 service=A endpoint=/echo status=ok latency_ms=0"),
            line("2026-12-03 12:00:00,011 service=A endpoint=/echo status=ok latency_ms=0 request_id=other"),
            line("2026-12-03 12:00:00,012 service=A endpoint=/health status=ok latency_ms=0"),
            line("2026-12-03 12:00:01,500 service=A endpoint=/echo status=ok latency_ms=0"),
        ];
        let found = by_time(&request, lines.iter(), Service::A, AFTER_ANSWER);
        // Written in the millisecond it was sent in: a log cuts the rest off.
        assert_eq!(found, [&lines[2]], "before it, another id's, a health check and too late are left out");
        assert!(by_time(&request, lines.iter(), Service::B, AFTER_ANSWER).is_empty());
        assert_eq!(caveat(&[]), None);
        let said = caveat(&[(Service::B, 1), (Service::A, 2)]).unwrap();
        assert!(said.starts_with("B's and A's lines carry no request_id: joined to this request by time"), "{said}");
        assert!(said.ends_with("; A had several lines then, which may be other requests'"), "{said}");
    }
}
