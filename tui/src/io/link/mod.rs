//! The link between B and A: a TCP forwarder on a loopback port that B is
//! pointed at instead of A, so the learner can break the network while A stays
//! perfectly healthy. Its [`LinkMode`] applies to new connections and to open
//! ones: each direction of each connection watches the mode while it waits for
//! bytes, so even B's pooled keep-alive connections feel a change at once.
//!
//! # A partition, and what happens when it heals
//!
//! A partitioned connection keeps reading from both peers and forwards nothing:
//! reading lets the link notice a peer that gives up (B closes a connection
//! whose request timed out), and the kernel's buffers cannot leak stale bytes
//! later. Nothing is said to either peer, so B sees exactly what a partition
//! looks like from the inside: silence, then its own timeout, never a reset or a
//! refusal. A connection that is partitioned when B first connects is not even
//! connected to A (A's log stays empty, and a stopped A cannot show through).
//!
//! When the partition heals (the mode leaves `partition`), a connection
//! resumes only if no byte was dropped
//! while it was held: an idle pooled connection carries on as if nothing had
//! happened, as an idle TCP connection does in a real network. A connection
//! that lost bytes stays held until a peer closes it: its stream has a hole, so
//! forwarding later bytes would hand A half a request or B the answer to a
//! request it gave up on (which would read as a `200` for something that timed
//! out, or as a garbled answer). B closes it when its own timeout fires, which
//! is how a learner expects a partitioned request to end; the requests sent
//! after the heal go through at once on fresh or idle connections. Such a
//! connection counts as cut when it ends.
//!
//! # A flaky link
//!
//! A flaky link loses about one request in [`FLAKY_ONE_IN`]: each chunk B
//! sends toward A is drawn for, and a lost one holds its connection as a
//! partition would (B times out, then opens a fresh connection). Drawing per
//! request rather than per connection matters because B pools its
//! connections: under a steady load one kept-alive connection carries every
//! call, and a per-connection draw would either lose all of them or none.

mod connection;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::msg::{Event, LinkCounters, LinkMode};
use connection::serve;

/// Pause after a failed accept (out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The running link's handle: cheap to clone, shared with the run future.
#[derive(Debug, Clone)]
pub struct Link {
    shared: Arc<Shared>,
}

/// What the handle and every connection task share.
#[derive(Debug)]
struct Shared {
    /// Where B connects.
    addr: SocketAddr,
    /// The mode; every direction of every connection holds a receiver.
    mode: watch::Sender<LinkMode>,
    /// A's address, read when a connection is forwarded (A may move once).
    target: watch::Receiver<SocketAddr>,
    counters: Counters,
}

/// The atomics behind [`LinkCounters`] (see its fields).
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    open: AtomicU64,
    bytes_to_a: AtomicU64,
    bytes_to_b: AtomicU64,
    cut: AtomicU64,
}

impl Link {
    /// Binds `listen` (e.g. `127.0.0.1:0`) and forwards each accepted
    /// connection to the address `target` holds at connect time (A's address
    /// can change once, when A is first started on a port of its own choosing).
    /// Returns the link, in mode `ok`, and the future that runs it: the caller
    /// spawns it, and it runs until dropped or aborted, which also ends every
    /// connection it carries.
    pub async fn bind(
        listen: SocketAddr,
        target: watch::Receiver<SocketAddr>,
    ) -> io::Result<(Link, impl Future<Output = ()> + Send + 'static)> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (mode, _) = watch::channel(LinkMode::Ok);
        let shared = Arc::new(Shared { addr, mode, target, counters: Counters::default() });
        Ok((Link { shared: Arc::clone(&shared) }, run(listener, shared)))
    }

    /// Where B should connect instead of A.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    pub fn mode(&self) -> LinkMode {
        *self.shared.mode.borrow()
    }

    /// Applies to new connections and to open ones. Setting the mode it already
    /// has changes nothing.
    pub fn set_mode(&self, mode: LinkMode) {
        self.shared.mode.send_if_modified(|current| std::mem::replace(current, mode) != mode);
    }

    /// Sends the counters to the screen every `interval` when they changed;
    /// returns once the screen is gone.
    pub async fn report_counters(self, events: mpsc::Sender<Event>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown = LinkCounters::default();
        loop {
            ticks.tick().await;
            let now = self.counters();
            if now != shown {
                shown = now;
                if events.send(Event::Link(now)).await.is_err() {
                    return;
                }
            }
        }
    }

    /// The counters now (a few relaxed loads).
    pub fn counters(&self) -> LinkCounters {
        let counters = &self.shared.counters;
        LinkCounters {
            connections: counters.connections.load(Ordering::Relaxed),
            open: counters.open.load(Ordering::Relaxed),
            bytes_to_a: counters.bytes_to_a.load(Ordering::Relaxed),
            bytes_to_b: counters.bytes_to_b.load(Ordering::Relaxed),
            cut: counters.cut.load(Ordering::Relaxed),
        }
    }
}

/// Accepts until dropped; the connection tasks live in a `JoinSet` owned here,
/// so dropping this future ends them all.
async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    connections.spawn(serve(client, Open::count(&shared)));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                if let Err(error) = joined
                    && error.is_panic()
                {
                    std::panic::resume_unwind(error.into_panic());
                }
            }
        }
    }
}

/// One accepted connection, counted as open until dropped (even if its task
/// never ran).
struct Open(Arc<Shared>);

impl Open {
    fn count(shared: &Arc<Shared>) -> Self {
        shared.counters.connections.fetch_add(1, Ordering::Relaxed);
        shared.counters.open.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(shared))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.counters.open.fetch_sub(1, Ordering::Relaxed);
    }
}
