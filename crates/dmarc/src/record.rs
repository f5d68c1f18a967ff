//! DMARC Policy Records: the tag-value syntax of RFC 9989 §4.7–§4.8, parsed with nom.
//!
//! Parsing is lenient where the RFC asks for it and strict where it does not: a record must
//! start with `v=DMARC1` or it is not a DMARC record at all ([`RecordError`]); after that,
//! "syntax errors in the remainder of the record MUST be discarded in favor of default values
//! (if any) or ignored outright" (RFC 9989 §4.8), so each bad tag becomes a [`TagProblem`] on
//! the record and the tag takes its default. Unknown tags are ignored (RFC 9989 §4.7).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, PoisonError, RwLock};

use mailproof_dns::{Name, Txt};

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

/// The tags [`Record::apply_tag`] knows, in [`known_tag_index`] order.
pub(crate) const KNOWN_TAGS: [&[u8]; 13] = [
    b"p", b"sp", b"np", b"psd", b"t", b"adkim", b"aspf", b"fo", b"rua", b"ruf", b"pct", b"rf",
    b"ri",
];

/// The index of a tag [`Record::apply_tag`] knows, for duplicate detection without allocating.
fn known_tag_index(name: &[u8]) -> Option<usize> {
    Some(match name {
        b"p" => 0,
        b"sp" => 1,
        b"np" => 2,
        b"psd" => 3,
        b"t" => 4,
        b"adkim" => 5,
        b"aspf" => 6,
        b"fo" => 7,
        b"rua" => 8,
        b"ruf" => 9,
        b"pct" => 10,
        b"rf" => 11,
        b"ri" => 12,
        _ => return None,
    })
}

/// Byte classes for the hand-written parsers, one bit each in [`BYTE_CLASSES`].
pub(crate) mod class {
    /// `dmarc-value = %x20-3A / %x3C-7E`.
    pub(crate) const VALUE: u8 = 1;
    /// RFC 3986 URI characters (unreserved, gen-delims, sub-delims but `,` and `!`, `%`).
    pub(crate) const URI: u8 = 2;
    /// `ALPHA / DIGIT / "+" / "-" / "."`: URI scheme characters after the first.
    pub(crate) const SCHEME: u8 = 4;
}

/// [`class`] bits of each byte.
pub(crate) static BYTE_CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        // `b` < 256: the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        let byte = b as u8;
        let mut bits = 0;
        if byte >= 0x20 && byte <= 0x7e && byte != b';' {
            bits |= class::VALUE;
        }
        let uri_punct = b"-._~:/?#[]@$&'()*+;=%";
        let mut i = 0;
        let mut is_punct = false;
        while i < uri_punct.len() {
            if uri_punct[i] == byte {
                is_punct = true;
            }
            i += 1;
        }
        if byte.is_ascii_alphanumeric() || is_punct {
            bits |= class::URI;
        }
        if byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'-' || byte == b'.' {
            bits |= class::SCHEME;
        }
        table[b] = bits;
        b += 1;
    }
    table
};

/// True when `byte` is in `class` (a [`class`] bit).
pub(crate) fn is(class: u8, byte: u8) -> bool {
    BYTE_CLASSES[usize::from(byte)] & class != 0
}

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
        let rest = dmarc_version(text).ok_or(RecordError::NotDmarc)?;
        let base = text.len() - rest.len();
        let mut record = Record::empty();
        // Tags seen so far: the known ones as bits, others (rare) in a list.
        let mut seen_known = 0u16;
        let mut seen_other: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        loop {
            let (segment, end) = scan_segment(rest, start);
            match segment {
                Segment::Blank => {}
                Segment::Malformed(range) => {
                    record.problem(
                        &rest[range.clone()],
                        base + range.start,
                        TagProblemKind::Malformed,
                    );
                }
                Segment::Tag { name, value } => {
                    let tag_offset = base + name.start;
                    let (name, tag_value) = (&rest[name], &rest[value]);
                    let known = known_tag_index(name);
                    let duplicate = match known {
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
                    } else if let Some(known) = known {
                        // RFC 9989 §4.7: "unknown tags MUST be ignored".
                        record.apply_tag(known, tag_value, tag_offset);
                    }
                }
            }
            if end >= rest.len() {
                return Ok(record);
            }
            start = end + 1;
        }
    }

    pub(crate) fn empty() -> Record {
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

    pub(crate) fn problem(&mut self, tag: &[u8], offset: usize, kind: TagProblemKind) {
        self.problems.push(TagProblem {
            tag: String::from_utf8_lossy(tag).into_owned(),
            offset,
            kind,
        });
    }

    /// Applies one well-formed tag the parser knows, `KNOWN_TAGS[known]`; tag names are
    /// case-sensitive (RFC 6376 §3.2, whose tag-value syntax RFC 9989 §4.7 adopts).
    fn apply_tag(&mut self, known: usize, tag_value: &[u8], offset: usize) {
        let ok = match known {
            0 => set(&mut self.policy, dmarc_request(tag_value)),
            1 => set(&mut self.subdomain_policy, dmarc_request(tag_value)),
            2 => set(
                &mut self.nonexistent_subdomain_policy,
                dmarc_request(tag_value),
            ),
            3 => assign(&mut self.public_suffix, dmarc_psd(tag_value)),
            4 => assign(&mut self.testing, dmarc_yorn(tag_value)),
            5 => assign(&mut self.dkim_alignment, dmarc_rors(tag_value)),
            6 => assign(&mut self.spf_alignment, dmarc_rors(tag_value)),
            7 => assign(&mut self.failure_options, parse_failure_options(tag_value)),
            8 | 9 => {
                let uris = if known == 8 {
                    &mut self.aggregate_report_uris
                } else {
                    &mut self.failure_report_uris
                };
                let mut bad = Vec::new();
                parse_uri_list(tag_value, uris, &mut bad);
                for bad_offset in bad {
                    self.problem(
                        KNOWN_TAGS[known],
                        offset + bad_offset,
                        TagProblemKind::InvalidUri,
                    );
                }
                true
            }
            10 => set(&mut self.percent, rfc7489_percent(tag_value)),
            11 => {
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
            _ => set(
                &mut self.report_interval_seconds,
                rfc7489_interval(tag_value),
            ),
        };
        if !ok {
            self.problem(KNOWN_TAGS[known], offset, TagProblemKind::InvalidValue);
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
/// bytes, and [`RecordCache::PLAN_CAPACITY`] walk plans (whose texts are shared with the map,
/// or kept by a plan after the map started over: eight per plan at most; each step of a plan
/// also keeps the last TXT answer read there when it holds at most
/// [`RecordCache::MAX_KEPT_TEXTS`] texts of [`RecordCache::MAX_TEXT_LEN`] bytes in all); when
/// full, each map starts over, so an attacker cycling through record texts or domains costs
/// parsing, never unbounded memory.
///
/// It also keeps the `_dmarc.<domain>` names queried, and the [`WalkPlan`] of each domain
/// walked from: building and validating a [`Name`] costs more than looking one up.
#[derive(Default)]
pub(crate) struct RecordCache {
    entries: RwLock<HashMap<Arc<[u8]>, Arc<Record>, KeyHasher>>,
    names: RwLock<HashMap<Box<str>, Name, KeyHasher>>,
    plans: RwLock<HashMap<Box<str>, Arc<WalkPlan>, KeyHasher>>,
}

/// The names a DNS Tree Walk from one start domain queries (RFC 9989 §4.10 steps 3–7),
/// built once per start domain, each with the DMARC record last found there: a walk from a
/// domain seen before costs no name building and, while the records stay the same, no
/// hashing of record texts.
pub(crate) struct WalkPlan {
    /// The start domain's label count.
    pub(crate) start_labels: usize,
    /// At most [`MAX_TREE_WALK_QUERIES`](crate::MAX_TREE_WALK_QUERIES) steps, in order.
    pub(crate) steps: Vec<WalkStep>,
}

/// One name of a [`WalkPlan`].
pub(crate) struct WalkStep {
    /// `_dmarc.<suffix>`; `None` when that is too long to be a name (nothing to query).
    pub(crate) query: Option<Name>,
    /// The suffix's label count.
    pub(crate) labels: usize,
    /// The DMARC record last found at `query`.
    last: RwLock<Option<KeptRecord>>,
    /// The TXT answer last read at `query` and the DMARC records in it.
    last_answer: RwLock<Option<KeptAnswer>>,
}

/// A resolver's list of TXT records (shared by every answer a cache hands out for one entry)
/// and the DMARC records in it. Holding the list keeps its allocation alive, so an answer
/// whose list is the same allocation ([`Arc::ptr_eq`]) holds the same texts: their DMARC
/// records are known without comparing or hashing a byte.
struct KeptAnswer {
    texts: Arc<[Txt]>,
    records: DmarcRecords,
}

/// The DMARC records among the TXT records of one name (RFC 9989 §4.10 step 2: several
/// mean none).
#[derive(Clone)]
pub(crate) struct DmarcRecords {
    /// How many of the texts are DMARC records.
    pub(crate) count: usize,
    /// The first of them.
    pub(crate) first: Option<Arc<Record>>,
}

/// A parsed record with the text it came from, as [`RecordCache`]'s map keeps it (`text` is
/// `None` for a text too long to keep).
struct KeptRecord {
    text: Option<Arc<[u8]>>,
    record: Arc<Record>,
}

impl WalkStep {
    pub(crate) fn new(query: Option<Name>, labels: usize) -> WalkStep {
        WalkStep {
            query,
            labels,
            last: RwLock::new(None),
            last_answer: RwLock::new(None),
        }
    }
}

/// The hasher of [`RecordCache`]'s maps: a multiply-rotate hash over 8-byte words (the
/// `FxHasher` of rustc), seeded per cache from the standard library's random keys. `SipHash`
/// costs more than the rest of a cache hit on a 150-byte record; collisions an attacker could
/// aim for cost at most a scan of one bounded map ([`RecordCache::CAPACITY`] entries).
#[derive(Clone, Copy)]
struct KeyHasher {
    seed: u64,
}

impl Default for KeyHasher {
    fn default() -> Self {
        use std::hash::BuildHasher as _;
        KeyHasher {
            seed: std::collections::hash_map::RandomState::new().hash_one(0u8),
        }
    }
}

impl std::hash::BuildHasher for KeyHasher {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(self.seed)
    }
}

/// See [`KeyHasher`].
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for chunk in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            // The little-endian word of the zero-padded rest, without a `memcpy` call.
            let word = rest
                .iter()
                .rev()
                .fold(0, |word, &byte| word << 8 | u64::from(byte));
            self.add(word);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl RecordCache {
    const CAPACITY: usize = 512;
    const MAX_TEXT_LEN: usize = 4096;
    /// Plans kept: each holds at most eight names and eight shared record texts.
    const PLAN_CAPACITY: usize = 512;
    /// The most TXT records of one answer a walk step keeps (see [`KeptAnswer`]).
    const MAX_KEPT_TEXTS: usize = 16;

    /// [`Record::parse`], memoized.
    pub(crate) fn parse(&self, text: &[u8]) -> Result<Arc<Record>, RecordError> {
        self.parse_keyed(text).map(|kept| kept.record)
    }

    /// The DMARC records among `texts`, a TXT answer found at `step`'s name: the answer
    /// last seen there when `texts` is the same list (a warm resolver cache hands out one
    /// shared list), otherwise each text through [`RecordCache::parse_at`].
    pub(crate) fn dmarc_records(
        &self,
        texts: &Arc<[Txt]>,
        step: Option<&WalkStep>,
    ) -> DmarcRecords {
        // A poisoned lock only means another thread panicked while writing; the slot holds
        // a complete value either way.
        if let Some(step) = step
            && let Some(kept) = &*step
                .last_answer
                .read()
                .unwrap_or_else(PoisonError::into_inner)
            && Arc::ptr_eq(&kept.texts, texts)
        {
            return kept.records.clone();
        }
        let mut records = DmarcRecords {
            count: 0,
            first: None,
        };
        for text in texts.iter() {
            if let Ok(record) = self.parse_at(text.as_bytes(), step) {
                records.count += 1;
                records.first.get_or_insert(record);
            }
        }
        // Kept within the bounds of a kept record text (a list of many empty texts is
        // bounded by the count).
        let kept_size = texts
            .iter()
            .map(|text| text.as_bytes().len())
            .sum::<usize>();
        if let Some(step) = step
            && texts.len() <= Self::MAX_KEPT_TEXTS
            && kept_size <= Self::MAX_TEXT_LEN
        {
            *step
                .last_answer
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Some(KeptAnswer {
                texts: Arc::clone(texts),
                records: records.clone(),
            });
        }
        records
    }

    /// [`RecordCache::parse`] of a record found at `step`'s name: compared with the text
    /// last found there before anything is hashed.
    pub(crate) fn parse_at(
        &self,
        text: &[u8],
        step: Option<&WalkStep>,
    ) -> Result<Arc<Record>, RecordError> {
        let Some(step) = step else {
            return self.parse(text);
        };
        // A poisoned lock only means another thread panicked while writing; the slot holds
        // a complete value either way.
        if let Some(last) = &*step.last.read().unwrap_or_else(PoisonError::into_inner)
            && last.text.as_deref() == Some(text)
        {
            return Ok(Arc::clone(&last.record));
        }
        let kept = self.parse_keyed(text)?;
        let record = Arc::clone(&kept.record);
        if kept.text.is_some() {
            *step.last.write().unwrap_or_else(PoisonError::into_inner) = Some(kept);
        }
        Ok(record)
    }

    /// [`Record::parse`], memoized, with the map's copy of the text when it keeps one.
    fn parse_keyed(&self, text: &[u8]) -> Result<KeptRecord, RecordError> {
        if let Some((key, record)) = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get_key_value(text)
        {
            return Ok(KeptRecord {
                text: Some(Arc::clone(key)),
                record: Arc::clone(record),
            });
        }
        let record = Arc::new(Record::parse(text)?);
        if text.len() > Self::MAX_TEXT_LEN {
            return Ok(KeptRecord { text: None, record });
        }
        let key: Arc<[u8]> = text.into();
        // A poisoned lock only means another thread panicked while inserting; the map is
        // still a valid map of parsed records.
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(Arc::clone(&key), Arc::clone(&record));
        Ok(KeptRecord {
            text: Some(key),
            record,
        })
    }

    /// The [`WalkPlan`] of `start`, built by `build` the first time.
    pub(crate) fn walk_plan(
        &self,
        start: &Name,
        build: impl FnOnce() -> WalkPlan,
    ) -> Arc<WalkPlan> {
        if let Some(plan) = self
            .plans
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(start.as_str())
        {
            return Arc::clone(plan);
        }
        let plan = Arc::new(build());
        // As above: a poisoned map is still a valid map.
        let mut plans = self.plans.write().unwrap_or_else(PoisonError::into_inner);
        if plans.len() >= Self::PLAN_CAPACITY {
            plans.clear();
        }
        plans.insert(start.as_str().into(), Arc::clone(&plan));
        plan
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

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_wsp_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_wsp(b)).unwrap_or(s.len());
    &s[start..]
}

fn trim_wsp_end(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
    &s[..end]
}

pub(crate) fn trim_wsp(s: &[u8]) -> &[u8] {
    trim_wsp_end(trim_wsp_start(s))
}

/// `equals = *WSP "=" *WSP`: the input after it, if it starts with it.
fn equals(input: &[u8]) -> Option<&[u8]> {
    trim_wsp_start(input).strip_prefix(b"=").map(trim_wsp_start)
}

/// `dmarc-version = "v" equals %s"DMARC1"`, followed by the end of the record or by
/// `dmarc-sep` (`*WSP ";" *WSP`), which the caller splits on: the input from that end or
/// `;` on. ABNF's `"v"` is case-insensitive; `%s"DMARC1"` is not (RFC 7405).
fn dmarc_version(input: &[u8]) -> Option<&[u8]> {
    let [b'v' | b'V', rest @ ..] = input else {
        return None;
    };
    let rest = trim_wsp_start(equals(rest)?.strip_prefix(b"DMARC1")?);
    matches!(rest, [] | [b';', ..]).then_some(rest)
}

/// One segment of a record between `;` separators, white space around it left out.
enum Segment {
    /// Only white space.
    Blank,
    /// Not a `dmarc-tag`: the segment's text.
    Malformed(Range<usize>),
    /// A `dmarc-tag`: its name and value.
    Tag {
        name: Range<usize>,
        value: Range<usize>,
    },
}

/// Reads the segment of `rest` that starts at `start` in one pass, as `*WSP dmarc-tag *WSP`
/// with `dmarc-tag = 1*ALPHA equals 1*dmarc-value` and
/// `dmarc-value = %x20-3A / %x3C-7E` ("any printing characters but semicolon"); the white
/// space around the tag belongs to `dmarc-sep`. Returns the segment, and where it ends (at
/// its `;` or the end of `rest`). All offsets are within `rest`.
fn scan_segment(rest: &[u8], start: usize) -> (Segment, usize) {
    let skip_wsp = |mut i: usize| {
        while let Some(&(b' ' | b'\t')) = rest.get(i) {
            i += 1;
        }
        i
    };
    let tag_start = skip_wsp(start);
    let mut i = tag_start;
    while i < rest.len() && rest[i].is_ascii_alphabetic() {
        i += 1;
    }
    let name = tag_start..i;
    // `equals`, usually a bare `=`.
    if rest.get(i) != Some(&b'=') {
        i = skip_wsp(i);
    }
    let has_equals = rest.get(i) == Some(&b'=');
    if has_equals {
        i += 1;
        if let Some(&(b' ' | b'\t')) = rest.get(i) {
            i = skip_wsp(i);
        }
    }
    // The value runs to the separator; white space ending it belongs to the separator, and
    // every byte before that must be a `dmarc-value` character (a tab in it is not).
    let value_start = i;
    let mut value_end = value_start;
    let mut first_bad = usize::MAX;
    loop {
        // Eight bytes at a time (the bytes of a word before its `;`, if any) while they are
        // all printable ASCII, the usual case: every one a `dmarc-value` character. A word
        // holding anything else, and the last few bytes, go one byte at a time.
        if let Some(chunk) = rest.get(i..i + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            let word = u64::from_le_bytes(bytes);
            let separators = swar::zero_bytes(word ^ swar::splat(b';'));
            // The bytes before the first `;` (all of them without one), as 0x80 bits.
            let before = if separators == 0 {
                swar::HIGHS
            } else {
                (separators & separators.wrapping_neg()).wrapping_sub(1) & swar::HIGHS
            };
            if swar::unprintable_bytes(word) & before == 0 {
                let non_space = !swar::zero_bytes(word ^ swar::splat(b' ')) & before;
                if non_space != 0 {
                    // The highest such byte (little-endian) is the last non-blank one.
                    value_end = i + 8 - (non_space.leading_zeros() / 8) as usize;
                }
                if separators == 0 {
                    i += 8;
                    continue;
                }
                i += (separators.trailing_zeros() / 8) as usize;
                break;
            }
        }
        let word_end = (i + 8).min(rest.len());
        let mut at_separator = false;
        while i < word_end {
            let b = rest[i];
            if b == b';' {
                at_separator = true;
                break;
            }
            if !is_wsp(b) {
                value_end = i + 1;
            }
            if !is(class::VALUE, b) && first_bad == usize::MAX {
                first_bad = i;
            }
            i += 1;
        }
        if at_separator || i >= rest.len() {
            break;
        }
    }
    let end = i;
    let segment =
        if !name.is_empty() && has_equals && value_end > value_start && first_bad >= value_end {
            Segment::Tag {
                name,
                value: value_start..value_end,
            }
        } else if value_end > value_start {
            Segment::Malformed(tag_start..value_end)
        } else {
            // Nothing after the name and `=`: the segment ends at its last non-blank byte.
            let text_end = tag_start + trim_wsp_end(&rest[tag_start..value_start]).len();
            if text_end == tag_start {
                Segment::Blank
            } else {
                Segment::Malformed(tag_start..text_end)
            }
        };
    (segment, end)
}

/// Byte tests on eight bytes at once (a `u64`, little-endian), for [`scan_segment`].
mod swar {
    /// The high bit of every byte.
    pub(super) const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LOWS: u64 = !HIGHS;

    /// `byte` in every byte.
    pub(super) const fn splat(byte: u8) -> u64 {
        0x0101_0101_0101_0101 * byte as u64
    }

    /// The high bit set in exactly the bytes of `word` that are zero. (Adding `0x7f` to the
    /// low seven bits carries into the high bit unless they are all zero, and never into the
    /// next byte.)
    pub(super) const fn zero_bytes(word: u64) -> u64 {
        !(((word & LOWS).wrapping_add(LOWS)) | word | LOWS)
    }

    /// The high bit set in exactly the bytes of `word` that are not printable ASCII: below
    /// 0x20 (tab included), 0x7f and above.
    pub(super) const fn unprintable_bytes(word: u64) -> u64 {
        // Below 0x20: the high bit clear, and the low seven bits plus 0x60 stay below 0x80.
        let below_space = !(((word & LOWS).wrapping_add(splat(0x60))) | word) & HIGHS;
        below_space | (word & HIGHS) | zero_bytes(word ^ splat(0x7f))
    }
}

/// `dmarc-request = "none" / "quarantine" / "reject"` (case-insensitive ABNF strings).
fn dmarc_request(value: &[u8]) -> Option<Policy> {
    let policy = match value.len() {
        4 => Policy::None,
        6 => Policy::Reject,
        10 => Policy::Quarantine,
        _ => return None,
    };
    value
        .eq_ignore_ascii_case(policy.as_str().as_bytes())
        .then_some(policy)
}

/// `dmarc-yorn = "y" / "n"`
fn dmarc_yorn(value: &[u8]) -> Option<bool> {
    match value {
        b"y" | b"Y" => Some(true),
        b"n" | b"N" => Some(false),
        _ => None,
    }
}

/// `dmarc-psd = "y" / "n" / "u"`
fn dmarc_psd(value: &[u8]) -> Option<PsdTag> {
    match value {
        b"y" | b"Y" => Some(PsdTag::PublicSuffixDomain),
        b"n" | b"N" => Some(PsdTag::OrganizationalDomain),
        b"u" | b"U" => Some(PsdTag::Undetermined),
        _ => None,
    }
}

/// `dmarc-rors = "r" / "s"`
fn dmarc_rors(value: &[u8]) -> Option<AlignmentMode> {
    match value {
        b"r" | b"R" => Some(AlignmentMode::Relaxed),
        b"s" | b"S" => Some(AlignmentMode::Strict),
        _ => None,
    }
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

/// `1*DIGIT` as a number; `None` for anything else or when it does not fit in `T`.
pub(crate) fn digits<T: TryFrom<u64>>(value: &[u8]) -> Option<T> {
    if value.is_empty() {
        return None;
    }
    let mut n = 0u64;
    for &b in value {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    T::try_from(n).ok()
}

/// RFC 7489 §6.4: `dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT`, 0 to 100.
fn rfc7489_percent(value: &[u8]) -> Option<u8> {
    if value.len() > 3 {
        return None;
    }
    digits::<u8>(value).filter(|&n| n <= 100)
}

/// RFC 7489 §6.4: `dmarc-ainterval = "ri" *WSP "=" *WSP 1*DIGIT` (a 32-bit count of seconds).
fn rfc7489_interval(value: &[u8]) -> Option<u32> {
    digits(value)
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

    /// Record-like text: tags the parser knows (and a few it does not) with valid and invalid
    /// values, separators with and without white space, stray bytes.
    fn record_text() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let name = prop_oneof![
            Just("p"),
            Just("sp"),
            Just("np"),
            Just("psd"),
            Just("t"),
            Just("adkim"),
            Just("aspf"),
            Just("fo"),
            Just("rua"),
            Just("ruf"),
            Just("pct"),
            Just("rf"),
            Just("ri"),
            Just("x"),
            Just("P"),
            Just("9x"),
            Just(""),
        ];
        let value = prop_oneof![
            Just("reject".to_owned()),
            Just("None".to_owned()),
            Just("quarantine".to_owned()),
            Just("y".to_owned()),
            Just("N".to_owned()),
            Just("u".to_owned()),
            Just("s".to_owned()),
            Just("r".to_owned()),
            Just("0:1".to_owned()),
            Just("d:s".to_owned()),
            Just("1".to_owned()),
            Just("100".to_owned()),
            Just("0100".to_owned()),
            Just("4294967296".to_owned()),
            Just("000000000000000000000042".to_owned()),
            Just("afrf:iodef".to_owned()),
            Just("mailto:a@example.com,mailto:b@example.net!10m".to_owned()),
            Just(
                "mailto:x!q, https://r.example/p?q=1 ,urn:isbn:1!99999999999999999999999g"
                    .to_owned()
            ),
            "[ -~\t]{0,12}",
            "(mailto|https|1a|a\\$b)?:[a-z@.!,%0-9kmgt ]{0,16}",
        ];
        let value = (value, any::<bool>())
            .prop_map(|(v, upper)| if upper { v.to_ascii_uppercase() } else { v });
        let tag = (
            name,
            "[ \t]{0,2}",
            prop_oneof![Just("="), Just(""), Just("==")],
            "[ \t]{0,2}",
            value,
        )
            .prop_map(|(n, w1, eq, w2, v)| format!("{n}{w1}{eq}{w2}{v}"));
        let version = prop_oneof![
            Just("v=DMARC1"),
            Just("V = DMARC1"),
            Just("v=DMARC1 "),
            Just("v=dmarc1"),
            Just("v=DMARC1x"),
            Just("v=DMARC1\t"),
            Just(""),
        ];
        (
            version,
            proptest::collection::vec((tag, "[ \t]{0,2};[ \t]{0,2}"), 0..8),
            proptest::option::of(any::<u8>()),
        )
            .prop_map(|(version, tags, stray)| {
                let mut text = version.as_bytes().to_vec();
                for (tag, sep) in tags {
                    text.extend_from_slice(sep.as_bytes());
                    text.extend_from_slice(tag.as_bytes());
                }
                if let Some(byte) = stray {
                    let at = usize::from(byte) % (text.len() + 1);
                    text.insert(at, byte);
                }
                text
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The hand-written parser agrees with the nom parser it replaced, field by field,
        /// problems and offsets included.
        #[test]
        fn hand_written_parser_agrees_with_nom_reference(text in record_text()) {
            proptest::prop_assert_eq!(Record::parse(&text), crate::reference::parse(&text));
        }

        /// The same on long printable runs with tabs and separators, which the parser reads
        /// eight bytes at a time.
        #[test]
        fn agrees_on_printable_runs(tail in "(p=|rua=|x=)?[ -~\t]{0,80}(;[ -~\t]{0,40})?") {
            let text = format!("v=DMARC1;{tail}");
            proptest::prop_assert_eq!(
                Record::parse(text.as_bytes()),
                crate::reference::parse(text.as_bytes())
            );
        }

        /// The same on arbitrary bytes after a valid version.
        #[test]
        fn agrees_on_arbitrary_bytes(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let mut text = b"v=DMARC1;".to_vec();
            text.extend_from_slice(&tail);
            proptest::prop_assert_eq!(Record::parse(&text), crate::reference::parse(&text));
            proptest::prop_assert_eq!(Record::parse(&tail), crate::reference::parse(&tail));
        }
    }

    #[test]
    fn parse_at_follows_changing_records() {
        let cache = RecordCache::default();
        let step = WalkStep::new(Name::new("_dmarc.example.com").ok(), 2);
        let (reject, none) = (&b"v=DMARC1; p=reject"[..], &b"v=DMARC1; p=none"[..]);
        for _ in 0..2 {
            for text in [reject, none, none, reject] {
                let record = cache.parse_at(text, Some(&step)).unwrap();
                assert_eq!(*record, Record::parse(text).unwrap());
            }
        }
        assert_eq!(
            cache.parse_at(b"v=spf1 -all", Some(&step)),
            Err(RecordError::NotDmarc)
        );
        let long = format!(
            "v=DMARC1; p=none; x={}",
            "y".repeat(RecordCache::MAX_TEXT_LEN)
        );
        for text in [long.as_bytes(), reject, long.as_bytes()] {
            let record = cache.parse_at(text, Some(&step)).unwrap();
            assert_eq!(*record, Record::parse(text).unwrap());
        }
    }

    #[test]
    fn dmarc_records_follow_changing_answers() {
        let cache = RecordCache::default();
        let step = WalkStep::new(Name::new("_dmarc.example.com").ok(), 2);
        let answer = |texts: &[&[u8]]| -> Arc<[Txt]> {
            texts.iter().map(|text| Txt::new(text.to_vec())).collect()
        };
        let (reject, none, spf) = (
            &b"v=DMARC1; p=reject"[..],
            &b"v=DMARC1; p=none"[..],
            &b"v=spf1 -all"[..],
        );
        let answers = [
            answer(&[reject]),
            answer(&[spf, none]),
            answer(&[reject, none]),
            answer(&[spf]),
            answer(&[reject]),
        ];
        // Each answer twice in a row (the second time from the step's memo), then the same
        // texts in new lists, then the first lists again.
        let fresh: Vec<Arc<[Txt]>> = answers
            .iter()
            .map(|a| a.iter().cloned().collect())
            .collect();
        for texts in answers
            .iter()
            .chain(&fresh)
            .chain(&answers)
            .flat_map(|a| [a, a])
        {
            let parsed: Vec<Record> = texts
                .iter()
                .filter_map(|text| Record::parse(text.as_bytes()).ok())
                .collect();
            let found = cache.dmarc_records(texts, Some(&step));
            assert_eq!(found.count, parsed.len());
            assert_eq!(found.first.as_deref(), parsed.first());
            let unmemoized = cache.dmarc_records(texts, None);
            assert_eq!(unmemoized.count, parsed.len());
            assert_eq!(unmemoized.first.as_deref(), parsed.first());
        }
        // An answer too large to keep is still read right.
        let many: Vec<&[u8]> = std::iter::repeat_n(spf, RecordCache::MAX_KEPT_TEXTS)
            .chain([none])
            .collect();
        let many = answer(&many);
        for _ in 0..2 {
            let found = cache.dmarc_records(&many, Some(&step));
            assert_eq!(found.count, 1);
            assert_eq!(found.first.as_deref(), Record::parse(none).ok().as_ref());
        }
    }

    #[test]
    fn word_tests_agree_with_byte_tests() {
        for filler in [b'a', b' ', b'~', b'\t', 0u8, 0xff] {
            for byte in 0..=255u8 {
                for position in 0..8 {
                    let mut bytes = [filler; 8];
                    bytes[position] = byte;
                    let word = u64::from_le_bytes(bytes);
                    let unprintable = swar::unprintable_bytes(word);
                    let zeros = swar::zero_bytes(word ^ swar::splat(b' '));
                    for (k, &b) in bytes.iter().enumerate() {
                        let bit = |mask: u64| mask >> (8 * k + 7) & 1 == 1;
                        assert_eq!(bit(unprintable), !(0x20..=0x7e).contains(&b), "{bytes:?}");
                        assert_eq!(bit(zeros), b == b' ', "{bytes:?}");
                    }
                    assert_eq!(unprintable & !swar::HIGHS, 0);
                    assert_eq!(zeros & !swar::HIGHS, 0);
                }
            }
        }
    }

    #[test]
    fn known_tag_indexes() {
        for (index, name) in KNOWN_TAGS.iter().enumerate() {
            assert_eq!(known_tag_index(name), Some(index));
        }
        assert_eq!(known_tag_index(b"P"), None);
        assert_eq!(known_tag_index(b"v"), None);
    }

    #[test]
    fn policy_steps() {
        assert_eq!(Policy::Reject.one_step_milder(), Policy::Quarantine);
        assert_eq!(Policy::Quarantine.one_step_milder(), Policy::None);
        assert_eq!(Policy::None.one_step_milder(), Policy::None);
        assert!(Policy::Reject > Policy::Quarantine);
    }
}
