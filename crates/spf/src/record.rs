//! SPF records (RFC 7208 §4.5, §5, §6, §12): the typed form, the parser, and rendering.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use nom::character::complete::char;
use nom::combinator::{eof, opt};
use nom::{IResult, Parser};

use crate::error::{ParseError, ParseErrorKind};
use crate::macros::{MacroKind, MacroString, parse_macro_string};

/// A parsed SPF record: its terms in order.
///
/// ```text
/// record           = version terms *SP
/// version          = "v=spf1"
/// terms            = *( 1*SP ( directive / modifier ) )
/// ```
///
/// # Example
/// ```
/// use mailproof_spf::{Mechanism, Qualifier, Record};
///
/// let record = Record::parse(b"v=spf1 ip4:192.0.2.0/24 mx -all exp=explain.%{d}")?;
/// let directives: Vec<_> = record.directives().collect();
/// assert_eq!(directives.len(), 3);
/// assert_eq!(directives[2].qualifier, Qualifier::Fail);
/// assert!(matches!(directives[2].mechanism, Mechanism::All));
/// assert_eq!(record.explanation().map(|e| e.to_string()), Some("explain.%{d}".into()));
/// assert_eq!(record.to_string(), "v=spf1 ip4:192.0.2.0/24 mx -all exp=explain.%{d}");
///
/// let error = Record::parse(b"v=spf1 a:foo.example.com/33 -all").unwrap_err();
/// assert_eq!(error.term(), b"a:foo.example.com/33");
/// assert_eq!(error.position(), 7);
/// # Ok::<(), mailproof_spf::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    terms: Vec<Term>,
    redirect: Option<usize>,
    explanation: Option<usize>,
}

/// One term: a directive or a modifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// `directive = [ qualifier ] mechanism`
    Directive(Directive),
    /// `modifier = redirect / explanation / unknown-modifier`
    Modifier(Modifier),
}

/// A mechanism with its qualifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Directive {
    /// The result when the mechanism matches (`+` when none is written).
    pub qualifier: Qualifier,
    /// What to match.
    pub mechanism: Mechanism,
}

/// ```text
/// qualifier        = "+" / "-" / "?" / "~"
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+` (or none): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

/// The mechanisms of RFC 7208 §5.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `all` (§5.1): always matches.
    All,
    /// `include:domain-spec` (§5.2): matches when the other domain's policy passes.
    Include {
        /// The domain whose policy is consulted.
        domain: MacroString,
    },
    /// `a[:domain-spec][dual-cidr-length]` (§5.3).
    A {
        /// The domain whose addresses are compared; the current domain when absent.
        domain: Option<MacroString>,
        /// Prefix lengths to compare with.
        cidr: DualCidr,
    },
    /// `mx[:domain-spec][dual-cidr-length]` (§5.4).
    Mx {
        /// The domain whose mail exchangers' addresses are compared; the current domain when
        /// absent.
        domain: Option<MacroString>,
        /// Prefix lengths to compare with.
        cidr: DualCidr,
    },
    /// `ptr[:domain-spec]` (§5.5, "do not use").
    Ptr {
        /// The domain validated reverse names must be within; the current domain when absent.
        domain: Option<MacroString>,
    },
    /// `ip4:ip4-network[ip4-cidr-length]` (§5.6).
    Ip4 {
        /// The network as written.
        network: Ipv4Addr,
        /// The prefix length; 32 when absent.
        prefix_length: Option<u8>,
    },
    /// `ip6:ip6-network[ip6-cidr-length]` (§5.6).
    Ip6 {
        /// The network as written.
        network: Ipv6Addr,
        /// The prefix length; 128 when absent.
        prefix_length: Option<u8>,
    },
    /// `exists:domain-spec` (§5.7): matches when the name has an A record.
    Exists {
        /// The name to look up.
        domain: MacroString,
    },
}

/// ```text
/// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct DualCidr {
    /// Prefix length for IPv4 clients; 32 when absent.
    pub ip4: Option<u8>,
    /// Prefix length for IPv6 clients; 128 when absent.
    pub ip6: Option<u8>,
}

/// The modifiers of RFC 7208 §6, and the ones it tells us to ignore.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `redirect=domain-spec` (§6.1).
    Redirect(MacroString),
    /// `exp=domain-spec` (§6.2).
    Explanation(MacroString),
    /// Any other `name=macro-string`: kept, and ignored during evaluation (§6).
    Unknown {
        /// The name as written.
        name: Box<str>,
        /// The value.
        value: MacroString,
    },
}

impl Qualifier {
    /// The symbol, as written in records (`+` for pass).
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

impl Mechanism {
    /// The mechanism's name as written in records (`all`, `include`, `a`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include { .. } => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr { .. } => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists { .. } => "exists",
        }
    }

    /// True for the mechanisms that query the DNS and count towards the limit of ten
    /// (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. }
        )
    }
}

impl Record {
    /// Parses an SPF record (the joined strings of one TXT record).
    ///
    /// The whole record is checked, so a syntax error anywhere is found before evaluation
    /// (§4.6). Version matching is case-insensitive; terms are separated by one or more
    /// spaces and trailing spaces are allowed.
    ///
    /// # Errors
    /// [`ParseError`] with the offending term and its byte offset.
    pub fn parse(input: &[u8]) -> Result<Record, ParseError> {
        if !is_spf_record(input) {
            let end = input.iter().position(|&b| b == b' ').unwrap_or(input.len());
            return Err(ParseError::new(ParseErrorKind::NotSpf, &input[..end], 0));
        }
        // At most one term per space: one allocation for the terms. For records up to
        // `SPACE_MAP_BYTES` long, the same pass marks where the spaces are, so that each
        // term's end is found without looking at its bytes again.
        let mut map = [0u64; SPACE_MAP_WORDS];
        let mapped = input.len() <= SPACE_MAP_BYTES;
        let term_count = if mapped {
            map_spaces(input, &mut map)
        } else {
            count_spaces(input)
        };
        let mut record = Record {
            terms: Vec::with_capacity(term_count),
            redirect: None,
            explanation: None,
        };
        let mut start = VERSION.len();
        while start < input.len() {
            if input[start] == b' ' {
                start += 1;
                continue;
            }
            let end = if mapped {
                next_space(&map, start, input.len())
            } else {
                input[start..]
                    .iter()
                    .position(|&b| b == b' ')
                    .map_or(input.len(), |offset| start + offset)
            };
            let piece = &input[start..end];
            // The fast path's term goes straight into the record (no `Result` around it).
            if let Some(term) = parse_term_fast(piece) {
                if let Term::Directive(_) = term {
                    // No modifier slot to check.
                    record.terms.push(term);
                } else {
                    record.add(term, piece, start)?;
                }
            } else {
                let term = parse_term_general(piece)
                    .map_err(|kind| ParseError::new(kind, piece, start))?;
                record.add(term, piece, start)?;
            }
            start = end;
        }
        Ok(record)
    }

    /// Appends `term` (written as `piece` at byte `start`), noting where the one
    /// `redirect=` and `exp=` are.
    fn add(&mut self, term: Term, piece: &[u8], start: usize) -> Result<(), ParseError> {
        let index = self.terms.len();
        let slot = match &term {
            Term::Modifier(Modifier::Redirect(_)) => Some(&mut self.redirect),
            Term::Modifier(Modifier::Explanation(_)) => Some(&mut self.explanation),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return Err(ParseError::new(
                    ParseErrorKind::DuplicateModifier,
                    piece,
                    start,
                ));
            }
            *slot = Some(index);
        }
        self.terms.push(term);
        Ok(())
    }

    /// All terms in order.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The directives in order (the modifiers left out).
    pub fn directives(&self) -> impl Iterator<Item = &Directive> + '_ {
        self.terms.iter().filter_map(|term| match term {
            Term::Directive(directive) => Some(directive),
            Term::Modifier(_) => None,
        })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&MacroString> {
        match self.redirect.and_then(|index| self.terms.get(index)) {
            Some(Term::Modifier(Modifier::Redirect(target))) => Some(target),
            _ => None,
        }
    }

    /// The `exp=` domain-spec, if any.
    pub fn explanation(&self) -> Option<&MacroString> {
        match self.explanation.and_then(|index| self.terms.get(index)) {
            Some(Term::Modifier(Modifier::Explanation(target))) => Some(target),
            _ => None,
        }
    }
}

const VERSION: &[u8] = b"v=spf1";

/// The number of spaces in `bytes`, eight bytes at a time.
fn count_spaces(bytes: &[u8]) -> usize {
    const LOW_SEVEN: u64 = u64::from_ne_bytes([0x7f; 8]);
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut count = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Zero bytes where `chunk` has a space; then the top bit set exactly in those bytes
        // (no borrow crosses bytes: each byte's low seven bits are added to 0x7f alone).
        let x = u64::from_ne_bytes(word) ^ SPACES;
        let zero_bytes = !(((x & LOW_SEVEN) + LOW_SEVEN) | x | LOW_SEVEN);
        count += zero_bytes.count_ones() as usize;
    }
    count
        + chunks
            .remainder()
            .iter()
            .map(|&b| usize::from(b == b' '))
            .sum::<usize>()
}

/// The longest record whose spaces [`map_spaces`] marks (longer ones are split by a plain
/// scan).
const SPACE_MAP_BYTES: usize = 1024;
const SPACE_MAP_WORDS: usize = SPACE_MAP_BYTES / 64;

/// Sets bit `i % 64` of `map[i / 64]` for every space `bytes[i]`, eight bytes at a time, and
/// returns the number of spaces. `bytes` is at most [`SPACE_MAP_BYTES`] long (of longer
/// input, only what the map covers is marked and counted).
fn map_spaces(bytes: &[u8], map: &mut [u64; SPACE_MAP_WORDS]) -> usize {
    const LOW_SEVEN: u64 = u64::from_ne_bytes([0x7f; 8]);
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    // Gathers the lowest bit of each byte (bit 8j) into bit 56 + j; no two products
    // overlap, so nothing carries.
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut count = 0;
    // 64 bytes, one map word, at a time; the last block is padded with zero bytes (not
    // spaces), and only its words that hold input are looked at.
    for (slot, block) in map.iter_mut().zip(bytes.chunks(64)) {
        let length = block.len();
        let mut padded = [0u8; 64];
        let block = if let Ok(whole) = <&[u8; 64]>::try_from(block) {
            whole
        } else {
            padded[..block.len()].copy_from_slice(block);
            &padded
        };
        let mut bits = 0;
        for (index, word) in block.chunks_exact(8).take(length.div_ceil(8)).enumerate() {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            // As in `count_spaces`, the top bit set in exactly the bytes that are spaces;
            // little-endian, so byte j of the chunk is byte j of the word.
            let x = u64::from_le_bytes(eight) ^ SPACES;
            let zero_bytes = !(((x & LOW_SEVEN) + LOW_SEVEN) | x | LOW_SEVEN);
            bits |= ((zero_bytes >> 7).wrapping_mul(GATHER) >> 56) << (8 * index);
        }
        count += bits.count_ones() as usize;
        *slot = bits;
    }
    count
}

/// The position of the first space at or after `from` in a record of `len` bytes whose
/// spaces `map` marks ([`map_spaces`]), or `len` when there is none.
#[inline]
fn next_space(map: &[u64; SPACE_MAP_WORDS], from: usize, len: usize) -> usize {
    let mut index = from / 64;
    let mut word = map.get(index).map_or(0, |&w| w & (u64::MAX << (from % 64)));
    loop {
        if word != 0 {
            return (index * 64 + word.trailing_zeros() as usize).min(len);
        }
        index += 1;
        match map.get(index) {
            Some(&next) if index * 64 < len => word = next,
            _ => return len,
        }
    }
}

/// True when `txt` is an SPF version 1 record: `v=spf1` (any case) followed by a space or
/// the end (§4.5). Other TXT records at the same name are none of SPF's business.
pub fn is_spf_record(txt: &[u8]) -> bool {
    // The six bytes as one number, the letters' case bit set: a byte becomes a lower-case
    // letter of `v=spf1` only if it is that letter in either case, and `=` and `1` are
    // compared as they are.
    const CASE: u64 = u64::from_le_bytes([0x20, 0, 0x20, 0x20, 0x20, 0, 0, 0]);
    const LOWER: u64 = u64::from_le_bytes([b'v', b'=', b's', b'p', b'f', b'1', 0, 0]);
    let Some(head) = txt.first_chunk::<6>() else {
        return false;
    };
    let mut bytes = [0u8; 8];
    bytes[..6].copy_from_slice(head);
    u64::from_le_bytes(bytes) | CASE == LOWER && txt.get(VERSION.len()).is_none_or(|&b| b == b' ')
}

type Input<'a> = &'a [u8];

/// The leading name of a term folded into a key: its bytes in lower case, little-endian.
/// Only ASCII letters and digits go in, so `| 0x20` lowers letters and keeps digits, and
/// names of different lengths differ (no zero bytes).
const fn name_key(name: &[u8]) -> u64 {
    let mut key = 0;
    let mut index = 0;
    while index < name.len() {
        key |= ((name[index] | 0x20) as u64) << (8 * index);
        index += 1;
    }
    key
}

/// One pass over the common terms: `all`, `ip4:`, `ip6:` (with a prefix length or not),
/// `include:`, `a` and `mx` alone or with a domain-spec without `/`, `redirect=` and
/// `exp=`, each with any qualifier (none for the modifiers). `None` for anything else and
/// for every error, which [`parse_term_general`] then reads (and reports) as before; where
/// this returns a term, it is the one [`parse_term_general`] returns (a property test
/// compares them).
#[inline]
fn parse_term_fast(input: &[u8]) -> Option<Term> {
    const ALL: u64 = name_key(b"all");
    const IP4: u64 = name_key(b"ip4");
    const IP6: u64 = name_key(b"ip6");
    const INCLUDE: u64 = name_key(b"include");
    const A: u64 = name_key(b"a");
    const MX: u64 = name_key(b"mx");
    const REDIRECT: u64 = name_key(b"redirect");
    const EXP: u64 = name_key(b"exp");
    let (qualifier, body) = match input.first()? {
        b'+' => (Some(Qualifier::Pass), &input[1..]),
        b'-' => (Some(Qualifier::Fail), &input[1..]),
        b'~' => (Some(Qualifier::SoftFail), &input[1..]),
        b'?' => (Some(Qualifier::Neutral), &input[1..]),
        _ => (None, input),
    };
    // The leading letters and digits; no name we read here is longer than 8.
    let mut key = 0u64;
    let mut length = 0;
    while let Some(&byte) = body.get(length)
        && byte.is_ascii_alphanumeric()
    {
        if length == 8 {
            return None;
        }
        key |= u64::from(byte | 0x20) << (8 * length);
        length += 1;
    }
    let rest = &body[length..];
    let (delimiter, argument) = match rest.split_first() {
        Some((&delimiter, argument)) => (Some(delimiter), argument),
        None => (None, rest),
    };
    let domain_spec = |spec: &[u8]| parse_macro_string(spec, MacroKind::DomainSpec).ok();
    let mechanism = match (key, delimiter) {
        (ALL, None) => Mechanism::All,
        (IP4, Some(b':')) => ip4_fast(argument)?,
        (IP6, Some(b':')) => ip6_fast(argument)?,
        (INCLUDE, Some(b':')) => Mechanism::Include {
            domain: domain_spec(argument)?,
        },
        (A, None) => Mechanism::A {
            domain: None,
            cidr: DualCidr::default(),
        },
        (MX, None) => Mechanism::Mx {
            domain: None,
            cidr: DualCidr::default(),
        },
        (A | MX, Some(b':')) if !argument.contains(&b'/') => {
            let domain = Some(domain_spec(argument)?);
            let cidr = DualCidr::default();
            if key == A {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            }
        }
        (REDIRECT, Some(b'=')) if qualifier.is_none() => {
            return Some(Term::Modifier(Modifier::Redirect(domain_spec(argument)?)));
        }
        (EXP, Some(b'=')) if qualifier.is_none() => {
            return Some(Term::Modifier(Modifier::Explanation(domain_spec(
                argument,
            )?)));
        }
        _ => return None,
    };
    Some(Term::Directive(Directive {
        qualifier: qualifier.unwrap_or(Qualifier::Pass),
        mechanism,
    }))
}

/// A prefix length of at most `max`, the whole of `text` (what follows the `/`): a decimal
/// of one to three digits without leading zeros.
#[inline]
fn cidr_fast(text: &[u8], max: u8) -> Option<u8> {
    let value = match *text {
        [d @ b'0'..=b'9'] => d - b'0',
        [d @ b'1'..=b'9', e @ b'0'..=b'9'] => (d - b'0') * 10 + (e - b'0'),
        [b'1', e @ b'0'..=b'9', f @ b'0'..=b'9'] => 100 + (e - b'0') * 10 + (f - b'0'),
        _ => return None,
    };
    (value <= max).then_some(value)
}

/// `ip4-network [ ip4-cidr-length ]`, the whole of `text`.
#[inline]
fn ip4_fast(text: &[u8]) -> Option<Mechanism> {
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (index, octet) in octets.iter_mut().enumerate() {
        if index > 0 {
            if text.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let first = *text.get(at)?;
        if !first.is_ascii_digit() {
            return None;
        }
        let mut value = u16::from(first - b'0');
        at += 1;
        // No leading zeros: a `0` stands alone.
        if first != b'0' {
            for _ in 0..2 {
                match text.get(at) {
                    Some(&digit @ b'0'..=b'9') => {
                        value = value * 10 + u16::from(digit - b'0');
                        at += 1;
                    }
                    _ => break,
                }
            }
        }
        *octet = u8::try_from(value).ok()?;
    }
    let network = Ipv4Addr::from(octets);
    let prefix_length = match text.get(at..)? {
        [] => None,
        [b'/', length @ ..] if length.len() <= 2 => Some(cidr_fast(length, 32)?),
        _ => return None,
    };
    Some(Mechanism::Ip4 {
        network,
        prefix_length,
    })
}

/// `ip6-network [ ip6-cidr-length ]`, the whole of `text`.
#[inline]
fn ip6_fast(text: &[u8]) -> Option<Mechanism> {
    // Without an IPv4 part the one-pass parser reads the address and stops at its end;
    // with one (it stops at a dot) the general parser reads up to the `/`.
    let (network, end) = if let (Some(network), end) = ipv6_plain_prefix(text)? {
        (network, end)
    } else {
        let end = text.iter().position(|&b| b == b'/').unwrap_or(text.len());
        (ipv6_address_dotted(&text[..end], true)?, end)
    };
    let rest = &text[end..];
    let prefix_length = match rest {
        [] => None,
        [b'/', length @ ..] => Some(cidr_fast(length, 128)?),
        _ => return None,
    };
    Some(Mechanism::Ip6 {
        network,
        prefix_length,
    })
}

/// ```text
/// directive        = [ qualifier ] mechanism
/// modifier         = redirect / explanation / unknown-modifier
/// ```
/// A term is a modifier exactly when it starts with `name "="`.
///
/// Every term, every error; [`Record::parse`] comes here for what [`parse_term_fast`]
/// declines, and it is the reference the fast path is tested against.
fn parse_term_general(input: &[u8]) -> Result<Term, ParseErrorKind> {
    if let Ok((value_text, name)) = modifier_name(input) {
        return modifier(name, value_text).map(Term::Modifier);
    }
    if input.first() == Some(&b'=') {
        return Err(ParseErrorKind::InvalidModifierName);
    }
    let (rest, qualifier) = qualifier(input);
    let name_length = rest
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (name, arguments) = rest.split_at(name_length);
    let mechanism = mechanism(name, arguments)?;
    Ok(Term::Directive(Directive {
        qualifier: qualifier.unwrap_or(Qualifier::Pass),
        mechanism,
    }))
}

/// ```text
/// qualifier        = "+" / "-" / "?" / "~"
/// ```
/// (Optional, so it cannot fail: the input comes back with the qualifier, if any, taken.)
fn qualifier(input: Input<'_>) -> (Input<'_>, Option<Qualifier>) {
    let qualifier = match input.first() {
        Some(b'+') => Qualifier::Pass,
        Some(b'-') => Qualifier::Fail,
        Some(b'~') => Qualifier::SoftFail,
        Some(b'?') => Qualifier::Neutral,
        _ => return (input, None),
    };
    (&input[1..], Some(qualifier))
}

/// ```text
/// name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
/// ```
/// followed by `"="`, which is consumed. (Hand-written: every term is tried as a modifier
/// first.)
fn modifier_name(input: Input<'_>) -> IResult<Input<'_>, Input<'_>> {
    let error = |kind| nom::Err::Error(nom::error::Error::new(input, kind));
    if !input.first().is_some_and(u8::is_ascii_alphabetic) {
        return Err(error(nom::error::ErrorKind::Alpha));
    }
    let length = input
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        .unwrap_or(input.len());
    match input.get(length) {
        Some(b'=') => Ok((&input[length + 1..], &input[..length])),
        _ => Err(error(nom::error::ErrorKind::Char)),
    }
}

/// ```text
/// redirect         = "redirect" "=" domain-spec
/// explanation      = "exp" "=" domain-spec
/// unknown-modifier = name "=" macro-string
///                    ; where name is not any known modifier
/// ```
fn modifier(name: &[u8], value_text: &[u8]) -> Result<Modifier, ParseErrorKind> {
    if name.eq_ignore_ascii_case(b"redirect") {
        Ok(Modifier::Redirect(parse_macro_string(
            value_text,
            MacroKind::DomainSpec,
        )?))
    } else if name.eq_ignore_ascii_case(b"exp") {
        Ok(Modifier::Explanation(parse_macro_string(
            value_text,
            MacroKind::DomainSpec,
        )?))
    } else {
        Ok(Modifier::Unknown {
            // `modifier_name` accepted only ASCII.
            name: std::str::from_utf8(name)
                .map_or_else(|_| name.iter().map(|&b| char::from(b)).collect(), Box::from),
            value: parse_macro_string(value_text, MacroKind::ModifierValue)?,
        })
    }
}

/// ```text
/// mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
/// all              = "all"
/// include          = "include"  ":" domain-spec
/// a                = "a"      [ ":" domain-spec ] [ dual-cidr-length ]
/// mx               = "mx"     [ ":" domain-spec ] [ dual-cidr-length ]
/// ptr              = "ptr"    [ ":" domain-spec ]
/// ip4              = "ip4"      ":" ip4-network   [ ip4-cidr-length ]
/// ip6              = "ip6"      ":" ip6-network   [ ip6-cidr-length ]
/// exists           = "exists"   ":" domain-spec
/// ```
fn mechanism(name: &[u8], arguments: &[u8]) -> Result<Mechanism, ParseErrorKind> {
    // Names are compared in lower case; the longest is 7 letters.
    let mut folded = [0u8; 7];
    let Some(folded) = folded.get_mut(..name.len()) else {
        return Err(ParseErrorKind::UnknownMechanism);
    };
    folded.copy_from_slice(name);
    folded.make_ascii_lowercase();
    let domain_argument = || match arguments.strip_prefix(b":") {
        Some(spec) => parse_macro_string(spec, MacroKind::DomainSpec),
        None => Err(ParseErrorKind::InvalidMechanism),
    };
    match &*folded {
        b"all" if arguments.is_empty() => Ok(Mechanism::All),
        b"all" => Err(ParseErrorKind::InvalidMechanism),
        b"include" => Ok(Mechanism::Include {
            domain: domain_argument()?,
        }),
        b"exists" => Ok(Mechanism::Exists {
            domain: domain_argument()?,
        }),
        b"ptr" => {
            let domain = if arguments.is_empty() {
                None
            } else {
                Some(domain_argument()?)
            };
            Ok(Mechanism::Ptr { domain })
        }
        b"a" => {
            let (domain, cidr) = domain_and_dual_cidr(arguments)?;
            Ok(Mechanism::A { domain, cidr })
        }
        b"mx" => {
            let (domain, cidr) = domain_and_dual_cidr(arguments)?;
            Ok(Mechanism::Mx { domain, cidr })
        }
        b"ip4" => {
            let network_text = arguments
                .strip_prefix(b":")
                .ok_or(ParseErrorKind::InvalidMechanism)?;
            let (rest, network) =
                ip4_network(network_text).map_err(|_| ParseErrorKind::InvalidIp4)?;
            let (rest, prefix_length) = optional_cidr(rest, ip4_cidr_length)?;
            if !rest.is_empty() {
                return Err(if rest.first() == Some(&b'/') {
                    ParseErrorKind::InvalidCidr
                } else {
                    ParseErrorKind::InvalidIp4
                });
            }
            Ok(Mechanism::Ip4 {
                network,
                prefix_length,
            })
        }
        b"ip6" => {
            let network_text = arguments
                .strip_prefix(b":")
                .ok_or(ParseErrorKind::InvalidMechanism)?;
            let (rest, network) =
                ip6_network(network_text).map_err(|_| ParseErrorKind::InvalidIp6)?;
            let (rest, prefix_length) = optional_cidr(rest, ip6_cidr_length)?;
            if !rest.is_empty() {
                return Err(ParseErrorKind::InvalidCidr);
            }
            Ok(Mechanism::Ip6 {
                network,
                prefix_length,
            })
        }
        _ => Err(ParseErrorKind::UnknownMechanism),
    }
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]` of `a` and `mx`.
///
/// A domain-spec may itself contain `/` (`a:foo:bar/baz.example.com`), so the split is the
/// leftmost `/` after which a whole dual-cidr-length follows and before which a valid
/// domain-spec ends.
fn domain_and_dual_cidr(
    arguments: &[u8],
) -> Result<(Option<MacroString>, DualCidr), ParseErrorKind> {
    let Some(spec_and_cidr) = arguments.strip_prefix(b":") else {
        return match (dual_cidr_length, eof).parse(arguments) {
            Ok((_, (cidr, _))) => Ok((None, cidr)),
            Err(_) if arguments.first() == Some(&b'/') => Err(ParseErrorKind::InvalidCidr),
            Err(_) => Err(ParseErrorKind::UnknownMechanism),
        };
    };
    let mut first_error = None;
    let split_points = spec_and_cidr
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(|(index, _)| index)
        .chain(std::iter::once(spec_and_cidr.len()));
    for split in split_points {
        let (spec, cidr_text) = spec_and_cidr.split_at(split);
        let Ok((_, (cidr, _))) = (dual_cidr_length, eof).parse(cidr_text) else {
            continue;
        };
        match parse_macro_string(spec, MacroKind::DomainSpec) {
            Ok(domain) => return Ok((Some(domain), cidr)),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    // No split works: report the domain-spec's own problem, judged on the whole argument
    // unless a CIDR-looking tail was the only way to make sense of it.
    Err(
        match parse_macro_string(spec_and_cidr, MacroKind::DomainSpec) {
            Err(error) => first_error.unwrap_or(error),
            Ok(_) => ParseErrorKind::InvalidCidr,
        },
    )
}

/// ```text
/// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
/// ```
fn dual_cidr_length(input: Input<'_>) -> IResult<Input<'_>, DualCidr> {
    let (rest, ip4) = opt(ip4_cidr_length).parse(input)?;
    let (rest, ip6) = opt((char('/'), ip6_cidr_length)).parse(rest)?;
    Ok((
        rest,
        DualCidr {
            ip4,
            ip6: ip6.map(|(_, length)| length),
        },
    ))
}

/// A decimal without leading zeros ("0" / %x31-39 *DIGIT) of at most `max_digits` digits,
/// at most `max`. (Hand-written: it runs for most `ip4`/`ip6` terms.)
fn cidr_number(max_digits: usize, max: u8) -> impl Fn(Input<'_>) -> IResult<Input<'_>, u8> {
    move |input| {
        let error = || nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Digit));
        let digits = input
            .iter()
            .take(max_digits)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || (digits > 1 && input[0] == b'0') {
            return Err(error());
        }
        let number = input[..digits]
            .iter()
            .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
        let number = u8::try_from(number)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(error)?;
        Ok((&input[digits..], number))
    }
}

/// `[ cidr-length ]` after a network: `None` when the input does not start with `/`, a
/// syntax error when it does but no valid length follows.
fn optional_cidr(
    input: Input<'_>,
    length: fn(Input<'_>) -> IResult<Input<'_>, u8>,
) -> Result<(Input<'_>, Option<u8>), ParseErrorKind> {
    if input.first() != Some(&b'/') {
        return Ok((input, None));
    }
    match length(input) {
        Ok((rest, length)) => Ok((rest, Some(length))),
        // As `opt` would: a failed length leaves the input for the caller to reject.
        Err(nom::Err::Error(_)) => Ok((input, None)),
        Err(_) => Err(ParseErrorKind::InvalidCidr),
    }
}

/// ```text
/// ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
/// ```
fn ip4_cidr_length(input: Input<'_>) -> IResult<Input<'_>, u8> {
    let (rest, _) = char('/').parse(input)?;
    let (rest, length) = cidr_number(2, 32)(rest)?;
    not_followed_by_digit(rest, length)
}

/// ```text
/// ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; value range 0-128
/// ```
fn ip6_cidr_length(input: Input<'_>) -> IResult<Input<'_>, u8> {
    let (rest, _) = char('/').parse(input)?;
    let (rest, length) = cidr_number(3, 128)(rest)?;
    not_followed_by_digit(rest, length)
}

fn not_followed_by_digit(rest: Input<'_>, length: u8) -> IResult<Input<'_>, u8> {
    if rest.first().is_some_and(u8::is_ascii_digit) {
        return Err(nom::Err::Error(nom::error::Error::new(
            rest,
            nom::error::ErrorKind::Digit,
        )));
    }
    Ok((rest, length))
}

/// ```text
/// qnum             = DIGIT                 ; 0-9
///                    / %x31-39 DIGIT       ; 10-99
///                    / "1" 2DIGIT          ; 100-199
///                    / "2" %x30-34 DIGIT   ; 200-249
///                    / "25" %x30-35        ; 250-255
/// ip4-network      = qnum "." qnum "." qnum "." qnum
/// ```
/// (Hand-written, one pass: it runs for every `ip4:` term. A run of four digits is an
/// error, not a qnum followed by a digit.)
fn ip4_network(input: Input<'_>) -> IResult<Input<'_>, Ipv4Addr> {
    let error = |at: usize, kind| {
        nom::Err::Error(nom::error::Error::new(
            input.get(at..).unwrap_or_default(),
            kind,
        ))
    };
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (index, octet) in octets.iter_mut().enumerate() {
        if index > 0 {
            if input.get(at) != Some(&b'.') {
                return Err(error(at, nom::error::ErrorKind::Tag));
            }
            at += 1;
        }
        let start = at;
        let mut value = 0u16;
        while at - start < 4
            && let Some(&digit) = input.get(at).filter(|d| d.is_ascii_digit())
        {
            value = value * 10 + u16::from(digit - b'0');
            at += 1;
        }
        let digits = at - start;
        if digits == 0 || digits == 4 || (digits > 1 && input[start] == b'0') {
            return Err(error(start, nom::error::ErrorKind::Digit));
        }
        *octet = u8::try_from(value).map_err(|_| error(start, nom::error::ErrorKind::Digit))?;
    }
    Ok((&input[at..], Ipv4Addr::from(octets)))
}

/// ```text
/// ip6-network      = <as per [RFC 4291], section 2.2>
/// ```
/// Everything up to the first `/` must be an IPv6 address in one of RFC 4291's text forms
/// ([`ipv6_address`]).
fn ip6_network(input: Input<'_>) -> IResult<Input<'_>, Ipv6Addr> {
    let end = input.iter().position(|&b| b == b'/').unwrap_or(input.len());
    let (text, rest) = input.split_at(end);
    ipv6_address(text)
        .map(|address| (rest, address))
        .ok_or_else(|| {
            nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Verify))
        })
}

/// An IPv6 address in the text forms of RFC 4291 §2.2, the whole of `text`:
///
/// 1. `x:x:x:x:x:x:x:x`, each `x` one to four hexadecimal digits;
/// 2. with one `::` standing for one or more groups of zeros (`2001:db8::1`, `::1`, `::`);
/// 3. with the last 32 bits as a dotted IPv4 address (`::ffff:192.0.2.1`,
///    `0:0:0:0:0:ffff:192.0.2.1`), whose four decimal parts have no leading zeros.
///
/// Exactly what `Ipv6Addr::from_str` accepts (a property test compares them), without the
/// UTF-8 check and the generic parser machinery.
pub(crate) fn ipv6_address(text: &[u8]) -> Option<Ipv6Addr> {
    ipv6_address_dotted(text, text.contains(&b'.'))
}

/// [`ipv6_address`], told whether `text` contains a dot (without one there is no IPv4 part
/// to try at each group).
#[inline]
fn ipv6_address_dotted(text: &[u8], may_have_ipv4: bool) -> Option<Ipv6Addr> {
    if !may_have_ipv4 {
        return match ipv6_plain_prefix(text)? {
            (Some(address), end) if end == text.len() => Some(address),
            _ => None,
        };
    }
    let mut position = 0;
    let mut head = [0u16; 8];
    let (head_length, head_ends_in_ipv4) =
        ipv6_groups(text, &mut position, &mut head, may_have_ipv4);
    if head_length == 8 {
        return (position == text.len()).then(|| Ipv6Addr::from(head));
    }
    // An IPv4 part ends the address, so it cannot come before `::`.
    if head_ends_in_ipv4 || text.get(position..position + 2) != Some(&b"::"[..]) {
        return None;
    }
    position += 2;
    // `::` stands for at least one group.
    let mut tail = [0u16; 7];
    let tail_room = 7 - head_length;
    let (tail_length, _) = ipv6_groups(text, &mut position, &mut tail[..tail_room], may_have_ipv4);
    if position != text.len() {
        return None;
    }
    head[8 - tail_length..].copy_from_slice(&tail[..tail_length]);
    Some(Ipv6Addr::from(head))
}

/// The value of each hexadecimal digit, and `0xff` for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut byte: u8 = 0;
    loop {
        table[byte as usize] = match byte {
            digit @ b'0'..=b'9' => digit - b'0',
            letter @ b'a'..=b'f' => letter - b'a' + 10,
            letter @ b'A'..=b'F' => letter - b'A' + 10,
            _ => 0xff,
        };
        if byte == u8::MAX {
            break;
        }
        byte += 1;
    }
    table
};

/// The IPv6 address at the start of `text`, in the text forms without an IPv4 part: one
/// pass over the groups, with `::` noted where it stands and the groups after it moved to
/// the end. Stops at the first byte that cannot continue the address and returns where;
/// the address is `None` when that byte is a dot (an IPv4 part, which this does not read).
/// `None` overall when what comes before is not an address.
fn ipv6_plain_prefix(text: &[u8]) -> Option<(Option<Ipv6Addr>, usize)> {
    let is_hex = |at: usize| {
        text.get(at)
            .is_some_and(|&b| HEX_VALUE[usize::from(b)] != 0xff)
    };
    let mut groups = [0u16; 8];
    let mut count = 0;
    // Where `::` stands: the number of groups before it.
    let mut gap = None;
    let mut at = 0;
    if text.starts_with(b"::") {
        gap = Some(0);
        at = 2;
    }
    if gap.is_none() || is_hex(at) {
        loop {
            // h16 = 1*4HEXDIG
            let start = at;
            let mut value = 0u16;
            while at - start < 4
                && let Some(&byte) = text.get(at)
            {
                let digit = HEX_VALUE[usize::from(byte)];
                if digit == 0xff {
                    break;
                }
                value = (value << 4) | u16::from(digit);
                at += 1;
            }
            if at == start {
                return None;
            }
            *groups.get_mut(count)? = value;
            count += 1;
            if text.get(at) != Some(&b':') {
                break;
            }
            at += 1;
            if text.get(at) == Some(&b':') {
                if gap.is_some() {
                    return None;
                }
                gap = Some(count);
                at += 1;
                if !is_hex(at) {
                    break;
                }
            }
        }
    }
    if text.get(at) == Some(&b'.') {
        return Some((None, at));
    }
    let address = match gap {
        None if count == 8 => groups,
        // `::` stands for at least one group.
        Some(before) if count < 8 => {
            let after = count - before;
            groups.copy_within(before..count, 8 - after);
            groups[before..8 - after].fill(0);
            groups
        }
        _ => return None,
    };
    Some((Some(Ipv6Addr::from(address)), at))
}

/// Reads up to `groups.len()` colon-separated groups from `text` at `position` (the first
/// without a leading colon); where two or more groups are left, a dotted IPv4 address may
/// stand for the last two and ends the run. Returns how many groups were read and whether
/// the run ended in an IPv4 address; `position` moves past what was read.
fn ipv6_groups(
    text: &[u8],
    position: &mut usize,
    groups: &mut [u16],
    may_have_ipv4: bool,
) -> (usize, bool) {
    let limit = groups.len();
    for index in 0..limit {
        let mut at = *position;
        if index > 0 {
            if text.get(at) != Some(&b':') {
                return (index, false);
            }
            at += 1;
        }
        if may_have_ipv4
            && index + 1 < limit
            && let Some((octets, end)) = embedded_ipv4(text, at)
        {
            groups[index] = u16::from_be_bytes([octets[0], octets[1]]);
            groups[index + 1] = u16::from_be_bytes([octets[2], octets[3]]);
            *position = end;
            return (index + 2, true);
        }
        // h16 = 1*4HEXDIG
        let mut value = 0u16;
        let mut digits = 0;
        while digits < 4 {
            let nibble = match text.get(at + digits) {
                Some(&byte @ b'0'..=b'9') => byte - b'0',
                Some(&byte @ b'a'..=b'f') => byte - b'a' + 10,
                Some(&byte @ b'A'..=b'F') => byte - b'A' + 10,
                _ => break,
            };
            value = (value << 4) | u16::from(nibble);
            digits += 1;
        }
        if digits == 0 {
            return (index, false);
        }
        groups[index] = value;
        *position = at + digits;
    }
    (limit, false)
}

/// A dotted IPv4 address at `text[start..]` inside an IPv6 address: four decimal parts of
/// one to three digits, no leading zeros, each at most 255. Returns the octets and where the
/// address ends.
fn embedded_ipv4(text: &[u8], start: usize) -> Option<([u8; 4], usize)> {
    let mut octets = [0u8; 4];
    let mut at = start;
    for (index, octet) in octets.iter_mut().enumerate() {
        if index > 0 {
            if text.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let first = at;
        let mut value = 0u16;
        while at - first < 3
            && let Some(&digit) = text.get(at).filter(|d| d.is_ascii_digit())
        {
            value = value * 10 + u16::from(digit - b'0');
            at += 1;
        }
        let digits = at - first;
        if digits == 0 || (digits > 1 && text[first] == b'0') {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
    }
    Some((octets, at))
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Directive(directive) => directive.fmt(f),
            Term::Modifier(modifier) => modifier.fmt(f),
        }
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier != Qualifier::Pass {
            write!(f, "{}", self.qualifier.symbol())?;
        }
        self.mechanism.fmt(f)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Mechanism::All => Ok(()),
            Mechanism::Include { domain } | Mechanism::Exists { domain } => write!(f, ":{domain}"),
            Mechanism::A { domain, cidr } | Mechanism::Mx { domain, cidr } => {
                if let Some(domain) = domain {
                    write!(f, ":{domain}")?;
                }
                cidr.fmt(f)
            }
            Mechanism::Ptr { domain } => match domain {
                Some(domain) => write!(f, ":{domain}"),
                None => Ok(()),
            },
            Mechanism::Ip4 {
                network,
                prefix_length,
            } => {
                write!(f, ":{network}")?;
                match prefix_length {
                    Some(length) => write!(f, "/{length}"),
                    None => Ok(()),
                }
            }
            Mechanism::Ip6 {
                network,
                prefix_length,
            } => {
                write!(f, ":{network}")?;
                match prefix_length {
                    Some(length) => write!(f, "/{length}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for DualCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(length) = self.ip4 {
            write!(f, "/{length}")?;
        }
        if let Some(length) = self.ip6 {
            write!(f, "//{length}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(target) => write!(f, "redirect={target}"),
            Modifier::Explanation(target) => write!(f, "exp={target}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(record: &str) -> ParseErrorKind {
        Record::parse(record.as_bytes()).unwrap_err().kind()
    }

    proptest::proptest! {
        /// The folded comparison is `eq_ignore_ascii_case` on the version: the version in
        /// any case, one byte replaced by any byte (or not), cut anywhere, any byte after.
        #[test]
        fn version_check_agrees(
            upper in proptest::prelude::any::<u8>(),
            at in 0..8usize,
            replacement in proptest::prelude::any::<u8>(),
            tail in proptest::prelude::any::<u8>(),
        ) {
            let mut bytes: Vec<u8> = VERSION
                .iter()
                .enumerate()
                .map(|(i, &b)| if upper & (1 << i) != 0 { b.to_ascii_uppercase() } else { b })
                .collect();
            bytes.push(tail);
            if let Some(byte) = bytes.get_mut(at) {
                *byte = replacement;
            }
            for end in 0..=bytes.len() {
                let txt = &bytes[..end];
                let expected = txt.len() >= VERSION.len()
                    && txt[..VERSION.len()].eq_ignore_ascii_case(VERSION)
                    && txt.get(VERSION.len()).is_none_or(|&b| b == b' ');
                proptest::prop_assert_eq!(is_spf_record(txt), expected, "{:?}", txt);
            }
        }
    }

    #[test]
    fn version_selection() {
        assert!(is_spf_record(b"v=spf1"));
        assert!(is_spf_record(b"V=SpF1 -all"));
        assert!(!is_spf_record(b"v=spf10"));
        assert!(!is_spf_record(b"v=spf1\t-all"));
        assert!(!is_spf_record(b""));
        assert_eq!(kind("v=spf2 -all"), ParseErrorKind::NotSpf);
    }

    #[test]
    fn parses_every_mechanism() {
        let record = Record::parse(
            b"v=spf1 +all -include:_spf.example.com ~a ?a:%{d}/24//64 mx/0 mx:mail.example.com//0 \
              ptr ptr:example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.com \
              redirect=_spf.example.com exp=exp.example.com moo.cow-far_out=man:dog/cat  ",
        )
        .unwrap();
        assert_eq!(record.terms().len(), 14);
        assert_eq!(record.directives().count(), 11);
        assert_eq!(record.redirect().unwrap().to_string(), "_spf.example.com");
        assert_eq!(
            record.to_string(),
            "v=spf1 all -include:_spf.example.com ~a ?a:%{d}/24//64 mx/0 mx:mail.example.com//0 \
             ptr ptr:example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.com \
             redirect=_spf.example.com exp=exp.example.com moo.cow-far_out=man:dog/cat"
        );
    }

    #[test]
    fn domain_with_slash_and_colon() {
        let record =
            Record::parse(b"v=spf1 a:foo:bar/baz.example.com mx:foo.example.com/24").unwrap();
        let directives: Vec<_> = record.directives().collect();
        assert_eq!(
            directives[0].mechanism,
            Mechanism::A {
                domain: Some(
                    MacroString::parse(b"foo:bar/baz.example.com", MacroKind::DomainSpec).unwrap()
                ),
                cidr: DualCidr::default(),
            }
        );
        assert!(matches!(
            directives[1].mechanism,
            Mechanism::Mx {
                cidr: DualCidr {
                    ip4: Some(24),
                    ip6: None
                },
                ..
            }
        ));
    }

    /// The syntax cases of the OpenSPF suite, by name.
    #[test]
    fn syntax_errors() {
        let cases = [
            ("v=spf1 -all.", ParseErrorKind::InvalidMechanism),
            ("v=spf1 -all:foobar", ParseErrorKind::InvalidMechanism),
            ("v=spf1 -all/8", ParseErrorKind::InvalidMechanism),
            ("v=spf1 ptr/0 -all", ParseErrorKind::InvalidMechanism),
            ("v=spf1 ptr:", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a/33 -all", ParseErrorKind::InvalidCidr),
            ("v=spf1 a//129 -all", ParseErrorKind::InvalidCidr),
            ("v=spf1 a/24/64 -all", ParseErrorKind::InvalidCidr),
            (
                "v=spf1 a:example.com:8080",
                ParseErrorKind::InvalidDomainSpec,
            ),
            ("v=spf1 a:111.222.33.44", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a:abc.123", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a:museum", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a:museum.", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a:example.-com", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 a:", ParseErrorKind::InvalidDomainSpec),
            (
                "v=spf1 a:foo.example.com\0",
                ParseErrorKind::InvalidCharacter,
            ),
            ("v=spf1 include +all", ParseErrorKind::InvalidMechanism),
            (
                "v=spf1 include:ip5.example.com/24 -all",
                ParseErrorKind::InvalidDomainSpec,
            ),
            ("v=spf1 exists", ParseErrorKind::InvalidMechanism),
            (
                "v=spf1 exists:mail.example.com/24",
                ParseErrorKind::InvalidDomainSpec,
            ),
            ("v=spf1 ip4:1.2.3.4/33 -all", ParseErrorKind::InvalidCidr),
            ("v=spf1 ip4:1.2.3.4/032 -all", ParseErrorKind::InvalidCidr),
            ("v=spf1 ip4", ParseErrorKind::InvalidMechanism),
            ("v=spf1 ip4:1.2.3.4//32", ParseErrorKind::InvalidCidr),
            ("v=spf1 ip4:1.2.3.4:8080", ParseErrorKind::InvalidIp4),
            ("v=spf1 ip4:1.2.3", ParseErrorKind::InvalidIp4),
            ("v=spf1 ip4:01.2.3.4", ParseErrorKind::InvalidIp4),
            ("v=spf1 -all ip6", ParseErrorKind::InvalidMechanism),
            ("v=spf1 ip6:::1.1.1.1/129", ParseErrorKind::InvalidCidr),
            ("v=spf1 ip6:::1.1.1.1//33", ParseErrorKind::InvalidCidr),
            ("v=spf1 ip6::CAFE::BABE", ParseErrorKind::InvalidIp6),
            (
                "v=spf1 ip4:1.2.3.4 -all moo",
                ParseErrorKind::UnknownMechanism,
            ),
            (
                "v=spf1 moo.cow/far_out=man:dog/cat",
                ParseErrorKind::UnknownMechanism,
            ),
            (
                "v=spf1 moo.cow:far_out=man:dog/cat",
                ParseErrorKind::UnknownMechanism,
            ),
            (
                "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
                ParseErrorKind::UnknownMechanism,
            ),
            ("v=spf1 a:foo-bar -all", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 1up=foo", ParseErrorKind::UnknownMechanism),
            ("v=spf1 =all", ParseErrorKind::InvalidModifierName),
            ("v=spf1 -all foo=%abc", ParseErrorKind::InvalidMacro),
            ("v=spf1 exp= -all", ParseErrorKind::InvalidDomainSpec),
            ("v=spf1 exp=-all", ParseErrorKind::InvalidDomainSpec),
            (
                "v=spf1 redirect=-all ?all",
                ParseErrorKind::InvalidDomainSpec,
            ),
            ("v=spf1 ?all redirect=", ParseErrorKind::InvalidDomainSpec),
            (
                "v=spf1 exp=a.example.com -all exp=b.example.com",
                ParseErrorKind::DuplicateModifier,
            ),
            (
                "v=spf1 -all exp=%{r}.example.com",
                ParseErrorKind::ExplanationOnlyMacro,
            ),
            (
                "v=spf1 a:%{a}.example.com -all",
                ParseErrorKind::InvalidMacro,
            ),
            (
                "v=spf1 -exists:%(ir).sbl.example.com ?all",
                ParseErrorKind::InvalidMacro,
            ),
            (
                "v=spf1 a:ctrl.example.com\rptr -all",
                ParseErrorKind::InvalidCharacter,
            ),
            (
                "v=spf1 \u{80}a:example.net -all",
                ParseErrorKind::UnknownMechanism,
            ),
        ];
        for (record, expected) in cases {
            assert_eq!(kind(record), expected, "{record:?}");
        }
    }

    #[test]
    fn accepted_oddities() {
        for record in [
            "v=spf1",
            "v=spf1 ",
            "v=spf1 a  -all",
            "v=spf1 default=pass",
            "v=spf1 default=+",
            "v=spf1 a:mail.example...com -all",
            "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
            "v=spf1 a:foo.example.xn--zckzah -all",
            "v=spf1 ip6:Cafe:Babe:8000::/33",
            "v=spf1 ip6:::1.1.1.1/0",
            "v=spf1 a/24//64 -all",
            "v=spf1 a//0 -all",
            "V=SPF1 A MX -ALL REDIRECT=example.com",
        ] {
            assert!(Record::parse(record.as_bytes()).is_ok(), "{record:?}");
        }
    }

    fn std_ipv6(text: &str) -> Option<Ipv6Addr> {
        text.parse().ok()
    }

    proptest::proptest! {
        #[test]
        fn spaces_are_counted(text in "[ a]{0,40}") {
            proptest::prop_assert_eq!(
                count_spaces(text.as_bytes()),
                text.bytes().map(|b| usize::from(b == b' ')).sum::<usize>()
            );
        }

        #[test]
        fn spaces_are_counted_among_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            proptest::prop_assert_eq!(
                count_spaces(&bytes),
                bytes.iter().map(|&b| usize::from(b == b' ')).sum::<usize>()
            );
        }
    }

    #[test]
    fn ipv6_text_forms() {
        for text in [
            "::",
            "::1",
            "1::",
            "2001:db8::",
            "2001:DB8:0:0:8:800:200C:417A",
            "2001:db8::8:800:200c:417a",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "0:0:0:0:0:0:13.1.68.3",
            "::13.1.68.3",
            "::ffff:129.144.52.38",
            "1:2:3:4:5:6:1.2.3.4",
            "1::1.2.3.4",
            "0001:0002::000a",
        ] {
            assert_eq!(ipv6_address(text.as_bytes()), std_ipv6(text), "{text}");
            assert!(ipv6_address(text.as_bytes()).is_some(), "{text}");
        }
        for text in [
            "",
            ":",
            ":::",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7",
            "1::2::3",
            "12345::",
            "::1.2.3",
            "::1.2.3.4.5",
            "::01.2.3.4",
            "::256.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4",
            ":1::2",
            "1:::2",
            "g::",
            "::1 ",
        ] {
            assert_eq!(ipv6_address(text.as_bytes()), None, "{text}");
            assert_eq!(std_ipv6(text), None, "{text}");
        }
    }

    proptest::proptest! {
        /// Any address, written by std in its canonical form, or in full with random case
        /// and leading zeros, or with `::` in place of any run of groups, or with its last
        /// 32 bits dotted: the fast parser reads what std reads.
        #[test]
        fn ipv6_parser_agrees_with_std_on_addresses(
            groups in proptest::array::uniform8(proptest::prop_oneof![
                proptest::prelude::Just(0u16),
                proptest::prelude::any::<u16>()
            ]),
            compress_from in 0..8usize,
            compress_length in 0..9usize,
            upper in proptest::prelude::any::<bool>(),
            pad in proptest::prelude::any::<bool>(),
            dotted in proptest::prelude::any::<bool>(),
        ) {
            let address = Ipv6Addr::from(groups);
            let group_text = |g: u16| {
                let text = if pad { format!("{g:04x}") } else { format!("{g:x}") };
                if upper { text.to_ascii_uppercase() } else { text }
            };
            let mut parts: Vec<String> = groups.iter().map(|&g| group_text(g)).collect();
            if dotted {
                let [.., a, b, c, d] = address.octets();
                parts.truncate(6);
                parts.push(format!("{a}.{b}.{c}.{d}"));
            }
            let full = parts.join(":");
            let end = (compress_from + compress_length).min(parts.len());
            let compressed = format!(
                "{}::{}",
                parts[..compress_from.min(end)].join(":"),
                parts[end..].join(":")
            );
            for text in [address.to_string(), full, compressed] {
                proptest::prop_assert_eq!(ipv6_address(text.as_bytes()), std_ipv6(&text), "{}", text);
            }
        }

        /// Random strings over the characters of the text forms (and a few others).
        #[test]
        fn ipv6_parser_agrees_with_std_on_strings(text in "[0-9a-fA-F:.g/ ]{0,45}") {
            proptest::prop_assert_eq!(ipv6_address(text.as_bytes()), std_ipv6(&text), "{}", text);
        }

        /// Random strings without a dot (the one-pass parser's input).
        #[test]
        fn ipv6_plain_parser_agrees_with_std(text in "[0-9a-fA-F:]{0,42}") {
            proptest::prop_assert_eq!(ipv6_address(text.as_bytes()), std_ipv6(&text), "{}", text);
        }

        /// Random near-addresses: real address text with one character changed, dropped
        /// or doubled.
        #[test]
        fn ipv6_parser_agrees_with_std_on_mutations(
            groups in proptest::prelude::any::<[u16; 8]>(),
            zeros in 0..8usize,
            at in 0..40usize,
            replacement in "[0-9a-fA-F:.]",
            action in 0..3u8,
        ) {
            let mut groups = groups;
            for group in groups.iter_mut().skip(8 - zeros) {
                *group = 0;
            }
            let mut text = Ipv6Addr::from(groups).to_string();
            let at = at.min(text.len().saturating_sub(1));
            if text.is_char_boundary(at) && at < text.len() {
                match action {
                    0 => text.replace_range(at..=at, &replacement),
                    1 => { text.remove(at); }
                    _ => { let c = text.as_bytes()[at] as char; text.insert(at, c); }
                }
            }
            proptest::prop_assert_eq!(ipv6_address(text.as_bytes()), std_ipv6(&text), "{}", text);
        }

        /// `ip4-network` consumes the whole text exactly when std parses it as an address.
        #[test]
        fn ip4_network_agrees_with_std(text in "[0-9.]{0,18}") {
            let ours = match ip4_network(text.as_bytes()) {
                Ok(([], address)) => Some(address),
                _ => None,
            };
            proptest::prop_assert_eq!(ours, text.parse::<Ipv4Addr>().ok(), "{}", text);
        }
    }

    /// The fast path takes the common forms (so the general parser is not what runs for
    /// them).
    #[test]
    fn fast_path_takes_the_common_terms() {
        for term in [
            "all",
            "-all",
            "~ALL",
            "ip4:192.0.2.0/24",
            "?ip4:10.0.0.1",
            "ip4:0.0.0.0/0",
            "ip6:2001:db8::/32",
            "ip6:::1",
            "include:_spf.example.com",
            "a",
            "mx",
            "a:relay.example.net",
            "-mx:%{d}.example.com",
            "redirect=_spf.example.com",
            "exp=explain.%{d}",
        ] {
            assert!(parse_term_fast(term.as_bytes()).is_some(), "{term}");
        }
        for term in [
            "a/24",
            "mx:example.com/24",
            "ptr",
            "exists:%{i}.example.com",
            "-redirect=x.example.com",
        ] {
            assert!(parse_term_fast(term.as_bytes()).is_none(), "{term}");
        }
    }

    /// Where the fast path returns a term, the general parser returns the same one.
    fn fast_agrees(term: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        if let Some(fast) = parse_term_fast(term.as_bytes()) {
            proptest::prop_assert_eq!(parse_term_general(term.as_bytes()), Ok(fast), "{}", term);
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn fast_terms_agree_with_the_general_parser(
            term in "[+~?-]?(all|ip4|ip6|include|a|mx|ptr|exists|redirect|exp|Ip4|IP6|INCLUDE|A|MX|Redirect|EXP|x1|aa|all1)([:=/.]([0-9a-fA-F:./%{}a-z_=-]{0,24})?)?"
        ) {
            fast_agrees(&term)?;
        }

        #[test]
        fn fast_ip4_terms_agree_with_the_general_parser(
            term in "[+-]?ip4:[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,3}[.:]?[0-9]{0,4}(/[0-9]{0,4})?(/[0-9]{0,2})?"
        ) {
            fast_agrees(&term)?;
        }

        #[test]
        fn fast_ip6_terms_agree_with_the_general_parser(
            groups in proptest::prelude::any::<[u16; 8]>(),
            zeros in 0..8usize,
            cidr in "(/[0-9]{0,4}){0,2}",
            mutate in "[0-9a-fA-F:./]?",
        ) {
            let mut groups = groups;
            for group in groups.iter_mut().skip(8 - zeros) {
                *group = 0;
            }
            let address = Ipv6Addr::from(groups);
            fast_agrees(&format!("ip6:{address}{cidr}"))?;
            fast_agrees(&format!("ip6:{address}{mutate}{cidr}"))?;
            fast_agrees(&format!("ip6:{mutate}{address}{cidr}"))?;
        }

        /// The space map finds every space, and the count is the number of spaces.
        #[test]
        fn space_map_finds_every_space(text in "[ a]{0,300}") {
            let bytes = text.as_bytes();
            let mut map = [0u64; SPACE_MAP_WORDS];
            let count = map_spaces(bytes, &mut map);
            let spaces: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b' ').collect();
            proptest::prop_assert_eq!(count, spaces.len());
            for from in 0..=bytes.len() {
                let expected = spaces.iter().copied().find(|&i| i >= from).unwrap_or(bytes.len());
                proptest::prop_assert_eq!(next_space(&map, from, bytes.len()), expected, "{}", from);
            }
        }
    }

    /// Records longer than the space map are split by the plain scan, with the same result.
    #[test]
    fn long_records_parse_alike() {
        let mut text = String::from("v=spf1");
        while text.len() <= SPACE_MAP_BYTES + 100 {
            text.push_str(" ip4:192.0.2.0/24  a:mail.example.com");
        }
        let record = Record::parse(text.as_bytes()).unwrap();
        assert_eq!(record.terms().len(), text.matches("ip4").count() * 2);
        text.push_str(" bogus");
        let error = Record::parse(text.as_bytes()).unwrap_err();
        assert_eq!(error.position(), text.len() - 5);
        assert_eq!(error.term(), b"bogus");
    }

    /// Records around the space map's length: the last term is found, and an error in it
    /// points at it.
    #[test]
    fn records_at_the_space_map_length() {
        for length in SPACE_MAP_BYTES - 12..SPACE_MAP_BYTES + 12 {
            let mut text = String::from("v=spf1");
            while text.len() + 10 < length {
                text.push_str(" a");
            }
            while text.len() + 3 < length {
                text.push(' ');
            }
            text.push_str(" mx");
            assert_eq!(text.len(), length);
            let record = Record::parse(text.as_bytes()).unwrap();
            assert_eq!(
                record.terms().last().map(ToString::to_string),
                Some("mx".to_owned())
            );
            text.push_str("/99");
            let error = Record::parse(text.as_bytes()).unwrap_err();
            assert_eq!(
                (error.term(), error.position()),
                (&b"mx/99"[..], length - 2)
            );
        }
    }

    #[test]
    fn error_position_points_at_the_term() {
        let error = Record::parse(b"v=spf1  mx  bogus:x -all").unwrap_err();
        assert_eq!(error.position(), 12);
        assert_eq!(error.term(), b"bogus:x");
        assert_eq!(
            error.to_string(),
            "unknown mechanism in term \"bogus:x\" at byte 12"
        );
    }
}
