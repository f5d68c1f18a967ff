//! Macro strings (RFC 7208 §7): parsing and expansion.
//!
//! Expansion is pure: everything a macro can refer to, including the DNS-derived `%{p}`, is
//! passed in a [`MacroContext`]. The evaluator resolves `%{p}` only when a macro string
//! asks for it ([`MacroString::uses_validated_domain`]).

use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU8;
use std::sync::{Arc, OnceLock};

use mailproof_dns::Name;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{map, opt, value};
use nom::multi::many0;
use nom::{IResult, Parser};

use crate::error::{ParseError, ParseErrorKind};

/// Where a macro string appears, which decides what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacroKind {
    /// A `domain-spec` (the argument of `a`, `mx`, `ptr`, `include`, `exists`, `redirect=`
    /// and `exp=`): no spaces, must end in a macro or a top label, and the explanation-only
    /// letters `c`, `r`, `t` are refused (RFC 7208 §7.1).
    DomainSpec,
    /// The value of an unknown modifier: any `macro-string`, never expanded.
    ModifierValue,
    /// An explanation string fetched by `exp=` (`explain-string`, §6.2): spaces allowed, and
    /// all macro letters.
    Explanation,
}

/// A parsed macro string: literal text and macros, in order.
///
/// Built by [`MacroString::parse`] (or as part of [`Record::parse`](crate::Record::parse));
/// [`Display`](fmt::Display) writes it back in record syntax.
///
/// Cloning is cheap (the tokens are shared), so traces and results can hold terms.
#[derive(Clone, Debug, Default)]
pub struct MacroString {
    inner: Arc<MacroStringInner>,
}

#[derive(Debug, Default)]
struct MacroStringInner {
    tokens: Tokens,
    /// For a domain-spec without macros: the name it targets, made on first use (evaluation
    /// of a cached record makes it once, and parsing stays allocation-light).
    literal_target: OnceLock<Option<Name>>,
}

/// The longest literal kept inside the string's own allocation.
const SHORT_LITERAL: usize = 62;

#[derive(Debug)]
enum Tokens {
    /// The common domain-spec: one short literal, stored inline, so the whole string is one
    /// allocation.
    ShortLiteral(ShortText),
    /// Anything else.
    Many(Box<[OwnedToken]>),
}

impl Default for Tokens {
    fn default() -> Tokens {
        Tokens::Many(Box::default())
    }
}

/// ASCII text of at most [`SHORT_LITERAL`] bytes, inline.
#[derive(Debug)]
struct ShortText {
    length: u8,
    bytes: [u8; SHORT_LITERAL],
}

impl ShortText {
    /// `text`, when it is short enough; callers pass only ASCII.
    fn new(text: &[u8]) -> Option<ShortText> {
        let mut bytes = [0; SHORT_LITERAL];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(ShortText {
            length: u8::try_from(text.len()).ok()?,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this never falls back.
        std::str::from_utf8(&self.bytes[..usize::from(self.length)]).unwrap_or_default()
    }
}

impl PartialEq for MacroString {
    fn eq(&self, other: &MacroString) -> bool {
        self.tokens().eq(other.tokens())
    }
}

impl Eq for MacroString {}

impl Hash for MacroString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for token in self.tokens() {
            token.hash(state);
        }
    }
}

/// One piece of a [`MacroString`], borrowed from it (see [`MacroString::tokens`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacroToken<'a> {
    /// Text copied as is (`macro-literal`, and spaces in an explanation).
    Literal(&'a str),
    /// `%{...}`: a macro letter with its transformers.
    Macro(Macro),
    /// `%%`: a literal percent sign.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: a URL-encoded space, `%20`.
    UrlSpace,
}

/// The stored form of a [`MacroToken`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum OwnedToken {
    Literal(Box<str>),
    Macro(Macro),
    Percent,
    Space,
    UrlSpace,
}

impl OwnedToken {
    fn borrow(&self) -> MacroToken<'_> {
        match self {
            OwnedToken::Literal(text) => MacroToken::Literal(text),
            OwnedToken::Macro(m) => MacroToken::Macro(*m),
            OwnedToken::Percent => MacroToken::Percent,
            OwnedToken::Space => MacroToken::Space,
            OwnedToken::UrlSpace => MacroToken::UrlSpace,
        }
    }
}

/// A `%{...}` macro (RFC 7208 §7.1).
///
/// ```text
/// macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
/// transformers     = *DIGIT [ "r" ]
/// delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Macro {
    /// Which value the macro stands for.
    pub letter: MacroLetter,
    /// The letter was upper case: URL-encode the result (§7.3).
    pub url_encode: bool,
    /// The DIGIT transformer: keep only this many right-hand parts.
    pub keep_parts: Option<NonZeroU8>,
    /// The `r` transformer: reverse the parts.
    pub reverse: bool,
    /// Characters that split the value into parts (`.` when none are given).
    pub delimiters: Delimiters,
}

/// The value a macro letter stands for (RFC 7208 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacroLetter {
    /// `s`: the sender, `local-part@domain`.
    Sender,
    /// `l`: the local-part of the sender.
    LocalPart,
    /// `o`: the domain of the sender.
    SenderDomain,
    /// `d`: the domain whose policy is being evaluated.
    Domain,
    /// `i`: the client IP, dotted quad or dot-separated nibbles.
    Ip,
    /// `p`: the validated domain name of the client IP (discouraged by the RFC).
    ValidatedDomain,
    /// `v`: `in-addr` for IPv4, `ip6` for IPv6.
    IpVersion,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: the client IP in its readable form (explanations only).
    ClientIp,
    /// `r`: the name of the receiving host (explanations only).
    Receiver,
    /// `t`: the current time in seconds since the epoch (explanations only).
    Timestamp,
}

impl MacroLetter {
    fn from_byte(byte: u8) -> Option<(MacroLetter, bool)> {
        let letter = match byte.to_ascii_lowercase() {
            b's' => MacroLetter::Sender,
            b'l' => MacroLetter::LocalPart,
            b'o' => MacroLetter::SenderDomain,
            b'd' => MacroLetter::Domain,
            b'i' => MacroLetter::Ip,
            b'p' => MacroLetter::ValidatedDomain,
            b'v' => MacroLetter::IpVersion,
            b'h' => MacroLetter::Helo,
            b'c' => MacroLetter::ClientIp,
            b'r' => MacroLetter::Receiver,
            b't' => MacroLetter::Timestamp,
            _ => return None,
        };
        Some((letter, byte.is_ascii_uppercase()))
    }

    /// The letter as written in lower case.
    pub fn as_char(self) -> char {
        match self {
            MacroLetter::Sender => 's',
            MacroLetter::LocalPart => 'l',
            MacroLetter::SenderDomain => 'o',
            MacroLetter::Domain => 'd',
            MacroLetter::Ip => 'i',
            MacroLetter::ValidatedDomain => 'p',
            MacroLetter::IpVersion => 'v',
            MacroLetter::Helo => 'h',
            MacroLetter::ClientIp => 'c',
            MacroLetter::Receiver => 'r',
            MacroLetter::Timestamp => 't',
        }
    }

    /// True for `c`, `r` and `t`, which RFC 7208 §7.1 allows only in explanation text.
    pub fn is_explanation_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

/// A set of macro delimiters (`.` `-` `+` `,` `/` `_` `=`); empty means the default, `.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Delimiters(u8);

const DELIMITER_CHARS: [u8; 7] = [b'.', b'-', b'+', b',', b'/', b'_', b'='];

impl Delimiters {
    fn bit(byte: u8) -> Option<u8> {
        DELIMITER_CHARS
            .iter()
            .position(|&d| d == byte)
            .map(|index| 1 << index)
    }

    /// True when `byte` splits values under this set.
    pub fn contains(self, byte: u8) -> bool {
        if self.0 == 0 {
            return byte == b'.';
        }
        Delimiters::bit(byte).is_some_and(|bit| self.0 & bit != 0)
    }

    /// True when no delimiter was written (the default, `.`, applies).
    pub fn is_default(self) -> bool {
        self.0 == 0
    }

    fn written(self) -> impl Iterator<Item = char> {
        DELIMITER_CHARS
            .into_iter()
            .enumerate()
            .filter(move |(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, byte)| char::from(byte))
    }
}

/// The values macros expand to, for one evaluation step (RFC 7208 §7.2).
///
/// All fields are plain text; the caller decides where `p` came from (the evaluator looks it
/// up only when a macro string uses it).
#[derive(Clone, Copy, Debug)]
pub struct MacroContext<'a> {
    /// `l`: local-part of the sender (`postmaster` when the sender had none).
    pub local_part: &'a str,
    /// `o`: domain of the sender.
    pub sender_domain: &'a str,
    /// `d`: the domain being evaluated.
    pub domain: &'a str,
    /// `i`, `c`, `v`: the client IP (IPv4-mapped addresses should already be IPv4).
    pub ip: IpAddr,
    /// `h`: the HELO/EHLO domain as given.
    pub helo: &'a str,
    /// `p`: the validated domain name; `None` expands to `unknown`.
    pub validated_domain: Option<&'a str>,
    /// `r`: the receiving host's name.
    pub receiver: &'a str,
    /// `t`: seconds since the Unix epoch.
    pub timestamp: u64,
}

impl MacroString {
    /// Parses `input` as a macro string of the given kind.
    ///
    /// # Errors
    /// A [`ParseError`] at byte offset 0 naming the whole input as the term.
    ///
    /// # Example
    /// ```
    /// use mailproof_spf::{MacroContext, MacroKind, MacroString};
    ///
    /// let spec = MacroString::parse(b"%{ir}.%{v}._spf.%{d2}", MacroKind::DomainSpec)?;
    /// let context = MacroContext {
    ///     local_part: "strong-bad",
    ///     sender_domain: "email.example.com",
    ///     domain: "email.example.com",
    ///     ip: "192.0.2.3".parse().unwrap(),
    ///     helo: "mx.example.org",
    ///     validated_domain: None,
    ///     receiver: "mx.example.net",
    ///     timestamp: 0,
    /// };
    /// assert_eq!(spec.expand(&context), "3.2.0.192.in-addr._spf.example.com");
    /// # Ok::<(), mailproof_spf::ParseError>(())
    /// ```
    pub fn parse(input: &[u8], kind: MacroKind) -> Result<MacroString, ParseError> {
        parse_macro_string(input, kind).map_err(|error_kind| ParseError::new(error_kind, input, 0))
    }

    /// The tokens in order. Adjacent literal text is always one [`MacroToken::Literal`].
    pub fn tokens(&self) -> impl Iterator<Item = MacroToken<'_>> + '_ {
        let (short, tokens): (Option<&str>, &[OwnedToken]) = match &self.inner.tokens {
            Tokens::ShortLiteral(text) => (Some(text.as_str()), &[]),
            Tokens::Many(tokens) => (None, tokens),
        };
        short
            .map(MacroToken::Literal)
            .into_iter()
            .chain(tokens.iter().map(OwnedToken::borrow))
    }

    /// True when the string contains no macros at all.
    pub fn is_literal(&self) -> bool {
        self.tokens()
            .all(|token| matches!(token, MacroToken::Literal(_)))
    }

    /// True when expanding needs the validated domain name (`%{p}`), which costs DNS lookups.
    pub fn uses_validated_domain(&self) -> bool {
        self.tokens().any(|token| {
            matches!(token, MacroToken::Macro(m) if m.letter == MacroLetter::ValidatedDomain)
        })
    }

    /// Expands into a new string.
    pub fn expand(&self, context: &MacroContext<'_>) -> String {
        let mut out = String::new();
        self.expand_into(context, &mut out);
        out
    }

    /// Expands, appending to `out` (reuse one buffer to avoid allocating per term).
    pub fn expand_into(&self, context: &MacroContext<'_>, out: &mut String) {
        for token in self.tokens() {
            match token {
                MacroToken::Literal(text) => out.push_str(text),
                MacroToken::Percent => out.push('%'),
                MacroToken::Space => out.push(' '),
                MacroToken::UrlSpace => out.push_str("%20"),
                MacroToken::Macro(m) => expand_macro(m, context, out),
            }
        }
    }

    /// For a string without macros (one literal) that makes a valid name: that name, as
    /// [`target_name`] makes it, computed once per parsed string. `None` otherwise.
    pub(crate) fn literal_target(&self) -> Option<&Name> {
        if let Some(target) = self.inner.literal_target.get() {
            return target.as_ref();
        }
        let text = match &self.inner.tokens {
            Tokens::ShortLiteral(text) => text.as_str(),
            Tokens::Many(tokens) => match &**tokens {
                [OwnedToken::Literal(text)] => text,
                _ => return None,
            },
        };
        self.inner
            .literal_target
            .get_or_init(|| target_name(text).ok())
            .as_ref()
    }
}

/// The longest domain name in text form, without the trailing dot (§7.3 truncates to it).
const MAX_DOMAIN_LENGTH: usize = 253;

/// An expanded domain-spec as a [`Name`]: without a trailing dot, truncated from the left
/// to 253 characters (§7.3). `Err` carries the text when it is not a valid name.
pub(crate) fn target_name(expanded: &str) -> Result<Name, &str> {
    let mut text = expanded.strip_suffix('.').unwrap_or(expanded);
    while text.len() > MAX_DOMAIN_LENGTH {
        match text.split_once('.') {
            Some((_, rest)) => text = rest,
            None => break,
        }
    }
    Name::new(text).map_err(|_| text)
}

/// A small stack buffer for the computed macro values (`i`, `c`, `v`, `t`): the longest is
/// an IPv6 address in dot-format, 63 bytes.
struct ValueBuffer {
    bytes: [u8; 72],
    len: usize,
}

impl fmt::Write for ValueBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl ValueBuffer {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the prefix is UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// The value of `letter`, borrowed from the context or formatted into `buffer`.
fn macro_value<'a>(
    letter: MacroLetter,
    context: &MacroContext<'a>,
    buffer: &'a mut ValueBuffer,
) -> MacroValue<'a> {
    match letter {
        MacroLetter::Sender => MacroValue::Sender(context.local_part, context.sender_domain),
        MacroLetter::LocalPart => MacroValue::Text(context.local_part),
        MacroLetter::SenderDomain => MacroValue::Text(context.sender_domain),
        MacroLetter::Domain => MacroValue::Text(context.domain),
        MacroLetter::Helo => MacroValue::Text(context.helo),
        MacroLetter::Receiver => MacroValue::Text(context.receiver),
        MacroLetter::ValidatedDomain => {
            MacroValue::Text(context.validated_domain.unwrap_or("unknown"))
        }
        MacroLetter::IpVersion => MacroValue::Text(match context.ip {
            IpAddr::V4(_) => "in-addr",
            IpAddr::V6(_) => "ip6",
        }),
        MacroLetter::Ip => {
            match context.ip {
                IpAddr::V4(v4) => {
                    let _ = write!(buffer, "{v4}");
                }
                IpAddr::V6(v6) => {
                    // §7.3: "dot-format": 32 nibbles separated by dots.
                    for (index, octet) in v6.octets().iter().enumerate() {
                        let separator = if index > 0 { "." } else { "" };
                        let _ = write!(buffer, "{separator}{:x}.{:x}", octet >> 4, octet & 0xf);
                    }
                }
            }
            MacroValue::Text(buffer.as_str())
        }
        MacroLetter::ClientIp => {
            let _ = write!(buffer, "{}", context.ip);
            MacroValue::Text(buffer.as_str())
        }
        MacroLetter::Timestamp => {
            let _ = write!(buffer, "{}", context.timestamp);
            MacroValue::Text(buffer.as_str())
        }
    }
}

/// A macro's value: one piece of text, or the sender in two pieces (no concatenation needed).
enum MacroValue<'a> {
    Text(&'a str),
    Sender(&'a str, &'a str),
}

fn expand_macro(m: Macro, context: &MacroContext<'_>, out: &mut String) {
    let mut buffer = ValueBuffer {
        bytes: [0; 72],
        len: 0,
    };
    let transformed = m.keep_parts.is_some() || m.reverse || !m.delimiters.is_default();
    let write = |text: &str, out: &mut String| {
        if m.url_encode {
            url_encode(text, out);
        } else {
            out.push_str(text);
        }
    };
    match macro_value(m.letter, context, &mut buffer) {
        MacroValue::Text(text) if transformed => transform(text, m, out, write),
        MacroValue::Text(text) => write(text, out),
        MacroValue::Sender(local, domain) if transformed => {
            // Rare: transformers on %{s}. Join once, then transform.
            let joined = format!("{local}@{domain}");
            transform(&joined, m, out, write);
        }
        MacroValue::Sender(local, domain) => {
            write(local, out);
            write("@", out);
            write(domain, out);
        }
    }
}

/// Splits `value` on the macro's delimiters, reverses when asked, keeps the right-hand parts
/// and joins them with dots (§7.3), writing each part through `write`.
fn transform(value: &str, m: Macro, out: &mut String, write: impl Fn(&str, &mut String)) {
    let is_delimiter = |c: char| u8::try_from(c).is_ok_and(|b| m.delimiters.contains(b));
    let part_count = value.split(is_delimiter).count();
    let keep = m
        .keep_parts
        .map_or(part_count, |n| usize::from(n.get()).min(part_count));
    let mut first = true;
    let mut emit = |part: &str, out: &mut String| {
        if !first {
            out.push('.');
        }
        first = false;
        write(part, out);
    };
    if m.reverse {
        // After reversal the right-hand `keep` parts are the original's first `keep`, written
        // last to first: walk the prefix holding them from its end.
        let prefix_end = value
            .char_indices()
            .filter(|&(_, c)| is_delimiter(c))
            .nth(keep.saturating_sub(1))
            .map_or(value.len(), |(index, _)| index);
        for part in value[..prefix_end].rsplit(is_delimiter) {
            emit(part, out);
        }
    } else {
        for part in value.split(is_delimiter).skip(part_count - keep) {
            emit(part, out);
        }
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved set, with upper-case hex.
fn url_encode(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in self.tokens() {
            match token {
                MacroToken::Literal(text) => f.write_str(text)?,
                MacroToken::Percent => f.write_str("%%")?,
                MacroToken::Space => f.write_str("%_")?,
                MacroToken::UrlSpace => f.write_str("%-")?,
                MacroToken::Macro(m) => write!(f, "{m}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Macro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = self.letter.as_char();
        let letter = if self.url_encode {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        write!(f, "%{{{letter}")?;
        if let Some(n) = self.keep_parts {
            write!(f, "{n}")?;
        }
        if self.reverse {
            f.write_char('r')?;
        }
        for delimiter in self.delimiters.written() {
            f.write_char(delimiter)?;
        }
        f.write_char('}')
    }
}

// ---------------------------------------------------------------------------------------------
// Parsers. One function per ABNF rule of RFC 7208 §7.1 / §12.

type Input<'a> = &'a [u8];

/// ```text
/// macro-literal    = %x21-24 / %x26-7E
///                    ; visible characters except "%"
/// ```
/// (one or more of them, as one token; in an explanation, SP too).
fn macro_literal(allow_space: bool) -> impl Fn(Input<'_>) -> IResult<Input<'_>, OwnedToken> {
    move |input| {
        map(
            take_while1(|b: u8| {
                matches!(b, 0x21..=0x24 | 0x26..=0x7e) || (allow_space && b == b' ')
            }),
            |text: Input<'_>| OwnedToken::Literal(ascii_text(text)),
        )
        .parse(input)
    }
}

/// Bytes the caller checked to be ASCII as text, in one allocation.
fn ascii_text(text: &[u8]) -> Box<str> {
    // Only ASCII bytes are passed in, so this never falls back.
    std::str::from_utf8(text)
        .map_or_else(|_| text.iter().map(|&b| char::from(b)).collect(), Box::from)
}

/// ```text
/// macro-letter     = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
///                    "c" / "r" / "t" / "v"
/// ```
fn macro_letter(input: Input<'_>) -> IResult<Input<'_>, (MacroLetter, bool)> {
    let (rest, byte) =
        satisfy(|c| c.is_ascii() && MacroLetter::from_byte(c as u8).is_some()).parse(input)?;
    // `satisfy` only accepted an ASCII letter that maps to a macro letter.
    match MacroLetter::from_byte(byte as u8) {
        Some(letter) => Ok((rest, letter)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Satisfy,
        ))),
    }
}

/// ```text
/// transformers     = *DIGIT [ "r" ]
/// ```
/// RFC 7208 §7.3: a DIGIT transformer must be at least 1; larger values than 255 are
/// treated as 255 (no domain has more labels).
fn transformers(input: Input<'_>) -> IResult<Input<'_>, (Option<NonZeroU8>, bool)> {
    let (rest, digits) = take_while(|b: u8| b.is_ascii_digit()).parse(input)?;
    let keep_parts = if digits.is_empty() {
        None
    } else {
        let number = digits.iter().fold(0u32, |acc, &d| {
            acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        });
        let saturated = u8::try_from(number).unwrap_or(u8::MAX);
        match NonZeroU8::new(saturated) {
            Some(n) => Some(n),
            None => {
                return Err(nom::Err::Failure(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::Digit,
                )));
            }
        }
    };
    let (rest, reverse) = opt(alt((char('r'), char('R')))).parse(rest)?;
    Ok((rest, (keep_parts, reverse.is_some())))
}

/// ```text
/// delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
fn delimiter(input: Input<'_>) -> IResult<Input<'_>, u8> {
    let (rest, c) = satisfy(|c| c.is_ascii() && Delimiters::bit(c as u8).is_some()).parse(input)?;
    Ok((rest, c as u8))
}

/// ```text
/// macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
///                    / "%%" / "%_" / "%-"
/// ```
fn macro_expand(input: Input<'_>) -> IResult<Input<'_>, OwnedToken> {
    alt((
        value(OwnedToken::Percent, tag("%%")),
        value(OwnedToken::Space, tag("%_")),
        value(OwnedToken::UrlSpace, tag("%-")),
        map(
            (
                tag("%{"),
                macro_letter,
                transformers,
                many0(delimiter),
                char('}'),
            ),
            |(_, (letter, url_encode), (keep_parts, reverse), delimiters, _)| {
                let mut set = Delimiters::default();
                for d in delimiters {
                    set.0 |= Delimiters::bit(d).unwrap_or(0);
                }
                OwnedToken::Macro(Macro {
                    letter,
                    url_encode,
                    keep_parts,
                    reverse,
                    delimiters: set,
                })
            },
        ),
    ))
    .parse(input)
}

/// ```text
/// macro-string     = *( macro-expand / macro-literal )
/// explain-string   = *( macro-string / SP )
/// ```
fn macro_string(allow_space: bool) -> impl Fn(Input<'_>) -> IResult<Input<'_>, Vec<OwnedToken>> {
    move |input| many0(alt((macro_expand, macro_literal(allow_space)))).parse(input)
}

/// ```text
/// toplabel         = ( *alphanum ALPHA *alphanum ) /
///                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
///                    ; LDH rule plus additional TLD restrictions
///                    ; (see Section 2 of [RFC3696] for background)
/// alphanum         = ALPHA / DIGIT
/// ```
/// (whole-input check: the caller hands over exactly the candidate label).
fn is_toplabel(label: &[u8]) -> bool {
    let all_alphanum = label.iter().all(u8::is_ascii_alphanumeric);
    if all_alphanum {
        return label.iter().any(u8::is_ascii_alphabetic);
    }
    match (label.first(), label.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && label
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// ```text
/// domain-spec      = macro-string domain-end
/// domain-end       = ( "." toplabel [ "." ] ) / macro-expand
/// ```
/// Checked on the parsed tokens: the last must be a macro-expand, or a literal ending in
/// `"." toplabel ["."]`.
fn has_domain_end(tokens: &[OwnedToken]) -> bool {
    match tokens.last() {
        None => false,
        Some(OwnedToken::Literal(text)) => literal_has_domain_end(text.as_bytes()),
        Some(_) => true,
    }
}

/// [`has_domain_end`] for a string that is one literal: ends in `"." toplabel ["."]`.
fn literal_has_domain_end(text: &[u8]) -> bool {
    let text = text.strip_suffix(b".").unwrap_or(text);
    match text.iter().rposition(|&b| b == b'.') {
        Some(dot) => is_toplabel(&text[dot + 1..]),
        None => false,
    }
}

/// The common domain-spec, a plain name, in one pass: `None` when `input` is not one
/// literal (empty, or a byte other than a literal's), else what [`parse_macro_string`]
/// returns for it: the string, or *invalid domain-spec* when it does not end in
/// `"." toplabel ["."]` ([`literal_has_domain_end`]).
#[inline]
fn literal_domain_spec(input: &[u8]) -> Option<Result<MacroString, ParseErrorKind>> {
    if input.is_empty() || !all_literal_bytes(input) {
        return None;
    }
    // One trailing dot is allowed; the top label is what follows the dot before it.
    let text = input.strip_suffix(b".").unwrap_or(input);
    let has_domain_end = text
        .iter()
        .rposition(|&b| b == b'.')
        .is_some_and(|dot| is_toplabel(&text[dot + 1..]));
    Some(if has_domain_end {
        Ok(MacroString::from_tokens(match ShortText::new(input) {
            Some(text) => Tokens::ShortLiteral(text),
            None => Tokens::Many(Box::new([OwnedToken::Literal(ascii_text(input))])),
        }))
    } else {
        Err(ParseErrorKind::InvalidDomainSpec)
    })
}

/// True when every byte is a literal's (`%x21-24 / %x26-7E`), eight bytes at a time: a
/// word is rejected when a byte is below 0x21, above 0x7e, or `%` (the standard
/// "has less", "has more" and "has zero" word tests, each exact as a yes/no answer).
#[inline]
fn all_literal_bytes(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let rejects = |word: u64| {
        let below = word.wrapping_sub(ONES * 0x21) & !word;
        // + (0x7f - 0x7e) in every byte.
        let above = word.wrapping_add(ONES) | word;
        let percent = word ^ (ONES * u64::from(b'%'));
        let is_percent = percent.wrapping_sub(ONES) & !percent;
        (below | above | is_percent) & HIGH != 0
    };
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if rejects(u64::from_ne_bytes(word)) {
            return false;
        }
    }
    // The rest, padded with a literal byte.
    let rest = chunks.remainder();
    let mut word = [b'a'; 8];
    word[..rest.len()].copy_from_slice(rest);
    !rejects(u64::from_ne_bytes(word))
}

/// Parses a whole macro string of `kind`; the error says what is wrong.
pub(crate) fn parse_macro_string(
    input: &[u8],
    kind: MacroKind,
) -> Result<MacroString, ParseErrorKind> {
    if kind == MacroKind::DomainSpec
        && let Some(literal) = literal_domain_spec(input)
    {
        return literal;
    }
    let allow_space = kind == MacroKind::Explanation;
    let is_literal_byte =
        |b: u8| matches!(b, 0x21..=0x24 | 0x26..=0x7e) || (allow_space && b == b' ');
    if !input.is_empty() && input.iter().all(|&b| is_literal_byte(b)) {
        // The common case, a plain name: one literal, without the general parser or a list.
        if kind == MacroKind::DomainSpec && !literal_has_domain_end(input) {
            return Err(ParseErrorKind::InvalidDomainSpec);
        }
        return Ok(MacroString::from_tokens(match ShortText::new(input) {
            Some(text) => Tokens::ShortLiteral(text),
            None => Tokens::Many(Box::new([OwnedToken::Literal(ascii_text(input))])),
        }));
    }
    let (rest, tokens) =
        macro_string(allow_space)(input).map_err(|_| ParseErrorKind::InvalidMacro)?;
    if let Some(&byte) = rest.first() {
        return Err(if byte == b'%' {
            ParseErrorKind::InvalidMacro
        } else {
            ParseErrorKind::InvalidCharacter
        });
    }
    if kind == MacroKind::DomainSpec {
        if tokens
            .iter()
            .any(|token| matches!(token, OwnedToken::Macro(m) if m.letter.is_explanation_only()))
        {
            return Err(ParseErrorKind::ExplanationOnlyMacro);
        }
        if !has_domain_end(&tokens) {
            return Err(ParseErrorKind::InvalidDomainSpec);
        }
    }
    Ok(MacroString::from_tokens(Tokens::Many(
        tokens.into_boxed_slice(),
    )))
}

impl MacroString {
    fn from_tokens(tokens: Tokens) -> MacroString {
        MacroString {
            inner: Arc::new(MacroStringInner {
                tokens,
                literal_target: OnceLock::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word test agrees with the byte test, for any bytes.
        #[test]
        fn literal_bytes_agree(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), pick in proptest::prelude::any::<u8>()) {
            let expected = bytes.iter().all(|&b| matches!(b, 0x21..=0x24 | 0x26..=0x7e));
            proptest::prop_assert_eq!(all_literal_bytes(&bytes), expected);
            // Mostly literal bytes, so that `true` comes up too.
            let literal: Vec<u8> = bytes.iter().map(|&b| if b % 8 == pick % 8 { b } else { 0x21 + b % 0x5e }).collect();
            let expected = literal.iter().all(|&b| matches!(b, 0x21..=0x24 | 0x26..=0x7e));
            proptest::prop_assert_eq!(all_literal_bytes(&literal), expected, "{:?}", literal);
        }

        /// The one-pass literal domain-spec agrees with the check it replaces: every byte a
        /// literal's, then [`literal_has_domain_end`].
        #[test]
        fn literal_domain_spec_agrees(text in "[a-zA-Z0-9.%_ \\x00\\x1f\\x20\\x21\\x24\\x26\\x7e\\x7f\\u{80}-]{0,12}(\\.[a-z0-9-]{0,4}){0,2}\\.?") {
            let input = text.as_bytes();
            let literal = !input.is_empty()
                && input.iter().all(|&b| matches!(b, 0x21..=0x24 | 0x26..=0x7e));
            let expected = literal.then(|| {
                if literal_has_domain_end(input) {
                    Ok(MacroString::from_tokens(Tokens::Many(Box::new([OwnedToken::Literal(
                        ascii_text(input),
                    )]))))
                } else {
                    Err(ParseErrorKind::InvalidDomainSpec)
                }
            });
            proptest::prop_assert_eq!(literal_domain_spec(input), expected, "{}", text);
        }
    }

    fn context() -> MacroContext<'static> {
        MacroContext {
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: "192.0.2.3".parse().unwrap(),
            helo: "mx.example.org",
            validated_domain: Some("mx.example.org"),
            receiver: "receiver.example.net",
            timestamp: 1_000,
        }
    }

    fn expand(text: &str, context: &MacroContext<'_>) -> String {
        MacroString::parse(text.as_bytes(), MacroKind::Explanation)
            .unwrap()
            .expand(context)
    }

    /// RFC 7208 §7.4, the examples.
    #[test]
    fn rfc_examples_ipv4() {
        let c = context();
        assert_eq!(expand("%{s}", &c), "strong-bad@email.example.com");
        assert_eq!(expand("%{o}", &c), "email.example.com");
        assert_eq!(expand("%{d}", &c), "email.example.com");
        assert_eq!(expand("%{d4}", &c), "email.example.com");
        assert_eq!(expand("%{d3}", &c), "email.example.com");
        assert_eq!(expand("%{d2}", &c), "example.com");
        assert_eq!(expand("%{d1}", &c), "com");
        assert_eq!(expand("%{dr}", &c), "com.example.email");
        assert_eq!(expand("%{d2r}", &c), "example.email");
        assert_eq!(expand("%{l}", &c), "strong-bad");
        assert_eq!(expand("%{l-}", &c), "strong.bad");
        assert_eq!(expand("%{lr}", &c), "strong-bad");
        assert_eq!(expand("%{lr-}", &c), "bad.strong");
        assert_eq!(expand("%{l1r-}", &c), "strong");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", &c),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp._spf.%{d2}", &c),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", &c),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", &c),
            "3.2.0.192.in-addr.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{d2}.trusted-domains.example.net", &c),
            "example.com.trusted-domains.example.net"
        );
    }

    #[test]
    fn rfc_examples_ipv6() {
        let c = MacroContext {
            ip: "2001:db8::cb01".parse().unwrap(),
            ..context()
        };
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", &c),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(expand("%{c}", &c), "2001:db8::cb01");
    }

    #[test]
    fn escapes_and_url_encoding() {
        let c = MacroContext {
            local_part: "~jack&jill=up-a_b3.c",
            ..context()
        };
        assert_eq!(expand("%%%_%-", &c), "% %20");
        assert_eq!(expand("%{L}", &c), "~jack%26jill%3Dup-a_b3.c");
        assert_eq!(
            expand("%{S}", &c),
            "~jack%26jill%3Dup-a_b3.c%40email.example.com"
        );
        assert_eq!(
            expand("%{t} %{r} %{p}", &c),
            "1000 receiver.example.net mx.example.org"
        );
    }

    #[test]
    fn multiple_delimiters_and_large_digits() {
        let c = MacroContext {
            local_part: "foo-bar+zip+quux",
            ..context()
        };
        assert_eq!(expand("%{l2r+-}", &c), "bar.foo");
        assert_eq!(expand("%{l200}", &c), "foo-bar+zip+quux");
        assert_eq!(expand("%{l+-}", &c), "foo.bar.zip.quux");
    }

    #[test]
    fn syntax_errors() {
        for bad in ["%", "%(ir)", "foo%.bar", "%{a}", "%{d0}", "%{d", "%{d2x}"] {
            assert!(
                MacroString::parse(bad.as_bytes(), MacroKind::Explanation).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            parse_macro_string(b"%{r}.example.com", MacroKind::DomainSpec),
            Err(ParseErrorKind::ExplanationOnlyMacro)
        );
        assert_eq!(
            parse_macro_string(b"example.com two", MacroKind::DomainSpec),
            Err(ParseErrorKind::InvalidCharacter)
        );
        assert!(MacroString::parse(b"a b", MacroKind::Explanation).is_ok());
    }

    #[test]
    fn domain_end() {
        for good in [
            "example.com",
            "example.com.",
            "%{d}",
            "foo.%{d}",
            "a.xn--zckzah",
            "x.%%",
            "a.b-c",
        ] {
            assert!(
                parse_macro_string(good.as_bytes(), MacroKind::DomainSpec).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "museum",
            "museum.",
            "abc.123",
            "example.-com",
            "foo.com/24",
            "",
            "example.com:8080",
            "a.b-",
        ] {
            assert_eq!(
                parse_macro_string(bad.as_bytes(), MacroKind::DomainSpec),
                Err(ParseErrorKind::InvalidDomainSpec),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["%{l2r+-}.user.%{D2}", "a%%b%_c%-d", "%{ir}.%{v}._spf.%{d2}"] {
            let parsed = MacroString::parse(text.as_bytes(), MacroKind::ModifierValue).unwrap();
            assert_eq!(parsed.to_string(), text.replace("+-", "-+"));
            let again = MacroString::parse(parsed.to_string().as_bytes(), MacroKind::ModifierValue);
            assert_eq!(again.unwrap(), parsed);
        }
    }

    #[test]
    fn literals_inline_and_boxed_agree() {
        // Around the inline limit: the same text, round trip, tokens and target either way.
        for length in [SHORT_LITERAL - 1, SHORT_LITERAL, SHORT_LITERAL + 1, 300] {
            let text = format!("{}.Example.com", "a".repeat(length - 12));
            for text in [text.clone(), format!("{text}.")] {
                let parsed = MacroString::parse(text.as_bytes(), MacroKind::DomainSpec).unwrap();
                assert_eq!(parsed.to_string(), text);
                assert!(parsed.is_literal());
                assert_eq!(
                    parsed.tokens().collect::<Vec<_>>(),
                    [MacroToken::Literal(&text)]
                );
                assert_eq!(parsed.literal_target(), target_name(&text).ok().as_ref());
                assert_eq!(parsed.expand(&context()), text);
            }
        }
    }
}
