//! Policy discovery and Organizational Domains: the DNS Tree Walk of RFC 9989 §4.10 and the
//! Public Suffix List method of RFC 7489 §3.2 and §6.6.3.

use std::sync::Arc;

use mailproof_dns::{Answer, FailureKind, Name, RecordType, Resolver};

use crate::psl::PublicSuffixList;
use crate::record::{PsdTag, Record, RecordCache, WalkPlan, WalkStep, record_name};
use crate::verifier::AlignmentOutcome;

/// The most names one DNS Tree Walk queries (RFC 9989 §4.10: "Author Domains with more than
/// eight labels do not result in more than eight DNS queries").
pub const MAX_TREE_WALK_QUERIES: usize = 8;

/// How a policy and Organizational Domains are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryMethod {
    /// RFC 9989 §4.10: the DNS Tree Walk (the default).
    TreeWalk,
    /// RFC 7489 §3.2 and §6.6.3: the Author Domain, then its Organizational Domain from the
    /// Public Suffix List.
    PublicSuffixList,
}

/// Where the applied record was published, relative to the Author Domain (RFC 9989 §4.10.1:
/// "listed from highest preference to lowest").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicySource {
    /// The Author Domain's own record: its `p=` applies.
    AuthorDomain,
    /// The record of the Author Domain's Organizational Domain: `sp=`/`np=` (or `p=`) apply.
    OrganizationalDomain,
    /// The record of a Public Suffix Domain (`psd=y`) above the Author Domain, used when the
    /// Organizational Domain has no record of its own (tree walk only).
    PublicSuffixDomain,
}

/// A DNS lookup that did not complete: DMARC's *temperror* (RFC 9989 §5.3.6).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsFailure {
    /// The name queried.
    pub name: Name,
    /// The type queried.
    pub record_type: RecordType,
    /// Why it failed.
    pub kind: FailureKind,
}

/// One DNS query made during an evaluation, in order, for traces and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// The name queried.
    pub name: Name,
    /// The type queried.
    pub record_type: RecordType,
    /// What came back, in DMARC terms.
    pub answer: QueryAnswer,
}

/// What a query returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryAnswer {
    /// Exactly one DMARC record, with its `psd=` value.
    DmarcRecord(PsdTag),
    /// Several DMARC records: all are discarded (RFC 9989 §4.10 step 2).
    MultipleDmarcRecords(usize),
    /// TXT records, none of them DMARC records.
    NoDmarcRecord,
    /// Records of the type asked (existence checks).
    Records,
    /// The name exists without records of the type asked (NODATA).
    NoRecords,
    /// The name does not exist.
    NxDomain,
    /// The lookup failed.
    TemporaryFailure(FailureKind),
}

/// A DMARC Policy Record found for an Author Domain, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyDiscovery {
    /// The method that found it.
    pub method: DiscoveryMethod,
    /// The Author Domain the search started from.
    pub author_domain: Name,
    /// The DMARC Policy Domain (RFC 9989 §3.2.5): where the record was found.
    pub policy_domain: Name,
    /// The Author Domain's Organizational Domain (RFC 9989 §4.10.2 or RFC 7489 §3.2), when it
    /// was determined. Always `Some` from [`Verifier::discover`](crate::Verifier::discover)
    /// and in RFC 7489 mode. `None` only in [`Verifier::evaluate`](crate::Verifier::evaluate)
    /// with the tree walk, when the record was found at the Author Domain itself without a
    /// `psd=` tag and no passing identifier (SPF MAIL FROM domain, DKIM `d=`) could need it:
    /// each is the Author Domain itself (aligned in any mode) or shares no parent domain with
    /// it (never aligned: an Organizational Domain is its domain or an ancestor, §4.10.2). The
    /// policy is then that record's `p=` whatever the Organizational Domain (§4.10.1), so the
    /// walk stops there. [`Verifier::organizational_domain`](crate::Verifier::organizational_domain)
    /// finds it.
    pub organizational_domain: Option<Name>,
    /// Where the record sits relative to the Author Domain.
    pub source: PolicySource,
    /// The record (shared with the `Verifier`'s cache of parsed records).
    pub record: Arc<Record>,
    /// The queries this discovery made, in order.
    pub queries: Vec<Query>,
}

/// Why no policy applies to an Author Domain: DMARC *none*.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoPolicyReason {
    /// No DMARC record at any name searched (RFC 9989 §4.10.1: "Mail Receivers MUST NOT
    /// apply the DMARC mechanism to the message").
    NoPolicyRecord,
    /// RFC 7489 mode: several DMARC records at `name` end policy discovery (RFC 7489 §6.6.3
    /// step 5). The tree walk discards them and walks on instead.
    MultipleRecords {
        /// Where the records were.
        name: Name,
    },
}

/// The outcome of policy discovery for one Author Domain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryOutcome {
    /// A record applies.
    Found(Box<PolicyDiscovery>),
    /// No record applies.
    NoPolicy {
        /// Why.
        reason: NoPolicyReason,
        /// The method used.
        method: DiscoveryMethod,
        /// The queries made.
        queries: Vec<Query>,
    },
    /// A query failed, so whether a record applies is unknown.
    TemporaryFailure {
        /// The failed query.
        failure: DnsFailure,
        /// The method used.
        method: DiscoveryMethod,
        /// The queries made, the failed one last.
        queries: Vec<Query>,
    },
}

/// What one `_dmarc` name holds, after RFC 9989 §4.10 step 2.
#[derive(Clone, Copy, Debug)]
enum AtName {
    Nothing,
    /// One DMARC record, kept by [`Lookups`] under the index of its query in the trace.
    One {
        query: usize,
        psd: PsdTag,
    },
    Several,
}

impl AtName {
    /// What the query at `index` of a trace found, from its answer.
    fn of(index: usize, query: &Query) -> Result<AtName, DnsFailure> {
        match query.answer {
            QueryAnswer::DmarcRecord(psd) => Ok(AtName::One { query: index, psd }),
            QueryAnswer::MultipleDmarcRecords(_) => Ok(AtName::Several),
            QueryAnswer::TemporaryFailure(kind) => Err(DnsFailure {
                name: query.name.clone(),
                record_type: query.record_type,
                kind,
            }),
            QueryAnswer::NoDmarcRecord
            | QueryAnswer::Records
            | QueryAnswer::NoRecords
            | QueryAnswer::NxDomain => Ok(AtName::Nothing),
        }
    }
}

/// Policy discovery inside the crate: [`DiscoveryOutcome`] without the box and the
/// queries, which stay in [`Lookups::trace`] until the caller moves them.
pub(crate) enum Discovered {
    Found(PolicyDiscovery),
    NoPolicy(NoPolicyReason),
    TemporaryFailure(DnsFailure),
}

impl Discovered {
    /// The public outcome, holding `queries`.
    pub(crate) fn into_outcome(
        self,
        method: DiscoveryMethod,
        queries: Vec<Query>,
    ) -> DiscoveryOutcome {
        match self {
            Discovered::Found(mut discovery) => {
                discovery.queries = queries;
                DiscoveryOutcome::Found(Box::new(discovery))
            }
            Discovered::NoPolicy(reason) => DiscoveryOutcome::NoPolicy {
                reason,
                method,
                queries,
            },
            Discovered::TemporaryFailure(failure) => DiscoveryOutcome::TemporaryFailure {
                failure,
                method,
                queries,
            },
        }
    }
}

/// The queries of one evaluation, each name asked once (tree walks overlap): a `_dmarc`
/// name already in `trace` is answered from there.
pub(crate) struct Lookups<'r, R> {
    resolver: &'r R,
    records: &'r RecordCache,
    /// The DMARC record of each query in `trace` that found exactly one
    /// ([`QueryAnswer::DmarcRecord`]), by the query's index: those of the first
    /// [`INLINE_RECORDS`] queries inline (a typical evaluation asks two or three
    /// names), later ones in `found_more`.
    found_inline: [Option<Arc<Record>>; INLINE_RECORDS],
    found_more: Vec<(usize, Arc<Record>)>,
    pub(crate) trace: Vec<Query>,
}

/// A finished DNS Tree Walk: the DMARC records found, longest name first, each at the
/// suffix of `start` with the given number of labels (names are built only when needed).
/// A walk queries at most [`MAX_TREE_WALK_QUERIES`] names, so the records fit inline; the
/// records themselves stay in [`Lookups`], under the index of their query.
pub(crate) struct Walk<'a> {
    start: &'a Name,
    /// `start.label_count()`, counted once.
    start_labels: usize,
    found: [FoundAt; MAX_TREE_WALK_QUERIES],
    /// How many entries of `found` are filled.
    found_count: usize,
}

/// A DMARC record a walk found: the label count of its name, its `psd=` and the index of
/// its query in the trace. Eight bytes, so a [`Walk`] moves without a `memcpy` call.
#[derive(Clone, Copy, Default)]
struct FoundAt {
    /// The index of the query; a trace of more than `u32::MAX` queries cannot be held in
    /// memory.
    query: u32,
    /// At most 127 (a name of 253 characters).
    labels: u8,
    psd: PsdTag,
}

impl FoundAt {
    fn labels(self) -> usize {
        usize::from(self.labels)
    }
}

impl Walk<'_> {
    /// The records found, longest name first.
    fn found(&self) -> &[FoundAt] {
        &self.found[..self.found_count]
    }

    /// The label count of the Organizational Domain, RFC 9989 §4.10.2: "select the
    /// Organizational Domain from the domains for which valid DMARC Policy Records were
    /// retrieved from the longest to the shortest".
    fn organizational_labels(&self) -> usize {
        select_organizational_labels(
            self.start_labels,
            self.found().iter().map(|found| (found.labels(), found.psd)),
        )
    }

    /// The Organizational Domain, as text (a suffix of the start's).
    pub(crate) fn organizational_text(&self) -> &str {
        suffix_text(
            self.start.as_str(),
            self.start_labels,
            self.organizational_labels(),
        )
    }

    /// The Organizational Domain.
    pub(crate) fn organizational_domain(&self) -> Name {
        self.name(self.organizational_labels())
    }

    /// The suffix of `start` with `labels` labels (at most all of them).
    fn name(&self, labels: usize) -> Name {
        if labels >= self.start_labels {
            // The usual Policy Domain and Organizational Domain: the start itself.
            return self.start.clone();
        }
        self.start
            .suffix(labels)
            .unwrap_or_else(|| self.start.clone())
    }
}

/// The suffix of `text` (a name's text with `total` labels) with `labels` labels (all of it
/// when it has fewer).
fn suffix_text(text: &str, total: usize, labels: usize) -> &str {
    let skip = total.saturating_sub(labels);
    if skip == 0 {
        return text;
    }
    text.match_indices('.')
        .nth(skip - 1)
        .map_or(text, |(index, _)| &text[index + 1..])
}

/// [`select_organizational_domain`] on label counts: `start` has `start_labels` labels and
/// each found name is the suffix of `start` with the given count (longest first).
fn select_organizational_labels(
    start_labels: usize,
    found: impl Iterator<Item = (usize, PsdTag)>,
) -> usize {
    let mut last = None;
    for (labels, psd) in found {
        match psd {
            PsdTag::OrganizationalDomain => return labels,
            PsdTag::PublicSuffixDomain if labels != start_labels => {
                return (labels + 1).min(start_labels);
            }
            _ => {}
        }
        last = Some(labels);
    }
    last.unwrap_or(start_labels)
}

/// The selection rules of RFC 9989 §4.10.2 over the records a walk from `start` found
/// (`found`, longest name first, with each record's `psd=`):
///
/// 1. "If a valid DMARC Policy Record contains the psd tag set to 'n', this is the
///    Organizational Domain";
/// 2. "If a valid DMARC Policy Record, other than the one for the domain where the tree walk
///    started, contains the psd tag set to 'y', the Organizational Domain is the domain one
///    label below this one";
/// 3. "Otherwise, select the DMARC Policy Record found at the name with the fewest number of
///    labels";
///
/// and "if this process does not determine the Organizational Domain, then the initial target
/// domain is the Organizational Domain".
pub fn select_organizational_domain(start: &Name, found: &[(Name, PsdTag)]) -> Name {
    for (name, psd) in found {
        match psd {
            PsdTag::OrganizationalDomain => return name.clone(),
            PsdTag::PublicSuffixDomain if name != start => {
                return start
                    .suffix(name.label_count() + 1)
                    .unwrap_or_else(|| start.clone());
            }
            _ => {}
        }
    }
    found
        .last()
        .map_or_else(|| start.clone(), |(name, _)| name.clone())
}

/// The names a DNS Tree Walk from `start` queries, in order (RFC 9989 §4.10 steps 3–7):
/// `start`, then — "if x < 8, remove the left-most label ... if x >= 8, remove the left-most
/// labels ... until 7 labels remain" — and each parent up to the single-label name. At most
/// [`MAX_TREE_WALK_QUERIES`] names.
pub fn tree_walk_names(start: &Name) -> Vec<Name> {
    tree_walk_suffixes(start, start.label_count())
        .filter_map(|(_, labels)| start.suffix(labels))
        .collect()
}

/// The names of [`tree_walk_names`] as suffixes of `start`'s text (each a valid, normalized
/// name, since it starts at a label boundary), with their label counts; `total` is `start`'s.
/// Nothing allocated.
fn tree_walk_suffixes(start: &Name, total: usize) -> impl Iterator<Item = (&str, usize)> {
    let text = start.as_str();
    let mut dots = text.match_indices('.').map(|(index, _)| index + 1);
    // After the start itself: drop labels down to seven when there are eight or more, then
    // one label at a time.
    let first_parent = if total >= MAX_TREE_WALK_QUERIES {
        total - (MAX_TREE_WALK_QUERIES - 1)
    } else {
        1
    };
    let parents = (first_parent..total).filter_map(move |skipped| {
        // Offsets come in order; `skipped` only grows, one label after the first step.
        let offset = if skipped == first_parent {
            dots.nth(skipped - 1)
        } else {
            dots.next()
        }?;
        Some((&text[offset..], total - skipped))
    });
    std::iter::once((text, total)).chain(parents)
}

/// See [`Lookups::found_inline`]. Small, because every evaluation's future holds them.
const INLINE_RECORDS: usize = 4;

impl<'r, R: Resolver> Lookups<'r, R> {
    pub(crate) fn new(resolver: &'r R, records: &'r RecordCache) -> Self {
        Lookups {
            resolver,
            records,
            found_inline: Default::default(),
            found_more: Vec::new(),
            // One tree walk's worth, so a typical evaluation never grows it.
            trace: Vec::with_capacity(MAX_TREE_WALK_QUERIES),
        }
    }

    /// The DMARC record at `_dmarc.<domain>`, if exactly one; `domain` is the text of a
    /// normalized [`Name`].
    async fn dmarc_at(&mut self, domain: &str) -> Result<AtName, DnsFailure> {
        // A name too long to take `_dmarc.` cannot hold a record.
        match self.records.record_name(domain) {
            Some(query_name) => self.dmarc_query(&query_name, None).await,
            None => Ok(AtName::Nothing),
        }
    }

    /// The DMARC record at `query_name` (a `_dmarc` name), if exactly one; `step` is the
    /// walk step the name comes from, if any.
    async fn dmarc_query(
        &mut self,
        query_name: &Name,
        step: Option<&WalkStep>,
    ) -> Result<AtName, DnsFailure> {
        // Only `_dmarc` names are queried for TXT records here.
        if let Some((index, query)) =
            self.trace.iter().enumerate().find(|(_, query)| {
                query.record_type == RecordType::Txt && query.name == *query_name
            })
        {
            return AtName::of(index, query);
        }
        match self.resolver.txt(query_name).await {
            Ok(answer) => {
                let (at, answer_kind) = match &answer {
                    Answer::NxDomain { .. } => (AtName::Nothing, QueryAnswer::NxDomain),
                    Answer::NoRecords { .. } => (AtName::Nothing, QueryAnswer::NoRecords),
                    Answer::Records { records, .. } => {
                        // RFC 9989 §4.10 step 2: keep the DMARC records; several mean none.
                        let found = self.records.dmarc_records(records, step);
                        match (found.count, found.first) {
                            (1, Some(record)) => {
                                let psd = record.public_suffix;
                                let query = self.trace.len();
                                self.keep(query, record);
                                (AtName::One { query, psd }, QueryAnswer::DmarcRecord(psd))
                            }
                            (0 | 1, _) => (AtName::Nothing, QueryAnswer::NoDmarcRecord),
                            (n, _) => (AtName::Several, QueryAnswer::MultipleDmarcRecords(n)),
                        }
                    }
                };
                self.record(query_name.clone(), RecordType::Txt, answer_kind);
                Ok(at)
            }
            Err(error) => {
                self.record(
                    query_name.clone(),
                    RecordType::Txt,
                    QueryAnswer::TemporaryFailure(error.kind()),
                );
                Err(DnsFailure {
                    name: query_name.clone(),
                    record_type: RecordType::Txt,
                    kind: error.kind(),
                })
            }
        }
    }

    /// Keeps `record`, found by the query at `index` of the trace.
    fn keep(&mut self, index: usize, record: Arc<Record>) {
        match self.found_inline.get_mut(index) {
            Some(slot) => *slot = Some(record),
            None => self.found_more.push((index, record)),
        }
    }

    /// The record kept for the query at `index` (see [`AtName::One`]).
    fn kept(&self, index: usize) -> Option<&Arc<Record>> {
        match self.found_inline.get(index) {
            Some(slot) => slot.as_ref(),
            None => self
                .found_more
                .iter()
                .find(|(at, _)| *at == index)
                .map(|(_, record)| record),
        }
    }

    fn record(&mut self, name: Name, record_type: RecordType, answer: QueryAnswer) {
        self.trace.push(Query {
            name,
            record_type,
            answer,
        });
    }

    /// RFC 9989 §4.10: query each name of [`tree_walk_names`], keep single DMARC records, and
    /// stop at one with `psd=y` or `psd=n`.
    pub(crate) async fn tree_walk<'a>(&mut self, start: &'a Name) -> Result<Walk<'a>, DnsFailure> {
        self.tree_walk_until(start, false).await
    }

    /// [`Lookups::tree_walk`]; with `stop_at_start`, the walk also stops at a record found at
    /// `start` itself (policy discovery needs no more when the Organizational Domain is not
    /// needed). Walking again from `start` later goes on from there: the names already
    /// queried are answered from this evaluation's cache.
    async fn tree_walk_until<'a>(
        &mut self,
        start: &'a Name,
        stop_at_start: bool,
    ) -> Result<Walk<'a>, DnsFailure> {
        let plan = self.records.walk_plan(start, || {
            let start_labels = start.label_count();
            WalkPlan {
                start_labels,
                steps: tree_walk_suffixes(start, start_labels)
                    .map(|(suffix, labels)| WalkStep::new(record_name(suffix), labels))
                    .collect(),
            }
        });
        let mut walk = Walk {
            start,
            start_labels: plan.start_labels,
            found: Default::default(),
            found_count: 0,
        };
        for step in &plan.steps {
            // A name too long to take `_dmarc.` cannot hold a record.
            let Some(query_name) = &step.query else {
                continue;
            };
            if let AtName::One { query, psd } = self.dmarc_query(query_name, Some(step)).await? {
                // A plan has at most MAX_TREE_WALK_QUERIES steps: a slot for each.
                // Names have at most 127 labels; trace indexes fit (see `FoundAt`).
                if let (Some(slot), Ok(labels), Ok(query)) = (
                    walk.found.get_mut(walk.found_count),
                    u8::try_from(step.labels),
                    u32::try_from(query),
                ) {
                    *slot = FoundAt { query, labels, psd };
                    walk.found_count += 1;
                }
                if psd != PsdTag::Undetermined
                    || (stop_at_start && step.labels == plan.start_labels)
                {
                    break;
                }
            }
        }
        Ok(walk)
    }

    /// Relaxed Identifier Alignment (RFC 9989 §3.2.10, §4.10.2) of `identifier` with an
    /// Author Domain whose Organizational Domain is `author_org`: aligned when their
    /// Organizational Domains are the same.
    ///
    /// An Organizational Domain is always its domain or one of its ancestors: each rule of
    /// §4.10.2 picks a name the walk from that domain queried, or the domain one label below
    /// such a name, or the domain itself (and the list of RFC 7489 §3.2 picks a suffix too).
    /// So when `author_org` is neither `identifier` nor an ancestor of it, no walk from
    /// `identifier` can end at `author_org`, whatever records or `psd=` tags it would find:
    /// the identifier is not aligned, no query is made, and its own Organizational Domain is
    /// left unknown (`None`). This is the check mail-auth makes before its walk.
    pub(crate) async fn relaxed_alignment(
        &mut self,
        identifier: &Name,
        author_org: &Name,
        list: Option<&PublicSuffixList>,
    ) -> AlignmentOutcome {
        if !identifier.is_within(author_org) {
            return AlignmentOutcome::NotAligned {
                organizational_domain: None,
            };
        }
        let org = match list {
            Some(list) => list
                .organizational_domain(identifier)
                .unwrap_or_else(|| identifier.clone()),
            None => match self.tree_walk_until(identifier, false).await {
                // Compared as text: the Organizational Domain's name is built only when it
                // is reported.
                Ok(walk) if walk.organizational_text() == author_org.as_str() => {
                    return AlignmentOutcome::Aligned;
                }
                Ok(walk) => walk.organizational_domain(),
                Err(failure) => return AlignmentOutcome::TemporaryFailure(failure),
            },
        };
        if org == *author_org {
            AlignmentOutcome::Aligned
        } else {
            AlignmentOutcome::NotAligned {
                organizational_domain: Some(org),
            }
        }
    }

    /// The Organizational Domain of `domain` by `method`.
    pub(crate) async fn organizational_domain(
        &mut self,
        domain: &Name,
        list: Option<&PublicSuffixList>,
    ) -> Result<Name, DnsFailure> {
        match list {
            Some(list) => Ok(list
                .organizational_domain(domain)
                .unwrap_or_else(|| domain.clone())),
            None => Ok(self.tree_walk(domain).await?.organizational_domain()),
        }
    }

    /// RFC 9989 §4.10.1 policy discovery with the tree walk. The queries stay in
    /// `self.trace`, for the caller to move where it wants them. With `lazy_organizational`
    /// (no identifier needs the Organizational Domain), a record without `psd=` at the Author
    /// Domain ends the walk and the Organizational Domain is left undetermined (`None`): the
    /// policy is that record's `p=` whatever it is (RFC 9989 §4.10.1).
    pub(crate) async fn discover_by_tree_walk(
        &mut self,
        author: &Name,
        lazy_organizational: bool,
    ) -> Discovered {
        let method = DiscoveryMethod::TreeWalk;
        let walk = match self.tree_walk_until(author, lazy_organizational).await {
            Ok(walk) => walk,
            Err(failure) => {
                return Discovered::TemporaryFailure(failure);
            }
        };
        let organizational_labels = walk.organizational_labels();
        // Every name walked is a suffix of the author domain, as is the Organizational
        // Domain, so names compare by their label counts.
        let at = |wanted: usize| walk.found().iter().find(|found| found.labels() == wanted);
        let chosen = if let Some(found) = at(walk.start_labels) {
            Some((found, PolicySource::AuthorDomain))
        } else if let Some(found) = at(organizational_labels) {
            Some((found, PolicySource::OrganizationalDomain))
        } else {
            walk.found()
                .iter()
                .find(|found| found.psd == PsdTag::PublicSuffixDomain)
                .map(|found| (found, PolicySource::PublicSuffixDomain))
        };
        // The walk stopped early only at such a record: the Organizational Domain is unknown.
        let undetermined = lazy_organizational
            && matches!(
                &chosen,
                Some((found, PolicySource::AuthorDomain)) if found.psd == PsdTag::Undetermined
            );
        // Every record a walk found is kept under its query (`dmarc_query`).
        let kept = |found: &FoundAt| self.kept(usize::try_from(found.query).ok()?);
        match chosen.and_then(|(found, source)| Some((found, source, kept(found)?))) {
            Some((found, source, record)) => Discovered::Found(PolicyDiscovery {
                method,
                author_domain: author.clone(),
                policy_domain: walk.name(found.labels()),
                organizational_domain: (!undetermined).then(|| walk.name(organizational_labels)),
                source,
                record: Arc::clone(record),
                queries: Vec::new(),
            }),
            None => Discovered::NoPolicy(NoPolicyReason::NoPolicyRecord),
        }
    }

    /// RFC 7489 §6.6.3 policy discovery: the Author Domain, then (if different and the first
    /// query found no DMARC record) its Organizational Domain from the list. As with
    /// [`Lookups::discover_by_tree_walk`], the queries stay in `self.trace`.
    pub(crate) async fn discover_by_list(
        &mut self,
        author: &Name,
        list: &PublicSuffixList,
    ) -> Discovered {
        let method = DiscoveryMethod::PublicSuffixList;
        let organizational_domain = list
            .organizational_domain(author)
            .unwrap_or_else(|| author.clone());
        let mut candidates = vec![(author.clone(), PolicySource::AuthorDomain)];
        if organizational_domain != *author {
            candidates.push((
                organizational_domain.clone(),
                PolicySource::OrganizationalDomain,
            ));
        }
        for (name, source) in candidates {
            match self.dmarc_at(name.as_str()).await {
                Err(failure) => {
                    return Discovered::TemporaryFailure(failure);
                }
                Ok(AtName::Nothing) => {}
                Ok(AtName::Several) => {
                    return Discovered::NoPolicy(NoPolicyReason::MultipleRecords { name });
                }
                Ok(AtName::One { query, .. }) => {
                    // Kept by `dmarc_query`, which found it.
                    if let Some(record) = self.kept(query) {
                        return Discovered::Found(PolicyDiscovery {
                            method,
                            author_domain: author.clone(),
                            policy_domain: name,
                            organizational_domain: Some(organizational_domain),
                            source,
                            record: Arc::clone(record),
                            queries: Vec::new(),
                        });
                    }
                }
            }
        }
        Discovered::NoPolicy(NoPolicyReason::NoPolicyRecord)
    }

    /// Whether `domain` exists. RFC 9989 §3.2.13 calls a domain non-existent when a query
    /// for it answers NXDOMAIN (RFC 8020); to keep one misbehaving server from turning on
    /// `np=`, we ask as RFC 9091 §2.7 did — A, then AAAA and MX — and call the domain
    /// non-existent only when all three answer NXDOMAIN. Any records or NODATA mean it exists.
    pub(crate) async fn domain_exists(&mut self, domain: &Name) -> Result<bool, DnsFailure> {
        for record_type in [RecordType::A, RecordType::Aaaa, RecordType::Mx] {
            let answer = match record_type {
                RecordType::A => self.resolver.a(domain).await.map(|a| kind_of(&a)),
                RecordType::Aaaa => self.resolver.aaaa(domain).await.map(|a| kind_of(&a)),
                _ => self.resolver.mx(domain).await.map(|a| kind_of(&a)),
            };
            match answer {
                Ok(answer) => {
                    self.record(domain.clone(), record_type, answer);
                    if answer != QueryAnswer::NxDomain {
                        return Ok(true);
                    }
                }
                Err(error) => {
                    self.record(
                        domain.clone(),
                        record_type,
                        QueryAnswer::TemporaryFailure(error.kind()),
                    );
                    return Err(DnsFailure {
                        name: domain.clone(),
                        record_type,
                        kind: error.kind(),
                    });
                }
            }
        }
        Ok(false)
    }
}

fn kind_of<T>(answer: &Answer<T>) -> QueryAnswer {
    match answer {
        Answer::Records { .. } => QueryAnswer::Records,
        Answer::NoRecords { .. } => QueryAnswer::NoRecords,
        Answer::NxDomain { .. } => QueryAnswer::NxDomain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    #[test]
    fn walk_names_follow_section_4_10() {
        let names: Vec<String> = tree_walk_names(&name("a.b.c.d.e.f.g.h.i.j.mail.example.com"))
            .iter()
            .map(ToString::to_string)
            .collect();
        // The example list of RFC 9989 §4.10.
        assert_eq!(
            names,
            [
                "a.b.c.d.e.f.g.h.i.j.mail.example.com",
                "g.h.i.j.mail.example.com",
                "h.i.j.mail.example.com",
                "i.j.mail.example.com",
                "j.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        assert_eq!(tree_walk_names(&name("com")).len(), 1);
        assert_eq!(tree_walk_names(&name("a.b.c.d.e.f.g.h")).len(), 8);
        assert_eq!(tree_walk_names(&name("a.b.c.d.e.f.g")).len(), 7);
    }

    #[test]
    fn selection_rules() {
        let start = name("a.mail.example.com");
        // §4.10.2 examples.
        assert_eq!(
            select_organizational_domain(
                &start,
                &[
                    (name("mail.example.com"), PsdTag::Undetermined),
                    (name("example.com"), PsdTag::Undetermined)
                ]
            ),
            name("example.com")
        );
        assert_eq!(
            select_organizational_domain(
                &start,
                &[(name("mail.example.com"), PsdTag::OrganizationalDomain)]
            ),
            name("mail.example.com")
        );
        assert_eq!(
            select_organizational_domain(&start, &[(name("com"), PsdTag::PublicSuffixDomain)]),
            name("example.com")
        );
        assert_eq!(select_organizational_domain(&start, &[]), start);
        // psd=y at the start itself: rule 2 skips it, rule 3 picks it.
        assert_eq!(
            select_organizational_domain(&start, &[(start.clone(), PsdTag::PublicSuffixDomain)]),
            start
        );
    }

    #[test]
    fn selection_on_label_counts_agrees() {
        use PsdTag::{OrganizationalDomain as N, PublicSuffixDomain as Y, Undetermined as U};
        let start = name("a.mail.example.com");
        let cases: [&[(usize, PsdTag)]; 7] = [
            &[],
            &[(3, U), (2, U)],
            &[(3, N)],
            &[(1, Y)],
            &[(4, Y)],
            &[(4, U), (2, Y)],
            &[(4, Y), (3, U), (1, U)],
        ];
        for found in cases {
            let by_name: Vec<(Name, PsdTag)> = found
                .iter()
                .map(|&(labels, psd)| (start.suffix(labels).unwrap(), psd))
                .collect();
            let labels = select_organizational_labels(4, found.iter().copied());
            assert_eq!(
                start.suffix(labels).unwrap(),
                select_organizational_domain(&start, &by_name),
                "{found:?}"
            );
        }
    }
}
