//! A's admin listener (`--admin-addr`): `GET`/`PUT /faults` (A's own faults
//! on `/echo`) and `GET`/`PUT /policy` (`{"dedup": ...}`, its idempotency
//! memory), JSON, on its own address so the public port can never change them.
//!
//! `PUT` takes the settings to change; those left out keep their value, and
//! it answers the whole. Bad JSON, an unknown field or a value out of range is
//! `400` with what is wrong and what is allowed, and nothing changes. Web pages
//! are refused (403 for a foreign `Host` or `Origin`, 415 for a body not sent
//! as `application/json`; see [`service_kit::admin`]). Admin requests get no
//! access line; every change is one `event=faults` or `event=policy` line.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use contract::faults::{APolicyChange, FAULTS_PATH, FaultsChange, POLICY_PATH};
use service_kit::HttpService;
use service_kit::admin::error;

use crate::live::LiveFaults;

/// The admin listener's whole HTTP surface; `own` is its bound address.
pub fn app(faults: LiveFaults, own: SocketAddr) -> HttpService {
    let routes = Router::new()
        .route(FAULTS_PATH, get(show_faults).put(change_faults))
        .route(POLICY_PATH, get(show_policy).put(change_policy))
        .with_state(faults);
    service_kit::admin::admin_service(routes, own, "GET and PUT /faults and /policy, GET /logs")
}

async fn show_faults(State(faults): State<LiveFaults>) -> Response {
    Json(faults.faults()).into_response()
}

async fn change_faults(State(faults): State<LiveFaults>, body: Result<Bytes, BytesRejection>) -> Response {
    let change = match body.map_err(|rejection| error(rejection.status(), rejection.body_text())) {
        Ok(body) => FaultsChange::from_json(&body),
        Err(refused) => return refused,
    };
    match change.and_then(|change| faults.change_faults(&change)) {
        Ok(now) => Json(now).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

async fn show_policy(State(faults): State<LiveFaults>) -> Response {
    Json(faults.policy()).into_response()
}

async fn change_policy(State(faults): State<LiveFaults>, body: Result<Bytes, BytesRejection>) -> Response {
    let change = match body.map_err(|rejection| error(rejection.status(), rejection.body_text())) {
        Ok(body) => APolicyChange::from_json(&body),
        Err(refused) => return refused,
    };
    match change {
        Ok(change) => Json(faults.change_policy(&change)).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}
