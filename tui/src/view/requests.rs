//! The request list: one line per request (and a line per mark that explains
//! what follows), newest at the bottom, the selected one highlighted. Lines
//! rather than a table, so a mark's text can use the whole width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, MARK, OK, PENDING};
use crate::model::Model;
use crate::model::requests::Entry;
use crate::msg::Outcome;
use crate::text::{display_message, format_ms, millis, pad, sanitize, time_of_day};

/// Width of the message column: at least this, more on a wide terminal.
const MIN_MESSAGE: usize = 12;
const MAX_MESSAGE: usize = 60;
/// Width of the request id column: the dashboard's ids, load and burst ones
/// included (`3e8f-S123-000042`), fit whole.
const ID_COLUMN: usize = 17;
/// Width of the other columns, the request id included.
const OTHER_COLUMNS: usize = 2 + 12 + 1 + 1 + 6 + 1 + 9 + 2 + 8 + 1 + ID_COLUMN;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let list = &model.requests;
    let following = if list.is_following() { "following" } else { "End: follow" };
    let mut title = format!(" Requests ({} answered, {following}) ", model.stats.answered());
    if let Some(load) = &model.load {
        let achieved = load.achieved().map_or_else(|| "…".to_owned(), |rate| format!("{rate:.1}"));
        let counted = model.session_log.running_load();
        title.push_str(&format!(
            "· load {}/s: {achieved}/s, {} in flight, {} failed{} ",
            load.rate,
            load.in_flight(counted),
            counted.map_or(0, |load| load.failed()),
            if load.stopping { " (stopping)" } else { " (l stops)" }
        ));
    }
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let width = usize::from(inner.width).saturating_sub(OTHER_COLUMNS).clamp(MIN_MESSAGE, MAX_MESSAGE);
    // Build only the lines that fit, around the selection.
    let selected = list.selected_index();
    // Following, the newest entries are in view (marks after the selected request too).
    let last = if list.is_following() { list.entries().len().checked_sub(1) } else { selected };
    let end = last.map_or(0, |s| s + 1).max(height.min(list.entries().len()));
    let start = end.saturating_sub(height);
    let header = format!(
        "  {:<12} {} {:>6} {:>9}  {:<8} {}",
        "time (UTC)",
        pad("message", width),
        "status",
        "latency",
        "kind",
        "request id"
    );
    let mut lines = vec![Line::from(header).bold()];
    for (index, entry) in list.entries().range(start..end).enumerate() {
        // Work A did for nobody: said first on the request's own row.
        let orphaned = match entry {
            Entry::Request(request) => model.orphans.of(&request.id),
            Entry::Mark(_) => None,
        };
        let mut line = render_entry(entry, width, orphaned);
        if Some(start + index) == selected {
            line = line.patch_style(Style::new().reversed());
            line.spans.insert(0, Span::raw("▶ "));
        } else {
            line.spans.insert(0, Span::raw("  "));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One row; `orphaned`: A's line for it ended this many ms after B gave up.
fn render_entry(entry: &Entry, width: usize, orphaned: Option<i64>) -> Line<'static> {
    match entry {
        Entry::Mark(mark) => Line::from(vec![
            Span::raw(format!("{:<12} ", time_of_day(mark.at))),
            Span::styled(format!("── {} ──", mark.text), Style::new().fg(MARK).bold()),
        ]),
        Entry::Request(r) => {
            let message = display_message(&r.msg, r.delay_ms);
            let message = match orphaned {
                // Display only: a few seconds at most.
                #[allow(clippy::cast_precision_loss)]
                Some(after_ms) => format!("⚠A+{} {message}", format_ms(after_ms as f64)),
                None => message,
            };
            let message = pad(&sanitize(&message), width);
            let (status, latency, kind, color) = match &r.outcome {
                None => ("…".to_owned(), "waiting".to_owned(), String::new(), PENDING),
                Some(outcome) => {
                    let kind = match outcome {
                        Outcome::Answered { error_kind, .. } => error_kind.map(|k| k.to_string()).unwrap_or_default(),
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
            Line::from(vec![
                Span::raw(format!("{:<12} {message} ", time_of_day(r.sent_at))),
                Span::styled(format!("{status:>6} "), Style::new().fg(color)),
                Span::raw(format!("{latency:>9}  ")),
                Span::styled(format!("{kind:<8} "), Style::new().fg(color)),
                Span::styled(r.id.clone(), Style::new().fg(DIM)),
            ])
        }
    }
}
