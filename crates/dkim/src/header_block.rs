//! The header block of a message fed in chunks, for the streaming signer and verifier:
//! header fields are buffered (every one must be seen before anything can be signed or
//! checked), the body is handed on as it arrives and never stored.

use mailproof_message::{Error, Limits};

/// Whether `line` (without its line break) continues or starts a header field, by the
/// rules of the message parser: a continuation starts with WSP (after a field); a field
/// starts with a name and optional WSP before a colon.
pub(crate) fn is_header_line(line: &[u8], after_field: bool) -> bool {
    header_line_kind(line, after_field).unwrap_or(false)
}

/// [`is_header_line`] for the beginning of a line whose end has not arrived: `None` while
/// the bytes so far cannot tell (a name without its colon yet).
fn header_line_kind(start: &[u8], after_field: bool) -> Option<bool> {
    if let Some(b' ' | b'\t') = start.first() {
        return Some(after_field);
    }
    let name_len = start
        .iter()
        .position(|&b| b <= b' ' || b == b':' || b == 0x7f)?;
    if name_len == 0 {
        return Some(false);
    }
    let rest = &start[name_len..];
    let colon = rest.iter().position(|&b| b != b' ' && b != b'\t')?;
    Some(rest[colon] == b':')
}

/// What a chunk turned out to hold.
pub(crate) enum Fed<'a> {
    /// Only header fields (or nothing yet decidable): buffered. Also every chunk after the
    /// header block broke the message parser's limits (see [`HeaderBlock::finish`]).
    Header,
    /// The header block ended in this chunk: the block (without the empty separator line)
    /// and the start of the body.
    BodyStarted { header: &'a [u8], body: &'a [u8] },
    /// Body bytes (the chunk itself).
    Body(&'a [u8]),
}

/// The buffered header block of a streamed message.
///
/// The message parser's default [`Limits`] on header fields apply as the bytes arrive, so
/// that a sender who never ends a field, or never ends the header block, costs bounded
/// memory and time: once a limit is broken nothing more is kept, and [`finish`](Self::finish)
/// reports the error [`Message::parse`](mailproof_message::Message::parse) gives for the
/// same bytes. (One difference, for a line that is one run of field-name bytes longer than
/// a field may be, with neither colon nor line break yet: the parser would wait to see
/// whether a colon follows; here it is reported as a field too long.)
#[derive(Debug, Default)]
pub(crate) struct HeaderBlock {
    bytes: Vec<u8>,
    /// Where the next unexamined line of `bytes` starts.
    line_start: usize,
    /// How far the search for the line break ending that line has looked.
    scanned: usize,
    /// Where the header field that the lines so far belong to starts.
    field_start: usize,
    /// Header fields started so far.
    fields: usize,
    /// Once in the body: where the header block ends in `bytes` (body bytes may follow it,
    /// until the next call).
    header_end: Option<usize>,
    /// The limit the header block broke; nothing is buffered after it.
    error: Option<Error>,
}

impl HeaderBlock {
    /// The header bytes buffered so far.
    pub(crate) fn len(&self) -> usize {
        self.header_end.unwrap_or(self.bytes.len())
    }

    /// The header bytes buffered so far (the whole header block once in the body).
    pub(crate) fn header(&self) -> &[u8] {
        &self.bytes[..self.len()]
    }

    pub(crate) fn in_body(&self) -> bool {
        self.header_end.is_some()
    }

    /// Feeds the next piece of the message.
    pub(crate) fn update<'a>(&'a mut self, chunk: &'a [u8]) -> Fed<'a> {
        if let Some(header_end) = self.header_end {
            // The first body bytes were handed out from the buffer last time.
            self.bytes.truncate(header_end);
            return Fed::Body(chunk);
        }
        if self.error.is_some() {
            return Fed::Header;
        }
        self.bytes.extend_from_slice(chunk);
        let limits = Limits::default();
        // Each byte is searched once, however the message is cut.
        while let Some(lf) = memchr::memchr(b'\n', &self.bytes[self.scanned..]) {
            let end = self.scanned + lf + 1;
            self.scanned = end;
            let line = &self.bytes[self.line_start..end];
            let content = line
                .strip_suffix(b"\r\n")
                .or_else(|| line.strip_suffix(b"\n"))
                .unwrap_or(line);
            let after_field = self.line_start > 0;
            let body_start = if content.is_empty() {
                Some(end)
            } else if !is_header_line(content, after_field) {
                Some(self.line_start)
            } else {
                None
            };
            if let Some(body_start) = body_start {
                let header_end = self.line_start;
                self.header_end = Some(header_end);
                return Fed::BodyStarted {
                    header: &self.bytes[..header_end],
                    body: &self.bytes[body_start..],
                };
            }
            if !is_wsp_start(content)
                && let Err(error) = self.start_field(&limits)
            {
                return self.fail(error);
            }
            if end - self.field_start > limits.max_header_field_len {
                return self.fail(field_too_long(&limits, self.field_start));
            }
            self.line_start = end;
        }
        self.scanned = self.bytes.len();
        // A line still open: it may not outgrow a field either.
        let open = &self.bytes[self.line_start..];
        let continues = is_wsp_start(open) && self.line_start > 0;
        let field_start = if continues {
            self.field_start
        } else {
            self.line_start
        };
        if self.bytes.len() - field_start > limits.max_header_field_len {
            match header_line_kind(open, self.line_start > 0) {
                // Not a header line: the body starts with it.
                Some(false) => {
                    let header_end = self.line_start;
                    self.header_end = Some(header_end);
                    return Fed::BodyStarted {
                        header: &self.bytes[..header_end],
                        body: &self.bytes[header_end..],
                    };
                }
                Some(true) if !continues => {
                    if let Err(error) = self.start_field(&limits) {
                        return self.fail(error);
                    }
                    return self.fail(field_too_long(&limits, field_start));
                }
                _ => return self.fail(field_too_long(&limits, field_start)),
            }
        }
        Fed::Header
    }

    /// Counts a header field starting at `line_start`, as the parser would.
    fn start_field(&mut self, limits: &Limits) -> Result<(), Error> {
        if self.fields == limits.max_headers {
            return Err(Error::TooManyHeaders {
                limit: limits.max_headers,
                offset: self.line_start,
            });
        }
        self.fields += 1;
        self.field_start = self.line_start;
        Ok(())
    }

    /// Latches `error` and lets go of the bytes.
    fn fail(&mut self, error: Error) -> Fed<'static> {
        self.error = Some(error);
        self.bytes = Vec::new();
        Fed::Header
    }

    /// The message's header block, and whether a body was seen. Without a separator line,
    /// the last bytes may be a body line that never ended: the message parser decides.
    ///
    /// # Errors
    /// The limit of the message parser that the header block broke.
    pub(crate) fn finish(mut self) -> Result<(Vec<u8>, bool), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let in_body = self.in_body();
        if let Some(header_end) = self.header_end {
            self.bytes.truncate(header_end);
        }
        Ok((self.bytes, in_body))
    }
}

/// Whether a line starts with SP or HTAB (a continuation, after a field).
fn is_wsp_start(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
}

fn field_too_long(limits: &Limits, offset: usize) -> Error {
    Error::HeaderFieldTooLong {
        limit: limits.max_header_field_len,
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_match_the_message_parser() {
        assert!(is_header_line(b"Subject: x", false));
        assert!(is_header_line(b"Subject : x", false));
        assert!(is_header_line(b" folded", true));
        assert!(!is_header_line(b" folded", false));
        assert!(!is_header_line(b"no colon here", true));
        assert!(!is_header_line(b":empty name", true));
    }

    /// What [`stream`] saw.
    struct Streamed {
        /// What `finish` returned.
        result: Result<(Vec<u8>, bool), Error>,
        /// The body bytes handed on.
        body: Vec<u8>,
        /// The most bytes the block held at any point.
        held: usize,
    }

    /// Feeds `message` in chunks of `size`.
    fn stream(message: &[u8], size: usize) -> Streamed {
        let mut block = HeaderBlock::default();
        let mut body = Vec::new();
        let mut held = 0;
        for chunk in message.chunks(size) {
            match block.update(chunk) {
                Fed::Header => {}
                Fed::BodyStarted { body: b, .. } | Fed::Body(b) => body.extend_from_slice(b),
            }
            held = held.max(block.bytes.capacity());
        }
        Streamed {
            result: block.finish(),
            body,
            held,
        }
    }

    /// What the message parser says of the same bytes: the error, if any.
    fn parser_error(message: &[u8]) -> Option<Error> {
        mailproof_message::Message::parse(message).err()
    }

    #[test]
    fn a_field_that_never_ends_is_an_error_in_bounded_memory() {
        let limit = Limits::default().max_header_field_len;
        let mut message = b"From: a@example.com\r\nSubject: ".to_vec();
        message.resize(message.len() + 4 * limit, b'x');
        for size in [1, 7, 64, 4096] {
            let Streamed { result, body, held } = stream(&message, size);
            let error = result.unwrap_err();
            assert_eq!(Some(error.clone()), parser_error(&message));
            assert_eq!(error, Error::HeaderFieldTooLong { limit, offset: 21 });
            assert!(body.is_empty());
            assert!(held < 2 * limit + 2 * size, "{held} bytes held");
        }
    }

    #[test]
    fn a_folded_field_too_long_is_the_same_error_as_the_parser_gives() {
        let limit = Limits::default().max_header_field_len;
        let mut message = b"From: a@example.com\r\nTo: b@example.com".to_vec();
        while message.len() < 2 * limit {
            message.extend_from_slice(b",\r\n c@example.com");
        }
        message.extend_from_slice(b"\r\n\r\nbody\r\n");
        let expected = parser_error(&message);
        assert!(matches!(
            expected,
            Some(Error::HeaderFieldTooLong { offset: 21, .. })
        ));
        for size in [3, 1000] {
            assert_eq!(stream(&message, size).result.err(), expected);
        }
    }

    #[test]
    fn too_many_fields_is_the_same_error_as_the_parser_gives() {
        let limits = Limits::default();
        let mut message = Vec::new();
        for n in 0..=limits.max_headers {
            message.extend_from_slice(format!("X-{n}: {n}\r\n").as_bytes());
        }
        message.extend_from_slice(b"\r\nbody\r\n");
        let expected = parser_error(&message);
        assert!(matches!(
            expected,
            Some(Error::TooManyHeaders { limit: 1000, .. })
        ));
        for size in [1, 50, 100_000] {
            assert_eq!(stream(&message, size).result.err(), expected);
        }
        // One field fewer is a header block like any other.
        let last = message.windows(2).rposition(|w| w == b"X-").unwrap_or(0);
        let fewer = [&message[..last], b"\r\nbody\r\n"].concat();
        assert_eq!(parser_error(&fewer), None);
        assert_eq!(stream(&fewer, 64).body, b"body\r\n");
    }

    #[test]
    fn a_long_line_that_is_no_field_starts_the_body() {
        // No separator line: the parser takes the first line that is not a field for the
        // body, however long it is.
        let limit = Limits::default().max_header_field_len;
        let mut message = b"From: a@example.com\r\nnot a field ".to_vec();
        message.resize(message.len() + 2 * limit, b'x');
        message.extend_from_slice(b"\r\nmore\r\n");
        assert_eq!(parser_error(&message), None);
        for size in [5, 4096] {
            let Streamed { result, body, .. } = stream(&message, size);
            assert_eq!(result.unwrap(), (b"From: a@example.com\r\n".to_vec(), true));
            assert_eq!(body, &message[21..]);
        }
    }

    #[test]
    fn a_field_just_under_the_limit_fed_byte_by_byte() {
        // Each byte is searched once: 60 KiB in one-byte chunks is 60 Ki steps, not the
        // 1.8 G that searching the open line again on every chunk took.
        let mut message = b"From: a@example.com\r\nSubject: ".to_vec();
        message.resize(60 * 1024, b'y');
        message.extend_from_slice(b"\r\n\r\nbody\r\n");
        let Streamed { result, body, .. } = stream(&message, 1);
        let (header, in_body) = result.unwrap();
        assert_eq!(header.len(), 60 * 1024 + 2);
        assert!(in_body);
        assert_eq!(body, b"body\r\n");
    }

    #[test]
    fn body_is_handed_on_however_the_message_is_cut() {
        let message = b"From: a\r\nSubject: b\r\n c\r\n\r\nBody\r\nmore\r\n";
        for size in 1..message.len() {
            let mut block = HeaderBlock::default();
            let mut body = Vec::new();
            let mut header = Vec::new();
            for chunk in message.chunks(size) {
                match block.update(chunk) {
                    Fed::Header => {}
                    Fed::BodyStarted { header: h, body: b } => {
                        header = h.to_vec();
                        body.extend_from_slice(b);
                    }
                    Fed::Body(b) => body.extend_from_slice(b),
                }
            }
            assert_eq!(header, b"From: a\r\nSubject: b\r\n c\r\n");
            assert_eq!(body, b"Body\r\nmore\r\n");
            assert_eq!(block.finish().unwrap(), (header, true));
        }
    }
}
