//! The dashboard's hold on its children: keeping them from outliving it,
//! freezing and thawing them, and asking them to stop.
//!
//! - **Unix** (Linux and macOS): the children join the process group of a small
//!   guard process (`tui guard`) whose stdin is a pipe from the dashboard. When
//!   the dashboard dies, however it dies, the kernel closes the pipe and the
//!   guard SIGKILLs the group. The guard acts, not the children, because a
//!   frozen (SIGSTOPped) child handles nothing, but SIGKILL ends it anyway.
//!   Linux also sets the parent-death signal on each child, which acts at once.
//!   Freeze = SIGSTOP, thaw = SIGCONT, stop = SIGTERM.
//! - **Windows**: the children are put in a job object that kills them when its
//!   last handle closes, which happens when the dashboard exits or is killed.
//!   Stop = Ctrl-Break to the child's own process group (the services handle it
//!   like SIGTERM). Freezing is not offered: [`freeze`] says so.

use std::path::Path;
use std::process::ExitCode;

use tokio::process::{Child, Command};

/// The `tui` subcommand that runs the guard process (Unix).
pub const GUARD_SUBCOMMAND: &str = "guard";

/// While this lives, the children it adopted may live; once it is gone
/// (dropped, or the dashboard killed), they are killed.
pub struct Lifeline(imp::Lifeline);

impl Lifeline {
    /// Sets up the mechanism; `exe` is this binary (it runs the Unix guard).
    pub fn new(exe: &Path) -> std::io::Result<Self> {
        imp::Lifeline::new(exe).map(Self)
    }

    /// Prepares a child's command before it is spawned.
    pub fn prepare(&self, command: &mut Command) {
        self.0.prepare(command);
    }

    /// Ties a spawned child to the lifeline.
    pub fn adopt(&self, child: &Child) -> std::io::Result<()> {
        self.0.adopt(child)
    }
}

/// Stops a process from running without ending it (its port stays open).
pub fn freeze(pid: u32) -> Result<(), String> {
    imp::freeze(pid)
}

/// Lets a frozen process run again.
pub fn thaw(pid: u32) -> Result<(), String> {
    imp::thaw(pid)
}

/// Asks a process to drain and exit; false if it is gone.
pub fn request_stop(pid: u32) -> bool {
    imp::request_stop(pid)
}

/// The guard process's whole life: wait until the dashboard is gone, then
/// end every process of its group (the dashboard's children).
pub fn run_guard() -> ExitCode {
    imp::run_guard()
}

#[cfg(unix)]
mod imp {
    use std::io::Read as _;
    use std::path::Path;
    use std::process::{ExitCode, Stdio};

    use nix::sys::signal::{Signal, kill, killpg};
    use nix::unistd::{Pid, getpgrp, getpid};
    use tokio::process::{Child, ChildStdin, Command};

    pub struct Lifeline {
        /// The guard's process group, which the children join.
        group: i32,
        /// The write end of the guard's stdin: closing it (by drop, or by the
        /// kernel when the dashboard dies) tells the guard to act.
        _pipe: ChildStdin,
        _guard: Child,
    }

    impl Lifeline {
        pub fn new(exe: &Path) -> std::io::Result<Self> {
            let mut command = Command::new(exe);
            command
                .arg(super::GUARD_SUBCOMMAND)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0);
            die_with_parent(&mut command);
            let mut guard = command.spawn()?;
            let group = guard
                .id()
                .and_then(|pid| i32::try_from(pid).ok())
                .ok_or_else(|| std::io::Error::other("the guard process exited at once"))?;
            let pipe = guard.stdin.take().ok_or_else(|| std::io::Error::other("the guard process has no stdin"))?;
            Ok(Self { group, _pipe: pipe, _guard: guard })
        }

        pub fn prepare(&self, command: &mut Command) {
            // The guard's group, not the terminal's: Ctrl-C in the terminal is the
            // dashboard's alone, and the guard can end all children at once.
            command.process_group(self.group);
            die_with_parent(command);
        }

        pub fn adopt(&self, _child: &Child) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn send(pid: u32, signal: Signal) -> Result<(), String> {
        let pid = i32::try_from(pid).map_err(|_| format!("no such process: {pid}"))?;
        kill(Pid::from_raw(pid), signal).map_err(|error| format!("{signal}: {error}"))
    }

    pub fn freeze(pid: u32) -> Result<(), String> {
        send(pid, Signal::SIGSTOP)
    }

    pub fn thaw(pid: u32) -> Result<(), String> {
        send(pid, Signal::SIGCONT)
    }

    pub fn request_stop(pid: u32) -> bool {
        send(pid, Signal::SIGTERM).is_ok()
    }

    pub fn run_guard() -> ExitCode {
        // Only ever end a group the guard leads (the dashboard starts it so):
        // run by hand from a shell, it must not take the shell's group down.
        if getpgrp() != getpid() {
            eprintln!("tui guard: not a process group leader; the dashboard starts this itself");
            return ExitCode::from(2);
        }
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 64];
        // Nothing is ever written: a read returns only when the pipe closes.
        while let Ok(1..) = stdin.read(&mut buffer) {}
        // SIGKILL ends stopped processes too; the guard goes with its group.
        let _ = killpg(getpgrp(), Signal::SIGKILL);
        ExitCode::SUCCESS
    }

    /// Linux: the process gets SIGKILL when the dashboard dies (SIGKILL, not
    /// SIGTERM, because a frozen child would never handle SIGTERM).
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    fn die_with_parent(command: &mut Command) {
        let parent = nix::unistd::getpid();
        // SAFETY: runs in the forked child before exec; prctl and getppid are
        // async-signal-safe and nothing here allocates or takes a lock.
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
                // The dashboard may have died before prctl took effect.
                if nix::unistd::getppid() != parent {
                    return Err(std::io::Error::other("the dashboard is gone"));
                }
                Ok(())
            });
        }
    }

    /// Elsewhere the guard alone does it.
    #[cfg(not(target_os = "linux"))]
    fn die_with_parent(_command: &mut Command) {}
}

#[cfg(windows)]
#[allow(unsafe_code)]
mod imp {
    use std::path::Path;
    use std::process::ExitCode;

    use tokio::process::{Child, Command};
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, GenerateConsoleCtrlEvent};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
    };
    use windows_sys::Win32::System::Threading::CREATE_NEW_PROCESS_GROUP;

    /// A job object that kills its processes when its last handle closes.
    pub struct Lifeline {
        /// The job's handle, as an integer so the type stays `Send`.
        job: isize,
    }

    impl Lifeline {
        pub fn new(_exe: &Path) -> std::io::Result<Self> {
            // SAFETY: plain Win32 calls with valid arguments; the handle is
            // checked and owned by the returned value, which closes it on drop.
            unsafe {
                let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
                if job.is_null() {
                    return Err(std::io::Error::last_os_error());
                }
                let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
                info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
                let size = u32::try_from(std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>()).unwrap_or(0);
                if SetInformationJobObject(job, JobObjectExtendedLimitInformation, (&raw const info).cast(), size) == 0
                {
                    let error = std::io::Error::last_os_error();
                    CloseHandle(job);
                    return Err(error);
                }
                Ok(Self { job: job as isize })
            }
        }

        pub fn prepare(&self, command: &mut Command) {
            // Its own console process group, so Ctrl-Break reaches it alone.
            command.creation_flags(CREATE_NEW_PROCESS_GROUP);
        }

        pub fn adopt(&self, child: &Child) -> std::io::Result<()> {
            let Some(process) = child.raw_handle() else { return Ok(()) };
            // SAFETY: both handles are valid for the duration of the call.
            if unsafe { AssignProcessToJobObject(self.job as HANDLE, process as HANDLE) } == 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        }
    }

    impl Drop for Lifeline {
        fn drop(&mut self) {
            // SAFETY: the handle is ours and closed once.
            unsafe { CloseHandle(self.job as HANDLE) };
        }
    }

    pub fn freeze(_pid: u32) -> Result<(), String> {
        Err("freezing a process is not available on Windows: use a slow request (s) to see a timeout".into())
    }

    pub fn thaw(_pid: u32) -> Result<(), String> {
        Err("nothing is frozen on Windows".into())
    }

    pub fn request_stop(pid: u32) -> bool {
        // SAFETY: a plain Win32 call; a pid that is gone makes it fail.
        unsafe { GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pid) != 0 }
    }

    pub fn run_guard() -> ExitCode {
        // The job object needs no guard process.
        ExitCode::SUCCESS
    }
}
