//! What both services are built from, so A and B behave the same way where the
//! spec says they must: log setup (console and rotating file, text or JSON,
//! lossless), request ids, the one-line-per-request access log, JSON errors for
//! bad input and unknown paths, and graceful shutdown that drains and flushes.

pub mod access_log;
pub mod config;
pub mod errors;
pub mod server;
pub mod telemetry;

pub use access_log::Failure;
pub use config::{LogArgs, LogFormat, LogRotation};
pub use errors::{ApiError, EchoQuery};
pub use server::{Draining, HttpService, serve, shutdown_signal};
pub use telemetry::{LogGuard, TelemetryError};
