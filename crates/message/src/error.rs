//! The crate's error type and the resource limits that can produce it.

/// What went wrong while parsing.
///
/// Offsets are byte offsets: into the whole message for errors raised by
/// [`Message::parse`](crate::Message::parse) and [`Message::mime`](crate::Message::mime),
/// into the field value for errors raised by the structured-field parsers
/// (which are handed a value, not a message).
///
/// Malformed MIME is not an error: it yields a best-effort tree with a list of
/// [`Defect`](crate::Defect)s. Errors are reserved for input that exceeds a
/// [`Limits`] setting and for structured values that cannot be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The header block holds more fields than [`Limits::max_headers`].
    /// Likely cause: a hostile or broken sender; raise the limit only for
    /// trusted archives.
    #[error("more than {limit} header fields (the next one starts at byte {offset})")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
        /// Where the first field over the limit starts.
        offset: usize,
    },
    /// One header field (name, value and folding) is longer than
    /// [`Limits::max_header_field_len`]. Likely cause: a hostile sender, or a
    /// body that lacks the empty line separating it from the header.
    #[error("header field starting at byte {offset} is longer than {limit} bytes")]
    HeaderFieldTooLong {
        /// The limit in force.
        limit: usize,
        /// Where the field starts.
        offset: usize,
    },
    /// Multiparts and `message/rfc822` parts are nested deeper than
    /// [`Limits::max_mime_depth`]. Likely cause: a hostile sender.
    #[error("MIME parts nested deeper than {limit} (part at byte {offset})")]
    MimeTooDeep {
        /// The limit in force.
        limit: usize,
        /// Where the part over the limit starts.
        offset: usize,
    },
    /// The MIME tree holds more parts than [`Limits::max_mime_parts`].
    /// Likely cause: a hostile sender.
    #[error("more than {limit} MIME parts (part at byte {offset})")]
    TooManyMimeParts {
        /// The limit in force.
        limit: usize,
        /// Where the part over the limit starts.
        offset: usize,
    },
    /// A structured field value does not match its grammar, not even the
    /// obsolete forms of RFC 5322 §4. Likely cause: the sender.
    #[error("cannot parse {field} at byte {offset} of the field value")]
    Syntax {
        /// The grammar that failed, e.g. `"address-list"` or `"date-time"`.
        field: &'static str,
        /// Where parsing stopped, in the value given to the parser.
        offset: usize,
    },
}

/// Resource limits applied while parsing untrusted messages.
///
/// Every limit bounds memory or time; exceeding one is an [`Error`], never a
/// panic or an unbounded allocation. The defaults suit mail filtering; they
/// are far above what legitimate mail uses.
///
/// ```
/// use mailproof_message::{Error, Limits, Message};
///
/// let mut limits = Limits::default();
/// limits.max_headers = 1;
/// let err = Message::parse_with(b"A: 1\r\nB: 2\r\n\r\n", &limits).unwrap_err();
/// assert!(matches!(err, Error::TooManyHeaders { limit: 1, offset: 6 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most header fields in one header block (the message's, or one MIME
    /// part's). Default 1000.
    pub max_headers: usize,
    /// Longest header field in bytes, folding and line break included.
    /// Default 64 KiB.
    pub max_header_field_len: usize,
    /// Deepest nesting of multiparts and `message/rfc822` parts; the
    /// message itself is depth 0. Default 32.
    pub max_mime_depth: usize,
    /// Most MIME parts in one tree, the root included. Default 10 000.
    pub max_mime_parts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_headers: 1000,
            max_header_field_len: 64 * 1024,
            max_mime_depth: 32,
            max_mime_parts: 10_000,
        }
    }
}
