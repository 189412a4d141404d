//! The access log: exactly one line per request, written after the response is
//! known, with the lab's fields in the lab's order.
//!
//! ```text
//! ... service=B endpoint=/call-echo status=error error_kind=connect error="..." latency_ms=2 request_id=...
//! ```
//!
//! Handlers that fail attach a [`Failure`] to their response; this middleware is
//! the only place that turns it into a line.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use contract::headers::REQUEST_ID;

/// Why a response is an error, for the log line (never shown to the client by this).
#[derive(Debug, Clone)]
pub struct Failure {
    /// `connect`, `timeout`, `status` or `body` for B's failed calls to A.
    pub kind: Option<&'static str>,
    /// A sentence for the person reading the log.
    pub message: String,
}

/// Target of the access-log events, for `RUST_LOG` (e.g. `RUST_LOG=access=off`).
pub const TARGET: &str = "access";

/// Middleware: times the request and logs its line once the response is ready.
/// Runs inside the request-id layer, so `x-request-id` is always set here.
///
/// If the client goes away first (B gave up on a slow A, say), the server drops
/// this future; the [`PendingLine`] then still writes the request's line, as an
/// error, so a request that reached the service is never missing from its log.
pub async fn access_log(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut pending =
        PendingLine { started: Instant::now(), endpoint: request.uri().path().to_owned(), request_id, done: false };
    let response = next.run(request).await;
    pending.done = true;
    let failure = response.extensions().get::<Failure>();
    let fallback_error = (failure.is_none() && !response.status().is_success()).then(|| response.status().to_string());
    let error = failure.map(|f| f.message.as_str()).or(fallback_error.as_deref());
    pending.write(failure.and_then(|f| f.kind), error);
    response
}

/// A request whose line is not written yet.
struct PendingLine {
    started: Instant,
    endpoint: String,
    request_id: String,
    done: bool,
}

impl PendingLine {
    fn write(&self, error_kind: Option<&str>, error: Option<&str>) {
        let latency_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            target: TARGET,
            endpoint = self.endpoint,
            status = if error.is_none() { "ok" } else { "error" },
            error_kind,
            error,
            latency_ms,
            request_id = self.request_id,
        );
    }
}

impl Drop for PendingLine {
    fn drop(&mut self) {
        if !self.done {
            self.write(None, Some("the client closed the connection before the answer"));
        }
    }
}
