//! The log follower's file system questions (and where another
//! implementation's console is appended). Opening only a regular file,
//! without blocking (a FIFO opened for reading blocks until a writer comes):
//! Unix opens with `O_NONBLOCK` and checks what it opened; Windows has no
//! FIFOs under a file name and checks the same way.
//!
//! Whether two metadata describe the same file: how the log follower notices
//! that the name it follows now points at a new file (deleted and re-created,
//! or replaced). Unix compares device and inode. Windows has no stable file id
//! in std and compares creation times, which NTFS's "file tunnelling" can carry
//! over to a file re-created within 15 s; the follower then notices the new
//! file by its size instead (a shorter file is read from the start).

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

/// True if `a` and `b` are (as far as the platform can tell) one file.
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    imp::same_file(a, b)
}

/// `path` opened for reading if it is a regular file (through a symbolic
/// link, what it points at), without ever blocking in the open.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = imp::open_without_blocking(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() {
        Ok(file)
    } else {
        Err(io::Error::other(format!("it is {}, not a log file", special_kind(&metadata))))
    }
}

/// `path` opened for appending (created if missing) if it is a regular file,
/// without ever blocking in the open (a FIFO opened for writing blocks until
/// a reader comes): where another implementation's console is written.
pub fn append_regular(path: &Path) -> io::Result<File> {
    let not_regular =
        |metadata: &Metadata| io::Error::other(format!("it is {}, not a log file", special_kind(metadata)));
    let file = imp::append_without_blocking(path).map_err(|error| {
        // A FIFO nobody reads refuses a non-blocking writer (ENXIO): say what it is.
        match std::fs::metadata(path) {
            Ok(metadata) if !metadata.is_file() => not_regular(&metadata),
            _ => error,
        }
    })?;
    let metadata = file.metadata()?;
    if metadata.is_file() { Ok(file) } else { Err(not_regular(&metadata)) }
}

/// What a file that is neither regular nor a directory is, in words.
pub fn special_kind(metadata: &Metadata) -> &'static str {
    imp::special_kind(metadata)
}

#[cfg(unix)]
mod imp {
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
        (a.dev(), a.ino()) == (b.dev(), b.ino())
    }

    pub fn open_without_blocking(path: &Path) -> std::io::Result<File> {
        // O_NONBLOCK only changes how a FIFO or a device opens; on a regular
        // file, reads are what they always are.
        OpenOptions::new().read(true).custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits()).open(path)
    }

    pub fn append_without_blocking(path: &Path) -> std::io::Result<File> {
        // Appends to a regular file do not care for O_NONBLOCK either.
        OpenOptions::new().create(true).append(true).custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits()).open(path)
    }

    pub fn special_kind(metadata: &Metadata) -> &'static str {
        let kind = metadata.file_type();
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
}

#[cfg(windows)]
mod imp {
    use std::fs::{File, Metadata};
    use std::os::windows::fs::MetadataExt;
    use std::path::Path;

    pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
        a.creation_time() == b.creation_time()
    }

    /// Named pipes live under `\\.\pipe\`, not under a file's name: an open
    /// of a log file's name does not block.
    pub fn open_without_blocking(path: &Path) -> std::io::Result<File> {
        File::open(path)
    }

    pub fn append_without_blocking(path: &Path) -> std::io::Result<File> {
        std::fs::OpenOptions::new().create(true).append(true).open(path)
    }

    pub fn special_kind(metadata: &Metadata) -> &'static str {
        if metadata.is_dir() { "a directory" } else { "not a regular file" }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_re_created_file_is_another_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, "one").expect("written");
        let open = std::fs::File::open(&path).expect("opened");
        let first = open.metadata().expect("metadata");
        assert!(same_file(&first, &std::fs::metadata(&path).expect("metadata")));
        // Keep the old file alive (as the follower does) so its id is not reused.
        std::fs::remove_file(&path).expect("removed");
        std::fs::write(&path, "two").expect("written");
        assert!(!same_file(&first, &std::fs::metadata(&path).expect("metadata")));
        drop(open);
    }

    #[test]
    fn a_fifo_under_a_console_logs_name_is_refused_at_once_and_a_file_is_appended_to() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let fifo = dir.path().join("service-a.2026-12-03.log");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("a FIFO");
        // A plain open for writing would wait here for a reader, for ever.
        let error = append_regular(&fifo).expect_err("not a regular file");
        assert!(error.to_string().contains("a FIFO"), "{error}");
        let file = dir.path().join("service-b.2026-12-03.log");
        std::fs::write(&file, "one\n").expect("written");
        use std::io::Write as _;
        append_regular(&file).expect("opened").write_all(b"two\n").expect("appended");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "one\ntwo\n");
    }
}
