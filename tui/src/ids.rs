//! The request ids the dashboard sends: `<session>-<n>-<tag>` (by hand),
//! `<session>-S<k>-<n>-<tag>` (a load), `<session>-L<k>-<n>-<tag>` (a burst).
//! The session and the number make an id readable; the tag makes it
//! unguessable. It is a keyed hash (SipHash-1-3, a 128-bit key drawn at
//! start) of the rest, so the dashboard can tell its own ids from any other
//! without remembering them, and a client that saw one id cannot make the
//! next: a log line under an id the dashboard did not send is never taken as
//! evidence of a request it did.

use std::hash::Hasher;

use siphasher::sip::SipHasher13;

/// Lowercase Crockford base32: no `i`, `l`, `o`, `u` to misread.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in a tag: 30 bits, a billion to one against a guess.
const TAG_CHARS: usize = 6;

/// Makes and recognises the dashboard's request ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIds {
    session: String,
    key: (u64, u64),
}

impl RequestIds {
    /// Ids of `session`, tagged with `key` (drawn at random by the dashboard;
    /// fixed in tests, so their screens do not change from run to run).
    pub fn new(session: impl Into<String>, key: u128) -> Self {
        // The key's two halves.
        #[allow(clippy::cast_possible_truncation)]
        let key = ((key >> 64) as u64, key as u64);
        Self { session: session.into(), key }
    }

    /// The readable part every id of this session starts with.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// `base` with its tag: the id to send.
    pub fn sign(&self, base: &str) -> String {
        format!("{base}-{}", self.tag(base))
    }

    /// Whether `id` is one this dashboard made (in this run).
    pub fn is_ours(&self, id: &str) -> bool {
        id.rsplit_once('-').is_some_and(|(base, tag)| base.starts_with(&self.session) && tag == self.tag(base))
    }

    fn tag(&self, base: &str) -> String {
        let mut hasher = SipHasher13::new_with_keys(self.key.0, self.key.1);
        hasher.write(base.as_bytes());
        let mut bits = hasher.finish();
        (0..TAG_CHARS)
            .map(|_| {
                let c = ALPHABET[usize::try_from(bits & 31).unwrap_or(0)];
                bits >>= 5;
                char::from(c)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_readable_and_only_its_maker_knows_it_for_its_own() {
        let ids = RequestIds::new("c5f0", 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let first = ids.sign("c5f0-0001");
        assert!(first.starts_with("c5f0-0001-") && first.len() == "c5f0-0001-".len() + TAG_CHARS, "{first}");
        assert!(ids.is_ours(&first));
        // The next one cannot be made from this one: its tag is not a count.
        let second = ids.sign("c5f0-0002");
        assert_ne!(first.rsplit('-').next(), second.rsplit('-').next());
        for forged in ["c5f0-0002", "c5f0-0002-000000", &first.replace("0001", "0002"), "other-0001-abcdef", ""] {
            assert!(!ids.is_ours(forged), "{forged}");
        }
        // Another dashboard (another key) does not take these ids for its own.
        assert!(!RequestIds::new("c5f0", 7).is_ours(&first));
        assert!(ids.is_ours(&ids.sign("c5f0-S3-000042")), "load and burst ids too");
    }
}
