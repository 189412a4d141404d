//! The request list: one row per request (and a row per event that explains
//! what follows), newest at the bottom, the selected one highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::{DIM, ERROR, MARKER, OK, PENDING};
use crate::app::{self, App};
use crate::event::Outcome;
use crate::report::{display_message, time_of_day};

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let following = if app.selected.is_none() { "following" } else { "End: follow" };
    let block = Block::bordered().title(format!(" Requests ({} answered, {following}) ", app.stats.total));
    let height = usize::from(block.inner(area).height.saturating_sub(1)).max(1);
    // Build only the rows that fit, around the selection.
    let selected = app.selected_index();
    let end = selected.map_or(0, |s| s + 1).max(height.min(app.rows.len()));
    let start = end.saturating_sub(height);
    let rows = app.rows.range(start..end.min(app.rows.len())).map(row);
    let header = Row::new(["time (UTC)", "message", "status", "latency", "error kind", "request id"]).bold();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Min(10),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(14),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(Style::new().reversed())
    .highlight_symbol("▶");
    let mut state = TableState::default().with_selected(selected.map(|s| s - start));
    frame.render_stateful_widget(table, area, &mut state);
}

fn row(entry: &app::Row) -> Row<'_> {
    match entry {
        app::Row::Marker(marker) => Row::new([
            Cell::from(marker.at.map(time_of_day).unwrap_or_default()),
            Cell::from(Span::styled(format!("── {} ──", marker.text), Style::new().fg(MARKER).bold())),
        ]),
        app::Row::Request(r) => {
            let message = crate::logtail::sanitize(&display_message(&r.msg, r.delay_ms));
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
            Row::new([
                Cell::from(time_of_day(r.sent_at)),
                Cell::from(message),
                Cell::from(Span::styled(status, Style::new().fg(color))),
                Cell::from(latency),
                Cell::from(Span::styled(kind, Style::new().fg(color))),
                Cell::from(Span::styled(r.id.clone(), Style::new().fg(DIM))),
            ])
        }
    }
}

/// `0.8 ms`, `12 ms`, `1003 ms`.
pub fn format_ms(ms: f64) -> String {
    if ms < 10.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}
