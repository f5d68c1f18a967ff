//! `Received` trace fields (RFC 5321 §4.4).

use crate::date::{DateTime, parse_date};
use crate::error::Error;
use crate::lexer::{comment, is_wsp};

/// A parsed `Received` field: the clauses of RFC 5321 §4.4's `Stamp` and
/// the date-time after the `;`. Every value is a slice of the field value,
/// as written; a clause that is absent (or whose value is missing) is
/// `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Received<'a> {
    /// `from`: the client as the receiving host saw it.
    pub from: Option<ExtendedDomain<'a>>,
    /// `by`: the receiving host.
    pub by: Option<ExtendedDomain<'a>>,
    /// `via`: the link (`Link` in RFC 5321), e.g. `UUCP`.
    pub via: Option<&'a [u8]>,
    /// `with`: the protocol (`Protocol`), e.g. `ESMTPS` (RFC 3848 lists
    /// the registered values).
    pub with: Option<&'a [u8]>,
    /// `id`: the receiver's identifier of the message, without the angle
    /// brackets of a `msg-id`.
    pub id: Option<&'a [u8]>,
    /// `for`: the recipient (`Path` or `Mailbox`), without angle brackets.
    pub recipient: Option<&'a [u8]>,
    /// The date-time after the last `;`, when it parses (see
    /// [`parse_date`]).
    pub date: Option<DateTime>,
}

/// A host in a `from` or `by` clause.
///
/// ```text
/// Extended-Domain = Domain /                                  ; RFC 5321 §4.4
///                   ( Domain FWS "(" TCP-info ")" ) /
///                   ( address-literal FWS "(" TCP-info ")" )
/// TCP-info        = address-literal / ( Domain FWS address-literal )
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtendedDomain<'a> {
    /// The `Domain` or `address-literal` (brackets kept) as written; for
    /// `from`, the name the client gave in EHLO/HELO. `None` when only
    /// `TCP-info` was written (Microsoft's `from ([192.0.2.1])`).
    pub name: Option<&'a [u8]>,
    /// The `Domain` of `TCP-info`: the name the receiver found for the
    /// connection (usually by reverse DNS).
    pub tcp_info_domain: Option<&'a [u8]>,
    /// The `address-literal` of `TCP-info` without its brackets, e.g.
    /// `192.0.2.1` or `IPv6:2001:db8::1`: the address the connection came
    /// from. Only an address literal RFC 5321 §4.1.3 allows is taken
    /// (IPv4, `IPv6:`, `tag:content`), leniently also an untagged IPv6
    /// address and an IPv4 address with a port, whose port is left out.
    pub tcp_info_address: Option<&'a [u8]>,
}

/// Parses a `Received` field value.
///
/// ```text
/// Stamp      = From-domain By-domain Opt-info [CFWS] ";"   ; RFC 5321 §4.4
///              FWS date-time
/// Opt-info   = [Via] [With] [ID] [For] [Additional-Registered-Clauses]
/// Via        = CFWS "VIA" FWS Link
/// With       = CFWS "WITH" FWS Protocol
/// ID         = CFWS "ID" FWS ( Atom / msg-id )
/// For        = CFWS "FOR" FWS ( Path / Mailbox )
/// ```
///
/// Lenient, as the trace fields real servers write need: clause keywords
/// are matched without regard to case, clauses may come in any order or be
/// missing (`from` often is), words that start no known clause (other
/// clauses, software names) and comments between clauses are skipped, and
/// the first occurrence of each clause counts. `TCP-info` is looked for in
/// the comments after a `from` or `by` host, the first one holding an
/// `address-literal` counting (servers add other comments, such as the TLS
/// version, next to it). The date-time is the text after the last `;` that
/// is outside comments, quotes and angle brackets; if it does not parse,
/// [`Received::date`] is `None`.
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "received"` when the value has neither a
/// clause nor a date-time.
///
/// ```
/// use mailproof_message::parse_received;
///
/// let received = parse_received(
///     b" from mail.example.net (mail.example.net [192.0.2.25])\r\n\
///       \tby mx.example.com (Postfix) with ESMTPS id 4Q2Z6D\r\n\
///       \tfor <jane@example.com>; Tue, 29 Aug 2023 09:20:10 -0700 (PDT)",
/// )
/// .unwrap();
/// let from = received.from.unwrap();
/// assert_eq!(from.name, Some(&b"mail.example.net"[..]));
/// assert_eq!(from.tcp_info_address, Some(&b"192.0.2.25"[..]));
/// assert_eq!(received.by.unwrap().name, Some(&b"mx.example.com"[..]));
/// assert_eq!(received.with, Some(&b"ESMTPS"[..]));
/// assert_eq!(received.id, Some(&b"4Q2Z6D"[..]));
/// assert_eq!(received.recipient, Some(&b"jane@example.com"[..]));
/// assert_eq!(received.date.unwrap().timestamp(), 1_693_326_010);
/// ```
pub fn parse_received(value: &[u8]) -> Result<Received<'_>, Error> {
    let (clauses, date) = match last_semicolon(value) {
        Some(at) => (&value[..at], Some(&value[at + 1..])),
        None => (value, None),
    };
    let mut received = Received {
        date: date.and_then(|d| parse_date(d).ok()),
        ..Received::default()
    };
    let mut found_clause = false;
    let mut rest = clauses;
    loop {
        rest = skip_space_and_comments(rest);
        let Some((word, after)) = token(rest) else {
            break;
        };
        rest = after;
        let keyword = |name: &str| word.eq_ignore_ascii_case(name.as_bytes());
        if keyword("from") && received.from.is_none() {
            if let Some((host, after)) = extended_domain(rest) {
                received.from = Some(host);
                rest = after;
                found_clause = true;
            }
        } else if keyword("by") && received.by.is_none() {
            if let Some((host, after)) = extended_domain(rest) {
                received.by = Some(host);
                rest = after;
                found_clause = true;
            }
        } else if let Some(slot) = match () {
            () if keyword("via") => Some(&mut received.via),
            () if keyword("with") => Some(&mut received.with),
            () if keyword("id") => Some(&mut received.id),
            () if keyword("for") => Some(&mut received.recipient),
            () => None,
        } && slot.is_none()
            && let Some((value, after)) = clause_value(rest)
        {
            *slot = Some(value);
            rest = after;
            found_clause = true;
        }
    }
    if !found_clause && received.date.is_none() {
        return Err(Error::Syntax {
            field: "received",
            offset: 0,
        });
    }
    Ok(received)
}

/// The offset of the last `;` outside comments, quoted strings and angle
/// brackets (an unclosed one runs to the end).
fn last_semicolon(value: &[u8]) -> Option<usize> {
    let (mut depth, mut quoted, mut angle) = (0usize, false, false);
    let mut last = None;
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' if depth > 0 || quoted => i += 1,
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth = depth.saturating_sub(1),
            b'<' if depth == 0 && !quoted => angle = true,
            b'>' if depth == 0 && !quoted => angle = false,
            b';' if depth == 0 && !quoted && !angle => last = Some(i),
            _ => {}
        }
        i += 1;
    }
    last
}

/// Skips white space (folding included) and comments; an unclosed comment
/// runs to the end.
fn skip_space_and_comments(mut input: &[u8]) -> &[u8] {
    loop {
        let start = input
            .iter()
            .position(|&b| !is_wsp(b))
            .unwrap_or(input.len());
        input = &input[start..];
        if input.first() != Some(&b'(') {
            return input;
        }
        input = comment(input).map_or(&[][..], |(rest, _)| rest);
    }
}

/// One word: an angle-bracketed or square-bracketed span (brackets kept),
/// a quoted string, or a run up to white space or the start of one of
/// those or of a comment. `None` at the end of the input.
fn token(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let close = match input.first()? {
        b'<' => Some(b'>'),
        b'[' => Some(b']'),
        b'"' => Some(b'"'),
        _ => None,
    };
    let end = match close {
        Some(close) => input[1..]
            .iter()
            .position(|&b| b == close)
            .map_or(input.len(), |n| n + 2),
        None => input
            .iter()
            .position(|&b| is_wsp(b) || matches!(b, b'(' | b'<' | b'[' | b'"'))
            .unwrap_or(input.len()),
    };
    // Never empty: the first byte is either an opening bracket or not a
    // stop byte (the caller skipped white space and comments).
    let end = end.max(1);
    Some(input.split_at(end))
}

/// The value of a `via`, `with`, `id` or `for` clause: the next word after
/// white space, angle brackets removed.
fn clause_value(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let input = skip_wsp(input);
    if input.first() == Some(&b'(') {
        return None;
    }
    let (word, rest) = token(input)?;
    let word = match word {
        [b'<', inner @ .., b'>'] => inner,
        _ => word,
    };
    Some((word, rest))
}

fn skip_wsp(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| !is_wsp(b))
        .unwrap_or(input.len());
    &input[start..]
}

/// The host of a `from` or `by` clause and its `TCP-info`: the first of
/// the comments right after the host that holds one (or, as Exim 3 wrote
/// it, an address literal among them).
fn extended_domain(input: &[u8]) -> Option<(ExtendedDomain<'_>, &[u8])> {
    let input = skip_wsp(input);
    let (name, mut rest) = match input.first() {
        // No host, only TCP-info (Microsoft's `from ([192.0.2.1])`).
        Some(b'(') => (None, input),
        Some(b'<' | b'"') | None => return None,
        Some(_) => {
            let (name, rest) = token(input)?;
            (Some(name), rest)
        }
    };
    let mut host = ExtendedDomain {
        name,
        tcp_info_domain: None,
        tcp_info_address: None,
    };
    loop {
        let next = skip_wsp(rest);
        if next.first() == Some(&b'[') {
            // A bare literal among the comments (Exim 3, GMX).
            let Some((literal, after)) = token(next) else {
                break;
            };
            rest = after;
            if host.tcp_info_address.is_none() {
                host.tcp_info_address = literal
                    .strip_prefix(b"[")
                    .and_then(|l| l.strip_suffix(b"]"))
                    .and_then(address_literal);
            }
            continue;
        }
        let Ok((after, text)) = comment(next) else {
            break;
        };
        rest = after;
        if host.tcp_info_address.is_none()
            && let Some((domain, address)) = tcp_info(text)
        {
            host.tcp_info_domain = domain;
            host.tcp_info_address = Some(address);
        }
    }
    if host.name.is_none() && host.tcp_info_address.is_none() {
        return None;
    }
    Some((host, rest))
}

/// `TCP-info` at the start of a comment's text: `[Domain FWS]
/// address-literal`, anything after it ignored (Sendmail adds "(may be
/// forged)"); other words before the literal make it no TCP-info, except
/// Sendmail's `user@domain`, whose address is taken. Leniently, a bare address (`192.0.2.1`, `192.0.2.1:25`) as
/// the comment's first word counts as the literal, as qmail and Microsoft
/// write it; a domain that is an address is not taken as the domain.
fn tcp_info(text: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let text = skip_wsp(text);
    let word_end = text
        .iter()
        .position(|&b| is_wsp(b) || matches!(b, b'[' | b',' | b'(' | b')'))
        .unwrap_or(text.len());
    let (word, rest) = text.split_at(word_end);
    let rest = skip_wsp(rest);
    if let Some(inner) = rest.strip_prefix(b"[") {
        // "Domain FWS address-literal", or just the literal (empty word).
        let close = inner.iter().position(|&b| b == b']')?;
        let address = address_literal(&inner[..close])?;
        let is_domain = !word.is_empty()
            && word
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        // Sendmail writes "ident-user@domain [address]": the address
        // stands, the user is no domain.
        if !word.is_empty() && !is_domain && !word.contains(&b'@') {
            return None;
        }
        let domain = (is_domain && bare_ip(word).is_none()).then_some(word);
        return Some((domain, address));
    }
    bare_ip(word).map(|address| (None, address))
}

/// The address of an `address-literal`'s text (between the brackets):
/// IPv4, `IPv6:` and an IPv6 address, or a General-address-literal
/// (`tag:content`, RFC 5321 §4.1.3). Leniently an untagged IPv6 address
/// and an IPv4 address with a port (`192.0.2.1:25`, the port dropped).
fn address_literal(text: &[u8]) -> Option<&[u8]> {
    if let Some(address) = bare_ip(text) {
        return Some(address);
    }
    if text
        .get(..5)
        .is_some_and(|tag| tag.eq_ignore_ascii_case(b"IPv6:"))
    {
        return std::str::from_utf8(&text[5..])
            .ok()
            .and_then(|a| a.parse::<std::net::Ipv6Addr>().ok())
            .map(|_| text);
    }
    // General-address-literal = Standardized-tag ":" 1*dcontent
    let (tag, content) = text.split_at(text.iter().position(|&b| b == b':')?);
    let content = &content[1..];
    let tag_ok = tag.first().is_some_and(u8::is_ascii_alphabetic)
        && tag.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-');
    let content_ok =
        !content.is_empty() && content.iter().all(|&b| matches!(b, 33..=90 | 94..=126));
    (tag_ok && content_ok).then_some(text)
}

/// An IPv4 or IPv6 address, or an IPv4 address and a port: the address.
fn bare_ip(text: &[u8]) -> Option<&[u8]> {
    let as_str = std::str::from_utf8(text).ok()?;
    if as_str.parse::<std::net::IpAddr>().is_ok() {
        return Some(text);
    }
    let (address, port) = as_str.rsplit_once(':')?;
    let port_ok = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (port_ok && address.parse::<std::net::Ipv4Addr>().is_ok()).then(|| &text[..address.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_5321_stamp() {
        let r = parse_received(
            b" from a.example (b.example [192.0.2.1]) by c.example via UUCP with ESMTP id <x@y> for <u@v>; 1 Jan 2024 00:00:00 +0000",
        )
        .unwrap();
        let from = r.from.unwrap();
        assert_eq!(from.name, Some(&b"a.example"[..]));
        assert_eq!(from.tcp_info_domain, Some(&b"b.example"[..]));
        assert_eq!(from.tcp_info_address, Some(&b"192.0.2.1"[..]));
        assert_eq!(r.by.unwrap().tcp_info_address, None);
        assert_eq!(r.via, Some(&b"UUCP"[..]));
        assert_eq!(r.with, Some(&b"ESMTP"[..]));
        assert_eq!(r.id, Some(&b"x@y"[..]));
        assert_eq!(r.recipient, Some(&b"u@v"[..]));
        assert_eq!(r.date.unwrap().year, 2024);
    }

    #[test]
    fn lenient_forms() {
        // No from, keywords in capitals, clauses out of order, a comment
        // glued to the next keyword, an unknown clause.
        let r = parse_received(
            b"BY mx (Exim 4.50) with local for <a@b> id 1GF; Tue, 22 Aug 2006 21:06:04 +0200",
        )
        .unwrap();
        assert!(r.from.is_none());
        assert_eq!(r.by.unwrap().name, Some(&b"mx"[..]));
        assert_eq!(r.recipient, Some(&b"a@b"[..]));
        assert_eq!(r.id, Some(&b"1GF"[..]));
        let r =
            parse_received(b"from x (localhost [127.0.0.1])by  y from stdin; bad date").unwrap();
        assert_eq!(r.from.unwrap().tcp_info_address, Some(&b"127.0.0.1"[..]));
        assert_eq!(r.by.unwrap().name, Some(&b"y"[..]));
        assert!(r.date.is_none());
        // Text before the literal that is no domain: not TCP-info, but for
        // Sendmail's ident form.
        let r =
            parse_received(b"from h (HELO x [10.0.0.1]) (TLS) by m; 1 Jan 2024 00:00 Z").unwrap();
        let from = r.from.unwrap();
        assert_eq!((from.tcp_info_domain, from.tcp_info_address), (None, None));
        let r = parse_received(b"from h (user@h [10.0.0.1]) by m").unwrap();
        let from = r.from.unwrap();
        assert_eq!(from.tcp_info_domain, None);
        assert_eq!(from.tcp_info_address, Some(&b"10.0.0.1"[..]));
        // Bare addresses, ports, tags, a literal after the host, no host.
        let address = |v: &'static [u8]| parse_received(v).unwrap().from.unwrap().tcp_info_address;
        assert_eq!(address(b"from h (192.0.2.1) by m"), Some(&b"192.0.2.1"[..]));
        assert_eq!(
            address(b"from h(192.0.2.1:25) by m"),
            Some(&b"192.0.2.1"[..])
        );
        assert_eq!(address(b"from h ([IPv6:::1]) by m"), Some(&b"IPv6:::1"[..]));
        assert_eq!(address(b"from h [192.0.2.1] by m"), Some(&b"192.0.2.1"[..]));
        assert_eq!(address(b"from h (x [unix socket]) by m"), None);
        assert_eq!(address(b"from h (x [1.2.3.4.5]) by m"), None);
        let r = parse_received(b"from ([192.0.2.1]) by m").unwrap();
        assert_eq!(r.from.unwrap().name, None);
        let from = parse_received(b"from h (192.0.2.1 [192.0.2.1])")
            .unwrap()
            .from
            .unwrap();
        assert_eq!(from.tcp_info_domain, None);
        let r = parse_received(b"from h (using TLSv1.3) ([10.0.0.1]) by m").unwrap();
        assert_eq!(r.from.unwrap().tcp_info_address, Some(&b"10.0.0.1"[..]));
        // A `;` in a comment or an address is not the date's.
        let r = parse_received(b"from h (a;b) by m for <\"x;y\"@z>").unwrap();
        assert!(r.date.is_none());
        assert_eq!(r.recipient, Some(&b"\"x;y\"@z"[..]));
    }

    #[test]
    fn nothing_to_parse() {
        assert!(parse_received(b"").is_err());
        assert!(parse_received(b" garbage (comment) ").is_err());
        assert!(parse_received(b"from").is_err());
        assert!(parse_received(b"(unclosed").is_err());
        assert!(parse_received(b"; 1 Jan 2024 00:00:00 +0000").is_ok());
    }
}
