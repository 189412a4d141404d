//! What service A, service B and the dashboard agree on, in one place: the JSON
//! bodies, the header names, the input rules for `msg` and `delay_ms`, the log
//! line format (writer *and* parser), the log file names and the default addresses.
//!
//! Nothing here does I/O, so every rule can be tested on its own and the three
//! programs cannot drift apart.

pub mod admin_guard;
pub mod body;
pub mod change;
pub mod faults;
pub mod files;
pub mod headers;
pub mod logline;
pub mod params;
pub mod policy;

pub use body::{CallEchoOk, CallEchoUnavailable, EchoBody, ErrorBody, ErrorKind, HealthBody};
pub use logline::{LogRecord, ParseLineError};
pub use params::{EchoParams, InvalidInput};

/// Which of the two services a program, a log line or a log file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    A,
    B,
}

impl Service {
    /// Both services, in display order.
    pub const ALL: [Service; 2] = [Service::A, Service::B];

    /// The service's place in [`Service::ALL`], for per-service arrays.
    pub const fn index(self) -> usize {
        match self {
            Service::A => 0,
            Service::B => 1,
        }
    }

    /// The value of the `service=` field in log lines: `A` or `B`, as in the lab.
    pub const fn name(self) -> &'static str {
        match self {
            Service::A => "A",
            Service::B => "B",
        }
    }

    /// Where the service listens unless told otherwise (loopback only).
    pub const fn default_addr(self) -> &'static str {
        match self {
            Service::A => "127.0.0.1:8080",
            Service::B => "127.0.0.1:8081",
        }
    }

    /// The base URL clients use to reach the service at its default address.
    pub const fn default_url(self) -> &'static str {
        match self {
            Service::A => "http://127.0.0.1:8080",
            Service::B => "http://127.0.0.1:8081",
        }
    }

    /// The `tui` subcommand that runs this service (`tui serve-a`): the
    /// dashboard starts its children with it, and the `tui` binary's entry point
    /// dispatches on it, without the dashboard's code importing a service.
    pub const fn subcommand(self) -> &'static str {
        match self {
            Service::A => "serve-a",
            Service::B => "serve-b",
        }
    }
}

/// How long B waits for A by default, in milliseconds (the lab's 1 s).
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// The log directory used when none is given, relative to the working directory.
pub const DEFAULT_LOG_DIR: &str = "logs";

/// How many rotated log files each service keeps by default.
pub const DEFAULT_LOG_MAX_FILES: usize = 7;
