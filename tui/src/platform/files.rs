//! Whether two metadata describe the same file: how the log follower notices
//! that the name it follows now points at a new file (deleted and re-created,
//! or replaced). Unix compares device and inode. Windows has no stable file id
//! in std and compares creation times, which NTFS's "file tunnelling" can carry
//! over to a file re-created within 15 s; the follower then notices the new
//! file by its size instead (a shorter file is read from the start).

use std::fs::Metadata;

/// True if `a` and `b` are (as far as the platform can tell) one file.
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    imp::same_file(a, b)
}

#[cfg(unix)]
mod imp {
    use std::fs::Metadata;
    use std::os::unix::fs::MetadataExt;

    pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
        (a.dev(), a.ino()) == (b.dev(), b.ino())
    }
}

#[cfg(windows)]
mod imp {
    use std::fs::Metadata;
    use std::os::windows::fs::MetadataExt;

    pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
        a.creation_time() == b.creation_time()
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
}
