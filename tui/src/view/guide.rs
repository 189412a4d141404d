//! The guided lab's overlay (`g`): the steps, ticked with their evidence, and
//! what to press and look for in the current one. Drawn over part of the
//! screen; the keys go on working.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{DIM, OK, PENDING};
use crate::model::Model;
use crate::model::guide::STEPS;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let guide = &model.guide;
    let done = guide.done.iter().filter(|step| step.is_some()).count();
    let title = format!(" Guided lab: {done} of {} (g closes; the keys work) ", STEPS.len());
    let mut lines = Vec::new();
    // The steps that fit beside what to press and look for (4 lines), around
    // the current one; those before it are summed up in a line.
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(5).max(1);
    let current = guide.current().unwrap_or(STEPS.len() - 1);
    // With a summary line for the steps before, one row fewer is left for steps.
    let window = |rows: usize| current.saturating_sub(rows / 2).min(STEPS.len().saturating_sub(rows));
    let first = if window(room) == 0 { 0 } else { window(room.saturating_sub(1)).max(1) };
    if first > 0 {
        let done_before = guide.done[..first].iter().filter(|step| step.is_some()).count();
        let steps = if first == 1 { "step 1".to_owned() } else { format!("steps 1-{first}") };
        lines.push(Line::styled(format!(" ✓ {steps}: {done_before} done"), Style::new().fg(OK)));
    }
    let shown = room.saturating_sub(usize::from(first > 0));
    for (index, step) in STEPS.iter().enumerate().skip(first).take(shown) {
        let line = match (&guide.done[index], Some(index) == guide.current()) {
            (Some(id), _) => Line::from(vec![
                Span::styled(format!(" ✓ {}. {}", index + 1, step.title), Style::new().fg(OK)),
                Span::styled(format!("  {id}"), Style::new().fg(DIM)),
            ]),
            (None, true) => Line::styled(format!(" ▶ {}. {}", index + 1, step.title), Style::new().fg(PENDING).bold()),
            (None, false) => Line::styled(format!("   {}. {}", index + 1, step.title), Style::new().fg(DIM)),
        };
        lines.push(line);
    }
    lines.push(Line::raw(""));
    match guide.current() {
        Some(index) => {
            let step = &STEPS[index];
            lines.push(Line::from(vec![Span::styled(" press: ", Style::new().bold()), Span::raw(step.press())]));
            lines.push(Line::from(vec![Span::styled(" look for: ", Style::new().bold()), Span::raw(step.look_for)]));
        }
        None => {
            lines.push(Line::styled(" All done. r writes the report with the evidence.", Style::new().fg(OK).bold()))
        }
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}
