//! The top line: what talks to what, and B's budget for A.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use contract::Service;

use crate::model::Model;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let (b, a) = (&model.service(Service::B).url, &model.service(Service::A).url);
    let timeout = model.timeout_ms();
    let line = if area.width >= 120 {
        Line::from(vec![
            Span::styled(" first distributed system ", Style::new().bold().reversed()),
            Span::raw(format!("  dashboard → B {b} → A {a}  (B gives A {timeout} ms)")),
        ])
    } else {
        let (b, a) = (b.trim_start_matches("http://"), a.trim_start_matches("http://"));
        Line::from(vec![
            Span::styled(" A and B ", Style::new().bold().reversed()),
            Span::raw(format!("  → B {b} → A {a}  (B gives A {timeout} ms)")),
        ])
    };
    frame.render_widget(Paragraph::new(line), area);
}
