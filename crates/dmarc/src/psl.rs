//! The Public Suffix List, for the RFC 7489 compatibility mode (RFC 7489 §3.2).

use std::fmt;

use publicsuffix::Psl as _;

use mailproof_dns::Name;

use crate::Error;

/// A Public Suffix List: the copy compiled into this crate, or one loaded at run time.
///
/// RFC 7489 §3.2 finds a domain's Organizational Domain as the public suffix plus one label
/// ("registrable domain"); [`PublicSuffixList::organizational_domain`] does exactly that,
/// with the implicit `*` rule for unlisted top-level domains. Both ICANN and private sections
/// of the list are used.
///
/// # Example
/// ```
/// use mailproof_dmarc::PublicSuffixList;
/// use mailproof_dns::Name;
///
/// let list = PublicSuffixList::parse(
///     "// ===BEGIN ICANN DOMAINS===\ncom\n*.ck\n!www.ck\n// ===END ICANN DOMAINS===\n",
/// )?;
/// let org = |s: &str| list.organizational_domain(&Name::new(s).unwrap()).map(|n| n.to_string());
/// assert_eq!(org("mail.example.com").as_deref(), Some("example.com"));
/// assert_eq!(org("a.b.test.ck").as_deref(), Some("b.test.ck"));
/// assert_eq!(org("www.www.ck").as_deref(), Some("www.ck"));
/// assert_eq!(org("com"), None);
/// # Ok::<(), mailproof_dmarc::Error>(())
/// ```
pub struct PublicSuffixList(Inner);

enum Inner {
    CompiledIn,
    Loaded(Box<publicsuffix::List>),
}

impl PublicSuffixList {
    /// The list compiled into the `psl` crate this crate depends on. Refreshed only when
    /// that dependency is updated; load a current list with [`PublicSuffixList::parse`] where
    /// that matters.
    pub fn compiled_in() -> PublicSuffixList {
        PublicSuffixList(Inner::CompiledIn)
    }

    /// Parses a list in the publicsuffix.org format (`public_suffix_list.dat`), including
    /// its `// ===BEGIN ICANN DOMAINS===` section markers, without which the parser refuses it.
    ///
    /// # Errors
    /// [`Error::InvalidPublicSuffixList`] when the text is not such a list.
    pub fn parse(text: &str) -> Result<PublicSuffixList, Error> {
        let list: publicsuffix::List =
            text.parse()
                .map_err(|source| Error::InvalidPublicSuffixList {
                    source: Box::new(source),
                })?;
        Ok(PublicSuffixList(Inner::Loaded(Box::new(list))))
    }

    /// The Organizational Domain of `name` by RFC 7489 §3.2 (the public suffix plus one
    /// label), or `None` when `name` is itself a public suffix.
    pub fn organizational_domain(&self, name: &Name) -> Option<Name> {
        let bytes = name.as_str().as_bytes();
        let domain = match &self.0 {
            Inner::CompiledIn => psl::domain(bytes).map(|d| d.as_bytes().to_vec()),
            Inner::Loaded(list) => list.domain(bytes).map(|d| d.as_bytes().to_vec()),
        }?;
        Name::from_bytes(&domain).ok()
    }
}

impl fmt::Debug for PublicSuffixList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::CompiledIn => f.write_str("PublicSuffixList(compiled in)"),
            Inner::Loaded(_) => f.write_str("PublicSuffixList(loaded)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_list() {
        let list = PublicSuffixList::compiled_in();
        let org = |s: &str| {
            list.organizational_domain(&Name::new(s).unwrap())
                .map(|n| n.to_string())
        };
        assert_eq!(org("a.b.example.co.uk").as_deref(), Some("example.co.uk"));
        assert_eq!(
            org("www.xn--85x722f.xn--55qx5d.cn").as_deref(),
            Some("xn--85x722f.xn--55qx5d.cn")
        );
        assert_eq!(org("co.uk"), None);
        assert_eq!(org("example.example").as_deref(), Some("example.example"));
    }

    #[test]
    fn bad_list() {
        assert!(PublicSuffixList::parse("").is_err());
    }
}
