//! Waiting for a condition with a deadline (never a bare sleep), and a
//! process's state from `/proc`.

use std::time::{Duration, Instant};

/// Polls `check` every 10 ms until it holds, without blocking the runtime;
/// panics after 10 s. For async tests.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let limit = Duration::from_secs(10);
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls `check` every 10 ms until it holds; panics after `limit`. For plain
/// (not async) tests.
pub fn wait_until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The state letter of process `pid` from `/proc` (`R`, `S`, `T` for stopped,
/// `Z` for a zombie), or `None` if there is no such process. Linux only.
pub fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next())
}

/// True once process `pid` has ended (gone, or a zombie nobody reaped yet). Linux only.
pub fn is_gone(pid: u32) -> bool {
    matches!(process_state(pid), None | Some('Z'))
}
