//! B's connections to A, kept open between calls.
//!
//! B calls one host over HTTP/1, so its pool is a list of idle connections:
//! a call takes the newest one still open (or opens one), and gives it back
//! once A's answer has been read whole; a call that ends any other way (a
//! timeout, a broken answer) closes its connection. hyper-util's pooled
//! client, used before, serves any number of hosts: it hashed the host with
//! SipHash on every take and give-back, and waited for each connection to be
//! ready again on a task of its own (about a tenth of B's instructions per
//! call, measured with `scripts/count-instructions.sh b`).
//!
//! As there, a request that a reused connection could not even start (A
//! closed it as it was taken) is sent again on the next one: it never
//! reached A.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, Response};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long an idle connection is kept: a connection idle longer is closed
/// when next looked at (as hyper-util's client did), well before A's own
/// idle timeout (60 s) could close it under a call.
pub const IDLE_FOR: Duration = Duration::from_secs(30);

/// The connections to A (see the module docs).
#[derive(Debug)]
pub struct Connections {
    /// `host:port` of A.
    addr: String,
    /// Connections whose last answer was read whole, and since when they are
    /// idle, the newest last.
    idle: Mutex<Vec<(Instant, SendRequest<Empty<Bytes>>)>>,
}

/// Why a request could not be sent or answered.
#[derive(Debug)]
pub enum SendError {
    /// No connection to A could be opened.
    Connect(std::io::Error),
    /// The connection broke before the answer's head came (reset, closed, a bad answer).
    Lost(hyper::Error),
}

/// A connection lent to one call. [`Lease::give_back`] returns it once the
/// answer has been read whole; dropped otherwise, it is closed.
#[must_use = "a lease not given back closes its connection"]
pub struct Lease<'a> {
    connections: &'a Connections,
    sender: SendRequest<Empty<Bytes>>,
}

impl Lease<'_> {
    /// The answer was read to its end: the connection can take another call.
    pub fn give_back(self) {
        self.connections.lock().push((Instant::now(), self.sender));
    }
}

impl Connections {
    /// Connections to A at `addr` (`host:port`), opened when first needed.
    pub fn new(addr: String) -> Self {
        Self { addr, idle: Mutex::new(Vec::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Instant, SendRequest<Empty<Bytes>>)>> {
        // Only pushes and pops happen under the lock: a poisoned one is as good.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `request` (its URI in origin form, `/echo?...`) and waits for the
    /// head of the answer; the body is the caller's to read.
    pub async fn send(&self, mut request: Request<Empty<Bytes>>) -> Result<(Response<Incoming>, Lease<'_>), SendError> {
        loop {
            let (mut sender, reused) = match self.take_idle().await {
                Some(sender) => (sender, true),
                None => (self.open().await?, false),
            };
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, Lease { connections: self, sender })),
                Err(mut error) => match error.take_message() {
                    // Never started on a connection A had just closed: the next one.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(SendError::Lost(error.into_error())),
                },
            }
        }
    }

    /// The newest idle connection that is still open (each one looked at is
    /// taken out: the closed ones are dropped, and once one has been idle
    /// longer than [`IDLE_FOR`], so are all the older ones).
    async fn take_idle(&self) -> Option<SendRequest<Empty<Bytes>>> {
        loop {
            let mut sender = {
                let mut idle = self.lock();
                let (since, sender) = idle.pop()?;
                if since.elapsed() > IDLE_FOR {
                    idle.clear();
                    return None;
                }
                sender
            };
            // Ready at once unless it is still finishing its last answer.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn open(&self) -> Result<SendRequest<Empty<Bytes>>, SendError> {
        let stream = TcpStream::connect(self.addr.as_str()).await.map_err(SendError::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(SendError::Lost)?;
        // The connection's own task: it ends when A closes it or when its
        // sender is dropped (a lease not given back).
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}
