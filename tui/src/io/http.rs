//! The dashboard's HTTP calls: `/call-echo` on B (with our own request id) and
//! `/health` on both services.

use std::time::{Duration, Instant};

use contract::headers::{REQUEST_ID, SERVER_TIMING, parse_upstream_timing};
use contract::policy::{PolicyChange, PolicyStatus};
use contract::{CallEchoUnavailable, ErrorBody};
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::msg::{Health, Outcome};

/// How long a health check may take before the service counts as down.
pub const HEALTH_TIMEOUT: Duration = Duration::from_millis(500);

/// The most of an answer the dashboard reads: B's real answers are tiny, and a
/// misbehaving server must not be able to fill the dashboard's memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long an admin request to B may take.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(2);

/// One pooled client for all of the dashboard's requests.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// How long [`Client::call_echo`] waits for B: [`crate::model::b_wait`] of B's starting
    /// budget. The dashboard passes the wait for B's current policy to
    /// [`Client::call_echo_waiting`].
    default_wait: Duration,
    /// `ADMIN_TOKEN`: sent to the services' admin listeners (needed off loopback).
    admin_token: Option<String>,
}

impl Client {
    /// `b_timeout` is B's starting budget for its call to A.
    pub fn new(b_timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1_024)
            .build()?;
        let budget = u64::try_from(b_timeout.as_millis()).unwrap_or(u64::MAX);
        let admin_token = std::env::var("ADMIN_TOKEN").ok().filter(|token| !token.is_empty());
        Ok(Self { http, default_wait: crate::model::b_wait(budget), admin_token })
    }

    /// `GET /policy` on B's admin listener.
    pub async fn policy(&self, admin: &Url) -> Result<PolicyStatus, String> {
        self.admin_get(admin, "policy").await
    }

    /// `PUT /policy` on B's admin listener; B's answer is the policy now.
    pub async fn change_policy(&self, admin: &Url, change: &PolicyChange) -> Result<PolicyStatus, String> {
        self.admin_put(admin, "policy", change).await
    }

    /// `GET` of `path` on an admin listener (B's `/policy`, A's `/faults` and `/policy`).
    pub async fn admin_get<T: DeserializeOwned>(&self, admin: &Url, path: &str) -> Result<T, String> {
        read_admin(self.authorized(self.http.get(join(admin, path)).timeout(ADMIN_TIMEOUT))).await
    }

    /// `request` with `Authorization: Bearer $ADMIN_TOKEN`, when it is set.
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.admin_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET` of a `/logs` stream on an admin listener: the answer, its body
    /// still to read, once its head came (within [`ADMIN_TIMEOUT`]).
    pub async fn log_stream(&self, url: &Url) -> Result<reqwest::Response, String> {
        let send = self.authorized(self.http.get(url.clone())).send();
        let response = tokio::time::timeout(ADMIN_TIMEOUT, send)
            .await
            .map_err(|_| format!("no answer within {} ms", ADMIN_TIMEOUT.as_millis()))?
            .map_err(|error| {
                if error.is_connect() && !out_of_descriptors(&error) {
                    "not answering (connection refused)".to_owned()
                } else {
                    describe(&error)
                }
            })?;
        match response.status() {
            status if status.is_success() => Ok(response),
            reqwest::StatusCode::UNAUTHORIZED => {
                Err("refused: it wants a token (set ADMIN_TOKEN to the service's --admin-token)".into())
            }
            status => Err(format!("refused: {status}")),
        }
    }

    /// `PUT` of `change` as JSON to `path` on an admin listener; the answer is the state now.
    pub async fn admin_put<T: DeserializeOwned>(
        &self,
        admin: &Url,
        path: &str,
        change: &impl Serialize,
    ) -> Result<T, String> {
        self.admin_send(reqwest::Method::PUT, admin, path, change).await
    }

    /// `method` with `change` as JSON to `path` on an admin listener (or the
    /// link's toxiproxy API); the answer, as JSON.
    pub async fn admin_send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        admin: &Url,
        path: &str,
        change: &impl Serialize,
    ) -> Result<T, String> {
        let body = serde_json::to_vec(change).map_err(|e| e.to_string())?;
        let request = self
            .http
            .request(method, join(admin, path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(ADMIN_TIMEOUT);
        read_admin(self.authorized(request)).await
    }

    /// `GET /call-echo?msg=..[&delay_ms=..]` on B at `b_url`, with `x-request-id: id`.
    pub async fn call_echo(&self, b_url: &Url, id: &str, msg: &str, delay_ms: Option<u64>) -> Outcome {
        self.call_echo_waiting(b_url, id, msg, delay_ms, self.default_wait).await
    }

    /// [`Client::call_echo`], waiting at most `wait` for B.
    pub async fn call_echo_waiting(
        &self,
        b_url: &Url,
        id: &str,
        msg: &str,
        delay_ms: Option<u64>,
        wait: Duration,
    ) -> Outcome {
        let mut request =
            self.http.get(join(b_url, "call-echo")).query(&[("msg", msg)]).header(REQUEST_ID, id).timeout(wait);
        if let Some(delay_ms) = delay_ms {
            request = request.query(&[("delay_ms", delay_ms)]);
        }
        let started = Instant::now();
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Outcome::NoAnswer { latency: started.elapsed(), error: describe(&error) },
        };
        let status = response.status().as_u16();
        let upstream_ms =
            response.headers().get(SERVER_TIMING).and_then(|v| v.to_str().ok()).and_then(parse_upstream_timing);
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() <= MAX_BODY_BYTES => bytes.extend_from_slice(&chunk),
                Ok(Some(_)) => {
                    let error = format!("B's answer was longer than {} KiB: not read", MAX_BODY_BYTES / 1024);
                    return Outcome::NoAnswer { latency: started.elapsed(), error };
                }
                Ok(None) => break,
                Err(error) => return Outcome::NoAnswer { latency: started.elapsed(), error: describe(&error) },
            }
        }
        let latency = started.elapsed();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let error_kind =
            serde_json::from_slice::<CallEchoUnavailable>(&bytes).ok().map(|unavailable| unavailable.error_kind);
        // Another implementation's failure without `error_kind`: read from its text.
        let error_kind = error_kind.or_else(|| {
            let json: serde_json::Value = serde_json::from_slice(&bytes).ok().filter(|_| status >= 500)?;
            crate::msg::kind_from_error_text(json.get("error")?.as_str()?)
        });
        Outcome::Answered { status, latency, error_kind, upstream_ms, body }
    }

    /// `GET /health` on `base`: up (with its latency) or down.
    pub async fn health(&self, base: &Url) -> Health {
        let started = Instant::now();
        let request = self.http.get(join(base, "health")).timeout(HEALTH_TIMEOUT);
        match request.send().await {
            Ok(response) if response.status().is_success() => Health::Up { latency: started.elapsed() },
            _ => Health::Down,
        }
    }
}

/// B's admin answer: the policy, or B's `{"error": ...}`, or why there was none.
async fn read_admin<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, String> {
    let response = request.send().await.map_err(|error| {
        if error.is_connect() && !out_of_descriptors(&error) {
            "not answering (connection refused)".to_owned()
        } else {
            describe(&error)
        }
    })?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|error| describe(&error))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err("answer too long".into());
    }
    if status.is_success() {
        // An empty answer (toxiproxy's 204 to /reset) reads as JSON's null.
        let json: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(json).map_err(|error| format!("not the expected answer: {error}"));
    }
    let why = serde_json::from_slice::<ErrorBody>(&bytes).map_or_else(|_| status.to_string(), |body| body.error);
    Err(format!("refused: {why}"))
}

/// Whether `error` came from this process having no file descriptor left (a
/// call that could not even open its socket, not B's or the network's doing).
fn out_of_descriptors(error: &reqwest::Error) -> bool {
    let mut inner: &dyn std::error::Error = error;
    loop {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return crate::platform::limits::out_of_descriptors(io);
        }
        match inner.source() {
            Some(source) => inner = source,
            None => return false,
        }
    }
}

/// `base` with `path` appended to its path.
pub fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}/{path}", base.path().trim_end_matches('/')));
    url
}

/// Why a call to B failed when B took longer than the dashboard waits.
pub const NOT_IN_TIME: &str = "B did not answer in time";

/// A short reason for a failed call to B (never the URL, which holds the message).
fn describe(error: &reqwest::Error) -> String {
    if out_of_descriptors(error) {
        return "the dashboard is out of file descriptors (too many open files)".into();
    }
    if error.is_timeout() {
        return NOT_IN_TIME.into();
    }
    if error.is_connect() {
        return "B is not reachable (connection refused?)".into();
    }
    let mut inner: &dyn std::error::Error = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    format!("B broke off: {inner}")
}
