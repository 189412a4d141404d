//! Service B: calls A's `/echo` over HTTP with a timeout and says clearly when A
//! is down or slow.
//!
//! `GET /health` → `{"status":"ok"}`; `GET /call-echo?msg=TEXT[&delay_ms=N]` →
//! `200 {"service_a":{"echo":"TEXT"},"service_b":"ok"}`, or `503` with
//! `error`, `error_kind` (`connect`, `timeout`, `status`, `body`,
//! `circuit_open`), `"service_a":"unavailable"` and `"service_b":"ok"`. Bad
//! input → 400 JSON and A is not called. Every answer to `/call-echo` carries
//! `server-timing: upstream;dur=<ms>`.
//!
//! How B calls A (budget, retries, breaker, deadline) is its call policy:
//! [`policy`] holds the rules, [`live`] the running copy, [`admin`] the
//! listener that changes it.

pub mod admin;
pub mod client;
pub mod connections;
pub mod error;
pub mod live;
pub mod policy;

use std::ffi::OsString;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use contract::headers::upstream_timing;
use contract::{CallEchoOk, EchoParams, HealthBody, Service};
use live::LivePolicy;
use policy::Policy;
use service_kit::headers::SERVER_TIMING;
use service_kit::{ApiError, AppService, IdAndTrace, ListenAddr, LogArgs, ServerArgs, UpstreamTries};
use tokio::net::TcpListener;
use url::Url;

pub use client::ServiceAClient;
pub use error::UpstreamError;

/// Command line and environment of service B.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "service-b",
    version,
    about = "Service B: calls service A's /echo with a timeout and answers 503 JSON when A fails.",
    after_help = "RUST_LOG filters the console lines (default: info; lifecycle lines stay on unless RUST_LOG names the `lifecycle` target); the log files get every request line. GET /metrics answers Prometheus text."
)]
pub struct Config {
    /// Address to listen on: IP:PORT, [IPv6]:PORT or HOST:PORT (loopback unless told otherwise).
    #[arg(long, env = "SERVICE_B_ADDR", default_value = Service::B.default_addr())]
    pub addr: ListenAddr,

    /// Base URL of service A (plain http).
    #[arg(long, env = "SERVICE_A_URL", default_value = Service::A.default_url(), value_parser = parse_http_url)]
    pub service_a_url: Url,

    /// B's whole budget for the call to A, retries included, in milliseconds.
    #[arg(long, env = "SERVICE_A_TIMEOUT_MS", default_value_t = contract::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=contract::policy::MAX_TIMEOUT_MS))]
    pub timeout_ms: u64,

    /// Extra tries after a connect, timeout or 5xx failure (0-3), with backoff, inside the budget.
    #[arg(long, env = "SERVICE_B_RETRIES", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(contract::policy::MAX_RETRIES)))]
    pub retries: u32,

    /// Circuit breaker: after 5 failed calls in a row, answer 503 circuit_open at once for 5 s.
    #[arg(long, env = "SERVICE_B_BREAKER")]
    pub breaker: bool,

    /// Deadline propagation: tell A the remaining budget (x-deadline-ms) so it stops work nobody waits for.
    #[arg(long, env = "SERVICE_B_DEADLINE")]
    pub deadline: bool,

    /// Admin listener for GET/PUT /policy (off unless given; use a loopback address).
    #[arg(long, env = "SERVICE_B_ADMIN_ADDR")]
    pub admin_addr: Option<ListenAddr>,

    /// Token the admin listener requires of every request, as
    /// `Authorization: Bearer TOKEN`; needed for an admin listener off loopback.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

fn parse_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("not a URL: {error}"))?;
    if url.scheme() != "http" || url.host().is_none() {
        return Err("must be an http:// URL with a host, e.g. http://127.0.0.1:8080".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    // B would send them to A on every call and log them in its config line.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    Ok(url)
}

impl Config {
    /// The policy B starts with.
    pub fn policy(&self) -> Policy {
        Policy { timeout_ms: self.timeout_ms, retries: self.retries, breaker: self.breaker, deadline: self.deadline }
    }
}

/// Longest any request to B may take: the longest budget a policy can have,
/// plus a margin, so B always answers its own 503 first.
const REQUEST_DEADLINE: Duration = Duration::from_millis(contract::policy::MAX_TIMEOUT_MS + 5_000);

/// The whole HTTP surface of B, with the shared layers. There is no
/// `/policy` here: only the admin listener changes it.
pub fn app(service_a: ServiceAClient) -> AppService {
    let routes =
        Router::new().route("/health", get(health)).route("/call-echo", get(call_echo)).with_state(Arc::new(service_a));
    // B sends the request's id and trace on to A.
    service_kit::server::with_common_layers(routes, &["/health", "/call-echo"], REQUEST_DEADLINE)
        .with_ids_for_handlers()
}

async fn health() -> Json<HealthBody> {
    Json(HealthBody::ok())
}

/// The request's id and trace are set by the access-log layer: the caller's
/// own (or fresh ones). The request is taken whole, not through extractors
/// that would copy them: `/call-echo` is the hot path the benchmarks measure.
async fn call_echo(State(service_a): State<Arc<ServiceAClient>>, request: Request) -> Result<Response, ApiError> {
    let started = Instant::now();
    let params = EchoParams::from_query(request.uri().query())?;
    let ids = request.extensions().get::<IdAndTrace>();
    let request_id = ids.map_or_else(service_kit::ids::fresh_request_id, |ids| ids.request_id.clone());
    let traceparent = ids.map(|ids| ids.trace.traceparent());
    let forward = client::Forward { request_id: &request_id, traceparent: traceparent.as_deref() };
    let call = service_a.call_echo(&params, forward).await;
    let timing = HeaderValue::from_str(&upstream_timing(started.elapsed())).unwrap_or(HeaderValue::from_static(""));
    let mut response = match call.result {
        Ok(echo) => ([(SERVER_TIMING, timing)], Json(CallEchoOk::new(echo))).into_response(),
        Err(error) => error.into_response_with_timing(timing),
    };
    response.extensions_mut().insert(UpstreamTries(call.tries));
    Ok(response)
}

/// Serves B on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = config.policy();
    policy.check().map_err(std::io::Error::other)?;
    let live = LivePolicy::new(policy);
    let service_a = ServiceAClient::new(&config.service_a_url, live.clone());
    tracing::info!(
        target: "lifecycle",
        event = "config",
        service_a_url = config.service_a_url.as_str(),
        timeout_ms = config.timeout_ms,
    );
    live::log_policy("start", &policy);
    let admin = match &config.admin_addr {
        Some(addr) => {
            Some(service_kit::admin::bind(addr, "change how B calls A", config.admin_token.as_deref()).await?)
        }
        None => None,
    };
    service_kit::admin::serve_with_admin(
        listener,
        admin,
        &config.server,
        |_draining| app(service_a),
        |own| admin::app(live, own),
        shutdown,
    )
    .await
}

/// The whole program: flags, logs, listener, serve until SIGINT/SIGTERM, flush.
pub fn run_cli(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match service_kit::program::parse_args(args) {
        Ok(config) => run_config(config),
        Err(code) => code,
    }
}

/// The program after its flags are parsed: logs, listener, serve until
/// SIGINT/SIGTERM, flush. The dashboard's `tui serve-b` calls this with
/// the flags its own parser read.
pub fn run_config(config: Config) -> ExitCode {
    service_kit::program::run_service(Service::B, &config.log, &config.server, &config.addr, |listener| {
        run(listener, &config, service_kit::shutdown_signal())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_a_url_must_be_plain_http_without_secrets() {
        assert!(parse_http_url("http://127.0.0.1:8080").is_ok());
        for (bad, why) in [
            ("https://127.0.0.1:8080", "http:// URL"),
            ("http://127.0.0.1:8080/?x=1", "query"),
            ("http://user:pw@127.0.0.1:8080", "user name or password"),
            ("http://user@127.0.0.1:8080", "user name or password"),
            ("not a url", "not a URL"),
        ] {
            let error = parse_http_url(bad).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}
