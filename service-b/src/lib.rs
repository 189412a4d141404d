//! Service B: calls A's `/echo` over HTTP with a timeout and says clearly when A
//! is down or slow.
//!
//! `GET /health` → `{"status":"ok"}`; `GET /call-echo?msg=TEXT[&delay_ms=N]` →
//! `200 {"service_a":{"echo":"TEXT"},"service_b":"ok"}`, or `503` with
//! `error`, `error_kind` (`connect`, `timeout`, `status`, `body`),
//! `"service_a":"unavailable"` and `"service_b":"ok"`. Bad input → 400 JSON and A
//! is not called. Every answer to `/call-echo` that called A carries
//! `server-timing: upstream;dur=<ms>`.

pub mod client;
pub mod error;
pub mod policy;

use std::ffi::OsString;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use clap::Parser;
use contract::headers::{SERVER_TIMING, upstream_timing};
use contract::{CallEchoOk, HealthBody, Service};
use reqwest::Url;
use service_kit::{EchoQuery, HttpService, ListenAddr, LogArgs, ServerArgs};
use tokio::net::TcpListener;
use tower_http::request_id::RequestId;

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

    /// How long to wait for A's whole answer, in milliseconds.
    #[arg(long, env = "SERVICE_A_TIMEOUT_MS", default_value_t = contract::DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,

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

/// What B's handlers share.
#[derive(Debug, Clone)]
struct AppState {
    service_a: ServiceAClient,
}

/// The whole HTTP surface of B, with the shared layers.
pub fn app(service_a: ServiceAClient, timeout: Duration) -> HttpService {
    let routes = Router::new()
        .route("/health", get(health))
        .route("/call-echo", get(call_echo))
        .with_state(AppState { service_a });
    // Well above the call timeout, so B always answers its own 503 first.
    service_kit::server::with_common_layers(routes, timeout + Duration::from_secs(5))
}

async fn health() -> Json<HealthBody> {
    Json(HealthBody::ok())
}

/// `request_id` is set by the request-id layer: the caller's own id or a fresh one.
async fn call_echo(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    EchoQuery(params): EchoQuery,
) -> Response {
    let started = Instant::now();
    let result = state.service_a.call_echo(&params, request_id.header_value()).await;
    let timing = HeaderValue::from_str(&upstream_timing(started.elapsed())).unwrap_or(HeaderValue::from_static(""));
    match result {
        Ok(echo) => ([(SERVER_TIMING, timing)], Json(CallEchoOk::new(echo))).into_response(),
        Err(error) => error.into_response_with_timing(timing),
    }
}

/// Serves B on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeout = Duration::from_millis(config.timeout_ms);
    let service_a = ServiceAClient::new(&config.service_a_url, timeout).map_err(std::io::Error::other)?;
    tracing::info!(
        target: "lifecycle",
        event = "config",
        service_a_url = config.service_a_url.as_str(),
        timeout_ms = config.timeout_ms,
    );
    service_kit::serve(listener, &config.server, |_draining| app(service_a, timeout), shutdown).await
}

/// The whole program: flags, logs, listener, serve until SIGINT/SIGTERM, flush.
pub fn run_cli(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match service_kit::server::parse_args(args) {
        Ok(config) => run_config(config),
        Err(code) => code,
    }
}

/// The program after its flags are parsed: logs, listener, serve until
/// SIGINT/SIGTERM, flush. The dashboard's `tui serve-b` calls this with
/// the flags its own parser read.
pub fn run_config(config: Config) -> ExitCode {
    service_kit::server::run_service(Service::B, &config.log, &config.addr, |listener| {
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
