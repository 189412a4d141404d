//! The log panel: both services' lines merged by time, coloured by status.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{DIM, ERROR, OK};
use crate::model::Model;
use contract::Service;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let logs = &model.logs;
    let mut title = String::from(" Logs of A and B ");
    title.push_str(if logs.paused { "(PAUSED: p follows again) " } else { "(following) " });
    if let Some(id) = &logs.filter {
        title.push_str(&format!("· only request {id} (t: all) "));
    }
    if logs.hidden_health > 0 {
        title.push_str(&format!("· {} /health lines hidden ", logs.hidden_health));
    }
    let block = Block::bordered().title(title);
    let height = usize::from(block.inner(area).height);
    let visible: Vec<_> = logs.visible().collect();
    let scroll = if logs.paused { logs.scroll.min(visible.len().saturating_sub(height)) } else { 0 };
    let end = visible.len() - scroll;
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = visible[start..end]
        .iter()
        .map(|line| {
            let color = match line.ok {
                Some(true) => OK,
                Some(false) => ERROR,
                None => DIM,
            };
            let service_color = match line.service {
                Service::A => Color::Cyan,
                Service::B => Color::LightBlue,
            };
            // The date adds nothing on screen; the time and the fields do.
            let text = if line.at.is_some() { line.text.get(11..).unwrap_or(&line.text) } else { &line.text };
            Line::from(vec![
                Span::styled(format!("{} ", line.service.name()), Style::new().fg(service_color).bold()),
                Span::styled(text.to_owned(), Style::new().fg(color)),
            ])
        })
        .collect();
    let empty = lines.is_empty();
    let mut paragraph = Paragraph::new(lines).block(block);
    if empty {
        let hint = format!("no log lines yet in {}", model.settings.log_dir.display());
        paragraph = Paragraph::new(Line::from(hint).fg(DIM)).block(Block::bordered().title(" Logs of A and B "));
    }
    frame.render_widget(paragraph, area);
}
