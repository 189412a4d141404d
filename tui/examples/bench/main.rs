//! Dashboard benchmarks that print figures (never run as tests):
//!
//! - `bench burst <b_url> <requests> <concurrency>`: the burst engine's requests/s.
//! - `bench memory`: resident memory while 1,000,000 answers and log lines flow
//!   through the dashboard's state (it must stay flat: history is bounded).
//! - `bench line-latency <dir>`: time from a log line written to the follower
//!   delivering it (the screen adds at most one frame on top).
//! - `bench follower <dir>`: the log follower alone: its throughput (MB/s of
//!   log lines, CPU time), the delay of a line appended right after a 64 MB
//!   append, the delay of each line at 10,000 lines/s, and its peak resident
//!   memory while it reads a 2 GB sparse file (which must not grow with size).
//! - `bench report <dir>`: time and peak resident memory of writing the session
//!   report when a log file is 2 GB without a newline, and with nothing sent by hand.
//! - `bench link-serve <listen> <target>`: the link in `ok` mode, forwarding
//!   until killed (the script points a second B through it).
//! - `bench load <b_url> <rate> <seconds>`: the steady load's achieved rate.
//!
//! `scripts/bench-dashboard.sh` runs them all, with oha and the live dashboard.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod files;

use files::{follower, line_latency, report};

use std::time::{Duration, Instant};

use contract::Service;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tui::cli::Settings;
use tui::io::burst::{self, BurstSpec};
use tui::io::http::Client;
use tui::io::link::Link;
use tui::io::load::{self, LoadSpec};

use tui::model::Model;
use tui::msg::{Answer, Event, LogLine, Outcome};

/// Resident memory of this process now (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// Peak resident memory of this process so far (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// A `kB` field of `/proc/self/status` (Linux; 0 elsewhere).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) this process used so far (Linux; 0 elsewhere).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at the state, field 3.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<u64>().ok()).sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
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
        ids: tui::ids::RequestIds::new("bnch", 1),
        wait: watch::channel(tui::model::b_wait(1_000)).1,
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

async fn link_serve(listen: &str, target: &str) {
    let (_target_tx, target) = watch::channel(target.parse().unwrap());
    let (link, run) = Link::bind(listen.parse().unwrap(), target, 1, tui::io::link::Limits::default()).await.unwrap();
    println!("link: listening on {}", link.addr());
    run.await;
}

/// Runs the steady load for `seconds` and counts what was sent and answered.
async fn steady_load(b_url: &str, rate: u32, seconds: u64) {
    let client = Client::new(Duration::from_secs(1)).unwrap();
    let (events_tx, mut events) = mpsc::channel(4_096);
    let counter = tokio::spawn(async move {
        let (mut answered, mut ok) = (0u64, 0u64);
        while let Some(event) = events.recv().await {
            if let Event::LoadAnswer(answer) = event {
                answered += 1;
                ok += u64::from(matches!(answer.outcome, Outcome::Answered { status: 200, .. }));
            }
        }
        (answered, ok)
    });
    let (stop_tx, stop) = watch::channel(false);
    let wait = watch::channel(tui::model::b_wait(1_000)).1;
    let spec = LoadSpec {
        rate,
        msg: "hello".into(),
        b_url: b_url.parse().unwrap(),
        id_prefix: "load".into(),
        ids: tui::ids::RequestIds::new("load", 1),
        wait,
    };
    let started = Instant::now();
    let task = tokio::spawn(load::run(client, spec, stop, events_tx));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed();
    stop_tx.send(true).unwrap();
    let sent = task.await.unwrap();
    let (answered, ok) = counter.await.unwrap();
    #[allow(clippy::cast_precision_loss)]
    let achieved = sent as f64 / elapsed.as_secs_f64();
    println!(
        "steady load: asked {rate}/s for {:.2} s, sent {sent} = {achieved:.1}/s ({:+.2}% off), {answered} answered, {ok} with 200",
        elapsed.as_secs_f64(),
        (achieved / f64::from(rate) - 1.0) * 100.0
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
        Some("follower") => follower(args.get(2).map_or("/tmp/tui-follower", String::as_str)),
        Some("report") => report(args.get(2).map_or("/tmp/tui-report", String::as_str)),
        Some("link-serve") if args.len() == 4 => link_serve(&args[2], &args[3]).await,
        Some("load") => {
            let rate = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1_000);
            let seconds = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(10);
            steady_load(args.get(2).map_or("http://127.0.0.1:8081", String::as_str), rate, seconds).await;
        }
        _ => eprintln!(
            "usage: bench burst <b_url> [requests] [concurrency] | bench memory | bench line-latency [dir] | bench follower [dir] | bench report [dir] | bench link-serve <listen> <target> | bench load <b_url> [rate] [seconds]"
        ),
    }
}
