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

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let Some(trace) = model.selected_trace() else {
        let block = Block::bordered().title(" Trace (v: next view) ");
        let hint = Line::from(" select a request (Up/Down, j/k) to see its path across B, the link and A").fg(DIM);
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    };
    let title = format!(" Trace of {} (v: next view) ", trace.id);
    let mut lines: Vec<Line> = render(&trace)
        .into_iter()
        .map(|(kind, row)| {
            let style = match kind {
                HopKind::Ok => Style::new(),
                HopKind::Error => Style::new().fg(ERROR),
                HopKind::Missing => Style::new().fg(DIM),
                HopKind::Orphaned => Style::new().fg(MARK).bold(),
            };
            Line::styled(format!(" {row}"), style)
        })
        .collect();
    if let Some(first) = lines.first_mut() {
        *first = first.clone().bold();
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
