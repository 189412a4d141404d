//! The bottom lines: the message and the keys (or the message being
//! edited), then the burst's progress or the last note; a note too long for
//! one line gets a second, so a hint's instruction is never cut off.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::{DIM, ERROR, OK, PENDING};
use crate::keys::{self, Footer};
use crate::model::Model;
use crate::msg::InputMode;
use crate::text::{clip, sanitize, wrap_words};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let [first, second] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    // The widest set of keys that leaves the message room.
    let keys = [Footer::Long, Footer::Medium, Footer::Short]
        .into_iter()
        .map(|tier| (tier, keys::footer(tier)))
        .find(|(tier, keys)| {
            let room = if *tier == Footer::Long { 24 } else { 18 };
            *tier == Footer::Short || usize::from(area.width) >= keys.chars().count() + room
        })
        .map(|(tier, keys)| if tier == Footer::Long { format!("  {keys}") } else { format!(" {keys}") })
        .unwrap_or_default();
    // The message gives way to the keys (at least a few characters of it stay).
    let room = usize::from(area.width).saturating_sub(keys.chars().count() + " message: ".len()).max(8);
    let message = match &model.mode {
        InputMode::Editing(text) if text.is_empty() => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::styled("█", Style::new().fg(PENDING)),
            Span::styled(
                format!("  type to replace {:?} · Enter keeps it · Esc cancels", clip(&sanitize(&model.message), 24)),
                Style::new().fg(DIM),
            ),
        ]),
        InputMode::Editing(text) => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            // What is typed is shown as the message will be: made safe, its
            // end (where the cursor is) in view.
            Span::styled(format!("{}█", clip_start(&sanitize(text), room)), Style::new().fg(PENDING)),
            Span::styled("  Enter keeps · Ctrl-U clears · Esc cancels", Style::new().fg(DIM)),
        ]),
        _ => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::raw(clip(&sanitize(&model.message), room)),
            Span::styled(keys, Style::new().fg(DIM)),
        ]),
    };
    frame.render_widget(Paragraph::new(message), first);
    if let Some(burst) = &model.burst {
        let counted = model.session_log.running_burst();
        let (done, failed) = counted.map_or((0, 0), |burst| (burst.answered, burst.failed()));
        let label = format!(
            "burst {done}/{} at {} at a time, {failed} failed{}",
            burst.requests,
            burst.concurrency,
            if burst.cancelling { " (cancelling)" } else { " (Esc cancels)" }
        );
        let color = if failed > 0 { ERROR } else { OK };
        frame.render_widget(
            Gauge::default().gauge_style(Style::new().fg(color)).ratio(burst.ratio(counted)).label(label),
            second,
        );
    } else if let Some(note) = model.note() {
        let lines: Vec<Line> =
            note_lines(note, area.width).into_iter().map(|line| Line::raw(format!(" {line}"))).collect();
        frame.render_widget(Paragraph::new(lines).fg(Color::Cyan), second);
    }
}

/// A note cut into lines at word ends, each a cell in from the edge (the
/// second under the first, never at column 0).
fn note_lines(note: &str, width: u16) -> Vec<String> {
    wrap_words(&sanitize(note), usize::from(width).saturating_sub(2))
}

/// The last `width` cells of `text`: where the cursor is.
fn clip_start(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar as _;
    let mut used = 0;
    let mut start = text.len();
    for (at, c) in text.char_indices().rev() {
        used += c.width().unwrap_or(0);
        if used > width {
            break;
        }
        start = at;
    }
    text[start..].to_owned()
}

/// The footer's rows at `width`: the message and the keys, then a row for a
/// burst's gauge or a note (two while a note needs them); with nothing to
/// say, that row goes to the panels above.
pub fn height(model: &Model, width: u16) -> u16 {
    if model.burst.is_some() {
        return 2;
    }
    match model.note() {
        None => 1,
        Some(note) => 2 + u16::from(note_lines(note, width).len() > 1),
    }
}
