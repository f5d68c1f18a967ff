//! Defects: things wrong with a message that parsing worked around.

/// One problem found in a message that parsing recovered from.
///
/// Defects are values, not errors: the parse goes on with a best-effort
/// interpretation, and the defect says where and what was assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Defect {
    /// What is wrong.
    pub kind: DefectKind,
    /// Byte offset into the original message where the problem was found.
    pub offset: usize,
}

/// The kinds of [`Defect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefectKind {
    /// A line in the header block is neither a header field (name, optional
    /// white space, colon) nor a continuation line, so the header block was
    /// taken to end before it and the body to start at it (no empty
    /// separator line). This is what Python's `email` package does
    /// (`MissingHeaderBodySeparatorDefect`); no byte is dropped.
    MissingHeaderBodySeparator,
    /// A `Content-Type` field could not be parsed; the default type
    /// (`text/plain`, or `message/rfc822` inside `multipart/digest`) was
    /// used instead.
    MalformedContentType,
    /// A `multipart/*` part has no usable `boundary` parameter; it was
    /// treated as a single leaf part.
    MissingBoundaryParameter,
    /// A multipart body never contains its opening boundary line; the part
    /// is treated as a leaf (its body readable as text).
    NoBoundaryFound,
    /// A multipart body ends without its closing `--boundary--` line; the last
    /// part runs to the end of the enclosing body.
    MissingClosingBoundary,
    /// A `Content-Transfer-Encoding` value is not one of 7bit, 8bit, binary,
    /// base64 or quoted-printable; the body is left as it is.
    UnknownTransferEncoding,
    /// A base64 body holds characters outside the alphabet, misplaced
    /// padding or a truncated final group; they were skipped.
    InvalidBase64,
    /// A quoted-printable body holds an `=` not followed by two hex digits or
    /// a line break; it was kept literally.
    InvalidQuotedPrintable,
    /// A text part names a charset that is not known; its text was decoded
    /// as UTF-8 with replacement characters.
    UnknownCharset,
    /// A composite type (`multipart/*`, `message/rfc822`) has a transfer
    /// encoding other than 7bit, 8bit or binary (RFC 2045 §6.4); it is kept
    /// as a leaf (parse [`MimePart::decoded_body`](crate::MimePart::decoded_body)
    /// yourself to look inside).
    EncodedCompositeType,
}
