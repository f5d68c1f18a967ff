//! Canonicalization (RFC 6376 §3.4): the exact bytes that get hashed.
//!
//! Header fields are canonicalized one at a time into a caller-owned buffer; the body is
//! canonicalized as a stream by [`BodyCanonicalizer`], which never buffers more than one
//! pending line break count and so can feed a digest chunk by chunk.

use std::fmt;

use crate::crypto::{Digest, Hasher};
use crate::signature::HashAlgorithm;

/// A canonicalization algorithm, for header fields or for the body (`c=`, RFC 6376 §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Canonicalization {
    /// `simple`: tolerates almost no modification (§3.4.1, §3.4.3). The default when `c=`
    /// is absent.
    #[default]
    Simple,
    /// `relaxed`: tolerates common modifications such as white-space replacement and header
    /// field line rewrapping (§3.4.2, §3.4.4).
    Relaxed,
}

impl Canonicalization {
    /// The name used in `c=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Canonicalization::Simple => "simple",
            Canonicalization::Relaxed => "relaxed",
        }
    }
}

impl fmt::Display for Canonicalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// SP, HTAB, CR or LF: the bytes relaxed header canonicalization rewrites.
fn is_header_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The length of the run of content bytes (not [`is_header_blank`]) at the start of
/// `bytes`. Most bytes of a header value are above SP, so the scan tests that first.
fn header_content_len(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b <= b' ') {
        i += offset;
        if is_header_blank(bytes[i]) {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// The index after the last content byte of a body chunk: what follows is only line breaks
/// (CRLF), white space (relaxed) and possibly a final CR, all of which canonicalization
/// holds back until it sees what comes next.
fn content_end(input: &[u8], relaxed: bool) -> usize {
    let mut end = input.len();
    // A final CR may start a CRLF that the next chunk completes.
    if input.last() == Some(&b'\r') {
        end -= 1;
    }
    loop {
        let rest = &input[..end];
        if rest.ends_with(b"\r\n") {
            end -= 2;
        } else if relaxed && rest.last().is_some_and(|&b| is_wsp(b)) {
            end -= 1;
        } else {
            return end;
        }
    }
}

/// The end of the white-space run starting at `start`.
fn wsp_run_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| !is_wsp(b))
        .map_or(bytes.len(), |n| start + n)
}

/// Whether relaxed canonicalization may change the white-space run that starts at a byte
/// `b` followed by `next`: any HTAB, and an SP followed by white space, CR or another byte
/// below `!` (the run is longer than one SP, or may end the line). A lone SP between other
/// bytes is kept as is. The few extra hits (SP before LF or a control byte) are harmless:
/// the run is then emitted as the one SP it already is.
#[inline]
fn is_relaxed_edit(b: u8, next: u8) -> u8 {
    u8::from(b == b'\t') | (u8::from(b == b' ') & u8::from(next <= b' '))
}

/// Bytes checked per step of [`find_relaxed_edit`]'s branch-free scan.
const SCAN_BLOCK: usize = 128;

/// The first index at or after `from` where a white-space run that relaxed canonicalization
/// may change begins (see [`is_relaxed_edit`]), given that the last byte of `bytes` is not
/// white space.
///
/// The common case, prose with single spaces between words and CRLF line ends, has none:
/// the scan checks 128 bytes per step with no branch per byte (the loop vectorizes: two
/// loads and five vector operations per 16 bytes), and looks at single bytes only inside
/// the block that holds a hit.
fn find_relaxed_edit(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(window) = bytes.get(i..=i + SCAN_BLOCK) {
        let (block, next) = (&window[..SCAN_BLOCK], &window[1..]);
        let mut hit = 0;
        for (&b, &n) in block.iter().zip(next) {
            hit |= is_relaxed_edit(b, n);
        }
        if hit != 0 {
            break;
        }
        i += SCAN_BLOCK;
    }
    let rest = bytes.get(i..)?;
    rest.windows(2)
        .position(|pair| is_relaxed_edit(pair[0], pair[1]) != 0)
        .map(|n| i + n)
}

/// Appends one canonicalized header field to `out`.
///
/// `prefix` is the field exactly as written up to and including its colon (`"Subject :"`),
/// `name` the field name without white space, and `value` the value as a sequence of pieces
/// (one piece normally; two when the `b=` value of a DKIM-Signature has been cut out). With
/// `line_break`, the field is terminated by CRLF; the DKIM-Signature being verified or
/// signed is hashed without one (§3.7).
///
/// simple (§3.4.1): the field unchanged. relaxed (§3.4.2): name lower-cased, value unfolded
/// (every CR and LF dropped), runs of WSP turned into one SP, WSP around the colon and at the
/// end of the value removed.
pub(crate) fn header(
    mode: Canonicalization,
    prefix: &[u8],
    name: &[u8],
    value: &[&[u8]],
    line_break: bool,
    out: &mut Vec<u8>,
) {
    match mode {
        Canonicalization::Simple => {
            out.extend_from_slice(prefix);
            for piece in value {
                out.extend_from_slice(piece);
            }
        }
        Canonicalization::Relaxed => {
            out.extend(name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            // Runs of content bytes go out as slices; a run of SP, HTAB, CR and LF between
            // them becomes one SP if it holds any WSP (CR and LF alone unfold to nothing),
            // and nothing at the start or the end of the value.
            let mut started = false;
            let mut pending_space = false;
            for piece in value {
                let mut rest: &[u8] = piece;
                while !rest.is_empty() {
                    let content = header_content_len(rest);
                    if content > 0 {
                        if pending_space {
                            out.push(b' ');
                            pending_space = false;
                        }
                        out.extend_from_slice(&rest[..content]);
                        started = true;
                        rest = &rest[content..];
                    }
                    let blank = rest
                        .iter()
                        .position(|&b| !is_header_blank(b))
                        .unwrap_or(rest.len());
                    if started && rest[..blank].iter().any(|&b| is_wsp(b)) {
                        pending_space = true;
                    }
                    rest = &rest[blank..];
                }
            }
        }
    }
    if line_break {
        out.extend_from_slice(b"\r\n");
    }
}

/// Line breaks to emit in bulk for runs of empty lines.
const CRLFS: &[u8; 64] = b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/// Streaming body canonicalization (RFC 6376 §3.4.3 simple, §3.4.4 relaxed).
///
/// Feed the body in chunks of any size with [`update`](Self::update) and end with
/// [`finish`](Self::finish); the output, passed to the `out` callback as slices, is exactly
/// the canonical body however the input was cut (a CRLF or a run of white space may be split
/// across chunks). Only CRLF ends a line; a bare CR or LF is an ordinary byte.
///
/// - simple: empty lines at the end of the body are removed, and the body ends with one
///   CRLF (an empty body becomes a single CRLF).
/// - relaxed: white space at the end of each line is removed, other runs of SP/HTAB become
///   one SP, empty lines at the end are removed, and a non-empty body ends with CRLF; an
///   empty body stays empty. The steps apply in the RFC's order, so white space ending an
///   unterminated last line (no CRLF after it) becomes one SP before the CRLF is added:
///   `"x \t"` gives `"x \r\n"`, as in dkimpy.
///
/// ```
/// use mailproof_dkim::{BodyCanonicalizer, Canonicalization};
///
/// let mut canon = BodyCanonicalizer::new(Canonicalization::Relaxed);
/// let mut out = Vec::new();
/// for chunk in [&b"Hi \t"[..], b" there  \r", b"\n\r\n\r\n"] {
///     canon.update(chunk, &mut |bytes| out.extend_from_slice(bytes));
/// }
/// canon.finish(&mut |bytes| out.extend_from_slice(bytes));
/// assert_eq!(out, b"Hi there\r\n");
/// ```
#[derive(Clone, Debug)]
pub struct BodyCanonicalizer {
    mode: Canonicalization,
    /// Line breaks seen since the last emitted content byte, not yet emitted: they are
    /// dropped if only empty lines follow.
    pending_line_breaks: usize,
    /// relaxed: white space seen in the current line, emitted as one SP before the next
    /// content byte.
    pending_space: bool,
    /// The previous chunk ended with a CR whose meaning depends on the next byte.
    pending_cr: bool,
    /// Any content byte has been emitted.
    emitted: bool,
}

impl BodyCanonicalizer {
    /// A canonicalizer at the start of a body.
    pub fn new(mode: Canonicalization) -> BodyCanonicalizer {
        BodyCanonicalizer {
            mode,
            pending_line_breaks: 0,
            pending_space: false,
            pending_cr: false,
            emitted: false,
        }
    }

    /// The algorithm this canonicalizer applies.
    pub fn mode(&self) -> Canonicalization {
        self.mode
    }

    /// Emits the held-back line breaks.
    fn emit_line_breaks(&mut self, out: &mut impl FnMut(&[u8])) {
        while self.pending_line_breaks > 0 {
            let n = self.pending_line_breaks.min(CRLFS.len() / 2);
            out(&CRLFS[..2 * n]);
            self.pending_line_breaks -= n;
        }
    }

    /// Emits what must come before a content byte: held-back line breaks and white space.
    fn begin_content(&mut self, out: &mut impl FnMut(&[u8])) {
        self.emit_line_breaks(out);
        if self.pending_space {
            out(b" ");
            self.pending_space = false;
        }
        self.emitted = true;
    }

    /// Canonicalizes the next piece of the body.
    ///
    /// The chunk is cut after its last content byte. Up to there, the canonical form is the
    /// input itself except around a few white-space runs (relaxed) and nothing else
    /// (simple), so that part goes out as a few long slices, found by a branch-free scan
    /// (see `find_relaxed_edit`). What follows (white space and line breaks, which are
    /// dropped if the body ends there) only updates the held-back state.
    pub fn update(&mut self, chunk: &[u8], out: &mut impl FnMut(&[u8])) {
        let relaxed = self.mode == Canonicalization::Relaxed;
        let mut input = chunk;
        if self.pending_cr {
            let Some((&first, _)) = input.split_first() else {
                return;
            };
            self.pending_cr = false;
            if first == b'\n' {
                self.end_line();
                input = &input[1..];
            } else {
                self.begin_content(out);
                out(b"\r");
            }
        }
        let (content, tail) = input.split_at(content_end(input, relaxed));
        if !content.is_empty() {
            if relaxed {
                self.relaxed_content(content, out);
            } else {
                self.begin_content(out);
                out(content);
            }
        }
        self.update_bytewise(tail, out);
    }

    /// Relaxed canonicalization of `content`, which ends with a content byte (so every
    /// white-space run in it is followed by something, and every held-back line break is
    /// emitted before its end).
    fn relaxed_content(&mut self, content: &[u8], out: &mut impl FnMut(&[u8])) {
        self.emit_line_breaks(out);
        self.emitted = true;
        let mut start = 0;
        if self.pending_space {
            // The previous chunk ended in a white-space run: this chunk may continue it.
            self.pending_space = false;
            start = wsp_run_end(content, 0);
            if !content[start..].starts_with(b"\r\n") {
                out(b" ");
            }
        }
        // [start, edit) is emitted unchanged; at `edit` begins a white-space run that may
        // have to be rewritten (to one SP) or dropped (before CRLF).
        let mut from = start;
        while let Some(edit) = find_relaxed_edit(content, from) {
            if start < edit {
                out(&content[start..edit]);
            }
            let end = wsp_run_end(content, edit);
            if !content[end..].starts_with(b"\r\n") {
                out(b" ");
            }
            start = end;
            from = end;
        }
        out(&content[start..]);
    }

    /// The byte-at-a-time state machine, for the held-back tail of a chunk.
    fn update_bytewise(&mut self, input: &[u8], out: &mut impl FnMut(&[u8])) {
        let relaxed = self.mode == Canonicalization::Relaxed;
        // A run of content bytes [run_start, i) is emitted as one slice.
        let mut run_start: Option<usize> = None;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            let special = b == b'\r' || (relaxed && is_wsp(b));
            if !special {
                if run_start.is_none() {
                    self.begin_content(out);
                    run_start = Some(i);
                }
                i += 1;
                continue;
            }
            if let Some(start) = run_start.take() {
                out(&input[start..i]);
            }
            if b == b'\r' {
                match input.get(i + 1) {
                    Some(b'\n') => {
                        self.end_line();
                        i += 2;
                        continue;
                    }
                    Some(_) => {
                        // A bare CR is content.
                        self.begin_content(out);
                        run_start = Some(i);
                    }
                    None => self.pending_cr = true,
                }
            } else {
                self.pending_space = true;
            }
            i += 1;
        }
        if let Some(start) = run_start {
            out(&input[start..]);
        }
    }

    fn end_line(&mut self) {
        self.pending_space = false;
        self.pending_line_breaks = self.pending_line_breaks.saturating_add(1);
    }

    /// Ends the body, emitting the final CRLF where the algorithm requires one.
    pub fn finish(mut self, out: &mut impl FnMut(&[u8])) {
        if self.pending_cr {
            self.pending_cr = false;
            self.begin_content(out);
            out(b"\r");
        }
        match self.mode {
            // The last non-empty line keeps (or gains) its CRLF; an empty body is one CRLF.
            Canonicalization::Simple => out(b"\r\n"),
            Canonicalization::Relaxed => {
                if self.pending_space {
                    // White space ending an unterminated last line: step (a) of §3.4.4
                    // reduces it to one SP (it is not at the end of a line, no CRLF
                    // follows it), then step (b) adds the missing CRLF. dkimpy does the same.
                    self.begin_content(out);
                }
                if self.emitted {
                    out(b"\r\n");
                }
            }
        }
    }
}

/// A body canonicalizer feeding a digest, honouring `l=`: hashes at most `limit` canonical
/// octets and counts them all.
pub(crate) struct BodyHasher {
    canonicalizer: BodyCanonicalizer,
    context: Hasher,
    limit: Option<u64>,
    canonical_length: u64,
}

fn feed(context: &mut Hasher, total: &mut u64, limit: Option<u64>, bytes: &[u8]) {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let take = match limit {
        None => bytes.len(),
        Some(limit) => usize::try_from(limit.saturating_sub(*total).min(len)).unwrap_or(0),
    };
    context.update(&bytes[..take]);
    *total = total.saturating_add(len);
}

impl BodyHasher {
    pub(crate) fn new(mode: Canonicalization, hash: HashAlgorithm, limit: Option<u64>) -> Self {
        BodyHasher {
            canonicalizer: BodyCanonicalizer::new(mode),
            context: Hasher::new(hash),
            limit,
            canonical_length: 0,
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        let (context, total, limit) = (&mut self.context, &mut self.canonical_length, self.limit);
        self.canonicalizer
            .update(chunk, &mut |bytes| feed(context, total, limit, bytes));
    }

    /// The digest and the length of the whole canonical body.
    pub(crate) fn finish(self) -> (Digest, u64) {
        let BodyHasher {
            canonicalizer,
            mut context,
            limit,
            mut canonical_length,
        } = self;
        canonicalizer.finish(&mut |bytes| feed(&mut context, &mut canonical_length, limit, bytes));
        (context.finish(), canonical_length)
    }
}

#[cfg(test)]
pub(crate) mod naive {
    //! Slow, obviously-correct canonicalizers written straight from the RFC text, the oracle
    //! for the property tests.

    /// RFC 6376 §3.4.2 on one header field: name lower-cased, value unfolded (every CR and
    /// LF removed), WSP runs to one SP, WSP at both ends of the value removed.
    pub(crate) fn relaxed_header(name: &[u8], value: &[u8]) -> Vec<u8> {
        let unfolded: Vec<u8> = value
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        let mut reduced = Vec::new();
        let mut in_ws = false;
        for b in unfolded {
            if b == b' ' || b == b'\t' {
                in_ws = true;
            } else {
                if in_ws {
                    reduced.push(b' ');
                }
                in_ws = false;
                reduced.push(b);
            }
        }
        if reduced.first() == Some(&b' ') {
            reduced.remove(0);
        }
        let mut out = name.to_ascii_lowercase();
        out.push(b':');
        out.extend_from_slice(&reduced);
        out
    }

    /// RFC 6376 §3.4.3 / §3.4.4 on a whole body.
    pub(crate) fn body(relaxed: bool, body: &[u8]) -> Vec<u8> {
        // Split into lines on CRLF; the part after the last CRLF is an unterminated line.
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut rest = body;
        while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
            lines.push(rest[..pos].to_vec());
            rest = &rest[pos + 2..];
        }
        let unterminated = !rest.is_empty();
        if unterminated {
            lines.push(rest.to_vec());
        }
        if relaxed {
            let count = lines.len();
            for (index, line) in lines.iter_mut().enumerate() {
                // Reduce WSP runs to one SP, then drop trailing WSP.
                let mut out = Vec::new();
                let mut in_ws = false;
                for &b in line.iter() {
                    if b == b' ' || b == b'\t' {
                        in_ws = true;
                    } else {
                        if in_ws {
                            out.push(b' ');
                        }
                        in_ws = false;
                        out.push(b);
                    }
                }
                // §3.4.4 (a) then (b): only a CRLF-terminated line loses its trailing
                // white space; the unterminated last one keeps it as one SP.
                if in_ws && unterminated && index + 1 == count {
                    out.push(b' ');
                }
                *line = out;
            }
        }
        while lines.last().is_some_and(Vec::is_empty) {
            lines.pop();
        }
        let mut out = Vec::new();
        for line in &lines {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        if !relaxed && out.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one_shot(mode: Canonicalization, body: &[u8]) -> Vec<u8> {
        chunked(mode, &[body])
    }

    fn chunked(mode: Canonicalization, chunks: &[&[u8]]) -> Vec<u8> {
        let mut canon = BodyCanonicalizer::new(mode);
        let mut out = Vec::new();
        for chunk in chunks {
            canon.update(chunk, &mut |b| out.extend_from_slice(b));
        }
        canon.finish(&mut |b| out.extend_from_slice(b));
        out
    }

    #[test]
    fn rfc6376_section_3_4_5_examples() {
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(one_shot(Canonicalization::Relaxed, body), b" C\r\nD E\r\n");
        assert_eq!(
            one_shot(Canonicalization::Simple, body),
            b" C \r\nD \t E\r\n"
        );
        let mut out = Vec::new();
        header(
            Canonicalization::Relaxed,
            b"A:",
            b"A",
            &[b" X\r\n"],
            true,
            &mut out,
        );
        header(
            Canonicalization::Relaxed,
            b"B :",
            b"B",
            &[b" Y\t\r\n\tZ  "],
            true,
            &mut out,
        );
        assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
    }

    #[test]
    fn empty_body_rules() {
        assert_eq!(one_shot(Canonicalization::Simple, b""), b"\r\n");
        assert_eq!(one_shot(Canonicalization::Simple, b"\r\n\r\n"), b"\r\n");
        assert_eq!(one_shot(Canonicalization::Relaxed, b""), b"");
        assert_eq!(one_shot(Canonicalization::Relaxed, b" \r\n\t\r\n"), b"");
        assert_eq!(one_shot(Canonicalization::Simple, b"x"), b"x\r\n");
        // Step (a) before step (b) of §3.4.4: the unterminated last line's white space is
        // reduced to one SP, not removed, then CRLF is added.
        assert_eq!(one_shot(Canonicalization::Relaxed, b"x  "), b"x \r\n");
        assert_eq!(
            one_shot(Canonicalization::Relaxed, b"x\r\n\t"),
            b"x\r\n \r\n"
        );
        assert_eq!(one_shot(Canonicalization::Relaxed, b" \t"), b" \r\n");
        assert_eq!(one_shot(Canonicalization::Relaxed, b"x \r\n"), b"x\r\n");
    }

    #[test]
    fn split_crlf_and_whitespace() {
        let chunks: [&[u8]; 5] = [b"a \t", b" b\r", b"\n", b"\r", b"\nc\r"];
        assert_eq!(
            chunked(Canonicalization::Relaxed, &chunks),
            b"a b\r\n\r\nc\r\r\n"
        );
        assert_eq!(
            chunked(Canonicalization::Simple, &chunks),
            b"a \t b\r\n\r\nc\r\r\n"
        );
    }

    #[test]
    fn relaxed_header_pieces_join_like_one_value() {
        let mut split = Vec::new();
        header(
            Canonicalization::Relaxed,
            b"DKIM-Signature:",
            b"DKIM-Signature",
            &[b" a=1; b=", b"; c=2 "],
            false,
            &mut split,
        );
        assert_eq!(split, b"dkim-signature:a=1; b=; c=2");
    }

    fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
        // Bytes drawn mostly from the interesting ones.
        proptest::collection::vec(
            prop_oneof![
                Just(b'\r'),
                Just(b'\n'),
                Just(b' '),
                Just(b'\t'),
                Just(b'a'),
                Just(b'b'),
                any::<u8>(),
            ],
            0..64,
        )
    }

    /// Longer bodies, mostly text with single spaces, so that the 64-byte blocks of the
    /// white-space scan are exercised, hits falling anywhere in a block or across blocks.
    fn long_body_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                20 => Just(b'a'),
                6 => Just(b' '),
                2 => Just(b'\r'),
                2 => Just(b'\n'),
                1 => Just(b'\t'),
                1 => any::<u8>(),
            ],
            0..600,
        )
    }

    proptest! {
        #[test]
        fn long_streaming_equals_naive(body in long_body_bytes(), cuts in proptest::collection::vec(0usize..600, 0..6)) {
            for (mode, relaxed) in [(Canonicalization::Simple, false), (Canonicalization::Relaxed, true)] {
                let expected = naive::body(relaxed, &body);
                prop_assert_eq!(&one_shot(mode, &body), &expected);
                let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
                points.sort_unstable();
                let mut chunks = Vec::new();
                let mut last = 0;
                for p in points {
                    chunks.push(&body[last..p]);
                    last = p;
                }
                chunks.push(&body[last..]);
                prop_assert_eq!(&chunked(mode, &chunks), &expected);
            }
        }

        #[test]
        fn streaming_equals_naive(body in body_bytes(), cuts in proptest::collection::vec(0usize..64, 0..8)) {
            for (mode, relaxed) in [(Canonicalization::Simple, false), (Canonicalization::Relaxed, true)] {
                let expected = naive::body(relaxed, &body);
                prop_assert_eq!(&one_shot(mode, &body), &expected);
                let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
                points.sort_unstable();
                let mut chunks = Vec::new();
                let mut last = 0;
                for p in points {
                    chunks.push(&body[last..p]);
                    last = p;
                }
                chunks.push(&body[last..]);
                prop_assert_eq!(&chunked(mode, &chunks), &expected);
                // Byte by byte, the worst case for split CRLFs and WSP runs.
                let bytes: Vec<&[u8]> = body.chunks(1).collect();
                prop_assert_eq!(&chunked(mode, &bytes), &expected);
            }
        }

        #[test]
        fn relaxed_header_equals_naive(value in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b' '), Just(b'\t'), Just(b'x'), Just(b';'), any::<u8>()], 0..80),
            cuts in proptest::collection::vec(0usize..80, 0..3)) {
            let expected = naive::relaxed_header(b"Sub-Ject", &value);
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (value.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for p in points {
                pieces.push(&value[last..p]);
                last = p;
            }
            pieces.push(&value[last..]);
            let mut out = Vec::new();
            header(Canonicalization::Relaxed, b"Sub-Ject :", b"Sub-Ject", &pieces, false, &mut out);
            prop_assert_eq!(out, expected);
        }

        #[test]
        fn relaxed_header_is_idempotent_and_unfolded(value in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b' '), Just(b'\t'), Just(b'x'), Just(b';')], 0..40)) {
            let mut once = Vec::new();
            header(Canonicalization::Relaxed, b"X:", b"X", &[&value], false, &mut once);
            prop_assert!(!once.contains(&b'\r') && !once.contains(&b'\n') && !once.contains(&b'\t'));
            prop_assert!(!once.windows(2).any(|w| w == b"  "));
            prop_assert!(!once.ends_with(b" "));
            prop_assert!(!once.starts_with(b"x: "));
            let mut twice = Vec::new();
            header(Canonicalization::Relaxed, b"x:", b"x", &[&once[2..]], false, &mut twice);
            prop_assert_eq!(once, twice);
        }
    }
}
