//! The selected answer: status, latency split by `server-timing` into B's wait
//! for A and the rest, and B's body.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{DIM, ERROR, MARK, OK, PENDING};
use crate::model::Model;
use crate::model::requests::Entry;
use crate::msg::Outcome;
use crate::text::{format_ms, millis, sanitize};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let block = Block::bordered().title(" Selected answer ");
    let Some(entry) = model.requests.selected() else {
        let hint = "Press Enter to send a request to B; its answer appears here.";
        frame.render_widget(Paragraph::new(hint).fg(DIM).wrap(Wrap { trim: true }).block(block), area);
        return;
    };
    let lines: Vec<Line> = match entry {
        Entry::Mark(mark) => vec![Line::from(mark.text.clone()).fg(MARK)],
        Entry::Request(r) => {
            let mut lines = vec![Line::from(vec![Span::raw("id "), Span::styled(r.id.clone(), Style::new().bold())])];
            match &r.outcome {
                None => lines.push(Line::from("waiting for B...").fg(PENDING)),
                Some(Outcome::NoAnswer { latency, error }) => {
                    lines.push(Line::from(format!("no answer after {}", format_ms(millis(*latency)))).fg(ERROR));
                    lines.push(Line::from(sanitize(error)));
                }
                Some(outcome @ Outcome::Answered { status, latency, upstream_ms, body, .. }) => {
                    let total = millis(*latency);
                    let color = if (200..300).contains(status) { OK } else { ERROR };
                    lines.push(Line::from(vec![
                        Span::styled(format!("HTTP {status}"), Style::new().fg(color).bold()),
                        Span::raw(format!(" in {}", format_ms(total))),
                    ]));
                    if let Some(upstream) = upstream_ms {
                        lines.push(Line::from(format!(
                            "= B waiting for A {} + B itself and the network {}",
                            format_ms(*upstream),
                            format_ms((total - upstream).max(0.0))
                        )));
                    } else if model.settings.commands[contract::Service::B.index()].is_some() {
                        // Another implementation may call A without saying so.
                        lines.push(Line::from("no server-timing: B's time is not split").fg(DIM));
                    } else {
                        lines.push(Line::from("B did not call A (no server-timing)").fg(DIM));
                    }
                    if let Some(kind) = outcome.error_kind().filter(|_| outcome.kind_guessed()) {
                        lines.push(
                            Line::from(format!("{kind}? read from B's error text (B said no error_kind)")).fg(DIM),
                        );
                    }
                    // Pretty JSON wraps between fields, not in the middle of a word.
                    let body = serde_json::from_str::<serde_json::Value>(body)
                        .and_then(|json| serde_json::to_string_pretty(&json))
                        .unwrap_or_else(|_| body.clone());
                    lines.extend(body.lines().map(|line| Line::from(sanitize(line))));
                }
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
