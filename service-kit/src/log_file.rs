//! The log file's platform questions, in one place: opening it for appending
//! without ever blocking, and only if it is a regular file, and what tells two
//! files apart when one replaced the other under the same name.
//!
//! Unix opens with `O_NONBLOCK`: a FIFO planted under the log file's name
//! would otherwise block the writer thread in `open` for good (no reader
//! comes), and every line after it would be lost without a word. A FIFO, a
//! device or a link to one is refused with what it is; the writer counts the
//! lines it cannot write and says so, as for a full disk. Windows has no FIFO
//! under a file name and checks what it opened the same way.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// What tells two files apart when one replaced the other under the same name.
pub type FileIdentity = (u64, u64);

/// `path` opened for appending (created if missing) if it is a regular file.
pub fn open_append(path: &Path) -> io::Result<File> {
    let refused = |meta: &fs::Metadata| {
        io::Error::other(format!("{} is {}, not a regular file", path.display(), imp::kind(meta)))
    };
    let file = imp::open_append(path).map_err(|error| match fs::metadata(path) {
        // A FIFO without a reader fails to open (ENXIO): say what it is.
        Ok(meta) if !meta.is_file() => refused(&meta),
        _ => error,
    })?;
    let meta = file.metadata()?;
    if meta.is_file() { Ok(file) } else { Err(refused(&meta)) }
}

pub fn identity(meta: &fs::Metadata) -> Option<FileIdentity> {
    imp::identity(meta)
}

#[cfg(unix)]
mod imp {
    use std::fs::{self, File, OpenOptions};
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _};
    use std::path::Path;

    use super::FileIdentity;

    pub fn open_append(path: &Path) -> std::io::Result<File> {
        // O_NONBLOCK changes only how a FIFO or a device opens (a FIFO without
        // a reader fails at once with ENXIO); appends to a regular file are
        // not affected.
        OpenOptions::new().create(true).append(true).custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits()).open(path)
    }

    pub fn kind(meta: &fs::Metadata) -> &'static str {
        let kind = meta.file_type();
        if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        }
    }

    pub fn identity(meta: &fs::Metadata) -> Option<FileIdentity> {
        Some((meta.dev(), meta.ino()))
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::{self, File, OpenOptions};
    use std::path::Path;

    use super::FileIdentity;

    pub fn open_append(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().create(true).append(true).open(path)
    }

    pub fn kind(meta: &fs::Metadata) -> &'static str {
        if meta.is_dir() { "a directory" } else { "not a regular file" }
    }

    /// Windows does not let an open log file be deleted or replaced; existence is enough.
    pub fn identity(_meta: &fs::Metadata) -> Option<FileIdentity> {
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_fifo_or_a_device_under_the_log_files_name_is_refused_at_once_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("service-b.log");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // No reader: without O_NONBLOCK this open would never return.
        let error = open_append(&fifo).unwrap_err();
        assert!(error.to_string().ends_with("is a FIFO, not a regular file"), "{error}");
        // With a reader it opens, and is refused for what it is.
        let _reader = {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
                .open(&fifo)
                .unwrap()
        };
        let error = open_append(&fifo).unwrap_err();
        assert!(error.to_string().ends_with("is a FIFO, not a regular file"), "{error}");
        let error = open_append(Path::new("/dev/null")).unwrap_err();
        assert!(error.to_string().contains("is a device, not a regular file"), "{error}");
        let regular = dir.path().join("service-a.log");
        assert!(open_append(&regular).is_ok());
    }
}
