//! The link on real loopback sockets: each mode's effect on a client of an echo
//! server (and of a keep-alive HTTP server, through reqwest's pool, as B uses
//! it), mode changes on open connections, and the counters.

#![allow(clippy::unwrap_used)]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, timeout};
use tui::faults::{self, Stream, ToxicSpec};
use tui::io::link::{Limits, Link};
use tui::msg::LinkCounters;

/// How long a held connection is watched to prove that nothing arrives.
const SILENCE: Duration = Duration::from_millis(300);
/// How long anything that must happen is given (a loaded CI machine included).
const DEADLINE: Duration = Duration::from_secs(5);

/// The dashboard's default delay (the presets' parameters).
const PARAMS: faults::Params = faults::Params { delay_ms: 300, jitter_ms: 100 };

/// Puts one registered fault's toxics on the link, as the keys do.
fn set_fault(link: &Link, id: &str) {
    link.set_toxics(&faults::by_id(id).unwrap().toxics(PARAMS)).unwrap();
}

fn set_delay(link: &Link, delay_ms: u64, jitter_ms: u64) {
    link.set_toxics(&[ToxicSpec::new(
        "latency",
        Stream::Downstream,
        1.0,
        &[("latency", delay_ms), ("jitter", jitter_ms)],
    )])
    .unwrap();
}

/// An echo server on port 0 that counts what it sees.
struct Echo {
    addr: SocketAddr,
    stats: Arc<EchoStats>,
    /// When each chunk arrived.
    arrivals: mpsc::UnboundedReceiver<Instant>,
}

#[derive(Default)]
struct EchoStats {
    accepted: AtomicU64,
    received: AtomicU64,
    closed: AtomicU64,
}

impl EchoStats {
    fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

async fn echo_server() -> Echo {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(EchoStats::default());
    let (arrived, arrivals) = mpsc::unbounded_channel();
    let server_stats = Arc::clone(&stats);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            server_stats.accepted.fetch_add(1, Ordering::Relaxed);
            let (stats, arrived) = (Arc::clone(&server_stats), arrived.clone());
            tokio::spawn(async move {
                let mut buf = vec![0; 64 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let _ = arrived.send(Instant::now());
                            stats.received.fetch_add(n as u64, Ordering::Relaxed);
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                stats.closed.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    Echo { addr, stats, arrivals }
}

/// A link running in the background; aborted when dropped.
struct Running {
    link: Link,
    task: JoinHandle<()>,
    target: watch::Sender<SocketAddr>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start_link(target: SocketAddr) -> Running {
    start_seeded(target, 42).await
}

async fn start_seeded(target: SocketAddr, seed: u64) -> Running {
    start_limited(target, seed, Limits::default()).await
}

async fn start_limited(target: SocketAddr, seed: u64, limits: Limits) -> Running {
    let (target_tx, target_rx) = watch::channel(target);
    let (link, run) = Link::bind("127.0.0.1:0".parse().unwrap(), target_rx, seed, limits).await.unwrap();
    Running { link, task: tokio::spawn(run), target: target_tx }
}

impl Running {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.link.addr()).await.unwrap()
    }

    fn counters(&self) -> LinkCounters {
        self.link.counters()
    }
}

/// Writes `msg` and reads its echo, within `limit`.
async fn round_trip_within(stream: &mut TcpStream, msg: &[u8], limit: Duration) -> io::Result<Duration> {
    let started = Instant::now();
    stream.write_all(msg).await?;
    let mut echo = vec![0; msg.len()];
    timeout(limit, stream.read_exact(&mut echo)).await.map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    assert_eq!(echo, msg);
    Ok(started.elapsed())
}

async fn round_trip(stream: &mut TcpStream, msg: &[u8]) -> Duration {
    round_trip_within(stream, msg, DEADLINE).await.unwrap()
}

/// Nothing arrives on `stream` for a while (the connection is held, not closed).
async fn assert_silent(stream: &mut TcpStream) {
    let mut buf = [0; 64];
    match timeout(SILENCE, stream.read(&mut buf)).await {
        Err(_) => {}
        Ok(read) => panic!("a held connection delivered {read:?}"),
    }
}

/// Reading `stream` fails with a reset soon.
async fn assert_reset(stream: &mut TcpStream) {
    let mut buf = [0; 64];
    let started = Instant::now();
    let read = timeout(DEADLINE, stream.read(&mut buf)).await.expect("the link should reset the connection");
    match read {
        Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}"),
        Ok(n) => panic!("expected a reset, read {n} bytes"),
    }
    assert!(started.elapsed() < Duration::from_secs(2), "reset took {:?}", started.elapsed());
}

/// Polls `condition` until it holds, or fails after [`DEADLINE`].
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn ok_passes_bytes_unchanged_and_counts_them() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    assert!(link.link.toxics().is_empty());
    let mut client = link.connect().await;
    round_trip(&mut client, b"hello").await;

    // A large payload, written and read at the same time, arrives intact.
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let (mut reader, mut writer) = client.into_split();
    let sent = payload.clone();
    let writing = tokio::spawn(async move {
        writer.write_all(&sent).await.unwrap();
        writer
    });
    let mut echoed = vec![0; payload.len()];
    timeout(DEADLINE, reader.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert!(echoed == payload, "the payload changed on its way");
    let writer = writing.await.unwrap();

    let total = 5 + payload.len() as u64;
    eventually("both byte counters", || {
        let c = link.counters();
        c.bytes_to_a == total && c.bytes_to_b == total
    })
    .await;
    let limits = Limits::default();
    assert_eq!(
        link.counters(),
        LinkCounters {
            connections: 1,
            open: 1,
            bytes_to_a: total,
            bytes_to_b: total,
            limits,
            ..LinkCounters::default()
        }
    );

    // The client closes: both directions end, the server sees the close, nothing is cut.
    drop((reader, writer));
    eventually("the echo server sees the close", || echo.stats.closed.load(Ordering::Relaxed) == 1).await;
    eventually("the connection is no longer open", || link.counters().open == 0).await;
    assert_eq!(link.counters().cut, 0);
}

#[tokio::test]
async fn delay_holds_each_answer_within_its_bounds() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut client = link.connect().await;
    round_trip(&mut client, b"warm").await;
    set_delay(&link.link, 100, 20);
    assert_eq!(link.link.toxics()[0].attributes["latency"], 100);
    for i in 0..5 {
        let took = round_trip(&mut client, format!("call {i}").as_bytes()).await;
        assert!(took >= Duration::from_millis(80), "round trip {i} took only {took:?}");
        assert!(took <= Duration::from_millis(80) + Duration::from_secs(2), "round trip {i} took {took:?}");
    }
    // Also on a connection opened while the link delays.
    let mut fresh = link.connect().await;
    let took = round_trip(&mut fresh, b"fresh").await;
    assert!(took >= Duration::from_millis(80), "a new connection's round trip took only {took:?}");
    // And back to ok, on the same connection.
    link.link.set_toxics(&[]).unwrap();
    round_trip(&mut client, b"back").await;
}

#[tokio::test]
async fn delay_holds_only_the_answers_and_keeps_their_order() {
    let mut echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_delay(&link.link, 1_000, 0);
    let mut client = link.connect().await;
    let sent = Instant::now();
    client.write_all(b"request").await.unwrap();
    let arrived = timeout(DEADLINE, echo.arrivals.recv()).await.unwrap().unwrap();
    // B -> A is not delayed (a generous bound: far below the 1 s delay).
    assert!(arrived - sent < Duration::from_millis(500), "the request took {:?} to reach A", arrived - sent);
    let mut answer = [0; 7];
    timeout(DEADLINE, client.read_exact(&mut answer)).await.unwrap().unwrap();
    assert!(sent.elapsed() >= Duration::from_millis(1_000), "the answer came after {:?}", sent.elapsed());

    // Many small answers, each with its own draw of 1..41 ms: never reordered.
    set_delay(&link.link, 20, 20);
    let expected: Vec<u8> = (0..200u32).flat_map(|i| i.to_be_bytes()).collect();
    let mut echoed = vec![0; expected.len()];
    let (mut reader, mut writer) = client.into_split();
    let to_send = expected.clone();
    let writing = tokio::spawn(async move {
        for message in to_send.chunks(4) {
            writer.write_all(message).await.unwrap();
            // Paced, so that the answers come back as many separate chunks.
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    });
    timeout(DEADLINE * 2, reader.read_exact(&mut echoed)).await.unwrap().unwrap();
    writing.await.unwrap();
    assert!(echoed == expected, "the answers were reordered");
}

#[tokio::test]
async fn partition_holds_open_and_new_connections_and_a_sees_nothing() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut open = link.connect().await;
    round_trip(&mut open, b"ping").await;
    set_fault(&link.link, "partition");

    // An open connection: the request never reaches A, no answer, no close.
    open.write_all(b"held").await.unwrap();
    assert_silent(&mut open).await;
    // A new connection is accepted (no refusal), and held the same way.
    let mut new = link.connect().await;
    new.write_all(b"new").await.unwrap();
    assert_silent(&mut new).await;
    assert_eq!(echo.stats.received(), 4, "only the first ping crossed");
    assert_eq!(echo.stats.accepted(), 1, "a connection held from the start is never made to A");

    // Healed: both lost bytes, so both stay held until their client gives up;
    // a new connection goes through at once.
    link.link.set_toxics(&[]).unwrap();
    assert_silent(&mut open).await;
    assert_silent(&mut new).await;
    assert_eq!(echo.stats.received(), 4, "no stale byte reaches A after the heal");
    let mut after = link.connect().await;
    round_trip(&mut after, b"after").await;

    // The clients give up (as B does after its timeout): both count as cut.
    drop((open, new));
    eventually("the held connections end, cut", || {
        let c = link.counters();
        c.cut == 2 && c.open == 1
    })
    .await;
    assert_eq!(link.counters().connections, 3);
}

#[tokio::test]
async fn partition_then_ok_resumes_connections_that_lost_nothing() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut idle = link.connect().await;
    round_trip(&mut idle, b"before").await;
    set_fault(&link.link, "partition");
    // Opened during the partition, sends nothing before the heal.
    let mut quiet = link.connect().await;
    eventually("the link accepts the quiet connection", || link.counters().connections == 2).await;
    link.link.set_toxics(&[]).unwrap();
    round_trip(&mut idle, b"resumed").await;
    round_trip(&mut quiet, b"connected late").await;
    assert_eq!(link.counters().cut, 0);
}

/// A tiny HTTP/1.1 server with keep-alive; counts connections and requests.
async fn http_server() -> (SocketAddr, Arc<EchoStats>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(EchoStats::default());
    let server_stats = Arc::clone(&stats);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            server_stats.accepted.fetch_add(1, Ordering::Relaxed);
            let stats = Arc::clone(&server_stats);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0; 4096];
                loop {
                    let Ok(n @ 1..) = stream.read(&mut buf).await else { return };
                    request.extend_from_slice(&buf[..n]);
                    while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        request.drain(..end + 4);
                        stats.received.fetch_add(1, Ordering::Relaxed);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, stats)
}

#[tokio::test]
async fn partition_freezes_a_pooled_keep_alive_connection_into_a_timeout() {
    let (addr, server) = http_server().await;
    let link = start_link(addr).await;
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(500)).build().unwrap();
    let url = format!("http://{}/echo", link.link.addr());

    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.text().await.unwrap(), "ok");
    assert_eq!(server.accepted(), 1);

    // The pooled connection is reused, and frozen: a timeout, not a reset or refusal.
    set_fault(&link.link, "partition");
    let error = client.get(&url).send().await.unwrap_err();
    assert!(error.is_timeout(), "expected a timeout, got {error:?}");
    assert!(!error.is_connect(), "expected a timeout, got {error:?}");
    assert_eq!(server.received(), 1, "the request reached the server through a partition");
    assert_eq!(link.counters().connections, 1, "the frozen request went over the pooled connection");

    // Healed: the next request goes through (the client dropped the frozen
    // connection when it gave up, and the link counts it as cut).
    link.link.set_toxics(&[]).unwrap();
    let healed = client.get(&url).send().await.unwrap();
    assert_eq!(healed.status(), 200);
    assert_eq!(server.received(), 2);
    eventually("the frozen connection is cut", || link.counters().cut == 1).await;
}

#[tokio::test]
async fn an_idle_pooled_connection_survives_a_partition() {
    let (addr, server) = http_server().await;
    let link = start_link(addr).await;
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(500)).build().unwrap();
    let url = format!("http://{}/echo", link.link.addr());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    set_fault(&link.link, "partition");
    link.link.set_toxics(&[]).unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(server.accepted(), 1, "the idle pooled connection carried on");
    assert_eq!(link.counters().cut, 0);
}

#[tokio::test]
async fn reset_cuts_open_and_new_connections_at_once() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut open = link.connect().await;
    round_trip(&mut open, b"ping").await;
    // A connection held by a partition is reset too.
    set_fault(&link.link, "partition");
    let mut held = link.connect().await;
    held.write_all(b"held").await.unwrap();
    eventually("the link accepts the held connection", || link.counters().connections == 2).await;

    set_fault(&link.link, "reset");
    assert_reset(&mut open).await;
    assert_reset(&mut held).await;
    let mut new = link.connect().await;
    assert_reset(&mut new).await;
    eventually("three connections cut, none open", || {
        let c = link.counters();
        c.cut == 3 && c.open == 0
    })
    .await;

    link.link.set_toxics(&[]).unwrap();
    let mut after = link.connect().await;
    round_trip(&mut after, b"after").await;
}

/// Opens `count` connections, a batch at a time, and counts those whose
/// round trip does not come back (held by the link).
async fn count_held(link: &Running, count: usize) -> usize {
    let mut held = 0;
    for batch in 0..count.div_ceil(100) {
        let mut trips = JoinSet::new();
        for _ in 0..100.min(count - batch * 100) {
            let addr = link.link.addr();
            trips.spawn(async move {
                let mut client = TcpStream::connect(addr).await.unwrap();
                round_trip_within(&mut client, b"ping", Duration::from_secs(1)).await.is_err()
            });
        }
        while let Some(was_held) = trips.join_next().await {
            held += usize::from(was_held.unwrap());
        }
    }
    held
}

#[tokio::test]
async fn flaky_loses_about_a_third_of_requests_on_new_connections() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "flaky");
    let held = count_held(&link, 300).await;
    // Binomial(300, 1/3): mean 100, standard deviation 8.2; this is ±4.9 of them.
    assert!((60..=140).contains(&held), "{held} of 300 requests lost");
    let pings = (300 - held as u64) * b"ping".len() as u64;
    assert_eq!(echo.stats.received(), pings, "a lost request never reaches A");
    eventually("every held connection counted as cut", || link.counters().cut == held as u64).await;
}

#[tokio::test]
async fn flaky_loses_about_a_third_of_requests_on_one_kept_alive_connection() {
    // B pools its connections: under a steady load one connection carries
    // every call, so a flaky link must draw per request, not per connection.
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "flaky");
    let (mut lost, mut client) = (0, link.connect().await);
    for _ in 0..120 {
        if round_trip_within(&mut client, b"call", Duration::from_millis(150)).await.is_err() {
            // What B does after a timeout: drop the connection, open a new one.
            lost += 1;
            client = link.connect().await;
        }
    }
    // Binomial(120, 1/3): mean 40, standard deviation 5.2; this is ±3.9 of them.
    assert!((20..=60).contains(&lost), "{lost} of 120 requests lost");
}

#[tokio::test]
async fn flaky_draws_for_open_connections_when_it_begins() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut clients = Vec::new();
    for _ in 0..90 {
        let mut client = link.connect().await;
        round_trip(&mut client, b"ok").await;
        clients.push(client);
    }
    set_fault(&link.link, "flaky");
    let mut trips = JoinSet::new();
    for mut client in clients {
        trips.spawn(async move { round_trip_within(&mut client, b"flaky", Duration::from_secs(1)).await.is_err() });
    }
    let mut held = 0;
    while let Some(was_held) = trips.join_next().await {
        held += usize::from(was_held.unwrap());
    }
    // Binomial(90, 1/3): mean 30, standard deviation 4.5; this is ±4.5 of them.
    assert!((10..=50).contains(&held), "{held} of 90 open connections held");
}

#[tokio::test]
async fn setting_the_same_mode_again_changes_nothing() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut client = link.connect().await;
    set_fault(&link.link, "partition");
    let started = Instant::now();
    assert!(round_trip_within(&mut client, b"held", SILENCE).await.is_err(), "partitioned");
    // Partition again: nothing changes, the connection stays held with its lost bytes.
    set_fault(&link.link, "partition");
    assert_eq!(link.link.toxics(), faults::by_id("partition").unwrap().toxics(PARAMS));
    link.link.set_toxics(&[]).unwrap();
    assert!(round_trip_within(&mut client, b"after", SILENCE).await.is_err(), "a stream with a hole stays held");
    assert!(started.elapsed() >= SILENCE * 2);
    let mut fresh = link.connect().await;
    round_trip(&mut fresh, b"fresh").await;
    assert_eq!(echo.stats.received(), b"fresh".len() as u64, "nothing of the held connection reached A");
}

#[tokio::test]
async fn a_refusing_target_closes_the_connection_without_hanging() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let link = start_link(closed).await;
    let mut client = link.connect().await;
    let mut buf = [0; 16];
    let read = timeout(DEADLINE, client.read(&mut buf)).await.expect("the link should close the connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    eventually("counted and closed", || {
        let c = link.counters();
        c.connections == 1 && c.open == 0
    })
    .await;
    assert_eq!(link.counters().cut, 0, "A refusing is not the link's doing");
}

#[tokio::test]
async fn new_connections_follow_the_target_when_it_moves() {
    let (first, second) = (echo_server().await, echo_server().await);
    let link = start_link(first.addr).await;
    let mut before = link.connect().await;
    round_trip(&mut before, b"one").await;
    link.target.send(second.addr).unwrap();
    let mut after = link.connect().await;
    round_trip(&mut after, b"two").await;
    assert_eq!((first.stats.accepted(), second.stats.accepted()), (1, 1));
    // The connection made before the move stays where it was.
    round_trip(&mut before, b"three").await;
    assert_eq!(first.stats.received(), 8);
}

#[tokio::test]
async fn aborting_the_link_ends_its_connections() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    let mut client = link.connect().await;
    round_trip(&mut client, b"ping").await;
    link.task.abort();
    let mut buf = [0; 16];
    let read = timeout(DEADLINE, client.read(&mut buf)).await.expect("the connection should end with the link");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    eventually("the echo server sees the close", || echo.stats.closed.load(Ordering::Relaxed) == 1).await;
    eventually("no connection open", || link.counters().open == 0).await;
}

#[tokio::test]
async fn answers_lost_reach_a_and_never_come_back() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "answers-lost");
    let mut client = link.connect().await;
    assert!(round_trip_within(&mut client, b"work", SILENCE).await.is_err(), "the answer is lost");
    eventually("A got the request and did the work", || echo.stats.received() == 4).await;
}

#[tokio::test]
async fn requests_lost_never_reach_a() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "requests-lost");
    let mut client = link.connect().await;
    assert!(round_trip_within(&mut client, b"work", SILENCE).await.is_err());
    assert_eq!((echo.stats.accepted(), echo.stats.received()), (0, 0), "not even connected to A");
}

#[tokio::test]
async fn lose_next_loses_exactly_that_many_requests_then_everything_passes() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "lose-next");
    let mut lost = Vec::new();
    for _ in 0..4 {
        let mut client = link.connect().await;
        lost.push(round_trip_within(&mut client, b"try", SILENCE).await.is_err());
    }
    assert_eq!(lost, [true, true, false, false]);
    assert_eq!(link.link.toxics()[0].attributes["requests"], 0, "it counts down");
}

#[tokio::test]
async fn the_slow_link_paces_answers_at_its_rate() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_fault(&link.link, "slow-link");
    let mut client = link.connect().await;
    // 1 KB/s: 500 bytes take half a second.
    let took = round_trip_within(&mut client, &[b'x'; 500], DEADLINE).await.unwrap();
    assert!(took >= Duration::from_millis(450), "{took:?}");
}

/// Which of `count` requests on kept-alive connections a flaky link with `seed` loses.
async fn flaky_losses(seed: u64, count: usize) -> Vec<usize> {
    let echo = echo_server().await;
    let link = start_seeded(echo.addr, seed).await;
    set_fault(&link.link, "flaky");
    let (mut lost, mut client) = (Vec::new(), link.connect().await);
    for request in 0..count {
        if round_trip_within(&mut client, b"call", Duration::from_millis(150)).await.is_err() {
            lost.push(request);
            client = link.connect().await;
        }
    }
    lost
}

#[tokio::test]
async fn the_same_seed_loses_the_same_requests() {
    let first = flaky_losses(9, 40).await;
    assert!(!first.is_empty() && first.len() < 40, "{first:?}");
    assert_eq!(flaky_losses(9, 40).await, first, "the same seed, the same losses");
    assert_ne!(flaky_losses(10, 40).await, first, "another seed, other losses");
}

#[tokio::test]
async fn a_timeout_toxic_closes_the_connection_after_its_time_on_either_stream() {
    for stream in [Stream::Upstream, Stream::Downstream] {
        let echo = echo_server().await;
        let link = start_link(echo.addr).await;
        link.link.set_toxics(&[ToxicSpec::new("timeout", stream, 1.0, &[("timeout", 300)])]).unwrap();
        let mut client = link.connect().await;
        let started = Instant::now();
        client.write_all(b"lost").await.unwrap();
        let mut buf = [0; 16];
        let read = timeout(DEADLINE, client.read(&mut buf)).await.expect("the link closes it");
        assert!(matches!(read, Ok(0) | Err(_)), "{stream:?}: {read:?}");
        assert!(started.elapsed() >= Duration::from_millis(280), "{stream:?}: {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn removing_a_toxic_sends_what_it_held_at_once() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_delay(&link.link, 60_000, 0);
    let mut client = link.connect().await;
    client.write_all(b"held").await.unwrap();
    eventually("A answered into the link", || echo.stats.received() == 4).await;
    let started = Instant::now();
    link.link.set_toxics(&[]).unwrap();
    let mut buf = [0; 4];
    timeout(DEADLINE, client.read_exact(&mut buf)).await.expect("flushed at once").unwrap();
    assert_eq!(&buf, b"held");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_connection_b_left_while_its_answer_was_held_ends_when_the_toxic_goes() {
    let echo = echo_server().await;
    let link = start_link(echo.addr).await;
    set_delay(&link.link, 60_000, 0);
    let mut client = link.connect().await;
    client.write_all(b"gone").await.unwrap();
    eventually("A answered into the link", || echo.stats.received() == 4).await;
    // B gives up; the answer is still held. The learner resets the link.
    drop(client);
    link.link.reset();
    eventually("the link lets the connection go", || link.counters().open == 0).await;
}

/// Reading `stream` ends (a reset or a close) within `limit`.
async fn assert_ends_within(stream: &mut TcpStream, limit: Duration) {
    let mut buf = [0; 64];
    match timeout(limit, stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => {}
        Ok(Ok(n)) => panic!("expected the connection to end, read {n} bytes"),
        Err(_) => panic!("the connection was still open after {limit:?}"),
    }
}

#[tokio::test]
async fn at_its_cap_the_link_refuses_new_connections_at_once_and_counts_them() {
    let echo = echo_server().await;
    let limits = Limits { max_open: 3, ..Limits::default() };
    let link = start_limited(echo.addr, 1, limits).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut client = link.connect().await;
        round_trip(&mut client, b"in").await;
        open.push(client);
    }
    let mut over = link.connect().await;
    assert_reset(&mut over).await;
    eventually("the refusal is counted", || link.counters().refused == 1).await;
    assert_eq!(link.counters().open, 3);
    // The open ones carry on, and a place that frees up is taken again.
    round_trip(&mut open[0], b"still").await;
    drop(open.pop());
    eventually("one fewer open", || link.counters().open == 2).await;
    let mut again = link.connect().await;
    round_trip(&mut again, b"again").await;
    assert_eq!(link.counters().refused, 1);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_or_goes_quiet_is_closed_and_a_busy_one_is_not() {
    let echo = echo_server().await;
    let limits =
        Limits { first_byte: Duration::from_millis(300), idle: Duration::from_millis(600), ..Limits::default() };
    let link = start_limited(echo.addr, 1, limits).await;
    let mut silent = link.connect().await;
    let mut quiet = link.connect().await;
    let mut busy = link.connect().await;
    round_trip(&mut quiet, b"once").await;
    // The busy one talks every 100 ms, for three times the idle limit.
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    while started.elapsed() < limits.idle * 3 {
        ticks.tick().await;
        round_trip(&mut busy, b"tick").await;
    }
    assert_ends_within(&mut silent, Duration::from_millis(1)).await;
    assert_ends_within(&mut quiet, Duration::from_millis(1)).await;
    eventually("both quiet connections are counted", || link.counters().idle_closed == 2).await;
    assert_eq!(link.counters().open, 1, "the busy connection stays");
    round_trip(&mut busy, b"still here").await;
}

#[tokio::test]
async fn a_connection_held_by_a_partition_is_released_once_quiet() {
    let echo = echo_server().await;
    let limits = Limits { idle: Duration::from_millis(500), ..Limits::default() };
    let link = start_limited(echo.addr, 1, limits).await;
    let mut held = link.connect().await;
    round_trip(&mut held, b"ping").await;
    set_fault(&link.link, "partition");
    held.write_all(b"lost").await.unwrap();
    // Whoever holds it never gives up; the link lets it go.
    assert_ends_within(&mut held, DEADLINE).await;
    eventually("released and counted", || {
        let c = link.counters();
        c.open == 0 && c.idle_closed == 1
    })
    .await;
}
