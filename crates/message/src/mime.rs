//! The MIME tree (RFC 2045, RFC 2046): multiparts, `message/rfc822`
//! parts, transfer and charset decoding.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use crate::content_type::{
    ContentType, TransferEncoding, parse_content_disposition, parse_content_type,
    parse_transfer_encoding,
};
use crate::defect::{Defect, DefectKind};
use crate::encoding;
use crate::error::{Error, Limits};
use crate::header::{self, Header, Headers};
use crate::message::Message;

/// One node of the MIME tree: a header block, a body, and for composite
/// types the parts inside.
///
/// All ranges are byte offsets into the original message, so
/// `&message.raw()[part.body_range()]` is the part's body as transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimePart<'a> {
    src: &'a [u8],
    headers: Vec<Header<'a>>,
    range: Range<usize>,
    body_start: usize,
    content_type: ContentType<'a>,
    explicit_type: bool,
    kind: PartKind<'a>,
    /// Defects found while building the tree.
    defects: Vec<Defect>,
    /// For leaves: [`defects`](Self::defects) plus those of the body
    /// (transfer encoding, charset), found on first request.
    leaf_defects: LeafDefects,
}

/// The lazily computed defects of a leaf. Not part of a part's identity:
/// they follow from the rest of the part, so any two compare equal.
#[derive(Debug, Clone, Default)]
struct LeafDefects(OnceLock<Vec<Defect>>);

impl PartialEq for LeafDefects {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LeafDefects {}

/// What a part contains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartKind<'a> {
    /// A leaf: its body is content (text, image, ...).
    Leaf,
    /// A `multipart/*` part.
    Multipart {
        /// The boundary (RFC 2046 §5.1.1), unquoted.
        boundary: Vec<u8>,
        /// Bytes before the first boundary line.
        preamble: Range<usize>,
        /// Bytes after the closing boundary line (empty when it is missing).
        epilogue: Range<usize>,
        /// The body parts, in order.
        parts: Vec<MimePart<'a>>,
    },
    /// A `message/rfc822` (or `message/global`) part; the embedded message is
    /// a part whose headers are the message's header fields.
    Message(Box<MimePart<'a>>),
}

/// The type a part has when it has no (usable) `Content-Type`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefaultType {
    TextPlain,
    MessageRfc822,
}

fn default_content_type(default: DefaultType) -> ContentType<'static> {
    let (media_type, subtype): (&[u8], &[u8]) = match default {
        DefaultType::TextPlain => (b"text", b"plain"),
        DefaultType::MessageRfc822 => (b"message", b"rfc822"),
    };
    ContentType {
        media_type,
        subtype: Some(subtype),
        params: Vec::new(),
    }
}

struct Builder<'a, 'l> {
    src: &'a [u8],
    limits: &'l Limits,
    parts: usize,
}

pub(crate) fn build<'a>(msg: &Message<'a>, limits: &Limits) -> Result<MimePart<'a>, Error> {
    let mut builder = Builder {
        src: msg.raw(),
        limits,
        parts: 0,
    };
    let split = header::Split {
        headers: msg.header_slice().to_vec(),
        header_end: msg.header_block().len(),
        body_start: msg.body_offset(),
        defects: msg.defects().to_vec(),
    };
    builder.part(0..msg.raw().len(), split, DefaultType::TextPlain, 0)
}

impl<'a> Builder<'a, '_> {
    /// Splits the header of `range` and builds the part.
    fn parse_part(
        &mut self,
        range: Range<usize>,
        default: DefaultType,
        depth: usize,
    ) -> Result<MimePart<'a>, Error> {
        let split = header::split(&self.src[range.clone()], range.start, self.limits)?;
        let split = header::Split {
            body_start: range.start + split.body_start,
            header_end: range.start + split.header_end,
            ..split
        };
        self.part(range, split, default, depth)
    }

    fn part(
        &mut self,
        range: Range<usize>,
        split: header::Split<'a>,
        default: DefaultType,
        depth: usize,
    ) -> Result<MimePart<'a>, Error> {
        if depth > self.limits.max_mime_depth {
            return Err(Error::MimeTooDeep {
                limit: self.limits.max_mime_depth,
                offset: range.start,
            });
        }
        self.parts += 1;
        if self.parts > self.limits.max_mime_parts {
            return Err(Error::TooManyMimeParts {
                limit: self.limits.max_mime_parts,
                offset: range.start,
            });
        }
        let mut defects = split.defects;
        let headers = split.headers;
        let body_start = split.body_start.min(range.end);
        let ct_field = headers.iter().find(|h| h.is("content-type"));
        let parsed = ct_field.map(|h| (h, parse_content_type(h.value())));
        let (content_type, explicit_type) = match parsed {
            Some((_, Ok(ct))) if ct.subtype.is_some() => (ct, true),
            Some((h, _)) => {
                defects.push(Defect {
                    kind: DefectKind::MalformedContentType,
                    offset: h.offset(),
                });
                (default_content_type(default), false)
            }
            None => (default_content_type(default), false),
        };
        let cte = headers
            .iter()
            .find(|h| h.is("content-transfer-encoding"))
            .map(|h| (h.offset(), parse_transfer_encoding(h.value())));
        let identity = matches!(
            cte,
            None | Some((
                _,
                TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
            ))
        );
        let body = body_start..range.end;
        let mut kind = PartKind::Leaf;
        let composite = content_type.is_type("multipart")
            || content_type.is("message", "rfc822")
            || content_type.is("message", "global");
        if composite && !identity {
            defects.push(Defect {
                kind: DefectKind::EncodedCompositeType,
                offset: cte.map_or(range.start, |(o, _)| o),
            });
        } else if content_type.is_type("multipart") {
            match content_type.param("boundary").filter(|b| !b.is_empty()) {
                Some(boundary) => {
                    let digest = content_type.is("multipart", "digest");
                    let child_default = if digest {
                        DefaultType::MessageRfc822
                    } else {
                        DefaultType::TextPlain
                    };
                    kind = self.multipart(
                        boundary.as_bytes(),
                        body.clone(),
                        child_default,
                        depth,
                        &mut defects,
                    )?;
                }
                None => defects.push(Defect {
                    kind: DefectKind::MissingBoundaryParameter,
                    offset: ct_field.map_or(range.start, Header::offset),
                }),
            }
        } else if composite {
            let inner = self.parse_part(body.clone(), DefaultType::TextPlain, depth + 1)?;
            kind = PartKind::Message(Box::new(inner));
        }
        Ok(MimePart {
            src: self.src,
            headers,
            range,
            body_start,
            content_type,
            explicit_type,
            kind,
            defects,
            leaf_defects: LeafDefects::default(),
        })
    }

    /// Splits a multipart body at its boundary lines (RFC 2046 §5.1.1):
    ///
    /// ```text
    /// multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
    ///                   body-part *encapsulation close-delimiter transport-padding
    ///                   [CRLF epilogue]
    /// encapsulation  := delimiter transport-padding CRLF body-part
    /// delimiter      := CRLF dash-boundary
    /// close-delimiter := delimiter "--"
    /// ```
    ///
    /// The line break before a boundary line belongs to the boundary, not to
    /// the part before it. Bare LF is accepted in place of CRLF.
    fn multipart(
        &mut self,
        boundary: &[u8],
        body: Range<usize>,
        child_default: DefaultType,
        depth: usize,
        defects: &mut Vec<Defect>,
    ) -> Result<PartKind<'a>, Error> {
        let mut dash_boundary = Vec::with_capacity(boundary.len() + 2);
        dash_boundary.extend_from_slice(b"--");
        dash_boundary.extend_from_slice(boundary);
        // Boundary lines start a line with "--": look for those (rare in
        // base64 and text bodies, unlike the boundary's own bytes), then
        // compare the boundary.
        let line_start = memchr::memmem::Finder::new(b"\n--");
        let src = self.src;
        let data = &src[body.clone()];

        // The boundary line starting at `pos` (a line start): (start of its
        // preceding line break, start of the next line, is close delimiter).
        let boundary_line = |pos: usize, from: usize| -> Option<(usize, usize, bool)> {
            if !data[pos..].starts_with(&dash_boundary) {
                return None;
            }
            let after = pos + dash_boundary.len();
            let close = data[after..].starts_with(b"--");
            let mut end = if close { after + 2 } else { after };
            while end < data.len() && matches!(data[end], b' ' | b'\t') {
                end += 1;
            }
            let line_end = match &data[end..] {
                [] => data.len(),
                [b'\n', ..] => end + 1,
                [b'\r', b'\n', ..] => end + 2,
                _ if close => {
                    memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |n| end + n + 1)
                }
                _ => return None,
            };
            let break_start = if pos >= 2 && data[pos - 2] == b'\r' {
                pos - 2
            } else if pos >= 1 {
                pos - 1
            } else {
                pos
            };
            Some((break_start.max(from), line_end, close))
        };
        // The first boundary line starting at or after `from`.
        let next_boundary = |from: usize| -> Option<(usize, usize, bool)> {
            if from == 0
                && let Some(found) = boundary_line(0, 0)
            {
                return Some(found);
            }
            // From the line break before `from`, so a line starting right
            // at `from` is found.
            let mut at = from.saturating_sub(1);
            while let Some(i) = line_start.find(&data[at..]) {
                let pos = at + i + 1;
                at = pos;
                if let Some(found) = boundary_line(pos, from) {
                    return Some(found);
                }
            }
            None
        };

        let Some((first_break, mut cursor, mut closed)) = next_boundary(0) else {
            defects.push(Defect {
                kind: DefectKind::NoBoundaryFound,
                offset: body.start,
            });
            return Ok(PartKind::Leaf);
        };
        let preamble = body.start..body.start + first_break;
        let mut parts = Vec::new();
        while !closed {
            let (part_end, next_cursor, close) = next_boundary(cursor).unwrap_or_else(|| {
                defects.push(Defect {
                    kind: DefectKind::MissingClosingBoundary,
                    offset: body.end,
                });
                (data.len(), data.len(), true)
            });
            let range = body.start + cursor..body.start + part_end.max(cursor);
            parts.push(self.parse_part(range, child_default, depth + 1)?);
            cursor = next_cursor;
            closed = close;
        }
        Ok(PartKind::Multipart {
            boundary: boundary.to_vec(),
            preamble,
            epilogue: body.start + cursor..body.end,
            parts,
        })
    }
}

/// Records transfer-encoding and charset defects of a leaf. The body is
/// only scanned (nothing is decoded: that waits for
/// [`MimePart::decoded_body`]); the scans agree with the decoders on what
/// is a defect.
fn check_leaf(
    src: &[u8],
    content_type: &ContentType<'_>,
    cte: Option<(usize, TransferEncoding<'_>)>,
    body: Range<usize>,
    headers: &[Header<'_>],
    defects: &mut Vec<Defect>,
) {
    let bytes = &src[body.clone()];
    match cte {
        Some((_, TransferEncoding::Base64)) if !encoding::base64_is_clean(bytes) => {
            defects.push(Defect {
                kind: DefectKind::InvalidBase64,
                offset: body.start,
            });
        }
        Some((_, TransferEncoding::QuotedPrintable))
            if !encoding::quoted_printable_is_clean(bytes) =>
        {
            defects.push(Defect {
                kind: DefectKind::InvalidQuotedPrintable,
                offset: body.start,
            });
        }
        Some((offset, TransferEncoding::Other(_))) => {
            defects.push(Defect {
                kind: DefectKind::UnknownTransferEncoding,
                offset,
            });
        }
        _ => {}
    }
    if content_type.is_type("text")
        && let Some(cs) = content_type.param("charset")
        && encoding::charset(cs.as_bytes()).is_none()
    {
        let offset = headers
            .iter()
            .find(|h| h.is("content-type"))
            .map_or(body.start, Header::offset);
        defects.push(Defect {
            kind: DefectKind::UnknownCharset,
            offset,
        });
    }
}

impl<'a> MimePart<'a> {
    /// The part's header fields in order; reversible.
    pub fn headers(&self) -> Headers<'_, 'a> {
        Headers {
            inner: self.headers.iter(),
        }
    }

    /// Fields named `name` (ASCII case-insensitive), in order.
    pub fn get<'m>(&'m self, name: &'m str) -> impl DoubleEndedIterator<Item = Header<'a>> + 'm {
        self.headers().filter(move |h| h.is(name))
    }

    /// The whole part (header, separator, body) as a range of the message.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The body as a range of the message.
    pub fn body_range(&self) -> Range<usize> {
        self.body_start..self.range.end
    }

    /// The whole part's bytes.
    pub fn raw(&self) -> &'a [u8] {
        &self.src[self.range.clone()]
    }

    /// The body as transmitted (still transfer-encoded).
    pub fn body(&self) -> &'a [u8] {
        &self.src[self.body_range()]
    }

    /// The effective content type: the `Content-Type` field, or the default
    /// (`text/plain`, `message/rfc822` in a digest) when it is absent or
    /// unusable.
    pub fn content_type(&self) -> &ContentType<'a> {
        &self.content_type
    }

    /// Whether [`content_type`](Self::content_type) comes from a usable
    /// `Content-Type` field rather than the default.
    pub fn has_explicit_content_type(&self) -> bool {
        self.explicit_type
    }

    /// The `Content-Transfer-Encoding` (7bit when absent).
    pub fn transfer_encoding(&self) -> TransferEncoding<'a> {
        self.get("content-transfer-encoding")
            .next()
            .map_or(TransferEncoding::SevenBit, |h| {
                parse_transfer_encoding(h.value())
            })
    }

    /// What the part contains.
    pub fn kind(&self) -> &PartKind<'a> {
        &self.kind
    }

    /// The body parts of a multipart (empty otherwise).
    pub fn parts(&self) -> &[MimePart<'a>] {
        match &self.kind {
            PartKind::Multipart { parts, .. } => parts,
            _ => &[],
        }
    }

    /// The embedded message of a `message/rfc822` part.
    pub fn message(&self) -> Option<&MimePart<'a>> {
        match &self.kind {
            PartKind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Problems found in this part (not in its children; see
    /// [`all_defects`](Self::all_defects)).
    ///
    /// A leaf's body is checked (transfer encoding, charset) on the first
    /// call, not when the tree is built; the body is scanned, not decoded.
    pub fn defects(&self) -> &[Defect] {
        if !matches!(self.kind, PartKind::Leaf) {
            return &self.defects;
        }
        self.leaf_defects.0.get_or_init(|| {
            let mut defects = self.defects.clone();
            let cte = self
                .headers
                .iter()
                .find(|h| h.is("content-transfer-encoding"))
                .map(|h| (h.offset(), parse_transfer_encoding(h.value())));
            check_leaf(
                self.src,
                &self.content_type,
                cte,
                self.body_range(),
                &self.headers,
                &mut defects,
            );
            defects
        })
    }

    /// Every defect in this part and below, in tree order.
    pub fn all_defects(&self) -> Vec<Defect> {
        self.walk()
            .flat_map(|p| p.defects().iter().copied())
            .collect()
    }

    /// This part and every part below it, depth first, in message order.
    pub fn walk(&self) -> impl Iterator<Item = &MimePart<'a>> {
        let mut stack = vec![self];
        core::iter::from_fn(move || {
            let part = stack.pop()?;
            match &part.kind {
                PartKind::Multipart { parts, .. } => stack.extend(parts.iter().rev()),
                PartKind::Message(m) => stack.push(m),
                PartKind::Leaf => {}
            }
            Some(part)
        })
    }

    /// The body with its transfer encoding undone (base64 and
    /// quoted-printable decoded leniently; other encodings as they are).
    /// Borrows for identity encodings.
    pub fn decoded_body(&self) -> Cow<'a, [u8]> {
        let body = self.body();
        let mut out = Vec::new();
        match self.transfer_encoding() {
            TransferEncoding::Base64 => {
                encoding::decode_base64(body, &mut out);
            }
            TransferEncoding::QuotedPrintable => {
                encoding::decode_quoted_printable(body, false, &mut out);
            }
            _ => return Cow::Borrowed(body),
        }
        Cow::Owned(out)
    }

    /// For `text/*` leaves, the decoded body as UTF-8: transfer encoding
    /// undone, then the `charset` parameter applied (UTF-8 when absent or
    /// unknown; malformed sequences become U+FFFD). `None` for other types.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        if !self.content_type.is_type("text") || !matches!(self.kind, PartKind::Leaf) {
            return None;
        }
        let enc = self
            .content_type
            .param("charset")
            .and_then(|cs| encoding::charset(cs.as_bytes()))
            .unwrap_or(encoding::UTF_8);
        Some(match self.decoded_body() {
            Cow::Borrowed(b) => encoding::decode_with(enc, b),
            // Copying valid UTF-8 out after `decode_with`'s SIMD check beats
            // keeping the buffer through `String::from_utf8`'s scalar one.
            Cow::Owned(b) => Cow::Owned(encoding::decode_with(enc, &b).into_owned()),
        })
    }

    /// The file name: `Content-Disposition`'s `filename`, else
    /// `Content-Type`'s `name` (both RFC 2231 / RFC 2047 decoded).
    pub fn filename(&self) -> Option<Cow<'a, str>> {
        let from_disposition = self
            .get("content-disposition")
            .next()
            .and_then(|h| parse_content_disposition(h.value()).ok())
            .and_then(|d| {
                d.params
                    .into_iter()
                    .find(|p| p.name.eq_ignore_ascii_case(b"filename"))
            })
            .map(|p| p.value);
        from_disposition.or_else(|| {
            self.content_type
                .params
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(b"name"))
                .map(|p| p.value.clone())
        })
    }

    /// Whether `Content-Disposition` says `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.get("content-disposition")
            .next()
            .and_then(|h| parse_content_disposition(h.value()).ok())
            .is_some_and(|d| d.is_attachment())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: &[u8] = b"Content-Type: multipart/mixed; boundary=outer\r\n\r\npreamble\r\n--outer\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--outer\r\nContent-Type: multipart/alternative; boundary=\"in ner\"\r\n\r\n--in ner\r\n\r\nplain\r\n--in ner--\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello\r\n--outer--\r\nepilogue\r\n";

    #[test]
    fn nested_tree() {
        let msg = Message::parse(NESTED).unwrap();
        let root = msg.mime().unwrap();
        assert!(root.all_defects().is_empty(), "{:?}", root.all_defects());
        let PartKind::Multipart {
            preamble,
            epilogue,
            parts,
            ..
        } = root.kind()
        else {
            panic!()
        };
        assert_eq!(&NESTED[preamble.clone()], b"preamble");
        assert_eq!(&NESTED[epilogue.clone()], b"epilogue\r\n");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].text().unwrap(), "café");
        assert_eq!(parts[1].parts()[0].text().unwrap(), "plain");
        let inner = parts[2].message().unwrap();
        assert_eq!(inner.get("subject").next().unwrap().value(), b" inner");
        assert_eq!(inner.body(), b"hello");
        assert_eq!(root.walk().count(), 6);
    }

    #[test]
    fn malformed_is_best_effort() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\nContent-Type: text/plain; charset=x-nope\n\naGk*\n--b\n\nunterminated";
        let root = Message::parse(raw).unwrap().mime().unwrap();
        let kinds: Vec<_> = root.all_defects().iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                DefectKind::MissingClosingBoundary,
                DefectKind::InvalidBase64,
                DefectKind::UnknownCharset
            ]
        );
        assert_eq!(root.parts()[0].text().unwrap(), "hi");
        assert_eq!(root.parts()[1].body(), b"unterminated");
        let raw = b"Content-Type: multipart/mixed\n\nx";
        assert_eq!(
            Message::parse(raw).unwrap().mime().unwrap().defects()[0].kind,
            DefectKind::MissingBoundaryParameter
        );
        let raw = b"Content-Type: multipart/mixed; boundary=zz\n\nx";
        assert_eq!(
            Message::parse(raw).unwrap().mime().unwrap().defects()[0].kind,
            DefectKind::NoBoundaryFound
        );
    }

    #[test]
    fn leaf_defects_are_found_on_request() {
        let raw = b"Content-Transfer-Encoding: quoted-printable\n\na=zz\n";
        let root = Message::parse(raw).unwrap().mime().unwrap();
        let unchecked = root.clone();
        assert_eq!(
            root.defects(),
            [Defect {
                kind: DefectKind::InvalidQuotedPrintable,
                offset: root.body_range().start,
            }]
        );
        assert_eq!(root, unchecked);
        assert_eq!(root.all_defects(), unchecked.all_defects());
    }

    #[test]
    fn depth_and_part_limits() {
        let mut raw = Vec::new();
        for _ in 0..40 {
            raw.extend_from_slice(b"Content-Type: message/rfc822\n\n");
        }
        let msg = Message::parse(&raw).unwrap();
        assert!(matches!(
            msg.mime(),
            Err(Error::MimeTooDeep { limit: 32, .. })
        ));
        let limits = Limits {
            max_mime_parts: 2,
            ..Limits::default()
        };
        let msg = Message::parse_with(NESTED, &limits).unwrap();
        assert!(matches!(
            msg.mime(),
            Err(Error::TooManyMimeParts { limit: 2, .. })
        ));
    }

    #[test]
    fn digest_default_type() {
        let raw =
            b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: x\n\nbody\n--d--\n";
        let root = Message::parse(raw).unwrap().mime().unwrap();
        let part = &root.parts()[0];
        assert!(part.content_type().is("message", "rfc822"));
        assert_eq!(part.message().unwrap().body(), b"body");
    }
}
