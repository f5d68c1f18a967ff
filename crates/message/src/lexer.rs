//! RFC 5322 §3.2 lexical tokens, shared by every structured field.
//!
//! One nom function per ABNF rule, the rule quoted in its doc. All parsers
//! work on `&[u8]` and treat CR and LF inside a value as folding white
//! space: the header splitter has already cut the value at the field's end.

use std::borrow::Cow;

use nom::bytes::complete::take_while1;
use nom::combinator::{opt, recognize};
use nom::error::{Error as NomError, ErrorKind};
use nom::multi::many1_count;
use nom::{IResult, Parser};

use crate::encoding;

pub(crate) type PResult<'a, O> = IResult<&'a [u8], O>;

fn fail<O>(input: &[u8], kind: ErrorKind) -> PResult<'_, O> {
    Err(nom::Err::Error(NomError::new(input, kind)))
}

pub(crate) const fn is_wsp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// ```text
/// FWS     = ([*WSP CRLF] 1*WSP) / obs-FWS   ; RFC 5322 §3.2.2
/// obs-FWS = 1*WSP *(CRLF 1*WSP)             ; RFC 5322 §4.2
/// ```
///
/// Bare CR and LF are accepted as part of the run.
pub(crate) fn fws(input: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(is_wsp)(input)
}

/// ```text
/// comment  = "(" *([FWS] ccontent) [FWS] ")"     ; RFC 5322 §3.2.2
/// ccontent = ctext / quoted-pair / comment
/// ```
///
/// Returns the text between the outer parentheses. Nested comments are
/// scanned with a counter, not recursion, so nesting depth costs no stack.
pub(crate) fn comment(input: &[u8]) -> PResult<'_, &[u8]> {
    if input.first() != Some(&b'(') {
        return fail(input, ErrorKind::Char);
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((&input[i + 1..], &input[1..i]));
                }
            }
            _ => {}
        }
        i += 1;
    }
    fail(input, ErrorKind::Char)
}

/// ```text
/// CFWS = (1*([FWS] comment) [FWS]) / FWS     ; RFC 5322 §3.2.2
/// ```
///
/// Returns the whole span consumed.
pub(crate) fn cfws(input: &[u8]) -> PResult<'_, &[u8]> {
    recognize(many1_count(nom::branch::alt((fws, comment)))).parse(input)
}

/// `[CFWS]`, returning only the rest; never fails (an unclosed comment is
/// left unconsumed).
pub(crate) fn skip_cfws(input: &[u8]) -> &[u8] {
    opt_cfws(input).map_or(input, |(rest, _)| rest)
}

/// `[CFWS]`: never fails.
pub(crate) fn opt_cfws(input: &[u8]) -> PResult<'_, &[u8]> {
    opt(cfws)
        .parse(input)
        .map(|(rest, span)| (rest, span.unwrap_or_default()))
}

/// ```text
/// atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
///         "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"
/// atext =/ UTF8-non-ascii                   ; RFC 6532 §3.2
/// ```
///
/// Any byte above 127 counts, UTF-8 or not (8-bit tolerance, RFC 5322 §4).
pub(crate) const fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || b >= 0x80
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// `1*atext`, the text of an atom without its CFWS.
pub(crate) fn atext(input: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(is_atext)(input)
}

/// The raw text between the quotes of a quoted string, escapes and folding
/// still in it; the caller handles the CFWS around it.
///
/// ```text
/// quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS]
/// qcontent      = qtext / quoted-pair       ; RFC 5322 §3.2.4
/// ```
pub(crate) fn quoted_string_text(input: &[u8]) -> PResult<'_, &[u8]> {
    if input.first() != Some(&b'"') {
        return fail(input, ErrorKind::Char);
    }
    let mut i = 1;
    while i < input.len() {
        match input[i] {
            b'\\' => i += 2,
            b'"' => return Ok((&input[i + 1..], &input[1..i])),
            _ => i += 1,
        }
    }
    fail(input, ErrorKind::Char)
}

/// Removes quoted-pair backslashes and folding line breaks from the inside
/// of a quoted string or comment (RFC 5322 §3.2.2: folding "CRLF" is
/// removed, its white space kept).
pub(crate) fn unquote(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.iter().any(|&b| matches!(b, b'\\' | b'\r' | b'\n')) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\\' if i + 1 < raw.len() => {
                out.push(raw[i + 1]);
                i += 2;
            }
            b'\r' | b'\n' => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// One token of a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Word<'a> {
    Atom(&'a [u8]),
    Quoted(&'a [u8]),
    /// A "." in an `obs-phrase`, or an "@" in a lenient display name.
    Special(u8),
}

/// A phrase token and whether white space or a comment came before it.
pub(crate) type Token<'a> = (Word<'a>, bool);

/// ```text
/// phrase     = 1*word / obs-phrase            ; RFC 5322 §3.2.5
/// obs-phrase = word *(word / "." / CFWS)      ; RFC 5322 §4.1
/// word       = atom / quoted-string
/// ```
///
/// Returns the words with, for each, whether CFWS preceded it; trailing
/// CFWS is consumed.
pub(crate) fn phrase(input: &[u8]) -> PResult<'_, Vec<Token<'_>>> {
    phrase_with(input, b".")
}

/// [`phrase`], also accepting the bytes in `specials` (after the first word)
/// as words of their own: `b"."` gives `obs-phrase`, `b".@"` the lenient
/// display names seen in the wild (`phil@example.com <phil@example.com>`).
pub(crate) fn phrase_with<'a>(input: &'a [u8], specials: &[u8]) -> PResult<'a, Vec<Token<'a>>> {
    let mut words = Vec::new();
    let mut rest = input;
    loop {
        let (after_space, space) = opt_cfws(rest)?;
        let spaced = !space.is_empty();
        let next = if let Ok((r, q)) = quoted_string_text(after_space) {
            Some((r, Word::Quoted(q)))
        } else if let Ok((r, a)) = atext(after_space) {
            Some((r, Word::Atom(a)))
        } else if let Some(&b) = after_space
            .first()
            .filter(|b| !words.is_empty() && specials.contains(b))
        {
            Some((&after_space[1..], Word::Special(b)))
        } else {
            None
        };
        match next {
            Some((r, word)) => {
                words.push((word, spaced));
                rest = r;
            }
            None if words.is_empty() => return fail(input, ErrorKind::Many1),
            None => return Ok((after_space, words)),
        }
    }
}

fn is_encoded_word(bytes: &[u8]) -> bool {
    encoding::encoded_word(bytes).is_some_and(|w| w.len == bytes.len())
}

/// Renders phrase tokens as text: quoted strings unquoted, RFC 2047 encoded
/// words decoded (also inside quoted strings, as most mail readers do),
/// white space between words collapsed to one space and dropped between
/// adjacent encoded words.
pub(crate) fn phrase_text(words: &[Token<'_>]) -> String {
    let mut out = String::new();
    let mut prev_encoded = false;
    for (n, &(word, spaced)) in words.iter().enumerate() {
        let (text, encoded): (Cow<'_, str>, bool) = match word {
            Word::Atom(a) => (encoding::decode_words(a), is_encoded_word(a)),
            Word::Quoted(q) => {
                let raw = unquote(q);
                let encoded = is_encoded_word(&raw);
                (
                    Cow::Owned(encoding::decode_words(&raw).into_owned()),
                    encoded,
                )
            }
            Word::Special(b) => (Cow::Owned(char::from(b).to_string()), false),
        };
        if n > 0 && spaced && !(encoded && prev_encoded) {
            out.push(' ');
        }
        out.push_str(&text);
        prev_encoded = encoded;
    }
    out
}

/// The texts of the comments in a CFWS span, outermost parentheses removed,
/// escapes undone and encoded words decoded.
pub(crate) fn comments(mut span: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while !span.is_empty() {
        if let Ok((rest, text)) = comment(span) {
            out.push(encoding::decode_words(&unquote(text)).trim().to_owned());
            span = rest;
        } else {
            span = &span[1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_nest_without_recursion() {
        let deep = format!("{}x{}rest", "(".repeat(100_000), ")".repeat(100_000));
        let (rest, _) = comment(deep.as_bytes()).unwrap();
        assert_eq!(rest, b"rest");
        assert!(comment(b"(unclosed (x)").is_err());
        assert_eq!(
            comment(br"(a \) b) c").unwrap(),
            (&b" c"[..], &br"a \) b"[..])
        );
    }

    #[test]
    fn cfws_spans() {
        assert_eq!(
            cfws(b" (x) \r\n\t(y)z").unwrap(),
            (&b"z"[..], &b" (x) \r\n\t(y)"[..])
        );
        assert!(cfws(b"z").is_err());
        assert_eq!(opt_cfws(b"z").unwrap(), (&b"z"[..], &b""[..]));
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            quoted_string_text(br#""a \" b" x"#).unwrap(),
            (&b" x"[..], &br#"a \" b"#[..])
        );
        assert_eq!(unquote(b"John\r\n Doe \\\\"), &b"John Doe \\"[..]);
    }

    #[test]
    fn phrases() {
        let (rest, words) = phrase(b"Joe Q. Public <x>").unwrap();
        assert_eq!(rest, b"<x>");
        assert_eq!(phrase_text(&words), "Joe Q. Public");
        let (_, words) = phrase(b"=?utf-8?q?a?= =?utf-8?q?b?= \"c\"").unwrap();
        assert_eq!(phrase_text(&words), "ab c");
        assert!(phrase(b"<x>").is_err());
    }
}
