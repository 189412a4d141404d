//! The time a service writes in its log lines: the machine's, or (for the
//! lab's lesson on two hosts' clocks) that plus an offset the service was
//! started with (`--clock-offset-ms`), as if its host's clock were off.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// How long one reading of the wall clock serves [`unix_ms_at`] on a thread.
const ANCHOR_FOR: Duration = Duration::from_secs(1);

thread_local! {
    /// A moment of the monotonic clock and the wall clock's time then (since the epoch).
    static ANCHOR: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// [`now_ms`] at `at`, a moment *just read* from the monotonic clock (the end
/// of a request), without reading the wall clock again: the wall clock is
/// read once a second per thread, and `at` is placed after that reading by the
/// monotonic clock. A change of the machine's clock shows within a second.
pub fn unix_ms_at(at: Instant) -> i64 {
    let since_epoch = ANCHOR.with(|anchor| match anchor.get() {
        Some((then, wall)) if at >= then && at - then < ANCHOR_FOR => wall + (at - then),
        _ => {
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            anchor.set(Some((at, wall)));
            wall
        }
    });
    let ms = i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX);
    ms.saturating_add(OFFSET_MS.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_just_read_gives_the_wall_clock_and_later_moments_follow_the_monotonic_clock() {
        let at = Instant::now();
        let (before, ms, after) = (now_ms(), unix_ms_at(at), now_ms());
        assert!(before - 1 <= ms && ms <= after + 1, "{before} <= {ms} <= {after}");
        let later = unix_ms_at(at + Duration::from_millis(300));
        assert!((299..=301).contains(&(later - ms)), "300 ms later by the monotonic clock: {}", later - ms);
        // Past the anchor's second, the wall clock is read again (here: now, as
        // the moment is not one just read).
        let far = unix_ms_at(at + Duration::from_secs(5));
        assert!((far - now_ms()).abs() <= 2, "anchored afresh");
    }
}
