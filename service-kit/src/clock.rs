//! The time a service writes in its log lines: the machine's, or (for the
//! lab's lesson on two hosts' clocks) that plus an offset the service was
//! started with (`--clock-offset-ms`), as if its host's clock were off.

use std::sync::atomic::{AtomicI64, Ordering};

use std::time::{SystemTime, UNIX_EPOCH};

static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// From now on, the service's clock reads `offset_ms` ahead (behind, if negative).
pub fn set_offset_ms(offset_ms: i64) {
    OFFSET_MS.store(offset_ms, Ordering::Relaxed);
}

/// The service's time now, in milliseconds since the epoch (UTC), plus its
/// offset: what a log line's timestamp is written from.
pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let now = i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX);
    now.saturating_add(OFFSET_MS.load(Ordering::Relaxed))
}
