//! The client-facing errors both services share, each with its status and the
//! spec's `{"error": "..."}` body, and the strict query extractor behind them.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use contract::{EchoParams, ErrorBody, InvalidInput};

use crate::access_log::Failure;

/// An answer that is not the one asked for: 400, 404 or 405 (the client's
/// fault), 503 (the service is stopping) or 504 (the caller's deadline
/// passed), always with a JSON body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    BadInput(#[from] InvalidInput),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The work was cut short because the service is shutting down (A's
    /// delay): an answer must not pretend the work was done.
    #[error("{}", crate::access_log::CUT_AT_SHUTDOWN)]
    CutAtShutdown,
    /// The caller's deadline (`x-deadline-ms`) passed before the work was
    /// done: nobody is waiting for the answer any more, so the work stops.
    #[error("{}", DEADLINE_PASSED)]
    DeadlinePassed,
}

/// The `error` of a request whose caller's deadline passed (A, `x-deadline-ms`).
pub const DEADLINE_PASSED: &str = "deadline passed";

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadInput(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::CutAtShutdown => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::DeadlinePassed => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let mut response = (self.status(), Json(ErrorBody { error: message.clone() })).into_response();
        response.extensions_mut().insert(Failure { kind: None, message });
        response
    }
}

/// Fallback for unknown paths: `404 {"error":"not found"}`.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Fallback for a known path with the wrong method: `405 {"error":"method not allowed"}`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The `msg` / `delay_ms` query, parsed strictly; a bad one is a 400 JSON answer
/// (axum's own `Query` rejection would be `text/plain`).
#[derive(Debug, Clone)]
pub struct EchoQuery(pub EchoParams);

impl<S: Send + Sync> FromRequestParts<S> for EchoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(EchoQuery(EchoParams::from_query(parts.uri.query())?))
    }
}
