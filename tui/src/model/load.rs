//! Load the learner puts on B: the burst's progress.

/// The state of a burst in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstProgress {
    pub requests: u64,
    pub concurrency: u64,
    pub done: u64,
    pub failed: u64,
    pub cancelling: bool,
}

impl BurstProgress {
    pub fn new(requests: u64, concurrency: u64) -> Self {
        Self { requests, concurrency, done: 0, failed: 0, cancelling: false }
    }

    /// Counts one answer of the burst.
    pub fn record(&mut self, ok: bool) {
        self.done += 1;
        self.failed += u64::from(!ok);
    }

    /// Share of the requests done, 0.0 to 1.0.
    pub fn ratio(&self) -> f64 {
        // Precision loss only past 2^53 requests.
        #[allow(clippy::cast_precision_loss)]
        let ratio = if self.requests == 0 { 0.0 } else { self.done as f64 / self.requests as f64 };
        ratio.min(1.0)
    }
}
