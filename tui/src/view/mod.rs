//! Drawing: one file per panel, each a pure function of `&Model`.
//!
//! ```text
//! header: what talks to what
//! services (health, who started them)  | numbers (percentiles, counts)
//! requests (selectable)                | selected answer / latency chart
//! logs of both services, merged by time
//! message and keys / status line or burst progress
//! ```

mod answer;
mod chart;
mod footer;
mod header;
mod help;
mod logs;
mod numbers;
mod requests;
mod services;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Color;

use crate::model::Model;
use crate::msg::InputMode;

pub(crate) const OK: Color = Color::Green;
pub(crate) const ERROR: Color = Color::Red;
pub(crate) const PENDING: Color = Color::Yellow;
pub(crate) const MARK: Color = Color::Magenta;
pub(crate) const DIM: Color = Color::DarkGray;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, model: &Model) {
    let [header, top, middle, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Min(8),
        Constraint::Percentage(35),
        Constraint::Length(2),
    ])
    .areas(frame.area());
    header::draw(frame, header, model);
    let [services, numbers] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    services::draw(frame, services, model);
    numbers::draw(frame, numbers, model);
    let [list, right] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    requests::draw(frame, list, model);
    let [detail, chart] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    answer::draw(frame, detail, model);
    chart::draw(frame, chart, model);
    logs::draw(frame, logs, model);
    footer::draw(frame, footer, model);
    if model.mode == InputMode::Help {
        help::draw(frame, frame.area());
    }
}
