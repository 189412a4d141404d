//! The link between B and A: a TCP forwarder on a loopback port that B is
//! pointed at instead of A, so the learner can break the network while A stays
//! perfectly healthy. What it does to the bytes is a stack of toxiproxy's
//! toxics ([`toxics`]), set from the keyboard (the presets of
//! [`crate::faults`]) or through toxiproxy's HTTP API ([`api`]). A change
//! applies to new connections and to open ones: each direction of each
//! connection watches the link's [`State`] while it waits for bytes, so even
//! B's pooled keep-alive connections feel it at once.
//!
//! # Lost bytes, and what happens when a fault heals
//!
//! A connection whose bytes a toxic lost (`timeout`, `lose_next`) keeps
//! reading from both peers and forwards nothing: reading lets the link notice
//! a peer that gives up (B closes a connection whose request timed out), and
//! the kernel's buffers cannot leak stale bytes later. Nothing is said to
//! either peer, so B sees what a partition looks like from inside: silence,
//! then its own timeout, never a reset or a refusal. A connection opened while
//! every request is lost for sure is not even connected to A (A's log stays
//! empty, and a stopped A cannot show through).
//!
//! Such a connection stays held once the toxic is gone: its stream has a hole,
//! so forwarding later bytes would hand A half a request or B the answer to a
//! request it gave up on. B closes it when its own timeout fires; requests
//! sent after the heal go through at once on fresh or idle connections (an
//! idle pooled connection that lost nothing carries on, as an idle TCP
//! connection does in a real network). It counts as cut when it ends.
//!
//! # Limits
//!
//! The link is a loopback port anyone on the machine can open, so it bounds
//! what it holds ([`Limits`]): at most 256 connections at once (more are
//! reset at once and counted as refused), a connection that sends nothing in
//! its first 10 s, or carries nothing either way for 60 s, is closed as a NAT
//! drops a quiet flow (B's pool lets an idle connection go after 30 s, so B
//! never meets it; a connection held by a partition is released at last).
//! The screen says when either happens.
//!
//! # Chance, per request, from one seed
//!
//! A toxic's `toxicity` is drawn per request, not per connection as
//! toxiproxy does: B pools its connections, so under a steady load one
//! kept-alive connection carries every call, and a per-connection draw would
//! lose all of them or none. Every draw (toxicity, jitter, slice sizes) comes
//! from one RNG seeded by `--seed`, so the same run loses the same requests.

pub mod api;
mod connection;
mod direction;
mod hold;
mod mirror;
pub mod program;
mod state;
pub mod toxics;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::faults::ToxicSpec;
pub use crate::msg::LinkLimits as Limits;
use crate::msg::{Event, LinkCounters, LinkReport};
use connection::serve;
pub use mirror::mirror;
pub use state::LinkError;
use state::State;

/// Pause after a failed accept (out of file descriptors), or before binding
/// again after the link was enabled while its port was taken.
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
    /// The toxics and whether the link listens; every direction of every connection holds a receiver.
    state: watch::Sender<Arc<State>>,
    /// A's address, read when a connection is forwarded (A may move once).
    target: watch::Receiver<SocketAddr>,
    /// Every draw of chance; locked for one chunk's toxics at a time, never across an await.
    rng: Mutex<fastrand::Rng>,
    /// The seed `rng` started from (shown in the report, to repeat a run).
    seed: u64,
    /// Whether the port is open now (it follows `state.enabled` a moment later).
    listening: watch::Sender<bool>,
    limits: Limits,
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
    refused: AtomicU64,
    idle_closed: AtomicU64,
    accept_failed: AtomicU64,
    /// Why the last accept failed (`raw_os_error`), 0 for none.
    accept_error: AtomicI32,
}

impl Shared {
    /// A poisoned lock holds an RNG, which no panic can leave half-changed.
    fn rng(&self) -> MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Link {
    /// Binds `listen` (e.g. `127.0.0.1:0`) and forwards each accepted
    /// connection to the address `target` holds at connect time (A's address
    /// can change once, when A is first started on a port of its own choosing).
    /// Every draw of chance comes from `seed`; `limits` bound what it holds.
    /// Returns the link, healthy, and
    /// the future that runs it: the caller spawns it, and it runs until
    /// dropped or aborted, which also ends every connection it carries.
    pub async fn bind(
        listen: SocketAddr,
        target: watch::Receiver<SocketAddr>,
        seed: u64,
        limits: Limits,
    ) -> io::Result<(Link, impl Future<Output = ()> + Send + 'static)> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (state, _) = watch::channel(Arc::new(State::default()));
        let rng = Mutex::new(fastrand::Rng::with_seed(seed));
        let listening = watch::Sender::new(true);
        let shared =
            Arc::new(Shared { addr, state, target, rng, seed, listening, limits, counters: Counters::default() });
        Ok((Link { shared: Arc::clone(&shared) }, run(listener, shared)))
    }

    /// Where B should connect instead of A.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Where A is forwarded to now.
    pub fn upstream(&self) -> SocketAddr {
        *self.shared.target.borrow()
    }

    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Whether the link listens (toxiproxy's `enabled`).
    pub fn enabled(&self) -> bool {
        self.shared.state.borrow().enabled
    }

    /// The toxics, in stacking order, as the API shows them.
    pub fn toxics(&self) -> Vec<ToxicSpec> {
        self.shared.state.borrow().specs()
    }

    pub fn toxic(&self, name: &str) -> Option<ToxicSpec> {
        self.shared.state.borrow().find(name).map(|active| active.spec())
    }

    /// Changes the state with `change`; open connections see the result at
    /// once. A change that fails changes nothing.
    fn change<T>(&self, change: impl FnOnce(&mut State) -> Result<T, LinkError>) -> Result<T, LinkError> {
        let mut result = None;
        self.shared.state.send_if_modified(|state| {
            let mut next = State::clone(state);
            let outcome = change(&mut next);
            let changed = outcome.is_ok();
            if changed {
                *state = Arc::new(next);
            }
            result = Some(outcome);
            changed
        });
        result.unwrap_or_else(|| Err(LinkError::Invalid("the link is gone".into())))
    }

    /// Adds a toxic given as the API's JSON.
    pub fn add_toxic(&self, spec: &Value) -> Result<ToxicSpec, LinkError> {
        self.change(|state| state.add(spec))
    }

    pub fn update_toxic(&self, name: &str, change: &Value) -> Result<ToxicSpec, LinkError> {
        self.change(|state| state.update(name, change))
    }

    pub fn remove_toxic(&self, name: &str) -> Result<(), LinkError> {
        self.change(|state| state.remove(name))
    }

    /// Replaces every toxic with `toxics` and enables the link (a preset; none: healthy).
    pub fn set_toxics(&self, toxics: &[ToxicSpec]) -> Result<(), LinkError> {
        self.change(|state| state.replace(toxics))
    }

    /// Off: open connections are cut and new ones refused. On: listening again.
    pub fn set_enabled(&self, enabled: bool) {
        let _ = self.change(|state| {
            state.enabled = enabled;
            Ok(())
        });
    }

    /// Whether its port is open now (after `enabled`, a moment later; not
    /// while another program holds it).
    pub fn listening(&self) -> bool {
        *self.shared.listening.borrow()
    }

    /// Waits (at most a second) until the port is open or closed as
    /// `enabled` says, so a client told "disabled" is refused at once.
    pub async fn settled(&self) {
        let enabled = self.enabled();
        let mut listening = self.shared.listening.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(1), listening.wait_for(|open| *open == enabled)).await;
    }

    /// Every toxic removed and the link enabled (toxiproxy's `POST /reset`).
    pub fn reset(&self) {
        let _ = self.change(|state| {
            *state = State::default();
            Ok(())
        });
    }

    /// Sends the counters and toxics to the screen every `interval` when they
    /// changed; returns once the screen is gone.
    pub async fn report(self, events: mpsc::Sender<Event>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown: Option<LinkReport> = None;
        loop {
            ticks.tick().await;
            let now = LinkReport { counters: self.counters(), enabled: self.enabled(), toxics: self.toxics() };
            if shown.as_ref() != Some(&now) {
                shown = Some(now.clone());
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
            refused: counters.refused.load(Ordering::Relaxed),
            idle_closed: counters.idle_closed.load(Ordering::Relaxed),
            accept_failed: counters.accept_failed.load(Ordering::Relaxed),
            accept_error: match counters.accept_error.load(Ordering::Relaxed) {
                0 => None,
                code => Some(code),
            },
            limits: self.shared.limits,
        }
    }
}

/// Accepts until dropped; the connection tasks live in a `JoinSet` owned here,
/// so dropping this future ends them all. While the link is disabled its
/// port is closed (connections refused) and bound again when it is enabled.
async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    let mut listener = Some(listener);
    let mut state = shared.state.subscribe();
    loop {
        let enabled = state.borrow_and_update().enabled;
        if !enabled {
            listener = None;
        } else if listener.is_none() {
            listener = TcpListener::bind(shared.addr).await.ok();
        }
        shared.listening.send_if_modified(|open| std::mem::replace(open, listener.is_some()) != listener.is_some());
        tokio::select! {
            accepted = accept(listener.as_ref()) => match accepted {
                Ok((client, _)) if shared.counters.open.load(Ordering::Relaxed) >= shared.limits.max_open => {
                    // Over the cap: refused at once, never held.
                    connection::reset(&client);
                    shared.counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                Ok((client, _)) => {
                    connections.spawn(serve(client, Open::count(&shared)));
                }
                Err(error) => {
                    // Out of file descriptors, most likely: counted and said
                    // on screen, and tried again after a pause.
                    shared.counters.accept_failed.fetch_add(1, Ordering::Relaxed);
                    shared.counters.accept_error.store(error.raw_os_error().unwrap_or(0), Ordering::Relaxed);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            _ = state.changed() => {}
            () = tokio::time::sleep(ACCEPT_BACKOFF), if enabled && listener.is_none() => {}
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

/// The next connection, or never while there is no listener.
async fn accept(listener: Option<&TcpListener>) -> io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
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
