//! The call from B to A: one pooled HTTP/1 client for the life of the
//! process, B's live call policy (the budget, retries with backoff, the
//! circuit breaker, the deadline header), and every failure sorted into one of
//! the [`ErrorKind`]s.
//!
//! The calls go over hyper's own HTTP/1 connections, kept open between calls
//! by [`crate::connections`], not through `reqwest`: B makes one plain GET to
//! one known host, and measured at 40k calls/s `reqwest`'s layers around the
//! same client (parsing the URL again from every answer for its redirect
//! bookkeeping, the builder, the boxing) took a sixth of B's time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header::HOST;
use axum::http::{HeaderValue, Request, StatusCode, Uri};
use contract::{EchoBody, EchoParams, ErrorKind};
use futures_util::FutureExt as _;
use http_body_util::{BodyExt as _, Empty};
use service_kit::headers::{DEADLINE_MS, REQUEST_ID, TRACEPARENT};
use url::Url;

use crate::connections::{Connections, SendError};
use crate::error::UpstreamError;
use crate::live::LivePolicy;
use crate::policy::{Admission, backoff, is_retryable, try_share};

/// What B sends on to A of the caller's request: its id and B's place in its trace.
#[derive(Debug, Clone, Copy)]
pub struct Forward<'a> {
    pub request_id: &'a HeaderValue,
    /// `00-<trace id>-<B's span id>-<flags>` (none outside the access log, in tests).
    pub traceparent: Option<&'a str>,
}

/// Largest answer from A that B reads. A's biggest real answer (4 KiB of `msg`,
/// escaped) is far below; a runaway A cannot make B buffer without limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How one request's call to A went: the answer or why not, and how many tries
/// it took (0 when the breaker refused it).
#[derive(Debug)]
pub struct CallOutcome {
    pub result: Result<EchoBody, UpstreamError>,
    pub tries: u32,
}

/// B's way of calling A. Clone is cheap and shares the connections and the policy.
///
/// It follows no redirect (a 3xx from A is an answer like any non-2xx,
/// `status`: following it would send the caller's request id, and trust, to
/// another server) and reads no proxy variable (plain HTTP to A).
#[derive(Debug, Clone)]
pub struct ServiceAClient {
    connections: Arc<Connections>,
    /// `/base/echo`, to which each call adds its query.
    echo_path: String,
    /// The `host` header of every call (`host:port`), made once, not per call.
    host: HeaderValue,
    policy: LivePolicy,
}

impl ServiceAClient {
    /// A client for A at `base_url` (an `http` URL) that calls it as `policy`
    /// says at the time of each call.
    pub fn new(base_url: &Url, policy: LivePolicy) -> Self {
        let echo_path = format!("{}/echo", base_url.path().trim_end_matches('/'));
        // The URL was checked to have a host; the port is left out of `host`
        // when it is the default, as a browser does.
        let host = base_url.host_str().unwrap_or_default();
        let port = base_url.port_or_known_default().unwrap_or(80);
        let connections = Arc::new(Connections::new(format!("{host}:{port}")));
        let host = match base_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        // A URL's host and port are always a valid header value.
        let host = HeaderValue::from_str(&host).unwrap_or(HeaderValue::from_static("localhost"));
        Self { connections, echo_path, host, policy }
    }

    /// The target of one call (`/echo?msg=...`): `msg` (and `delay_ms`)
    /// form-encoded, as a browser would send them.
    fn echo_uri(&self, params: &EchoParams) -> Result<Uri, UpstreamError> {
        let mut text = String::with_capacity(self.echo_path.len() + 16 + params.msg.len());
        text.push_str(&self.echo_path);
        text.push_str("?msg=");
        text.extend(url::form_urlencoded::byte_serialize(params.msg.as_bytes()));
        if let Some(delay_ms) = params.delay_ms {
            text.push_str("&delay_ms=");
            text.push_str(&delay_ms.to_string());
        }
        Uri::try_from(text).map_err(|error| {
            UpstreamError::new(ErrorKind::Connect, format!("cannot make the URL of the call to service A: {error}"))
        })
    }

    /// Calls `GET /echo` on A with the same `msg` and `delay_ms`, URL-encoded, the
    /// caller's request id and B's `traceparent`, so both services log the same
    /// request id and trace id for this call.
    /// All tries and the pauses between them fit in the policy's budget; each
    /// try gets an equal share of what is left ([`try_share`]).
    pub async fn call_echo(&self, params: &EchoParams, forward: Forward<'_>) -> CallOutcome {
        let started = Instant::now();
        let (policy, admission) = self.policy.start_call(started);
        let metrics = service_kit::metrics::get();
        if let Admission::Refuse { for_another } = admission {
            metrics.upstream_call(ErrorKind::CircuitOpen.as_str());
            return CallOutcome { result: Err(UpstreamError::circuit_open(for_another)), tries: 0 };
        }
        // A trial whose caller hangs up (this future dropped) decides nothing:
        // it is let go at once, not after the breaker's open time.
        let mut trial = TrialGuard { policy: &self.policy, armed: admission == Admission::Trial };
        let give_up_at = started + policy.budget();
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let left = give_up_at.saturating_duration_since(Instant::now());
            let share = try_share(left, policy.retries, tries);
            let waited_ms = if policy.retries == 0 { policy.timeout_ms } else { millis(share) };
            let result = self.try_once(params, forward, share, policy.deadline, waited_ms).await;
            metrics.upstream_try(outcome_name(&result));
            let error = match result {
                Ok(echo) => break Ok(echo),
                Err(error) => error,
            };
            if tries > policy.retries || !is_retryable(error.kind, error.status) {
                break Err(error);
            }
            let left = give_up_at.saturating_duration_since(Instant::now());
            match backoff(tries, left, |ceiling_us| fastrand::u64(0..=ceiling_us)) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => break Err(error),
            }
        };
        trial.armed = false;
        // A caller that asked A to wait at least B's whole budget doomed its own
        // call: its timeout says nothing of A, and must not open the breaker
        // for everyone else.
        let doomed = params.delay_ms.is_some_and(|delay_ms| delay_ms >= policy.timeout_ms)
            && result.as_ref().is_err_and(|error| error.kind == ErrorKind::Timeout);
        match (doomed, admission) {
            (true, Admission::Trial) => self.policy.release(Instant::now()),
            (true, _) => {}
            (false, _) => self.policy.record(Instant::now(), result.is_ok()),
        }
        metrics.upstream_call(outcome_name(&result));
        let result = result.map_err(|mut error| {
            if tries > 1 {
                let all = millis(started.elapsed());
                error.message = format!("{} (after {tries} tries, {all} ms in all)", error.message);
            }
            error
        });
        CallOutcome { result, tries }
    }

    /// One try that may take `left`; with `deadline`, A is told so. Its
    /// timeout says it waited `waited_ms`.
    async fn try_once(
        &self,
        params: &EchoParams,
        forward: Forward<'_>,
        left: Duration,
        deadline: bool,
        waited_ms: u64,
    ) -> Result<EchoBody, UpstreamError> {
        let timed_out =
            || UpstreamError::new(ErrorKind::Timeout, format!("service A did not answer within {waited_ms} ms"));
        if left.is_zero() {
            return Err(timed_out());
        }
        let mut request =
            Request::get(self.echo_uri(params)?).header(HOST, &self.host).header(REQUEST_ID, forward.request_id);
        if let Some(traceparent) = forward.traceparent {
            request = request.header(TRACEPARENT, traceparent);
        }
        if deadline {
            request = request.header(DEADLINE_MS, deadline_for_a(left).as_millis().to_string());
        }
        let request = request.body(Empty::new()).map_err(|error| {
            UpstreamError::new(ErrorKind::Connect, format!("cannot make the call to service A: {error}"))
        })?;
        // One clock for the whole try: connect, send, headers and body.
        match tokio::time::timeout(left, self.read_echo(request, deadline)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(timed_out()),
        }
    }

    async fn read_echo(&self, request: Request<Empty<Bytes>>, deadline: bool) -> Result<EchoBody, UpstreamError> {
        // A connection whose answer is not read whole (a broken or oversized
        // body, a timeout) is closed with its lease.
        let (response, lease) = self.connections.send(request).await.map_err(|error| classify(&error))?;
        let status = response.status();
        if !status.is_success() {
            // The answer is an error whatever its body says; the connection
            // serves the next call if the body has already come whole.
            let mut body = response.into_body();
            if arrived_whole(&mut body) {
                lease.give_back();
            }
            if deadline && status == StatusCode::GATEWAY_TIMEOUT {
                // A stopped at the deadline B gave it: for B's caller, a timeout.
                return Err(UpstreamError::new(
                    ErrorKind::Timeout,
                    "service A stopped at the deadline B sent it (x-deadline-ms): no answer within the budget",
                ));
            }
            return Err(UpstreamError::status(status));
        }
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| {
                UpstreamError::new(ErrorKind::Body, format!("service A's answer broke off: {}", root_cause(&error)))
            })?;
            let Ok(chunk) = frame.into_data() else { continue };
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(UpstreamError::new(
                    ErrorKind::Body,
                    format!("service A's answer is larger than {MAX_BODY_BYTES} bytes"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        lease.give_back();
        serde_json::from_slice::<EchoBody>(&bytes).map_err(|error| {
            UpstreamError::new(ErrorKind::Body, format!("service A's answer is not {{\"echo\": \"...\"}}: {error}"))
        })
    }
}

/// Reads what of `body` has already arrived, never waiting for more: true if
/// that was all of it. (A's error answers are small and come with their head;
/// one still coming is not waited for: its status is the answer.)
fn arrived_whole(body: &mut hyper::body::Incoming) -> bool {
    // A body that came with its head is one chunk, then its end (hyper hands
    // over one chunk at a time, and knows the end from content-length).
    for _ in 0..2 {
        match body.frame().now_or_never() {
            Some(None) => return true,
            Some(Some(Ok(_))) => {}
            Some(Some(Err(_))) | None => return false,
        }
    }
    false
}

/// Releases the breaker's trial if the call ends without a result (dropped).
struct TrialGuard<'a> {
    policy: &'a LivePolicy,
    armed: bool,
}

impl Drop for TrialGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.policy.release(Instant::now());
        }
    }
}

/// Whole milliseconds, for a message.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What B tells A is left of its budget: a little less than B itself waits,
/// for the trip there and back, so that A stops (and logs `deadline passed`)
/// just before B gives up, rather than B hanging up first.
fn deadline_for_a(left: Duration) -> Duration {
    left.saturating_sub(DEADLINE_ALLOWANCE.min(left / 10))
}

/// The allowance for the trip to A and back (see [`deadline_for_a`]).
pub const DEADLINE_ALLOWANCE: Duration = Duration::from_millis(20);

fn outcome_name(result: &Result<EchoBody, UpstreamError>) -> &'static str {
    result.as_ref().map_or_else(|error| error.kind.as_str(), |_| "ok")
}

/// Sorts a transport error into a kind and a sentence. (Time is kept by
/// [`ServiceAClient::try_once`]: a connect that never ends is a `timeout`,
/// what the caller saw is B waiting the full time.) The sentence never
/// contains the URL, so the user's `msg` is not echoed.
fn classify(error: &SendError) -> UpstreamError {
    match error {
        SendError::Connect(error) => {
            UpstreamError::new(ErrorKind::Connect, format!("cannot connect to service A: {}", root_cause(error)))
        }
        // A dropped connection, a reset, an HTTP protocol error: A is not reachable
        // in any useful sense, which is what `connect` tells the learner.
        SendError::Lost(error) => {
            UpstreamError::new(ErrorKind::Connect, format!("lost the connection to service A: {}", root_cause(error)))
        }
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
