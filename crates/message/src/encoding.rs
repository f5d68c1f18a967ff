//! Byte-level decoders shared by header and body handling: base64,
//! quoted-printable, RFC 2047 encoded words and charsets.
//!
//! The transfer decoders are lenient (they skip what they cannot decode) and
//! report through their return value whether anything was skipped; callers
//! turn that into a [`Defect`](crate::Defect).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// A charset that text can be decoded from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Charset {
    /// One of the WHATWG encodings, as `encoding_rs` implements them.
    Whatwg(&'static Encoding),
    /// UTF-7 (RFC 2152), which WHATWG leaves out but old mail uses.
    Utf7,
}

/// UTF-8, the fallback for absent or unknown charsets.
pub(crate) const UTF_8: Charset = Charset::Whatwg(encoding_rs::UTF_8);

/// Looks a charset label up (WHATWG labels, as `encoding_rs` knows them, plus
/// UTF-7), after dropping an RFC 2231 language suffix (`us-ascii*en`).
/// `utf8` is accepted as a common misspelling of `utf-8`.
pub(crate) fn charset(label: &[u8]) -> Option<Charset> {
    let label = label.split(|&b| b == b'*').next().unwrap_or(label);
    let label = label.trim_ascii();
    if label.eq_ignore_ascii_case(b"utf8") {
        return Some(UTF_8);
    }
    if label.eq_ignore_ascii_case(b"utf-7") || label.eq_ignore_ascii_case(b"unicode-1-1-utf-7") {
        return Some(Charset::Utf7);
    }
    Encoding::for_label(label).map(Charset::Whatwg)
}

/// Decodes `bytes` in `charset` to UTF-8, replacing malformed sequences with
/// U+FFFD. Borrows when the bytes are already valid UTF-8 (and ASCII-compatible
/// in `charset`).
pub(crate) fn decode_with(charset: Charset, bytes: &[u8]) -> Cow<'_, str> {
    match charset {
        Charset::Whatwg(encoding) => {
            if encoding == encoding_rs::UTF_8 || (encoding.is_ascii_compatible() && is_ascii(bytes))
            {
                return utf8_lossy(bytes);
            }
            encoding.decode_without_bom_handling(bytes).0
        }
        Charset::Utf7 if !bytes.contains(&b'+') => utf8_lossy(bytes),
        Charset::Utf7 => Cow::Owned(decode_utf7(bytes)),
    }
}

/// `String::from_utf8_lossy`, with the check for valid input (the common
/// case) done by `encoding_rs`, which uses SIMD where the CPU has it; the
/// standard library's check is scalar.
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match encoding_rs::UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => text,
        None => String::from_utf8_lossy(bytes),
    }
}

/// `<[u8]>::is_ascii`, through `encoding_rs` (SIMD where the CPU has it).
fn is_ascii(bytes: &[u8]) -> bool {
    Encoding::ascii_valid_up_to(bytes) == bytes.len()
}

/// RFC 2152 UTF-7: `+` starts modified base64 of UTF-16BE, ended by `-`
/// (absorbed) or any other non-base64 byte; `+-` is a literal `+`.
fn decode_utf7(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut units: Vec<u16> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'+' {
            out.push(if b.is_ascii() {
                char::from(b)
            } else {
                char::REPLACEMENT_CHARACTER
            });
            continue;
        }
        if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let (mut acc, mut bits) = (0u32, 0u32);
        units.clear();
        while let Some(v) = bytes.get(i).copied().and_then(base64_value) {
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 16 {
                bits -= 16;
                // The low 16 bits are the unit.
                units.push(u16::try_from((acc >> bits) & 0xffff).unwrap_or(0xfffd));
                acc &= (1 << bits) - 1;
            }
            i += 1;
        }
        out.extend(
            char::decode_utf16(units.iter().copied())
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
        );
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    out
}

/// Decodes `bytes` labelled with charset `label`; `None` if the label is
/// unknown.
pub(crate) fn decode_charset<'a>(label: &[u8], bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    charset(label).map(|cs| decode_with(cs, bytes))
}

/// Sextet values of the base64 alphabet; [`NOT_BASE64`] for other bytes.
const BASE64_VALUES: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut value = 0u8;
    while value < 64 {
        table[alphabet[value as usize] as usize] = value;
        value += 1;
    }
    table
};

/// Marks a byte outside the base64 alphabet in [`BASE64_VALUES`] (its top
/// bits are set, which no sextet has).
const NOT_BASE64: u8 = 0xff;

fn base64_value(b: u8) -> Option<u8> {
    let v = BASE64_VALUES[usize::from(b)];
    (v != NOT_BASE64).then_some(v)
}

/// [`BASE64_VALUES`] shifted into place for each of the four characters
/// of a group, so that a group decodes to the OR of four lookups; bytes
/// outside the alphabet set [`GROUP_INVALID`].
const BASE64_GROUP: [[u32; 256]; 4] = {
    let mut tables = [[GROUP_INVALID; 256]; 4];
    let mut byte = 0;
    while byte < 256 {
        let value = BASE64_VALUES[byte];
        if value != NOT_BASE64 {
            let value = value as u32;
            tables[0][byte] = value << 18;
            tables[1][byte] = value << 12;
            tables[2][byte] = value << 6;
            tables[3][byte] = value;
        }
        byte += 1;
    }
    tables
};

/// Set in a group decoded through [`BASE64_GROUP`] when one of its
/// characters is outside the alphabet (the 24 data bits stay below it).
const GROUP_INVALID: u32 = 1 << 31;

/// Decodes four base64 characters to their 24 bits, or [`GROUP_INVALID`]
/// set if one is outside the alphabet.
fn base64_group(group: [u8; 4]) -> u32 {
    BASE64_GROUP[0][usize::from(group[0])]
        | BASE64_GROUP[1][usize::from(group[1])]
        | BASE64_GROUP[2][usize::from(group[2])]
        | BASE64_GROUP[3][usize::from(group[3])]
}

/// Decodes base64 (RFC 2045 §6.8), appending to `out`. White space and line
/// breaks are skipped silently; any other character outside the alphabet,
/// data after padding, or a truncated last group makes the result `false`
/// (the rest is still decoded).
pub(crate) fn decode_base64(input: &[u8], out: &mut Vec<u8>) -> bool {
    // Each alphabet character carries 6 bits, so at most 3/4 of a byte each.
    out.reserve(input.len() / 4 * 3 + 3);
    let done = base64_simd_prefix(input, Some(out));
    let rest = &input[done..];
    let start = out.len();
    out.resize(start + rest.len() / 4 * 3 + 3, 0);
    let (clean, written) = base64_core::<true>(rest, &mut out[start..]);
    out.truncate(start + written);
    clean
}

/// Whether [`decode_base64`] would return `true` for `input`, without
/// decoding it.
pub(crate) fn base64_is_clean(input: &[u8]) -> bool {
    let done = base64_simd_prefix(input, None);
    base64_core::<false>(&input[done..], &mut []).0
}

/// Bodies shorter than this skip [`base64_simd_prefix`] (encoded words,
/// small parts): its setup would cost more than it saves.
const SIMD_MIN_INPUT: usize = 256;
/// Characters gathered from lines before they are decoded in one SIMD call.
const SIMD_BLOCK: usize = 4096;
/// Room for gathered characters: a block, plus the lines that follow it
/// until the count is a whole number of groups again (lines whose width is
/// not a multiple of 4 align every few lines).
const SIMD_SCRATCH: usize = 2 * SIMD_BLOCK;
/// Lines up to this long (76, the RFC 2045 maximum, and shorter) are
/// gathered with one fixed-size copy, which compiles to a few vector moves
/// instead of a `memcpy` call; the scratch has this much slack for it.
const SIMD_COPY: usize = 80;

/// The SIMD fast path of [`decode_base64`] (with `out`) and
/// [`base64_is_clean`] (without): decodes or checks a prefix of `input`
/// and returns its length; the caller runs [`base64_core`] on the rest.
///
/// The prefix is made of lines (runs of bytes between CR/LF line breaks)
/// whose alphabet characters are gathered, line breaks dropped, into a
/// scratch buffer and handed to `encodify` (strict, no padding) a block
/// at a time, whenever the gathered count is a whole number of groups.
/// Long lines are decoded in place. The prefix ends where a block fails
/// (anything outside the alphabet: padding, white space, garbage), at a
/// line that ends in `=` (the padding, left to the exact decoder), or at
/// the end of what could be gathered in whole groups.
///
/// Why this equals [`base64_core`] on the whole input: a prefix that holds
/// only alphabet characters, a multiple of 4 of them, and line breaks
/// leaves the byte-at-a-time decoder exactly where it starts (no open
/// group, no padding seen, nothing unclean), after appending the 3 bytes
/// of each group, which is what the strict SIMD decoder appends for it.
/// The prefix only ever grows by such stretches, each checked whole by the
/// SIMD decoder before it counts (a failed call appends nothing).
#[allow(clippy::too_many_lines)] // one pass over the lines, its invariant kept in one place
fn base64_simd_prefix(input: &[u8], mut out: Option<&mut Vec<u8>>) -> usize {
    if input.len() < SIMD_MIN_INPUT {
        return 0;
    }
    let mut simd = |chars: &[u8]| match out.as_deref_mut() {
        Some(out) => encodify::base64::STANDARD_NO_PAD
            .decode_append(chars, out)
            .is_ok(),
        None => encodify::base64::STANDARD_NO_PAD.decoded_len(chars).is_ok(),
    };
    let mut scratch = [0u8; SIMD_SCRATCH + SIMD_COPY];
    // Characters gathered in `scratch`: those of `input[done..gathered]`.
    let mut filled = 0;
    let mut done = 0;
    let mut gathered = 0;
    // Where the line that ends at `gathered` starts.
    let mut line_start = 0;
    let mut cursor = 0;
    // The width of the last line, the guess for the next one.
    let mut width = 0;
    loop {
        let end_of_last = cursor;
        while let Some(b'\r' | b'\n') = input.get(cursor) {
            cursor += 1;
        }
        // The same lane: lines as wide as the last one and ended by the same
        // break (the whole body, when it is wrapped at a fixed width), each
        // taken with one fixed-size copy and a look at its break.
        let line_break = &input[end_of_last..cursor];
        if matches!(line_break.len(), 1 | 2) && width > 0 && width + line_break.len() <= SIMD_COPY {
            let (first, last) = (line_break[0], line_break[line_break.len() - 1]);
            while let Some(copy) = input.get(cursor..cursor + SIMD_COPY) {
                let next = cursor + width + line_break.len();
                if copy[width - 1] == b'='
                    || copy[width] != first
                    || copy[width + line_break.len() - 1] != last
                    || filled + width > SIMD_SCRATCH
                {
                    break;
                }
                scratch[filled..filled + SIMD_COPY].copy_from_slice(copy);
                filled += width;
                line_start = cursor;
                gathered = cursor + width;
                cursor = next;
                if filled % 4 == 0 && filled >= SIMD_BLOCK {
                    if !simd(&scratch[..filled]) {
                        return done;
                    }
                    done = gathered;
                    filled = 0;
                }
            }
        }
        if cursor == input.len() {
            break;
        }
        // Where the line ends. A wrong guess (a break inside the guessed
        // width) gathers the break, which fails the block: slower, not wrong.
        let end = match input.get(cursor + width) {
            Some(b'\r' | b'\n') if width > 0 => cursor + width,
            _ => {
                memchr::memchr2(b'\r', b'\n', &input[cursor..]).map_or(input.len(), |p| cursor + p)
            }
        };
        // A line that ends in padding ends the prefix, without its last
        // group (left to the exact decoder with whatever follows).
        let padded = input[..end].last() == Some(&b'=');
        let end = if padded {
            end.saturating_sub(4).max(cursor)
        } else {
            end
        };
        let line = &input[cursor..end];
        if line.len() <= SIMD_SCRATCH - filled {
            if let (true, Some(copy)) = (
                line.len() <= SIMD_COPY,
                input.get(cursor..cursor + SIMD_COPY),
            ) {
                scratch[filled..filled + SIMD_COPY].copy_from_slice(copy);
            } else {
                scratch[filled..filled + line.len()].copy_from_slice(line);
            }
            filled += line.len();
        } else {
            // A long line (base64 not wrapped at all), or a full scratch:
            // complete the open group with the first characters, flush,
            // decode the whole groups where they are, and gather the rest.
            let head = (4 - filled % 4) % 4;
            let Some(head_chars) = line.get(..head) else {
                break;
            };
            let whole = (line.len() - head) / 4 * 4;
            scratch[filled..filled + head].copy_from_slice(head_chars);
            filled += head;
            if filled > 0 && !simd(&scratch[..filled]) {
                return done;
            }
            done = cursor + head;
            if !simd(&line[head..head + whole]) {
                return done;
            }
            done = cursor + head + whole;
            let tail = &line[head + whole..];
            scratch[..tail.len()].copy_from_slice(tail);
            filled = tail.len();
        }
        line_start = cursor;
        gathered = end;
        width = line.len();
        cursor = end;
        if filled % 4 == 0 && filled >= SIMD_BLOCK {
            if !simd(&scratch[..filled]) {
                return done;
            }
            done = gathered;
            filled = 0;
        }
        if padded {
            break;
        }
    }
    // The whole groups gathered; an open group's characters stay for the
    // exact decoder when they all come from the last line (where they are
    // the last characters before `gathered`).
    let open = filled % 4;
    if filled > open && gathered - open >= line_start && simd(&scratch[..filled - open]) {
        done = gathered - open;
    }
    done
}

/// The base64 decoder behind [`decode_base64`] and [`base64_is_clean`]:
/// returns whether `input` is clean and, with `WRITE`, how many bytes it
/// wrote to `out` (which must hold `input.len() / 4 * 3 + 3` bytes).
///
/// Whole groups of alphabet characters at a group boundary (the bulk of
/// any body) take a fast path, two groups at a time; everything else
/// (line breaks, padding, garbage) goes one byte at a time.
fn base64_core<const WRITE: bool>(input: &[u8], out: &mut [u8]) -> (bool, usize) {
    let mut clean = true;
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = false;
    let mut written = 0;
    let mut i = 0;
    while i < input.len() {
        if bits == 0 && !padding {
            // A line break between groups (the end of every line of a
            // body): skip it here rather than fail both fast paths on it.
            while let Some(b'\r' | b'\n') = input.get(i) {
                i += 1;
            }
            while let Some(block) = input.get(i..i + 8) {
                let (first, second) = block.split_at(4);
                let (Ok(first), Ok(second)) = (<[u8; 4]>::try_from(first), second.try_into())
                else {
                    break;
                };
                let (first, second) = (base64_group(first), base64_group(second));
                if (first | second) & GROUP_INVALID != 0 {
                    break;
                }
                if WRITE {
                    let bytes = (u64::from(first) << 40 | u64::from(second) << 16).to_be_bytes();
                    out[written..written + 6].copy_from_slice(&bytes[..6]);
                    written += 6;
                }
                i += 8;
            }
            if let Some(block) = input.get(i..i + 4)
                && let Ok(block) = <[u8; 4]>::try_from(block)
            {
                let group = base64_group(block);
                if group & GROUP_INVALID == 0 {
                    if WRITE {
                        out[written..written + 3].copy_from_slice(&group.to_be_bytes()[1..]);
                        written += 3;
                    }
                    i += 4;
                    continue;
                }
            }
        }
        let Some(&b) = input.get(i) else { break };
        i += 1;
        if let Some(v) = base64_value(b) {
            if padding {
                // Data after "=": a second encoded stream glued on; keep going.
                clean = false;
                padding = false;
            }
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                if WRITE {
                    // Truncation to the low byte is the point.
                    #[allow(clippy::cast_possible_truncation)]
                    {
                        out[written] = (acc >> bits) as u8;
                    }
                    written += 1;
                }
                acc &= (1 << bits) - 1;
            }
        } else if b == b'=' {
            if !padding {
                padding = true;
                if bits == 0 {
                    // Padding where no group is open.
                    clean = false;
                }
                // The bits left over before padding are zero fill.
                acc = 0;
                bits = 0;
            }
        } else if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            // The rest of the line break too, before the next fast attempt.
            while let Some(b' ' | b'\t' | b'\r' | b'\n') = input.get(i) {
                i += 1;
            }
        } else {
            clean = false;
        }
    }
    if bits >= 6 {
        // A lone sextet cannot make a byte.
        clean = false;
    }
    (clean, written)
}

/// Hexadecimal digit values (either case); [`NOT_HEX`] for other bytes.
const HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut digit = 0u8;
    while digit < 10 {
        table[(b'0' + digit) as usize] = digit;
        digit += 1;
    }
    let mut letter = 0u8;
    while letter < 6 {
        table[(b'A' + letter) as usize] = 10 + letter;
        table[(b'a' + letter) as usize] = 10 + letter;
        letter += 1;
    }
    table
};

/// Marks a byte that is no hexadecimal digit in [`HEX_VALUES`] (above 15).
const NOT_HEX: u8 = 0xff;

/// The lowest bit of each byte of a word.
const LOW_BITS: u64 = 0x0101_0101_0101_0101;
/// The highest bit of each byte of a word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` equal to `byte`, plus maybe some
/// above the lowest such byte (a borrow can carry into the next byte), so
/// only the lowest bit set is exact. (The SWAR "has zero byte" trick.)
const fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (LOW_BITS * byte as u64);
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// Decodes quoted-printable (RFC 2045 §6.7), appending to `out`.
///
/// `=XX` becomes a byte, `=` before a line break (soft line break, white
/// space allowed between) disappears with the break, and with `header` set
/// (RFC 2047 "Q" encoding) `_` becomes a space. Trailing white space before
/// a hard line break is removed, as §6.7 rule 3 asks. Returns `false` when an
/// `=` is not followed by two hex digits or a line break (it is then kept).
pub(crate) fn decode_quoted_printable(input: &[u8], header: bool, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    // Decoding never lengthens: every escape is shorter than its input and
    // every other byte is copied or dropped.
    out.resize(start + input.len(), 0);
    let (clean, written) = quoted_printable_core(input, header, &mut out[start..]);
    out.truncate(start + written);
    clean
}

/// The decoder behind [`decode_quoted_printable`], writing to `out` (at
/// least `input.len()` bytes); returns whether `input` is clean and how
/// many bytes it wrote.
///
/// Literal bytes go eight at a time: each word is copied whole, then the
/// output position moves only up to the first byte that needs a decision
/// (`=`, a line break, `_` in headers), whose handling overwrites whatever
/// was copied after it.
fn quoted_printable_core(input: &[u8], header: bool, out: &mut [u8]) -> (bool, usize) {
    let mut clean = true;
    let (mut i, mut w) = (0, 0);
    // Output before this offset is decoded (an escape, or white space before
    // a soft line break): a hard line break must not strip it as padding.
    let mut kept = 0;
    loop {
        // The output position never passes the input position, so the
        // eight bytes fit wherever eight bytes of input are left.
        while let (Some(chunk), Some(dest)) = (input.get(i..i + 8), out.get_mut(w..w + 8)) {
            dest.copy_from_slice(chunk);
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let word = u64::from_le_bytes(word);
            let special = if header {
                bytes_equal(word, b'=') | bytes_equal(word, b'_')
            } else {
                bytes_equal(word, b'=') | bytes_equal(word, b'\r') | bytes_equal(word, b'\n')
            };
            if special == 0 {
                i += 8;
                w += 8;
            } else {
                // The lowest bit set is exact (see `bytes_equal`).
                let skip = special.trailing_zeros() as usize / 8;
                i += skip;
                w += skip;
                break;
            }
        }
        // Decisions, one after another while the next byte needs one too
        // (escapes come in runs: "=C3=A9"; CR then LF).
        while let Some(&b) = input.get(i) {
            match b {
                b'=' => {
                    let hex = match input.get(i + 1..i + 3) {
                        Some(&[high, low]) => {
                            let (high, low) =
                                (HEX_VALUES[usize::from(high)], HEX_VALUES[usize::from(low)]);
                            ((high | low) < 16).then_some(high << 4 | low)
                        }
                        _ => None,
                    };
                    if let Some(byte) = hex {
                        out[w] = byte;
                        w += 1;
                        i += 3;
                    } else {
                        // Soft line break: "=" *WSP CRLF (or LF, or end of input).
                        let mut j = i + 1;
                        while j < input.len() && matches!(input[j], b' ' | b'\t') {
                            j += 1;
                        }
                        // White space before a soft break is content, not padding.
                        match &input[j..] {
                            [b'\r', b'\n', ..] => i = j + 2,
                            [b'\n', ..] => i = j + 1,
                            [] => i = j,
                            _ => {
                                clean = false;
                                out[w] = b'=';
                                w += 1;
                                i += 1;
                            }
                        }
                    }
                    kept = w;
                }
                b'_' if header => {
                    out[w] = b' ';
                    w += 1;
                    i += 1;
                    kept = w;
                }
                b'\r' | b'\n' if !header => {
                    // Hard line break: drop transport padding before it.
                    while w > kept && matches!(out[w - 1], b' ' | b'\t') {
                        w -= 1;
                    }
                    out[w] = b;
                    w += 1;
                    i += 1;
                }
                _ if i + 8 <= input.len() => break,
                _ => {
                    // A literal byte of the last few (fewer than eight).
                    out[w] = b;
                    w += 1;
                    i += 1;
                }
            }
        }
        if i >= input.len() {
            break;
        }
    }
    (clean, w)
}

/// Whether [`decode_quoted_printable`] would return `true` for `input`,
/// without decoding it: every `=` is followed by two hex digits or by a
/// soft line break. (No escape the decoder consumes contains an `=`, so
/// every `=` in the input starts one.)
pub(crate) fn quoted_printable_is_clean(input: &[u8]) -> bool {
    memchr::memchr_iter(b'=', input).all(|i| {
        if input
            .get(i + 1..i + 3)
            .is_some_and(|xx| xx.iter().all(u8::is_ascii_hexdigit))
        {
            return true;
        }
        let rest = &input[i + 1..];
        let wsp = rest
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count();
        matches!(&rest[wsp..], [] | [b'\n', ..] | [b'\r', b'\n', ..])
    })
}

/// One RFC 2047 encoded word found at the start of some input.
pub(crate) struct EncodedWord<'a> {
    /// Bytes consumed, `=?` through `?=`.
    pub(crate) len: usize,
    pub(crate) charset: &'a [u8],
    pub(crate) base64: bool,
    pub(crate) text: &'a [u8],
}

/// Recognises an encoded word at the start of `input`.
///
/// ```text
/// encoded-word = "=?" charset "?" encoding "?" encoded-text "?="   ; RFC 2047 §2
/// ```
///
/// Lenient as mail in the wild needs: the encoded text may contain spaces
/// and folding (both removed by the callers' decoders), and the charset may
/// carry an RFC 2231 `*language` suffix.
pub(crate) fn encoded_word(input: &[u8]) -> Option<EncodedWord<'_>> {
    let rest = input.strip_prefix(b"=?")?;
    let cs_len = rest.iter().position(|&b| b == b'?')?;
    let charset = &rest[..cs_len];
    if charset.is_empty() || charset.iter().any(|&b| b <= b' ' || b == b'=' || b >= 0x7f) {
        return None;
    }
    let rest = &rest[cs_len + 1..];
    let base64 = match rest {
        [b'B' | b'b', b'?', ..] => true,
        [b'Q' | b'q', b'?', ..] => false,
        _ => None?,
    };
    let rest = &rest[2..];
    let end = memchr::memmem::find(rest, b"?=")?;
    let text = &rest[..end];
    Some(EncodedWord {
        len: 2 + cs_len + 1 + 2 + end + 2,
        charset,
        base64,
        text,
    })
}

/// Decodes one encoded word to text; `None` if its charset is unknown.
pub(crate) fn decode_encoded_word(word: &EncodedWord<'_>) -> Option<String> {
    let charset = charset(word.charset)?;
    // Folding inside the encoded text (seen in the wild) is not part of it:
    // drop each line break with the white space after it.
    let mut text = Vec::with_capacity(word.text.len());
    let mut i = 0;
    while i < word.text.len() {
        match word.text[i] {
            b'\r' => i += 1,
            b'\n' => {
                i += 1;
                while i < word.text.len() && matches!(word.text[i], b' ' | b'\t') {
                    i += 1;
                }
            }
            b => {
                text.push(b);
                i += 1;
            }
        }
    }
    let mut bytes = Vec::with_capacity(text.len());
    if word.base64 {
        decode_base64(&text, &mut bytes);
    } else {
        decode_quoted_printable(&text, true, &mut bytes);
    }
    Some(decode_with(charset, &bytes).into_owned())
}

/// Appends `text` to `out` as UTF-8 (lossy); with `unfold`, each fold
/// (white space around a line break) becomes one space.
fn push_literal(out: &mut String, text: &[u8], unfold: bool) {
    if !unfold || !text.iter().any(|&b| b == b'\n' || b == b'\r') {
        out.push_str(&String::from_utf8_lossy(text));
        return;
    }
    let mut unfolded = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if matches!(text[i], b'\r' | b'\n') {
            while matches!(unfolded.last(), Some(b' ' | b'\t')) {
                unfolded.pop();
            }
            while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            unfolded.push(b' ');
        } else {
            unfolded.push(text[i]);
            i += 1;
        }
    }
    out.push_str(&String::from_utf8_lossy(&unfolded));
}

/// Decodes every encoded word in `text` (RFC 2047 §6.2): white space
/// (folding included) between two adjacent encoded words is dropped, other
/// text is kept as it is (UTF-8 per RFC 6532; invalid bytes become U+FFFD),
/// each fold in it turned into one space when `unfold` is set. Encoded
/// words with an unknown charset are left undecoded.
pub(crate) fn decode_words_with(text: &[u8], unfold: bool) -> Cow<'_, str> {
    if memchr::memmem::find(text, b"=?").is_none() && !(unfold && text.contains(&b'\n')) {
        return String::from_utf8_lossy(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut literal_start = 0;
    let mut after_word: Option<usize> = None; // out.len() right after the last decoded word
    while i < text.len() {
        if text[i] == b'='
            && let Some(word) = encoded_word(&text[i..])
            && let Some(decoded) = decode_encoded_word(&word)
        {
            let between = &text[literal_start..i];
            let only_space = between.iter().all(u8::is_ascii_whitespace);
            match after_word {
                Some(len) if only_space => out.truncate(len),
                _ => push_literal(&mut out, between, unfold),
            }
            out.push_str(&decoded);
            after_word = Some(out.len());
            i += word.len;
            literal_start = i;
            continue;
        }
        i += 1;
    }
    push_literal(&mut out, &text[literal_start..], unfold);
    Cow::Owned(out)
}

/// [`decode_words_with`] without unfolding.
pub(crate) fn decode_words(text: &[u8]) -> Cow<'_, str> {
    decode_words_with(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let ok = decode_base64(s.as_bytes(), &mut out);
        (out, ok)
    }

    #[test]
    fn base64() {
        assert_eq!(b64("aGVsbG8="), (b"hello".to_vec(), true));
        assert_eq!(b64("aGVs\r\nbG8h"), (b"hello!".to_vec(), true));
        assert_eq!(b64("aGV*sbG8="), (b"hello".to_vec(), false));
        assert_eq!(b64("aGVsbG8"), (b"hello".to_vec(), true));
        assert_eq!(b64("aGVsbG8hA"), (b"hello!".to_vec(), false));
        assert_eq!(b64(""), (Vec::new(), true));
    }

    #[test]
    fn quoted_printable() {
        let mut out = Vec::new();
        assert!(decode_quoted_printable(
            b"caf=C3=A9 =\r\nlong  \r\nx=\n",
            false,
            &mut out
        ));
        assert_eq!(out, "café long\r\nx".as_bytes());
        out.clear();
        assert!(decode_quoted_printable(b"a=20\nb \t\n", false, &mut out));
        assert_eq!(out, b"a \nb\n");
        out.clear();
        assert!(decode_quoted_printable(b"a =\r\n\r\nb", false, &mut out));
        assert_eq!(out, b"a \r\nb");
        out.clear();
        assert!(!decode_quoted_printable(b"a=zz", false, &mut out));
        assert_eq!(out, b"a=zz");
        out.clear();
        assert!(decode_quoted_printable(b"a_b", true, &mut out));
        assert_eq!(out, b"a b");
    }

    /// The byte-at-a-time base64 decoder the table-driven one replaced.
    fn base64_reference(input: &[u8], out: &mut Vec<u8>) -> bool {
        let mut clean = true;
        let (mut acc, mut bits, mut padding) = (0u32, 0u32, false);
        for &b in input {
            if let Some(v) = base64_value(b) {
                if padding {
                    clean = false;
                    padding = false;
                }
                acc = (acc << 6) | u32::from(v);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
                    acc &= (1 << bits) - 1;
                }
            } else if b == b'=' {
                if !padding {
                    padding = true;
                    clean &= bits != 0;
                    acc = 0;
                    bits = 0;
                }
            } else if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                clean = false;
            }
        }
        clean && bits < 6
    }

    fn hex_value(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'A'..=b'F' => Some(b - b'A' + 10),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        }
    }

    /// The byte-at-a-time quoted-printable decoder the word-at-a-time one
    /// replaced.
    fn quoted_printable_reference(input: &[u8], header: bool, out: &mut Vec<u8>) -> bool {
        let mut clean = true;
        let mut padding_from: Option<usize> = None;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match b {
                b'=' => {
                    if let (Some(h), Some(l)) = (
                        input.get(i + 1).copied().and_then(hex_value),
                        input.get(i + 2).copied().and_then(hex_value),
                    ) {
                        out.push(h << 4 | l);
                        padding_from = None;
                        i += 3;
                        continue;
                    }
                    let mut j = i + 1;
                    while j < input.len() && matches!(input[j], b' ' | b'\t') {
                        j += 1;
                    }
                    match input.get(j..) {
                        Some([b'\r', b'\n', ..]) => (i, padding_from) = (j + 2, None),
                        Some([b'\n', ..]) => (i, padding_from) = (j + 1, None),
                        Some([]) => i = j,
                        _ => {
                            clean = false;
                            out.push(b'=');
                            padding_from = None;
                            i += 1;
                        }
                    }
                }
                b'_' if header => {
                    out.push(b' ');
                    padding_from = None;
                    i += 1;
                }
                b'\r' | b'\n' if !header => {
                    if let Some(from) = padding_from.take() {
                        out.truncate(from);
                    }
                    out.push(b);
                    i += 1;
                }
                b' ' | b'\t' => {
                    padding_from.get_or_insert(out.len());
                    out.push(b);
                    i += 1;
                }
                _ => {
                    out.push(b);
                    padding_from = None;
                    i += 1;
                }
            }
        }
        clean
    }

    /// Both decoders, and both validity scans, agree with the reference
    /// decoders byte for byte, with a non-empty `out` to append to.
    fn check_against_reference(input: &[u8]) {
        let (mut fast, mut slow) = (b"x".to_vec(), b"x".to_vec());
        let clean = decode_base64(input, &mut fast);
        assert_eq!(clean, base64_reference(input, &mut slow), "{input:?}");
        assert_eq!(fast, slow, "{input:?}");
        assert_eq!(base64_is_clean(input), clean, "{input:?}");
        for header in [false, true] {
            let (mut fast, mut slow) = (b"x".to_vec(), b"x".to_vec());
            let clean = decode_quoted_printable(input, header, &mut fast);
            assert_eq!(
                clean,
                quoted_printable_reference(input, header, &mut slow),
                "{input:?}"
            );
            assert_eq!(fast, slow, "{input:?} header={header}");
            assert_eq!(quoted_printable_is_clean(input), clean, "{input:?}");
        }
    }

    #[test]
    fn decoders_match_reference() {
        let cases: &[&[u8]] = &[
            b"",
            b"=",
            b"==",
            b"aGVsbG8=",
            b"aGVsbG8==aGk=",
            b"aGVs\r\nbG8h\r\n",
            b"aGV*sbG8=",
            b"aGVsbG8hA",
            b"a=GVsbG8h",
            b" aGVs bG8h\taGVs\nbG8=\r\n=\r\n",
            b"QUJD\r\nREVG\r\nR0hJ\r\nSks=\r\n",
            b"caf=C3=A9 =\r\nlong  \r\nx=\n",
            b"a=20\nb \t\n",
            b"a =\r\n\r\nb",
            b"a=zz",
            b"a=z",
            b"a=",
            b"==41=4",
            b"a_b c\t_ \n",
            b"  \r\n\t\n",
            b"x \t=20 \r\n",
            b"x = \t\r\ny =\t z\n",
            b"\xff\x00=\xff= \r",
        ];
        for case in cases {
            check_against_reference(case);
        }
    }

    proptest::proptest! {
        #[test]
        fn decoders_match_reference_on_anything(
            input in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b"AZaz09+/= \t\r\n_*".to_vec()),
                    proptest::num::u8::ANY,
                ],
                0..300,
            )
        ) {
            check_against_reference(&input);
        }

        /// Bodies as mail carries them: base64 of random data in lines of
        /// any width ended by CRLF or LF, sometimes with a stray byte or
        /// padding in the middle; whole-word and tail paths both run.
        #[test]
        fn base64_bodies_match_reference(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            width in 1usize..100,
            bare_lf in proptest::bool::ANY,
            final_break_dropped in proptest::bool::ANY,
            stray in proptest::option::of((proptest::num::usize::ANY, proptest::sample::select(b"=*- .\xc3".to_vec()))),
        ) {
            let encoded = base64_encode(&data);
            let mut body = Vec::new();
            for line in encoded.chunks(width) {
                body.extend_from_slice(line);
                body.extend_from_slice(if bare_lf { b"\n" } else { b"\r\n" });
            }
            if final_break_dropped {
                body.truncate(body.len().saturating_sub(if bare_lf { 1 } else { 2 }));
            }
            if let Some((at, byte)) = stray {
                body.insert(at % (body.len() + 1), byte);
            } else {
                let mut out = Vec::new();
                proptest::prop_assert!(decode_base64(&body, &mut out));
                proptest::prop_assert_eq!(&out, &data);
            }
            check_against_reference(&body);
        }

        /// Quoted-printable built from the pieces that need decisions: escapes
        /// in both cases, broken escapes, soft breaks with and without white
        /// space, hard breaks after white space (RFC 2045 §6.7 rule 3), `=`
        /// at the very end, 8-bit bytes and runs of plain text.
        #[test]
        fn quoted_printable_bodies_match_reference(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"=C3=A9"[..], b"=c3=a9", b"=3D", b"=20", b"=09", b"=", b"=Z", b"=4",
                    b"=\r\n", b"=\n", b"= \t\r\n", b"=  x", b" ", b"\t", b"  \t",
                    b"\r\n", b"\n", b"\r", b"_", b"\xe9", b"caf", b"plain text run ",
                    b"0123456789abcdef", b"<p>",
                ]),
                0..120,
            )
        ) {
            check_against_reference(&pieces.concat());
        }
    }

    proptest::proptest! {
        /// The SIMD-checked UTF-8 path gives what `String::from_utf8_lossy`
        /// gives, valid or not (surrogates, overlongs, truncated sequences,
        /// a BOM), long enough for the SIMD kernel (64 bytes and up).
        #[test]
        fn utf8_lossy_matches_std(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"plain ascii text "[..], "caf\u{e9} ".as_bytes(), "\u{2014}".as_bytes(),
                    "\u{1f600}".as_bytes(), "\u{feff}".as_bytes(), b"\xed\xa0\x80", b"\xc0\xaf",
                    b"\xe2\x80", b"\xff", b"\xf4\x90\x80\x80", b"\r\n",
                ]),
                0..60,
            )
        ) {
            let bytes = pieces.concat();
            proptest::prop_assert_eq!(utf8_lossy(&bytes), String::from_utf8_lossy(&bytes));
            proptest::prop_assert_eq!(is_ascii(&bytes), bytes.is_ascii());
        }
    }

    /// The decoder as it was before the SIMD prefix: [`base64_core`] alone.
    fn base64_scalar(input: &[u8], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.resize(start + input.len() / 4 * 3 + 3, 0);
        let (clean, written) = base64_core::<true>(input, &mut out[start..]);
        out.truncate(start + written);
        clean
    }

    /// The SIMD-prefixed decoder and check agree with [`base64_core`] alone
    /// and with the byte-at-a-time reference: bytes, and clean or not.
    fn check_simd_against_scalar(input: &[u8]) {
        let (mut fast, mut scalar, mut slow) = (b"x".to_vec(), b"x".to_vec(), b"x".to_vec());
        let clean = decode_base64(input, &mut fast);
        assert_eq!(clean, base64_scalar(input, &mut scalar), "{input:?}");
        assert_eq!(fast, scalar, "{input:?}");
        assert_eq!(clean, base64_reference(input, &mut slow), "{input:?}");
        assert_eq!(fast, slow, "{input:?}");
        assert_eq!(base64_is_clean(input), clean, "{input:?}");
    }

    /// `data` encoded and wrapped: line widths taken in turn from `widths`,
    /// each line followed by `line_break`.
    fn wrap(data: &[u8], widths: &[usize], line_break: &[u8], final_break: bool) -> Vec<u8> {
        let encoded = base64_encode(data);
        let mut body = Vec::new();
        let (mut at, mut k) = (0, 0);
        while at < encoded.len() {
            let width = widths[k % widths.len()].max(1);
            k += 1;
            let end = (at + width).min(encoded.len());
            body.extend_from_slice(&encoded[at..end]);
            at = end;
            if at < encoded.len() || final_break {
                body.extend_from_slice(line_break);
            }
        }
        body
    }

    #[test]
    fn simd_prefix_takes_the_bulk() {
        let data: Vec<u8> = (0..20_000u32)
            .map(|i| (i * 7 + i / 5).to_le_bytes()[0])
            .collect();
        for (widths, line_break) in [
            (&[76][..], &b"\r\n"[..]),
            (&[64], b"\n"),
            (&[77], b"\r\n"),
            (&[1], b"\n"),
            (&[100_000], b"\r\n"),
            (&[76, 60, 3, 76], b"\r\n"),
        ] {
            let body = wrap(&data, widths, line_break, true);
            // 20,000 bytes make 6,666 whole groups and a padded last one.
            // One-character lines end with the last block left over (its
            // open group spans lines); other widths with the last line.
            let slack = if widths == [1] {
                2 * SIMD_BLOCK + 8
            } else {
                200
            };
            let done = base64_simd_prefix(&body, None);
            assert!(
                done > body.len() - slack,
                "{widths:?}: {done} of {}",
                body.len()
            );
            let mut out = Vec::new();
            assert!(decode_base64(&body, &mut out));
            assert_eq!(out, data);
            check_simd_against_scalar(&body);
        }
    }

    #[test]
    fn simd_prefix_edge_cases() {
        let long = b"QUJD".repeat(2300);
        let lines = b"QUJDREVG\r\n".repeat(60);
        let cases: Vec<Vec<u8>> = vec![
            // Padding inside the group that a long line completes: a
            // decoder that accepted padding there would call it clean.
            [&b"QU\nI="[..], &long].concat(),
            [&b"QU\nI"[..], &long, b"="].concat(),
            [&b"\r\n\r\n"[..], &lines, b"\r\n\r\n", &lines].concat(),
            [&lines[..], b" \r\n", &lines].concat(),
            [&lines[..], b"QUJ\rEREVG\r\n", &lines].concat(),
            [&lines[..], b"QQ==\r\n", &lines].concat(),
            [&lines[..], b"QQ=\r\n"].concat(),
            [&lines[..], b"Q\r\n"].concat(),
        ];
        for case in cases {
            check_simd_against_scalar(&case);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Bodies long enough for the SIMD prefix (several blocks), wrapped
        /// at any width (76, 64, 1, odd, widths changing from line to line,
        /// not wrapped at all), CRLF, LF, bare CR or blank lines, then
        /// damaged: stray bytes (padding, white space, garbage, 8-bit, line
        /// breaks), bytes dropped, the input cut anywhere.
        #[test]
        fn base64_simd_matches_scalar(
            data in proptest::prop_oneof![
                proptest::collection::vec(proptest::num::u8::ANY, 0..700),
                proptest::collection::vec(proptest::num::u8::ANY, 2000..14_000),
            ],
            widths in proptest::prop_oneof![
                proptest::collection::vec(proptest::sample::select(vec![76usize, 64, 72, 1, 2, 3, 5, 75, 77, 78, 79, 80, 81, 4096, 1_000_000]), 1..2),
                proptest::collection::vec(1usize..200, 1..5),
                proptest::collection::vec(1usize..9000, 1..3),
            ],
            line_break in proptest::sample::select(vec![&b"\r\n"[..], b"\n", b"\r", b"\r\n\r\n", b"\n\n"]),
            final_break in proptest::bool::ANY,
            damage in proptest::collection::vec(
                (
                    0usize..4,
                    proptest::num::usize::ANY,
                    proptest::sample::select(b"==*- \t\r\n\xc3\x00A/".to_vec()),
                ),
                0..4,
            ),
        ) {
            let mut body = wrap(&data, &widths, line_break, final_break);
            for (kind, at, byte) in damage {
                let at = at % (body.len() + 1);
                match kind {
                    0 | 1 => body.insert(at, byte),
                    2 if at < body.len() => {
                        body.remove(at);
                    }
                    _ => body.truncate(at),
                }
            }
            check_simd_against_scalar(&body);
        }
    }

    /// Standard base64 with padding (RFC 4648 §4), for the tests.
    fn base64_encode(data: &[u8]) -> Vec<u8> {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        for chunk in data.chunks(3) {
            let mut group = [0u8; 3];
            group[..chunk.len()].copy_from_slice(chunk);
            let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]);
                } else {
                    out.push(b'=');
                }
            }
        }
        out
    }

    #[test]
    fn encoded_words() {
        assert_eq!(
            decode_words(b"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="),
            "a b"
        );
        assert_eq!(decode_words(b"x =?utf-8?B?w6k=?= y"), "x \u{e9} y");
        assert_eq!(decode_words(b"=?bogus?Q?a?= b"), "=?bogus?Q?a?= b");
        assert_eq!(
            decode_words(b"=?US-ASCII*EN?Q?Keith_Moore?="),
            "Keith Moore"
        );
        assert_eq!(decode_words(b"=? x"), "=? x");
        assert_eq!(
            decode_words(b"=?iso-8859-1?q?this is text?="),
            "this is text"
        );
        assert_eq!(
            decode_words_with(b"=?utf-8?Q?Hello\r\n _there!?= a\r\n b", true),
            "Hello there! a b"
        );
    }

    #[test]
    fn utf7() {
        assert_eq!(
            decode_charset(b"UTF-7", b"Fr+APY-sche +- x").unwrap(),
            "Fr\u{f6}sche + x"
        );
        assert_eq!(decode_charset(b"utf-7", b"+2D3eAQ-").unwrap(), "\u{1f601}");
    }
}
