//! The nom parser the hand-written one replaced, kept as the reference the property tests
//! compare it with (`record::tests`). Test-only.

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{digit1, one_of};
use nom::combinator::{all_consuming, eof, opt, recognize, value};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::record::{
    AlignmentMode, FailureOptions, KNOWN_TAGS, Policy, PsdTag, Record, RecordError, TagProblemKind,
};
use crate::uri::ReportUri;

/// `Record::parse` as it was, with nom.
pub(crate) fn parse(text: &[u8]) -> Result<Record, RecordError> {
    let Ok((rest, ())) = dmarc_version(text) else {
        return Err(RecordError::NotDmarc);
    };
    let mut record = Record::empty();
    // Tags seen so far: the known ones as bits, others (rare) in a list.
    let mut seen_known = 0u16;
    let mut seen_other: Vec<&[u8]> = Vec::new();
    let mut offset = text.len() - rest.len();
    for segment in rest.split(|&b| b == b';') {
        let segment_offset = offset;
        offset += segment.len() + 1;
        let trimmed = trim_wsp(segment);
        if trimmed.is_empty() {
            continue;
        }
        let tag_offset = segment_offset + (segment.len() - trim_wsp_start(segment).len());
        let Ok((_, (name, tag_value))) = all_consuming(dmarc_tag).parse(trimmed) else {
            record.problem(trimmed, tag_offset, TagProblemKind::Malformed);
            continue;
        };
        let duplicate = match KNOWN_TAGS.iter().position(|&known| known == name) {
            Some(bit) => {
                let mask = 1 << bit;
                let duplicate = seen_known & mask != 0;
                seen_known |= mask;
                duplicate
            }
            None if seen_other.contains(&name) => true,
            None => {
                seen_other.push(name);
                false
            }
        };
        if duplicate {
            record.problem(name, tag_offset, TagProblemKind::Duplicate);
            continue;
        }
        apply_tag(&mut record, name, tag_value, tag_offset);
    }
    Ok(record)
}

fn apply_tag(this: &mut Record, name: &[u8], tag_value: &[u8], offset: usize) {
    let ok = match name {
        b"p" => set(&mut this.policy, parse_whole(dmarc_request, tag_value)),
        b"sp" => set(
            &mut this.subdomain_policy,
            parse_whole(dmarc_request, tag_value),
        ),
        b"np" => set(
            &mut this.nonexistent_subdomain_policy,
            parse_whole(dmarc_request, tag_value),
        ),
        b"psd" => assign(&mut this.public_suffix, parse_whole(dmarc_psd, tag_value)),
        b"t" => assign(&mut this.testing, parse_whole(dmarc_yorn, tag_value)),
        b"adkim" => assign(&mut this.dkim_alignment, parse_whole(dmarc_rors, tag_value)),
        b"aspf" => assign(&mut this.spf_alignment, parse_whole(dmarc_rors, tag_value)),
        b"fo" => assign(&mut this.failure_options, parse_failure_options(tag_value)),
        b"rua" | b"ruf" => {
            let (uris, bad) = parse_uri_list(tag_value);
            for bad_offset in bad {
                this.problem(name, offset + bad_offset, TagProblemKind::InvalidUri);
            }
            if name == b"rua" {
                this.aggregate_report_uris = uris;
            } else {
                this.failure_report_uris = uris;
            }
            true
        }
        b"pct" => set(&mut this.percent, parse_whole(rfc7489_percent, tag_value)),
        b"rf" => {
            let formats: Option<Vec<String>> = tag_value
                .split(|&b| b == b':')
                .map(|f| {
                    let f = trim_wsp(f);
                    (!f.is_empty() && f.iter().all(u8::is_ascii_alphanumeric))
                        .then(|| String::from_utf8_lossy(f).to_ascii_lowercase())
                })
                .collect();
            assign(&mut this.report_formats, formats)
        }
        b"ri" => set(
            &mut this.report_interval_seconds,
            parse_whole(rfc7489_interval, tag_value),
        ),
        // RFC 9989 §4.7: "unknown tags MUST be ignored".
        _ => true,
    };
    if !ok {
        this.problem(name, offset, TagProblemKind::InvalidValue);
    }
}

fn set<T>(slot: &mut Option<T>, parsed: Option<T>) -> bool {
    match parsed {
        Some(v) => {
            *slot = Some(v);
            true
        }
        None => false,
    }
}

fn assign<T>(slot: &mut T, parsed: Option<T>) -> bool {
    match parsed {
        Some(v) => {
            *slot = v;
            true
        }
        None => false,
    }
}

fn parse_whole<'a, T>(
    parser: impl Parser<&'a [u8], Output = T, Error = nom::error::Error<&'a [u8]>>,
    input: &'a [u8],
) -> Option<T> {
    all_consuming(parser).parse(input).ok().map(|(_, v)| v)
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_wsp_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_wsp(b)).unwrap_or(s.len());
    &s[start..]
}

fn trim_wsp(s: &[u8]) -> &[u8] {
    let s = trim_wsp_start(s);
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
    &s[..end]
}

/// `equals = *WSP "=" *WSP`
fn equals(input: &[u8]) -> IResult<&[u8], ()> {
    value((), (take_while(is_wsp), tag(&b"="[..]), take_while(is_wsp))).parse(input)
}

/// `dmarc-version = "v" equals %s"DMARC1"`, followed by the end of the record or by
/// `dmarc-sep` (`*WSP ";" *WSP`), which the caller splits on. ABNF's `"v"` is
/// case-insensitive; `%s"DMARC1"` is not (RFC 7405).
fn dmarc_version(input: &[u8]) -> IResult<&[u8], ()> {
    let (rest, ()) =
        value((), (tag_no_case(&b"v"[..]), equals, tag(&b"DMARC1"[..]))).parse(input)?;
    let (after_wsp, _) = take_while(is_wsp).parse(rest)?;
    let (_, ()) = alt((value((), eof), value((), tag(&b";"[..])))).parse(after_wsp)?;
    Ok((after_wsp, ()))
}

/// `dmarc-tag = 1*ALPHA equals 1*dmarc-value`, with
/// `dmarc-value = %x20-3A / %x3C-7E` ("any printing characters but semicolon"). Trailing
/// white space belongs to `dmarc-sep` and is trimmed by the caller.
fn dmarc_tag(input: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    (
        take_while1(|b: u8| b.is_ascii_alphabetic()),
        preceded(
            equals,
            take_while1(|b: u8| (0x20..=0x7e).contains(&b) && b != b';'),
        ),
    )
        .parse(input)
}

/// `dmarc-request = "none" / "quarantine" / "reject"` (case-insensitive ABNF strings).
fn dmarc_request(input: &[u8]) -> IResult<&[u8], Policy> {
    alt((
        value(Policy::None, tag_no_case(&b"none"[..])),
        value(Policy::Quarantine, tag_no_case(&b"quarantine"[..])),
        value(Policy::Reject, tag_no_case(&b"reject"[..])),
    ))
    .parse(input)
}

/// `dmarc-yorn = "y" / "n"`
fn dmarc_yorn(input: &[u8]) -> IResult<&[u8], bool> {
    alt((
        value(true, tag_no_case(&b"y"[..])),
        value(false, tag_no_case(&b"n"[..])),
    ))
    .parse(input)
}

/// `dmarc-psd = "y" / "n" / "u"`
fn dmarc_psd(input: &[u8]) -> IResult<&[u8], PsdTag> {
    alt((
        value(PsdTag::PublicSuffixDomain, tag_no_case(&b"y"[..])),
        value(PsdTag::OrganizationalDomain, tag_no_case(&b"n"[..])),
        value(PsdTag::Undetermined, tag_no_case(&b"u"[..])),
    ))
    .parse(input)
}

/// `dmarc-rors = "r" / "s"`
fn dmarc_rors(input: &[u8]) -> IResult<&[u8], AlignmentMode> {
    alt((
        value(AlignmentMode::Relaxed, tag_no_case(&b"r"[..])),
        value(AlignmentMode::Strict, tag_no_case(&b"s"[..])),
    ))
    .parse(input)
}

/// `dmarc-fo`: a colon-separated list of `0`, `1`, `d`, `s`; "each may appear at most once",
/// and "0" and "1" are mutually exclusive (RFC 9989 §4.7–§4.8).
fn parse_failure_options(input: &[u8]) -> Option<FailureOptions> {
    let mut options = FailureOptions {
        all_fail: false,
        any_fail: false,
        dkim_failure: false,
        spf_failure: false,
    };
    for item in input.split(|&b| b == b':') {
        let flag = match trim_wsp(item) {
            b"0" => &mut options.all_fail,
            b"1" => &mut options.any_fail,
            b"d" | b"D" => &mut options.dkim_failure,
            b"s" | b"S" => &mut options.spf_failure,
            _ => return None,
        };
        if *flag {
            return None;
        }
        *flag = true;
    }
    if options.all_fail && options.any_fail {
        return None;
    }
    if !options.any_fail && !options.dkim_failure && !options.spf_failure {
        options.all_fail = true;
    }
    Some(options)
}

/// RFC 7489 §6.4: `dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT`, 0 to 100.
fn rfc7489_percent(input: &[u8]) -> IResult<&[u8], u8> {
    nom::combinator::map_opt(digit1, |digits: &[u8]| {
        if digits.len() > 3 {
            return None;
        }
        let n = std::str::from_utf8(digits).ok()?.parse::<u8>().ok()?;
        (n <= 100).then_some(n)
    })
    .parse(input)
}

/// RFC 7489 §6.4: `dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT` (a 32-bit count of seconds).
fn rfc7489_interval(input: &[u8]) -> IResult<&[u8], u32> {
    nom::combinator::map_opt(digit1, |digits: &[u8]| {
        std::str::from_utf8(digits).ok()?.parse::<u32>().ok()
    })
    .parse(input)
}

/// Parses a `dmarc-urilist`; returns the valid URIs and the byte offsets (within `list`) of
/// entries that are not URIs.
fn parse_uri_list(list: &[u8]) -> (Vec<ReportUri>, Vec<usize>) {
    let mut uris = Vec::new();
    let mut bad = Vec::new();
    let mut offset = 0;
    for entry in list.split(|&b| b == b',') {
        let entry_offset = offset;
        offset += entry.len() + 1;
        let trimmed = trim_wsp(entry);
        match all_consuming(dmarc_uri_with_size).parse(trimmed) {
            Ok((_, (uri, size))) => match std::str::from_utf8(uri)
                .ok()
                .and_then(|text| text.find(':'))
                .and_then(|scheme_len| ReportUri::new(uri, scheme_len, size))
            {
                Some(uri) => uris.push(uri),
                None => bad.push(entry_offset),
            },
            Err(_) => bad.push(entry_offset),
        }
    }
    (uris, bad)
}

/// `dmarc-uri / obs-dmarc-uri`: a URI, then optionally the obsolete
/// `obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]`.
#[allow(clippy::type_complexity)]
fn dmarc_uri_with_size(input: &[u8]) -> IResult<&[u8], (&[u8], Option<(&[u8], Option<char>)>)> {
    (
        dmarc_uri,
        opt(preceded(tag(&b"!"[..]), (digit1, opt(one_of("kmgtKMGT"))))),
    )
        .parse(input)
}

/// `dmarc-uri = URI` (RFC 3986 §3: `scheme ":" hier-part [ "?" query ] [ "#" fragment ]`),
/// checked as `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` followed by ":" and one
/// or more URI characters; "commas (ASCII 0x2C) and exclamation points (ASCII 0x21) MUST be
/// encoded".
fn dmarc_uri(input: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize((
        take_while1(|b: u8| b.is_ascii_alphabetic()).and(take_while(|b: u8| {
            b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
        })),
        tag(&b":"[..]),
        take_while1(is_uri_char),
    ))
    .parse(input)
}

/// unreserved / gen-delims / sub-delims (without "," and "!") / "%" (RFC 3986 §2).
fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@$&'()*+;=%".contains(&b)
}
