//! What a service binary does around its server: flags, logs, the runtime,
//! the listener, signals, and the exit code.

use std::future::Future;

use tokio::net::TcpListener;

use crate::config::ServerArgs;

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, or their Windows equivalents
/// (see [`crate::signals`]).
pub async fn shutdown_signal() {
    crate::signals::shutdown_requested().await;
}

/// Resolves `addr` (`127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`) and binds
/// the first address that works.
pub async fn bind(addr: &crate::ListenAddr) -> std::io::Result<TcpListener> {
    let text = addr.as_str();
    let candidates: Vec<std::net::SocketAddr> = match text.parse::<std::net::SocketAddr>() {
        Ok(direct) => vec![direct],
        Err(_) => tokio::net::lookup_host(text)
            .await
            .map_err(|error| std::io::Error::new(error.kind(), format!("cannot resolve {text}: {error}")))?
            .collect(),
    };
    let mut last_error = None;
    for candidate in &candidates {
        match TcpListener::bind(candidate).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error
        .unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{text} resolves to no address"))))
}

/// Everything a service binary does around its server: sets up logs, builds the
/// runtime, binds `addr`, logs the lifecycle, runs `serve` until it returns, and
/// flushes the logs before the exit code is returned (never `process::exit`).
pub fn run_service<F, Fut>(
    service: contract::Service,
    log: &crate::LogArgs,
    server: &ServerArgs,
    addr: &crate::ListenAddr,
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
    // One thread by default: measured on 2 cores shared with the other
    // service and the client (wrk), B served 20-60 % more with one thread than
    // with one per core (its handler and its connection to A wake each other
    // on the same thread, no hand-over between threads), and A as much with a
    // lower p99 (README, "Tests and benchmarks").
    let mut builder = match server.threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        threads => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if threads > 1 {
                builder.worker_threads(threads);
            }
            builder
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(target: "lifecycle", event = "start_failed", error = %error);
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let listener = bind(addr).await.map_err(|error| {
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
