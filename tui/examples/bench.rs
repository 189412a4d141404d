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

use std::io::Write;
use std::time::{Duration, Instant};

use contract::Service;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tui::cli::Settings;
use tui::io::burst::{self, BurstSpec};
use tui::io::http::Client;
use tui::io::link::Link;
use tui::io::load::{self, LoadSpec};
use tui::io::tail::{self, LogTail, POLL_INTERVAL};
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

/// One log line as service A writes it, with `id` as its request id.
fn log_line(id: &str) -> String {
    format!("2026-11-24 12:00:00,000 service=A endpoint=/echo status=ok latency_ms=0 request_id={id}\n")
}

/// Appends `megabytes` MB of log lines to `path` in one write; returns the line count.
fn append_lines(path: &std::path::Path, megabytes: usize, prefix: &str) -> usize {
    let mut text = String::with_capacity(megabytes * 1024 * 1024 + 256);
    let mut count = 0;
    while text.len() < megabytes * 1024 * 1024 {
        text.push_str(&log_line(&format!("{prefix}-{count:09}")));
        count += 1;
    }
    std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    count
}

fn follower(dir: &str) {
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    #[allow(clippy::cast_precision_loss)]
    let mb = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);

    // 1. Throughput: read 256 MB of log lines already written, as fast as it can.
    let path = dir.join("service-a.2026-11-24.log");
    let lines = append_lines(&path, 256, "tput");
    let mut tail = LogTail::from_start(&dir, Service::A);
    let (cpu, started) = (cpu_time(), Instant::now());
    let (mut got, mut bytes, mut parsed_ok, mut peak) = (0, 0, 0, 0);
    while got < lines {
        let batch = tail.poll();
        got += batch.len();
        bytes += batch.iter().map(|l| l.len() + 1).sum::<usize>();
        peak = peak.max(rss_kib());
    }
    let (wall, cpu) = (started.elapsed(), cpu_time() - cpu);
    println!(
        "follower throughput: {:.0} MB of log lines ({got} lines) in {:.2} s = {:.0} MB/s, CPU {:.2} s ({:.0}% of a core); peak resident {peak} KiB",
        mb(bytes),
        wall.as_secs_f64(),
        mb(bytes) / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 100.0 / wall.as_secs_f64()
    );
    // The same lines parsed as the dashboard does with each line it receives.
    let mut tail = LogTail::from_start(&dir, Service::A);
    let (cpu, started) = (cpu_time(), Instant::now());
    got = 0;
    while got < lines {
        for line in tail.poll() {
            got += 1;
            parsed_ok += usize::from(LogLine::parse(Service::A, &line).ok.is_some());
        }
    }
    let (wall, cpu) = (started.elapsed(), cpu_time() - cpu);
    println!(
        "follower + LogLine::parse: {:.0} MB/s, CPU {:.2} s for {parsed_ok} parsed lines",
        mb(bytes) / wall.as_secs_f64(),
        cpu.as_secs_f64()
    );
    std::fs::remove_file(&path).unwrap();

    // 2. A line appended right after a 64 MB append, with the follower running
    //    as in the dashboard (tail::follow on its own thread).
    let path = dir.join("service-a.2026-11-25.log");
    append_lines(&path, 1, "old");
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<(Instant, String)>();
    let follower_dir = dir.clone();
    std::thread::spawn(move || {
        let sources = contract::Service::ALL
            .map(|service| Box::new(tail::LogTail::new(&follower_dir, service)) as Box<dyn tail::LogSource>);
        tail::follow(sources, |batch| {
            batch.lines.into_iter().all(|(_, line)| {
                // Only the lines the bench waits for go through the channel.
                !(line.contains("=marker") || line.contains("=rate-")) || seen_tx.send((Instant::now(), line)).is_ok()
            })
        });
    });
    std::thread::sleep(POLL_INTERVAL * 3);
    let before = Instant::now();
    append_lines(&path, 64, "bulk");
    let written = Instant::now();
    append_lines_raw(&path, &log_line("marker"));
    let (seen, _) = seen_rx.recv_timeout(Duration::from_secs(120)).unwrap();
    println!(
        "line after a 64 MB append: delivered {:.0} ms after it was written, {:.0} ms after the 64 MB append began \
         (the append itself took {:.0} ms)",
        seen.duration_since(written).as_secs_f64() * 1000.0,
        seen.duration_since(before).as_secs_f64() * 1000.0,
        written.duration_since(before).as_secs_f64() * 1000.0
    );

    // 3. 10,000 lines/s for 5 s, 100 lines every 10 ms: the delay of each line.
    let start = Instant::now();
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    let writer = std::thread::spawn(move || {
        let mut sent = 0u64;
        while start.elapsed() < Duration::from_secs(5) {
            let mut text = String::new();
            for _ in 0..100 {
                // The id carries the time it was written, in µs since the start.
                text.push_str(&log_line(&format!("rate-{}", start.elapsed().as_micros())));
            }
            file.write_all(text.as_bytes()).unwrap();
            sent += 100;
            let due = start + Duration::from_micros(sent * 100);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        sent
    });
    let mut delays = Vec::new();
    while let Ok((seen, line)) = seen_rx.recv_timeout(Duration::from_secs(2)) {
        let Some(written) = line.rsplit_once("rate-").and_then(|(_, us)| us.parse::<u64>().ok()) else { continue };
        delays.push((seen.duration_since(start).as_secs_f64() * 1e6 - written as f64) / 1000.0);
    }
    let sent = writer.join().unwrap();
    let received = delays.len();
    let p = tui::model::stats::percentiles(delays.into_iter());
    println!(
        "10,000 lines/s for 5 s: {received} of {sent} lines delivered; written -> delivered p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        p.p50, p.p99, p.max
    );

    // 4. Resident memory while reading a 2 GB sparse file (one endless line of
    //    zeros) from its start, and after it is the next-newest file left.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sparse = dir.join("service-b.2026-11-23.log");
    std::fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    let start_rss = rss_kib();
    let mut tail = LogTail::from_start(&dir, Service::B);
    let (started, mut peak, mut polls) = (Instant::now(), 0, 0);
    loop {
        let lines = tail.poll();
        polls += 1;
        peak = peak.max(rss_kib());
        if polls == 1 {
            println!("2 GB sparse file from its start: first poll {} lines, resident {} KiB", lines.len(), rss_kib());
        }
        if !tail.is_behind() {
            break;
        }
    }
    println!(
        "2 GB sparse file from its start: read in {polls} polls, {:.1} s; resident before {start_rss} KiB, peak {peak} KiB",
        started.elapsed().as_secs_f64()
    );
    let followed = dir.join("service-b.2026-11-24.log");
    std::fs::write(&followed, log_line("followed")).unwrap();
    let mut tail = LogTail::new(&dir, Service::B);
    tail.poll();
    std::fs::remove_file(&followed).unwrap();
    let started = Instant::now();
    let lines = tail.poll();
    println!(
        "followed file deleted, 2 GB file next-newest: {} lines in {:.1} ms, behind: {}, resident {} KiB",
        lines.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        tail.is_behind(),
        rss_kib()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Peak resident memory of this process so far (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn report(dir: &str) {
    use tui::msg::{Action, Effect};
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let now = OffsetDateTime::now_utc();
    let mut app = Model::new(Settings { log_dir: dir.clone(), ..Settings::default() }, "rprt");
    // 2 GB of one endless line (sparse), in a file written during the session.
    let huge = dir.join("service-a.2026-11-24.log");
    std::fs::File::create(&huge).unwrap().set_len(2 << 30).unwrap();
    let started = Instant::now();
    let written = tui::io::report::write(&app, now).unwrap();
    println!(
        "report, nothing sent by hand, 2 GB log file: written in {:.1} ms ({} bytes), peak resident {} KiB",
        started.elapsed().as_secs_f64() * 1000.0,
        std::fs::metadata(&written).map(|m| m.len()).unwrap_or(0),
        peak_rss_kib()
    );
    let Some(Effect::Send { id, msg, delay_ms }) = app.on_action(Action::Send, now) else { panic!("no send") };
    let outcome = Outcome::Answered {
        status: 200,
        latency: Duration::from_millis(2),
        error_kind: None,
        upstream_ms: None,
        body: String::new(),
    };
    app.on_event(Event::Answer(Answer { id: id.clone(), sent_at: now, msg, delay_ms, burst: false, outcome }), now);
    append_lines_raw(&huge, &format!("\n{}", log_line(&id)));
    let started = Instant::now();
    let written = tui::io::report::write(&app, now + Duration::from_secs(1)).unwrap();
    let text = std::fs::read_to_string(&written).unwrap_or_default();
    println!(
        "report, one request sent by hand, 2 GB log file without newline before its line: written in {:.1} s, \
         its line found: {}, peak resident {} KiB",
        started.elapsed().as_secs_f64(),
        text.contains(&format!("request_id={id}")),
        peak_rss_kib()
    );
    // 256 MB of burst lines around the request's own line: what a long session leaves.
    let _ = std::fs::remove_file(&huge);
    let lines = dir.join("service-b.2026-11-24.log");
    append_lines(&lines, 128, "rprt-L2");
    append_lines_raw(&lines, &log_line(&id));
    append_lines(&lines, 128, "rprt-L3");
    let started = Instant::now();
    let written = tui::io::report::write(&app, now + Duration::from_secs(2)).unwrap();
    let text = std::fs::read_to_string(&written).unwrap_or_default();
    println!(
        "report, one request sent by hand among 256 MB of burst lines: written in {:.2} s ({:.0} MB/s), its line found: {}",
        started.elapsed().as_secs_f64(),
        256.0 / started.elapsed().as_secs_f64(),
        text.contains(&format!("request_id={id}")),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn append_lines_raw(path: &std::path::Path, text: &str) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
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
