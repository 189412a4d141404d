//! The latency chart: each answer's latency against B's timeout, with the
//! learner's actions as vertical lines where they happened.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::symbols::Marker as Dot;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

use super::{DIM, ERROR, MARK, OK, PENDING, fit};
use crate::model::Model;

// Chart coordinates are floats; precision loss only past 2^53 requests.
#[allow(clippy::cast_precision_loss)]
pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let timeout = model.timeout_ms() as f64;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    // Twice the timeout, so the middle label is the timeout itself.
    let mut top = timeout * 2.0;
    for (n, ms, is_ok) in model.stats.chart_points() {
        top = top.max(ms * 1.05);
        if is_ok { ok.push((n, ms)) } else { failed.push((n, ms)) }
    }
    // The points are oldest first: the first one starts the x axis.
    let first = model.stats.chart_points().next().map_or(0.0, |(n, _, _)| n);
    let last = model.stats.total as f64;
    let right = last.max(first + 10.0);
    let timeout_line = vec![(first, timeout), (right, timeout)];
    // Events (stop, freeze, burst...) as vertical lines at the request count they happened at.
    let marks: Vec<Vec<(f64, f64)>> = model
        .session_log
        .marks
        .iter()
        .map(|mark| mark.at_request as f64)
        .filter(|x| *x >= first)
        .map(|x| vec![(x, 0.0), (x, top)])
        .collect();
    // Marks first, points last: a later dataset is drawn over an earlier one,
    // so no answer hides under an action's line.
    let mut datasets: Vec<Dataset> = marks
        .iter()
        .enumerate()
        .map(|(i, mark)| {
            let dataset = Dataset::default().graph_type(GraphType::Line).marker(Dot::Braille).fg(MARK).data(mark);
            if i == 0 { dataset.name("event") } else { dataset }
        })
        .collect();
    datasets.extend([
        Dataset::default()
            .name("timeout")
            .graph_type(GraphType::Line)
            .marker(Dot::Braille)
            .fg(PENDING)
            .data(&timeout_line),
        Dataset::default().name("ok").marker(Dot::Braille).fg(OK).data(&ok),
        Dataset::default().name("failed").marker(Dot::Braille).fg(ERROR).data(&failed),
    ]);
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(fit::title(
            vec![
                (fit::KEEP, Span::raw(" Latency (ms) ")),
                (fit::DETAIL, Span::raw("per request; ")),
                (fit::KEEP, Span::styled(format!("yellow: B's timeout {timeout:.0} "), Style::new().fg(PENDING))),
            ],
            area.width,
        )))
        .x_axis(Axis::default().bounds([first, right]).labels([format!("{first:.0}"), format!("{right:.0}")]).fg(DIM))
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0".to_owned(), format!("{:.0}", top / 2.0), format!("{top:.0}")])
                .fg(DIM),
        );
    frame.render_widget(chart, area);
}
