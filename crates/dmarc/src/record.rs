//! DMARC Policy Records: the tag-value syntax of RFC 9989 §4.7–§4.8, parsed with nom.
//!
//! Parsing is lenient where the RFC asks for it and strict where it does not: a record must
//! start with `v=DMARC1` or it is not a DMARC record at all ([`RecordError`]); after that,
//! "syntax errors in the remainder of the record MUST be discarded in favor of default values
//! (if any) or ignored outright" (RFC 9989 §4.8), so each bad tag becomes a [`TagProblem`] on
//! the record and the tag takes its default. Unknown tags are ignored (RFC 9989 §4.7).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::digit1;
use nom::combinator::{all_consuming, eof, value};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use mailproof_dns::Name;

use crate::uri::{ReportUri, parse_uri_list};

/// A Domain Owner Assessment Policy: the `p=`, `sp=` and `np=` values (RFC 9989 §4.7).
///
/// Ordered from the mildest to the strictest, so `max` picks the strictest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// `none`: no expression of preference (monitoring mode).
    None,
    /// `quarantine`: the Domain Owner considers failing mail suspicious.
    Quarantine,
    /// `reject`: the Domain Owner considers failing mail invalid use of the domain.
    Reject,
}

impl Policy {
    /// The RFC keyword: `none`, `quarantine` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// One step milder, as `t=y` asks (RFC 9989 §4.7) and as RFC 7489 §6.3 asks of a message
    /// not selected by `pct`: `reject` becomes `quarantine`, `quarantine` becomes `none`.
    #[must_use]
    pub fn one_step_milder(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier Alignment mode, `adkim=` and `aspf=` (RFC 9989 §4.7, §3.2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AlignmentMode {
    /// `r` (the default): the two domains have the same Organizational Domain.
    #[default]
    Relaxed,
    /// `s`: the two domains are identical.
    Strict,
}

/// The `psd=` tag (RFC 9989 §4.7): whether the record's domain is a Public Suffix Domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PsdTag {
    /// `psd=y`: the domain is a Public Suffix Domain; the Organizational Domain is one label
    /// below it. Stops the DNS Tree Walk.
    PublicSuffixDomain,
    /// `psd=n`: the domain is an Organizational Domain for itself and its subdomains. Stops
    /// the DNS Tree Walk.
    OrganizationalDomain,
    /// `psd=u` or no tag (the default): the DNS Tree Walk decides.
    #[default]
    Undetermined,
}

/// Failure reporting options, `fo=` (RFC 9989 §4.7). The default is `fo=0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)] // four independent flags, named as the RFC names them
pub struct FailureOptions {
    /// `0`: report when all mechanisms fail to produce an aligned pass.
    pub all_fail: bool,
    /// `1`: report when any mechanism fails to produce an aligned pass.
    pub any_fail: bool,
    /// `d`: report DKIM signatures that failed evaluation (RFC 6651).
    pub dkim_failure: bool,
    /// `s`: report SPF failures (RFC 6652).
    pub spf_failure: bool,
}

impl Default for FailureOptions {
    fn default() -> Self {
        FailureOptions {
            all_fail: true,
            any_fail: false,
            dkim_failure: false,
            spf_failure: false,
        }
    }
}

/// A parsed DMARC Policy Record.
///
/// Field docs name the tag each field comes from. Tags the record got wrong are listed in
/// [`Record::problems`] and hold their defaults here; use [`Record::requested_policies`] for
/// the policies RFC 9989 §4.10.1 says to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// `p=`: the policy for the domain itself; `None` when absent or invalid.
    pub policy: Option<Policy>,
    /// `sp=`: the policy for existing subdomains; `None` when absent or invalid.
    pub subdomain_policy: Option<Policy>,
    /// `np=`: the policy for non-existent subdomains; `None` when absent or invalid.
    pub nonexistent_subdomain_policy: Option<Policy>,
    /// `psd=`: whether the domain is a Public Suffix Domain.
    pub public_suffix: PsdTag,
    /// `t=y`: the Domain Owner is testing; failing mail gets the policy one step milder.
    pub testing: bool,
    /// `adkim=`: DKIM Identifier Alignment mode.
    pub dkim_alignment: AlignmentMode,
    /// `aspf=`: SPF Identifier Alignment mode.
    pub spf_alignment: AlignmentMode,
    /// `rua=`: aggregate report destinations that parsed (invalid ones are in `problems`).
    pub aggregate_report_uris: Vec<ReportUri>,
    /// `ruf=`: failure report destinations that parsed.
    pub failure_report_uris: Vec<ReportUri>,
    /// `fo=`: failure reporting options (meaningful only with `ruf=`).
    pub failure_options: FailureOptions,
    /// `pct=` (RFC 7489 §6.3, historic in RFC 9989): percentage of failing mail the policy
    /// applies to; `None` when absent (RFC 7489's default is 100).
    pub percent: Option<u8>,
    /// `rf=` (RFC 7489, historic): requested failure report formats, as written.
    pub report_formats: Vec<String>,
    /// `ri=` (RFC 7489, historic): requested aggregate report interval in seconds.
    pub report_interval_seconds: Option<u32>,
    /// Tags that were malformed, duplicated or out of range, each ignored in favour of its
    /// default (RFC 9989 §4.8).
    pub problems: Vec<TagProblem>,
}

/// The tags [`Record::apply_tag`] knows, for duplicate detection without allocating.
const KNOWN_TAGS: [&[u8]; 13] = [
    b"p", b"sp", b"np", b"psd", b"t", b"adkim", b"aspf", b"fo", b"rua", b"ruf", b"pct", b"rf",
    b"ri",
];

/// Why a TXT record is not a DMARC Policy Record at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The record does not start with `v=DMARC1` (the record "MUST be ignored",
    /// RFC 9989 §4.7). Usually another protocol's TXT record at the same name.
    #[error("not a DMARC record: it does not start with v=DMARC1")]
    NotDmarc,
}

/// One tag of a record that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagProblem {
    /// The tag's name as written (for a segment without a name: the segment's text).
    pub tag: String,
    /// Byte offset of the tag in the record.
    pub offset: usize,
    /// What is wrong.
    pub kind: TagProblemKind,
}

/// What is wrong with a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagProblemKind {
    /// Not `name=value` (RFC 9989 §4.8 `dmarc-tag`).
    Malformed,
    /// The value does not follow the tag's rule (RFC 9989 §4.8, Table 2).
    InvalidValue,
    /// The tag appeared before; the first occurrence counts.
    Duplicate,
    /// A `rua=`/`ruf=` entry that is not a URI; the other entries still count.
    InvalidUri,
}

/// The policies a record asks for, after RFC 9989 §4.10.1's rule for a missing or invalid
/// `p=`: "If a 'rua' tag is present and contains at least one syntactically valid reporting
/// URI, the Mail Receiver MUST act as if a record containing 'p=none' was retrieved".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestedPolicies {
    /// `p=`.
    pub policy: Policy,
    /// `sp=`, if given.
    pub subdomain_policy: Option<Policy>,
    /// `np=`, if given.
    pub nonexistent_subdomain_policy: Option<Policy>,
    /// True when the record had no valid `p=` (or an invalid `sp=`/`np=`) and is treated as
    /// `p=none` because it names a valid `rua=` destination.
    pub defaulted_to_none: bool,
}

/// Why a record yields no policy at all (RFC 9989 §4.10.1: "the Mail Receiver applies no
/// DMARC processing to this message").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyDefect {
    /// No `p=` tag, and no valid `rua=` URI to fall back on.
    MissingPolicy,
    /// The named tag (`p`, `sp` or `np`) has an invalid value, and no valid `rua=` URI.
    InvalidPolicy(&'static str),
}

impl Record {
    /// Parses one TXT record (its strings already joined, RFC 9989 §4.5).
    ///
    /// # Errors
    /// [`RecordError::NotDmarc`] when the text does not start with `v=DMARC1`; everything
    /// after that is tolerated, with problems listed in [`Record::problems`].
    ///
    /// # Example
    /// ```
    /// use mailproof_dmarc::{Policy, Record};
    /// let record = Record::parse(b"v=DMARC1; p=reject; rua=mailto:d@example.com!10m; x=1")?;
    /// assert_eq!(record.policy, Some(Policy::Reject));
    /// assert_eq!(record.aggregate_report_uris[0].max_size_bytes(), Some(10 * 1024 * 1024));
    /// assert!(record.problems.is_empty()); // unknown tags are ignored, not problems
    /// # Ok::<(), mailproof_dmarc::RecordError>(())
    /// ```
    pub fn parse(text: &[u8]) -> Result<Record, RecordError> {
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
            record.apply_tag(name, tag_value, tag_offset);
        }
        Ok(record)
    }

    fn empty() -> Record {
        Record {
            policy: None,
            subdomain_policy: None,
            nonexistent_subdomain_policy: None,
            public_suffix: PsdTag::Undetermined,
            testing: false,
            dkim_alignment: AlignmentMode::Relaxed,
            spf_alignment: AlignmentMode::Relaxed,
            aggregate_report_uris: Vec::new(),
            failure_report_uris: Vec::new(),
            failure_options: FailureOptions::default(),
            percent: None,
            report_formats: Vec::new(),
            report_interval_seconds: None,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, tag: &[u8], offset: usize, kind: TagProblemKind) {
        self.problems.push(TagProblem {
            tag: String::from_utf8_lossy(tag).into_owned(),
            offset,
            kind,
        });
    }

    /// Applies one well-formed tag; tag names are case-sensitive (RFC 6376 §3.2, whose
    /// tag-value syntax RFC 9989 §4.7 adopts).
    fn apply_tag(&mut self, name: &[u8], tag_value: &[u8], offset: usize) {
        let ok = match name {
            b"p" => set(&mut self.policy, parse_whole(dmarc_request, tag_value)),
            b"sp" => set(
                &mut self.subdomain_policy,
                parse_whole(dmarc_request, tag_value),
            ),
            b"np" => set(
                &mut self.nonexistent_subdomain_policy,
                parse_whole(dmarc_request, tag_value),
            ),
            b"psd" => assign(&mut self.public_suffix, parse_whole(dmarc_psd, tag_value)),
            b"t" => assign(&mut self.testing, parse_whole(dmarc_yorn, tag_value)),
            b"adkim" => assign(&mut self.dkim_alignment, parse_whole(dmarc_rors, tag_value)),
            b"aspf" => assign(&mut self.spf_alignment, parse_whole(dmarc_rors, tag_value)),
            b"fo" => assign(&mut self.failure_options, parse_failure_options(tag_value)),
            b"rua" | b"ruf" => {
                let (uris, bad) = parse_uri_list(tag_value);
                for bad_offset in bad {
                    self.problem(name, offset + bad_offset, TagProblemKind::InvalidUri);
                }
                if name == b"rua" {
                    self.aggregate_report_uris = uris;
                } else {
                    self.failure_report_uris = uris;
                }
                true
            }
            b"pct" => set(&mut self.percent, parse_whole(rfc7489_percent, tag_value)),
            b"rf" => {
                let formats: Option<Vec<String>> = tag_value
                    .split(|&b| b == b':')
                    .map(|f| {
                        let f = trim_wsp(f);
                        (!f.is_empty() && f.iter().all(u8::is_ascii_alphanumeric))
                            .then(|| String::from_utf8_lossy(f).to_ascii_lowercase())
                    })
                    .collect();
                assign(&mut self.report_formats, formats)
            }
            b"ri" => set(
                &mut self.report_interval_seconds,
                parse_whole(rfc7489_interval, tag_value),
            ),
            // RFC 9989 §4.7: "unknown tags MUST be ignored".
            _ => true,
        };
        if !ok {
            self.problem(name, offset, TagProblemKind::InvalidValue);
        }
    }

    /// True when `rua=` holds at least one syntactically valid URI.
    pub fn has_valid_aggregate_uri(&self) -> bool {
        !self.aggregate_report_uris.is_empty()
    }

    /// The policies to act on, after RFC 9989 §4.10.1's fallback: a record whose `p=` is
    /// missing or invalid, or whose `sp=`/`np=` is invalid, counts as `p=none` (with `sp=`
    /// and `np=` dropped) when it has a valid `rua=` URI, and yields no policy otherwise.
    ///
    /// # Errors
    /// [`PolicyDefect`] when the record yields no policy: the caller's DMARC result is
    /// *permerror* (RFC 9989 §9.2: "the retrieval of an improperly formatted DMARC Policy
    /// Record").
    pub fn requested_policies(&self) -> Result<RequestedPolicies, PolicyDefect> {
        let invalid = |tag: &str| {
            self.problems
                .iter()
                .any(|p| p.tag == tag && p.kind == TagProblemKind::InvalidValue)
        };
        let defect = if invalid("p") {
            Some(PolicyDefect::InvalidPolicy("p"))
        } else if invalid("sp") {
            Some(PolicyDefect::InvalidPolicy("sp"))
        } else if invalid("np") {
            Some(PolicyDefect::InvalidPolicy("np"))
        } else if self.policy.is_none() {
            Some(PolicyDefect::MissingPolicy)
        } else {
            None
        };
        match (defect, self.policy) {
            (None, Some(policy)) => Ok(RequestedPolicies {
                policy,
                subdomain_policy: self.subdomain_policy,
                nonexistent_subdomain_policy: self.nonexistent_subdomain_policy,
                defaulted_to_none: false,
            }),
            (defect, _) if self.has_valid_aggregate_uri() => {
                let _ = defect;
                Ok(RequestedPolicies {
                    policy: Policy::None,
                    subdomain_policy: None,
                    nonexistent_subdomain_policy: None,
                    defaulted_to_none: true,
                })
            }
            (defect, _) => Err(defect.unwrap_or(PolicyDefect::MissingPolicy)),
        }
    }
}

/// Parsed records by their exact TXT bytes, shared by every evaluation of one `Verifier`
/// (and its threads): a warm resolver cache hands back the same bytes for every message, so
/// each record text is parsed once.
///
/// Bounded: at most [`RecordCache::CAPACITY`] texts of at most [`RecordCache::MAX_TEXT_LEN`]
/// bytes; when full it starts over, so an attacker cycling through record texts costs parsing,
/// never memory.
///
/// It also keeps the `_dmarc.<domain>` names queried: building and validating a [`Name`]
/// costs more than looking one up.
#[derive(Default)]
pub(crate) struct RecordCache {
    entries: RwLock<HashMap<Box<[u8]>, Arc<Record>>>,
    names: RwLock<HashMap<Box<str>, Name>>,
}

impl RecordCache {
    const CAPACITY: usize = 512;
    const MAX_TEXT_LEN: usize = 4096;

    /// [`Record::parse`], memoized.
    pub(crate) fn parse(&self, text: &[u8]) -> Result<Arc<Record>, RecordError> {
        if let Some(record) = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
        {
            return Ok(Arc::clone(record));
        }
        let record = Arc::new(Record::parse(text)?);
        if text.len() <= Self::MAX_TEXT_LEN {
            // A poisoned lock only means another thread panicked while inserting; the map is
            // still a valid map of parsed records.
            let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(text.into(), Arc::clone(&record));
        }
        Ok(record)
    }

    /// [`record_name`], memoized.
    pub(crate) fn record_name(&self, domain: &str) -> Option<Name> {
        if let Some(name) = self
            .names
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(domain)
        {
            return Some(name.clone());
        }
        let name = record_name(domain)?;
        // As above: a poisoned map is still a valid map.
        let mut names = self.names.write().unwrap_or_else(PoisonError::into_inner);
        if names.len() >= Self::CAPACITY {
            names.clear();
        }
        names.insert(domain.into(), name.clone());
        Some(name)
    }

    /// Parses the records at one name and keeps the DMARC ones (RFC 9989 §4.10 step 2).
    pub(crate) fn dmarc_records<'a>(
        &self,
        texts: impl IntoIterator<Item = &'a [u8]>,
    ) -> Vec<Arc<Record>> {
        texts
            .into_iter()
            .filter_map(|text| self.parse(text).ok())
            .collect()
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

pub(crate) fn trim_wsp(s: &[u8]) -> &[u8] {
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

/// `Name` of the record location for `domain` (a name's text): `_dmarc.<domain>`.
///
/// Built in a stack buffer, so the only allocation is the `Name` itself (`Name::prepend`
/// would build the text in a `String` first). `None` when the result is too long.
pub(crate) fn record_name(domain: &str) -> Option<Name> {
    const PREFIX: &[u8] = b"_dmarc.";
    // A name is at most 253 characters; longer text is refused by `Name::from_bytes` anyway.
    let mut buf = [0u8; 7 + 253];
    let domain = domain.as_bytes();
    let len = PREFIX.len() + domain.len();
    let text = buf.get_mut(..len)?;
    text[..PREFIX.len()].copy_from_slice(PREFIX);
    text[PREFIX.len()..].copy_from_slice(domain);
    Name::from_bytes(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_full_records() {
        let record = Record::parse(b"v=DMARC1; p=none").unwrap();
        assert_eq!(record.policy, Some(Policy::None));
        assert_eq!(record.dkim_alignment, AlignmentMode::Relaxed);
        let record = Record::parse(
            b"v=DMARC1;p=Reject;sp=quarantine; np=reject ;psd=n; t=y; adkim=s; aspf=r; \
              fo=1:d; rua=mailto:a@example.com,mailto:b@example.net!5k; ruf=mailto:f@example.com; \
              pct=20; rf=afrf; ri=3600;",
        )
        .unwrap();
        assert_eq!(record.policy, Some(Policy::Reject));
        assert_eq!(record.subdomain_policy, Some(Policy::Quarantine));
        assert_eq!(record.nonexistent_subdomain_policy, Some(Policy::Reject));
        assert_eq!(record.public_suffix, PsdTag::OrganizationalDomain);
        assert!(record.testing);
        assert_eq!(record.dkim_alignment, AlignmentMode::Strict);
        assert!(record.failure_options.any_fail && record.failure_options.dkim_failure);
        assert!(!record.failure_options.all_fail);
        assert_eq!(record.aggregate_report_uris.len(), 2);
        assert_eq!(
            record.aggregate_report_uris[1].max_size_bytes(),
            Some(5 * 1024)
        );
        assert_eq!(record.percent, Some(20));
        assert_eq!(record.report_formats, ["afrf"]);
        assert_eq!(record.report_interval_seconds, Some(3600));
        assert!(record.problems.is_empty(), "{:?}", record.problems);
    }

    #[test]
    fn version_rules() {
        assert_eq!(
            Record::parse(b"v=DMARC2; p=none"),
            Err(RecordError::NotDmarc)
        );
        assert_eq!(
            Record::parse(b"v=dmarc1; p=none"),
            Err(RecordError::NotDmarc)
        );
        assert_eq!(
            Record::parse(b"p=none; v=DMARC1"),
            Err(RecordError::NotDmarc)
        );
        assert_eq!(Record::parse(b"v=DMARC1p=none"), Err(RecordError::NotDmarc));
        assert_eq!(Record::parse(b"v=spf1 -all"), Err(RecordError::NotDmarc));
        assert_eq!(Record::parse(b""), Err(RecordError::NotDmarc));
        assert!(Record::parse(b"V = DMARC1 ;p=none").is_ok());
        assert!(Record::parse(b"v=DMARC1").is_ok());
        assert!(Record::parse(b"v=DMARC1 ").is_ok());
    }

    #[test]
    fn bad_tags_become_problems_with_defaults() {
        let record =
            Record::parse(b"v=DMARC1; p=block; adkim=x; fo=0:1; pct=101; junk; p=none; 9x=1")
                .unwrap();
        assert_eq!(record.policy, None);
        assert_eq!(record.dkim_alignment, AlignmentMode::Relaxed);
        assert_eq!(record.failure_options, FailureOptions::default());
        assert_eq!(record.percent, None);
        let kinds: Vec<_> = record
            .problems
            .iter()
            .map(|p| (p.tag.as_str(), p.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("p", TagProblemKind::InvalidValue),
                ("adkim", TagProblemKind::InvalidValue),
                ("fo", TagProblemKind::InvalidValue),
                ("pct", TagProblemKind::InvalidValue),
                ("junk", TagProblemKind::Malformed),
                ("p", TagProblemKind::Duplicate),
                ("9x=1", TagProblemKind::Malformed),
            ]
        );
        assert_eq!(record.problems[0].offset, 10);
    }

    #[test]
    fn missing_policy_with_rua_is_none() {
        let record = Record::parse(b"v=DMARC1; rua=mailto:r@example.com").unwrap();
        let requested = record.requested_policies().unwrap();
        assert_eq!(requested.policy, Policy::None);
        assert!(requested.defaulted_to_none);
        let record =
            Record::parse(b"v=DMARC1; p=reject; sp=bogus; rua=mailto:r@example.com").unwrap();
        assert_eq!(record.requested_policies().unwrap().policy, Policy::None);
        let record = Record::parse(b"v=DMARC1; adkim=s").unwrap();
        assert_eq!(
            record.requested_policies(),
            Err(PolicyDefect::MissingPolicy)
        );
        let record = Record::parse(b"v=DMARC1; p=reject; np=maybe").unwrap();
        assert_eq!(
            record.requested_policies(),
            Err(PolicyDefect::InvalidPolicy("np"))
        );
        let record = Record::parse(b"v=DMARC1; p=nonsense; rua=nonsense").unwrap();
        assert_eq!(
            record.requested_policies(),
            Err(PolicyDefect::InvalidPolicy("p"))
        );
    }

    #[test]
    fn failure_options() {
        assert_eq!(
            parse_failure_options(b"d:s"),
            Some(FailureOptions {
                all_fail: false,
                any_fail: false,
                dkim_failure: true,
                spf_failure: true
            })
        );
        assert_eq!(parse_failure_options(b"0:0"), None);
        assert_eq!(parse_failure_options(b""), None);
        assert_eq!(
            parse_failure_options(b"0:d").map(|o| o.all_fail),
            Some(true)
        );
    }

    #[test]
    fn record_cache_shares_parsed_records() {
        let cache = RecordCache::default();
        let text = b"v=DMARC1; p=reject; rua=mailto:r@example.com";
        let first = cache.parse(text).unwrap();
        let again = cache.parse(text).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*first, Record::parse(text).unwrap());
        assert_eq!(cache.parse(b"v=spf1 -all"), Err(RecordError::NotDmarc));
        for n in 0..RecordCache::CAPACITY + 10 {
            let text = format!("v=DMARC1; p=none; ri={n}");
            assert_eq!(
                cache
                    .parse(text.as_bytes())
                    .unwrap()
                    .report_interval_seconds,
                Some(u32::try_from(n).unwrap())
            );
        }
        assert!(cache.entries.read().unwrap().len() <= RecordCache::CAPACITY);
        let name = cache.record_name("example.com").unwrap();
        assert_eq!(name.as_str(), "_dmarc.example.com");
        assert_eq!(cache.record_name("example.com"), Some(name));
        assert_eq!(cache.record_name(&"a.".repeat(125)[..249]), None);
    }

    #[test]
    fn policy_steps() {
        assert_eq!(Policy::Reject.one_step_milder(), Policy::Quarantine);
        assert_eq!(Policy::Quarantine.one_step_milder(), Policy::None);
        assert_eq!(Policy::None.one_step_milder(), Policy::None);
        assert!(Policy::Reject > Policy::Quarantine);
    }
}
