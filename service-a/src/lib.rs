//! Service A: echoes `msg` back, optionally after `delay_ms`.
//!
//! `GET /health` → `{"status":"ok"}`; `GET /echo?msg=TEXT[&delay_ms=N]` →
//! `{"echo":"TEXT"}`; bad input → 400 JSON; unknown path → 404 JSON. One log
//! line per request (see `service_kit::access_log`). A caller's deadline
//! (`x-deadline-ms`) stops the work once it has passed: 504 `deadline passed`.
//!
//! A's own faults (an injected 5xx, an HTML page instead of the JSON, a body
//! trickled a byte at a time) and its idempotency memory (`dedup`) are set on
//! its admin listener ([`admin`], `--admin-addr`); [`live`] holds the running
//! copy, [`echo`] applies them.

pub mod admin;
pub mod dedup;
pub mod echo;
pub mod live;

use std::ffi::OsString;
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use contract::params::MAX_DELAY_MS;
use contract::{HealthBody, Service};
use echo::EchoState;
use live::LiveFaults;
use service_kit::{AppService, Draining, ListenAddr, LogArgs, ServerArgs};
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

    /// Admin listener for GET/PUT /faults and /policy (off unless given; use a loopback address).
    #[arg(long, env = "SERVICE_A_ADMIN_ADDR")]
    pub admin_addr: Option<ListenAddr>,

    /// Token the admin listener requires of every request, as
    /// `Authorization: Bearer TOKEN`; needed for an admin listener off loopback.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Pretend A's clock is this many ms ahead (behind, if negative) in its
    /// log lines, as a host whose clock is off would: the dashboard's trace
    /// shows what that does to timestamps from two hosts, and corrects it.
    #[arg(long, env = "SERVICE_A_CLOCK_OFFSET_MS", default_value_t = 0, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(-86_400_000..=86_400_000))]
    pub clock_offset_ms: i64,

    /// Seed of the draws that decide which requests a fault answers, so a run can be repeated (default: random; logged at start).
    #[arg(long, env = "SERVICE_A_SEED")]
    pub seed: Option<u64>,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// Longest a request may take: the longest allowed delay plus a margin. It also
/// bounds how long shutdown can wait for in-flight requests.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(MAX_DELAY_MS + 5_000);

/// The whole HTTP surface of A with no fault, with the shared layers (see [`app_with`]).
pub fn app(draining: Draining) -> AppService {
    app_with(draining, LiveFaults::new(fastrand::u64(..)))
}

/// The whole HTTP surface of A, with the shared layers; `draining` cuts delays
/// short at shutdown so that stopping A never waits for a 30 s `delay_ms`
/// (those requests answer 503 `cut at shutdown`); `faults` are the ones the
/// admin listener sets (only `/echo` has them).
pub fn app_with(draining: Draining, faults: LiveFaults) -> AppService {
    let routes = Router::new()
        .route("/health", get(health))
        .route("/echo", get(echo::echo))
        .with_state(std::sync::Arc::new(EchoState { draining, faults }));
    service_kit::server::with_common_layers(routes, &["/health", "/echo"], REQUEST_DEADLINE)
}

async fn health() -> Json<HealthBody> {
    Json(HealthBody::ok())
}

/// Serves A on `listener` with the default limits, no fault and no admin
/// listener, until `shutdown` resolves, then drains.
pub async fn run(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    run_with(listener, &ServerArgs::default(), shutdown).await
}

/// Serves A on `listener` with `limits`, no fault and no admin listener,
/// until `shutdown` resolves, then drains.
pub async fn run_with(
    listener: TcpListener,
    limits: &ServerArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    service_kit::serve(listener, limits, app, shutdown).await
}

/// Serves A as `config` says (limits, admin listener, seed) on `listener`
/// until `shutdown` resolves, then drains both listeners. Its clock offset is
/// set by [`run_config`], before the first line.
pub async fn run_config_on(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let seed = config.seed.unwrap_or_else(|| fastrand::u64(..));
    tracing::info!(target: "lifecycle", event = "config", seed, clock_offset_ms = config.clock_offset_ms);
    let faults = LiveFaults::new(seed);
    live::log_faults("start", &faults.faults());
    live::log_policy("start", &faults.policy());
    let admin = match &config.admin_addr {
        Some(addr) => {
            Some(service_kit::admin::bind(addr, "make A fail on purpose", config.admin_token.as_deref()).await?)
        }
        None => None,
    };
    let for_admin = faults.clone();
    service_kit::admin::serve_with_admin(
        listener,
        admin,
        &config.server,
        |draining| app_with(draining, faults),
        |own| admin::app(for_admin, own),
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
/// SIGINT/SIGTERM, flush. The dashboard's `tui serve-a` calls this with
/// the flags its own parser read.
pub fn run_config(config: Config) -> ExitCode {
    // Before the first line (`event=listening`), so every line has the offset.
    service_kit::clock::set_offset_ms(config.clock_offset_ms);
    service_kit::program::run_service(Service::A, &config.log, &config.server, &config.addr, |listener| {
        run_config_on(listener, &config, service_kit::shutdown_signal())
    })
}
