//! The bottom two lines: the message and the keys (or the message being
//! edited), then the burst's progress or the last note.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::{DIM, ERROR, OK, PENDING};
use crate::model::Model;
use crate::msg::InputMode;
use crate::text::{clip, sanitize};

const KEYS: &str = "  Enter send · e edit · s slow · l load · L burst · a/b stop/start · f freeze · n link · +/- timeout · R retries · c breaker · d deadline · v view · t filter · r report · ? help · q quit";
/// The keys that fit beside a short message on 80 columns; `?` lists the rest.
const SHORT_KEYS: &str = " ⏎ send s slow l load a/b f freeze n link v view ? keys q quit";

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let [first, second] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let keys = if usize::from(area.width) >= KEYS.chars().count() + 24 { KEYS } else { SHORT_KEYS };
    // The message gives way to the keys (at least a few characters of it stay).
    let room = usize::from(area.width).saturating_sub(keys.chars().count() + " message: ".len()).max(8);
    let message = match &model.mode {
        InputMode::Editing(text) => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::styled(format!("{text}█"), Style::new().fg(PENDING)),
            Span::styled("  Enter keeps · Esc cancels", Style::new().fg(DIM)),
        ]),
        _ => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::raw(clip(&sanitize(&model.message), room)),
            Span::styled(keys, Style::new().fg(DIM)),
        ]),
    };
    frame.render_widget(Paragraph::new(message), first);
    if let Some(burst) = &model.burst {
        let label = format!(
            "burst {}/{} at {} at a time, {} failed{}",
            burst.done,
            burst.requests,
            burst.concurrency,
            burst.failed,
            if burst.cancelling { " (cancelling)" } else { " (Esc cancels)" }
        );
        let color = if burst.failed > 0 { ERROR } else { OK };
        frame.render_widget(
            Gauge::default().gauge_style(Style::new().fg(color)).ratio(burst.ratio()).label(label),
            second,
        );
    } else if let Some(note) = model.note() {
        frame.render_widget(Paragraph::new(format!(" {}", sanitize(note))).fg(Color::Cyan), second);
    }
}
