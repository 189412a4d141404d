//! The request list: one line per request (and a line per event that explains
//! what follows), newest at the bottom, the selected one highlighted. Lines
//! rather than a table, so an event's text can use the whole width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, MARKER, OK, PENDING};
use crate::app::{self, App};
use crate::event::Outcome;
use crate::report::{display_message, time_of_day};

/// Width of the message column.
const MESSAGE: usize = 16;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let following = if app.selected.is_none() { "following" } else { "End: follow" };
    let block = Block::bordered().title(format!(" Requests ({} answered, {following}) ", app.stats.total));
    let height = usize::from(block.inner(area).height.saturating_sub(1)).max(1);
    // Build only the lines that fit, around the selection.
    let selected = app.selected_index();
    let end = selected.map_or(0, |s| s + 1).max(height.min(app.rows.len()));
    let start = end.saturating_sub(height);
    let header = format!(
        "  {:<12} {:<MESSAGE$} {:>6} {:>9}  {:<8} {}",
        "time (UTC)", "message", "status", "latency", "kind", "request id"
    );
    let mut lines = vec![Line::from(header).bold()];
    for (index, row) in app.rows.range(start..end.min(app.rows.len())).enumerate() {
        let mut line = render_row(row);
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

fn render_row(entry: &app::Row) -> Line<'static> {
    match entry {
        app::Row::Marker(marker) => Line::from(vec![
            Span::raw(format!("{:<12} ", marker.at.map(time_of_day).unwrap_or_default())),
            Span::styled(format!("── {} ──", marker.text), Style::new().fg(MARKER).bold()),
        ]),
        app::Row::Request(r) => {
            let message = clip(&crate::logtail::sanitize(&display_message(&r.msg, r.delay_ms)), MESSAGE);
            let (status, latency, kind, color) = match &r.outcome {
                None => ("…".to_owned(), "waiting".to_owned(), String::new(), PENDING),
                Some(outcome) => {
                    let kind = match outcome {
                        Outcome::Answered { error_kind, .. } => error_kind.map(|k| k.to_string()).unwrap_or_default(),
                        Outcome::NoAnswer { .. } => "B down".into(),
                    };
                    let color = if outcome.is_ok() { OK } else { ERROR };
                    (outcome.status_label(), format_ms(outcome.latency().as_secs_f64() * 1000.0), kind, color)
                }
            };
            let status = if status == "no answer" { "-".to_owned() } else { status };
            Line::from(vec![
                Span::raw(format!("{:<12} {message:<MESSAGE$} ", time_of_day(r.sent_at))),
                Span::styled(format!("{status:>6} "), Style::new().fg(color)),
                Span::raw(format!("{latency:>9}  ")),
                Span::styled(format!("{kind:<8} "), Style::new().fg(color)),
                Span::styled(r.id.clone(), Style::new().fg(DIM)),
            ])
        }
    }
}

/// `text` cut to `width` characters, with `…` when cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(width - 1).collect();
    clipped.push('…');
    clipped
}

/// `0.8 ms`, `12 ms`, `1003 ms`.
pub fn format_ms(ms: f64) -> String {
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}
