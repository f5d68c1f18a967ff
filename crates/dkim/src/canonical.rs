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

/// Whether `bytes[i]` is one of the bytes relaxed header canonicalization rewrites: SP or
/// HTAB, or part of a line break, which inside a field only folds it: LF, or CR before LF.
/// A CR alone is an ordinary byte (§3.4.2 unfolds CRLF, nothing else; dkimpy agrees).
fn is_header_blank_at(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(b' ' | b'\t' | b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) == Some(&b'\n'),
        _ => false,
    }
}

/// The length of the plain stretch at the start of `bytes`, which starts with a content
/// byte (not [`is_header_blank_at`]): content bytes, and single SPs each followed by a
/// content byte. Relaxed header canonicalization leaves such a stretch as it is. Most bytes
/// of a header value are above SP, so the scan tests that first.
fn header_plain_len(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(offset) = find_at_or_below_space(&bytes[i..]) {
        i += offset;
        if bytes[i] == b' ' && i + 1 < bytes.len() && !is_header_blank_at(bytes, i + 1) {
            i += 2;
        } else if is_header_blank_at(bytes, i) {
            return i;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// The index of the first byte at or below SP (controls, SP, HTAB, CR, LF) in `bytes`,
/// eight bytes per step: in each little-endian word, `(x - 0x21..) & !x & 0x80..` sets the
/// high bit of every byte below 0x21 (bytes from 0x80 up never qualify, their high bit
/// being clear in `!x`); a borrow can only flag bytes after a flagged one, so the lowest
/// flag is exact.
pub(crate) fn find_at_or_below_space(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let (words, tail) = bytes.as_chunks::<8>();
    for (n, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word);
        let flags = x.wrapping_sub(ONES * 0x21) & !x & (ONES * 0x80);
        if flags != 0 {
            return Some(n * 8 + (flags.trailing_zeros() / 8) as usize);
        }
    }
    tail.iter()
        .position(|&b| b <= b' ')
        .map(|offset| words.len() * 8 + offset)
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

/// Bytes checked per step of [`find_relaxed_edit_portable`]'s branch-free scan.
const SCAN_BLOCK: usize = 128;

/// The CPU's vector unit for [`find_relaxed_edit`], detected once: AVX2 on x86-64 where the
/// CPU has it, otherwise none (the portable scan).
#[derive(Clone, Copy)]
struct Vector {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<pulp::x86::V3>,
}

impl Vector {
    fn detect() -> Vector {
        #[cfg(target_arch = "x86_64")]
        {
            Vector { avx2: avx2() }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Vector {}
    }
}

/// The CPU's AVX2, detected once for the whole crate (the relaxed scan here, the `b=` and
/// `h=` readers in `signature`).
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2() -> Option<pulp::x86::V3> {
    static AVX2: std::sync::OnceLock<Option<pulp::x86::V3>> = std::sync::OnceLock::new();
    *AVX2.get_or_init(pulp::x86::V3::try_new)
}

/// The first index at or after `from` where a white-space run that relaxed canonicalization
/// may change begins (see [`is_relaxed_edit`]), given that the last byte of `bytes` is not
/// white space.
///
/// The common case, prose with single spaces between words and CRLF line ends, has none, so
/// this is a scan at memory speed: with AVX2, 128 bytes per step in 32-byte vectors (through
/// `pulp`, which checks the CPU at run time and keeps this code free of `unsafe`);
/// elsewhere the portable scan, which the compiler vectorizes for the baseline target.
fn find_relaxed_edit(vector: Vector, bytes: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = vector.avx2 {
        return avx2::find_relaxed_edit(simd, bytes, from);
    }
    let _ = vector;
    find_relaxed_edit_portable(bytes, from)
}

/// [`find_relaxed_edit`] without explicit vectors: 128 bytes per step with no branch per
/// byte (the loop vectorizes: two loads and five vector operations per 16 bytes), looking at
/// single bytes only inside the block that holds a hit.
fn find_relaxed_edit_portable(bytes: &[u8], from: usize) -> Option<usize> {
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

/// The AVX2 form of the scan, written with `pulp`'s safe wrappers of the intrinsics.
///
/// Everything here is `#[inline(always)]` on purpose: pulp compiles the scan with AVX2
/// enabled only where it is inlined into `V3::vectorize`; a call that is not inlined would
/// run without it, an intrinsic at a time.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::inline_always)]
mod avx2 {
    use pulp::x86::V3;
    use pulp::{m8x32, u8x32};

    /// The edits among 32 bytes (each compared with the byte after it, so `window` holds
    /// 33), as a vector mask.
    #[inline(always)]
    fn hits(simd: V3, window: &[u8; 33]) -> m8x32 {
        let (block, next) = (first_32(window), last_32(window));
        let (b, n): (u8x32, u8x32) = (pulp::cast(block), pulp::cast(next));
        let space = simd.splat_u8x32(b' ');
        let tab = simd.cmp_eq_u8x32(b, simd.splat_u8x32(b'\t'));
        let sp = simd.cmp_eq_u8x32(b, space);
        // next <= SP, as max(next, SP) == SP.
        let next_blank = simd.cmp_eq_u8x32(simd.max_u8x32(n, space), space);
        simd.or_m8x32(tab, simd.and_m8x32(sp, next_blank))
    }

    /// A cheaper superset of [`hits`] (two vector operations fewer): a byte followed by
    /// SP or a control byte where the larger of the two is SP, or an HTAB. Besides every
    /// edit, this flags a control byte followed by SP (an LF before a line that begins
    /// with SP), which [`hits`] then rules out.
    #[inline(always)]
    fn maybe_hits(simd: V3, window: &[u8; 33]) -> m8x32 {
        let (block, next) = (first_32(window), last_32(window));
        let (b, n): (u8x32, u8x32) = (pulp::cast(block), pulp::cast(next));
        let space = simd.splat_u8x32(b' ');
        let tab = simd.cmp_eq_u8x32(b, simd.splat_u8x32(b'\t'));
        // max(b, next) == SP: b == SP with next <= SP, or b < SP with next == SP.
        let blank_pair = simd.cmp_eq_u8x32(simd.max_u8x32(b, n), space);
        simd.or_m8x32(tab, blank_pair)
    }

    #[inline(always)]
    fn first_32(window: &[u8; 33]) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(&window[..32]);
        out
    }

    #[inline(always)]
    fn last_32(window: &[u8; 33]) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(&window[1..]);
        out
    }

    /// The 33 bytes of a 129-byte window at `offset` (0, 32, 64 or 96: a constant in
    /// every use, so the bounds are settled at compile time and the fallback is dead code).
    #[inline(always)]
    fn at(window: &[u8; 129], offset: usize) -> &[u8; 33] {
        window[offset..].first_chunk::<33>().unwrap_or(&[0; 33])
    }

    #[inline(always)]
    fn mask(simd: V3, hits: m8x32) -> u32 {
        // The sign bit of each byte, one bit per byte (the i32 is a bit pattern).
        u32::from_ne_bytes(
            simd.avx2
                ._mm256_movemask_epi8(pulp::cast(hits))
                .to_ne_bytes(),
        )
    }

    struct Scan<'a> {
        simd: V3,
        bytes: &'a [u8],
        from: usize,
    }

    impl pulp::NullaryFnOnce for Scan<'_> {
        type Output = Option<usize>;

        #[inline(always)]
        fn call(self) -> Option<usize> {
            let Scan { simd, bytes, from } = self;
            let mut i = from;
            while let Some((window, _)) = bytes.get(i..).and_then(<[u8]>::split_first_chunk::<129>)
            {
                let maybe = simd.or_m8x32(
                    simd.or_m8x32(
                        maybe_hits(simd, at(window, 0)),
                        maybe_hits(simd, at(window, 32)),
                    ),
                    simd.or_m8x32(
                        maybe_hits(simd, at(window, 64)),
                        maybe_hits(simd, at(window, 96)),
                    ),
                );
                if mask(simd, maybe) != 0 {
                    let any = simd.or_m8x32(
                        simd.or_m8x32(hits(simd, at(window, 0)), hits(simd, at(window, 32))),
                        simd.or_m8x32(hits(simd, at(window, 64)), hits(simd, at(window, 96))),
                    );
                    if mask(simd, any) != 0 {
                        break;
                    }
                }
                i += 128;
            }
            while let Some((window, _)) = bytes.get(i..).and_then(<[u8]>::split_first_chunk::<33>) {
                let found = mask(simd, hits(simd, window));
                if found != 0 {
                    return Some(i + found.trailing_zeros() as usize);
                }
                i += 32;
            }
            super::find_relaxed_edit_portable(bytes, i)
        }
    }

    /// [`super::find_relaxed_edit`] with AVX2.
    pub(super) fn find_relaxed_edit(simd: V3, bytes: &[u8], from: usize) -> Option<usize> {
        simd.vectorize(Scan { simd, bytes, from })
    }
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
/// (the line breaks of its folds dropped: CRLF, or the bare LF the message parser also
/// accepts; a CR alone stays), runs of WSP turned into one SP, WSP around the colon and at
/// the end of the value removed.
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
            // Copied, then lowercased in place: a plain loop over the copy, where a
            // mapping iterator pushed byte by byte.
            let start = out.len();
            out.extend_from_slice(name);
            out[start..].make_ascii_lowercase();
            out.push(b':');
            // Plain stretches (content bytes with single SPs between them, which relaxed
            // canonicalization keeps) go out as slices; any other run of SP, HTAB and line
            // breaks becomes one SP if it holds any WSP (line breaks alone unfold to
            // nothing), and nothing at the start or the end of the value.
            // A CRLF cut between two pieces (never, from this crate's callers) is joined
            // first, so that its CR is seen before LF.
            let concatenated;
            let joined: [&[u8]; 1];
            let value = if value
                .windows(2)
                .any(|w| w[0].ends_with(b"\r") && w[1].starts_with(b"\n"))
            {
                concatenated = value.concat();
                joined = [&concatenated];
                &joined[..]
            } else {
                value
            };
            let mut started = false;
            let mut pending_space = false;
            for piece in value {
                let mut rest: &[u8] = piece;
                loop {
                    let blank = (0..rest.len())
                        .find(|&i| !is_header_blank_at(rest, i))
                        .unwrap_or(rest.len());
                    if started && rest[..blank].iter().any(|&b| is_wsp(b)) {
                        pending_space = true;
                    }
                    rest = &rest[blank..];
                    if rest.is_empty() {
                        break;
                    }
                    let plain = header_plain_len(rest);
                    if pending_space {
                        out.push(b' ');
                        pending_space = false;
                    }
                    out.extend_from_slice(&rest[..plain]);
                    started = true;
                    rest = &rest[plain..];
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
        let vector = Vector::detect();
        while let Some(edit) = find_relaxed_edit(vector, content, from) {
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
    /// relaxed: hash each block before scanning it (see [`BodyHasher::update`]); off for
    /// the rest of the body once a block turned out to need rewriting.
    hash_first: bool,
}

/// The blocks in which relaxed canonicalization hashes first and scans after: small enough
/// that the scan finds the block still in the L1 cache, large enough that the per-block
/// work does not count.
const HASH_FIRST_BLOCK: usize = 8 * 1024;

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
            hash_first: mode == Canonicalization::Relaxed,
        }
    }

    /// Canonicalizes and hashes the next piece of the body.
    ///
    /// Relaxed canonicalization must scan every byte for white space to rewrite. The scan
    /// is fast, but on a long body it runs ahead of the caches and waits for memory, while
    /// SHA-256, much slower per byte, never does. So relaxed bodies go in blocks that are
    /// hashed as they stand (from a copy of the digest state) and scanned afterwards, when
    /// the hash has brought them into the L1 cache. A block that turns out to need
    /// rewriting is hashed again, properly, from the copy; after that, the rest of the body
    /// is scanned first (the plain path), so a body full of edits hashes at most one block
    /// twice.
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        if !self.hash_first {
            self.update_plain(chunk);
            return;
        }
        for block in chunk.chunks(HASH_FIRST_BLOCK) {
            if !self.hash_first || !self.update_hash_first(block) {
                self.update_plain(block);
            }
        }
    }

    fn update_plain(&mut self, chunk: &[u8]) {
        let (context, total, limit) = (&mut self.context, &mut self.canonical_length, self.limit);
        self.canonicalizer
            .update(chunk, &mut |bytes| feed(context, total, limit, bytes));
    }

    /// The hash-first path for one block (relaxed): `false`, with nothing changed, when the
    /// block must take the plain path.
    fn update_hash_first(&mut self, block: &[u8]) -> bool {
        let state = &self.canonicalizer;
        // Only from a state with nothing held back: then the block's content (up to its
        // last content byte, see `content_end`) is its own canonical form unless the scan
        // finds a white-space run to rewrite.
        if state.pending_space || state.pending_cr || state.pending_line_breaks != 0 {
            return false;
        }
        let end = content_end(block, true);
        let content = &block[..end];
        if content.is_empty() {
            return false;
        }
        let saved = (self.context.clone(), self.canonical_length);
        feed(
            &mut self.context,
            &mut self.canonical_length,
            self.limit,
            content,
        );
        if find_relaxed_edit(Vector::detect(), content, 0).is_some() {
            (self.context, self.canonical_length) = saved;
            self.hash_first = false;
            return false;
        }
        self.canonicalizer.emitted = true;
        let (context, total, limit) = (&mut self.context, &mut self.canonical_length, self.limit);
        self.canonicalizer
            .update_bytewise(&block[end..], &mut |bytes| {
                feed(context, total, limit, bytes);
            });
        true
    }

    /// The digest and the length of the whole canonical body.
    pub(crate) fn finish(self) -> (Digest, u64) {
        let BodyHasher {
            canonicalizer,
            mut context,
            limit,
            mut canonical_length,
            ..
        } = self;
        canonicalizer.finish(&mut |bytes| feed(&mut context, &mut canonical_length, limit, bytes));
        (context.finish(), canonical_length)
    }
}

#[cfg(test)]
pub(crate) mod naive {
    //! Slow, obviously-correct canonicalizers written straight from the RFC text, the oracle
    //! for the property tests.

    /// RFC 6376 §3.4.2 on one header field: name lower-cased, value unfolded (each CRLF and
    /// each bare LF removed; a CR alone stays), WSP runs to one SP, WSP at both ends of the
    /// value removed.
    pub(crate) fn relaxed_header(name: &[u8], value: &[u8]) -> Vec<u8> {
        let mut unfolded = Vec::new();
        let mut i = 0;
        while i < value.len() {
            match (value[i], value.get(i + 1)) {
                (b'\r', Some(b'\n')) => i += 2,
                (b'\n', _) => i += 1,
                (b, _) => {
                    unfolded.push(b);
                    i += 1;
                }
            }
        }
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

    /// Long runs of plain text with rare edits: the bodies where the vector scan runs far.
    fn sparse_body_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                400 => Just(b'a'),
                60 => Just(b' '),
                8 => Just(b'\r'),
                8 => Just(b'\n'),
                1 => Just(b'\t'),
                1 => any::<u8>(),
            ],
            0..2000,
        )
    }

    /// Bodies of up to ~40 KiB, long enough to cross several hash-first blocks: plain
    /// lines, with (rarely, or often) a white-space run to rewrite somewhere.
    fn block_crossing_body() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![Just(40u16), Just(4000u16)].prop_flat_map(|density| {
                proptest::collection::vec((1usize..120, 0..density), 1..400)
            }),
            any::<bool>(),
        )
            .prop_map(|(lines, trailing_blank)| {
                let mut body = Vec::new();
                for (len, kind) in lines {
                    body.extend(std::iter::repeat_n(b'x', len / 2));
                    match kind {
                        0 => body.extend_from_slice(b"  "),
                        1 => body.push(b'\t'),
                        2 => body.extend_from_slice(b" \r\n"),
                        3 => body.extend_from_slice(b"\r\n\r\n"),
                        4 => body.push(b'\r'),
                        _ => body.push(b' '),
                    }
                    body.extend(std::iter::repeat_n(b'y', len - len / 2));
                    body.extend_from_slice(b"\r\n");
                }
                if trailing_blank {
                    body.extend_from_slice(b" \r\n\r\n \t");
                }
                body
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The body hasher (hash-first blocks, with its fallbacks) gives the digest and the
        /// length of the naive canonical form, however the body is cut, with and without
        /// `l=`.
        #[test]
        fn body_hasher_equals_naive_digest(
            body in block_crossing_body(),
            cuts in proptest::collection::vec(0usize..50_000, 0..4),
            limit in proptest::option::of(0u64..50_000),
        ) {
            for mode in [Canonicalization::Relaxed, Canonicalization::Simple] {
                let canonical = naive::body(mode == Canonicalization::Relaxed, &body);
                let signed = limit.map_or(&canonical[..], |l| {
                    &canonical[..canonical.len().min(usize::try_from(l).unwrap_or(usize::MAX))]
                });
                let mut expected = Hasher::new(HashAlgorithm::Sha256);
                expected.update(signed);
                let mut hasher = BodyHasher::new(mode, HashAlgorithm::Sha256, limit);
                let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
                cuts.sort_unstable();
                let mut start = 0;
                for cut in cuts.into_iter().chain([body.len()]) {
                    hasher.update(&body[start..cut]);
                    start = cut;
                }
                let (digest, length) = hasher.finish();
                let expected = expected.finish();
                prop_assert_eq!(digest.as_ref(), expected.as_ref());
                prop_assert_eq!(length, u64::try_from(canonical.len()).unwrap());
            }
        }
    }

    /// Lines that begin with SP put a control byte before an SP, which the vector scan's
    /// first filter flags: the scan must see that as no edit and find the real one later.
    #[test]
    fn vector_scan_passes_lines_beginning_with_space() {
        let mut body = b"word\r\n indented line\r\n".repeat(20);
        assert_eq!(find_relaxed_edit(Vector::detect(), &body, 0), None);
        assert_eq!(find_relaxed_edit_portable(&body, 0), None);
        let edit = body.len() - 5;
        body.splice(edit..edit, *b"  ");
        body.extend_from_slice(b"end");
        assert_eq!(find_relaxed_edit(Vector::detect(), &body, 0), Some(edit));
        assert_eq!(find_relaxed_edit_portable(&body, 0), Some(edit));
    }

    proptest! {
        /// The scan this CPU uses (AVX2 where it has it) finds the same first edit as the
        /// portable one, from any starting point.
        #[test]
        fn vector_scan_equals_portable(body in sparse_body_bytes(), from in 0usize..2000) {
            let from = from.min(body.len());
            prop_assert_eq!(
                find_relaxed_edit(Vector::detect(), &body, from),
                find_relaxed_edit_portable(&body, from)
            );
        }

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

        /// The word-at-a-time scan finds the byte a plain scan finds.
        #[test]
        fn word_scan_equals_position(bytes in proptest::collection::vec(
            prop_oneof![Just(b' '), Just(b'\t'), Just(b'!'), Just(0x20u8), Just(0x21u8), Just(0x80u8), Just(0xa0u8), any::<u8>()], 0..40),
            from in 0usize..40) {
            let bytes = &bytes[from.min(bytes.len())..];
            prop_assert_eq!(find_at_or_below_space(bytes), bytes.iter().position(|&b| b <= b' '));
        }

        #[test]
        fn relaxed_header_is_idempotent_and_unfolded(value in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b' '), Just(b'\t'), Just(b'x'), Just(b';')], 0..40)) {
            let mut once = Vec::new();
            header(Canonicalization::Relaxed, b"X:", b"X", &[&value], false, &mut once);
            prop_assert!(!once.contains(&b'\n') && !once.contains(&b'\t'));
            prop_assert!(!once.windows(2).any(|w| w == b"  "));
            prop_assert!(!once.ends_with(b" "));
            prop_assert!(!once.starts_with(b"x: "));
            let mut twice = Vec::new();
            header(Canonicalization::Relaxed, b"x:", b"x", &[&once[2..]], false, &mut twice);
            prop_assert_eq!(once, twice);
        }
    }
}
