//! B's admin listener: `GET /policy` and `PUT /policy` (JSON), on its own
//! address (`--admin-addr`), so the public port can never change how B calls A.
//!
//! `PUT` takes the settings to change (`{"retries": 2}`); those left out keep
//! their value. Bad JSON, an unknown field or a value out of range is `400`
//! with what is wrong, and the policy stays as it was. Admin requests get no
//! access line (the dashboard polls `GET`); every change is one `event=policy`
//! line.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use contract::ErrorBody;
use contract::policy::{PATH, PolicyChange};
use service_kit::HttpService;
use tower::ServiceBuilder;
use tower_http::timeout::TimeoutLayer;

use crate::live::LivePolicy;

/// Largest `PUT` body read; a whole policy is under 100 bytes.
const MAX_BODY_BYTES: usize = 4 * 1024;

/// The admin listener's whole HTTP surface.
pub fn app(policy: LivePolicy) -> HttpService {
    let router = Router::new()
        .route(PATH, get(show).put(change))
        .fallback(|| async {
            error(StatusCode::NOT_FOUND, "not found: the admin listener answers GET and PUT /policy")
        })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: use GET or PUT")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(policy);
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(5)))
        .service(router);
    service_kit::HttpService::new(service)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: message.into() })).into_response()
}

async fn show(State(policy): State<LivePolicy>) -> Response {
    Json(policy.status(Instant::now())).into_response()
}

/// Any content type is read as JSON (`curl -d` sends a form type).
async fn change(
    State(policy): State<LivePolicy>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    // An object only: serde would also read `[1500, 2, true, true]` by position.
    let value = serde_json::from_slice::<serde_json::Value>(&body);
    if value.as_ref().is_ok_and(|value| !value.is_object()) {
        return error(StatusCode::BAD_REQUEST, "not a policy change: send a JSON object, e.g. {\"retries\": 2}");
    }
    let change: PolicyChange = match value.and_then(serde_json::from_value) {
        Ok(change) => change,
        Err(why) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "not a policy change: {why}; send e.g. {{\"timeout_ms\": 1500, \"retries\": 2, \"breaker\": true, \"deadline\": true}}"
                ),
            );
        }
    };
    match policy.change(&change, Instant::now()) {
        Ok(status) => Json(status).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}
