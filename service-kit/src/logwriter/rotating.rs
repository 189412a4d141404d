//! The log file itself: its name by period, opening it safely, rotation,
//! retention, and keeping going (and saying so) when the disk fails.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use contract::{Service, files};
use time::OffsetDateTime;

use super::{FileSettings, Shared, count_lines};
use crate::config::LogRotation;
use crate::{log_file, metrics};

/// The current log file and what it takes to keep writing it.
pub(super) struct RotatingFile {
    service: Service,
    settings: FileSettings,
    open: Option<OpenFile>,
    /// Lines lost since the last successful write (reported when writing works again).
    pub(super) lost: u64,
    /// The error of the failure being reported, so it is said once, not per batch.
    failing: bool,
}

struct OpenFile {
    file: File,
    path: PathBuf,
    /// Where this file's rotation period ends (unix seconds); `None` for `never`.
    ends_at: Option<i64>,
    /// Bytes in the file, as far as this writer knows (to cut a torn line off again).
    len: u64,
    /// The file does not end with a newline (a torn line that could not be cut
    /// off, or a process killed mid-write): the next write starts a new line.
    ends_torn: bool,
    identity: Option<log_file::FileIdentity>,
}

impl RotatingFile {
    pub(super) fn new(service: Service, settings: FileSettings) -> Self {
        Self { service, settings, open: None, lost: 0, failing: false }
    }

    /// Opens the file for `now`'s period (creating the directory), then applies retention.
    pub(super) fn open(&mut self, now: OffsetDateTime) -> io::Result<()> {
        let (period, ends_at) = period(self.settings.rotation, now);
        let path = self.settings.dir.join(files::file_name(self.service, period.as_deref()));
        fs::create_dir_all(&self.settings.dir)?;
        let file = log_file::open_append(&path)?;
        let meta = file.metadata()?;
        let ends_torn = meta.len() > 0 && last_byte(&path).is_some_and(|b| b != b'\n');
        self.open =
            Some(OpenFile { identity: log_file::identity(&meta), len: meta.len(), ends_torn, file, path, ends_at });
        self.prune();
        Ok(())
    }

    /// Deletes the oldest of the service's own files beyond `max_files` (the
    /// current one counts and is never deleted). Other files are never touched,
    /// whatever their names start with.
    fn prune(&self) {
        let Some(current) = self.open.as_ref().map(|open| open.path.clone()) else { return };
        let Ok(entries) = fs::read_dir(&self.settings.dir) else { return };
        let mut own: Vec<(std::time::SystemTime, String, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let path = entry.path();
                (files::is_log_file_of(self.service, &name) && path != current && entry.file_type().ok()?.is_file())
                    .then(|| (entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), name, path))
            })
            .collect();
        let keep = self.settings.max_files.saturating_sub(1);
        if own.len() <= keep {
            return;
        }
        own.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
        for (_, _, path) in own.drain(keep..) {
            let _ = fs::remove_file(path);
        }
    }

    pub(super) fn close(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = open.file.sync_data();
        }
    }

    /// Writes one batch of whole lines; returns what stderr should be told.
    pub(super) fn write_batch(&mut self, shared: &Shared, batch: &[u8]) -> Vec<String> {
        let mut notices = Vec::new();
        let now = OffsetDateTime::now_utc();
        let mut prefix = String::new();
        if let Err(error) = self.ensure_open(now, &mut notices, &mut prefix, shared) {
            self.lose(batch, &error, &mut notices);
            return notices;
        }
        if self.lost > 0 {
            prefix.push_str(&shared.own_line("log_lines_lost", &[("lines", self.lost)]));
        }
        let Some(open) = self.open.as_mut() else { return notices };
        if open.ends_torn {
            prefix.insert(0, '\n');
        }
        let start = open.len;
        let parts: [&[u8]; 2] = [prefix.as_bytes(), batch];
        let mut written = 0usize;
        let total = prefix.len() + batch.len();
        let mut failure = None;
        for part in parts {
            let mut at = 0;
            while at < part.len() {
                match open.file.write(&part[at..]) {
                    Ok(0) => {
                        failure = Some(io::Error::new(io::ErrorKind::WriteZero, "the file took no bytes"));
                        break;
                    }
                    Ok(n) => {
                        at += n;
                        written += n;
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            if failure.is_some() {
                break;
            }
        }
        match failure {
            None => {
                open.len = start + total as u64;
                open.ends_torn = false;
                if self.failing || self.lost > 0 {
                    notices.push(format!(
                        "the log file {} is written again; {} lines were lost",
                        open.path.display(),
                        self.lost
                    ));
                }
                self.failing = false;
                self.lost = 0;
            }
            Some(error) => {
                // Keep the whole lines that made it; cut a torn one off again.
                let mut joined = Vec::with_capacity(written);
                joined.extend_from_slice(&prefix.as_bytes()[..written.min(prefix.len())]);
                if written > prefix.len() {
                    joined.extend_from_slice(&batch[..written - prefix.len()]);
                }
                let keep = joined.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                if keep < written && open.file.set_len(start + keep as u64).is_err() {
                    // Could not cut it off: whoever writes this file next starts a new line.
                    open.ends_torn = true;
                }
                if keep >= prefix.len() {
                    // The report line made it; only the batch's unwritten lines
                    // are new losses, and stderr hears of both.
                    if self.lost > 0 {
                        notices.push(format!(
                            "the log file {} took `event=log_lines_lost lines={}`, then failed again",
                            open.path.display(),
                            self.lost
                        ));
                    }
                    self.lost = 0;
                    self.failing = false;
                }
                let batch_kept = keep.saturating_sub(prefix.len());
                self.lose(&batch[batch_kept..], &error, &mut notices);
            }
        }
        notices
    }

    /// Counts `lines` as lost, closes the file so the next batch opens it afresh,
    /// and says so on stderr once per failure.
    fn lose(&mut self, unwritten: &[u8], error: &io::Error, notices: &mut Vec<String>) {
        let lines = count_lines(unwritten);
        self.lost += lines;
        metrics::get().lines_lost(metrics::Sink::File, lines);
        let path = self.open.take().map_or_else(|| self.settings.dir.clone(), |open| open.path);
        if !self.failing {
            self.failing = true;
            notices.push(format!(
                "cannot write the log file {} ({error}); lines are lost until it works again, then counted in the log",
                path.display()
            ));
        }
    }

    /// Rotates when the period is over, and opens the file again when it (or its
    /// directory) was deleted or replaced, so lines never go to a deleted file.
    fn ensure_open(
        &mut self,
        now: OffsetDateTime,
        notices: &mut Vec<String>,
        prefix: &mut String,
        shared: &Shared,
    ) -> io::Result<()> {
        let reopen = match &self.open {
            None => true,
            Some(open) if open.ends_at.is_some_and(|end| now.unix_timestamp() >= end) => true,
            Some(open) => match fs::metadata(&open.path) {
                Ok(meta) => open.identity.is_some() && log_file::identity(&meta) != open.identity,
                Err(_) => {
                    let dir_gone = !self.settings.dir.is_dir();
                    notices.push(format!(
                        "the log {} {} was deleted; created it again",
                        if dir_gone { "directory of" } else { "file" },
                        open.path.display()
                    ));
                    prefix.push_str(&shared.own_line("log_file_recreated", &[]));
                    true
                }
            },
        };
        if reopen {
            self.close();
            self.open(now)?;
        }
        Ok(())
    }
}

/// The last byte of the file at `path`, if it can be read.
fn last_byte(path: &Path) -> Option<u8> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::End(-1)).ok()?;
    let mut byte = [0u8; 1];
    file.read_exact(&mut byte).ok()?;
    Some(byte[0])
}

/// The rotation period of `now`: its name part and when it ends (unix seconds).
fn period(rotation: LogRotation, now: OffsetDateTime) -> (Option<String>, Option<i64>) {
    let length = match rotation {
        LogRotation::Never => return (None, None),
        LogRotation::Minutely => 60,
        LogRotation::Hourly => 3_600,
        LogRotation::Daily => 86_400,
    };
    let now = now.to_offset(time::UtcOffset::UTC);
    let date = format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day());
    let name = match rotation {
        LogRotation::Minutely => format!("{date}-{:02}-{:02}", now.hour(), now.minute()),
        LogRotation::Hourly => format!("{date}-{:02}", now.hour()),
        _ => date,
    };
    let seconds = now.unix_timestamp();
    (Some(name), Some(seconds - seconds.rem_euclid(length) + length))
}

/// The path of the file a service writes now (for tests and messages).
pub fn current_file(dir: &Path, service: Service, rotation: LogRotation) -> PathBuf {
    dir.join(files::file_name(service, period(rotation, OffsetDateTime::now_utc()).0.as_deref()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;
    use crate::logwriter::LogSink;
    use contract::logline::Format;
    use time::macros::datetime;

    #[test]
    fn periods_name_and_end_like_the_contract_says() {
        let at = datetime!(2026-11-24 13:05:07 UTC);
        assert_eq!(period(LogRotation::Daily, at).0.as_deref(), Some("2026-11-24"));
        assert_eq!(period(LogRotation::Hourly, at).0.as_deref(), Some("2026-11-24-13"));
        assert_eq!(period(LogRotation::Minutely, at).0.as_deref(), Some("2026-11-24-13-05"));
        assert_eq!(period(LogRotation::Never, at), (None, None));
        assert_eq!(period(LogRotation::Minutely, at).1, Some(datetime!(2026-11-24 13:06 UTC).unix_timestamp()));
        assert_eq!(period(LogRotation::Daily, at).1, Some(datetime!(2026-11-25 0:00 UTC).unix_timestamp()));
    }

    #[test]
    fn a_file_left_with_a_torn_line_gets_the_next_line_on_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = current_file(dir.path(), Service::A, LogRotation::Never);
        fs::write(&path, "2026-01-01 00:00:00,000 service=A whole=1\n2026-01-01 00:00:00,001 serv").unwrap();
        let settings = FileSettings { dir: dir.path().to_path_buf(), rotation: LogRotation::Never, max_files: 7 };
        let (sink, guard) = LogSink::start(Service::A, Format::Text, settings).unwrap();
        sink.write(b"2026-01-01 00:00:01,000 service=A next=1\n", false);
        drop(guard);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("\n2026-01-01 00:00:01,000 service=A next=1\n"), "{text:?}");
    }

    #[test]
    fn retention_deletes_only_the_services_own_oldest_files() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = ["service-a.x.log", "service-a-notes.log", "service-b.important.log", "service-b.2020-01-01.log"];
        let old_a = ["service-a.2020-01-01.log", "service-a.2020-01-02.log", "service-a.2020-01-03.log"];
        for (i, name) in foreign.iter().chain(old_a.iter()).enumerate() {
            let path = dir.path().join(name);
            fs::write(&path, "old\n").unwrap();
            let when = std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i as u64 * 86_400);
            File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
        }
        let settings = FileSettings { dir: dir.path().to_path_buf(), rotation: LogRotation::Daily, max_files: 2 };
        let mut file = RotatingFile::new(Service::A, settings);
        file.open(OffsetDateTime::now_utc()).unwrap();
        for name in foreign {
            assert!(dir.path().join(name).exists(), "{name} was deleted");
        }
        assert!(dir.path().join("service-a.2020-01-03.log").exists(), "the newest old file is kept");
        assert!(!dir.path().join("service-a.2020-01-02.log").exists());
        assert!(!dir.path().join("service-a.2020-01-01.log").exists());
        assert!(current_file(dir.path(), Service::A, LogRotation::Daily).exists());
    }
}
