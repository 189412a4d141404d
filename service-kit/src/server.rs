//! Serving with the shared layers, and shutting down without losing a line.
//!
//! `axum::serve` installs no hyper timer and has no connection limit or drain
//! deadline, so the services are served by their own accept loop (the shape of
//! axum's own), with hyper's HTTP/1 connection builder, watched sockets (see
//! [`crate::connection`]) and:
//!
//! - at most `--max-connections` connections: past it, new ones wait in the
//!   kernel's queue, and the log says so (`event=connection_limit`) once, then
//!   at most once a minute while it lasts;
//! - on SIGINT/SIGTERM: stop accepting, let in-flight requests finish for at
//!   most `--shutdown-grace-ms`, then cut what is left (each cut request is
//!   logged `status=error error="cut at shutdown"`), and return. The caller then
//!   drops its [`crate::LogGuard`], which flushes the logs.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::Layer as _;
use tower::util::{BoxCloneSyncService, Oneshot, ServiceExt as _};

use crate::access_log::{self, AccessLog, AccessLogLayer};
use crate::config::ServerArgs;
use crate::connection::{Activity, Limits, WatchedStream};
use crate::errors::{method_not_allowed, not_found};
use crate::lifecycle::{Lifecycle, Phase, PhaseWatch};
use crate::metrics;

/// Lets a handler cut a wait short when the service is shutting down.
#[derive(Debug, Clone)]
pub struct Draining(watch::Receiver<bool>);

impl Draining {
    /// A handle that never fires (for tests that build the router alone).
    pub fn never() -> Self {
        let (sender, receiver) = watch::channel(false);
        // A closed channel with `false` simply never reports draining.
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

/// A whole service, ready to serve or to test with `oneshot`, its type
/// hidden (the admin listeners).
pub type HttpService = BoxCloneSyncService<Request, Response, Infallible>;

/// A or B: the shared layers around the service's router ([`with_common_layers`]).
/// Its type is spelled out, not boxed: each request then costs no allocation
/// for the stack's future, and a copy of it is a few reference counts.
pub type AppService = AccessLog<Router>;

/// What the server can serve: a service that always answers, that each
/// connection can copy, and whose futures can move between threads.
pub trait ServiceStack:
    tower::Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static
{
}

impl<S> ServiceStack for S where
    S: tower::Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static
{
}

/// Wraps `router` in what every request to both services needs: `GET /metrics`,
/// JSON 404 and 405, request ids (kept or made, and sent back), the access log,
/// and a deadline per request. `endpoints` are the router's paths (each gets
/// its own series in the metrics; `/metrics` is added here).
///
/// The layers wrap the router from outside (not `Router::layer`, which applies
/// them per route, lazily): the access line must start as soon as the server
/// hands over a request. The access log also keeps the request deadline, so a
/// request cut by it still gets its line.
pub fn with_common_layers(
    router: Router,
    endpoints: &'static [&'static str],
    request_deadline: Duration,
) -> AppService {
    metrics::get().declare_endpoints(endpoints);
    let router = router
        .route(metrics::PATH, get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    AccessLogLayer { endpoints, deadline: request_deadline }.layer(router)
}

async fn metrics_text() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(metrics::CONTENT_TYPE))], metrics::get().encode()).into_response()
}

/// Serves the service that `app` builds on `listener` until `shutdown`
/// resolves, then drains within the grace (see the module docs). `app` gets
/// the [`Draining`] handle to cut its own waits short.
pub async fn serve<S: ServiceStack, F>(
    listener: TcpListener,
    limits: &ServerArgs,
    app: impl FnOnce(Draining) -> S,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_as(None, listener, limits, app, shutdown).await
}

/// [`serve`] for a second listener of the same process (B's admin listener):
/// its lifecycle lines say `listener=<role>`, so they are not read as the
/// service's own.
pub async fn serve_as<S: ServiceStack, F>(
    role: Option<&'static str>,
    listener: TcpListener,
    limits: &ServerArgs,
    app: impl FnOnce(Draining) -> S,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (draining_tx, draining_rx) = watch::channel(false);
    let service = app(Draining(draining_rx));
    let lifecycle = Arc::new(Lifecycle::new());
    // Every connection holds a receiver; `closed()` resolves when all are gone.
    let (open_tx, open_rx) = watch::channel(());
    let connection_limits = Limits {
        header: Duration::from_millis(limits.header_timeout_ms),
        idle: Duration::from_millis(limits.idle_timeout_ms),
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    // The timer is there for hyper's own timers; the header and idle limits are
    // kept by the watched socket (hyper's header timeout would also close idle
    // keep-alive connections at the header limit).
    http.timer(TokioTimer::new()).header_read_timeout(None).keep_alive(true);
    // One flat write per answer (head and body copied into one buffer), so the
    // watched socket has a single write path; for answers this small the copy
    // costs nothing measurable (A 146.6k against 147.6k rps, 4 runs each).
    http.writev(false);
    // hyper's own bound on what it buffers holds the head limit for a head
    // pipelined behind another request (read before the socket could count it).
    http.max_buf_size(crate::connection::MAX_HEAD_BYTES);
    let http = Arc::new(http);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut limit_said: Option<Instant> = None;
    let mut accept_error_said: Option<Instant> = None;

    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                metrics::get().connection_limit_wait();
                if limit_said.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                    limit_said = Some(Instant::now());
                    tracing::warn!(
                        target: "lifecycle",
                        event = "connection_limit",
                        listener = role,
                        max_connections = limits.max_connections,
                        error = "all connections are in use; new ones wait until one closes",
                    );
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                if !is_connection_error(&error) {
                    // Out of file descriptors and the like: say so (rarely), wait a little, go on.
                    if accept_error_said.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        accept_error_said = Some(Instant::now());
                        tracing::warn!(target: "lifecycle", event = "accept_failed", listener = role, error = %error);
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        () = &mut shutdown => break,
                    }
                }
                continue;
            }
        };
        let connection = Connection {
            http: http.clone(),
            service: service.clone(),
            limits: connection_limits,
            lifecycle: lifecycle.clone(),
            open: open_rx.clone(),
        };
        tokio::spawn(connection.run(stream, slot));
    }

    drop(listener);
    drop(open_rx);
    let in_flight = open_tx.receiver_count();
    tracing::info!(target: "lifecycle", event = "shutdown", listener = role, phase = "draining", connections = in_flight);
    let _ = draining_tx.send(true);
    lifecycle.set(Phase::Draining);
    let grace = Duration::from_millis(limits.shutdown_grace_ms);
    if tokio::time::timeout(grace, open_tx.closed()).await.is_err() {
        let left = open_tx.receiver_count();
        tracing::warn!(
            target: "lifecycle",
            event = "shutdown",
            listener = role,
            phase = "cut",
            connections = left,
            error = "the shutdown grace is over; cutting what is left",
        );
        lifecycle.set(Phase::Cutting);
        // Cutting is dropping: it takes no time, but give the tasks a moment to run.
        let _ = tokio::time::timeout(Duration::from_secs(2), open_tx.closed()).await;
    }
    Ok(())
}

/// Errors of one incoming connection (it went away before we took it), not of the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(error.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset)
}

/// One accepted connection and what it needs to serve itself.
struct Connection<S> {
    http: Arc<hyper::server::conn::http1::Builder>,
    service: S,
    limits: Limits,
    lifecycle: Arc<Lifecycle>,
    open: watch::Receiver<()>,
}

impl<S: ServiceStack> Connection<S> {
    async fn run(self, stream: TcpStream, slot: tokio::sync::OwnedSemaphorePermit) {
        metrics::get().connection_opened();
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::default());
        let io = TokioIo::new(WatchedStream::new(stream, activity.clone(), self.limits, self.lifecycle.clone()));
        let service = CountedService { service: self.service.clone(), activity };
        let mut connection = Box::pin(self.http.serve_connection(io, service));
        let mut phase = PhaseWatch::new(&self.lifecycle);
        let ended = std::future::poll_fn(|cx| {
            match phase.poll_change(cx) {
                Some(Phase::Cutting) => return Poll::Ready(None),
                // Finish what is in flight, take no new request.
                Some(_) => connection.as_mut().graceful_shutdown(),
                None => {}
            }
            connection.as_mut().poll(cx).map(Some)
        })
        .await;
        match ended {
            // A bad head is answered here, once hyper has let the socket go;
            // other errors are the client's (reset, timeout).
            Some(Err(error)) => {
                let stream = Pin::into_inner(connection).into_parts().io.into_inner();
                if let Some(head) = stream.bad_head(&error) {
                    stream.refuse(head, error.is_parse_version_h2()).await;
                }
            }
            Some(Ok(())) => {}
            None => access_log::cut(connection),
        }
        metrics::get().connection_closed();
        drop(slot);
        drop(self.open);
    }
}

/// The service of one connection: counts requests started and answered for
/// the watched socket, and hands each request to a copy of the service (for
/// A and B a few reference counts: axum's router is shared, not copied).
struct CountedService<S> {
    service: S,
    activity: Arc<Activity>,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for CountedService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Counted<Oneshot<S, Request>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.activity.started.fetch_add(1, Ordering::Relaxed);
        let request = request.map(axum::body::Body::new);
        Counted { inner: self.service.clone().oneshot(request), answered: Some(self.activity.clone()) }
    }
}

pin_project_lite::pin_project! {
    /// A request's future that marks the request answered when it ends (or is
    /// dropped unfinished): hyper may keep a finished future until the next request.
    struct Counted<F> {
        #[pin]
        inner: F,
        answered: Option<Arc<Activity>>,
    }

    impl<F> PinnedDrop for Counted<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(activity) = this.project().answered.take() {
                activity.answered();
            }
        }
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Some(activity) = this.answered.take() {
            activity.answered();
        }
        Poll::Ready(output)
    }
}
