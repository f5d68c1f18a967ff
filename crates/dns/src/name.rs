//! Validated DNS names.

use std::borrow::Borrow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

/// Longest name in presentation form without the trailing dot: 255 octets on the wire
/// (RFC 1035 §2.3.4) is 253 characters of text.
const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// A domain name, ready to be queried.
///
/// A `Name` is always in the form resolvers compare: ASCII, lower case, without the trailing
/// dot, every label 1–63 octets and the whole name at most 253 characters (255 octets on the
/// wire, RFC 1035 §2.3.4). Building one from text:
///
/// - ignores one trailing dot (`example.com.` and `example.com` are the same name);
/// - lower-cases ASCII letters (names compare case-insensitively, RFC 4343);
/// - converts Unicode labels to A-labels with UTS #46 processing (RFC 8616 asks email
///   software to do so before any DNS lookup);
/// - keeps any other printable ASCII octet, `_` included (`_dmarc`, `_domainkey`), and also
///   `:`, `/`, `%` or space, which the DNS allows in labels and SPF macro expansion can
///   produce (RFC 7208 §7). Control characters and the DEL octet are refused.
///
/// Cloning is cheap: the text is shared (one reference-count increment, no allocation), so
/// traces, cache keys and results can hold names freely.
///
/// # Example
/// ```
/// use mailproof_dns::Name;
///
/// let name: Name = "_DMARC.Bücher.Example.".parse()?;
/// assert_eq!(name.as_str(), "_dmarc.xn--bcher-kva.example");
/// assert_eq!(name.parent().map(|p| p.to_string()), Some("xn--bcher-kva.example".into()));
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

/// Why text could not be made into a [`Name`].
///
/// A small closed set of reasons; the caller knows the text it passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The text was empty, or only a dot (the root, which no mail protocol queries).
    #[error("empty domain name")]
    Empty,
    /// Two dots in a row, or a leading dot.
    #[error("empty label at byte {offset}")]
    EmptyLabel {
        /// Byte offset of the empty label in the text as given.
        offset: usize,
    },
    /// A label longer than 63 octets (RFC 1035 §2.3.4).
    #[error("label of {length} octets at byte {offset} exceeds 63")]
    LabelTooLong {
        /// Byte offset of the label in the normalized (A-label) name.
        offset: usize,
        /// The label's length in octets.
        length: usize,
    },
    /// The name is longer than 253 characters (255 octets on the wire).
    #[error("name of {length} characters exceeds 253")]
    NameTooLong {
        /// The normalized name's length.
        length: usize,
    },
    /// A control character, DEL, or bytes that are not UTF-8.
    #[error("invalid character at byte {offset}")]
    InvalidCharacter {
        /// Byte offset in the text as given.
        offset: usize,
    },
    /// A Unicode label that UTS #46 processing refuses (for example a disallowed code point).
    #[error("internationalized name cannot be converted to A-labels")]
    Idna,
}

impl Name {
    /// Validates and normalizes `text` into a name; see the type's documentation for the rules.
    ///
    /// # Errors
    /// [`NameError`] says what is wrong and where.
    pub fn new(text: &str) -> Result<Name, NameError> {
        Name::from_bytes(text.as_bytes())
    }

    /// Like [`Name::new`], for names that arrive as bytes (for example from an SPF macro
    /// expansion). Non-ASCII bytes must be UTF-8.
    ///
    /// # Errors
    /// [`NameError`] says what is wrong and where.
    pub fn from_bytes(text: &[u8]) -> Result<Name, NameError> {
        match Name::plain_ascii(text) {
            Some(name) => Ok(name),
            None => Name::from_bytes_general(text),
        }
    }

    /// Every rule of the type's documentation, with precise errors.
    fn from_bytes_general(text: &[u8]) -> Result<Name, NameError> {
        let trimmed = match text {
            [rest @ .., b'.'] => rest,
            _ => text,
        };
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        check_labels_not_empty(trimmed)?;
        if let Some(offset) = trimmed.iter().position(|&b| b < 0x20 || b == 0x7f) {
            return Err(NameError::InvalidCharacter { offset });
        }
        let normalized = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            let text = std::str::from_utf8(trimmed).map_err(|e| NameError::InvalidCharacter {
                offset: e.valid_up_to(),
            })?;
            let ascii = idna::domain_to_ascii_cow(text.as_bytes(), idna::AsciiDenyList::EMPTY)
                .map_err(|_| NameError::Idna)?;
            // UTS #46 may map a label to nothing (e.g. a lone soft hyphen): check again.
            check_labels_not_empty(ascii.as_bytes())?;
            ascii.to_ascii_lowercase().into_bytes()
        };
        check_lengths(&normalized)?;
        // Only ASCII remains (A-labels), so this never fails.
        let text = std::str::from_utf8(&normalized).map_err(|e| NameError::InvalidCharacter {
            offset: e.valid_up_to(),
        })?;
        Ok(Name(Arc::from(text)))
    }

    /// The fast path of [`Name::from_bytes`] for the common case, in one pass and one
    /// allocation: printable ASCII, labels of 1–63 octets, at most 253 octets without the
    /// optional trailing dot. `None` for anything else (errors, Unicode), which the general
    /// path then handles — so both paths accept and build exactly the same names.
    fn plain_ascii(text: &[u8]) -> Option<Name> {
        let trimmed = text.strip_suffix(b".").unwrap_or(text);
        if trimmed.is_empty() || trimmed.len() > MAX_NAME_LEN {
            return None;
        }
        let mut lower = [0u8; MAX_NAME_LEN];
        let mut label_length = 0;
        for (slot, &byte) in lower.iter_mut().zip(trimmed) {
            if byte == b'.' {
                if label_length == 0 {
                    return None;
                }
                label_length = 0;
            } else {
                if !(0x20..0x7f).contains(&byte) || label_length == MAX_LABEL_LEN {
                    return None;
                }
                label_length += 1;
            }
            *slot = byte.to_ascii_lowercase();
        }
        if label_length == 0 {
            return None;
        }
        let text = std::str::from_utf8(&lower[..trimmed.len()]).ok()?;
        Some(Name(Arc::from(text)))
    }

    /// The name reverse lookups query for `ip`: `d.c.b.a.in-addr.arpa` for IPv4, 32 nibbles
    /// under `ip6.arpa` for IPv6 (RFC 1035 §3.5, RFC 3596 §2.5).
    ///
    /// ```
    /// use mailproof_dns::Name;
    /// let name = Name::reverse("192.0.2.25".parse().unwrap());
    /// assert_eq!(name.as_str(), "25.2.0.192.in-addr.arpa");
    /// ```
    pub fn reverse(ip: IpAddr) -> Name {
        use fmt::Write as _;
        let mut s = String::with_capacity(72);
        match ip {
            IpAddr::V4(v4) => {
                for octet in v4.octets().iter().rev() {
                    // Writing to a String cannot fail.
                    let _ = write!(s, "{octet}.");
                }
                s.push_str("in-addr.arpa");
            }
            IpAddr::V6(v6) => {
                for octet in v6.octets().iter().rev() {
                    let _ = write!(s, "{:x}.{:x}.", octet & 0xf, octet >> 4);
                }
                s.push_str("ip6.arpa");
            }
        }
        Name(Arc::from(s))
    }

    /// The name as text: lower case, A-labels, no trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The labels from left to right.
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.0.split('.')
    }

    /// The number of labels (`example.com` has 2).
    pub fn label_count(&self) -> usize {
        self.0.bytes().filter(|&b| b == b'.').count() + 1
    }

    /// The name without its leftmost label, or `None` for a single-label name.
    pub fn parent(&self) -> Option<Name> {
        self.0
            .split_once('.')
            .map(|(_, rest)| Name(Arc::from(rest)))
    }

    /// The name made of the rightmost `count` labels, or `None` when the name has fewer.
    ///
    /// ```
    /// use mailproof_dns::Name;
    /// let name: Name = "a.b.example.com".parse()?;
    /// assert_eq!(name.suffix(2).unwrap().as_str(), "example.com");
    /// # Ok::<(), mailproof_dns::NameError>(())
    /// ```
    pub fn suffix(&self, count: usize) -> Option<Name> {
        if count == 0 || count > self.label_count() {
            return None;
        }
        let skip = self.label_count() - count;
        let start = if skip == 0 {
            0
        } else {
            // `skip` dots exist because skip < label_count.
            self.0
                .match_indices('.')
                .nth(skip - 1)
                .map_or(0, |(index, _)| index + 1)
        };
        Some(Name(Arc::from(&self.0[start..])))
    }

    /// True when `self` equals `other` or lies below it (`mail.example.com` is within
    /// `example.com`; `badexample.com` is not).
    pub fn is_within(&self, other: &Name) -> bool {
        let (me, them) = (self.as_str(), other.as_str());
        me == them
            || (me.len() > them.len()
                && me.ends_with(them)
                && me.as_bytes()[me.len() - them.len() - 1] == b'.')
    }

    /// Prepends `label` (which may itself hold several dot-separated labels), as in
    /// `name.prepend("_dmarc")`.
    ///
    /// # Errors
    /// The result must still be a valid name.
    pub fn prepend(&self, label: &str) -> Result<Name, NameError> {
        let mut text = String::with_capacity(label.len() + 1 + self.0.len());
        text.push_str(label);
        text.push('.');
        text.push_str(&self.0);
        Name::new(&text)
    }
}

/// Label lengths (63 at most) and the name's length (253 at most), on normalized text.
fn check_lengths(normalized: &[u8]) -> Result<(), NameError> {
    let mut offset = 0;
    for label in normalized.split(|&b| b == b'.') {
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong {
                offset,
                length: label.len(),
            });
        }
        offset += label.len() + 1;
    }
    if normalized.len() > MAX_NAME_LEN {
        return Err(NameError::NameTooLong {
            length: normalized.len(),
        });
    }
    Ok(())
}

fn check_labels_not_empty(text: &[u8]) -> Result<(), NameError> {
    let mut label_start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'.' {
            if i == label_start {
                return Err(NameError::EmptyLabel { offset: i });
            }
            label_start = i + 1;
        }
    }
    if label_start == text.len() {
        return Err(NameError::EmptyLabel {
            offset: label_start,
        });
    }
    Ok(())
}

impl FromStr for Name {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Name::new(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Name::new(s)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A name borrows as its text, so maps keyed by [`Name`] can be searched with a `&str`
/// (equal names have equal text, and hash alike).
impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({:?})", &*self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_trailing_dot() {
        assert_eq!(Name::new("Example.COM.").unwrap().as_str(), "example.com");
        assert_eq!(
            Name::new("example.com").unwrap(),
            Name::new("EXAMPLE.com.").unwrap()
        );
    }

    #[test]
    fn underscore_and_odd_ascii_allowed() {
        assert!(Name::new("sel._domainkey.example.com").is_ok());
        assert_eq!(
            Name::new("a:b/c%d e.example").unwrap().as_str(),
            "a:b/c%d e.example"
        );
    }

    #[test]
    fn unicode_becomes_a_labels() {
        assert_eq!(
            Name::new("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            Name::new("ÉCOLE.example").unwrap().as_str(),
            "xn--cole-9oa.example"
        );
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(Name::new(""), Err(NameError::Empty));
        assert_eq!(Name::new("."), Err(NameError::Empty));
        assert_eq!(Name::new("a..b"), Err(NameError::EmptyLabel { offset: 2 }));
        assert_eq!(Name::new(".a"), Err(NameError::EmptyLabel { offset: 0 }));
        assert_eq!(Name::new("a.."), Err(NameError::EmptyLabel { offset: 2 }));
        let long_label = "a".repeat(64);
        assert_eq!(
            Name::new(&format!("x.{long_label}.com")),
            Err(NameError::LabelTooLong {
                offset: 2,
                length: 64
            })
        );
        assert!(Name::new(&"a".repeat(63)).is_ok());
        let long_name = ["abcdefghi"; 26].join(".");
        assert_eq!(long_name.len(), 259);
        assert_eq!(
            Name::new(&long_name),
            Err(NameError::NameTooLong { length: 259 })
        );
        assert_eq!(
            Name::new("a\nb"),
            Err(NameError::InvalidCharacter { offset: 1 })
        );
        assert_eq!(
            Name::from_bytes(b"a\xffb"),
            Err(NameError::InvalidCharacter { offset: 1 })
        );
    }

    proptest::proptest! {
        /// The one-pass ASCII path builds exactly the names the general path builds.
        #[test]
        fn fast_path_agrees_with_general_path(
            text in "([a-zA-Z0-9_ ./:-]|\\.|\\x7f|\\x01|é){0,70}",
            long_label in 0..70usize,
            repeat in 1..40usize,
        ) {
            for candidate in [
                text.clone(),
                format!("{}.{text}", "x".repeat(long_label)),
                [text.as_str(); 8][..repeat.min(8)].join("."),
                format!("{}{text}", "ab.".repeat(repeat * 2)),
            ] {
                if let Some(fast) = Name::plain_ascii(candidate.as_bytes()) {
                    proptest::prop_assert_eq!(
                        Ok(fast),
                        Name::from_bytes_general(candidate.as_bytes()),
                        "{:?}", candidate
                    );
                }
            }
        }
    }

    #[test]
    fn fast_path_covers_the_common_names() {
        for text in [
            "example.com",
            "Example.COM.",
            "_spf.example.com",
            "a b.example",
        ] {
            assert!(Name::plain_ascii(text.as_bytes()).is_some(), "{text}");
        }
        let max_label = format!("{}.com", "a".repeat(63));
        assert!(Name::plain_ascii(max_label.as_bytes()).is_some());
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(Name::plain_ascii(long_label.as_bytes()).is_none());
        let max_name = ["a".repeat(63).as_str(); 4].join(".")[..253].to_owned();
        assert!(!max_name.ends_with('.'));
        assert!(Name::plain_ascii(max_name.as_bytes()).is_some());
        assert!(Name::plain_ascii(format!("{max_name}a").as_bytes()).is_none());
    }

    #[test]
    fn relations() {
        let name = Name::new("a.b.example.com").unwrap();
        let org = Name::new("example.com").unwrap();
        assert!(name.is_within(&org));
        assert!(org.is_within(&org));
        assert!(!Name::new("badexample.com").unwrap().is_within(&org));
        assert!(!org.is_within(&name));
        assert_eq!(name.label_count(), 4);
        assert_eq!(name.suffix(4).unwrap(), name);
        assert_eq!(name.suffix(1).unwrap().as_str(), "com");
        assert_eq!(name.suffix(5), None);
        assert_eq!(name.suffix(0), None);
        assert_eq!(org.parent().unwrap().as_str(), "com");
        assert_eq!(Name::new("com").unwrap().parent(), None);
        assert_eq!(
            org.prepend("_dmarc").unwrap().as_str(),
            "_dmarc.example.com"
        );
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            Name::reverse("2001:db8::cb01".parse().unwrap()).as_str(),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            Name::reverse("10.0.0.1".parse().unwrap()).as_str(),
            "1.0.0.10.in-addr.arpa"
        );
    }
}
