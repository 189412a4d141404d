//! The help overlay (`?`): every key, from the one key table, and what to try first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Row, Table, Wrap};

use crate::keys::{self, KEYS};

pub fn draw(frame: &mut Frame, area: Rect) {
    let rows: Vec<(&str, String)> =
        KEYS.iter().filter_map(|key| key.help.map(|(row, what)| (row, keys::fill(what)))).collect();
    // A cell of room inside each border, and the closing text's three rows.
    // As wide as the longest row needs (a key column of 14, the spacing, the
    // borders and padding), not cut where the screen has room.
    let longest = rows.iter().map(|(_, what)| unicode_width::UnicodeWidthStr::width(what.as_str())).max().unwrap_or(0);
    let wanted = u16::try_from(longest + 14 + 6).unwrap_or(u16::MAX).max(94);
    let width = area.width.min(wanted);
    let height = area.height.min(u16::try_from(rows.len()).unwrap_or(u16::MAX) + 6);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(" Keys (any key closes) ")
        .border_style(Style::new().fg(Color::Cyan))
        .padding(Padding::horizontal(1));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let about = keys::fill(
        "Break things ({key:a} stop A, {key:freeze} freeze it, {key:slow} slow, {key:link} the network, \
         {key:faults} every fault) and watch B's status and error_kind, the latency, and both services' log \
         lines with the same request id (select a request, press {key:filter}); {key:reset} undoes it all.",
    );
    let table_rows = u16::try_from(rows.len()).unwrap_or(u16::MAX);
    if inner.height >= table_rows + 3 {
        let [table, text] = Layout::vertical([Constraint::Length(table_rows), Constraint::Min(0)]).areas(inner);
        let rows =
            rows.into_iter().map(|(key, what)| Row::new([Span::styled(key, Style::new().bold()), Span::raw(what)]));
        frame.render_widget(Table::new(rows, [Constraint::Length(14), Constraint::Min(10)]), table);
        let italic = Style::new().add_modifier(Modifier::ITALIC);
        frame.render_widget(Paragraph::new(about).wrap(Wrap { trim: true }).style(italic), text);
    } else {
        // Too short for a row per key (80x24): every key still shows, run together.
        let mut spans = Vec::new();
        for (index, (key, what)) in rows.into_iter().enumerate() {
            if index > 0 {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::styled(key, Style::new().bold()));
            spans.push(Span::raw(format!(" {what}")));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }), inner);
    }
}
