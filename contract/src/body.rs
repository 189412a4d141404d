//! The JSON bodies of both services, exactly as the lab's clients see them.

use serde::{Deserialize, Serialize};

/// `GET /health` on either service: `{"status":"ok"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthBody {
    pub status: String,
}

impl HealthBody {
    pub fn ok() -> Self {
        Self { status: "ok".into() }
    }
}

/// Service A's answer to `/echo`: `{"echo":"TEXT"}`. B embeds it unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EchoBody {
    pub echo: String,
}

/// Any 400 or 404 answer: `{"error":"<what is wrong>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// B's 200 answer: `{"service_a":{"echo":"TEXT"},"service_b":"ok"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEchoOk {
    pub service_a: EchoBody,
    pub service_b: String,
}

impl CallEchoOk {
    pub fn new(service_a: EchoBody) -> Self {
        Self { service_a, service_b: "ok".into() }
    }
}

/// B's 503 answer when A could not give a usable answer in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEchoUnavailable {
    /// A sentence for a person: what went wrong with the call to A.
    pub error: String,
    /// The same thing for a program: which of the ways it failed.
    pub error_kind: ErrorKind,
    /// Always `"unavailable"`.
    pub service_a: String,
    /// Always `"ok"`: B itself is fine, which is the point of the lesson.
    pub service_b: String,
}

impl CallEchoUnavailable {
    pub fn new(error_kind: ErrorKind, error: impl Into<String>) -> Self {
        Self { error: error.into(), error_kind, service_a: "unavailable".into(), service_b: "ok".into() }
    }
}

/// The ways B's call to A can fail, as written in bodies and log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A refused the connection or could not be reached at all.
    Connect,
    /// A did not answer completely within B's timeout.
    Timeout,
    /// A answered with a status other than 2xx.
    Status,
    /// A answered 2xx, but not with `{"echo": "..."}`.
    Body,
    /// B's circuit breaker is open: B did not call A at all (its call policy).
    CircuitOpen,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 5] =
        [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Status, ErrorKind::Body, ErrorKind::CircuitOpen];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Body => "body",
            ErrorKind::CircuitOpen => "circuit_open",
        }
    }

    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_serialize_exactly_as_the_lab() {
        assert_eq!(serde_json::to_value(HealthBody::ok()).unwrap(), json!({"status": "ok"}));
        let ok = CallEchoOk::new(EchoBody { echo: "hi".into() });
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"service_a":{"echo":"hi"},"service_b":"ok"}"#);
        let down = CallEchoUnavailable::new(ErrorKind::Timeout, "too slow");
        assert_eq!(
            serde_json::to_value(down).unwrap(),
            json!({"error": "too slow", "error_kind": "timeout", "service_a": "unavailable", "service_b": "ok"})
        );
    }

    #[test]
    fn error_kind_names_round_trip() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(ErrorKind::from_name("other"), None);
    }

    #[test]
    fn echo_body_rejects_other_shapes() {
        assert!(serde_json::from_str::<EchoBody>(r#"{"echo":"x"}"#).is_ok());
        assert!(serde_json::from_str::<EchoBody>(r#"{"echo":1}"#).is_err());
        assert!(serde_json::from_str::<EchoBody>(r#"{"other":"x"}"#).is_err());
        assert!(serde_json::from_str::<EchoBody>("<html>").is_err());
    }
}
