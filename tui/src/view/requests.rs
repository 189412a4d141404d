//! The request list: one line per request (and a line per mark that explains
//! what follows), newest at the bottom, the selected one highlighted. Lines
//! rather than a table, so a mark's text can use the whole width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, MARK, OK, PENDING, fit};
use crate::model::Model;
use crate::model::requests::Entry;
use crate::msg::Outcome;
use unicode_width::UnicodeWidthStr;

use crate::text::{display_message, format_ms, millis, pad, sanitize, time_of_day, wrap_words};

/// Width of the message column: at least this, more on a wide terminal; on a
/// narrow panel it gives way first (to [`NARROW_MESSAGE`]), so the request id,
/// what the logs are searched by, is always shown whole.
const MIN_MESSAGE: usize = 8;
const NARROW_MESSAGE: usize = 3;
const MAX_MESSAGE: usize = 60;
/// Width of the time column: `12:00:01,400`, or `12:00:01` when narrow.
const TIME: usize = 12;
const NARROW_TIME: usize = 8;
/// Width of the other fixed columns: the selection, status, latency, with their spaces.
const FIXED_COLUMNS: usize = 2 + 1 + 1 + 6 + 1 + 8 + 1;

/// The widths of the columns that depend on what the list holds: the kind
/// as wide as `circuit_open` only once there is one, the request id as wide
/// as the longest (load and burst ids are longer), the message the rest.
#[derive(Clone, Copy)]
struct Columns {
    time: usize,
    message: usize,
    kind: usize,
    id: usize,
}

impl Columns {
    fn of(model: &Model, inner_width: usize) -> Columns {
        let (mut kind, mut id) = ("kind".len(), "request id".len());
        for entry in model.requests.entries() {
            if let Entry::Request(request) = entry {
                id = id.max(request.id.width());
                if let Some(outcome @ Outcome::Answered { error_kind: Some(error_kind), .. }) = &request.outcome {
                    kind = kind.max(error_kind.as_str().len() + usize::from(outcome.kind_guessed()));
                }
            }
        }
        // `B down` when B gave no answer.
        kind = kind.max("B down".len());
        let others = FIXED_COLUMNS + kind + 1 + id;
        let (time, min_message) = if others + TIME + MIN_MESSAGE <= inner_width {
            (TIME, MIN_MESSAGE)
        } else {
            (NARROW_TIME, NARROW_MESSAGE)
        };
        let message = inner_width.saturating_sub(others + time).clamp(min_message, MAX_MESSAGE);
        Columns { time, message, kind, id }
    }

    /// The time column's text: milliseconds only when there is room.
    fn time(self, at: time::OffsetDateTime) -> String {
        let text = time_of_day(at);
        format!("{:<width$}", text.get(..self.time).unwrap_or(&text), width = self.time)
    }
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let list = &model.requests;
    let following = if list.is_following() { "· following " } else { "· End: follow " };
    let mut title = vec![
        (fit::KEEP, Span::raw(" Requests ")),
        (fit::DETAIL, Span::raw(format!("· {} answered ", model.stats.answered()))),
        (fit::KEEP, Span::raw(following)),
    ];
    if let Some(load) = &model.load {
        let achieved = load.achieved().map_or_else(|| "…".to_owned(), |rate| format!("{rate:.1}"));
        let counted = model.session_log.running_load();
        title.extend([
            (fit::KEEP, Span::raw(format!("· load {}/s: {achieved}/s", load.rate))),
            (fit::DETAIL, Span::raw(format!(", {} in flight", load.in_flight(counted)))),
            (fit::CONTEXT, Span::raw(format!(", {} failed", counted.map_or(0, |load| load.failed())))),
            (fit::KEEP, Span::raw(if load.stopping { " (stopping) " } else { " (l stops) " })),
        ]);
    }
    let block = Block::bordered().title(fit::title(title, area.width));
    let inner = block.inner(area);
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let columns = Columns::of(model, usize::from(inner.width));
    // Build only the lines that fit, around the selection.
    let selected = list.selected_index();
    // Following, the newest entries are in view (marks after the selected request too).
    let last = if list.is_following() { list.entries().len().checked_sub(1) } else { selected };
    let end = last.map_or(0, |s| s + 1).max(height.min(list.entries().len()));
    let header = format!(
        "  {:<time$} {} {:>6} {:>8} {:<kind$} {:<id$}",
        if columns.time == TIME { "time (UTC)" } else { "UTC" },
        pad("message", columns.message),
        "status",
        "latency",
        "kind",
        "request id",
        time = columns.time,
        kind = columns.kind,
        id = columns.id,
    );
    let row_width = usize::from(inner.width).saturating_sub(2);
    let (mut rows, first) = rows_up_to(model, end, height, columns, row_width);
    // Long marks above the selection pushed it out: it goes at the bottom.
    if let Some(selected) = selected
        && selected < first
    {
        rows = rows_up_to(model, selected + 1, height, columns, row_width).0;
    }
    let mut lines = vec![Line::from(header).bold()];
    lines.extend(rows);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The rows of the entries before `end`, from the last up, as many as fit
/// in `height` (a long mark takes more than one: it is read whole, never cut
/// mid-word), and the index of the first entry shown.
fn rows_up_to(
    model: &Model,
    end: usize,
    height: usize,
    columns: Columns,
    row_width: usize,
) -> (Vec<Line<'static>>, usize) {
    let list = &model.requests;
    let selected = list.selected_index();
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut first = end;
    for index in (0..end).rev() {
        let room = height.saturating_sub(rows.len());
        let Some(entry) = list.entries().get(index).filter(|_| room > 0) else { break };
        // Work A did for nobody: said first on the request's own row.
        let orphaned = match entry {
            Entry::Request(request) => model.orphans.of(&request.id),
            Entry::Mark(_) => None,
        };
        let mut lines = render_entry(entry, columns, row_width, orphaned);
        for (row, line) in lines.iter_mut().enumerate() {
            let selected = Some(index) == selected;
            if selected {
                *line = std::mem::take(line).patch_style(Style::new().reversed());
            }
            let prefix = if selected && row == 0 { "▶ " } else { "  " };
            line.spans.insert(0, Span::raw(prefix));
        }
        // A long mark that does not fit whole is left out (its end alone
        // would read as nonsense); the one entry of a tiny panel shows its top.
        if lines.len() > room {
            if rows.is_empty() {
                lines.truncate(room);
                rows = lines;
                first = index;
            }
            break;
        }
        rows.splice(0..0, lines);
        first = index;
    }
    (rows, first)
}

/// An entry's rows (a request has one, a long mark more); `row_width`: the
/// row's; `orphaned`: A's line for the
/// request ended this many ms after B gave up.
fn render_entry(entry: &Entry, columns: Columns, row_width: usize, orphaned: Option<i64>) -> Vec<Line<'static>> {
    match entry {
        Entry::Mark(mark) => {
            let style = Style::new().fg(MARK).bold();
            // The time column, the rules on both sides.
            let text = sanitize(&mark.text);
            let indent = columns.time + 1;
            let mut parts = wrap_words(&text, row_width.saturating_sub(indent + 6)).into_iter();
            let first = parts.next().unwrap_or_default();
            let mut rows = vec![Line::from(vec![
                Span::raw(format!("{} ", columns.time(mark.at))),
                Span::styled(format!("── {first}"), style),
            ])];
            rows.extend(
                parts.map(|part| Line::from(vec![Span::raw(" ".repeat(indent + 3)), Span::styled(part, style)])),
            );
            if let Some(last) = rows.last_mut() {
                last.spans.push(Span::styled(" ──", style));
            }
            rows
        }
        Entry::Request(r) => {
            let message = display_message(&r.msg, r.delay_ms);
            let message = match orphaned {
                // Display only: a few seconds at most.
                #[allow(clippy::cast_precision_loss)]
                Some(after_ms) => format!("⚠A+{} {message}", format_ms(after_ms as f64)),
                None => message,
            };
            let message = pad(&sanitize(&message), columns.message);
            let (status, latency, kind, color) = match &r.outcome {
                None => ("…".to_owned(), "waiting".to_owned(), String::new(), PENDING),
                Some(outcome) => {
                    let kind = match outcome {
                        // `timeout?`: read from B's error text, not said by B.
                        Outcome::Answered { error_kind, .. } => error_kind
                            .map(|k| if outcome.kind_guessed() { format!("{k}?") } else { k.to_string() })
                            .unwrap_or_default(),
                        Outcome::NoAnswer { .. } => "B down".into(),
                    };
                    let color = if outcome.is_ok() { OK } else { ERROR };
                    let status = match outcome {
                        Outcome::Answered { status, .. } => status.to_string(),
                        Outcome::NoAnswer { .. } => "-".to_owned(),
                    };
                    (status, format_ms(millis(outcome.latency())), kind, color)
                }
            };
            vec![Line::from(vec![
                Span::raw(format!("{} {message} ", columns.time(r.sent_at))),
                Span::styled(format!("{status:>6} "), Style::new().fg(color)),
                Span::raw(format!("{latency:>8} ")),
                Span::styled(format!("{kind:<width$} ", width = columns.kind), Style::new().fg(color)),
                Span::styled(r.id.clone(), Style::new().fg(DIM)),
            ])]
        }
    }
}
