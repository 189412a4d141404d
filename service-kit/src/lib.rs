//! What both services are built from, so A and B behave the same way where the
//! spec says they must: log setup (console and rotating file, text or JSON,
//! lossless file, never-blocking console), request ids, the one-line-per-request
//! access log, metrics, JSON errors for bad input and unknown paths, and a
//! server that holds its limits against hostile clients and always stops.

pub mod access_log;
pub mod admin;
#[cfg(target_os = "linux")]
pub mod alloc;
pub mod clock;
pub mod config;
pub mod connection;
pub mod errors;
pub mod headers;
pub mod ids;
mod lifecycle;
mod log_file;
pub mod log_stream;
pub mod logwriter;
pub mod metrics;
pub mod otlp;
pub mod program;
pub mod server;
pub mod signals;
pub mod telemetry;

pub use access_log::Failure;
pub use access_log::{DedupHit, FaultAnswered, UpstreamTries};
pub use config::{ListenAddr, LogArgs, LogFormat, LogRotation, ServerArgs};
pub use errors::{ApiError, EchoQuery};
pub use ids::{IdAndTrace, Trace};
pub use program::shutdown_signal;
pub use server::{AppService, Draining, HttpService, serve, serve_as};
pub use telemetry::{LogGuard, TelemetryError};
