//! B's answer when its call to A fails: 503 with the spec's JSON body, and the
//! [`Failure`] the access log turns into `error_kind=... error="..."`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use contract::{CallEchoUnavailable, ErrorKind};
use service_kit::Failure;

/// Why A gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UpstreamError {
    pub kind: ErrorKind,
    pub message: String,
    /// A's status code, for a `status` failure (a 5xx is worth a retry, a 4xx is not).
    pub status: Option<u16>,
}

impl UpstreamError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), status: None }
    }

    /// A answered `status`, which is not 2xx.
    pub fn status(status: axum::http::StatusCode) -> Self {
        Self { status: Some(status.as_u16()), ..Self::new(ErrorKind::Status, format!("service A answered {status}")) }
    }

    /// The breaker is open: B did not call A.
    pub fn circuit_open(trial_in: std::time::Duration) -> Self {
        let when = if trial_in.is_zero() {
            "a trial call is on its way".to_owned()
        } else {
            format!("next trial call in {:.1} s", trial_in.as_secs_f64())
        };
        Self::new(
            ErrorKind::CircuitOpen,
            format!(
                "circuit open: B stopped calling service A after {} failures in a row; {when}",
                crate::policy::FAILURES_TO_OPEN
            ),
        )
    }

    /// The 503 answer, with `server-timing` for the time spent on the call.
    pub fn into_response_with_timing(self, server_timing: HeaderValue) -> Response {
        let mut response = self.into_response();
        response.headers_mut().insert(service_kit::headers::SERVER_TIMING, server_timing);
        response
    }
}

impl IntoResponse for UpstreamError {
    fn into_response(self) -> Response {
        let failure = Failure { kind: Some(self.kind.as_str()), message: self.message.clone() };
        let mut response =
            (StatusCode::SERVICE_UNAVAILABLE, Json(CallEchoUnavailable::new(self.kind, self.message))).into_response();
        response.extensions_mut().insert(failure);
        response
    }
}
