//! One connection through the link: each direction runs the bytes it reads
//! through the toxics of its stream, in order, and writes what they let
//! through when they say. The link's state is re-read whenever it changes
//! (see the parent module for what holding and losing mean to B and A).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::direction::Direction;
use super::hold::hold_until_passing;
use super::state::{Active, State};
use super::{Counters, Limits, Open, Shared};
use crate::faults::Stream;

/// Bytes read per system call and direction: an HTTP call to A fits in one.
pub(super) const CHUNK: usize = 16 * 1024;
/// Most bytes a delayed direction holds before it stops reading, so a fast A
/// meets back pressure instead of filling the dashboard's memory.
pub(super) const MAX_DELAYED: usize = 1024 * 1024;
/// How long connecting to A may take (loopback answers at once; this bounds a
/// target that is not on this machine).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How a connection (or one direction of it) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// A peer closed its side; the close was passed on.
    Closed,
    /// A peer closed or failed while the connection was held.
    Held,
    /// A toxic reset it, or the link was disabled.
    Reset,
    /// A toxic closed it (`timeout` after its time, `limit_data`).
    Cut,
    /// Reading or writing failed while forwarding.
    Failed,
    /// Nothing carried for too long ([`super::Limits`]).
    Idle,
}

/// What both directions of one connection share.
#[derive(Debug)]
pub(super) struct Connection {
    /// A byte was lost: the connection never forwards again.
    lost_bytes: AtomicBool,
    draws: Mutex<Draws>,
    /// When it was accepted, and the last time a byte was read or written
    /// (milliseconds after `born`, plus one; 0 before the first byte).
    born: Instant,
    active_at: AtomicU64,
}

/// Which toxics apply to the request under way, drawn once per request.
#[derive(Debug, Default)]
struct Draws {
    /// Who sent the last bytes: a read from the other side starts a turn.
    last: Option<Stream>,
    /// Per toxic (by uid): whether it applies to this request.
    applies: HashMap<u64, bool>,
}

impl Connection {
    fn new() -> Self {
        Connection {
            lost_bytes: AtomicBool::new(false),
            draws: Mutex::new(Draws::default()),
            born: Instant::now(),
            active_at: AtomicU64::new(0),
        }
    }

    /// A byte was read or written now.
    pub(super) fn touch(&self) {
        let since = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.active_at.store(since + 1, Ordering::Relaxed);
    }

    /// Returns once the connection has been quiet for longer than `limits`
    /// allow: before its first byte, or since its last one.
    async fn quiet(&self, limits: Limits) {
        loop {
            let deadline = match self.active_at.load(Ordering::Relaxed) {
                0 => self.born + limits.first_byte,
                at => self.born + Duration::from_millis(at - 1) + limits.idle,
            };
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            // A first byte can bring the deadline nearer (an idle limit
            // shorter than the first byte's): never sleep past `idle`.
            tokio::time::sleep_until(deadline.min(now + limits.idle)).await;
        }
    }

    pub(super) fn lost(&self) -> bool {
        self.lost_bytes.load(Ordering::Relaxed)
    }

    pub(super) fn lose(&self) {
        self.lost_bytes.store(true, Ordering::Relaxed);
    }

    fn draws(&self) -> std::sync::MutexGuard<'_, Draws> {
        self.draws.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A read on `stream`: whether it starts a turn (a request, or an
    /// answer). A new request draws every toxic again.
    pub(super) fn begin_read(&self, stream: Stream) -> bool {
        let mut draws = self.draws();
        let first = draws.last != Some(stream);
        draws.last = Some(stream);
        if first && stream == Stream::Upstream {
            draws.applies.clear();
        }
        first
    }

    /// Whether `toxic` applies to the request under way (drawn the first time it is asked).
    pub(super) fn applies(&self, toxic: &Active, rng: &mut fastrand::Rng) -> bool {
        *self.draws().applies.entry(toxic.uid).or_insert_with(|| toxic.toxicity >= 1.0 || rng.f64() < toxic.toxicity)
    }
}

/// Serves one connection from B: waits while every request would be lost,
/// connects to A, then forwards both ways until it ends, or until it has
/// been quiet for longer than the link's limits allow.
pub(super) async fn serve(mut client: TcpStream, open: Open) {
    let shared = &open.0;
    let connection = Connection::new();
    let mut state = shared.state.subscribe();
    // Latency, not correctness: a failure only costs Nagle's delay.
    let _ = client.set_nodelay(true);
    let work = async {
        if let Some(end) = hold_until_passing(&mut client, &connection, shared, &mut state).await {
            return Some(end);
        }
        // None: A refused.
        let mut server = connect(current_target(shared)).await?;
        let end = forward(&mut client, &mut server, &connection, shared, state).await;
        if end == End::Reset {
            reset(&server);
        }
        Some(end)
    };
    let end = tokio::select! {
        end = work => end,
        // A's side (dropped with `work`) is closed; B's is reset, as a NAT
        // that forgot the flow answers.
        () = connection.quiet(shared.limits) => Some(End::Idle),
    };
    let Some(end) = end else {
        // A refused: B's connection fails as fast as a refused one would
        // (with a reset), and is not the link's doing.
        reset(&client);
        return;
    };
    match end {
        End::Reset => {
            reset(&client);
            shared.counters.cut.fetch_add(1, Ordering::Relaxed);
        }
        End::Idle => {
            reset(&client);
            shared.counters.idle_closed.fetch_add(1, Ordering::Relaxed);
        }
        End::Held | End::Cut => {
            shared.counters.cut.fetch_add(1, Ordering::Relaxed);
        }
        End::Closed | End::Failed => {}
    }
}

/// A's address now (copied out: the watch's lock must not be held across an await).
fn current_target(shared: &Shared) -> SocketAddr {
    *shared.target.borrow()
}

async fn connect(target: SocketAddr) -> Option<TcpStream> {
    let server = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await.ok()?.ok()?;
    let _ = server.set_nodelay(true);
    Some(server)
}

/// Makes the coming drop of `stream` abortive: the peer gets a reset, not a close.
pub(super) fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Forwards both ways. A peer's close is passed on and the other direction
/// carries on (a half-closed HTTP client still gets its answer); anything else
/// ends the connection at once.
async fn forward(
    client: &mut TcpStream,
    server: &mut TcpStream,
    connection: &Connection,
    shared: &Shared,
    state: watch::Receiver<Arc<State>>,
) -> End {
    let (mut from_b, mut to_b) = client.split();
    let (mut from_a, mut to_a) = server.split();
    let counters: &Counters = &shared.counters;
    let upstream = Direction { stream: Stream::Upstream, connection, shared, forwarded: &counters.bytes_to_a };
    let downstream = Direction { stream: Stream::Downstream, connection, shared, forwarded: &counters.bytes_to_b };
    let toward_a = upstream.pump(&mut from_b, &mut to_a, state.clone());
    let toward_b = downstream.pump(&mut from_a, &mut to_b, state);
    tokio::pin!(toward_a, toward_b);
    let (mut a_done, mut b_done) = (false, false);
    let mut held = false;
    loop {
        let end = tokio::select! {
            end = &mut toward_a, if !a_done => { a_done = true; end }
            end = &mut toward_b, if !b_done => { b_done = true; end }
            else => End::Closed,
        };
        // A closed while what it sent was being lost: its close is lost too
        // (as toxiproxy's `timeout` holds a connection), so B's side stays
        // open until B gives up, as across a real network that lost the answer.
        if end == End::Held && b_done && !a_done {
            held = true;
            continue;
        }
        if held && a_done {
            return End::Held;
        }
        if end != End::Closed || (a_done && b_done) {
            return end;
        }
    }
}
