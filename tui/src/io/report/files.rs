//! Where the report goes: `report-STAMP.md` in the log directory (a name
//! that was free) or the path given, and its JSON beside it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use time::OffsetDateTime;

use super::{collect_log_lines, json, render_with};
use crate::model::Model;
use crate::model::verdict::Verdict;
use crate::text::file_stamp;

/// A service whose log came over HTTP (`--a-logs URL`) has no file here:
/// its lines of `ids` are those the dashboard holds.
fn streamed_lines(
    model: &Model,
    ids: &HashSet<String>,
    logs: &mut std::collections::HashMap<String, Vec<(contract::Service, String)>>,
) {
    let streamed: Vec<contract::Service> = contract::Service::ALL
        .into_iter()
        .filter(|service| matches!(model.settings.logs[service.index()], crate::io::tail::Sources::Stream(_)))
        .collect();
    if streamed.is_empty() {
        return;
    }
    for line in model.logs.visible(None) {
        let Some(id) = line.request_id.as_ref().filter(|id| ids.contains(*id)) else { continue };
        if streamed.contains(&line.service) {
            logs.entry(id.clone()).or_default().push((line.service, line.text.clone()));
        }
    }
}

/// Writes the report for `model` into its log directory; returns its path.
pub fn write(model: &Model, now: OffsetDateTime) -> std::io::Result<PathBuf> {
    write_lab(model, now, &[], None, None).map(|(report, _)| report)
}

/// Writes the report and its JSON: to `report` and `json` when given (made
/// anew), else to `report-STAMP.md` in the log directory (a name that was
/// free) and the JSON beside it (`report-STAMP.json`). Returns both paths.
pub fn write_lab(
    model: &Model,
    now: OffsetDateTime,
    verdicts: &[Verdict],
    report: Option<PathBuf>,
    json: Option<PathBuf>,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let manual = &model.session_log.manual;
    let ids: HashSet<String> = manual.iter().map(|request| request.id.clone()).collect();
    let since = manual.iter().map(|request| request.sent_at).min().map(SystemTime::from);
    let mut logs = collect_log_lines(&model.settings.log_dir, &ids, since);
    streamed_lines(model, &ids, &mut logs);
    let text = render_with(model, now, &logs, verdicts);
    let named = report.is_some();
    let report = match report {
        Some(path) => {
            write_whole(&path, text.as_bytes(), false)?;
            path
        }
        None => {
            std::fs::create_dir_all(&model.settings.log_dir)?;
            create_new(&model.settings.log_dir, &file_stamp(now), text.as_bytes())?
        }
    };
    let data = json::render(model, now, verdicts);
    match json {
        Some(path) => write_whole(&path, data.as_bytes(), false).map(|()| (report, path)),
        None => {
            // Beside a report of a name that was free, a file of its name was
            // planted; beside one the learner named, it is the last run's.
            let path = report.with_extension("json");
            write_whole(&path, data.as_bytes(), !named).map(|()| (report, path))
        }
    }
}

/// Writes `bytes` as the whole of `path`: a new file (`fresh`: never over an
/// existing one, nor through a planted link), or replacing what was there
/// (a path the learner gave). A failed write (a full disk) leaves nothing
/// half written.
/// Whether a report could be written at `path`, asked before the lab runs
/// for minutes: an existing file is opened for writing (not truncated), a
/// new one is created and removed again.
pub fn writable(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if std::fs::symlink_metadata(path).is_ok() {
        options.open(path).map(drop)
    } else {
        options.create_new(true).open(path).map(drop)?;
        std::fs::remove_file(path)
    }
}

fn write_whole(path: &Path, bytes: &[u8], fresh: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    if fresh {
        options.write(true).create_new(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    let mut file = options.open(path)?;
    match file.write_all(bytes).and_then(|()| file.sync_all()) {
        Ok(()) => Ok(()),
        Err(error) => {
            drop(file);
            let _ = std::fs::remove_file(path);
            Err(error)
        }
    }
}

/// The most names tried for one report (`report-STAMP.md`, `-2`, `-3`, ...).
const NAMES_TRIED: u32 = 100;

/// Writes `bytes` to a file of a name that was free: never over an existing
/// file (two reports in one second), never through a link someone planted
/// (create-new does not follow a symbolic link at the last step).
fn create_new(dir: &Path, stamp: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    for n in 1..=NAMES_TRIED {
        let name = if n == 1 { format!("report-{stamp}.md") } else { format!("report-{stamp}-{n}.md") };
        let path = dir.join(name);
        match write_whole(&path, bytes, true) {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!("{NAMES_TRIED} reports named report-{stamp}*.md exist already")))
}
