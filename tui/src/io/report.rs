//! The session report (`r`): a Markdown file in the log directory with every
//! request of the session, a summary, and each request's log lines from both
//! services: the lab's "success and failure proof".

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use contract::{LogRecord, Service, files};
use time::OffsetDateTime;

use crate::model::Model;
use crate::model::requests::Entry;
use crate::msg::Outcome;
use crate::text::{display_message, file_stamp, millis, sanitize, time_of_day, timestamp};

/// Requests listed one by one (the summary counts all of them).
pub const MAX_LISTED: usize = 500;

/// The log lines of each request id, from both services' files in `dir`.
pub fn collect_log_lines(dir: &Path, ids: &HashSet<String>) -> HashMap<String, Vec<(Service, String)>> {
    let mut found: HashMap<String, Vec<(Service, String)>> = HashMap::new();
    for service in Service::ALL {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| files::is_log_file_of(service, &e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths {
            // Line by line: after a long load test the files are far bigger than the report.
            let Ok(file) = std::fs::File::open(&path) else { continue };
            for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
                let Ok(record) = LogRecord::parse(&line) else { continue };
                if let Some(id) = record.get("request_id").filter(|id| ids.contains(*id)) {
                    found.entry(id.to_owned()).or_default().push((service, sanitize(&line)));
                }
            }
        }
    }
    for lines in found.values_mut() {
        // Both services' lines in time order (the timestamp leads each line).
        lines.sort_by(|a, b| a.1.cmp(&b.1));
    }
    found
}

/// The report's Markdown.
pub fn render(model: &Model, generated_at: OffsetDateTime, logs: &HashMap<String, Vec<(Service, String)>>) -> String {
    let mut md = String::new();
    let settings = &model.settings;
    let _ = writeln!(md, "# Services A and B: session report\n");
    let _ = writeln!(md, "- Generated: {} UTC", timestamp(generated_at));
    let _ = writeln!(md, "- Service A: `{}`", model.service(Service::A).url);
    let _ =
        writeln!(md, "- Service B: `{}` (timeout for A: {} ms)", model.service(Service::B).url, settings.timeout_ms);
    let _ = writeln!(md, "- Log directory: `{}`\n", settings.log_dir.display());

    let p = model.stats.percentiles();
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(md, "{} requests answered.\n", model.stats.total);
    let _ = writeln!(md, "| status | requests |\n| --- | ---: |");
    for (status, count) in &model.stats.by_status {
        let _ = writeln!(md, "| {status} | {count} |");
    }
    let _ = writeln!(md, "\n| error kind | requests |\n| --- | ---: |");
    for (kind, count) in model.stats.error_kind_counts() {
        let _ = writeln!(md, "| {kind} | {count} |");
    }
    let _ = writeln!(
        md,
        "\nLatency over the last {} requests: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.\n",
        p.count, p.p50, p.p90, p.p99, p.max
    );

    let _ = writeln!(md, "## Timeline\n");
    let requests: Vec<&Entry> = model.requests.entries().iter().collect();
    let skipped = requests.len().saturating_sub(MAX_LISTED);
    if skipped > 0 {
        let _ = writeln!(md, "The first {skipped} rows are left out; the newest {MAX_LISTED} follow.\n");
    }
    let _ = writeln!(md, "| time (UTC) | message | status | latency | error kind | request id |");
    let _ = writeln!(md, "| --- | --- | ---: | ---: | --- | --- |");
    for row in &requests[skipped..] {
        match row {
            Entry::Mark(mark) => {
                let _ = writeln!(md, "| {} | **{}** | | | | |", time_of_day(mark.at), cell(&mark.text));
            }
            Entry::Request(r) => {
                let (status, latency, kind) = match &r.outcome {
                    None => ("pending".to_owned(), String::new(), String::new()),
                    Some(outcome @ Outcome::Answered { error_kind, .. }) => (
                        outcome.status_label(),
                        format!("{:.1} ms", millis(outcome.latency())),
                        error_kind.map(|k| k.to_string()).unwrap_or_default(),
                    ),
                    Some(outcome @ Outcome::NoAnswer { error, .. }) => {
                        (outcome.status_label(), format!("{:.1} ms", millis(outcome.latency())), cell(error))
                    }
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {status} | {latency} | {kind} | `{}` |",
                    time_of_day(r.sent_at),
                    cell(&display_message(&r.msg, r.delay_ms)),
                    r.id
                );
            }
        }
    }

    let _ = writeln!(md, "\n## Log lines of each request\n");
    let _ = writeln!(md, "Every line both services wrote with the request's id, from the log files.\n");
    for row in &requests[skipped..] {
        let Entry::Request(r) = row else { continue };
        if r.burst {
            continue;
        }
        let _ = writeln!(md, "### `{}`: {}\n", r.id, cell(&display_message(&r.msg, r.delay_ms)));
        match logs.get(&r.id) {
            Some(lines) => {
                let _ = writeln!(md, "```text");
                for (_, line) in lines {
                    let _ = writeln!(md, "{}", line.replace("```", "'''"));
                }
                let _ = writeln!(md, "```\n");
            }
            None => {
                let _ = writeln!(md, "_No log line has this id (yet): the logs may be in another directory._\n");
            }
        }
    }
    md
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    sanitize(text).replace('|', "\\|").replace('`', "'")
}

/// Writes the report for `app` into its log directory; returns its path.
pub fn write(model: &Model, now: OffsetDateTime) -> std::io::Result<PathBuf> {
    let ids: HashSet<String> = model
        .requests
        .entries()
        .iter()
        .rev()
        .take(MAX_LISTED)
        .filter_map(|row| match row {
            Entry::Request(r) if !r.burst => Some(r.id.clone()),
            _ => None,
        })
        .collect();
    let logs = collect_log_lines(&model.settings.log_dir, &ids);
    let text = render(model, now, &logs);
    std::fs::create_dir_all(&model.settings.log_dir)?;
    let path = model.settings.log_dir.join(format!("report-{}.md", file_stamp(now)));
    std::fs::write(&path, text)?;
    Ok(path)
}
