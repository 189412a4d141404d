//! The numbers panel: latency percentiles over the recent window, and the
//! session's counts by status and by B's error kind.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, MARK, OK, fit};
use contract::ErrorKind;

use crate::model::Model;
use crate::model::work::{WINDOW_SECONDS, ratio};
use crate::text::format_ms;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let [latency, statuses, _] = lines(model);
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = vec![latency, statuses];
    lines.extend(kinds_lines(model, width));
    // Kinds on two rows leave one for the work: its counts on one fitted line.
    if lines.len() + 2 <= usize::from(area.height.saturating_sub(2)) {
        lines.extend([work_line(model), duplicates_line(model)]);
    } else {
        // What happened stays; the windows and the zeros give way first.
        let mut spans = work_line(model).spans.into_iter();
        let mut parts: Vec<(u8, Span<'static>)> = spans.by_ref().take(2).map(|span| (fit::KEEP, span)).collect();
        parts.extend(spans.next().map(|windows| (fit::DETAIL, windows)));
        let orphans = if model.orphans.count > 0 { fit::KEEP } else { fit::CONTEXT };
        parts.extend(spans.map(|span| (orphans, span)));
        parts.extend(duplicates_compact(model).map(|span| (fit::KEEP, span)));
        lines.push(fit::fit(parts, width));
    }
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title(model, area.width))), area);
}

/// Every error kind with its count; when they do not all fit, the kinds that
/// did not happen give way, then the label, then the spacing; what still
/// does not fit (five kinds with big counts) goes on a second row.
fn kinds_lines(model: &Model, width: usize) -> Vec<Line<'static>> {
    let kinds = |gap: &str| {
        model
            .stats
            .error_kind_counts()
            .filter(|(kind, count)| *count > 0 || *kind != ErrorKind::CircuitOpen)
            .map(|(kind, count)| {
                let (rank, color) = if count > 0 { (fit::KEEP, ERROR) } else { (fit::DETAIL, DIM) };
                (rank, Span::styled(format!("{kind} {count}{gap}"), Style::new().fg(color)))
            })
            .collect::<Vec<_>>()
    };
    for gap in ["  ", " "] {
        let mut parts = vec![(fit::CONTEXT, Span::raw(" error kind")), (fit::KEEP, Span::raw(" "))];
        parts.extend(kinds(gap));
        let line = fit::fit(parts, width);
        if line.width() <= width {
            return vec![line];
        }
    }
    // Only the kinds that happened, on as many rows as they need (two at most:
    // there are five kinds).
    let mut rows = vec![Line::raw(" ")];
    for (rank, span) in kinds(" ") {
        if rank != fit::KEEP {
            continue;
        }
        let row = rows.last_mut().expect("a row");
        if row.width() + span.width() > width && row.width() > 1 {
            rows.push(Line::from(vec![Span::raw(" "), span]));
        } else {
            row.spans.push(span);
        }
    }
    rows
}

/// A's work per request to B, from both logs: over the last seconds (what
/// the policy does now) and the session.
fn work_line(model: &Model) -> Line<'static> {
    let (a, b) = model.work.recent(model.clock);
    let (total_a, total_b) = model.work.total;
    let recent = ratio(a, b);
    let color = if b > 0 && a > b { ERROR } else { Color::Reset };
    Line::from(vec![
        Span::raw(" A per B "),
        Span::styled(recent, Style::new().fg(color).bold()),
        Span::styled(format!(" ({WINDOW_SECONDS} s) {} (all)", ratio(total_a, total_b)), Style::new().fg(DIM)),
        orphaned(model),
    ])
}

/// Work A did twice for one request, work done for requests B said failed,
/// and answers A gave from memory (dedup).
fn duplicates_line(model: &Model) -> Line<'static> {
    let work = &model.duplicates;
    let style = |count: u64| if count > 0 { Style::new().fg(MARK).bold() } else { Style::new().fg(DIM) };
    Line::from(vec![
        Span::styled(format!(" work twice {}", work.duplicated), style(work.duplicated)),
        Span::styled(format!(" · done, B timed out {}", work.done_but_timed_out), style(work.done_but_timed_out)),
        Span::styled(format!(" · dedup hit {}", work.from_memory), style(work.from_memory)),
    ])
}

/// The work counts that are not zero, for the compact line.
fn duplicates_compact(model: &Model) -> Option<Span<'static>> {
    let work = &model.duplicates;
    let parts: Vec<String> =
        [("work twice", work.duplicated), ("after timeout", work.done_but_timed_out), ("dedup", work.from_memory)]
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(what, count)| format!("{what} {count}"))
            .collect();
    (!parts.is_empty()).then(|| Span::styled(format!(" · {}", parts.join(", ")), Style::new().fg(MARK).bold()))
}

/// Requests A worked on after B had given up.
fn orphaned(model: &Model) -> Span<'static> {
    let count = model.orphans.count;
    let style = if count > 0 { Style::new().fg(MARK).bold() } else { Style::new().fg(DIM) };
    Span::styled(format!(" · orphaned {count}"), style)
}

/// The same numbers on two lines, for a narrow terminal: the latency and
/// the statuses, then what went wrong (the error kinds that happened, A's
/// work per B request, orphaned and repeated work).
pub fn draw_compact(frame: &mut Frame, area: Rect, model: &Model) {
    let width = usize::from(area.width.saturating_sub(2));
    let [latency, statuses, kinds] = lines(model);
    let mut first: Vec<(u8, Span<'static>)> = latency.spans.into_iter().map(|span| (fit::KEEP, span)).collect();
    if statuses.spans.len() > 1 {
        first.push((fit::KEEP, Span::raw(" · ")));
        first.extend(statuses.spans.into_iter().skip(1).map(|span| (fit::CONTEXT, span)));
    }
    // The kinds that happened, two spaces apart, none after the last.
    let mut happened: Vec<Span<'static>> =
        kinds.spans.into_iter().skip(1).filter(|span| !span.content.ends_with(" 0  ")).collect();
    if let Some(last) = happened.last_mut() {
        last.content = last.content.trim_end().to_owned().into();
    }
    let mut second: Vec<(u8, Span<'static>)> = vec![(fit::KEEP, Span::raw(" "))];
    if happened.is_empty() {
        second.push((fit::KEEP, Span::styled("no errors", Style::new().fg(DIM))));
    }
    second.extend(happened.into_iter().map(|span| (fit::KEEP, span)));
    let (a, b) = model.work.recent(model.clock);
    if b > 0 {
        second.push((fit::CONTEXT, Span::raw(format!(" · A per B {}", ratio(a, b)))));
    }
    if model.orphans.count > 0 {
        second.push((fit::CONTEXT, orphaned(model)));
    }
    second.extend(duplicates_compact(model).map(|span| (fit::DETAIL, span)));
    let lines = vec![fit::fit(first, width), fit::fit(second, width)];
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title(model, area.width))), area);
}

/// What the numbers are drawn from; on a narrow panel the calls B never
/// answered stay, the window gives way.
fn title(model: &Model, width: u16) -> Line<'static> {
    let p = model.stats.percentiles();
    let stats = &model.stats;
    let mut parts = vec![
        (fit::KEEP, Span::raw(" Numbers ")),
        (fit::DETAIL, Span::raw(format!("(last {} of {} answers) ", p.count, stats.answered()))),
    ];
    if stats.no_answer > 0 {
        let calls = if stats.no_answer == 1 { "call" } else { "calls" };
        parts.push((fit::KEEP, Span::raw(format!("· {} {calls} B never answered ", stats.no_answer))));
    }
    fit::title(parts, width)
}

fn lines(model: &Model) -> [Line<'static>; 3] {
    let p = model.stats.percentiles();
    let latency = if p.count == 0 {
        Line::from(" no answers yet").fg(DIM)
    } else {
        Line::from(format!(
            " p50 {}  p90 {}  p99 {}  max {}",
            format_ms(p.p50),
            format_ms(p.p90),
            format_ms(p.p99),
            format_ms(p.max)
        ))
    };
    let mut statuses = vec![Span::raw(" status ")];
    for (status, count) in &model.stats.by_status {
        let color = if status.starts_with('2') { OK } else { ERROR };
        statuses.push(Span::styled(format!("{status}×{count} "), Style::new().fg(color)));
    }
    let mut kinds = vec![Span::raw(" error kind ")];
    // circuit_open only once it happened: it needs the breaker on.
    for (kind, count) in
        model.stats.error_kind_counts().filter(|(kind, count)| *count > 0 || *kind != ErrorKind::CircuitOpen)
    {
        let color = if count > 0 { ERROR } else { DIM };
        kinds.push(Span::styled(format!("{kind} {count}  "), Style::new().fg(color)));
    }
    [latency, Line::from(statuses), Line::from(kinds)]
}
