//! The session report (`r`): a Markdown file in the log directory that tells
//! the session from [`SessionLog`](crate::model::session::SessionLog), the
//! lab's "success and failure proof": the numbers, the timeline of marks and
//! requests sent by hand, each load and burst summarised, and every request
//! sent by hand with both services' log lines.
//!
//! Reading the logs costs only what the report needs: nothing when nothing was
//! sent by hand, no file last written before the first such request, one
//! bounded line at a time (the rest of an over-long line is skipped), and only
//! lines that can hold a wanted id are parsed. Everything the learner typed and
//! every log line goes through [`crate::markdown`].

mod deliverable;
mod files;
mod json;
mod logs;

pub use files::{writable, write, write_lab};
mod questions;

pub use logs::collect_log_lines;

use std::collections::HashMap;
use std::fmt::Write as _;

use contract::Service;
use time::OffsetDateTime;

use crate::markdown::{self, cell_code, code};
use crate::model::Model;
use crate::model::policy::on_off;
use crate::model::requests::{Mark, SentRequest};
use crate::model::session::{BurstSummary, LoadKind};
use crate::model::verdict::{Verdict, VerdictKind};
use crate::msg::Outcome;
use crate::text::{display_message, format_ms, millis, time_of_day, timestamp};

/// The report's Markdown.
pub fn render(model: &Model, generated_at: OffsetDateTime, logs: &HashMap<String, Vec<(Service, String)>>) -> String {
    render_with(model, generated_at, logs, &[])
}

/// The report's Markdown, with the verdicts of `tui lab` first when it ran.
pub fn render_with(
    model: &Model,
    generated_at: OffsetDateTime,
    logs: &HashMap<String, Vec<(Service, String)>>,
    verdicts: &[Verdict],
) -> String {
    let mut md = String::new();
    header(&mut md, model, generated_at);
    experiments(&mut md, verdicts);
    deliverable::distributed(&mut md, model, logs, verdicts);
    deliverable::checklist(&mut md, model, verdicts);
    summary(&mut md, model);
    questions::write(&mut md, model, logs);
    deliverable::retries(&mut md, model, logs);
    timeline(&mut md, model, if verdicts.is_empty() { "the learner" } else { "`tui lab`" });
    loads(&mut md, model.session_log.bursts.iter());
    manual(&mut md, model, logs);
    md
}

fn header(md: &mut String, model: &Model, generated_at: OffsetDateTime) {
    let settings = &model.settings;
    let _ = writeln!(md, "# Services A and B: session report\n");
    let _ = writeln!(md, "- Generated: {} UTC", timestamp(generated_at));
    let _ = writeln!(md, "- Service A: {}", code(model.service(Service::A).url.as_str()));
    let policy = match model.policy.policy() {
        Some(p) => format!(
            "call policy at the end: timeout {} ms, retries {}, breaker {}, deadline {}",
            p.timeout_ms,
            p.retries,
            on_off(p.breaker),
            on_off(p.deadline)
        ),
        None => format!("timeout for A: {} ms", settings.timeout_ms),
    };
    let _ = writeln!(md, "- Service B: {} ({policy})", code(model.service(Service::B).url.as_str()));
    let _ = writeln!(md, "- Log directory: {}", code(&settings.log_dir.display().to_string()));
    if let Some(Ok(api)) = &model.link.api {
        let _ = writeln!(md, "- The link's toxiproxy API: {}", code(api));
    }
    for service in Service::ALL {
        if let Some(offset) = model.clocks.offset(service).filter(crate::model::clocks::Offset::is_off) {
            let _ = writeln!(
                md,
                "- Clocks: {} (the traces below are corrected)",
                markdown::text(&offset.describe(service))
            );
        }
    }
    let _ = writeln!(
        md,
        "- Seed of the link's and A's chance: {} (start with `--seed {}` to lose the same requests again)\n",
        settings.seed, settings.seed
    );
}

/// What `tui lab` concluded, one row per experiment.
fn experiments(md: &mut String, verdicts: &[Verdict]) {
    if verdicts.is_empty() {
        return;
    }
    let count = |kind: VerdictKind| verdicts.iter().filter(|v| v.kind == kind).count();
    let (passed, failed, skipped, not_run) =
        (count(VerdictKind::Pass), count(VerdictKind::Fail), count(VerdictKind::Skip), count(VerdictKind::NotRun));
    let _ = writeln!(md, "## The lab's experiments (`tui lab`)\n");
    let _ = writeln!(
        md,
        "{} experiments: {passed} passed, {failed} failed, {skipped} skipped{}{}.\n",
        verdicts.len(),
        if skipped > 0 { " (what this implementation does not support)" } else { "" },
        if not_run > 0 { format!(", {not_run} not run: **the lab was interrupted**") } else { String::new() }
    );
    let _ = writeln!(md, "| experiment | verdict | what showed it | requests |\n| --- | --- | --- | --- |");
    for verdict in verdicts {
        let ids: Vec<String> = verdict.request_ids.iter().map(|id| cell_code(id)).collect();
        let _ = writeln!(
            md,
            "| {} ({}) | {} | {} | {} |",
            markdown::text(verdict.title),
            cell_code(verdict.name),
            verdict.kind.as_str().to_uppercase(),
            markdown::text(&verdict.detail),
            ids.join(" ")
        );
    }
    md.push('\n');
}

fn summary(md: &mut String, model: &Model) {
    let stats = &model.stats;
    let p = stats.percentiles();
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(
        md,
        "{} requests ended: {} answered by B, {} without an answer.\n",
        stats.total,
        stats.answered(),
        stats.no_answer
    );
    let _ = writeln!(md, "| status | requests |\n| --- | ---: |");
    for (status, count) in &stats.by_status {
        let _ = writeln!(md, "| {} | {count} |", markdown::text(status));
    }
    let _ = writeln!(md, "\n| error kind | requests |\n| --- | ---: |");
    for (kind, count) in stats.error_kind_counts() {
        let _ = writeln!(md, "| {kind} | {count} |");
    }
    let _ = writeln!(
        md,
        "\nLatency over the last {} answers: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.\n",
        p.count, p.p50, p.p90, p.p99, p.max
    );
    let s = stats.session_percentiles();
    if s.count > 0 {
        let _ = writeln!(
            md,
            "Over the whole session ({} answers): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms.\n",
            s.count, s.p50, s.p90, s.p99, s.p999, s.max
        );
    }
}

/// Marks and requests sent by hand, merged in time order (a mark first when
/// both have the same time: it explains what follows).
fn timeline(md: &mut String, model: &Model, who: &str) {
    let log = &model.session_log;
    let _ = writeln!(md, "## Timeline\n");
    if log.marks.is_empty() && log.manual.is_empty() {
        let _ = writeln!(md, "Nothing happened yet.\n");
        return;
    }
    let _ = writeln!(md, "What {who} did and what happened, with each request sent by hand.\n");
    let _ = writeln!(md, "| time (UTC) | what | request id |\n| --- | --- | --- |");
    let mut marks = log.marks.iter().peekable();
    let mut requests = log.manual.iter().peekable();
    let mut last_mark: Option<&str> = None;
    loop {
        let mark_first = match (marks.peek(), requests.peek()) {
            (None, None) => break,
            (Some(mark), Some(request)) => mark.at <= request.sent_at,
            (mark, _) => mark.is_some(),
        };
        if mark_first {
            if let Some(Mark { at, text, .. }) = marks.next().map(|mark| &**mark) {
                // The same thing said again with nothing between is said once.
                if last_mark != Some(text.as_str()) {
                    let _ = writeln!(md, "| {} | **{}** | |", time_of_day(*at), markdown::text(text));
                }
                last_mark = Some(text.as_str());
            }
        } else if let Some(request) = requests.next() {
            last_mark = None;
            let (status, latency, kind) = outcome_cells(request.outcome.as_ref());
            let answer = [status, kind, latency].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>();
            let _ = writeln!(
                md,
                "| {} | sent {}: {} | {} |",
                time_of_day(request.sent_at),
                message(request),
                answer.join(", "),
                cell_code(&request.id)
            );
        }
    }
    md.push('\n');
}

fn loads<'a>(md: &mut String, loads: impl ExactSizeIterator<Item = &'a BurstSummary>) {
    let _ = writeln!(md, "## Loads and bursts\n");
    if loads.len() == 0 {
        let _ = writeln!(md, "No load or burst was run.\n");
        return;
    }
    let _ = writeln!(
        md,
        "Each load's answers counted; latency percentiles of the answers B gave.\n\n\
         | started – ended (UTC) | load | requests | answered | status | errors by kind | p50 / p90 / p99 / max | first id | last id |\n\
         | --- | --- | ---: | ---: | --- | --- | --- | --- | --- |"
    );
    for load in loads {
        let what = match load.kind {
            LoadKind::Burst => format!("burst, {} at a time", load.concurrency),
            LoadKind::Steady { rate } => format!("steady, {rate}/s"),
        };
        let state = if load.cancelled {
            " (cancelled)"
        } else if load.ended_at.is_none() {
            " (still running)"
        } else {
            ""
        };
        let ended = load.ended_at.map(time_of_day).unwrap_or_default();
        let counts = |pairs: Vec<(String, u64)>| {
            if pairs.is_empty() {
                "none".to_owned()
            } else {
                pairs.iter().map(|(what, n)| format!("{}: {n}", markdown::text(what))).collect::<Vec<_>>().join(", ")
            }
        };
        let statuses = counts(load.by_status.iter().map(|(s, n)| (s.clone(), *n)).collect());
        let errors = counts(load.by_error_kind.iter().map(|(k, n)| (k.to_string(), *n)).collect());
        let p = load.percentiles();
        let latency = if p.count == 0 {
            "no answers".to_owned()
        } else {
            format!("{} / {} / {} / {}", format_ms(p.p50), format_ms(p.p90), format_ms(p.p99), format_ms(p.max))
        };
        let id = |id: &Option<String>| id.as_deref().map(cell_code).unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} – {ended} | {what}{state} | {} | {} | {statuses} | {errors} | {latency} | {} | {} |",
            time_of_day(load.started_at),
            load.requests,
            load.answered,
            id(&load.first_id),
            id(&load.last_id),
        );
    }
    md.push('\n');
}

fn manual(md: &mut String, model: &Model, logs: &HashMap<String, Vec<(Service, String)>>) {
    let requests = &model.session_log.manual;
    let _ = writeln!(md, "## Requests sent by hand\n");
    if requests.is_empty() {
        let _ = writeln!(md, "No request was sent by hand.\n");
        return;
    }
    let _ = writeln!(
        md,
        "The number in an id counts everything the dashboard started: a gap in these is the number \
         of a burst (its ids read `L25-…`) or a steady load (`S28-…`).\n"
    );
    request_table(md, requests.iter());

    let _ = writeln!(md, "\n## Log lines of each request sent by hand\n");
    let _ = writeln!(md, "Every line both services wrote with the request's id, from the log files, in time order.\n");
    for request in requests.iter() {
        let _ = writeln!(md, "### {}: {}\n", code(&request.id), message(request));
        match logs.get(&request.id) {
            Some(lines) => {
                let _ = writeln!(md, "{}", markdown::code_block("text", lines.iter().map(|(_, line)| line.as_str())));
            }
            None => {
                let _ = writeln!(md, "_{}_\n", no_line_because(model));
            }
        }
    }
}

/// A table of requests: time, message, status, latency, error kind, id.
fn request_table<'a>(md: &mut String, requests: impl Iterator<Item = &'a SentRequest>) {
    let _ = writeln!(md, "| time (UTC) | message | status | latency | error kind | request id |");
    let _ = writeln!(md, "| --- | --- | ---: | ---: | --- | --- |");
    for request in requests {
        let (status, latency, kind) = outcome_cells(request.outcome.as_ref());
        let _ = writeln!(
            md,
            "| {} | {} | {status} | {latency} | {kind} | {} |",
            time_of_day(request.sent_at),
            message(request),
            cell_code(&request.id)
        );
    }
}

/// The message as the learner typed it (with its delay), escaped.
fn message(request: &SentRequest) -> String {
    markdown::text(&display_message(&request.msg, request.delay_ms))
}

/// Status, latency and error kind of an outcome, escaped for a table cell.
fn outcome_cells(outcome: Option<&Outcome>) -> (String, String, String) {
    match outcome {
        None => ("pending".to_owned(), String::new(), String::new()),
        Some(outcome @ Outcome::Answered { error_kind, .. }) => (
            markdown::text(&outcome.status_label()),
            format!("{:.1} ms", millis(outcome.latency())),
            // `timeout (read from B's error text)`: B did not say it.
            error_kind
                .map(|k| if outcome.kind_guessed() { format!("{k} (read from B's error text)") } else { k.to_string() })
                .unwrap_or_default(),
        ),
        Some(outcome @ Outcome::NoAnswer { error, .. }) => (
            markdown::text(&outcome.status_label()),
            format!("{:.1} ms", millis(outcome.latency())),
            markdown::text(error),
        ),
    }
}

/// Why no log line has a request's id: the services log none, or the logs are elsewhere.
pub(super) fn no_line_because(model: &Model) -> String {
    let without: Vec<&str> = contract::Service::ALL
        .into_iter()
        .filter(|service| model.no_ids_said[service.index()])
        .map(contract::Service::name)
        .collect();
    if without.is_empty() {
        "No log line has this id (yet): the logs may be in another directory.".to_owned()
    } else {
        format!("No log line has this id: {}'s request lines carry no request_id.", without.join(" and "))
    }
}
