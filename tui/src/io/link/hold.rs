//! A new connection before it reaches A: held (its bytes dropped) while
//! every request would be lost for sure or the connection already lost bytes,
//! reset or closed when a toxic's timer says, and let through otherwise.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::Shared;
use super::connection::{CHUNK, Connection, End};
use super::direction::sleep_until;
use super::state::State;
use super::toxics::Ending;
use crate::faults::Stream;

/// While every request is lost for sure (or the connection lost bytes),
/// reads and drops what B sends, without connecting to A; a reset or the link
/// going down still ends it. Returns `None` once a request might pass, or how
/// it ended.
pub(super) async fn hold_until_passing(
    client: &mut TcpStream,
    connection: &Connection,
    shared: &Shared,
    state: &mut watch::Receiver<Arc<State>>,
) -> Option<End> {
    let mut dropped = vec![0; CHUNK];
    let mut timers: HashMap<u64, (Instant, Ending)> = HashMap::new();
    loop {
        let current = Arc::clone(&state.borrow_and_update());
        if !current.enabled {
            return Some(End::Reset);
        }
        // A toxic's timer (`reset_peer`, `timeout` above 0) runs from when
        // this connection first saw it.
        {
            let now = Instant::now();
            let mut rng = shared.rng();
            for toxic in &current.toxics {
                if let Some((after, ending)) = toxic.toxic.on_start()
                    && !timers.contains_key(&toxic.uid)
                    && connection.applies(toxic, &mut rng)
                {
                    timers.insert(toxic.uid, (now + after, ending));
                }
            }
        }
        let timer = current.toxics.iter().filter_map(|toxic| timers.get(&toxic.uid)).min_by_key(|(at, _)| *at).copied();
        let ended = |ending| if ending == Ending::Reset { End::Reset } else { End::Cut };
        if let Some((at, ending)) = timer
            && at <= Instant::now()
        {
            // Ended before A is even connected: A sees nothing of it.
            return Some(ended(ending));
        }
        if !connection.lost() && !current.on(Stream::Upstream).any(|toxic| toxic.holds_everything()) {
            return None;
        }
        tokio::select! {
            biased;
            changed = state.changed() => {
                if changed.is_err() {
                    // Cannot happen while this task lives (`Shared` holds the
                    // sender), but never spin on it.
                    return Some(End::Held);
                }
            }
            () = sleep_until(timer.map(|(at, _)| at)), if timer.is_some() => {
                return timer.map(|(_, ending)| ended(ending));
            }
            read = client.read(&mut dropped) => match read {
                Ok(0) | Err(_) => return Some(End::Held),
                Ok(_) => {
                    connection.touch();
                    connection.lose();
                }
            },
        }
    }
}
