//! Address lists (RFC 5322 §3.4, obsolete forms of §4.4, RFC 6532 UTF-8).
//!
//! The grammar is RFC 5322's, with the obsolete forms, plus a few leniencies
//! needed by real mail, each marked "lenient" below. None of them can turn
//! something without a domain into a mailbox with one: a lenient parse
//! leaves [`Mailbox::domain`] empty, which DMARC treats as "no author
//! domain".

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::{tag, take_until};
use nom::combinator::{opt, recognize};
use nom::error::ErrorKind;
use nom::multi::many0_count;

use crate::error::Error;
use crate::lexer::{self, PResult, atext, cfws, opt_cfws, phrase, phrase_text, quoted_string_text};

/// One address: a mailbox or a group of mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address<'a> {
    /// A single mailbox.
    Mailbox(Mailbox<'a>),
    /// A named group (`name: a@x, b@y;`), possibly empty.
    Group(Group<'a>),
}

impl<'a> Address<'a> {
    /// The mailboxes of this address: itself, or the group's members.
    pub fn mailboxes(&self) -> &[Mailbox<'a>] {
        match self {
            Address::Mailbox(m) => core::slice::from_ref(m),
            Address::Group(g) => &g.mailboxes,
        }
    }
}

/// A mailbox: an optional display name and an address.
///
/// `local_part` and `domain` hold the semantic value: quotes and escapes
/// removed, comments and folding white space dropped. They borrow from the
/// input when it was written in the plain `dot-atom` form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mailbox<'a> {
    /// The display name, RFC 2047 encoded words decoded. When the mailbox has
    /// no display name but carries comments (`jdoe@example.org (John Doe)`),
    /// the comments' text is used, as mail readers do.
    pub display_name: Option<Cow<'a, str>>,
    /// The local part (before the `@`); for a lenient parse without `@` the
    /// whole address text (e.g. a URL in `List-*` fields, or `foo` in
    /// `From: foo`).
    pub local_part: Cow<'a, [u8]>,
    /// The domain as written (without comments and white space); `None` when
    /// the address has no `@domain` part.
    pub domain: Option<Cow<'a, [u8]>>,
    /// The obsolete source route (`@node.test` in `<@node.test:mary@example.net>`,
    /// RFC 5322 §4.4), as written; it has no meaning today.
    pub route: Option<&'a [u8]>,
}

impl Mailbox<'_> {
    /// `local-part@domain` (or the local part alone when there is no domain),
    /// without quoting.
    pub fn addr_spec(&self) -> Vec<u8> {
        let mut out = self.local_part.to_vec();
        if let Some(domain) = &self.domain {
            out.push(b'@');
            out.extend_from_slice(domain);
        }
        out
    }
}

/// A group: a display name and zero or more mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Group<'a> {
    /// The group's name, encoded words decoded.
    pub name: Cow<'a, str>,
    /// The members; empty for `undisclosed-recipients:;`.
    pub mailboxes: Vec<Mailbox<'a>>,
}

/// Parses an address list: the value of `From`, `To`, `Cc`, `Bcc`,
/// `Reply-To`, `Sender` and their `Resent-` forms.
///
/// ```text
/// address-list  = (address *("," address)) / obs-addr-list     ; RFC 5322 §3.4
/// obs-addr-list = *([CFWS] ",") address *("," [address / CFWS]) ; RFC 5322 §4.4
/// ```
///
/// An empty or all-white-space value gives an empty list.
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "address-list"` and the offset where
/// parsing stopped when the value is not an address list.
///
/// # Example
///
/// ```
/// use mailproof_message::{Address, parse_address_list};
///
/// let list = parse_address_list(b" \"Smith, Mary\" <mary@x.test>, jdoe@example.org").unwrap();
/// let Address::Mailbox(mary) = &list[0] else { panic!() };
/// assert_eq!(mary.display_name.as_deref(), Some("Smith, Mary"));
/// assert_eq!(mary.addr_spec(), b"mary@x.test");
/// assert_eq!(list[1].mailboxes()[0].domain.as_deref(), Some(&b"example.org"[..]));
/// ```
pub fn parse_address_list(value: &[u8]) -> Result<Vec<Address<'_>>, Error> {
    address_list(value)
        .map(|(_, list)| list)
        .map_err(|rest| Error::Syntax {
            field: "address-list",
            offset: value.len() - rest.len(),
        })
}

/// The list loop; on failure returns the unparsed rest.
fn address_list(input: &[u8]) -> Result<(&[u8], Vec<Address<'_>>), &[u8]> {
    let mut list = Vec::new();
    let mut rest = input;
    loop {
        // Leading CFWS stays with the address: its comments may be the name.
        let skipped = lexer::skip_cfws(rest);
        match skipped.first() {
            None => return Ok((skipped, list)),
            Some(b',') => {
                rest = &skipped[1..];
                continue;
            }
            Some(_) => {}
        }
        let Ok((r, address)) = address(rest) else {
            return Err(rest);
        };
        // Lenient: no "," needed after a group's ";" (`g1: a; g2: b;`).
        let after_group = matches!(address, Address::Group(_));
        list.push(address);
        let r = lexer::skip_cfws(r);
        rest = r;
        match rest.first() {
            None => return Ok((rest, list)),
            Some(b',') => rest = &rest[1..],
            Some(_) if after_group => {}
            Some(_) => return Err(rest),
        }
    }
}

/// ```text
/// address = mailbox / group                   ; RFC 5322 §3.4
/// ```
pub(crate) fn address(input: &[u8]) -> PResult<'_, Address<'_>> {
    if let Ok((rest, g)) = group(input) {
        return Ok((rest, Address::Group(g)));
    }
    mailbox(input).map(|(rest, m)| (rest, Address::Mailbox(m)))
}

/// ```text
/// group          = display-name ":" [group-list] ";" [CFWS]   ; RFC 5322 §3.4
/// group-list     = mailbox-list / CFWS / obs-group-list
/// obs-group-list = 1*([CFWS] ",") [CFWS]                       ; RFC 5322 §4.4
/// obs-mbox-list  = *([CFWS] ",") mailbox *("," [mailbox / CFWS])
/// ```
///
/// Lenient: a missing final `;` at the end of the value is accepted.
fn group(input: &[u8]) -> PResult<'_, Group<'_>> {
    let (rest, words) = phrase(input)?;
    let (mut rest, _) = tag(&b":"[..]).parse(rest)?;
    let mut mailboxes = Vec::new();
    loop {
        let skipped = lexer::skip_cfws(rest);
        match skipped.first() {
            None => {
                rest = skipped;
                break;
            }
            Some(b';') => {
                rest = &skipped[1..];
                break;
            }
            Some(b',') => {
                rest = &skipped[1..];
                continue;
            }
            Some(_) => {}
        }
        let (r, m) = mailbox(rest)?;
        mailboxes.push(m);
        let r = lexer::skip_cfws(r);
        rest = r;
        match rest.first() {
            Some(b',') => rest = &rest[1..],
            Some(b';') | None => {}
            Some(_) => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    rest,
                    ErrorKind::Tag,
                )));
            }
        }
    }
    let rest = lexer::skip_cfws(rest);
    Ok((
        rest,
        Group {
            name: Cow::Owned(phrase_text(&words)),
            mailboxes,
        },
    ))
}

/// ```text
/// mailbox = name-addr / addr-spec              ; RFC 5322 §3.4
/// ```
///
/// Lenient: a bare phrase (`From: foo`, `NO (posting not allowed)`) is a
/// mailbox whose local part is the phrase and which has no domain.
pub(crate) fn mailbox(input: &[u8]) -> PResult<'_, Mailbox<'_>> {
    let (rest, mut mailbox) = if let Ok(ok) = name_addr(input) {
        ok
    } else if let Ok((rest, (local_part, domain))) = addr_spec(input) {
        (
            rest,
            Mailbox {
                display_name: None,
                local_part,
                domain: Some(domain),
                route: None,
            },
        )
    } else {
        let (rest, words) = phrase(input)?;
        let local_part = Cow::Owned(phrase_text(&words).into_bytes());
        (
            rest,
            Mailbox {
                display_name: None,
                local_part,
                domain: None,
                route: None,
            },
        )
    };
    if mailbox.display_name.is_none() {
        let texts = span_comments(&input[..input.len() - rest.len()]);
        if !texts.is_empty() {
            mailbox.display_name = Some(Cow::Owned(texts.join(" ")));
        }
    }
    Ok((rest, mailbox))
}

/// Texts of the comments in `span` that are not inside quoted strings.
fn span_comments(span: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < span.len() {
        match span[i] {
            b'"' => match quoted_string_text(&span[i..]) {
                Ok((rest, _)) => i = span.len() - rest.len(),
                Err(_) => break,
            },
            b'(' => match lexer::comment(&span[i..]) {
                Ok((rest, _)) => {
                    out.extend(lexer::comments(&span[i..span.len() - rest.len()]));
                    i = span.len() - rest.len();
                }
                Err(_) => break,
            },
            _ => i += 1,
        }
    }
    out.retain(|t| !t.is_empty());
    out
}

/// ```text
/// name-addr    = [display-name] angle-addr      ; RFC 5322 §3.4
/// display-name = phrase
/// ```
///
/// Lenient: the display name may contain `@` and `.`
/// (`phil@example.com <phil@example.com>`), and a phrase after the
/// angle address (`<a@b.com> Doe`) is taken as the display name.
fn name_addr(input: &[u8]) -> PResult<'_, Mailbox<'_>> {
    let (rest, words) = opt(|i| lexer::phrase_with(i, b".@")).parse(input)?;
    let (rest, (route, local_part, domain)) = angle_addr(rest)?;
    let mut display_name = words.map(|w| phrase_text(&w));
    let (rest, trailing) = opt(phrase).parse(rest)?;
    if let Some(trailing) = trailing {
        let trailing = phrase_text(&trailing);
        display_name = Some(match display_name {
            Some(name) => format!("{name} {trailing}"),
            None => trailing,
        });
    }
    Ok((
        rest,
        Mailbox {
            display_name: display_name.map(Cow::Owned),
            local_part,
            domain,
            route,
        },
    ))
}

/// The parts of an angle address: route, local part, domain.
type AngleParts<'a> = (Option<&'a [u8]>, Cow<'a, [u8]>, Option<Cow<'a, [u8]>>);

/// ```text
/// angle-addr     = [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr   ; RFC 5322 §3.4
/// obs-angle-addr = [CFWS] "<" obs-route addr-spec ">" [CFWS]          ; RFC 5322 §4.4
/// ```
///
/// Lenient: `<` anything `>` that is not an addr-spec (a URL in `List-*`
/// fields, `<>`, `<foo>`) gives a local part with that text and no domain.
fn angle_addr(input: &[u8]) -> PResult<'_, AngleParts<'_>> {
    let (rest, _) = (opt_cfws, tag(&b"<"[..])).parse(input)?;
    let strict = (opt(obs_route), addr_spec, opt_cfws, tag(&b">"[..])).parse(rest);
    let (rest, parts) = if let Ok((rest, (route, (local, domain), _, _))) = strict {
        (rest, (route, local, Some(domain)))
    } else {
        let (rest, inner) = take_until(&b">"[..]).parse(rest)?;
        (&rest[1..], (None, Cow::Borrowed(inner.trim_ascii()), None))
    };
    let rest = lexer::skip_cfws(rest);
    Ok((rest, parts))
}

/// The route as written, without the final colon and surrounding space.
///
/// ```text
/// obs-route       = obs-domain-list ":"                          ; RFC 5322 §4.4
/// obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
/// ```
fn obs_route(input: &[u8]) -> PResult<'_, &[u8]> {
    let (rest, list) = recognize((
        many0_count(nom::branch::alt((cfws, tag(&b","[..])))),
        tag(&b"@"[..]),
        domain,
        many0_count((tag(&b","[..]), opt_cfws, opt((tag(&b"@"[..]), domain)))),
    ))
    .parse(input)?;
    let (rest, _) = tag(&b":"[..]).parse(rest)?;
    Ok((rest, list.trim_ascii()))
}

/// A local part and a domain.
type AddrSpec<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// ```text
/// addr-spec = local-part "@" domain             ; RFC 5322 §3.4.1
/// ```
pub(crate) fn addr_spec(input: &[u8]) -> PResult<'_, AddrSpec<'_>> {
    let (rest, local) = local_part(input)?;
    let (rest, _) = tag(&b"@"[..]).parse(rest)?;
    let (rest, domain) = domain(rest)?;
    Ok((rest, (local, domain)))
}

/// Dot-separated pieces with optional CFWS around each; returns the value
/// (borrowed when the pieces are contiguous atoms) and the rest.
///
/// `quoted` allows quoted-string pieces (local parts, not domains).
fn dotted(input: &[u8], quoted: bool) -> PResult<'_, Cow<'_, [u8]>> {
    let mut pieces: Vec<Cow<'_, [u8]>> = Vec::new();
    let mut plain = true; // contiguous atoms only, so far
    let mut start = None;
    let mut end = 0;
    let mut rest = input;
    loop {
        let (r, space) = opt_cfws(rest)?;
        let piece_start = input.len() - r.len();
        let (r, piece) = if let Ok((r, a)) = atext(r) {
            (r, Cow::Borrowed(a))
        } else if let (true, Ok((r, q))) = (quoted, quoted_string_text(r)) {
            plain = false;
            (r, lexer::unquote(q))
        } else if pieces.is_empty() {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                ErrorKind::AlphaNumeric,
            )));
        } else {
            // A dot with nothing after it: stop before the dot.
            return Ok((rest, finish(input, &pieces, plain, start, end)));
        };
        if !pieces.is_empty() && !space.is_empty() {
            plain = false;
        }
        start.get_or_insert(piece_start);
        end = input.len() - r.len();
        pieces.push(piece);
        let (r, space) = opt_cfws(r)?;
        match r.first() {
            Some(b'.') => {
                if !space.is_empty() {
                    plain = false;
                }
                rest = &r[1..];
            }
            _ => return Ok((r, finish(input, &pieces, plain, start, end))),
        }
    }
}

fn finish<'a>(
    input: &'a [u8],
    pieces: &[Cow<'a, [u8]>],
    plain: bool,
    start: Option<usize>,
    end: usize,
) -> Cow<'a, [u8]> {
    match start {
        Some(start) if plain => Cow::Borrowed(&input[start..end]),
        _ => Cow::Owned(pieces.join(&b"."[..])),
    }
}

/// ```text
/// local-part     = dot-atom / quoted-string / obs-local-part   ; RFC 5322 §3.4.1
/// obs-local-part = word *("." word)                            ; RFC 5322 §4.4
/// ```
fn local_part(input: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    dotted(input, true)
}

/// ```text
/// domain         = dot-atom / domain-literal / obs-domain       ; RFC 5322 §3.4.1
/// domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS]
/// obs-domain     = atom *("." atom)                             ; RFC 5322 §4.4
/// ```
///
/// A domain literal is returned with its brackets.
fn domain(input: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let (rest, _) = opt_cfws(input)?;
    if rest.first() == Some(&b'[') {
        let (after, literal) =
            recognize((tag(&b"["[..]), take_until(&b"]"[..]), tag(&b"]"[..]))).parse(rest)?;
        let (after, _) = opt_cfws(after)?;
        return Ok((after, Cow::Borrowed(literal)));
    }
    dotted(input, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Mailbox<'_> {
        let list = parse_address_list(value.as_bytes()).unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        match list.into_iter().next() {
            Some(Address::Mailbox(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_forms_borrow() {
        let m = one("John Doe <jdoe@machine.example>");
        assert_eq!(m.display_name.as_deref(), Some("John Doe"));
        assert!(matches!(m.local_part, Cow::Borrowed(b"jdoe")));
        assert!(matches!(m.domain, Some(Cow::Borrowed(b"machine.example"))));
        let m = one(" jdoe@example.org ");
        assert_eq!(m.display_name, None);
        assert_eq!(m.addr_spec(), b"jdoe@example.org");
    }

    #[test]
    fn obsolete_forms() {
        let m = one("Mary Smith <@node.test,@x.test:mary@example.net>");
        assert_eq!(m.route, Some(&b"@node.test,@x.test"[..]));
        assert_eq!(m.addr_spec(), b"mary@example.net");
        let m = one("jdoe@test  . example");
        assert_eq!(m.domain.as_deref(), Some(&b"test.example"[..]));
        let m = one("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
        assert_eq!(m.display_name.as_deref(), Some("Pete"));
        assert_eq!(m.addr_spec(), b"pete@silly.test");
        let m = one("\"john doe\".x@[1.2.3.4]");
        assert_eq!(m.local_part, &b"john doe.x"[..]);
        assert_eq!(m.domain.as_deref(), Some(&b"[1.2.3.4]"[..]));
    }

    #[test]
    fn comments_as_name() {
        let m = one("jdoe@example.org (John Doe)");
        assert_eq!(m.display_name.as_deref(), Some("John Doe"));
        let m = one("(Use this) <mailto:x@y?a=b>");
        assert_eq!(m.display_name.as_deref(), Some("Use this"));
        assert_eq!(m.domain, None);
    }

    #[test]
    fn groups() {
        let list = parse_address_list(
            b"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>; x@y",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        let Address::Group(g) = &list[0] else {
            panic!()
        };
        assert_eq!(g.name, "A Group");
        assert_eq!(g.mailboxes.len(), 3);
        let list = parse_address_list(b"g1: a@x; g2: b@y;").unwrap();
        assert_eq!(list.len(), 2);
        let list = parse_address_list(b"undisclosed-recipients:;").unwrap();
        assert!(list[0].mailboxes().is_empty());
    }

    #[test]
    fn no_domain_is_lenient_but_visible() {
        let m = one("foo");
        assert_eq!((m.local_part.as_ref(), m.domain), (&b"foo"[..], None));
        let m = one("<foo>");
        assert_eq!(m.domain, None);
        let m = one("<>");
        assert_eq!((m.local_part.as_ref(), m.domain), (&b""[..], None));
    }

    #[test]
    fn encoded_words_and_utf8() {
        let m = one("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>");
        assert_eq!(m.display_name.as_deref(), Some("Keld Jørn Simonsen"));
        let m = one("Jörg <jörg@bücher.example>");
        assert_eq!(m.domain.as_deref(), Some("bücher.example".as_bytes()));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            parse_address_list(b"a@b.c d@e.f"),
            Err(Error::Syntax {
                field: "address-list",
                offset: 6
            })
        );
        assert!(parse_address_list(b"<unclosed@x").is_err());
        assert!(parse_address_list(b"\"unclosed").is_err());
        assert_eq!(parse_address_list(b" , ,").unwrap(), Vec::new());
    }
}
