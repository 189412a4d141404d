//! The server's phase (serving, draining, cutting), shared with every
//! connection of the server; see [`crate::server`] for what each one means.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;

/// Where the server is in its life; connections follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    Serving,
    /// Finish what is in flight, take no new request.
    Draining,
    /// The grace is over: drop what is left.
    Cutting,
}

/// The server's [`Phase`], shared with every connection. A connection reads it
/// with one atomic load each time it wakes, and `changed` wakes the ones that
/// sleep (an idle keep-alive connection) when it moves on: nothing is polled
/// per request but the load.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    phase: AtomicU8,
    pub(crate) changed: Notify,
}

impl Lifecycle {
    pub(crate) fn new() -> Self {
        Self { phase: AtomicU8::new(Phase::Serving as u8), changed: Notify::new() }
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Serving,
            1 => Phase::Draining,
            _ => Phase::Cutting,
        }
    }

    pub(crate) fn set(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Release);
        self.changed.notify_waiters();
    }
}
