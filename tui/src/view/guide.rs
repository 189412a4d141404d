//! The guided lab's overlay (`g`): the steps, ticked with their evidence, and
//! what to press and look for in the current one. It takes the place of
//! panels it never points at (the answer and the chart; on a short terminal
//! the services, whose state its title then says); the keys go on working.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize as _};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{DIM, OK, PENDING, fit, services};
use crate::model::Model;
use crate::model::guide::{STEPS, Step};
use crate::msg::ProcessState;
use crate::text::wrap_words;
use contract::Service;
use unicode_width::UnicodeWidthStr as _;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let guide = &model.guide;
    let done = guide.done.iter().filter(|step| step.is_some()).count();
    let inner_width = usize::from(area.width.saturating_sub(2));
    // Where it takes the services' place (a short terminal), it says how A and B are.
    let compact = area.height < 10;
    let mut title = vec![
        (fit::KEEP, Span::raw(format!(" Guided lab: {done} of {} ", STEPS.len()))),
        (fit::DETAIL, Span::raw("(g closes) ")),
    ];
    if compact {
        for service in Service::ALL {
            let (dot, state, color) = services::state(model, service);
            title.push((
                fit::KEEP,
                Span::styled(format!("· {} {dot} {state} ", service.name()), Style::new().fg(color)),
            ));
        }
    }
    let mut lines = Vec::new();
    // The steps that fit beside what to press and look for, around the
    // current one; those before it are summed up in a line.
    let mut instruction = Vec::new();
    match guide.current() {
        Some(index) => {
            let step = &STEPS[index];
            let a_ours = !matches!(model.service(Service::A).process, ProcessState::Attached);
            let first = step.first(model.conditions().a, a_ours, model.load.is_some());
            if !first.is_empty() {
                instruction.extend(labelled(" first: ", &first.join(", "), PENDING, inner_width));
            }
            instruction.extend(labelled(" press: ", &step.press(), Color::Reset, inner_width));
            // Another implementation's lines without ids are matched by time, not by id.
            let look_for = if step.look_for.contains("request_id") && model.no_ids_said.iter().any(|&said| said) {
                format!("{} (your lines carry no request_id: match them by their time)", step.look_for)
            } else {
                step.look_for.to_owned()
            };
            instruction.extend(labelled(" look for: ", &look_for, Color::Reset, inner_width));
        }
        None => instruction.extend(
            labelled(" ", "All done. r writes the report with the evidence.", OK, inner_width)
                .into_iter()
                .map(|line| line.bold()),
        ),
    }
    let instruction_rows: usize = instruction.iter().map(|line| line.width().div_ceil(inner_width.max(1))).sum();
    let blank = usize::from(!compact);
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(instruction_rows + blank).max(1);
    let current = guide.current().unwrap_or(STEPS.len() - 1);
    // With a summary line for the steps before, one row fewer is left for steps.
    let window = |rows: usize| current.saturating_sub(rows / 2).min(STEPS.len().saturating_sub(rows));
    let first = match (compact, window(room)) {
        (true, first) | (false, first @ 0) => first,
        (false, _) => window(room.saturating_sub(1)).max(1),
    };
    if first > 0 && !compact {
        let done_before = guide.done[..first].iter().filter(|step| step.is_some()).count();
        let steps = if first == 1 { "step 1".to_owned() } else { format!("steps 1-{first}") };
        lines.push(Line::styled(format!(" ✓ {steps}: {done_before} done"), Style::new().fg(OK)));
    }
    let shown = room.saturating_sub(usize::from(first > 0 && !compact));
    // The ids of the ticked steps in one column.
    let numbered = |index: usize, step: &Step| format!("{}. {}", index + 1, step.title);
    let title_width = STEPS.iter().enumerate().skip(first).take(shown).map(|(i, s)| numbered(i, s).width()).max();
    for (index, step) in STEPS.iter().enumerate().skip(first).take(shown) {
        let line = match (&guide.done[index], Some(index) == guide.current()) {
            (Some(id), _) => Line::from(vec![
                Span::styled(
                    format!(" ✓ {:<width$}", numbered(index, step), width = title_width.unwrap_or(0)),
                    Style::new().fg(OK),
                ),
                Span::styled(format!("  {id}"), Style::new().fg(DIM)),
            ]),
            (None, true) => Line::styled(format!(" ▶ {}. {}", index + 1, step.title), Style::new().fg(PENDING).bold()),
            (None, false) => Line::styled(format!("   {}. {}", index + 1, step.title), Style::new().fg(DIM)),
        };
        lines.push(line);
    }
    if !compact {
        lines.push(Line::raw(""));
    }
    lines.extend(instruction);
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(fit::title(title, area.width)).border_style(Style::new().fg(PENDING));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

/// `label` in bold, then `text` broken between words, its later rows
/// indented under its first (not back at the border).
fn labelled(label: &'static str, text: &str, color: Color, width: usize) -> Vec<Line<'static>> {
    let indent = label.chars().count();
    let style = if color == Color::Reset { Style::new() } else { Style::new().fg(color) };
    wrap_words(text, width.saturating_sub(indent).max(10))
        .into_iter()
        .enumerate()
        .map(|(row, part)| {
            let head = if row == 0 { label.to_owned() } else { " ".repeat(indent) };
            Line::from(vec![Span::styled(head, Style::new().bold().fg(color)), Span::styled(part, style)])
        })
        .collect()
}
