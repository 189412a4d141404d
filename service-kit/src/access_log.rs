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

/// The access-log layer: one line per request, written when the response is
/// ready. It must sit inside the request-id layer, so `x-request-id` is set.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLogLayer;

impl<S> tower::Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog { inner }
    }
}

/// See [`AccessLogLayer`].
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

impl<S> tower::Service<Request> for AccessLog<S>
where
    S: tower::Service<Request, Response = Response> + Send,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// The line is *started* here, not in the future: the server may drop the
    /// future without ever polling it (a client that went away while the service
    /// was frozen), and the dropped [`PendingLine`] still writes the line.
    fn call(&mut self, request: Request) -> Self::Future {
        let mut pending = PendingLine::start(&request);
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            pending.finish(&response);
            Ok(response)
        })
    }
}

/// A request whose line is not written yet.
struct PendingLine {
    started: Instant,
    endpoint: String,
    request_id: String,
    written: bool,
}

impl PendingLine {
    fn start(request: &Request) -> Self {
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        Self { started: Instant::now(), endpoint: request.uri().path().to_owned(), request_id, written: false }
    }

    fn finish(&mut self, response: &Response) {
        let failure = response.extensions().get::<Failure>();
        let fallback_error =
            (failure.is_none() && !response.status().is_success()).then(|| response.status().to_string());
        let error = failure.map(|f| f.message.as_str()).or(fallback_error.as_deref());
        self.write(failure.and_then(|f| f.kind), error);
    }

    fn write(&mut self, error_kind: Option<&str>, error: Option<&str>) {
        self.written = true;
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
        if !self.written {
            self.write(None, Some("the client closed the connection before the answer"));
        }
    }
}
