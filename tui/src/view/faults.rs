//! The faults menu (`x`): every registered fault with its key, what it does,
//! and whether it is on now. A key causes it (again: undoes it); `0` undoes
//! everything; any other key closes the menu.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{DIM, ERROR, fit};
use crate::faults::{FAULTS, Fault, Setting};
use crate::keys;
use crate::model::Model;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let width = area.width.min(96);
    // A line per fault, two headings, the API's address, the borders.
    let height = area.height.min(u16::try_from(FAULTS.len()).unwrap_or(u16::MAX) + 5);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let title = fit::title(
        vec![
            (fit::KEEP, Span::raw(" Faults: press a key ")),
            (fit::CONTEXT, Span::raw("(again: undo it) ")),
            (fit::KEEP, Span::raw(format!("· {} undoes everything ", keys::label("reset")))),
            (fit::DETAIL, Span::raw("· any other key closes ")),
        ],
        width,
    );
    let block = Block::bordered().title(title).border_style(Style::new().fg(Color::Cyan));
    let width = usize::from(width.saturating_sub(2));
    let api = match &model.link.api {
        Some(Ok(addr)) => format!("toxiproxy API {addr}"),
        Some(Err(why)) => format!("no toxiproxy API: {why}"),
        None => "toxiproxy API starting".to_owned(),
    };
    let mut lines = vec![
        Line::from(Span::styled(
            format!("The link B→A, now: {} (one at a time; {} cycles them)", model.link.detail(), keys::label("link")),
            Style::new().bold(),
        )),
        Line::from(Span::styled(format!(" {api}: any toxiproxy client drives it too"), Style::new().fg(DIM))),
    ];
    lines.extend(FAULTS.iter().filter(|fault| fault.setting.is_link()).map(|fault| row(fault, model, width)));
    let label = if model.a_faults.admin.is_none() && model.is_foreign(contract::Service::A) {
        "your A has no admin API: its own faults cannot be set (the link's can)".to_owned()
    } else {
        model.a_faults.label()
    };
    lines.push(Line::from(Span::styled(format!("A itself, now: {label}"), Style::new().bold())));
    lines.extend(FAULTS.iter().filter(|fault| !fault.setting.is_link()).map(|fault| row(fault, model, width)));
    // One line per fault, so every key shows.
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

fn row(fault: &Fault, model: &Model, width: usize) -> Line<'static> {
    let on = match fault.setting {
        Setting::Toxics(_) | Setting::LinkDown => model.link.fault().is_some_and(|now| now.id == fault.id),
        Setting::AFault { .. } | Setting::ADedup => model.a_faults.is_on(fault),
        Setting::CrashA => false,
    };
    let name =
        Span::styled(format!("{:<14}", fault.name), if on { Style::new().fg(ERROR).bold() } else { Style::new() });
    // What it does stays; how (the toxic, A's setting) gives way on a narrow screen.
    let (what, how) = match fault.about.rfind(" (") {
        Some(at) if fault.about.ends_with(')') => fault.about.split_at(at),
        _ => (fault.about, ""),
    };
    fit::fit(
        vec![
            (fit::KEEP, Span::styled(format!(" {} ", fault.key), Style::new().bold())),
            (fit::KEEP, name),
            (fit::KEEP, Span::styled(if on { "on " } else { "   " }, Style::new().fg(ERROR))),
            (fit::KEEP, Span::styled(what, Style::new().fg(DIM))),
            (fit::DETAIL, Span::styled(how, Style::new().fg(DIM))),
        ],
        width,
    )
}
