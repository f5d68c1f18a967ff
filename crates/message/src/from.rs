//! The RFC 5322.From author domain(s), classified the way DMARC needs.

use std::borrow::Cow;

use crate::address::{Mailbox, parse_address_list};
use crate::error::Error;
use crate::header::Header;

/// An author domain: as written in the From field and as an A-label.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorDomain<'a> {
    /// The domain as written (comments and white space removed), e.g.
    /// `Bücher.Example`.
    pub as_written: Cow<'a, [u8]>,
    /// The domain converted with UTS #46 / IDNA to lowercase A-labels, e.g.
    /// `xn--bcher-kva.example`.
    pub a_label: String,
}

/// Why an author domain could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DomainProblem {
    /// The mailbox has no `@domain` (`From: foo`, `From: <foo>`).
    Missing,
    /// The domain is an address literal (`[192.0.2.1]`); DMARC needs a name.
    Literal,
    /// The domain is not valid UTF-8, or IDNA conversion to an A-label failed.
    Idna,
}

/// The result of looking for the author domain(s) in a message's From
/// field(s). Every case a DMARC verifier must treat differently is its own
/// variant, so a match has to decide on each:
///
/// * [`Missing`](Self::Missing): no From field at all;
/// * [`MultipleFields`](Self::MultipleFields): more than one From field. RFC
///   5322 §3.6 allows exactly one; a verifier that evaluated only the first
///   could be bypassed (`OpenDMARC` CVE-2021-34555);
/// * [`Unparsable`](Self::Unparsable): the single From field is not an
///   address list;
/// * [`MultipleMailboxes`](Self::MultipleMailboxes): one From field with
///   several mailboxes (RFC 7489 §6.6.1 lets the verifier reject or check
///   every domain);
/// * [`NoDomain`](Self::NoDomain): the single mailbox has no domain, or the
///   field names no mailbox at all (`From: undisclosed-recipients:;`);
/// * [`InvalidDomain`](Self::InvalidDomain): the single mailbox's domain is
///   a literal or fails IDNA conversion;
/// * [`Single`](Self::Single): exactly one mailbox with a usable domain, the
///   only case in which a DMARC check can run normally.
///
/// ```
/// use mailproof_message::{FromAuthors, Message};
///
/// let msg = Message::parse(b"From: Joe <joe@B\xc3\xbccher.example>\r\n\r\n").unwrap();
/// let FromAuthors::Single { domain, .. } = msg.from_authors() else { panic!() };
/// assert_eq!(domain.as_written.as_ref(), "Bücher.example".as_bytes());
/// assert_eq!(domain.a_label, "xn--bcher-kva.example");
///
/// let msg = Message::parse(b"From: a@x.example\r\nFrom: b@y.example\r\n\r\n").unwrap();
/// assert!(matches!(msg.from_authors(), FromAuthors::MultipleFields { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromAuthors<'a> {
    /// The message has no From field.
    Missing,
    /// The message has more than one From field (all of them, in order).
    MultipleFields {
        /// Every From field.
        fields: Vec<Header<'a>>,
    },
    /// The From field cannot be parsed as an address list.
    Unparsable {
        /// The field.
        field: Header<'a>,
        /// Why, with an offset into the field value.
        error: Error,
    },
    /// The From field holds more than one mailbox (possibly inside groups).
    MultipleMailboxes {
        /// The field.
        field: Header<'a>,
        /// Each mailbox with its domain or the reason it has none usable.
        mailboxes: Vec<(Mailbox<'a>, Result<AuthorDomain<'a>, DomainProblem>)>,
    },
    /// The From field holds no mailbox (`None`: empty value or empty group),
    /// or one mailbox without a domain.
    NoDomain {
        /// The field.
        field: Header<'a>,
        /// The mailbox, if there is one.
        mailbox: Option<Mailbox<'a>>,
    },
    /// The single mailbox's domain is unusable.
    InvalidDomain {
        /// The field.
        field: Header<'a>,
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// What is wrong with its domain.
        problem: DomainProblem,
    },
    /// Exactly one From field with exactly one mailbox with a usable domain.
    Single {
        /// The field.
        field: Header<'a>,
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Its domain.
        domain: AuthorDomain<'a>,
    },
}

impl<'a> FromAuthors<'a> {
    /// The author domain in the [`Single`](Self::Single) case.
    pub fn single_domain(&self) -> Option<&AuthorDomain<'a>> {
        match self {
            Self::Single { domain, .. } => Some(domain),
            _ => None,
        }
    }

    /// Classifies the From fields given (all fields named From, in order).
    pub(crate) fn from_fields(mut fields: impl Iterator<Item = Header<'a>>) -> Self {
        let Some(field) = fields.next() else {
            return Self::Missing;
        };
        if let Some(second) = fields.next() {
            let mut all = vec![field, second];
            all.extend(fields);
            return Self::MultipleFields { fields: all };
        }
        let list = match parse_address_list(field.value()) {
            Ok(list) => list,
            Err(error) => return Self::Unparsable { field, error },
        };
        let mut mailboxes: Vec<Mailbox<'a>> = list
            .into_iter()
            .flat_map(|a| a.mailboxes().to_vec())
            .collect();
        match mailboxes.len() {
            0 => Self::NoDomain {
                field,
                mailbox: None,
            },
            1 => {
                let mailbox = mailboxes.remove(0);
                match author_domain(&mailbox) {
                    Ok(domain) => Self::Single {
                        field,
                        mailbox,
                        domain,
                    },
                    Err(DomainProblem::Missing) => Self::NoDomain {
                        field,
                        mailbox: Some(mailbox),
                    },
                    Err(problem) => Self::InvalidDomain {
                        field,
                        mailbox,
                        problem,
                    },
                }
            }
            _ => Self::MultipleMailboxes {
                field,
                mailboxes: mailboxes
                    .into_iter()
                    .map(|m| {
                        let d = author_domain(&m);
                        (m, d)
                    })
                    .collect(),
            },
        }
    }
}

/// The author domain of a mailbox.
///
/// # Errors
///
/// The [`DomainProblem`] when the mailbox has no usable domain.
pub fn author_domain<'a>(mailbox: &Mailbox<'a>) -> Result<AuthorDomain<'a>, DomainProblem> {
    let as_written = mailbox.domain.clone().ok_or(DomainProblem::Missing)?;
    if as_written.first() == Some(&b'[') {
        return Err(DomainProblem::Literal);
    }
    let text = std::str::from_utf8(&as_written).map_err(|_| DomainProblem::Idna)?;
    let a_label = idna::domain_to_ascii(text).map_err(|_| DomainProblem::Idna)?;
    if a_label.is_empty() || a_label.split('.').any(str::is_empty) {
        return Err(DomainProblem::Idna);
    }
    Ok(AuthorDomain {
        as_written,
        a_label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn authors(raw: &[u8]) -> FromAuthors<'_> {
        // Leak is fine in tests: keeps the borrow simple.
        let msg = Box::leak(Box::new(Message::parse(raw).unwrap()));
        msg.from_authors()
    }

    #[test]
    fn each_case_is_distinct() {
        assert_eq!(authors(b"To: x@y\n\n"), FromAuthors::Missing);
        assert!(
            matches!(authors(b"From: a@x.test\nFrom: b@y.test\n\n"), FromAuthors::MultipleFields { fields } if fields.len() == 2)
        );
        assert!(
            matches!(authors(b"From: a@x.test, b@y.test\n\n"), FromAuthors::MultipleMailboxes { mailboxes, .. } if mailboxes.len() == 2)
        );
        assert!(matches!(
            authors(b"From: G: a@x.test, b@y.test;\n\n"),
            FromAuthors::MultipleMailboxes { .. }
        ));
        assert!(matches!(
            authors(b"From: undisclosed-recipients:;\n\n"),
            FromAuthors::NoDomain { mailbox: None, .. }
        ));
        assert!(matches!(
            authors(b"From: \n\n"),
            FromAuthors::NoDomain { mailbox: None, .. }
        ));
        assert!(matches!(
            authors(b"From: foo\n\n"),
            FromAuthors::NoDomain {
                mailbox: Some(_),
                ..
            }
        ));
        assert!(matches!(
            authors(b"From: a@x.test b@y\n\n"),
            FromAuthors::Unparsable { .. }
        ));
        assert!(matches!(
            authors(b"From: a@[1.2.3.4]\n\n"),
            FromAuthors::InvalidDomain {
                problem: DomainProblem::Literal,
                ..
            }
        ));
        assert!(matches!(
            authors(b"From: a@x..test\n\n"),
            FromAuthors::InvalidDomain { .. } | FromAuthors::Unparsable { .. }
        ));
        assert!(matches!(
            authors(b"From: a@\xff.test\n\n"),
            FromAuthors::InvalidDomain {
                problem: DomainProblem::Idna,
                ..
            }
        ));
        let single = authors(b"From: \"Joe\" <joe@Example.COM>\n\n");
        let d = single.single_domain().unwrap();
        assert_eq!(
            (d.as_written.as_ref(), d.a_label.as_str()),
            (&b"Example.COM"[..], "example.com")
        );
    }

    #[test]
    fn case_insensitive_from_name() {
        assert!(matches!(
            authors(b"FROM: a@x.test\nfrom: b@y.test\n\n"),
            FromAuthors::MultipleFields { .. }
        ));
    }
}
