//! Log file naming: `service-a.*` and `service-b.*` inside the log directory.
//!
//! The services' log writer names rotated files `PREFIX.DATE.SUFFIX` (DATE in
//! UTC: `YYYY-MM-DD`, `-HH`, `-HH-MM`) and, with rotation `never`,
//! `PREFIX.SUFFIX`. Retention deletes only a service's own files, matched by
//! the whole shape, so `service-a.notes.log` or another program's file is never
//! taken for one.

use crate::Service;

/// The suffix of every log file.
pub const SUFFIX: &str = "log";

/// The file name prefix of a service's log files.
pub const fn prefix(service: Service) -> &'static str {
    match service {
        Service::A => "service-a",
        Service::B => "service-b",
    }
}

/// The name of a log file of `service`: `service-a.2026-11-24.log` for a rotation
/// period `2026-11-24` (or `2026-11-24-13`, `2026-11-24-13-05`), `service-a.log`
/// for none (rotation `never`).
pub fn file_name(service: Service, period: Option<&str>) -> String {
    match period {
        Some(period) => format!("{}.{period}.{SUFFIX}", prefix(service)),
        None => format!("{}.{SUFFIX}", prefix(service)),
    }
}

/// Whether `file_name` is one of `service`'s log files (current or rotated).
pub fn is_log_file_of(service: Service, file_name: &str) -> bool {
    let Some(rest) = file_name.strip_prefix(prefix(service)).and_then(|rest| rest.strip_prefix('.')) else {
        return false;
    };
    rest == SUFFIX || rest.strip_suffix(SUFFIX).and_then(|dated| dated.strip_suffix('.')).is_some_and(is_rotation_date)
}

fn is_rotation_date(date: &str) -> bool {
    // YYYY-MM-DD, YYYY-MM-DD-HH or YYYY-MM-DD-HH-MM
    matches!(date.len(), 10 | 13 | 16)
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 | 10 | 13 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_rotation_naming() {
        for name in [
            "service-a.log",
            "service-a.2026-11-24.log",
            "service-a.2026-11-24-13.log",
            "service-a.2026-11-24-13-05.log",
        ] {
            assert!(is_log_file_of(Service::A, name), "{name}");
            let period = name.strip_prefix("service-a.").and_then(|n| n.strip_suffix(".log"));
            assert_eq!(file_name(Service::A, period.filter(|p| !p.is_empty() && *p != "log")), name);
            assert!(!is_log_file_of(Service::B, name), "{name}");
        }
        for name in [
            "service-a.log.swp",
            "service-ab.log",
            "service-a.notes.log",
            "service-a.x.log",
            "service-a-notes.log",
            "service-a.2026-11.log",
            "service-a.2026-11-24log",
            "report.md",
        ] {
            assert!(!is_log_file_of(Service::A, name), "{name}");
        }
    }
}
