//! The benchmarks of the dashboard's work on files: the log follower, a
//! line's way to the screen, and the report over a huge log file.

use std::io::Write;
use std::time::{Duration, Instant};

use contract::Service;
use time::OffsetDateTime;

use tui::cli::Settings;
use tui::io::tail::{self, LogTail, POLL_INTERVAL};
use tui::model::Model;
use tui::msg::{Answer, Event, LogLine, Outcome};

use crate::{cpu_time, peak_rss_kib, rss_kib};

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

pub fn follower(dir: &str) {
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

pub fn report(dir: &str) {
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

pub fn line_latency(dir: &str) {
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
