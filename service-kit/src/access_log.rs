//! The request id and the access log, in one layer: exactly one line per
//! request, written after the response is known, with the lab's fields in the
//! lab's order, and the request counted in the metrics.
//!
//! ```text
//! ... service=B endpoint=/call-echo status=error error_kind=connect error="..." latency_ms=2 request_id=...
//! ```
//!
//! The caller's `x-request-id` is kept if it is acceptable
//! ([`contract::headers::is_acceptable_request_id`]), else replaced by a fresh
//! one; either way it is in the response, and, for a service whose handlers
//! send it on ([`AccessLog::with_ids_for_handlers`]: B), in the request as
//! the [`IdAndTrace`] extension.
//!
//! W3C `traceparent`: a caller's trace is joined (else one starts here), and
//! the request carries this service's own span (the [`Trace`] in
//! [`IdAndTrace`]), so B forwards it to A; the line says `trace_id=`.
//!
//! Handlers that fail attach a [`Failure`] to their response; this layer is the
//! only place that turns it into a line.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use contract::headers::is_acceptable_request_id;
use tokio::time::Sleep;

use crate::headers::REQUEST_ID;
use crate::ids::{IdAndTrace, Trace, fresh_request_id};
use crate::metrics;
use crate::telemetry::Endpoint;

/// Why a response is an error, for the log line (never shown to the client by this).
#[derive(Debug, Clone)]
pub struct Failure {
    /// `connect`, `timeout`, `status`, `body` or `circuit_open` for B's failed calls to A.
    pub kind: Option<&'static str>,
    /// A sentence for the person reading the log.
    pub message: String,
}

/// How many tries B made to call A for this request; the line says
/// `tries=N` when there was more than one.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamTries(pub u32);

/// Which of A's faults answered this request; the line says `fault=<name>`.
#[derive(Debug, Clone, Copy)]
pub struct FaultAnswered(pub &'static str);

/// The answer came from A's idempotency memory, not from doing the work
/// again; the line says `dedup=hit`.
#[derive(Debug, Clone, Copy)]
pub struct DedupHit;

/// The fields a handler adds to its line, after the lab's own.
#[derive(Debug, Clone, Copy, Default)]
struct Extras {
    tries: Option<u32>,
    fault: Option<&'static str>,
    dedup: Option<&'static str>,
}

/// Target of the access-log events, for `RUST_LOG` (e.g. `RUST_LOG=access=off`).
pub const TARGET: &str = "access";

/// The `error` of a request cut because the shutdown grace ran out.
pub const CUT_AT_SHUTDOWN: &str = "cut at shutdown";

/// The `error` of a request whose client went away before the answer.
pub const CLIENT_CLOSED: &str = "the client closed the connection before the answer";

/// The status counted in the metrics for a request that got no answer (nginx's "client closed request").
const NO_ANSWER_STATUS: u16 = 499;

tokio::task_local! {
    /// Set while the server drops connections cut at shutdown, so their
    /// unfinished requests say so instead of blaming the client.
    static CUTTING: ();
}

/// Drops `connection` so that the lines of its unfinished requests say
/// `cut at shutdown`.
pub(crate) fn cut<T>(connection: T) {
    CUTTING.sync_scope((), move || drop(connection));
}

/// The access-log layer: request id, one line per request, metrics. Put it
/// outside everything that can answer, so every answer has its line.
/// `endpoints` are the service's own paths: each (and `/metrics`) is counted
/// under its name in the metrics, every other path as `other`.
///
/// It also keeps the longest a request may take, `deadline`: past it the
/// request is answered `503` (and its line says so). The timer is armed only
/// once the request has had to wait, so the answers made at once (nearly all
/// of them) never touch the timer wheel.
#[derive(Debug, Clone, Copy)]
pub struct AccessLogLayer {
    pub endpoints: &'static [&'static str],
    pub deadline: Duration,
}

impl<S> tower::Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog { inner, endpoints: self.endpoints, deadline: self.deadline, ids_for_handlers: false }
    }
}

/// See [`AccessLogLayer`].
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
    endpoints: &'static [&'static str],
    deadline: Duration,
    ids_for_handlers: bool,
}

impl<S> AccessLog<S> {
    /// Gives each request its ids as the [`IdAndTrace`] extension, for
    /// handlers that send them on (B's call to A). Off by default: a request's
    /// first extension costs it three allocations (a map, its table, the box),
    /// about 3 % of A's requests per second, and A's handler reads the
    /// caller's id from the request's own header.
    pub fn with_ids_for_handlers(mut self) -> Self {
        self.ids_for_handlers = true;
        self
    }
}

impl<S> tower::Service<Request> for AccessLog<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// The line is *started* here, not in the future: the server may drop the
    /// future without ever polling it (a client that went away while the service
    /// was frozen), and the dropped [`PendingLine`] still writes the line.
    fn call(&mut self, mut request: Request) -> Self::Future {
        let request_id = match request.headers().get(&REQUEST_ID) {
            Some(id) if is_acceptable_request_id(id.as_bytes()) => id.clone(),
            _ => fresh_request_id(),
        };
        let trace = Trace::of(&request);
        if self.ids_for_handlers {
            request.extensions_mut().insert(IdAndTrace { request_id: request_id.clone(), trace });
        }
        let path = request.uri().path();
        let label = self.endpoints.iter().chain([&metrics::PATH]).copied().find(|known| *known == path);
        // A path of the service's own is logged as its label; another one as sent (cut if long).
        let other_path = label.is_none().then(|| logged_path(path).into_owned());
        let pending = PendingLine {
            started: Instant::now(),
            other_path,
            label: label.unwrap_or(metrics::OTHER),
            request_id,
            method: request.method().clone(),
            trace,
            written: false,
        };
        AccessLogFuture { inner: self.inner.call(request), pending, deadline: self.deadline, timer: None }
    }
}

pin_project_lite::pin_project! {
    /// The response of [`AccessLog`]: the inner response, then the line.
    pub struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        pending: PendingLine,
        deadline: Duration,
        // Armed at the first wait.
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<F, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.inner.poll(cx) {
            Poll::Ready(response) => response?,
            Poll::Pending => {
                let deadline = *this.deadline;
                let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(deadline)));
                ready!(timer.as_mut().poll(cx));
                // The deadline passed: the work is dropped with this future.
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        };
        this.pending.finish(&response);
        response.headers_mut().insert(REQUEST_ID, this.pending.request_id.clone());
        Poll::Ready(Ok(response))
    }
}

/// A request whose line is not written yet.
struct PendingLine {
    started: Instant,
    /// The path when it is not one of the service's own (`label` is then `other`).
    other_path: Option<String>,
    /// The path's label in the metrics.
    label: &'static str,
    request_id: HeaderValue,
    method: axum::http::Method,
    /// The W3C trace it belongs to, and this service's span in it.
    trace: Trace,
    written: bool,
}

impl PendingLine {
    fn finish(&mut self, response: &Response) {
        let failure = response.extensions().get::<Failure>();
        let status = response.status();
        let fallback_error = (failure.is_none() && !status.is_success()).then(|| status.to_string());
        let error = failure.map(|f| f.message.as_str()).or(fallback_error.as_deref());
        let extensions = response.extensions();
        let extras = Extras {
            tries: extensions.get::<UpstreamTries>().map(|tries| tries.0).filter(|tries| *tries > 1),
            fault: extensions.get::<FaultAnswered>().map(|fault| fault.0),
            dedup: extensions.get::<DedupHit>().map(|_| "hit"),
        };
        self.write(status.as_u16(), failure.and_then(|f| f.kind), error, extras);
    }

    fn write(&mut self, status: u16, error_kind: Option<&str>, error: Option<&str>, extras: Extras) {
        self.written = true;
        let end = Instant::now();
        let elapsed = end.saturating_duration_since(self.started);
        metrics::get().request(self.label, status, elapsed.as_secs_f64());
        // The id was checked (printable ASCII) or made here, so it is text.
        let request_id = std::str::from_utf8(self.request_id.as_bytes()).unwrap_or_default();
        let endpoint = match &self.other_path {
            Some(path) => Endpoint::Other(path),
            None => Endpoint::Own(self.label),
        };
        let latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let at_ms = crate::clock::unix_ms_at(end);
        let trace_id = Some(self.trace.trace_id.as_str());
        write_line(at_ms, endpoint, error_kind, error, extras, latency_ms, request_id, trace_id);
        crate::otlp::record(|| {
            let end = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            crate::otlp::Span {
                trace_id: self.trace.trace_id.as_str().to_owned(),
                span_id: self.trace.span_id.as_str().to_owned(),
                parent_span_id: self.trace.caller_span().map(str::to_owned),
                name: format!("{} {}", self.method, endpoint.as_str()),
                start_unix_nanos: end.saturating_sub(elapsed).as_nanos(),
                end_unix_nanos: end.as_nanos(),
                status,
                request_id: request_id.to_owned(),
            }
        });
    }
}

/// Longest path logged whole; a longer one (an unknown path a client made up)
/// is cut, so no client can make one line thousands of times longer.
pub const MAX_LOGGED_PATH: usize = 256;

/// `path`, or its first [`MAX_LOGGED_PATH`] bytes with how long it was.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    if path.len() <= MAX_LOGGED_PATH {
        return path.into();
    }
    let mut end = MAX_LOGGED_PATH;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…({} bytes)", &path[..end], path.len()).into()
}

/// The request line's keys, in the lab's order (checked when compiled).
pub(crate) mod key {
    use contract::logline::Key;
    pub const ENDPOINT: Key = Key::new("endpoint");
    pub const STATUS: Key = Key::new("status");
    pub const ERROR_KIND: Key = Key::new("error_kind");
    pub const ERROR: Key = Key::new("error");
    pub const TRIES: Key = Key::new("tries");
    pub const FAULT: Key = Key::new("fault");
    pub const DEDUP: Key = Key::new("dedup");
    pub const LATENCY_MS: Key = Key::new("latency_ms");
    pub const REQUEST_ID: Key = Key::new("request_id");
    pub const TRACE_ID: Key = Key::new("trace_id");
}

#[allow(clippy::too_many_arguments)] // the line's fields, in the line's order
fn write_line(
    at_ms: i64,
    endpoint: Endpoint<'_>,
    error_kind: Option<&str>,
    error: Option<&str>,
    extras: Extras,
    latency_ms: u64,
    request_id: &str,
    trace_id: Option<&str>,
) {
    let status = if error.is_none() { "ok" } else { "error" };
    crate::telemetry::request_line(at_ms, endpoint, status, |line| {
        let optional = |line: &mut contract::logline::LineWriter<'_>, key, value: Option<&str>| {
            if let Some(value) = value {
                line.str(key, value);
            }
        };
        optional(line, key::ERROR_KIND, error_kind);
        optional(line, key::ERROR, error);
        if let Some(tries) = extras.tries {
            line.u64(key::TRIES, u64::from(tries));
        }
        optional(line, key::FAULT, extras.fault);
        optional(line, key::DEDUP, extras.dedup);
        line.u64(key::LATENCY_MS, latency_ms);
        line.str(key::REQUEST_ID, request_id);
        if let Some(trace_id) = trace_id {
            line.str(key::TRACE_ID, trace_id);
        }
    });
}

impl Drop for PendingLine {
    fn drop(&mut self) {
        if !self.written {
            let error = if CUTTING.try_with(|()| ()).is_ok() { CUT_AT_SHUTDOWN } else { CLIENT_CLOSED };
            self.write(NO_ANSWER_STATUS, None, Some(error), Extras::default());
        }
    }
}

/// Logs and counts a request the HTTP layer refused before it reached the
/// router (head too large, bad request line): `endpoint=-`, the status in the
/// error, and a fresh request id (the client's, if any, was never read).
pub(crate) fn log_rejected(status: u16, error: &str, request_id: &HeaderValue) {
    metrics::get().request(metrics::OTHER, status, 0.0);
    // Refused before its head was read: no trace to join.
    let request_id = request_id.to_str().unwrap_or_default();
    write_line(crate::clock::now_ms(), Endpoint::Own("-"), None, Some(error), Extras::default(), 0, request_id, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::Layer as _;

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_deadline_is_answered_503_and_one_that_is_not_waits_for_its_answer() {
        use axum::routing::get;
        use tower::ServiceExt as _;
        let router = axum::Router::new().route("/never", get(std::future::pending::<&'static str>)).route(
            "/late",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(900)).await;
                "late"
            }),
        );
        let service =
            AccessLogLayer { endpoints: &["/never", "/late"], deadline: Duration::from_secs(1) }.layer(router);
        let started = tokio::time::Instant::now();
        let get = |path: &str| Request::builder().uri(path).body(axum::body::Body::empty()).unwrap();
        let response = service.clone().oneshot(get("/never")).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert!(response.headers().contains_key(&REQUEST_ID), "the refusal has its id too");
        let response = service.oneshot(get("/late")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn a_long_path_is_cut_and_says_how_long_it_was() {
        assert_eq!(logged_path("/echo"), "/echo");
        let long = format!("/{}", "p".repeat(60_000));
        let logged = logged_path(&long);
        assert!(logged.starts_with("/ppp") && logged.ends_with("…(60001 bytes)"), "{logged}");
        assert!(logged.len() < MAX_LOGGED_PATH + 32);
        let wide = format!("/{}", "é".repeat(200));
        assert!(logged_path(&wide).ends_with("…(401 bytes)"), "cut on a character boundary");
    }
}
