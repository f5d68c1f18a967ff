//! The message: header fields, body, and the accessors built on them.

use crate::defect::Defect;
use crate::error::{Error, Limits};
use crate::from::FromAuthors;
use crate::header::{self, Header, Headers};
use crate::mime::MimePart;

/// A parsed message: borrowed views of its header fields and body.
///
/// Parsing only splits the header block into fields (one pass, one `Vec`
/// for the field positions); structured fields and the MIME tree are parsed
/// on demand.
///
/// Invariant: `header_block() + separator() + body()` is the input, byte for
/// byte, and the fields' [`Header::raw`] slices concatenated are
/// `header_block()`.
///
/// ```
/// use mailproof_message::Message;
///
/// let raw = b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
/// let msg = Message::parse(raw).unwrap();
/// assert_eq!(msg.headers().len(), 2);
/// assert_eq!(msg.get("subject").next().unwrap().value(), b" hi");
/// assert_eq!(msg.body(), b"Hello\r\n");
/// assert_eq!(msg.body_offset(), 36);
/// assert_eq!([msg.header_block(), msg.separator(), msg.body()].concat(), raw);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    raw: &'a [u8],
    headers: Vec<Header<'a>>,
    header_end: usize,
    body_offset: usize,
    defects: Vec<Defect>,
    limits: Limits,
}

impl<'a> Message<'a> {
    /// Splits `raw` into header fields and body with the default [`Limits`].
    ///
    /// CRLF and bare-LF line endings are both accepted, also mixed. See the
    /// crate docs ("Header block") for what counts as a field.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyHeaders`] or [`Error::HeaderFieldTooLong`] when the
    /// header block exceeds the limits.
    pub fn parse(raw: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with(raw, &Limits::default())
    }

    /// Like [`parse`](Self::parse), with explicit limits (kept for
    /// [`mime`](Self::mime)).
    ///
    /// # Errors
    ///
    /// As for [`parse`](Self::parse).
    pub fn parse_with(raw: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        let split = header::split(raw, 0, limits)?;
        Ok(Self {
            raw,
            headers: split.headers,
            header_end: split.header_end,
            body_offset: split.body_start,
            defects: split.defects,
            limits: *limits,
        })
    }

    /// The whole input.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Header fields in order, as a slice (what [`headers`](Self::headers) iterates): for
    /// callers that index the fields or keep them, without collecting a copy.
    ///
    /// ```
    /// let message = mailproof_message::Message::parse(b"From: a@example.com\r\nTo: b@example.com\r\n\r\n")?;
    /// let fields = message.header_fields();
    /// assert_eq!(fields.len(), 2);
    /// assert_eq!(fields[1].name(), b"To");
    /// # Ok::<(), mailproof_message::Error>(())
    /// ```
    pub fn header_fields(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// Header fields in order; `.rev()` walks them bottom-up.
    pub fn headers(&self) -> Headers<'_, 'a> {
        Headers {
            inner: self.headers.iter(),
        }
    }

    /// Fields named `name` (ASCII case-insensitive), in order; reversible.
    pub fn get<'m>(&'m self, name: &'m str) -> impl DoubleEndedIterator<Item = Header<'a>> + 'm {
        self.headers().filter(move |h| h.is(name))
    }

    /// The header block: every field, without the empty separator line.
    pub fn header_block(&self) -> &'a [u8] {
        &self.raw[..self.header_end]
    }

    /// The line between header block and body: `"\r\n"`, `"\n"`, or empty
    /// when the input has no body or the header block ended at a line that
    /// is not a field (see [`DefectKind::MissingHeaderBodySeparator`](crate::DefectKind::MissingHeaderBodySeparator)).
    pub fn separator(&self) -> &'a [u8] {
        &self.raw[self.header_end..self.body_offset]
    }

    /// The body: everything after the separator line.
    pub fn body(&self) -> &'a [u8] {
        &self.raw[self.body_offset..]
    }

    /// Offset of the body's first byte in the input.
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// Problems in the header block that parsing worked around.
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }

    /// The limits this message was parsed with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The RFC 5322.From author domain(s), as DMARC needs them; see
    /// [`FromAuthors`].
    pub fn from_authors(&self) -> FromAuthors<'a> {
        FromAuthors::from_fields(self.get("from"))
    }

    /// Builds the MIME tree (allocates; nothing is cached).
    ///
    /// # Errors
    ///
    /// [`Error::MimeTooDeep`], [`Error::TooManyMimeParts`], or a header
    /// limit error from a part's header block. Malformed MIME is not an
    /// error: see [`MimePart::defects`].
    pub fn mime(&self) -> Result<MimePart<'a>, Error> {
        crate::mime::build(self, &self.limits)
    }

    pub(crate) fn header_slice(&self) -> &[Header<'a>] {
        &self.headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_reverse() {
        let raw = b"Received: a\nReceived: b\n\tc\nFrom: x@y\n\nbody";
        let msg = Message::parse(raw).unwrap();
        let rev: Vec<_> = msg.get("RECEIVED").rev().map(|h| h.value()).collect();
        assert_eq!(rev, [&b" b\n\tc"[..], b" a"]);
        let joined: Vec<u8> = msg
            .headers()
            .flat_map(|h| h.raw().iter().copied())
            .collect();
        assert_eq!(joined, msg.header_block());
        assert_eq!(
            [msg.header_block(), msg.separator(), msg.body()].concat(),
            raw
        );
    }
}
