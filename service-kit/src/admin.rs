//! What every admin listener (A's and B's) is built from: the refusal of web
//! pages ([`contract::admin_guard`], applied before anything is read), a small
//! body limit, a deadline, JSON 404 and 405, no access line; and the binding
//! and serving of the admin listener beside the service's own, stopped by the
//! same shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use contract::ErrorBody;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::timeout::TimeoutLayer;

use crate::server::ServiceStack;
use crate::{Draining, HttpService, ListenAddr, ServerArgs};

/// Largest admin request body read; a whole setting is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Longest an admin request may take.
const ADMIN_DEADLINE: Duration = Duration::from_secs(5);

/// An admin error answer: `status` with `{"error": message}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: message.into() })).into_response()
}

/// Wraps the admin `routes` (state already given) of the listener bound at
/// `own`: web pages refused, JSON 404 (saying what the listener answers,
/// `answers`) and 405, the body limit and the deadline.
pub fn admin_service(routes: Router, own: SocketAddr, answers: &'static str) -> HttpService {
    let router = routes
        .route("/logs", axum::routing::get(crate::log_stream::logs))
        .fallback(move || async move {
            error(StatusCode::NOT_FOUND, format!("not found: the admin listener answers {answers}"))
        })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: use GET or PUT")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(own, refuse_the_web));
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, ADMIN_DEADLINE))
        .service(router);
    BoxCloneSyncService::new(service)
}

/// The token the admin listener requires (`--admin-token`), once bound with one.
static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in
/// constant time, so the answer's timing does not tell how much was right).
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers.get(header::AUTHORIZATION).and_then(|v| v.as_bytes().strip_prefix(b"Bearer ")) else {
        return false;
    };
    let wanted = token.as_bytes();
    given.len() == wanted.len() && given.iter().zip(wanted).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// The admin guard as a middleware: refuses (401 without the token, 403 or
/// 415, JSON) what [`contract::admin_guard::check`] refuses, before the
/// handler reads anything.
async fn refuse_the_web(State(own): State<SocketAddr>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(token) = TOKEN.get()
        && !authorized(headers, token)
    {
        let mut refused =
            error(StatusCode::UNAUTHORIZED, "this admin listener wants Authorization: Bearer <its --admin-token>");
        refused.headers_mut().insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        return refused;
    }
    let host = joined(headers, &header::HOST);
    let origin = joined(headers, &header::ORIGIN);
    let content_type = joined(headers, &header::CONTENT_TYPE);
    match contract::admin_guard::check(
        own,
        host.as_deref(),
        origin.as_deref(),
        content_type.as_deref(),
        has_body(headers),
    ) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
            error(status, refusal.message())
        }
    }
}

/// A header's value; several lines of it joined with `, `, as HTTP reads them.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter();
    let mut out = values.next()?.as_bytes().to_vec();
    for value in values {
        out.extend_from_slice(b", ");
        out.extend_from_slice(value.as_bytes());
    }
    Some(out)
}

/// Whether the request has a body: a non-zero (or unreadable) length, or a chunked one.
fn has_body(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers.get_all(header::CONTENT_LENGTH).iter().any(|length| length.as_bytes() != b"0")
}

/// Binds the admin listener at `addr`, logs its `listening` line
/// (`listener=admin`), and warns when it is not on loopback: `exposed` says
/// what anyone who can reach it can do (e.g. "change how B calls A"). Off
/// loopback it needs a `token` (which every request must then carry), and
/// refuses to start without one.
pub async fn bind(addr: &ListenAddr, exposed: &str, token: Option<&str>) -> std::io::Result<TcpListener> {
    let listener = crate::program::bind(addr)
        .await
        .map_err(|error| std::io::Error::new(error.kind(), format!("cannot listen on --admin-addr {addr}: {error}")))?;
    let bound = listener.local_addr().map_or_else(|_| addr.to_string(), |addr| addr.to_string());
    let off_loopback = listener.local_addr().is_ok_and(|addr| !addr.ip().is_loopback());
    match token {
        Some("") => return Err(std::io::Error::other("--admin-token is empty: give a secret, or none on loopback")),
        Some(token) => {
            let _ = TOKEN.set(token.to_owned());
        }
        None if off_loopback => {
            return Err(std::io::Error::other(format!(
                "the admin listener {bound} is not on loopback, so anyone who can reach it could {exposed} and read \
                 its logs: give it a token with --admin-token or ADMIN_TOKEN (callers send Authorization: Bearer \
                 TOKEN), or listen on 127.0.0.1"
            )));
        }
        None => {}
    }
    tracing::info!(target: "lifecycle", event = "listening", listener = "admin", addr = bound);
    // From here on the log's lines are kept for GET /logs.
    crate::log_stream::enable();
    if listener.local_addr().is_ok_and(|addr| !addr.ip().is_loopback()) {
        tracing::warn!(
            target: "lifecycle",
            event = "admin_exposed",
            listener = "admin",
            addr = bound,
            error = format!("the admin listener is not on loopback: anyone who can reach it can {exposed}"),
        );
    }
    Ok(listener)
}

/// Serves `app` on `listener` and, if given, `admin_app` on `admin` (it gets
/// its own bound address, for [`admin_service`]), until `shutdown` resolves:
/// one shutdown for both, and the admin listener stops with the service.
pub async fn serve_with_admin<S: ServiceStack, F>(
    listener: TcpListener,
    admin: Option<TcpListener>,
    limits: &ServerArgs,
    app: impl FnOnce(Draining) -> S,
    admin_app: impl FnOnce(SocketAddr) -> HttpService,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(admin) = admin else {
        return crate::serve(listener, limits, app, shutdown).await;
    };
    let own = admin.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut stop_rx = stop_rx.clone();
        async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }
    };
    let admin = crate::serve_as(Some("admin"), admin, limits, |_draining| admin_app(own), stopped());
    let public = crate::serve(listener, limits, app, stopped());
    let signal = async move {
        shutdown.await;
        crate::log_stream::stop();
        let _ = stop_tx.send(true);
    };
    let ((), public, admin) = tokio::join!(signal, public, admin);
    public.and(admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_body_is_a_length_above_zero_or_chunks() {
        let mut headers = HeaderMap::new();
        assert!(!has_body(&headers));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        assert!(!has_body(&headers));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert!(has_body(&headers));
        let mut chunked = HeaderMap::new();
        chunked.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        assert!(has_body(&chunked));
    }

    #[test]
    fn several_header_lines_are_one_joined_value() {
        let mut headers = HeaderMap::new();
        assert_eq!(joined(&headers, &header::ORIGIN), None);
        headers.append(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:1"));
        headers.append(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert_eq!(joined(&headers, &header::ORIGIN).unwrap(), b"http://127.0.0.1:1, http://evil.example");
    }
}
