//! The header block of a message fed in chunks, for the streaming signer and verifier:
//! header fields are buffered (every one must be seen before anything can be signed or
//! checked), the body is handed on as it arrives and never stored.

/// Whether `line` (without its line break) continues or starts a header field, by the
/// rules of the message parser: a continuation starts with WSP (after a field); a field
/// starts with a name and optional WSP before a colon.
pub(crate) fn is_header_line(line: &[u8], after_field: bool) -> bool {
    if let Some(b' ' | b'\t') = line.first() {
        return after_field;
    }
    let name_len = line
        .iter()
        .position(|&b| b <= b' ' || b == b':' || b == 0x7f)
        .unwrap_or(line.len());
    let rest = &line[name_len..];
    let colon = rest.iter().position(|&b| b != b' ' && b != b'\t');
    name_len > 0 && colon.is_some_and(|i| rest[i] == b':')
}

/// What a chunk turned out to hold.
pub(crate) enum Fed<'a> {
    /// Only header fields (or nothing yet decidable): buffered.
    Header,
    /// The header block ended in this chunk: the block (without the empty separator line)
    /// and the start of the body.
    BodyStarted { header: &'a [u8], body: &'a [u8] },
    /// Body bytes (the chunk itself).
    Body(&'a [u8]),
}

/// The buffered header block of a streamed message.
#[derive(Debug, Default)]
pub(crate) struct HeaderBlock {
    bytes: Vec<u8>,
    /// Where the next unexamined line of `bytes` starts.
    line_start: usize,
    /// Once in the body: where the header block ends in `bytes` (body bytes may follow it,
    /// until the next call).
    header_end: Option<usize>,
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
        self.bytes.extend_from_slice(chunk);
        while let Some(lf) = self.bytes[self.line_start..]
            .iter()
            .position(|&b| b == b'\n')
        {
            let end = self.line_start + lf + 1;
            let line = &self.bytes[self.line_start..end];
            let content = line
                .strip_suffix(b"\r\n")
                .or_else(|| line.strip_suffix(b"\n"))
                .unwrap_or(line);
            let body_start = if content.is_empty() {
                Some(end)
            } else if !is_header_line(content, self.line_start > 0) {
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
            self.line_start = end;
        }
        Fed::Header
    }

    /// The message's header block, and whether a body was seen. Without a separator line,
    /// the last bytes may be a body line that never ended: the message parser decides.
    pub(crate) fn finish(mut self) -> (Vec<u8>, bool) {
        let in_body = self.in_body();
        if let Some(header_end) = self.header_end {
            self.bytes.truncate(header_end);
        }
        (self.bytes, in_body)
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
            assert_eq!(block.finish(), (header, true));
        }
    }
}
