//! The help overlay (`?`): every key, and what to try first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, Wrap};

use crate::keys::HELP;

pub fn draw(frame: &mut Frame, area: Rect) {
    let width = area.width.min(84);
    let height = area.height.min(u16::try_from(HELP.len()).unwrap_or(u16::MAX) + 10);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(" Keys (any key closes) ").border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [keys, about] =
        Layout::vertical([Constraint::Length(u16::try_from(HELP.len()).unwrap_or(0)), Constraint::Min(0)]).areas(inner);
    let rows = HELP.iter().map(|(key, what)| Row::new([Span::styled(*key, Style::new().bold()), Span::raw(*what)]));
    frame.render_widget(Table::new(rows, [Constraint::Length(14), Constraint::Min(10)]), keys);
    let text = "Break A (a stop, f freeze, s slow) and watch B answer 503 with error_kind connect or \
                timeout, the latency jump to B's timeout, and both services' log lines with the same \
                request id (select a request, press t).";
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).style(Style::new().add_modifier(Modifier::ITALIC)),
        about,
    );
}
