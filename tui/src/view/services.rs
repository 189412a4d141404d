//! The services panel: each service's health and who runs it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use contract::Service;

use super::{DIM, ERROR, OK, PENDING};
use crate::model::Model;
use crate::msg::{Health, ProcessState};
use crate::text::{format_ms, millis, sanitize};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let lines: Vec<Line> = Service::ALL
        .into_iter()
        .map(|service| {
            let view = model.service(service);
            let (dot, state, color) = match (&view.process, view.health) {
                (ProcessState::Frozen { .. }, _) => ("❄", "frozen".to_owned(), Color::LightBlue),
                (ProcessState::Starting, _) => ("◌", "starting".to_owned(), PENDING),
                (ProcessState::Unknown, _) => ("◌", "checking".to_owned(), PENDING),
                (ProcessState::Stopping, _) => ("◌", "stopping".to_owned(), PENDING),
                (_, Health::Up { latency }) => ("●", format!("up {}", format_ms(millis(latency))), OK),
                (_, Health::Down) => ("○", "down".to_owned(), ERROR),
                (_, Health::Unknown) => ("?", "checking".to_owned(), DIM),
            };
            let who = match &view.process {
                ProcessState::Unknown => String::new(),
                ProcessState::Attached => "attached (started elsewhere)".into(),
                ProcessState::Absent => "not running (--attach)".into(),
                ProcessState::Starting => "started by the dashboard".into(),
                ProcessState::Running { pid } => format!("started by the dashboard, pid {pid}"),
                ProcessState::Frozen { pid } => format!("SIGSTOP, pid {pid}: f thaws"),
                ProcessState::Stopping => "SIGTERM sent".into(),
                ProcessState::Stopped => format!("stopped: {} starts it", service.name().to_lowercase()),
                ProcessState::Failed(why) => format!("failed: {}", sanitize(why)),
            };
            Line::from(vec![
                Span::styled(format!(" {} ", service.name()), Style::new().bold()),
                Span::styled(format!("{dot} {state:<12}"), Style::new().fg(color).bold()),
                Span::raw(format!("{who}  ")),
                Span::styled(view.url.clone(), Style::new().fg(DIM)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Services ")), area);
}
