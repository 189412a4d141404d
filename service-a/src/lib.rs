//! Service A: echoes `msg` back, optionally after `delay_ms`.
//!
//! `GET /health` → `{"status":"ok"}`; `GET /echo?msg=TEXT[&delay_ms=N]` →
//! `{"echo":"TEXT"}`; bad input → 400 JSON; unknown path → 404 JSON. One log
//! line per request (see `service_kit::access_log`). A caller's deadline
//! (`x-deadline-ms`) stops the work once it has passed: 504 `deadline passed`.

use std::ffi::OsString;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use contract::headers::DEADLINE_MS;
use contract::params::{MAX_DELAY_MS, parse_deadline_ms};
use contract::{EchoBody, HealthBody, Service};
use service_kit::errors::ApiError;
use service_kit::{Draining, EchoQuery, HttpService, ListenAddr, LogArgs, ServerArgs};
use tokio::net::TcpListener;

/// Command line and environment of service A.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "service-a",
    version,
    about = "Service A: echoes ?msg= back as JSON (the lab's upstream service).",
    after_help = "RUST_LOG filters the console lines (default: info; lifecycle lines stay on unless RUST_LOG names the `lifecycle` target); the log files get every request line. GET /metrics answers Prometheus text."
)]
pub struct Config {
    /// Address to listen on: IP:PORT, [IPv6]:PORT or HOST:PORT (loopback unless told otherwise).
    #[arg(long, env = "SERVICE_A_ADDR", default_value = Service::A.default_addr())]
    pub addr: ListenAddr,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// Longest a request may take: the longest allowed delay plus a margin. It also
/// bounds how long shutdown can wait for in-flight requests.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(MAX_DELAY_MS + 5_000);

/// The whole HTTP surface of A, with the shared layers; `draining` cuts delays
/// short at shutdown so that stopping A never waits for a 30 s `delay_ms`
/// (those requests answer 503 `cut at shutdown`).
pub fn app(draining: Draining) -> HttpService {
    let routes = Router::new().route("/health", get(health)).route("/echo", get(echo)).with_state(draining);
    service_kit::server::with_common_layers(routes, REQUEST_DEADLINE)
}

async fn health() -> Json<HealthBody> {
    Json(HealthBody::ok())
}

/// A delay cut short by a shutdown answers `503 {"error":"cut at shutdown"}`
/// (and is logged so): a `200` would tell the caller the delay was served.
///
/// With `x-deadline-ms` (B's remaining budget, when B propagates deadlines),
/// the work stops once that has passed, the delay's wait included:
/// `504 {"error":"deadline passed"}`, logged so, and no work for a caller
/// that is gone.
async fn echo(
    State(mut draining): State<Draining>,
    headers: HeaderMap,
    EchoQuery(params): EchoQuery,
) -> Result<Json<EchoBody>, ApiError> {
    let received = Instant::now();
    // Two header lines are one comma-joined value in HTTP: not a number.
    if headers.get_all(DEADLINE_MS).iter().nth(1).is_some() {
        return Err(contract::InvalidInput::BadDeadline.into());
    }
    let deadline_ms = parse_deadline_ms(headers.get(DEADLINE_MS).map(HeaderValue::as_bytes))?;
    // A deadline too far away to be an instant is no deadline.
    let deadline = deadline_ms.and_then(|ms| received.checked_add(Duration::from_millis(ms)));
    let delay = Duration::from_millis(params.delay_ms.unwrap_or(0));
    let work_done = received + delay;
    let (wait_until, in_time) = match deadline {
        Some(deadline) if deadline < work_done => (deadline, false),
        _ => (work_done, true),
    };
    if wait_until > received {
        tokio::select! {
            () = tokio::time::sleep_until(wait_until.into()) => {}
            () = draining.started() => return Err(ApiError::CutAtShutdown),
        }
    }
    if !in_time || deadline.is_some_and(|deadline| deadline <= received) {
        return Err(ApiError::DeadlinePassed);
    }
    Ok(Json(EchoBody { echo: params.msg }))
}

/// Serves A on `listener` with the default limits until `shutdown` resolves, then drains.
pub async fn run(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    run_with(listener, &ServerArgs::default(), shutdown).await
}

/// Serves A on `listener` with `limits` until `shutdown` resolves, then drains.
pub async fn run_with(
    listener: TcpListener,
    limits: &ServerArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    service_kit::serve(listener, limits, app, shutdown).await
}

/// The whole program: flags, logs, listener, serve until SIGINT/SIGTERM, flush.
pub fn run_cli(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match service_kit::server::parse_args(args) {
        Ok(config) => run_config(config),
        Err(code) => code,
    }
}

/// The program after its flags are parsed: logs, listener, serve until
/// SIGINT/SIGTERM, flush. The dashboard's `tui serve-a` calls this with
/// the flags its own parser read.
pub fn run_config(config: Config) -> ExitCode {
    service_kit::server::run_service(Service::A, &config.log, &config.addr, |listener| {
        run_with(listener, &config.server, service_kit::shutdown_signal())
    })
}
