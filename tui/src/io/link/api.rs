//! The link's HTTP API: the part of toxiproxy's that its clients use
//! (`toxiproxy-cli`, toxiproxy-python, the Go and Ruby clients), for one proxy
//! named `service_a`, so any of them can break the lab's network:
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /version` | the dashboard's version, text |
//! | `GET /proxies` | `{"service_a": {name, listen, upstream, enabled, toxics}}` |
//! | `GET /proxies/service_a`, `POST` `{"enabled": false}` | the proxy; disabled: connections cut and refused |
//! | `GET`, `POST /proxies/service_a/toxics` | the toxics; add one (409 if its name exists) |
//! | `GET`, `POST`, `DELETE /proxies/service_a/toxics/{name}` | read, change, remove one |
//! | `POST /reset` | enabled, every toxic removed |
//!
//! Errors are toxiproxy's: `{"error": "...", "status": N}`. A request from a
//! web page (a foreign `Origin` or `Host`) and a body that is not JSON are
//! refused, so a page the learner visits cannot break the lab.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{Link, LinkError};

/// The one proxy's name: the link between B and A.
pub const PROXY: &str = "service_a";
/// Largest body read; a toxic is a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Binds `wanted`, or a free port on the same address when it is taken
/// (a toxiproxy or another dashboard may be running).
pub async fn bind(wanted: SocketAddr) -> std::io::Result<TcpListener> {
    match TcpListener::bind(wanted).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            TcpListener::bind(SocketAddr::new(wanted.ip(), 0)).await
        }
        Err(error) => Err(error),
    }
}

/// Serves the API on `listener` until dropped.
pub async fn serve(listener: TcpListener, link: Link) -> std::io::Result<()> {
    let own = listener.local_addr()?;
    axum::serve(listener, app(link, own)).await
}

#[derive(Clone)]
struct Api {
    link: Link,
}

/// The API's routes, for a listener at `own` (requests naming another host are refused).
pub fn app(link: Link, own: SocketAddr) -> Router {
    Router::new()
        .route("/version", get(|| async { format!("tui {}", env!("CARGO_PKG_VERSION")) }))
        .route("/proxies", get(proxies).post(create_proxy))
        .route("/proxies/{proxy}", get(proxy).post(change_proxy).delete(delete_proxy))
        .route("/proxies/{proxy}/toxics", get(toxics).post(add_toxic))
        .route("/proxies/{proxy}/toxics/{toxic}", get(toxic).post(update_toxic).delete(remove_toxic))
        .route("/reset", post(reset))
        .fallback(|| async {
            error(StatusCode::NOT_FOUND, "not found: this is the lab's toxiproxy API (GET /proxies)")
        })
        .method_not_allowed_fallback(|| async { error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(json_too_large))
        .layer(middleware::from_fn(move |request: Request, next: Next| refuse_the_web(own, request, next)))
        .with_state(Api { link })
}

/// Refuses a request from a web page (its `Origin` or `Host` is not this
/// listener) and a body that is not JSON, before any route runs.
async fn refuse_the_web(own: SocketAddr, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let value = |name| headers.get(name).map(|value: &axum::http::HeaderValue| value.as_bytes());
    let has_body = headers.get(header::CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    match contract::admin_guard::check(
        own,
        value(header::HOST),
        value(header::ORIGIN),
        value(header::CONTENT_TYPE),
        has_body,
    ) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
            error(status, refusal.message())
        }
    }
}

/// The body limit's refusal, in toxiproxy's error shape like every other.
async fn json_too_large(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is over {} KB: a toxic is a few hundred bytes", MAX_BODY_BYTES / 1024),
    )
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": message.to_string(), "status": status.as_u16()}))).into_response()
}

/// A refusal, answered in toxiproxy's error shape.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

impl From<LinkError> for ApiError {
    fn from(why: LinkError) -> Self {
        let status = match why {
            LinkError::Invalid(_) => StatusCode::BAD_REQUEST,
            LinkError::NotFound(_) => StatusCode::NOT_FOUND,
            LinkError::Exists(_) => StatusCode::CONFLICT,
        };
        ApiError(status, why.to_string())
    }
}

type Answer = Result<Response, ApiError>;

/// Only `service_a` exists.
fn the_proxy(name: &str) -> Result<(), ApiError> {
    if name == PROXY {
        return Ok(());
    }
    Err(ApiError(StatusCode::NOT_FOUND, format!("proxy not found: {name} (this link has one proxy, {PROXY})")))
}

fn proxy_json(link: &Link) -> Value {
    json!({
        "name": PROXY,
        "listen": link.addr().to_string(),
        "upstream": link.upstream().to_string(),
        "enabled": link.enabled(),
        "toxics": link.toxics(),
    })
}

/// The JSON body; an empty one is `{}` (toxiproxy's clients send none to `/reset`).
fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|why| ApiError(StatusCode::BAD_REQUEST, format!("bad JSON: {why}")))
}

async fn proxies(State(api): State<Api>) -> Response {
    Json(json!({ PROXY: proxy_json(&api.link) })).into_response()
}

async fn create_proxy(State(api): State<Api>, body: Bytes) -> Answer {
    let body = body_json(&body)?;
    Err(match body.get("name").and_then(Value::as_str) {
        Some(PROXY) => ApiError(StatusCode::CONFLICT, format!("proxy already exists: {PROXY}")),
        _ => ApiError(
            StatusCode::BAD_REQUEST,
            format!("this link has one proxy, {PROXY} (B → A), and makes no others; it listens on {}", api.link.addr()),
        ),
    })
}

async fn proxy(State(api): State<Api>, Path(name): Path<String>) -> Answer {
    the_proxy(&name)?;
    Ok(Json(proxy_json(&api.link)).into_response())
}

/// `{"enabled": bool}`; `name`, `listen`, `upstream` and `toxics` may be sent
/// back as a GET gave them (a client's GET, edit, POST), not changed.
async fn change_proxy(State(api): State<Api>, Path(name): Path<String>, body: Bytes) -> Answer {
    the_proxy(&name)?;
    let bad = |text: String| ApiError(StatusCode::BAD_REQUEST, text);
    let Value::Object(body) = body_json(&body)? else {
        return Err(bad("send a JSON object, e.g. {\"enabled\": false}".into()));
    };
    let current = proxy_json(&api.link);
    for (key, value) in &body {
        match key.as_str() {
            "enabled" | "toxics" => {}
            "name" | "listen" | "upstream" if current.get(key) == Some(value) => {}
            "name" | "listen" | "upstream" => {
                return Err(bad(format!("the lab's link cannot change its {key}; only enabled")));
            }
            other => return Err(bad(format!("a proxy has no field {other:?}"))),
        }
    }
    match body.get("enabled") {
        None => {}
        Some(Value::Bool(enabled)) => {
            api.link.set_enabled(*enabled);
            api.link.settled().await;
            if *enabled && !api.link.listening() {
                return Err(ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "enabled, but {} is taken by another program: the link tries again every 50 ms",
                        api.link.addr()
                    ),
                ));
            }
        }
        Some(other) => return Err(bad(format!("enabled must be true or false, got {other}"))),
    }
    Ok(Json(proxy_json(&api.link)).into_response())
}

async fn delete_proxy(Path(name): Path<String>) -> Answer {
    the_proxy(&name)?;
    Err(ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        "the lab's link cannot be deleted: POST {\"enabled\": false} takes it down".into(),
    ))
}

async fn toxics(State(api): State<Api>, Path(name): Path<String>) -> Answer {
    the_proxy(&name)?;
    Ok(Json(api.link.toxics()).into_response())
}

async fn add_toxic(State(api): State<Api>, Path(name): Path<String>, body: Bytes) -> Answer {
    the_proxy(&name)?;
    Ok(Json(api.link.add_toxic(&body_json(&body)?)?).into_response())
}

async fn toxic(State(api): State<Api>, Path((name, toxic)): Path<(String, String)>) -> Answer {
    the_proxy(&name)?;
    let spec = api.link.toxic(&toxic).ok_or(LinkError::NotFound(toxic))?;
    Ok(Json(spec).into_response())
}

async fn update_toxic(State(api): State<Api>, Path((name, toxic)): Path<(String, String)>, body: Bytes) -> Answer {
    the_proxy(&name)?;
    Ok(Json(api.link.update_toxic(&toxic, &body_json(&body)?)?).into_response())
}

async fn remove_toxic(State(api): State<Api>, Path((name, toxic)): Path<(String, String)>) -> Answer {
    the_proxy(&name)?;
    api.link.remove_toxic(&toxic)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reset(State(api): State<Api>) -> Response {
    api.link.reset();
    api.link.settled().await;
    StatusCode::NO_CONTENT.into_response()
}
