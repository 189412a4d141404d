//! The log panel's state: both services' lines merged by time, and how the
//! learner is looking at them (following or paused, scrolled, filtered).

use crate::msg::LogLine;
use crate::ring::Ring;

/// Log lines kept for the log panel.
pub const MAX_LOG_LINES: usize = 5_000;

/// Lines and view.
#[derive(Debug, Clone)]
pub struct LogView {
    lines: Ring<LogLine>,
    /// Not following: new lines are kept but the view stays where it is.
    pub paused: bool,
    /// Lines scrolled back from the newest (when paused).
    pub scroll: usize,
    /// Show only this request id's lines.
    pub filter: Option<String>,
    /// Health-check lines left out of the panel (the dashboard polls every second).
    pub hidden_health: u64,
}

impl Default for LogView {
    fn default() -> Self {
        Self { lines: Ring::new(MAX_LOG_LINES), paused: false, scroll: 0, filter: None, hidden_health: 0 }
    }
}

impl LogView {
    /// Adds lines of either service, each in time order within its service.
    pub fn add(&mut self, lines: Vec<LogLine>) {
        for line in lines {
            if line.endpoint.as_deref() == Some("/health") {
                self.hidden_health += 1;
                continue;
            }
            // Merge by time: each service's lines arrive in order, so a binary
            // search on the timestamp finds where a line of the other one goes.
            let position = match line.at {
                Some(at) => self.lines.partition_point(|l| l.at.is_none_or(|t| t <= at)),
                None => self.lines.len(),
            };
            self.lines.insert(position, line);
            if self.paused {
                // Keep the view still while new lines arrive below it.
                self.scroll += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines the panel shows (filter applied), oldest first.
    pub fn visible(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        let filter = self.filter.as_deref();
        self.lines.iter().filter(move |l| filter.is_none_or(|id| l.request_id.as_deref() == Some(id)))
    }

    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        self.scroll = 0;
    }

    /// Scrolls back (pausing), at most to the oldest line.
    pub fn scroll_up(&mut self, by: usize) {
        self.paused = true;
        self.scroll = self.scroll.saturating_add(by).min(self.lines.len().saturating_sub(1));
    }

    pub fn scroll_down(&mut self, by: usize) {
        self.scroll = self.scroll.saturating_sub(by);
    }
}
