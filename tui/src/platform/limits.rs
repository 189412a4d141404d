//! The dashboard's share of the machine's file descriptors. Unix: the soft
//! limit on open files (often 1024, while the hard limit is far higher) is
//! raised at start to the hard limit, at most [`WANTED`]; a dashboard out of
//! descriptors says so by name ("out of file descriptors"), not "Too many open
//! files (os error 24)" or, worse, as a timeout. Windows has no such per-process
//! soft limit for sockets and files: nothing to raise, and `WSAEMFILE` is
//! named the same way.

/// The soft limit asked for: enough for the link's 256 connections (two
/// descriptors each), the services' pipes and the followed logs many times
/// over, and below macOS's `OPEN_MAX` ceiling for `setrlimit` (10240).
pub const WANTED: u64 = 10_240;

/// Raises the soft limit on open files toward [`WANTED`]; returns the limit
/// now (`None` where there is none to read).
pub fn raise_open_files() -> Option<u64> {
    imp::raise_open_files()
}

/// Whether `error` means this process (or the whole system) has no file
/// descriptor left.
pub fn out_of_descriptors(error: &std::io::Error) -> bool {
    error.raw_os_error().is_some_and(imp::out_of_descriptors)
}

#[cfg(unix)]
mod imp {
    use nix::errno::Errno;
    use nix::sys::resource::{Resource, getrlimit, setrlimit};

    pub fn raise_open_files() -> Option<u64> {
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
        let wanted = super::WANTED.min(hard);
        if soft >= wanted {
            return Some(soft);
        }
        match setrlimit(Resource::RLIMIT_NOFILE, wanted, hard) {
            Ok(()) => Some(wanted),
            Err(_) => Some(soft),
        }
    }

    pub fn out_of_descriptors(code: i32) -> bool {
        code == Errno::EMFILE as i32 || code == Errno::ENFILE as i32
    }
}

#[cfg(windows)]
mod imp {
    /// `WSAEMFILE`: no socket descriptor left.
    const WSAEMFILE: i32 = 10_024;
    /// `ERROR_TOO_MANY_OPEN_FILES`.
    const TOO_MANY_OPEN_FILES: i32 = 4;

    pub fn raise_open_files() -> Option<u64> {
        None
    }

    pub fn out_of_descriptors(code: i32) -> bool {
        code == WSAEMFILE || code == TOO_MANY_OPEN_FILES
    }
}
