//! The top line: what talks to what, and B's budget for A.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use contract::Service;

use crate::model::Model;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let line = Line::from(vec![
        Span::styled(" first distributed system ", Style::new().bold().reversed()),
        Span::raw(format!(
            "  dashboard → B {} → A {}  (B gives A {} ms)",
            model.service(Service::B).url,
            model.service(Service::A).url,
            model.settings.timeout_ms
        )),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
