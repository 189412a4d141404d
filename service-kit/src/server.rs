//! Serving with the shared layers, and shutting down without losing a line:
//! SIGINT or SIGTERM stops accepting, in-flight requests finish (each bounded by
//! the request deadline), and the caller then drops its [`crate::LogGuard`].

use std::future::Future;
use std::time::Duration;

use std::convert::Infallible;

use axum::extract::Request;
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use axum::{Router, ServiceExt as _};
use contract::headers::REQUEST_ID;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

use crate::access_log::AccessLogLayer;
use crate::errors::{method_not_allowed, not_found};

/// Lets a handler cut a wait short when the service is shutting down.
#[derive(Debug, Clone)]
pub struct Draining(watch::Receiver<bool>);

impl Draining {
    /// A handle that never fires (for tests that build the router alone).
    pub fn never() -> Self {
        let (sender, receiver) = watch::channel(false);
        // Leak nothing: a closed channel with `false` simply never reports draining.
        drop(sender);
        Draining(receiver)
    }

    /// Resolves once shutdown has begun; never resolves if it cannot begin.
    pub async fn started(&mut self) {
        if self.0.wait_for(|draining| *draining).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A whole service, ready to serve or to test with `oneshot`.
pub type HttpService = BoxCloneSyncService<Request, Response, Infallible>;

/// Wraps `router` in what every request to both services needs: JSON 404 and
/// 405, request ids (kept or made, and sent back), the access log, and a deadline
/// per request.
///
/// The layers wrap the router from outside (not `Router::layer`, which applies
/// them per route, lazily): the access line must start as soon as the server
/// hands over a request. The id is set before the access log reads it, and the
/// deadline is inside the access log so a request cut by it still gets its line.
pub fn with_common_layers(router: Router, request_deadline: Duration) -> HttpService {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let router = router.fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    let service = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(AccessLogLayer)
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, request_deadline))
        .service(router);
    BoxCloneSyncService::new(service)
}

/// Serves the service that `app` builds on `listener` until `shutdown` resolves,
/// then lets in-flight requests finish. `app` gets the [`Draining`] handle to cut
/// its own waits short.
pub async fn serve<F>(
    listener: TcpListener,
    app: impl FnOnce(Draining) -> HttpService,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (draining_tx, draining_rx) = watch::channel(false);
    let service = app(Draining(draining_rx));
    let signal = async move {
        shutdown.await;
        tracing::info!(target: "lifecycle", event = "shutdown", phase = "draining");
        let _ = draining_tx.send(true);
    };
    axum::serve(listener, service.into_make_service()).with_graceful_shutdown(signal).await
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Everything a service binary does around its server: sets up logs, builds the
/// runtime, binds `addr`, logs the lifecycle, runs `serve` until it returns, and
/// flushes the logs before the exit code is returned (never `process::exit`).
pub fn run_service<F, Fut>(
    service: contract::Service,
    log: &crate::LogArgs,
    addr: std::net::SocketAddr,
    serve: F,
) -> std::process::ExitCode
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>>,
{
    use std::process::ExitCode;

    let _guard = match crate::telemetry::init(service, log) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("service {}: {error}", service.name());
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(target: "lifecycle", event = "start_failed", error = %error);
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let listener = TcpListener::bind(addr).await.map_err(|error| {
            tracing::error!(target: "lifecycle", event = "start_failed", addr = %addr, error = %error);
            eprintln!("service {}: cannot listen on {addr}: {error}", service.name());
        })?;
        let bound = listener.local_addr().map_or_else(|_| addr.to_string(), |a| a.to_string());
        tracing::info!(
            target: "lifecycle",
            event = "listening",
            addr = bound,
            log_dir = %log.log_dir.display(),
            pid = std::process::id(),
        );
        serve(listener).await.map_err(|error| {
            tracing::error!(target: "lifecycle", event = "serve_failed", error = %error);
        })
    });
    // Stop the runtime first so no task can log after the final line.
    drop(runtime);
    match outcome {
        Ok(()) => {
            tracing::info!(target: "lifecycle", event = "shutdown", phase = "done");
            ExitCode::SUCCESS
        }
        Err(()) => ExitCode::FAILURE,
    }
}

/// Parses a service's flags; on `--help`, `--version` or an error, prints what
/// clap has to say and returns the exit code (0 for help, 2 for a usage error).
pub fn parse_args<C: clap::Parser>(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<C, std::process::ExitCode> {
    C::try_parse_from(args).map_err(|error| {
        let _ = error.print();
        if error.use_stderr() { std::process::ExitCode::from(2) } else { std::process::ExitCode::SUCCESS }
    })
}
