//! The crate's one error: an SPF record (or macro string) that does not parse.

use std::fmt;

/// A record or macro string that breaks the grammar of RFC 7208 §12.
///
/// The fault lies with whoever published the record. During [`check_host`] evaluation a
/// `ParseError` becomes the result *permerror* (§4.6); it is an `Err` only from
/// [`Record::parse`] and [`MacroString::parse`], which callers use directly.
///
/// [`check_host`]: crate::Verifier::check_host
/// [`Record::parse`]: crate::Record::parse
/// [`MacroString::parse`]: crate::MacroString::parse
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} in term \"{}\" at byte {position}", term.escape_ascii())]
pub struct ParseError {
    kind: ParseErrorKind,
    term: Box<[u8]>,
    position: usize,
}

/// What is wrong with a term. A small closed set; the term and position say where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The record does not start with `v=spf1` followed by a space or its end (§4.5).
    NotSpf,
    /// A term that is neither a known mechanism nor a modifier (`name=value`).
    UnknownMechanism,
    /// A known mechanism with arguments its grammar does not allow (`all:x`, `ptr/24`,
    /// `include` without `:`).
    InvalidMechanism,
    /// A `domain-spec` that does not end in a macro or in `.` and a valid top label
    /// (§7.1, `domain-end`), or is empty.
    InvalidDomainSpec,
    /// A `%` not starting a valid macro (`%%`, `%_`, `%-`, `%{letter...}`) (§7.1).
    InvalidMacro,
    /// `%{c}`, `%{r}` or `%{t}` outside explanation text (§7.1).
    ExplanationOnlyMacro,
    /// A byte no term may contain: control characters, non-ASCII (§3.1, §12).
    InvalidCharacter,
    /// An `ip4:` network that is not a dotted quad (`qnum "." qnum "." qnum "." qnum`).
    InvalidIp4,
    /// An `ip6:` network that is not an RFC 4291 address.
    InvalidIp6,
    /// A CIDR length with leading zeros, out of range (over 32 or 128), or misplaced.
    InvalidCidr,
    /// `redirect=` or `exp=` given twice (§6).
    DuplicateModifier,
    /// A modifier whose name is not `ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`.
    InvalidModifierName,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, term: &[u8], position: usize) -> ParseError {
        ParseError {
            kind,
            term: term.into(),
            position,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The offending term, exactly as it appeared (it may hold non-ASCII bytes).
    pub fn term(&self) -> &[u8] {
        &self.term
    }

    /// Byte offset of the term in the record.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("kind", &self.kind)
            .field("term", &format_args!("\"{}\"", self.term.escape_ascii()))
            .field("position", &self.position)
            .finish()
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseErrorKind::NotSpf => "not an SPF record",
            ParseErrorKind::UnknownMechanism => "unknown mechanism",
            ParseErrorKind::InvalidMechanism => "invalid mechanism arguments",
            ParseErrorKind::InvalidDomainSpec => "invalid domain-spec",
            ParseErrorKind::InvalidMacro => "invalid macro",
            ParseErrorKind::ExplanationOnlyMacro => "macro letter allowed only in explanations",
            ParseErrorKind::InvalidCharacter => "invalid character",
            ParseErrorKind::InvalidIp4 => "invalid IPv4 network",
            ParseErrorKind::InvalidIp6 => "invalid IPv6 network",
            ParseErrorKind::InvalidCidr => "invalid CIDR length",
            ParseErrorKind::DuplicateModifier => "duplicate modifier",
            ParseErrorKind::InvalidModifierName => "invalid modifier name",
        })
    }
}
