//! A field's name in a log line: checked when the line is written, or once,
//! when a `const` [`Key`] is made.

/// A field's name: a [`Key`] (checked when it was made), or any `&str`
/// (checked as it is written: a name that is not a key is written with `_`
/// for what a key cannot hold, so the line still parses).
pub trait FieldKey: sealed::Sealed {
    /// Whether the name is known to be a key already.
    const CHECKED: bool;
    fn name(&self) -> &str;
}

impl FieldKey for &str {
    const CHECKED: bool = false;
    fn name(&self) -> &str {
        self
    }
}

/// A field's name made `const` and checked then (ASCII letters, digits and
/// `_`, not empty): a bad one fails the build, and a line written with it
/// checks nothing. The request line's keys are these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(&'static str);

impl Key {
    /// Panics if `name` is not a key: in a `const`, at compile time.
    pub const fn new(name: &'static str) -> Key {
        let bytes = name.as_bytes();
        assert!(!bytes.is_empty(), "a log line key is not empty");
        let mut at = 0;
        while at < bytes.len() {
            assert!(
                bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_',
                "a log line key is ASCII letters, digits and _"
            );
            at += 1;
        }
        Key(name)
    }
}

impl FieldKey for Key {
    const CHECKED: bool = true;
    fn name(&self) -> &str {
        self.0
    }
}

/// Only this module says which names are keys already ([`FieldKey::CHECKED`]):
/// no other type can claim it and have a name written unchecked.
mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for super::Key {}
}
