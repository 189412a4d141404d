//! One direction of one connection through the link: the bytes it reads go
//! through the toxics of its stream, in order, and out when they say.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::Shared;
use super::connection::{CHUNK, Connection, End, MAX_DELAYED};
use super::state::State;
use super::toxics::{Chunk, Ending, Memory, Piece, Verdict};
use crate::faults::Stream;

/// One direction of one connection.
pub(super) struct Direction<'a> {
    pub(super) stream: Stream,
    pub(super) connection: &'a Connection,
    pub(super) shared: &'a Shared,
    pub(super) forwarded: &'a AtomicU64,
}

/// What one direction knows of the toxics on its stream.
#[derive(Default)]
struct Toxics {
    /// Per toxic (by uid): its memory, and the time its timer ends the connection.
    memories: HashMap<u64, (Memory, Option<(Instant, Ending)>)>,
}

impl Toxics {
    /// Starts the toxics of `state` that this direction has not seen yet:
    /// their timers begin now. A timer ends the whole connection, so each
    /// direction keeps those of both streams (a `reset_peer` downstream must
    /// stop a request on its way up as well).
    fn start(&mut self, state: &State, direction: &Direction<'_>) {
        let now = Instant::now();
        let mut rng = direction.shared.rng();
        for toxic in &state.toxics {
            if self.memories.contains_key(&toxic.uid) {
                continue;
            }
            let timer = match toxic.toxic.on_start() {
                Some((after, ending)) if direction.connection.applies(toxic, &mut rng) => Some((now + after, ending)),
                _ => None,
            };
            self.memories.insert(toxic.uid, (Memory::default(), timer));
        }
    }

    /// The first timer of the toxics still on the link.
    fn next_timer(&self, state: &State) -> Option<(Instant, Ending)> {
        state
            .toxics
            .iter()
            .filter_map(|toxic| self.memories.get(&toxic.uid).and_then(|(_, timer)| *timer))
            .min_by_key(|(at, _)| *at)
    }
}

impl Direction<'_> {
    /// Reads from `from` and writes to `to` what the toxics let through,
    /// when they say. Watches the link's state between reads.
    pub(super) async fn pump<R, W>(&self, from: &mut R, to: &mut W, mut state: watch::Receiver<Arc<State>>) -> End
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut buf = vec![0; CHUNK];
        // Pieces let through but not yet written, in order.
        let mut queue: VecDeque<Piece> = VecDeque::new();
        let mut queued_bytes = 0;
        let mut peer_closed = false;
        let mut close_after_queue = false;
        let mut toxics = Toxics::default();
        let mut current = Arc::clone(&state.borrow_and_update());
        toxics.start(&current, self);
        loop {
            if !current.enabled {
                return End::Reset;
            }
            if queue.is_empty() && close_after_queue {
                return End::Cut;
            }
            if peer_closed && queue.is_empty() {
                if self.connection.lost() {
                    return End::Held;
                }
                let wait = current.on(self.stream).map(|toxic| toxic.toxic.close_delay()).max().unwrap_or_default();
                tokio::time::sleep(wait).await;
                // The peer may already be gone; its close is passed on either way.
                let _ = to.shutdown().await;
                return End::Closed;
            }
            let due = queue.front().map(|piece| piece.due);
            let timer = toxics.next_timer(&current);
            let reading = !peer_closed && !close_after_queue && queued_bytes < MAX_DELAYED;
            tokio::select! {
                biased;
                changed = state.changed() => {
                    if changed.is_err() {
                        return End::Failed;
                    }
                    let before = std::mem::replace(&mut current, Arc::clone(&state.borrow_and_update()));
                    toxics.start(&current, self);
                    // A toxic that held what is queued is gone: it goes now (as
                    // toxiproxy flushes a toxic's data when it is removed).
                    let gone = before.on(self.stream).any(|old| current.on(self.stream).all(|new| new.uid != old.uid));
                    if gone {
                        let now = Instant::now();
                        queue.iter_mut().for_each(|piece| piece.due = piece.due.min(now));
                    }
                }
                () = sleep_until(timer.map(|(at, _)| at)), if timer.is_some() => {
                    return match timer.map(|(_, ending)| ending) {
                        Some(Ending::Reset) => End::Reset,
                        _ => End::Cut,
                    };
                }
                () = sleep_until(due), if due.is_some() => {
                    if let Some(piece) = queue.pop_front() {
                        queued_bytes -= piece.bytes.len();
                        if to.write_all(&piece.bytes).await.is_err() {
                            return End::Failed;
                        }
                        self.connection.touch();
                        self.forwarded.fetch_add(piece.bytes.len() as u64, Ordering::Relaxed);
                    }
                }
                read = from.read(&mut buf), if reading => match read {
                    Err(_) if self.connection.lost() => return End::Held,
                    Err(_) => return End::Failed,
                    Ok(0) => peer_closed = true,
                    // The healthy link's path: nothing to time, nothing waiting, so
                    // the bytes go on at once, without a copy.
                    Ok(n) if queue.is_empty() && current.on(self.stream).next().is_none() && !self.connection.lost() => {
                        self.connection.touch();
                        self.connection.begin_read(self.stream);
                        if to.write_all(&buf[..n]).await.is_err() {
                            return End::Failed;
                        }
                        self.forwarded.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    Ok(n) => {
                        self.connection.touch();
                        let (pieces, verdict) = self.through_toxics(&current, &mut toxics, buf[..n].to_vec());
                        match verdict {
                            Verdict::Lose => self.connection.lose(),
                            Verdict::CloseAfter => close_after_queue = true,
                            Verdict::Pass => {}
                        }
                        for piece in pieces {
                            queued_bytes += piece.bytes.len();
                            // Never before an earlier piece: the order holds.
                            let due = queue.back().map_or(piece.due, |last| last.due.max(piece.due));
                            queue.push_back(Piece { due, bytes: piece.bytes });
                        }
                    }
                },
            }
        }
    }

    /// Runs one read through the toxics of this stream that apply to the
    /// request under way. A connection that lost bytes passes nothing.
    fn through_toxics(&self, state: &State, toxics: &mut Toxics, bytes: Vec<u8>) -> (Vec<Piece>, Verdict) {
        let first = self.connection.begin_read(self.stream);
        if self.connection.lost() {
            return (Vec::new(), Verdict::Lose);
        }
        let mut chunk = Chunk::new(Instant::now(), first, bytes);
        let mut rng = self.shared.rng();
        for toxic in state.on(self.stream) {
            if !self.connection.applies(toxic, &mut rng) {
                continue;
            }
            let (memory, _) = toxics.memories.entry(toxic.uid).or_default();
            match toxic.toxic.on_chunk(&mut chunk, memory, &mut rng) {
                Verdict::Pass => {}
                Verdict::Lose => return (Vec::new(), Verdict::Lose),
                Verdict::CloseAfter => return (chunk.pieces, Verdict::CloseAfter),
            }
        }
        (chunk.pieces, Verdict::Pass)
    }
}

pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
