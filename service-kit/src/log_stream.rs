//! `GET /logs` on the admin listener: the service's log lines over HTTP, for
//! a dashboard that cannot read the file (A and B on other hosts, in
//! containers). Newline-delimited JSON, one object per line in the contract's
//! JSON form, oldest first:
//!
//! - `?since=<ms since the epoch>`: only lines written from then on (of the
//!   last [`KEPT`] lines, which the service keeps in memory);
//! - `?follow=1`: the stream stays open and sends each new line as it is
//!   written, and `{"event":"heartbeat"}` after [`HEARTBEAT`] of quiet;
//! - a reader that falls behind loses lines, never slows the service: the
//!   stream says `{"event":"log_lines_dropped","lines":N}` and
//!   `log_stream_lines_dropped_total` counts them. The file has every line.
//!
//! The tap costs nothing until an admin listener turns it on ([`enable`]).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use contract::LogRecord;
use contract::logline::Format;
use serde::Deserialize;
use tokio::sync::broadcast;

/// Lines kept in memory for `since`.
pub const KEPT: usize = 10_000;
/// Lines a following reader may be behind before it loses some.
pub const BEHIND: usize = 4_096;
/// Longest quiet on a following stream before a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// One line as the tap saw it: when, and the line as written.
#[derive(Debug, Clone)]
struct Tapped {
    at_ms: i64,
    line: Arc<str>,
}

struct Tap {
    on: AtomicBool,
    /// True once the service drains: following streams end, so they do not hold the shutdown.
    stopping: tokio::sync::watch::Sender<bool>,
    sender: broadcast::Sender<Tapped>,
    /// The newest [`KEPT`] lines. A line is kept and sent under this lock,
    /// and a reader snapshots and subscribes under it: no gap, no line twice.
    kept: Mutex<VecDeque<Tapped>>,
}

fn tap() -> &'static Tap {
    static TAP: OnceLock<Tap> = OnceLock::new();
    TAP.get_or_init(|| Tap {
        on: AtomicBool::new(false),
        stopping: tokio::sync::watch::Sender::new(false),
        sender: broadcast::channel(BEHIND).0,
        kept: Mutex::new(VecDeque::with_capacity(KEPT)),
    })
}

/// Turns the tap on: from now, every line of the file is kept and streamed.
pub fn enable() {
    tap().on.store(true, Ordering::Release);
}

/// The service is draining: following streams end (after what they have).
pub fn stop() {
    tap().stopping.send_replace(true);
}

/// Hands a line of the file (with or without its newline) to the readers.
pub(crate) fn record(line: &[u8], at_ms: i64) {
    let tap = tap();
    if !tap.on.load(Ordering::Acquire) {
        return;
    }
    let text = String::from_utf8_lossy(line);
    let line: Arc<str> = Arc::from(text.trim_end_matches('\n'));
    let mut kept = tap.kept.lock().unwrap_or_else(PoisonError::into_inner);
    let tapped = Tapped { at_ms, line };
    if kept.len() == KEPT {
        kept.pop_front();
    }
    kept.push_back(tapped.clone());
    // No reader: nothing to do; a slow one loses the oldest, never blocks us.
    let _ = tap.sender.send(tapped);
}

/// The query of `GET /logs`.
#[derive(Debug, Deserialize)]
pub struct LogsQuery {
    since: Option<i64>,
    follow: Option<String>,
}

/// `GET /logs`.
pub async fn logs(Query(query): Query<LogsQuery>) -> Response {
    let follow = match query.follow.as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => {
            let message = format!("follow={other:?}: use follow=1 (or 0)");
            return crate::admin::error(StatusCode::BAD_REQUEST, message);
        }
    };
    let since = query.since.unwrap_or(i64::MIN);
    let tap = tap();
    let (snapshot, receiver) = {
        let kept = tap.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot: Vec<Tapped> = kept.iter().filter(|line| line.at_ms >= since).cloned().collect();
        (snapshot, follow.then(|| tap.sender.subscribe()))
    };
    let head = futures_util::stream::iter(snapshot.into_iter().map(|line| Ok(as_json(&line.line))));
    let body = match receiver {
        None => Body::from_stream(head),
        Some(receiver) => {
            Body::from_stream(futures_util::StreamExt::chain(head, live(receiver, tap.stopping.subscribe())))
        }
    };
    ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
}

/// The lines from `receiver` on, a heartbeat after each quiet [`HEARTBEAT`],
/// and what a slow reader lost.
fn live(
    receiver: broadcast::Receiver<Tapped>,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold((receiver, stopping), |(mut receiver, mut stopping)| async move {
        let next = tokio::select! {
            next = tokio::time::timeout(HEARTBEAT, receiver.recv()) => next,
            _ = stopping.wait_for(|stopping| *stopping) => return None,
        };
        let chunk = match next {
            Ok(Ok(line)) => as_json(&line.line),
            Ok(Err(broadcast::error::RecvError::Lagged(lost))) => {
                crate::metrics::get().stream_lines_dropped(lost);
                Bytes::from(format!("{{\"event\":\"log_lines_dropped\",\"lines\":{lost}}}\n"))
            }
            // The service is shutting down: the stream ends.
            Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            Err(_quiet) => Bytes::from_static(b"{\"event\":\"heartbeat\"}\n"),
        };
        Some((Ok(chunk), (receiver, stopping)))
    })
}

/// A line of the file in the contract's JSON form, with its newline.
fn as_json(line: &str) -> Bytes {
    if line.starts_with('{') {
        return Bytes::from(format!("{line}\n"));
    }
    let mut out = String::with_capacity(line.len() + 64);
    match LogRecord::parse(line) {
        Ok(record) => record.write(Format::Json, &mut out),
        // Not a record (cannot happen for the service's own lines): kept whole.
        Err(_) => out.push_str(&serde_json::json!({ "line": line }).to_string()),
    }
    out.push('\n');
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_line_goes_out_in_the_contracts_json_form() {
        let line = "2026-12-03 14:00:00,250 service=A endpoint=/echo status=ok latency_ms=3 request_id=r-1";
        let json: serde_json::Value = serde_json::from_slice(&as_json(line)).unwrap();
        assert_eq!(json["timestamp"], "2026-12-03 14:00:00,250");
        assert_eq!((json["endpoint"].as_str(), json["latency_ms"].as_u64()), (Some("/echo"), Some(3)));
        assert_eq!(as_json("{\"a\":1}"), Bytes::from_static(b"{\"a\":1}\n"));
    }
}
