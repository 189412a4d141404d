//! The time a service writes in its log lines: the machine's, or (for the
//! lab's lesson on two hosts' clocks) that plus an offset the service was
//! started with (`--clock-offset-ms`), as if its host's clock were off.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// From now on, the service's clock reads `offset_ms` ahead (behind, if negative).
pub fn set_offset_ms(offset_ms: i64) {
    OFFSET_MS.store(offset_ms, Ordering::Relaxed);
}

/// The service's time now: UTC, plus its offset.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    match OFFSET_MS.load(Ordering::Relaxed) {
        0 => now,
        offset => now.checked_add(Duration::milliseconds(offset)).unwrap_or(now),
    }
}
