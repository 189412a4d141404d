//! A service's log read from its admin listener's `GET /logs?follow=1`, for
//! a service on another host whose files the dashboard cannot read. A task
//! on the runtime reads the stream and hands complete lines to the
//! follower's thread through a bounded queue: a follower that falls behind
//! holds the stream back, and the service (never slowed by a reader) drops
//! lines for it and says how many in the stream itself. A broken stream is
//! asked again from the last line's time, every [`RETRY`], and a line seen
//! already is not shown twice.

use std::collections::HashSet;
use std::time::Duration;

use contract::{LogRecord, Service};
use reqwest::Url;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::LogSource;
use super::lines::LineSplitter;
use crate::io::http::Client;
use crate::text::unix_ms;

/// How long after a broken stream it is asked again.
pub const RETRY: Duration = Duration::from_secs(1);
/// How far back the first request reaches: the lines of the last minute.
const BACKLOG: Duration = Duration::from_secs(60);
/// A stream quiet for this long is broken: the service sends a heartbeat every 5 s.
const STALLED: Duration = Duration::from_secs(15);
/// Batches of lines waiting for the follower, at most.
const QUEUED: usize = 64;
/// Lines of one millisecond remembered against repeats, at most.
const SAME_MS_KEPT: usize = 10_000;
/// Lines handed over by one poll, at most (the rest with the next, at once).
const LINES_PER_POLL: usize = 20_000;

enum Got {
    Lines(Vec<String>),
    /// Why no lines come now, or `None` once they do again.
    Problem(Option<String>),
}

/// One service's log over HTTP.
#[derive(Debug)]
pub struct LogStream {
    service: Service,
    got: mpsc::Receiver<Got>,
    problem: Option<String>,
    behind: bool,
}

impl std::fmt::Debug for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Got::Lines(lines) => write!(f, "{} lines", lines.len()),
            Got::Problem(problem) => write!(f, "{problem:?}"),
        }
    }
}

impl LogStream {
    /// Starts reading `url` (a `/logs` URL) on `runtime`; the reading ends
    /// when this is dropped.
    pub fn open(service: Service, url: Url, client: Client, runtime: &tokio::runtime::Handle) -> Self {
        let (sender, got) = mpsc::channel(QUEUED);
        let connecting = format!("connecting to {url}");
        runtime.spawn(read(url, client, sender));
        Self { service, got, problem: Some(connecting), behind: false }
    }
}

impl LogSource for LogStream {
    fn service(&self) -> Service {
        self.service
    }

    fn poll(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while lines.len() < LINES_PER_POLL {
            match self.got.try_recv() {
                Ok(Got::Lines(more)) => lines.extend(more),
                Ok(Got::Problem(problem)) => self.problem = problem,
                Err(_) => break,
            }
        }
        self.behind = !self.got.is_empty();
        lines
    }

    fn is_behind(&self) -> bool {
        self.behind
    }

    fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

/// Reads the stream until the [`LogStream`] is dropped, asking again after each break.
async fn read(url: Url, client: Client, sender: mpsc::Sender<Got>) {
    let mut seen = Seen::since(OffsetDateTime::now_utc() - BACKLOG);
    loop {
        let mut asked = url.clone();
        asked.query_pairs_mut().append_pair("follow", "1").append_pair("since", &seen.since_ms.to_string());
        let why = match client.log_stream(&asked).await {
            Err(why) => why,
            Ok(mut response) => {
                if sender.send(Got::Problem(None)).await.is_err() {
                    return;
                }
                let mut splitter = LineSplitter::default();
                loop {
                    let chunk = tokio::select! {
                        chunk = tokio::time::timeout(STALLED, response.chunk()) => chunk,
                        () = sender.closed() => return,
                    };
                    let bytes = match chunk {
                        Ok(Ok(Some(bytes))) => bytes,
                        Ok(Ok(None)) => break "the stream ended (the service stopped?)".to_owned(),
                        Ok(Err(error)) => break format!("the stream broke: {error}"),
                        Err(_) => break format!("nothing came for {} s, not even a heartbeat", STALLED.as_secs()),
                    };
                    let mut lines = Vec::new();
                    splitter.push(&bytes, &mut lines);
                    lines.retain(|line| seen.is_new(line));
                    if !lines.is_empty() && sender.send(Got::Lines(lines)).await.is_err() {
                        return;
                    }
                }
            }
        };
        let problem = format!("cannot read it at {url}: {why}; asking again every {} s", RETRY.as_secs());
        if sender.send(Got::Problem(Some(problem))).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = sender.closed() => return,
        }
    }
}

/// Where the stream is asked from again after a break, and the lines of
/// that millisecond already shown (`since` gives them again).
struct Seen {
    since_ms: i64,
    at_since: HashSet<String>,
}

impl Seen {
    fn since(at: OffsetDateTime) -> Self {
        Self { since_ms: unix_ms(at), at_since: HashSet::new() }
    }

    /// Whether `line` is to be shown: not a heartbeat, not one shown before.
    fn is_new(&mut self, line: &str) -> bool {
        if line.trim().is_empty() || line.starts_with("{\"event\":\"heartbeat\"") {
            return false;
        }
        let Ok(record) = LogRecord::parse_lenient(line) else { return true };
        let at = unix_ms(record.timestamp);
        if at < self.since_ms {
            return false;
        }
        if at > self.since_ms || self.at_since.len() >= SAME_MS_KEPT {
            // A newer millisecond; or one with more lines than are kept (a
            // stream that stamps every line alike), which may then repeat some.
            self.since_ms = at;
            self.at_since.clear();
        }
        self.at_since.insert(line.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn heartbeats_old_lines_and_lines_given_again_after_a_break_are_not_shown() {
        let mut seen = Seen::since(datetime!(2026-12-03 12:00:00.000 UTC));
        let line = |ms: u32, n: u32| {
            format!(
                r#"{{"timestamp":"2026-12-03 12:00:00,{ms:03}","service":"A","endpoint":"/echo","status":"ok","latency_ms":{n}}}"#
            )
        };
        assert!(!seen.is_new(r#"{"event":"heartbeat"}"#));
        assert!(seen.is_new(&line(5, 1)));
        assert!(seen.is_new(&line(5, 2)), "another line of the same millisecond");
        assert!(!seen.is_new(&line(5, 1)), "given again after a break");
        assert!(!seen.is_new(&line(4, 9)), "older than what was shown");
        assert!(seen.is_new(&line(6, 1)));
        assert!(seen.is_new(r#"{"event":"log_lines_dropped","lines":7}"#), "said, whatever it is");
    }
}
