//! The numbers panel: latency percentiles over the recent window, and the
//! session's counts by status and by B's error kind.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, OK};
use crate::model::Model;
use crate::text::format_ms;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
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
    for (kind, count) in model.stats.error_kind_counts() {
        let color = if count > 0 { ERROR } else { DIM };
        kinds.push(Span::styled(format!("{kind} {count}  "), Style::new().fg(color)));
    }
    let title = format!(" Numbers (last {} of {} answers) ", p.count, model.stats.total);
    frame.render_widget(
        Paragraph::new(vec![latency, Line::from(statuses), Line::from(kinds)]).block(Block::bordered().title(title)),
        area,
    );
}
