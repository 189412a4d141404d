//! One client connection's socket, watched: the limits hyper cannot keep by
//! itself, enforced where the bytes pass.
//!
//! - **Header timeout**: the request head must be complete within
//!   `--header-timeout-ms` of connecting (first request) or of the first time
//!   a read of it has to wait (later requests: a head that comes whole reads no
//!   clock). hyper 1.x's own `header_read_timeout` starts as soon as it
//!   waits for the next head, so it would also close idle keep-alive connections
//!   at 10 s; two separate limits need this watch.
//! - **Shutdown**: once the server drains, a head not yet whole (no request
//!   of it has started) gets at most [`DRAIN_HEAD_WAIT`] more, then its
//!   connection is closed, as an idle one is at once.
//! - **Idle timeout**: a keep-alive connection with no request for
//!   `--idle-timeout-ms` is closed, and so is one whose client stops reading an answer.
//! - **Head size**: a head over [`MAX_HEAD_BYTES`] ends the connection's
//!   reading at once (hyper never buffers more). A head pipelined behind
//!   another request, partly read with it, is bounded by hyper's own buffer
//!   limit (set to the same size) plus what it had read: about 72 KiB at most.
//! - **Refusals**: a head that is too large, malformed or has too many headers
//!   is answered by [`WatchedStream::refuse`] once hyper has given the
//!   connection up: `431` (or `414` when the request line alone is too long)
//!   or `400`, with the JSON error body, a log line and a fresh request id, then
//!   the connection is closed. hyper writes an empty answer of its own to such a
//!   head; the socket swallows every byte hyper writes while no request is being
//!   served, which is only ever that answer (it depends on when hyper writes,
//!   not on what it writes).
//!
//! The server's per-connection service counts requests started and answered in
//! [`Activity`]; between an answer and the next head the connection is idle.
//! The idle clock is started when hyper writes the answer (every answer is
//! written through this socket), so an answer wakes nobody: the connection
//! task is polled again only when the client sends or a limit runs out.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use contract::ErrorBody;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::access_log;
use crate::lifecycle::{Lifecycle, Phase};

/// Once the server drains, the longest a head not yet whole may still take:
/// enough for one arriving slowly (a slow link), too little for a client that
/// never sends the rest to hold the exit.
pub const DRAIN_HEAD_WAIT: Duration = Duration::from_secs(1);

/// The largest request head taken; a client sending more is answered 431 (or 414).
/// Well above what the services need (a 4096-byte `msg` is at most 12 KiB encoded).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Requests started and answered on one connection (written by the service, read by the socket).
#[derive(Debug, Default)]
pub(crate) struct Activity {
    pub(crate) started: AtomicU64,
    answered: AtomicU64,
}

impl Activity {
    /// Counts a request answered; the socket sees it when hyper writes the answer.
    pub(crate) fn answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }
}

/// The time limits of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) header: Duration,
    pub(crate) idle: Duration,
}

/// Why the head being read was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadHead {
    /// Over [`MAX_HEAD_BYTES`] or too many headers; `request_line` says whether its first line was complete.
    TooLarge { request_line: bool },
    /// A malformed request line or header.
    Malformed,
}

/// The watched socket (see the module docs).
pub(crate) struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
    limits: Limits,
    /// The server's phase: once it drains, a head not yet whole is not waited for.
    lifecycle: Arc<Lifecycle>,
    timer: Pin<Box<Sleep>>,
    timer_at: Instant,
    /// `Activity::started` when this socket last looked.
    seen_started: u64,
    /// `Activity::answered` when this socket last looked.
    seen_answered: u64,
    /// The head being read started then (the connection's start for the first one).
    head_since: Option<Instant>,
    idle_since: Instant,
    head_bytes: usize,
    request_line_done: bool,
    write_blocked_since: Option<Instant>,
    /// When this socket first saw the server draining while a head was half read.
    draining_since: Option<Instant>,
    /// The head was over the limit: reading stopped there.
    oversized: bool,
    /// hyper's own refusal was held back (the JSON one is still to be sent).
    held_back: bool,
}

impl WatchedStream {
    pub(crate) fn new(stream: TcpStream, activity: Arc<Activity>, limits: Limits, lifecycle: Arc<Lifecycle>) -> Self {
        let now = Instant::now();
        Self {
            stream,
            activity,
            limits,
            lifecycle,
            timer: Box::pin(tokio::time::sleep_until(now + limits.header)),
            timer_at: now + limits.header,
            seen_started: 0,
            seen_answered: 0,
            head_since: Some(now),
            idle_since: now,
            head_bytes: 0,
            request_line_done: false,
            write_blocked_since: None,
            draining_since: None,
            oversized: false,
            held_back: false,
        }
    }

    /// Whether the deadline `at` has passed (registering a wake-up if not).
    ///
    /// The timer is moved only to an earlier deadline; a later one (the idle
    /// deadline moves with every answer) is checked when the old timer fires,
    /// so a busy connection does not touch the timer wheel on every request.
    fn expired(&mut self, at: Instant, cx: &mut Context<'_>) -> bool {
        if at < self.timer_at {
            self.timer_at = at;
            self.timer.as_mut().reset(at);
        }
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= at {
                return true;
            }
            // It fired for an earlier deadline that no longer holds.
            self.timer_at = at;
            self.timer.as_mut().reset(at);
        }
    }

    /// Brings the head bookkeeping up to date with the requests the service saw;
    /// returns whether a request is being worked on.
    fn observe(&mut self) -> bool {
        let started = self.activity.started.load(Ordering::Relaxed);
        let answered = self.activity.answered.load(Ordering::Relaxed);
        if started != self.seen_started {
            // A head was complete: the next one has not started yet.
            self.seen_started = started;
            self.head_since = None;
            self.head_bytes = 0;
            self.request_line_done = false;
        }
        if answered != self.seen_answered {
            self.seen_answered = answered;
            self.idle_since = Instant::now();
        }
        started != answered
    }

    /// Whether hyper is writing an answer to a head the service never got: its
    /// own refusal of a head it could not parse (it writes nothing else then).
    fn writing_a_refusal(&self) -> bool {
        self.head_bytes > 0
            && self.activity.started.load(Ordering::Relaxed) == self.seen_started
            && self.activity.answered.load(Ordering::Relaxed) == self.seen_started
    }

    /// Why the connection ended, if it was a bad head: this socket's own limit,
    /// else what hyper's `error` says.
    pub(crate) fn bad_head(&self, error: &hyper::Error) -> Option<BadHead> {
        let started = self.activity.started.load(Ordering::Relaxed);
        if started != self.activity.answered.load(Ordering::Relaxed) {
            // A request was being served: whatever went wrong, it has its own line.
            return None;
        }
        // Only a head read from its first byte tells a long request line from
        // a large head: one after an earlier request on the connection may
        // have begun in the bytes read with that request, so it says "head".
        let request_line = self.request_line_done || self.seen_started > 0;
        if self.oversized || error.is_parse_too_large() {
            Some(BadHead::TooLarge { request_line })
        } else if error.is_parse() {
            Some(BadHead::Malformed)
        } else {
            None
        }
    }

    /// Answers a bad head with the JSON refusal, logs it, and closes the
    /// sending side; gives up after the idle limit if the client reads nothing.
    ///
    /// A bad head pipelined behind a good request reaches hyper before this
    /// socket can tell it from the answer: hyper's own empty refusal has gone
    /// out then, and it is only logged.
    pub(crate) async fn refuse(mut self, head: BadHead, h2_preface: bool) {
        let (status, reason, error) = match head {
            BadHead::TooLarge { request_line: false } => {
                (414, "URI Too Long", format!("the request line is longer than {MAX_HEAD_BYTES} bytes"))
            }
            BadHead::TooLarge { request_line: true } => (
                431,
                "Request Header Fields Too Large",
                format!("the request head is larger than {MAX_HEAD_BYTES} bytes or has too many headers"),
            ),
            BadHead::Malformed => (400, "Bad Request", "the request line or a header is malformed".to_owned()),
        };
        let request_id = crate::ids::fresh_request_id();
        access_log::log_rejected(status, &format!("{error} ({status})"), &request_id);
        // hyper sends nothing of its own to an HTTP/2 preface.
        if !(self.oversized || self.held_back || h2_preface) {
            return;
        }
        let body = serde_json::to_string(&ErrorBody { error }).unwrap_or_default();
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}: {}\r\nconnection: close\r\n\r\n{body}",
            body.len(),
            contract::headers::REQUEST_ID,
            request_id.to_str().unwrap_or_default(),
        );
        let send = async {
            self.stream.write_all(answer.as_bytes()).await?;
            self.stream.shutdown().await
        };
        // A client that does not read its answer is not waited for.
        let _ = tokio::time::timeout(self.limits.idle, send).await;
    }

    /// Starts the idle clock once the request being served was answered: hyper
    /// writes the answer next, and reads (blocked since the request began) only
    /// when the client sends, so the idle timer is armed here, where the task
    /// is being polled anyway (no wake-up and no extra poll per request).
    /// Returns whether this write is the answer's first.
    fn start_idle_clock(&mut self, cx: &mut Context<'_>) -> bool {
        if self.activity.answered.load(Ordering::Relaxed) == self.seen_answered || self.observe() {
            return false;
        }
        if self.head_since.is_none() && self.expired(self.idle_since + self.limits.idle, cx) {
            // Already over (a zero limit): the read side says so.
            cx.waker().wake_by_ref();
        }
        true
    }

    /// A write that cannot proceed may wait at most the idle timeout.
    fn write_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let since = *self.write_blocked_since.get_or_insert_with(Instant::now);
        if self.expired(since + self.limits.idle, cx) {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")));
        }
        Poll::Pending
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let busy = this.observe();
        if !busy && this.head_bytes >= MAX_HEAD_BYTES {
            // hyper wants more than the limit for one head: it gives the
            // connection up, and the server then answers the refusal.
            this.oversized = true;
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, "the request head is too large")));
        }
        // While a head is read, hyper gets at most the limit, so the limit
        // holds however large its reads are (a head of exactly the limit passes).
        let budget = if busy { usize::MAX } else { MAX_HEAD_BYTES - this.head_bytes };
        let before = buf.filled().len();
        let polled = if budget < buf.remaining() {
            let mut bounded = vec![0; budget];
            let mut small = ReadBuf::new(&mut bounded);
            let polled = Pin::new(&mut this.stream).poll_read(cx, &mut small);
            buf.put_slice(small.filled());
            polled
        } else {
            Pin::new(&mut this.stream).poll_read(cx, buf)
        };
        match polled {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                if !new.is_empty() && !busy {
                    // The head's clock starts when a read of it first has to wait
                    // (below): a head that comes whole never reads the clock.
                    this.head_bytes += new.len();
                    this.request_line_done |= new.contains(&b'\n');
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            // No limit runs while a request is served: the idle clock starts
            // when its answer is written (`start_idle_clock`).
            Poll::Pending if busy => Poll::Pending,
            Poll::Pending => {
                if this.head_bytes > 0 && this.head_since.is_none() {
                    this.head_since = Some(Instant::now());
                }
                let (mut deadline, mut what) = match this.head_since {
                    Some(since) => (since + this.limits.header, "the request head did not arrive in time"),
                    None => (this.idle_since + this.limits.idle, "the connection was idle too long"),
                };
                if this.head_bytes > 0 && this.lifecycle.phase() != Phase::Serving {
                    // Shutting down: half a head is no request yet. One still
                    // arriving gets a moment; a client that never sends the
                    // rest must not hold the exit.
                    let since = *this.draining_since.get_or_insert_with(Instant::now);
                    if since + DRAIN_HEAD_WAIT < deadline {
                        (deadline, what) =
                            (since + DRAIN_HEAD_WAIT, "the request head did not arrive before the shutdown");
                    }
                }
                if this.expired(deadline, cx) {
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.writing_a_refusal() {
            // hyper's own empty refusal: the server sends the JSON one instead.
            this.held_back = true;
            return Poll::Ready(Ok(buf.len()));
        }
        let first = this.start_idle_clock(cx);
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Pending => this.write_pending(cx),
            ready => {
                this.write_blocked_since = None;
                if !first {
                    // A later part of an answer (a body sent over time): a
                    // connection is not idle while its answer is being written.
                    this.idle_since = Instant::now();
                }
                ready
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.writing_a_refusal() {
            // The refusal is still to be sent.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
