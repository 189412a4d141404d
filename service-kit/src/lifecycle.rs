//! The server's phase (serving, draining, cutting), shared with every
//! connection of the server; see [`crate::server`] for what each one means.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::Context;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

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
    changed: Notify,
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

/// One connection task's view of the [`Lifecycle`]: the phase it has seen,
/// and its registration to be woken at the next change.
///
/// The registration is made once per change, not on every poll (a `Notified`
/// polled again takes a lock): it holds the waker of the task that first
/// polled it, so a `PhaseWatch` belongs to one task, polled by that task only
/// (a spawned connection task).
pub(crate) struct PhaseWatch<'a> {
    lifecycle: &'a Lifecycle,
    seen: Phase,
    next_change: Pin<Box<Notified<'a>>>,
    registered: bool,
}

impl<'a> PhaseWatch<'a> {
    pub(crate) fn new(lifecycle: &'a Lifecycle) -> Self {
        Self { lifecycle, seen: Phase::Serving, next_change: Box::pin(lifecycle.changed.notified()), registered: false }
    }

    /// The phase, if it moved on since the last call; either way the task is
    /// registered to be woken when it moves on again.
    pub(crate) fn poll_change(&mut self, cx: &mut Context<'_>) -> Option<Phase> {
        let mut changed = None;
        loop {
            if !self.registered {
                // Registered before the phase is read: a change made in
                // between still wakes the task.
                self.registered = true;
                if self.next_change.as_mut().poll(cx).is_ready() {
                    self.next_change.set(self.lifecycle.changed.notified());
                    self.registered = false;
                    continue;
                }
            }
            let phase = self.lifecycle.phase();
            if phase == self.seen {
                return changed;
            }
            self.seen = phase;
            changed = Some(phase);
            // That change used up the registration: make another before returning.
            self.next_change.set(self.lifecycle.changed.notified());
            self.registered = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Wake, Waker};

    /// Counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_watch_sees_each_change_once_and_is_woken_by_each() {
        let lifecycle = Lifecycle::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut watch = PhaseWatch::new(&lifecycle);
        assert_eq!(watch.poll_change(&mut cx), None);
        assert_eq!(watch.poll_change(&mut cx), None, "nothing changed");
        lifecycle.set(Phase::Draining);
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the draining woke the task");
        assert_eq!(watch.poll_change(&mut cx), Some(Phase::Draining));
        // Not polled again until woken: the call that saw the change registered for the next one.
        lifecycle.set(Phase::Cutting);
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "the cutting woke it too");
        assert_eq!(watch.poll_change(&mut cx), Some(Phase::Cutting));
        assert_eq!(watch.poll_change(&mut cx), None, "each change is seen once");
    }

    #[test]
    fn a_watch_made_after_the_change_sees_it() {
        let lifecycle = Lifecycle::new();
        lifecycle.set(Phase::Draining);
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(PhaseWatch::new(&lifecycle).poll_change(&mut cx), Some(Phase::Draining));
    }
}
