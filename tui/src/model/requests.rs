//! The request list: every request the learner sent (and each burst answer),
//! with a [`Mark`] for everything that happened in between, and which entry is
//! selected.

use time::OffsetDateTime;

use crate::msg::{LinkCondition, Outcome};
use crate::ring::Ring;

/// Entries kept in the request list (older ones leave; the numbers keep counting).
pub const MAX_ENTRIES: usize = 2_000;

/// An entry of the request list: a request, or a mark that explains what follows.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Request(SentRequest),
    /// Shared with the session's record of marks: one mark, stored once.
    Mark(std::sync::Arc<Mark>),
}

/// One request and, once it is back, its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRequest {
    pub id: String,
    pub sent_at: OffsetDateTime,
    pub msg: String,
    pub delay_ms: Option<u64>,
    pub burst: bool,
    /// `None` while waiting for B.
    pub outcome: Option<Outcome>,
    /// What the dashboard knew of A and the link when it was sent.
    pub conditions: Conditions,
}

/// What the dashboard knew of A and the link when a request was sent: the
/// evidence a trace uses to say why A never got a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions {
    pub a: AState,
    pub link: LinkCondition,
}

/// Service A as the dashboard saw it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AState {
    #[default]
    Up,
    /// Stopped, or not answering its health check.
    Down,
    /// SIGSTOP: its port open, nothing read.
    Frozen,
    /// Killed (SIGKILL) by the dashboard, not started again yet.
    Crashed,
}

impl Entry {
    /// When it was sent (a request) or happened (a mark): the list's order.
    pub fn time(&self) -> OffsetDateTime {
        match self {
            Entry::Request(request) => request.sent_at,
            Entry::Mark(mark) => mark.at,
        }
    }
}

/// Something the learner did (or that happened to a service), shown in the
/// request list and on the chart at the point where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at: OffsetDateTime,
    pub text: String,
    /// The number of answers counted when it happened: its place on the chart.
    pub at_request: u64,
}

/// The entries and the selection.
#[derive(Debug, Clone)]
pub struct RequestList {
    entries: Ring<Entry>,
    /// Index into the entries; `None` follows the newest entry.
    selected: Option<usize>,
    /// The selected request left the bounded list (newer entries pushed it
    /// out): its id, still selected until the learner moves.
    evicted: Option<String>,
}

impl Default for RequestList {
    fn default() -> Self {
        Self { entries: Ring::new(MAX_ENTRIES), selected: None, evicted: None }
    }
}

impl RequestList {
    /// Adds an entry in time order (a request by the time it was sent, a mark
    /// by when it happened), so the time column never runs backwards: the
    /// answers of a load come back in any order. A selected entry stays
    /// selected while others arrive and older ones leave.
    pub fn push(&mut self, entry: Entry) {
        let at = entry.time();
        let index = self.entries.partition_point(|existing| existing.time() <= at);
        if index < self.entries.len() {
            self.insert_before_newer(index, entry);
            return;
        }
        let Some(evicted) = self.entries.push(entry) else { return };
        match self.selected {
            // The selected entry itself left: remember it (once) if it was a request.
            Some(0) => {
                if self.evicted.is_none()
                    && let Entry::Request(request) = evicted
                {
                    self.evicted = Some(request.id);
                }
            }
            Some(index) => self.selected = Some(index - 1),
            None => {}
        }
    }

    /// Inserts at `index`, before entries that are newer; the selection
    /// follows its entry.
    fn insert_before_newer(&mut self, index: usize, entry: Entry) {
        let full = self.entries.len() == self.entries.capacity();
        // Full, the oldest entry makes room (unless the new one would itself be the oldest).
        let evicts = full && index > 0;
        if evicts
            && self.selected == Some(0)
            && self.evicted.is_none()
            && let Some(Entry::Request(request)) = self.entries.get(0)
        {
            self.evicted = Some(request.id.clone());
        }
        self.entries.insert(index, entry);
        self.selected = self.selected.map(|selected| match (full, evicts) {
            (false, _) if selected >= index => selected + 1,
            (false, _) | (true, false) => selected,
            // Those before the insertion moved up by one; the evicted one's place is the new oldest.
            (true, true) if selected > 0 && selected < index => selected - 1,
            (true, true) => selected,
        });
    }

    /// The id of the selected request if it has left the list.
    pub fn evicted_selection(&self) -> Option<&str> {
        self.evicted.as_deref()
    }

    /// The id of the selected request, also when it has left the list.
    pub fn selected_request_id(&self) -> Option<&str> {
        self.evicted_selection().or_else(|| self.selected_request().map(|request| request.id.as_str()))
    }

    pub fn entries(&self) -> &Ring<Entry> {
        &self.entries
    }

    /// The newest entry is selected, and stays so as new ones arrive.
    pub fn is_following(&self) -> bool {
        self.selected.is_none()
    }

    /// The pending request with this id, to fill in its answer.
    pub fn pending_mut(&mut self, id: &str) -> Option<&mut SentRequest> {
        self.entries.iter_mut().rev().find_map(|entry| match entry {
            Entry::Request(request) if request.id == id && request.outcome.is_none() => Some(request),
            _ => None,
        })
    }

    /// Moves the selection by `delta`; moving down past the newest entry follows again.
    pub fn move_selection(&mut self, delta: isize) {
        let Some(last) = self.entries.len().checked_sub(1) else { return };
        self.evicted = None;
        let current = self.selected_index().unwrap_or(last);
        let next = current.saturating_add_signed(delta).min(last);
        let at_the_end = self.selected.is_none() || current == last;
        self.selected = if delta > 0 && at_the_end { None } else { Some(next) };
    }

    /// Follows the newest entry.
    pub fn follow(&mut self) {
        self.evicted = None;
        self.selected = None;
    }

    /// The index of the entry under the cursor. Following, that is the
    /// newest request (a mark after it, "A thawed" or a guide tick, does not
    /// take the place of the answer just sent), or the newest mark before any.
    pub fn selected_index(&self) -> Option<usize> {
        self.selected.or_else(|| {
            let newest_request = self.entries.iter().rposition(|entry| matches!(entry, Entry::Request(_)));
            newest_request.or_else(|| self.entries.len().checked_sub(1))
        })
    }

    pub fn selected(&self) -> Option<&Entry> {
        self.entries.get(self.selected_index()?)
    }

    /// The selected entry, if it is a request.
    pub fn selected_request(&self) -> Option<&SentRequest> {
        match self.selected()? {
            Entry::Request(request) => Some(request),
            Entry::Mark(_) => None,
        }
    }

    /// The marks, oldest first.
    pub fn marks(&self) -> impl Iterator<Item = &Mark> {
        self.entries.iter().filter_map(|entry| match entry {
            Entry::Mark(mark) => Some(&**mark),
            Entry::Request(_) => None,
        })
    }
}
