//! `GET /echo`: the work (a delay, stopped at the caller's deadline or at
//! shutdown), then the answer, which one of A's faults may replace, and which
//! A remembers by request id when dedup is on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contract::faults::{Fault, INJECTED_FAULT};
use contract::headers::is_acceptable_request_id;
use contract::params::parse_deadline_ms;
use contract::{EchoBody, EchoParams, ErrorBody};
use service_kit::errors::ApiError;
use service_kit::headers::{DEADLINE_MS, REQUEST_ID};
use service_kit::{DedupHit, Draining, Failure, FaultAnswered};

use crate::dedup::Remembered;
use crate::live::LiveFaults;

/// What `/echo` needs besides the request.
#[derive(Debug, Clone)]
pub struct EchoState {
    pub draining: Draining,
    pub faults: LiveFaults,
}

/// The page a bad body answers: what a proxy or a misrouted request might return.
const BAD_BODY_PAGE: &str = "<!doctype html>\n<html><head><title>Service A</title></head>\n\
<body><h1>Welcome</h1><p>This is a web page, not the JSON you asked for (injected fault: bad_body).</p></body></html>\n";

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// A delay cut short by a shutdown answers `503 {"error":"cut at shutdown"}`
/// (and is logged so): a `200` would tell the caller the delay was served.
///
/// With `x-deadline-ms` (B's remaining budget, when B propagates deadlines),
/// the work stops once that has passed, the delay's wait included:
/// `504 {"error":"deadline passed"}`, logged so, and no work for a caller
/// that is gone. Neither is remembered: no answer was made.
///
/// The request is taken whole, not through extractors that would copy its
/// headers and extensions: `/echo` is the hot path the benchmarks measure.
pub async fn echo(State(state): State<Arc<EchoState>>, request: Request) -> Result<Response, ApiError> {
    let params = EchoParams::from_query(request.uri().query())?;
    // Only a caller's own id can come again (a fresh one is new by making);
    // one the access log did not accept is none.
    let id = request.headers().get(&REQUEST_ID).filter(|id| is_acceptable_request_id(id.as_bytes()));
    if let Some(answer) = state.faults.recall(id) {
        return Ok(repeat(answer));
    }
    if let Some(work) = Work::asked(request.headers(), params.delay_ms)? {
        // Boxed: only a request that waits carries the wait's state.
        Box::pin(work.done(&state.draining)).await?;
    }
    let (fault, faults) = state.faults.draw();
    let body = Bytes::from(serde_json::to_vec(&EchoBody { echo: params.msg }).unwrap_or_default());
    let answer = match fault {
        Some(Fault::ErrorStatus) => Remembered {
            status: StatusCode::from_u16(faults.error_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type: JSON,
            body: Bytes::from(serde_json::to_vec(&ErrorBody { error: INJECTED_FAULT.into() }).unwrap_or_default()),
            error: Some(INJECTED_FAULT.into()),
        },
        Some(Fault::BadBody) => Remembered {
            status: StatusCode::OK,
            content_type: HTML,
            body: Bytes::from_static(BAD_BODY_PAGE.as_bytes()),
            error: None,
        },
        Some(Fault::Trickle) | None => Remembered { status: StatusCode::OK, content_type: JSON, body, error: None },
    };
    state.faults.remember(id, &answer);
    let mut response = match fault {
        Some(Fault::Trickle) => {
            let trickled = trickle(answer.body, Duration::from_millis(faults.trickle_ms), state.draining.clone());
            (answer.status, [(header::CONTENT_TYPE, answer.content_type)], trickled).into_response()
        }
        _ => send(answer),
    };
    if let Some(fault) = fault {
        response.extensions_mut().insert(FaultAnswered(fault.as_str()));
    }
    Ok(response)
}

/// The work a request asks for: a delay, kept within the caller's deadline.
struct Work {
    received: Instant,
    deadline: Option<Instant>,
    wait_until: Instant,
    in_time: bool,
}

impl Work {
    /// The work `headers` and `delay_ms` ask for; none (and no clock read)
    /// for a request with neither a delay nor a deadline, nearly all of them.
    fn asked(headers: &HeaderMap, delay_ms: Option<u64>) -> Result<Option<Work>, ApiError> {
        let mut deadlines = headers.get_all(&DEADLINE_MS).iter();
        let deadline_header = deadlines.next();
        // Two header lines are one comma-joined value in HTTP: not a number.
        if deadlines.next().is_some() {
            return Err(contract::InvalidInput::BadDeadline.into());
        }
        let deadline_ms = parse_deadline_ms(deadline_header.map(HeaderValue::as_bytes))?;
        let delay = Duration::from_millis(delay_ms.unwrap_or(0));
        if deadline_ms.is_none() && delay.is_zero() {
            return Ok(None);
        }
        let received = Instant::now();
        // A deadline too far away to be an instant is no deadline.
        let deadline = deadline_ms.and_then(|ms| received.checked_add(Duration::from_millis(ms)));
        let work_done = received + delay;
        let (wait_until, in_time) = match deadline {
            Some(deadline) if deadline < work_done => (deadline, false),
            _ => (work_done, true),
        };
        Ok(Some(Work { received, deadline, wait_until, in_time }))
    }

    /// The delay, stopped at the deadline or the shutdown.
    async fn done(self, draining: &Draining) -> Result<(), ApiError> {
        if self.wait_until > self.received {
            let mut draining = draining.clone();
            tokio::select! {
                () = tokio::time::sleep_until(self.wait_until.into()) => {}
                () = draining.started() => return Err(ApiError::CutAtShutdown),
            }
        }
        if !self.in_time || self.deadline.is_some_and(|deadline| deadline <= self.received) {
            return Err(ApiError::DeadlinePassed);
        }
        Ok(())
    }
}

/// An answer sent whole, its line saying the error if it is one.
fn send(answer: Remembered) -> Response {
    // Built whole: `(status, headers, body).into_response()` would set the
    // body's `application/octet-stream` first and then replace it.
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    response.headers_mut().insert(header::CONTENT_TYPE, answer.content_type);
    if let Some(message) = answer.error {
        response.extensions_mut().insert(Failure { kind: None, message });
    }
    response
}

/// A remembered answer, sent again at once; the line says `dedup=hit`.
fn repeat(answer: Remembered) -> Response {
    let mut response = send(answer);
    response.extensions_mut().insert(DedupHit);
    response
}

/// `body` a byte at a time, the bytes spread evenly over `over` (the last one
/// at its end); a shutdown cuts it (the connection ends with the body unfinished).
fn trickle(body: Bytes, over: Duration, draining: Draining) -> Body {
    let started = tokio::time::Instant::now();
    let count = u32::try_from(body.len()).unwrap_or(u32::MAX).max(1);
    let stream = futures_util::stream::unfold((0usize, draining), move |(sent, mut draining)| {
        let body = body.clone();
        async move {
            let byte = body.slice(sent..(sent + 1).min(body.len()));
            if byte.is_empty() {
                return None;
            }
            let step = u32::try_from(sent + 1).unwrap_or(u32::MAX);
            let at = started + over.mul_f64(f64::from(step) / f64::from(count));
            tokio::select! {
                () = tokio::time::sleep_until(at) => Some((Ok::<_, std::io::Error>(byte), (sent + 1, draining))),
                () = draining.started() => Some((Err(std::io::Error::other(service_kit::access_log::CUT_AT_SHUTDOWN)), (body.len(), draining))),
            }
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn a_trickled_body_comes_a_byte_at_a_time_spread_over_the_time() {
        let started = tokio::time::Instant::now();
        let mut body = trickle(Bytes::from_static(b"{\"echo\":\"\"}"), Duration::from_millis(1100), Draining::never());
        let mut at = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert_eq!(data.len(), 1);
            at.push(started.elapsed().as_millis());
        }
        assert_eq!(at.len(), 11);
        assert_eq!(at.first(), Some(&100));
        assert_eq!(at.last(), Some(&1100));
    }
}
