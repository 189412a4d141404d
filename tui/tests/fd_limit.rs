//! The dashboard raises its soft limit on open files at start (a limit of
//! 1024 ran out under 600 idle connections to the link). Its own test binary:
//! lowering the limit for a moment must not starve other tests.
#![cfg(unix)]

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use tui::platform::limits::{WANTED, raise_open_files};

#[test]
fn a_low_soft_limit_on_open_files_is_raised_toward_the_hard_limit() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if hard < 512 {
        eprintln!("SKIPPED: the hard limit on open files is {hard}, nothing to raise toward");
        return;
    }
    setrlimit(Resource::RLIMIT_NOFILE, 256, hard).unwrap();
    let raised = raise_open_files();
    let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    assert_eq!(raised, Some(soft));
    assert_eq!(soft, WANTED.min(hard), "raised from 256 to what the hard limit allows");
    // Already high enough: left alone.
    assert_eq!(raise_open_files(), Some(soft));
}
