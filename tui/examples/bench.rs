//! Dashboard benchmarks that print figures (never run as tests):
//!
//! - `bench burst <b_url> <requests> <concurrency>`: the burst engine's requests/s.
//! - `bench memory`: resident memory while 1,000,000 answers and log lines flow
//!   through the dashboard's state (it must stay flat: history is bounded).
//! - `bench line-latency <dir>`: time from a log line written to the follower
//!   delivering it (the screen adds at most one frame on top).
//!
//! `scripts/bench-dashboard.sh` runs them all, with oha and the live dashboard.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::time::{Duration, Instant};

use contract::Service;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tui::cli::Settings;
use tui::io::burst::{self, BurstSpec};
use tui::io::http::Client;
use tui::io::tail::{LogTail, POLL_INTERVAL};
use tui::model::Model;
use tui::msg::{Answer, Event, LogLine, Outcome};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn burst(b_url: &str, requests: u64, concurrency: u64) {
    let client = Client::new(Duration::from_secs(1)).unwrap();
    let (events_tx, mut events) = mpsc::channel(4_096);
    // Drain like the dashboard does: into the app, in batches.
    let drain = tokio::spawn(async move {
        let mut app = Model::new(Settings::default(), "bnch");
        let now = OffsetDateTime::now_utc();
        while let Some(event) = events.recv().await {
            app.on_event(event, now);
            while let Ok(event) = events.try_recv() {
                app.on_event(event, now);
            }
        }
        app.stats.total
    });
    let (_cancel_tx, cancel) = watch::channel(false);
    let spec = BurstSpec {
        requests,
        concurrency,
        msg: "hello".into(),
        b_url: b_url.parse().unwrap(),
        id_prefix: "bnch".into(),
    };
    let started = Instant::now();
    burst::run(client, spec, cancel, events_tx).await;
    let elapsed = started.elapsed();
    let answered = drain.await.unwrap();
    #[allow(clippy::cast_precision_loss)]
    let rps = answered as f64 / elapsed.as_secs_f64();
    println!(
        "burst engine: {answered} requests at concurrency {concurrency} in {:.2} s = {rps:.0} requests/s",
        elapsed.as_secs_f64()
    );
}

fn memory() {
    let mut app = Model::new(Settings::default(), "mem0");
    let now = OffsetDateTime::now_utc();
    println!("memory: start {} KiB", rss_kib());
    for i in 0..1_000_000u64 {
        let outcome = Outcome::Answered {
            status: if i % 10 == 0 { 503 } else { 200 },
            latency: Duration::from_micros(1_000 + i % 5_000),
            error_kind: None,
            upstream_ms: Some(1.0),
            body: r#"{"service_a":{"echo":"hello"},"service_b":"ok"}"#.into(),
        };
        let id = format!("mem0-L1-{i:07}");
        let line = LogLine::parse(
            Service::B,
            &format!("2026-11-24 12:00:00,000 service=B endpoint=/call-echo status=ok latency_ms=1 request_id={id}"),
        );
        app.on_event(
            Event::Answer(Answer { id, sent_at: now, msg: "hello".into(), delay_ms: None, burst: true, outcome }),
            now,
        );
        app.on_event(Event::Logs(vec![line]), now);
        if [10_000, 100_000, 500_000, 999_999].contains(&i) {
            println!("memory: after {:>9} requests and log lines: {} KiB resident", i + 1, rss_kib());
        }
    }
}

fn line_latency(dir: &str) {
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("service-a.log");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
    // The follower runs as in the dashboard: its own thread, poll, sleep POLL_INTERVAL.
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<(Instant, Vec<String>)>();
    let follower_dir = dir.clone();
    std::thread::spawn(move || {
        let mut tail = LogTail::new(&follower_dir, Service::A);
        loop {
            let lines = tail.poll();
            if !lines.is_empty() && seen_tx.send((Instant::now(), lines)).is_err() {
                return;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    });
    let mut delays = Vec::new();
    for i in 0..40u64 {
        // Write at varying points of the follower's cycle, as a service would.
        std::thread::sleep(Duration::from_millis(30 + (i * 37) % 90));
        let written = Instant::now();
        writeln!(file, "2026-11-24 12:00:00,000 service=A endpoint=/echo status=ok latency_ms=0 request_id=l{i}")
            .unwrap();
        let (seen, _) = seen_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        delays.push(seen.duration_since(written).as_secs_f64() * 1000.0);
    }
    let p = tui::model::stats::percentiles(delays.into_iter());
    println!(
        "line latency: written -> delivered by the follower (polling every {} ms): p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms; \
         the screen adds at most one frame ({} ms)",
        POLL_INTERVAL.as_millis(),
        p.p50,
        p.p90,
        p.max,
        tui::runtime::FRAME.as_millis()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("burst") => {
            let requests = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(20_000);
            let concurrency = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(20);
            burst(args.get(2).map_or("http://127.0.0.1:8081", String::as_str), requests, concurrency).await;
        }
        Some("memory") => memory(),
        Some("line-latency") => line_latency(args.get(2).map_or("/tmp/tui-line-latency", String::as_str)),
        _ => eprintln!("usage: bench burst <b_url> [requests] [concurrency] | bench memory | bench line-latency [dir]"),
    }
}
