//! B's admin listener: `GET /policy` and `PUT /policy` (JSON), on its own
//! address (`--admin-addr`), so the public port can never change how B calls A.
//!
//! `PUT` takes the settings to change (`{"retries": 2}`); those left out keep
//! their value, and the breaker's fields that `GET` shows are ignored, so a
//! `GET`'s body can be sent back as it is. Bad JSON, an unknown field or a value
//! out of range is `400` with what is wrong, and the policy stays as it was. A
//! request from a web page (foreign `Host` or `Origin`) is `403`, a body not
//! sent as `content-type: application/json` is `415` (see
//! [`service_kit::admin`]). Admin requests get no access line (the dashboard
//! polls `GET`); every change is one `event=policy` line.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use contract::policy::{PATH, PolicyChange};
use service_kit::HttpService;
use service_kit::admin::error;

use crate::live::LivePolicy;

/// The admin listener's whole HTTP surface; `own` is its bound address.
pub fn app(policy: LivePolicy, own: SocketAddr) -> HttpService {
    let routes = Router::new().route(PATH, get(show).put(change)).with_state(policy);
    service_kit::admin::admin_service(routes, own, "GET and PUT /policy, GET /logs")
}

async fn show(State(policy): State<LivePolicy>) -> Response {
    Json(policy.status(Instant::now())).into_response()
}

async fn change(State(policy): State<LivePolicy>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    let change = match PolicyChange::from_json(&body) {
        Ok(change) => change,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    match policy.change(&change, Instant::now()) {
        Ok(status) => Json(status).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}
