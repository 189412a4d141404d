//! A bounded, ordered buffer: the newest `capacity` items, oldest first. Every
//! list the dashboard keeps (requests, log lines, the latency window, the chart)
//! is one, so memory stays flat however long a session runs.

use std::collections::VecDeque;
use std::collections::vec_deque;

/// At most `capacity` items; adding to a full ring evicts the oldest.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> Ring<T> {
    /// An empty ring that holds at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Appends `item`; returns the item evicted to make room, if any.
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.len() == self.capacity { self.items.pop_front() } else { None };
        self.items.push_back(item);
        evicted
    }

    /// Inserts `item` at `index` (0 = oldest); when full, the oldest item makes
    /// room, and an item that would itself be the oldest is not kept. Returns
    /// whether anything was evicted.
    pub fn insert(&mut self, index: usize, item: T) -> bool {
        if self.items.len() < self.capacity {
            self.items.insert(index.min(self.items.len()), item);
            return false;
        }
        if index > 0 {
            self.items.pop_front();
            self.items.insert((index - 1).min(self.items.len()), item);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    pub fn back(&self) -> Option<&T> {
        self.items.back()
    }

    /// Oldest first.
    pub fn iter(&self) -> vec_deque::Iter<'_, T> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> vec_deque::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// The items in `range` (clamped to the ring), oldest first.
    pub fn range(&self, range: std::ops::Range<usize>) -> vec_deque::Iter<'_, T> {
        let end = range.end.min(self.items.len());
        self.items.range(range.start.min(end)..end)
    }

    /// The index of the first item for which `pred` is false (the items must be
    /// partitioned by it, as a sorted ring is).
    pub fn partition_point(&self, pred: impl FnMut(&T) -> bool) -> usize {
        self.items.partition_point(pred)
    }
}

impl<'a, T> IntoIterator for &'a Ring<T> {
    type Item = &'a T;
    type IntoIter = vec_deque::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_items() {
        let mut ring = Ring::new(3);
        assert_eq!((1..=3).filter_map(|i| ring.push(i)).count(), 0);
        assert_eq!(ring.push(4), Some(1));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(ring.range(1..9).copied().collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn insert_into_a_full_ring_evicts_the_oldest_or_drops_an_older_item() {
        let mut ring = Ring::new(3);
        for i in [10, 20, 30] {
            ring.push(i);
        }
        assert!(ring.insert(2, 25));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [20, 25, 30]);
        assert!(ring.insert(0, 5), "older than everything kept: not kept");
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [20, 25, 30]);
        assert_eq!(ring.partition_point(|x| *x < 26), 2);
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut ring = Ring::new(0);
        ring.push('a');
        ring.push('b');
        assert_eq!((ring.len(), ring.back()), (1, Some(&'b')));
    }
}
