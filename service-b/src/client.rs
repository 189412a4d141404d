//! The call from B to A: one pooled `reqwest::Client` for the life of the
//! process, a hard timeout on the whole call, and every failure sorted into one
//! of the four [`ErrorKind`]s.

use std::time::Duration;

use axum::http::HeaderValue;
use contract::headers::REQUEST_ID;
use contract::{EchoBody, EchoParams, ErrorKind};
use reqwest::Url;

use crate::error::UpstreamError;

/// Largest answer from A that B reads. A's biggest real answer (4 KiB of `msg`,
/// escaped) is far below; a runaway A cannot make B buffer without limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// B's way of calling A. Clone is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct ServiceAClient {
    client: reqwest::Client,
    echo_url: Url,
    timeout: Duration,
}

impl ServiceAClient {
    /// A client for A at `base_url` that gives up after `timeout`.
    pub fn new(base_url: &Url, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            // Bounds the whole call: connect, send, headers and body.
            .timeout(timeout)
            .connect_timeout(timeout)
            // Plain HTTP on loopback: an http_proxy variable must not capture it.
            .no_proxy()
            // A 3xx from A is an answer like any non-2xx (`status`): following it
            // would send the caller's request id, and trust, to another server.
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        let mut echo_url = base_url.clone();
        echo_url.set_path(&format!("{}/echo", base_url.path().trim_end_matches('/')));
        Ok(Self { client, echo_url, timeout })
    }

    /// Calls `GET /echo` on A with the same `msg` and `delay_ms`, URL-encoded, and
    /// the caller's request id, so both services log the same id for this call.
    pub async fn call_echo(&self, params: &EchoParams, request_id: &HeaderValue) -> Result<EchoBody, UpstreamError> {
        let result = self.call_echo_uncounted(params, request_id).await;
        let outcome = result.as_ref().map_or_else(|error| error.kind.as_str(), |_| "ok");
        service_kit::metrics::get().upstream_call(outcome);
        result
    }

    async fn call_echo_uncounted(
        &self,
        params: &EchoParams,
        request_id: &HeaderValue,
    ) -> Result<EchoBody, UpstreamError> {
        let mut request = self.client.get(self.echo_url.clone()).query(&[("msg", params.msg.as_str())]);
        if let Some(delay_ms) = params.delay_ms {
            request = request.query(&[("delay_ms", delay_ms)]);
        }
        let mut response = request.header(REQUEST_ID, request_id).send().await.map_err(|e| self.classify(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(UpstreamError::new(ErrorKind::Status, format!("service A answered {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(UpstreamError::new(
                    ErrorKind::Body,
                    format!("service A's answer is larger than {MAX_BODY_BYTES} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice::<EchoBody>(&body).map_err(|error| {
            UpstreamError::new(ErrorKind::Body, format!("service A's answer is not {{\"echo\": \"...\"}}: {error}"))
        })
    }

    /// Sorts a transport error into a kind and a sentence. A connect that times
    /// out counts as `timeout`: what the caller saw is B waiting the full time.
    /// The sentence never contains the URL, so the user's `msg` is not echoed.
    fn classify(&self, error: &reqwest::Error) -> UpstreamError {
        let limit = self.timeout.as_millis();
        if error.is_timeout() {
            let phase = if error.is_connect() { " (while connecting)" } else { "" };
            return UpstreamError::new(
                ErrorKind::Timeout,
                format!("service A did not answer within {limit} ms{phase}"),
            );
        }
        let cause = root_cause(error);
        if error.is_connect() {
            return UpstreamError::new(ErrorKind::Connect, format!("cannot connect to service A: {cause}"));
        }
        if error.is_body() || error.is_decode() {
            return UpstreamError::new(ErrorKind::Body, format!("service A's answer broke off: {cause}"));
        }
        // A dropped connection, a reset, an HTTP protocol error: A is not reachable
        // in any useful sense, which is what `connect` tells the learner.
        UpstreamError::new(ErrorKind::Connect, format!("lost the connection to service A: {cause}"))
    }
}

/// The innermost error's text, e.g. `Connection refused (os error 111)` becomes
/// `connection refused`.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    if inner.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
        return "connection refused".into();
    }
    let text = inner.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_lowercase().chain(chars).collect())
}
