//! Raw header fields and the splitter that finds them.
//!
//! The splitter is a hand-written scanner rather than nom: it is on the
//! DKIM hot path, it works line by line with `memchr`, and it must never
//! reject input (anything that is not a field ends the header block).

use crate::defect::{Defect, DefectKind};
use crate::error::{Error, Limits};

/// One header field, exactly as it appears in the message.
///
/// Every accessor returns a borrowed slice of the original input; nothing is
/// unfolded, decoded or trimmed, so DKIM canonicalization can work from these
/// bytes.
///
/// ```
/// use mailproof_message::Message;
///
/// let msg = Message::parse(b"Subject : Hi\r\n there\r\n\r\nbody").unwrap();
/// let field = msg.headers().next().unwrap();
/// assert_eq!(field.name(), b"Subject");
/// assert_eq!(field.value(), b" Hi\r\n there");
/// assert_eq!(field.raw(), b"Subject : Hi\r\n there\r\n");
/// assert_eq!(field.offset(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    raw: &'a [u8],
    name_len: usize,
    value_start: usize,
    value_end: usize,
    offset: usize,
}

impl<'a> Header<'a> {
    /// The field name as written, without any white space between it and
    /// the colon (RFC 5322 §4.5.8 `obs-optional` allows such white space).
    pub fn name(&self) -> &'a [u8] {
        &self.raw[..self.name_len]
    }

    /// The raw value: every byte after the colon up to, not including, the
    /// line break that ends the field. Folding line breaks inside the value
    /// are kept.
    pub fn value(&self) -> &'a [u8] {
        &self.raw[self.value_start..self.value_end]
    }

    /// The whole field exactly as in the input, including its terminating
    /// CRLF or LF (absent only for a last field at the end of input).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The bytes of [`raw`](Self::raw) after [`value`](Self::value): `"\r\n"`,
    /// `"\n"` or empty.
    pub fn line_ending(&self) -> &'a [u8] {
        &self.raw[self.value_end..]
    }

    /// Byte offset of the field's first byte in the original message.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Byte offset of the value's first byte (just after the colon) in the
    /// original message.
    pub fn value_offset(&self) -> usize {
        self.offset + self.value_start
    }

    /// Whether the field name equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name.as_bytes())
    }
}

/// A header block split into fields; the part of a message (or of a MIME
/// part) before the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    pub(crate) headers: Vec<Header<'a>>,
    /// Length of the header block (all fields, without the separator line).
    pub(crate) header_end: usize,
    /// Where the body starts (after the separator line, if any).
    pub(crate) body_start: usize,
    pub(crate) defects: Vec<Defect>,
}

const fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Length of the line break at the start of `rest`, if `rest` is an empty
/// line: `"\r\n"` → 2, `"\n"` → 1.
fn empty_line(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'\n', ..] => Some(1),
        [b'\r', b'\n', ..] => Some(2),
        _ => None,
    }
}

/// Length of the field name at the start of `line` and the position just
/// after its colon.
///
/// ```text
/// field-name   = 1*ftext
/// ftext        = %d33-57 / %d59-126   ; printable US-ASCII except ":"
/// obs-optional = field-name *WSP ":" unstructured CRLF   ; RFC 5322 §4.5.8
/// ```
///
/// Bytes above 126 are accepted in names (8-bit garbage is tolerated, as
/// RFC 5322 §4 asks of readers); control characters, space and colon end
/// the name.
fn field_name(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = line
        .iter()
        .position(|&b| b <= b' ' || b == b':' || b == 0x7f)
        .unwrap_or(line.len());
    if name_len == 0 {
        return None;
    }
    let mut i = name_len;
    while i < line.len() && is_wsp(line[i]) {
        i += 1;
    }
    (line.get(i) == Some(&b':')).then_some((name_len, i + 1))
}

/// Splits `input` (a message or a MIME part's content) into header fields
/// and the start of the body. `base` is the offset of `input` in the
/// original message, used for [`Header::offset`] and defects.
///
/// Rules (see the crate docs, "Header block"):
/// * a field starts with a name and a colon and runs until a line break
///   not followed by SP or HTAB;
/// * an empty line (`CRLF` or bare `LF`) ends the header block;
/// * any other line also ends it, with a
///   [`DefectKind::MissingHeaderBodySeparator`] defect, and belongs to the
///   body.
pub(crate) fn split<'a>(input: &'a [u8], base: usize, limits: &Limits) -> Result<Split<'a>, Error> {
    // Enough for a MIME part's fields and most of a message's in one
    // allocation, instead of growing from nothing.
    let mut headers = Vec::with_capacity(limits.max_headers.min(16));
    let mut defects = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &input[pos..];
        if rest.is_empty() {
            return Ok(Split {
                headers,
                header_end: pos,
                body_start: pos,
                defects,
            });
        }
        if let Some(len) = empty_line(rest) {
            return Ok(Split {
                headers,
                header_end: pos,
                body_start: pos + len,
                defects,
            });
        }
        let Some((name_len, value_start)) = field_name(rest) else {
            defects.push(Defect {
                kind: DefectKind::MissingHeaderBodySeparator,
                offset: base + pos,
            });
            return Ok(Split {
                headers,
                header_end: pos,
                body_start: pos,
                defects,
            });
        };
        if headers.len() == limits.max_headers {
            return Err(Error::TooManyHeaders {
                limit: limits.max_headers,
                offset: base + pos,
            });
        }
        // Find the end of the field: the first LF not followed by WSP.
        let mut cursor = value_start;
        let (field_len, value_end) = loop {
            match memchr::memchr(b'\n', &rest[cursor..]) {
                None => break (rest.len(), rest.len()),
                Some(i) => {
                    let next = cursor + i + 1;
                    if next < rest.len() && is_wsp(rest[next]) {
                        if next > limits.max_header_field_len {
                            break (next, next);
                        }
                        cursor = next;
                        continue;
                    }
                    let lf = cursor + i;
                    let value_end = if lf > value_start && rest[lf - 1] == b'\r' {
                        lf - 1
                    } else {
                        lf
                    };
                    break (next, value_end);
                }
            }
        };
        if field_len > limits.max_header_field_len {
            return Err(Error::HeaderFieldTooLong {
                limit: limits.max_header_field_len,
                offset: base + pos,
            });
        }
        headers.push(Header {
            raw: &rest[..field_len],
            name_len,
            value_start,
            value_end,
            offset: base + pos,
        });
        pos += field_len;
    }
}

/// Iterator over header fields in message order; reversible, so
/// `headers().rev()` walks from the bottom field up (as DKIM's `h=` selection
/// and ARC need).
#[derive(Debug, Clone)]
pub struct Headers<'m, 'a> {
    pub(crate) inner: core::slice::Iter<'m, Header<'a>>,
}

impl<'a> Iterator for Headers<'_, 'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        self.inner.next().copied()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<'a> DoubleEndedIterator for Headers<'_, 'a> {
    fn next_back(&mut self) -> Option<Header<'a>> {
        self.inner.next_back().copied()
    }
}

impl ExactSizeIterator for Headers<'_, '_> {}

impl core::iter::FusedIterator for Headers<'_, '_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_default(input: &[u8]) -> Split<'_> {
        split(input, 0, &Limits::default()).unwrap()
    }

    #[test]
    fn crlf_and_lf_fields() {
        let s = split_default(b"A: 1\r\nB:2\n folded\nC :\r\n\r\nbody");
        let names: Vec<_> = s.headers.iter().map(Header::name).collect();
        assert_eq!(names, [&b"A"[..], b"B", b"C"]);
        assert_eq!(s.headers[1].value(), b"2\n folded");
        assert_eq!(s.headers[1].raw(), b"B:2\n folded\n");
        assert_eq!(s.headers[2].value(), b"");
        assert_eq!(s.headers[2].line_ending(), b"\r\n");
        assert_eq!(s.header_end, 23);
        assert_eq!(s.body_start, 25);
    }

    #[test]
    fn no_body_and_no_final_newline() {
        let s = split_default(b"A: 1\r\nB: 2");
        assert_eq!(s.headers.len(), 2);
        assert_eq!(s.headers[1].raw(), b"B: 2");
        assert_eq!(s.headers[1].line_ending(), b"");
        assert_eq!((s.header_end, s.body_start), (10, 10));
    }

    #[test]
    fn line_without_colon_starts_body() {
        let s = split_default(b"A: 1\nnot a header\nB: 2\n\nx");
        assert_eq!(s.headers.len(), 1);
        assert_eq!((s.header_end, s.body_start), (5, 5));
        assert_eq!(s.defects[0].kind, DefectKind::MissingHeaderBodySeparator);
        assert_eq!(s.defects[0].offset, 5);
    }

    #[test]
    fn leading_continuation_line_is_not_a_field() {
        let s = split_default(b" A: 1\n\nx");
        assert!(s.headers.is_empty());
        assert_eq!(s.body_start, 0);
    }

    #[test]
    fn empty_message_and_empty_header() {
        let s = split_default(b"");
        assert_eq!((s.headers.len(), s.body_start), (0, 0));
        let s = split_default(b"\r\nbody");
        assert_eq!((s.headers.len(), s.header_end, s.body_start), (0, 0, 2));
    }

    #[test]
    fn eight_bit_name_and_space_before_colon() {
        let s = split_default(b"X-\xe9t\xe9 \t: v\n\n");
        assert_eq!(s.headers[0].name(), b"X-\xe9t\xe9");
        assert_eq!(s.headers[0].value(), b" v");
    }

    #[test]
    fn whitespace_only_continuation_is_kept() {
        let s = split_default(b"A: x\r\n \r\n y\r\n\r\n");
        assert_eq!(s.headers[0].value(), b" x\r\n \r\n y");
    }

    #[test]
    fn limits_are_errors() {
        let limits = Limits {
            max_header_field_len: 8,
            ..Limits::default()
        };
        assert_eq!(
            split(b"A: 1\nB: 12345678\n\n", 0, &limits),
            Err(Error::HeaderFieldTooLong {
                limit: 8,
                offset: 5
            })
        );
        assert_eq!(
            split(b"A: 1\nB: 1\n 2345678\n\n", 0, &limits),
            Err(Error::HeaderFieldTooLong {
                limit: 8,
                offset: 5
            })
        );
        let limits = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        assert_eq!(
            split(b"A: 1\nB: 2\nC: 3\n\n", 0, &limits),
            Err(Error::TooManyHeaders {
                limit: 2,
                offset: 10
            })
        );
    }
}
