//! One connection through the link: held, delayed, reset or passed as the
//! mode says, in each direction, re-read whenever the mode changes (see the
//! parent module for what each mode means to B and A).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Counters, Open, Shared};
use crate::msg::LinkMode;

/// Bytes read per system call and direction: an HTTP call to A fits in one.
const CHUNK: usize = 16 * 1024;
/// Most bytes a delayed direction holds before it stops reading, so a fast A
/// meets back pressure instead of filling the dashboard's memory.
const MAX_DELAYED: usize = 1024 * 1024;
/// How long connecting to A may take (loopback answers at once; this bounds a
/// target that is not on this machine).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A flaky link loses one request (chunk toward A) in this many.
const FLAKY_ONE_IN: u32 = 3;

/// How a connection (or one direction of it) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// A peer closed its side; the close was passed on.
    Closed,
    /// A peer closed or failed while the connection was held.
    Held,
    /// The link is in `reset`.
    Reset,
    /// Reading or writing failed while forwarding.
    Failed,
}

/// The state of one connection that both of its directions share.
#[derive(Debug)]
struct Connection {
    /// A byte was dropped while the connection was held: it never resumes.
    lost_bytes: AtomicBool,
}

/// Which way bytes flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Toward {
    A,
    B,
}

/// What one direction does with the bytes it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Pass,
    Delay {
        delay_ms: u64,
        jitter_ms: u64,
    },
    Hold,
    Reset,
    /// Pass, but each chunk toward A may be the one a flaky link loses.
    PassOrLose,
}

impl Connection {
    fn new() -> Self {
        Connection { lost_bytes: AtomicBool::new(false) }
    }

    fn behaviour(&self, mode: LinkMode, toward: Toward) -> Behaviour {
        match mode {
            LinkMode::Reset => Behaviour::Reset,
            _ if self.lost_bytes.load(Ordering::Relaxed) => Behaviour::Hold,
            LinkMode::Partition => Behaviour::Hold,
            LinkMode::Flaky => match toward {
                Toward::A => Behaviour::PassOrLose,
                Toward::B => Behaviour::Pass,
            },
            LinkMode::Ok => Behaviour::Pass,
            LinkMode::Delay { delay_ms, jitter_ms } => match toward {
                Toward::B => Behaviour::Delay { delay_ms, jitter_ms },
                Toward::A => Behaviour::Pass,
            },
        }
    }

    fn drop_bytes(&self) {
        self.lost_bytes.store(true, Ordering::Relaxed);
    }
}

/// Serves one connection from B: waits while it is held, connects to A, then
/// forwards both ways until it ends.
pub(super) async fn serve(mut client: TcpStream, open: Open) {
    let shared = &open.0;
    let connection = Connection::new();
    let mut setting = shared.mode.subscribe();
    // Latency, not correctness: a failure only costs Nagle's delay.
    let _ = client.set_nodelay(true);
    let end = match hold_until_passing(&mut client, &connection, &mut setting).await {
        Some(end) => end,
        None => match connect(current_target(shared)).await {
            Some(mut server) => {
                let end = forward(&mut client, &mut server, &connection, &shared.counters, setting).await;
                if end == End::Reset {
                    reset(&server);
                }
                end
            }
            None => {
                // A refused: B's connection fails as fast as a refused one
                // would (with a reset), and is not the link's doing.
                reset(&client);
                return;
            }
        },
    };
    match end {
        End::Reset => {
            reset(&client);
            shared.counters.cut.fetch_add(1, Ordering::Relaxed);
        }
        End::Held => {
            shared.counters.cut.fetch_add(1, Ordering::Relaxed);
        }
        End::Closed | End::Failed => {}
    }
}

/// While the new connection is held, reads and drops what B sends. Returns
/// `None` once it may be forwarded, or how it ended.
async fn hold_until_passing(
    client: &mut TcpStream,
    connection: &Connection,
    setting: &mut watch::Receiver<LinkMode>,
) -> Option<End> {
    let mut dropped = vec![0; CHUNK];
    loop {
        let current = *setting.borrow_and_update();
        match connection.behaviour(current, Toward::A) {
            Behaviour::Reset => return Some(End::Reset),
            Behaviour::Hold => {}
            Behaviour::Pass | Behaviour::PassOrLose | Behaviour::Delay { .. } => return None,
        }
        tokio::select! {
            biased;
            changed = setting.changed() => {
                if changed.is_err() {
                    // Cannot happen while this task lives (`Shared` holds the
                    // sender), but never spin on it.
                    return Some(End::Held);
                }
            }
            read = client.read(&mut dropped) => match read {
                Ok(0) | Err(_) => return Some(End::Held),
                Ok(_) => connection.drop_bytes(),
            },
        }
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
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Forwards both ways. A peer's close is passed on and the other direction
/// carries on (a half-closed HTTP client still gets its answer); anything else
/// ends the connection at once.
async fn forward(
    client: &mut TcpStream,
    server: &mut TcpStream,
    connection: &Connection,
    counters: &Counters,
    setting: watch::Receiver<LinkMode>,
) -> End {
    let (mut from_b, mut to_b) = client.split();
    let (mut from_a, mut to_a) = server.split();
    let toward_a = pump(&mut from_b, &mut to_a, Toward::A, connection, &counters.bytes_to_a, setting.clone());
    let toward_b = pump(&mut from_a, &mut to_b, Toward::B, connection, &counters.bytes_to_b, setting);
    tokio::pin!(toward_a, toward_b);
    let (mut a_done, mut b_done) = (false, false);
    loop {
        let end = tokio::select! {
            end = &mut toward_a, if !a_done => { a_done = true; end }
            end = &mut toward_b, if !b_done => { b_done = true; end }
            else => End::Closed,
        };
        if end != End::Closed || (a_done && b_done) {
            return end;
        }
    }
}

/// One direction: reads from `from` and, as the mode says, writes to `to` at
/// once, later, or never. Watches the mode between reads.
async fn pump<R, W>(
    from: &mut R,
    to: &mut W,
    toward: Toward,
    connection: &Connection,
    forwarded: &AtomicU64,
    mut setting: watch::Receiver<LinkMode>,
) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0; CHUNK];
    // Chunks read but not yet written (only in and just after `delay`), in order.
    let mut delayed: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut delayed_bytes = 0;
    let mut peer_closed = false;
    let mut behaviour = connection.behaviour(*setting.borrow_and_update(), toward);
    loop {
        match behaviour {
            Behaviour::Reset => return End::Reset,
            Behaviour::Hold if !delayed.is_empty() => {
                delayed.clear();
                delayed_bytes = 0;
                connection.drop_bytes();
            }
            _ => {}
        }
        if peer_closed && delayed.is_empty() {
            if behaviour == Behaviour::Hold {
                return End::Held;
            }
            // The peer may already be gone; its close is passed on either way.
            let _ = to.shutdown().await;
            return End::Closed;
        }
        let due = delayed.front().map(|(due, _)| *due).filter(|_| behaviour != Behaviour::Hold);
        tokio::select! {
            biased;
            changed = setting.changed() => {
                if changed.is_err() {
                    return End::Failed;
                }
                behaviour = connection.behaviour(*setting.borrow_and_update(), toward);
            }
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                if let Some((_, chunk)) = delayed.pop_front() {
                    delayed_bytes -= chunk.len();
                    if to.write_all(&chunk).await.is_err() {
                        return End::Failed;
                    }
                    forwarded.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            }
            read = from.read(&mut buf), if !peer_closed && delayed_bytes < MAX_DELAYED => match read {
                Err(_) if behaviour == Behaviour::Hold => return End::Held,
                Err(_) => return End::Failed,
                Ok(0) => peer_closed = true,
                Ok(n) => match behaviour {
                    // A flaky link loses this request: the connection is held
                    // from here on, as a partitioned one is (B times out).
                    Behaviour::PassOrLose if fastrand::u32(0..FLAKY_ONE_IN) == 0 => {
                        connection.drop_bytes();
                        behaviour = Behaviour::Hold;
                    }
                    Behaviour::Pass | Behaviour::PassOrLose if delayed.is_empty() => {
                        if to.write_all(&buf[..n]).await.is_err() {
                            return End::Failed;
                        }
                        forwarded.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    // Behind the chunks still delayed, so the order holds.
                    Behaviour::Pass | Behaviour::PassOrLose => {
                        delayed.push_back((Instant::now(), buf[..n].to_vec()));
                        delayed_bytes += n;
                    }
                    Behaviour::Delay { delay_ms, jitter_ms } => {
                        delayed.push_back((Instant::now() + delay_with_jitter(delay_ms, jitter_ms), buf[..n].to_vec()));
                        delayed_bytes += n;
                    }
                    Behaviour::Hold => connection.drop_bytes(),
                    Behaviour::Reset => return End::Reset,
                },
            },
        }
    }
}

/// Uniform in `delay_ms ± jitter_ms` (never below zero), to the microsecond.
/// A chunk never overtakes an earlier one: the queue is written in order, so
/// a short draw behind a long one waits for it.
fn delay_with_jitter(delay_ms: u64, jitter_ms: u64) -> Duration {
    let low = delay_ms.saturating_sub(jitter_ms).saturating_mul(1_000);
    let high = delay_ms.saturating_add(jitter_ms).saturating_mul(1_000);
    Duration::from_micros(fastrand::u64(low..=high))
}
