//! The trace view (`v`, third): the selected request as a sequence diagram
//! across the dashboard, B, the link and A, from both services' log lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{DIM, ERROR, MARK, OK};
use crate::model::Model;
use crate::model::trace::{HopKind, render};
use crate::text::wrap_words;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let Some(trace) = model.selected_trace() else {
        let block = Block::bordered().title(" Trace (v: next view) ");
        let hint = Line::from(" select a request (Up/Down, j/k) to see its path across B, the link and A").fg(DIM);
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    };
    let title = format!(" Trace of {} (v: next view) ", trace.id);
    let rows = render(&trace);
    // A hop's words start after the lanes (the header's width and two
    // spaces); a long one goes on under its first word, not at the border.
    let lanes = rows.first().map_or(0, |(_, header)| header.chars().count() + 2);
    let room = usize::from(area.width.saturating_sub(3));
    let mut lines: Vec<Line> = Vec::new();
    for (kind, row) in rows {
        let style = match kind {
            HopKind::Ok => Style::new(),
            HopKind::Error => Style::new().fg(ERROR),
            HopKind::Missing => Style::new().fg(DIM),
            HopKind::Orphaned => Style::new().fg(MARK).bold(),
        };
        let split = row.char_indices().nth(lanes).map(|(at, _)| at);
        match split {
            Some(at) if row.chars().count() > room && room > lanes + 20 => {
                let (diagram, words) = row.split_at(at);
                for (n, part) in wrap_words(words, room - lanes).into_iter().enumerate() {
                    let head = if n == 0 { diagram.to_owned() } else { " ".repeat(lanes) };
                    lines.push(Line::styled(format!(" {head}{part}"), style));
                }
            }
            _ => lines.push(Line::styled(format!(" {row}"), style)),
        }
    }
    if let Some(first) = lines.first_mut() {
        *first = first.clone().bold();
    }
    if let Some(caveat) = &trace.caveat {
        lines.push(Line::styled(format!(" {caveat}"), Style::new().fg(MARK)));
    }
    if let Some(summary) = trace.summary() {
        let color = if trace.orphan.is_some() { MARK } else { DIM };
        lines.push(Line::styled(format!(" {summary}"), Style::new().fg(color)));
    } else if lines.len() > 2 {
        lines.push(Line::styled(
            " times: ms after the dashboard sent it, from both services' log lines",
            Style::new().fg(OK),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}
