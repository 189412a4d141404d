//! The top line: what talks to what, and B's budget for A.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use contract::Service;

use super::fit;
use crate::model::Model;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let (b, a) = (&model.service(Service::B).url, &model.service(Service::A).url);
    let timeout = model.timeout_ms();
    // The scheme is the first to go, then the banner; the chain and B's budget stay.
    let wide = format!(" dashboard → B {b} → A {a}  (B gives A {timeout} ms)");
    let (b, a) = (b.trim_start_matches("http://"), a.trim_start_matches("http://"));
    let chain = if wide.width() + BANNER.width() <= usize::from(area.width) {
        wide
    } else {
        format!(" dashboard → B {b} → A {a}  (B gives A {timeout} ms)")
    };
    let line = fit::fit(
        vec![(fit::DETAIL, Span::styled(BANNER, Style::new().bold().reversed())), (fit::KEEP, Span::raw(chain))],
        usize::from(area.width),
    );
    frame.render_widget(Paragraph::new(line), area);
}

const BANNER: &str = " first distributed system  ";
