//! The report's data as JSON, beside the Markdown, to plot or to check by a
//! script: `{"experiments":[…],"requests":[…],"timeline":[…],"summary":{…}}`
//! (SPEC, "The lab without a keyboard"). Times are RFC 3339 in UTC,
//! latencies in milliseconds.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::Model;
use crate::model::requests::{AState, SentRequest};
use crate::model::stats::{Percentiles, SessionPercentiles};
use crate::model::verdict::Verdict;
use crate::msg::{LinkCondition, Outcome};
use crate::text::millis;

/// The whole document; `verdicts` is empty for the live `r`.
pub fn render(model: &Model, generated_at: OffsetDateTime, verdicts: &[Verdict]) -> String {
    let document = json!({
        "generated_at": rfc3339(generated_at),
        "experiments": verdicts.iter().map(experiment).collect::<Vec<_>>(),
        "requests": model.session_log.manual.iter().map(request).collect::<Vec<_>>(),
        "timeline": model.timeline.seconds().map(|second| json!({
            "second": second.at,
            "ended": second.ended,
            "ok": second.ok,
            "availability": second.availability(),
            "p99_ms": second.p99,
        })).collect::<Vec<_>>(),
        "summary": summary(model),
    });
    // A `Value` of strings, numbers and nulls always serializes.
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

fn experiment(verdict: &Verdict) -> Value {
    json!({
        "name": verdict.name,
        "title": verdict.title,
        "verdict": verdict.kind.as_str(),
        "detail": verdict.detail,
        "request_ids": verdict.request_ids,
    })
}

fn request(request: &SentRequest) -> Value {
    let mut fields = json!({
        "id": request.id,
        "sent_at": rfc3339(request.sent_at),
        "msg": request.msg,
        "delay_ms": request.delay_ms,
        "a": a_state(request.conditions.a),
        "link": link(request.conditions.link),
    });
    let answer = match &request.outcome {
        None => json!({ "answered": false, "pending": true }),
        Some(Outcome::NoAnswer { latency, error }) => {
            json!({ "answered": false, "latency_ms": millis(*latency), "error": error })
        }
        Some(outcome @ Outcome::Answered { status, latency, error_kind, upstream_ms, body }) => json!({
            "answered": true,
            "status": status,
            "latency_ms": millis(*latency),
            "error_kind": error_kind.map(contract::ErrorKind::as_str),
            "error_kind_read_from_text": outcome.kind_guessed(),
            "upstream_ms": upstream_ms,
            "body": body,
        }),
    };
    if let (Value::Object(fields), Value::Object(answer)) = (&mut fields, answer) {
        fields.extend(answer);
    }
    fields
}

fn summary(model: &Model) -> Value {
    let stats = &model.stats;
    let window = stats.percentiles();
    json!({
        "seed": model.settings.seed,
        "requests": stats.total,
        "answered": stats.answered(),
        "no_answer": stats.no_answer,
        "by_status": stats.by_status,
        "by_error_kind": stats.error_kind_counts().map(|(kind, n)| (kind.as_str().to_owned(), Value::from(n))).collect::<serde_json::Map<_, _>>(),
        "latency_ms": {
            "recent": percentiles(&window),
            "session": session_percentiles(&stats.session_percentiles()),
        },
        "loads": model.session_log.bursts.iter().map(|load| json!({
            "kind": match load.kind {
                crate::model::session::LoadKind::Burst => "burst".to_owned(),
                crate::model::session::LoadKind::Steady { rate } => format!("steady {rate}/s"),
            },
            "started_at": rfc3339(load.started_at),
            "ended_at": load.ended_at.map(rfc3339),
            "requests": load.requests,
            "answered": load.answered,
            "failed": load.failed(),
            "cancelled": load.cancelled,
            "by_status": load.by_status,
            "first_id": load.first_id,
            "last_id": load.last_id,
        })).collect::<Vec<_>>(),
    })
}

fn percentiles(p: &Percentiles) -> Value {
    json!({ "count": p.count, "p50": p.p50, "p90": p.p90, "p99": p.p99, "max": p.max })
}

fn session_percentiles(p: &SessionPercentiles) -> Value {
    json!({ "count": p.count, "p50": p.p50, "p90": p.p90, "p99": p.p99, "p99_9": p.p999, "max": p.max })
}

fn a_state(a: AState) -> &'static str {
    match a {
        AState::Up => "up",
        AState::Down => "down",
        AState::Frozen => "frozen",
        AState::Crashed => "crashed",
    }
}

fn link(condition: LinkCondition) -> &'static str {
    match condition {
        LinkCondition::Healthy => "healthy",
        LinkCondition::Fault(id) => id,
        LinkCondition::Other => "other",
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
