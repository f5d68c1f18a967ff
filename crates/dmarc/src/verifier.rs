//! Evaluation: identifier alignment, the DMARC result and the policy to apply
//! (RFC 9989 §4.4, §4.10, §5.3; RFC 7489 §6.6 in compatibility mode).

use std::sync::Mutex;

use mailproof_dns::{Name, Resolver};

use crate::discovery::{
    Discovered, DiscoveryMethod, DiscoveryOutcome, DnsFailure, Lookups, NoPolicyReason,
    PolicyDiscovery, PolicySource, Query,
};
use crate::psl::PublicSuffixList;
use crate::record::{AlignmentMode, Policy, PolicyDefect, RecordCache};

/// How many Author Domains one message may make us evaluate by default (RFC 9989 §11.5:
/// "Limiting the number of Author Domains processed will avoid this risk").
pub const DEFAULT_MAX_AUTHOR_DOMAINS: usize = 5;

/// The source of random numbers for RFC 7489's `pct=` sampling.
///
/// `sample_percent` returns a number from 0 to 99 (larger values are taken modulo 100); a
/// failing message is "selected" for its policy when the number is below `pct`. Closures
/// `FnMut() -> u8` implement it, so a caller can pass `|| rng.random_range(0..100)` with the
/// RNG of its choice, or a fixed sequence in tests.
pub trait Sampler {
    /// A number from 0 to 99.
    fn sample_percent(&mut self) -> u8;
}

impl<F: FnMut() -> u8> Sampler for F {
    fn sample_percent(&mut self) -> u8 {
        self()
    }
}

/// The SPF result of the message's MAIL FROM identity, as the SPF layer reported it.
///
/// Only the MAIL FROM identity counts (RFC 9989 §4.4.2: "DMARC relies solely on SPF
/// validation of the MAIL FROM identity"): never pass the HELO identity's result here. For a
/// null reverse-path, RFC 7208 §2.4 makes `postmaster@<HELO>` the MAIL FROM identity; its
/// domain is then the one to give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfOutcome {
    /// The SPF result.
    pub result: SpfResult,
    /// The MAIL FROM domain that SPF checked; `None` when there was none.
    pub mail_from_domain: Option<Name>,
}

impl SpfOutcome {
    /// No SPF evaluation took place.
    pub fn none() -> SpfOutcome {
        SpfOutcome {
            result: SpfResult::None,
            mail_from_domain: None,
        }
    }
}

/// RFC 7208 §2.6 results. Only [`SpfResult::Pass`] produces an Authenticated Identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

/// One DKIM signature's verification outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimOutcome {
    /// The verification result.
    pub result: DkimResult,
    /// The signature's `d=` tag.
    pub signing_domain: Name,
}

/// RFC 8601 §2.7.1 DKIM results. Only [`DkimResult::Pass`] produces an Authenticated
/// Identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum DkimResult {
    Pass,
    Fail,
    Neutral,
    Policy,
    None,
    TempError,
    PermError,
}

/// The Author Domain(s) of the message, as the message layer found them in RFC5322.From.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// One From field. RFC 5322 allows several mailboxes in it; each distinct domain is
    /// evaluated and the strictest outcome applies (RFC 9989 §11.5). An empty list is treated
    /// as [`Author::Unusable`] with [`FromProblem::Missing`].
    From(Vec<Name>),
    /// Several From fields, which RFC 5322 §3.6 forbids. Each domain is evaluated and the
    /// strictest outcome applies, but the result is never *pass*: a pass or *none* becomes
    /// *permerror* ([`PermErrorReason::SeveralFromFields`]) and the policy of the known
    /// domains is applied as if they failed.
    SeveralFromFields(Vec<Name>),
    /// No usable From: missing, or a domain that could not be read. The domains that could be
    /// read are still evaluated; the result is never *pass* (it is *permerror*
    /// [`PermErrorReason::NoUsableFrom`], or a stricter result of a known domain) and the
    /// policy of the known domains is applied as if they failed.
    Unusable {
        /// What is wrong with the From field(s).
        problem: FromProblem,
        /// Domains that could be read nonetheless.
        known_domains: Vec<Name>,
    },
}

impl Author {
    /// The common case: one From field with one mailbox.
    pub fn single(domain: Name) -> Author {
        Author::From(vec![domain])
    }
}

/// What is wrong with the message's From.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FromProblem {
    /// No From field, or one without any mailbox.
    Missing,
    /// A From field whose address or domain could not be parsed.
    Malformed,
}

/// The DMARC result (RFC 9989 §9.2), each non-pass with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DmarcResult {
    /// An Authenticated Identifier is aligned with the Author Domain.
    Pass(AlignedIdentifier),
    /// A policy exists, but no Authenticated Identifier is aligned.
    Fail(FailReason),
    /// No DMARC policy applies.
    None(NoPolicyReason),
    /// A DNS query did not complete; a later attempt may give a final result.
    TempError(DnsFailure),
    /// The evaluation cannot give a final result, and retrying will not help.
    PermError(PermErrorReason),
}

impl DmarcResult {
    /// The RFC 8601 keyword: `pass`, `fail`, `none`, `temperror` or `permerror`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DmarcResult::Pass(_) => "pass",
            DmarcResult::Fail(_) => "fail",
            DmarcResult::None(_) => "none",
            DmarcResult::TempError(_) => "temperror",
            DmarcResult::PermError(_) => "permerror",
        }
    }

    /// True for *pass*.
    pub fn is_pass(&self) -> bool {
        matches!(self, DmarcResult::Pass(_))
    }

    /// Strictness rank for combining several Author Domains: fail > temperror > permerror >
    /// none > pass.
    fn rank(&self) -> u8 {
        match self {
            DmarcResult::Pass(_) => 0,
            DmarcResult::None(_) => 1,
            DmarcResult::PermError(_) => 2,
            DmarcResult::TempError(_) => 3,
            DmarcResult::Fail(_) => 4,
        }
    }
}

impl std::fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifier that made a message pass. Only this crate builds one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignedIdentifier {
    mechanism: Mechanism,
    domain: Name,
    mode: AlignmentMode,
}

impl AlignedIdentifier {
    /// SPF or DKIM.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The Authenticated Identifier: the MAIL FROM domain or the DKIM `d=`.
    pub fn domain(&self) -> &Name {
        &self.domain
    }

    /// The alignment mode the record asked for.
    pub fn mode(&self) -> AlignmentMode {
        self.mode
    }
}

/// The mechanism behind an Authenticated Identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// SPF, MAIL FROM identity.
    Spf,
    /// A DKIM signature.
    Dkim,
}

/// Why a message failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// Neither SPF nor any DKIM signature passed (RFC 9989 §5.3.5: "If no Authenticated
    /// Identifiers exist").
    NoAuthenticatedIdentifier,
    /// Identifiers passed, but none is aligned with the Author Domain.
    NotAligned,
}

/// Why the result is *permerror*.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermErrorReason {
    /// The applicable record yields no policy (RFC 9989 §4.10.1, §9.2).
    UnusableRecord {
        /// Where the record was.
        policy_domain: Name,
        /// What is wrong with it.
        defect: PolicyDefect,
    },
    /// The message has no usable From ([`Author::Unusable`]).
    NoUsableFrom(FromProblem),
    /// The message has several From fields ([`Author::SeveralFromFields`]).
    SeveralFromFields,
    /// More distinct Author Domains than the configured limit; only the first ones were
    /// evaluated, so the evaluation is incomplete (RFC 9989 §11.5).
    TooManyAuthorDomains {
        /// How many distinct domains the message has.
        count: usize,
        /// How many were evaluated.
        evaluated: usize,
    },
}

/// Which tag the applied policy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyTag {
    /// `p=`.
    Policy,
    /// `sp=`.
    SubdomainPolicy,
    /// `np=`.
    NonexistentSubdomainPolicy,
}

/// Why the applied policy is milder than the requested one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyAdjustment {
    /// `t=y`: one step milder (RFC 9989 §4.7).
    TestMode,
    /// RFC 7489 mode: the message was not selected by `pct=` sampling and gets the policy one
    /// step milder (RFC 7489 §6.3).
    NotSampled {
        /// The record's `pct=`.
        percent: u8,
    },
}

/// The Domain Owner Assessment Policy chosen for a failing message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedPolicy {
    /// The policy the record asks for, from `tag`.
    pub requested: Policy,
    /// Where it came from.
    pub tag: PolicyTag,
    /// The policy to apply after `t=` (or, in RFC 7489 mode, `pct=`).
    pub applied: Policy,
    /// Why `applied` is milder than `requested`, if it is.
    pub adjustment: Option<PolicyAdjustment>,
    /// True when the record had no valid `p=` and counts as `p=none` (RFC 9989 §4.10.1).
    pub defaulted_to_none: bool,
    /// True when `np=` applied because the Author Domain does not exist.
    pub author_domain_nonexistent: bool,
}

/// How one Authenticated Identifier fared.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdentifierAlignment {
    /// SPF or DKIM.
    pub mechanism: Mechanism,
    /// The identifier's domain.
    pub domain: Name,
    /// The mode the record asked for.
    pub mode: AlignmentMode,
    /// The outcome.
    pub outcome: AlignmentOutcome,
}

/// Whether an identifier is aligned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlignmentOutcome {
    /// Aligned.
    Aligned,
    /// Not aligned; in relaxed mode, with the identifier's Organizational Domain.
    NotAligned {
        /// The identifier's Organizational Domain, in relaxed mode when it was looked up.
        /// `None` in strict mode, and for an identifier that is neither the Author Domain's
        /// Organizational Domain nor below it: its Organizational Domain, always itself or
        /// an ancestor, cannot be the Author Domain's, so it is not looked up.
        organizational_domain: Option<Name>,
    },
    /// The identifier's Organizational Domain could not be found.
    TemporaryFailure(DnsFailure),
}

/// The evaluation of one Author Domain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorEvaluation {
    /// The Author Domain.
    pub author_domain: Name,
    /// Its DMARC result.
    pub result: DmarcResult,
    /// The method used to look for a policy.
    pub method: DiscoveryMethod,
    /// The record found and where, if any.
    pub discovery: Option<PolicyDiscovery>,
    /// Each Authenticated Identifier checked against the Author Domain.
    pub alignments: Vec<IdentifierAlignment>,
    /// The policy for this domain, when it failed (or when the message's From is unusable).
    pub policy: Option<AppliedPolicy>,
    /// The DNS queries of this domain's evaluation that are not in `discovery`'s list, in
    /// order: all of them when there is no `discovery`, otherwise those made after policy
    /// discovery (alignment tree walks, the existence check for `np=`).
    /// [`AuthorEvaluation::queries`] lists every query.
    pub other_queries: Vec<Query>,
}

impl AuthorEvaluation {
    /// Every DNS query this domain's evaluation made, in order: `discovery`'s, then
    /// `other_queries`.
    pub fn queries(&self) -> impl Iterator<Item = &Query> {
        self.discovery
            .iter()
            .flat_map(|discovery| &discovery.queries)
            .chain(&self.other_queries)
    }
}

/// The DMARC verdict for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evaluation {
    /// The message's result: the strictest over its Author Domains.
    pub result: DmarcResult,
    /// The policy to apply: the strictest over the Author Domains it applies to (`None` when
    /// nothing is to be applied, as for *pass* or *none*).
    pub policy: Option<AppliedPolicy>,
    /// One entry per distinct Author Domain evaluated.
    pub authors: Vec<AuthorEvaluation>,
}

impl Evaluation {
    /// The policy to apply, `none` when there is none: what a receiver acts on after its own
    /// local policy (RFC 9989 §5.4: "MUST NOT reject messages solely on the basis of a
    /// 'p=reject' policy").
    pub fn disposition(&self) -> Policy {
        self.policy.map_or(Policy::None, |p| p.applied)
    }
}

enum Mode {
    TreeWalk,
    Rfc7489 {
        list: PublicSuffixList,
        sampler: Mutex<Box<dyn Sampler + Send>>,
    },
}

/// Evaluates DMARC for messages; build once, reuse for every message.
///
/// [`Verifier::new`] follows RFC 9989 (DNS Tree Walk, `psd=`, `np=`, `t=`; `pct=` ignored as
/// historic). [`Verifier::rfc7489`] is the compatibility mode: RFC 7489 §6.6.3 discovery and
/// §3.2 Organizational Domains from a Public Suffix List, `pct=` sampling, `t=` and `psd=`
/// ignored (RFC 7489 has neither), `np=` honoured (RFC 9091, which updated RFC 7489).
///
/// See the crate documentation for examples.
pub struct Verifier {
    mode: Mode,
    max_author_domains: usize,
    /// Records parsed so far, by their TXT text.
    records: RecordCache,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("method", &self.method())
            .field("max_author_domains", &self.max_author_domains)
            .finish_non_exhaustive()
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl Verifier {
    /// RFC 9989 evaluation with the DNS Tree Walk.
    pub fn new() -> Verifier {
        Verifier {
            mode: Mode::TreeWalk,
            max_author_domains: DEFAULT_MAX_AUTHOR_DOMAINS,
            records: RecordCache::default(),
        }
    }

    /// RFC 7489 evaluation with `list` and `sampler` for `pct=`.
    pub fn rfc7489(list: PublicSuffixList, sampler: impl Sampler + Send + 'static) -> Verifier {
        Verifier {
            mode: Mode::Rfc7489 {
                list,
                sampler: Mutex::new(Box::new(sampler)),
            },
            max_author_domains: DEFAULT_MAX_AUTHOR_DOMAINS,
            records: RecordCache::default(),
        }
    }

    /// Evaluates at most `limit` distinct Author Domains per message (at least 1).
    #[must_use]
    pub fn with_max_author_domains(mut self, limit: usize) -> Verifier {
        self.max_author_domains = limit.max(1);
        self
    }

    /// The discovery method in use.
    pub fn method(&self) -> DiscoveryMethod {
        match self.mode {
            Mode::TreeWalk => DiscoveryMethod::TreeWalk,
            Mode::Rfc7489 { .. } => DiscoveryMethod::PublicSuffixList,
        }
    }

    pub(crate) fn record_cache(&self) -> &RecordCache {
        &self.records
    }

    pub(crate) fn list(&self) -> Option<&PublicSuffixList> {
        match &self.mode {
            Mode::TreeWalk => None,
            Mode::Rfc7489 { list, .. } => Some(list),
        }
    }

    /// Policy discovery alone for `author_domain` (RFC 9989 §4.10.1 or RFC 7489 §6.6.3).
    pub async fn discover<R: Resolver>(
        &self,
        resolver: &R,
        author_domain: &Name,
    ) -> DiscoveryOutcome {
        let mut lookups = Lookups::new(resolver, &self.records);
        self.discover_with(&mut lookups, author_domain, false)
            .await
            .into_outcome(self.method(), lookups.trace)
    }

    async fn discover_with<R: Resolver>(
        &self,
        lookups: &mut Lookups<'_, R>,
        author_domain: &Name,
        lazy_organizational: bool,
    ) -> Discovered {
        match self.list() {
            None => {
                lookups
                    .discover_by_tree_walk(author_domain, lazy_organizational)
                    .await
            }
            Some(list) => lookups.discover_by_list(author_domain, list).await,
        }
    }

    /// The Organizational Domain of `domain` (RFC 9989 §4.10.2, or RFC 7489 §3.2 with the
    /// list; a public suffix is its own).
    ///
    /// # Errors
    /// [`DnsFailure`] when a tree-walk query fails.
    pub async fn organizational_domain<R: Resolver>(
        &self,
        resolver: &R,
        domain: &Name,
    ) -> Result<Name, DnsFailure> {
        Lookups::new(resolver, &self.records)
            .organizational_domain(domain, self.list())
            .await
    }

    /// Evaluates DMARC for a message: for each Author Domain, policy discovery, Identifier
    /// Alignment of the passing SPF MAIL FROM domain and DKIM `d=` domains, the result, and
    /// for failures the policy to apply.
    pub async fn evaluate<R: Resolver>(
        &self,
        resolver: &R,
        author: &Author,
        spf: &SpfOutcome,
        dkim: &[DkimOutcome],
    ) -> Evaluation {
        // The common case, one From field with one mailbox: its result is the message's.
        if let Author::From(domains) = author
            && let [domain] = domains.as_slice()
        {
            let evaluation = self
                .evaluate_author(resolver, domain, spf, dkim, false)
                .await;
            return Evaluation {
                result: evaluation.result.clone(),
                policy: evaluation.policy,
                authors: vec![evaluation],
            };
        }
        // Boxed: its state (the list of domains, their evaluations so far) would otherwise
        // enlarge every message's future, which is moved as a whole.
        Box::pin(self.evaluate_several(resolver, author, spf, dkim)).await
    }

    /// [`Verifier::evaluate`] of any [`Author`] but a single domain in one From field.
    async fn evaluate_several<R: Resolver>(
        &self,
        resolver: &R,
        author: &Author,
        spf: &SpfOutcome,
        dkim: &[DkimOutcome],
    ) -> Evaluation {
        let (domains, problem) = match author {
            Author::From(domains) if domains.is_empty() => (
                domains,
                Some(PermErrorReason::NoUsableFrom(FromProblem::Missing)),
            ),
            Author::From(domains) => (domains, None),
            Author::SeveralFromFields(domains) => {
                (domains, Some(PermErrorReason::SeveralFromFields))
            }
            Author::Unusable {
                problem,
                known_domains,
            } => (known_domains, Some(PermErrorReason::NoUsableFrom(*problem))),
        };
        // The common single domain needs no list of distinct ones.
        let single: [&Name; 1];
        let mut several: Vec<&Name> = Vec::new();
        let distinct: &[&Name] = if let [domain] = domains.as_slice() {
            single = [domain];
            &single
        } else {
            // A set, not a search of the list per domain: a hostile From can hold tens of
            // thousands of them.
            let mut seen = std::collections::HashSet::with_capacity(domains.len());
            several.extend(domains.iter().filter(|domain| seen.insert(*domain)));
            &several
        };
        let too_many = (distinct.len() > self.max_author_domains).then_some(
            PermErrorReason::TooManyAuthorDomains {
                count: distinct.len(),
                evaluated: self.max_author_domains,
            },
        );
        let distinct = &distinct[..distinct.len().min(self.max_author_domains)];
        // With an unusable From, the known domains' policies apply even if they pass.
        let policy_regardless = problem.is_some();
        let mut authors = Vec::with_capacity(distinct.len());
        for domain in distinct {
            authors.push(
                self.evaluate_author(resolver, domain, spf, dkim, policy_regardless)
                    .await,
            );
        }
        let mut result = authors
            .iter()
            .map(|a| &a.result)
            .fold(None::<&DmarcResult>, |worst, r| match worst {
                Some(w) if w.rank() >= r.rank() => Some(w),
                _ => Some(r),
            })
            .cloned();
        if let Some(reason) = problem.or(too_many)
            && result.as_ref().is_none_or(|r| r.rank() < 2)
        {
            result = Some(DmarcResult::PermError(reason));
        }
        let policy = authors
            .iter()
            .filter_map(|a| a.policy)
            .max_by_key(|p| p.applied);
        Evaluation {
            result: result.unwrap_or(DmarcResult::PermError(PermErrorReason::NoUsableFrom(
                FromProblem::Missing,
            ))),
            policy,
            authors,
        }
    }

    async fn evaluate_author<R: Resolver>(
        &self,
        resolver: &R,
        author_domain: &Name,
        spf: &SpfOutcome,
        dkim: &[DkimOutcome],
        policy_regardless: bool,
    ) -> AuthorEvaluation {
        let mut lookups = Lookups::new(resolver, &self.records);
        // Without a record, every query belongs to `other_queries`.
        let without_record = |result, trace| AuthorEvaluation {
            author_domain: author_domain.clone(),
            result,
            method: self.method(),
            discovery: None,
            alignments: Vec::new(),
            policy: None,
            other_queries: trace,
        };
        // RFC 9989 §4.10.1: a record at the Author Domain decides the policy whatever its
        // Organizational Domain, which only relaxed alignment needs, and only for an
        // identifier that is not the Author Domain but shares a parent domain with it
        // (Organizational Domains are their domain or an ancestor, §4.10.2). Without one, the
        // walk may stop at the Author Domain's record.
        let needs_organizational = needs_organizational_domain(author_domain, spf, dkim);
        let mut discovery = match self
            .discover_with(&mut lookups, author_domain, !needs_organizational)
            .await
        {
            Discovered::Found(discovery) => discovery,
            Discovered::NoPolicy(reason) => {
                return without_record(DmarcResult::None(reason), lookups.trace);
            }
            Discovered::TemporaryFailure(failure) => {
                return without_record(DmarcResult::TempError(failure), lookups.trace);
            }
        };
        // The evaluation is built at the end, from these values: a future holding it across
        // the awaits below would be larger, and every poll moves it.
        let discovery_queries = lookups.trace.len();
        let requested = match discovery.record.requested_policies() {
            Ok(requested) => requested,
            Err(defect) => {
                let result = DmarcResult::PermError(PermErrorReason::UnusableRecord {
                    policy_domain: discovery.policy_domain.clone(),
                    defect,
                });
                discovery.queries = lookups.trace;
                let mut evaluation = without_record(result, Vec::new());
                evaluation.discovery = Some(discovery);
                return evaluation;
            }
        };

        let alignments = self
            .check_alignments(&mut lookups, &mut discovery, spf, dkim)
            .await;
        let aligned = alignments
            .iter()
            .find(|a| a.outcome == AlignmentOutcome::Aligned);
        let failure = alignments.iter().find_map(|a| match &a.outcome {
            AlignmentOutcome::TemporaryFailure(f) => Some(f.clone()),
            _ => None,
        });
        let mut result = match (aligned, failure) {
            (Some(a), _) => DmarcResult::Pass(AlignedIdentifier {
                mechanism: a.mechanism,
                domain: a.domain.clone(),
                mode: a.mode,
            }),
            (None, Some(failure)) => DmarcResult::TempError(failure),
            (None, None) if alignments.is_empty() => {
                DmarcResult::Fail(FailReason::NoAuthenticatedIdentifier)
            }
            (None, None) => DmarcResult::Fail(FailReason::NotAligned),
        };

        let mut policy = None;
        if matches!(result, DmarcResult::Fail(_)) || policy_regardless {
            match self
                .select_policy(&mut lookups, &discovery, requested)
                .await
            {
                Ok(selected) => policy = Some(selected),
                Err(failure) => {
                    if !result.is_pass() {
                        result = DmarcResult::TempError(failure);
                    }
                }
            }
        }
        // The discovery's queries open the trace: move them, and the rest, without copies.
        let mut trace = lookups.trace;
        let other_queries = trace.split_off(discovery_queries.min(trace.len()));
        discovery.queries = trace;
        AuthorEvaluation {
            author_domain: author_domain.clone(),
            result,
            method: self.method(),
            discovery: Some(discovery),
            alignments,
            policy,
            other_queries,
        }
    }

    /// RFC 9989 §4.4 and §4.10.2: each passing SPF MAIL FROM or DKIM `d=` domain against the
    /// Author Domain, strict (identical) or relaxed (same Organizational Domain).
    async fn check_alignments<R: Resolver>(
        &self,
        lookups: &mut Lookups<'_, R>,
        discovery: &mut PolicyDiscovery,
        spf: &SpfOutcome,
        dkim: &[DkimOutcome],
    ) -> Vec<IdentifierAlignment> {
        let spf_identifier = match (&spf.result, &spf.mail_from_domain) {
            (SpfResult::Pass, Some(domain)) => Some((Mechanism::Spf, domain)),
            _ => None,
        };
        let dkim_identifiers = dkim
            .iter()
            .filter(|signature| signature.result == DkimResult::Pass)
            .map(|signature| (Mechanism::Dkim, &signature.signing_domain));
        let passing_dkim = dkim.iter().filter(|s| s.result == DkimResult::Pass).count();
        let mut alignments: Vec<IdentifierAlignment> =
            Vec::with_capacity(usize::from(spf_identifier.is_some()) + passing_dkim);
        for (mechanism, domain) in spf_identifier.into_iter().chain(dkim_identifiers) {
            // Each DKIM domain once, however many signatures it made.
            if mechanism == Mechanism::Dkim
                && alignments
                    .iter()
                    .any(|a| a.mechanism == Mechanism::Dkim && a.domain == *domain)
            {
                continue;
            }
            let mode = match mechanism {
                Mechanism::Spf => discovery.record.spf_alignment,
                Mechanism::Dkim => discovery.record.dkim_alignment,
            };
            let outcome = if domain == &discovery.author_domain {
                AlignmentOutcome::Aligned
            } else if mode == AlignmentMode::Strict {
                AlignmentOutcome::NotAligned {
                    organizational_domain: None,
                }
            } else if discovery.organizational_domain.is_none()
                && !shares_top_label(domain, &discovery.author_domain)
            {
                // Both Organizational Domains are their domain or an ancestor (RFC 9989
                // §4.10.2): without a common parent they differ, whatever the walks find.
                AlignmentOutcome::NotAligned {
                    organizational_domain: None,
                }
            } else {
                // The Author Domain's Organizational Domain. Discovery determines it whenever a
                // passing identifier could need it (see `evaluate_author`); walking again
                // would take the names already asked from this evaluation's cache.
                // That walk is boxed: it is not expected to run, and its state would enlarge
                // every evaluation's future.
                if discovery.organizational_domain.is_none() {
                    let walk = lookups.organizational_domain(&discovery.author_domain, self.list());
                    match Box::pin(walk).await {
                        Ok(org) => discovery.organizational_domain = Some(org),
                        Err(failure) => {
                            push_alignment(
                                &mut alignments,
                                mechanism,
                                domain,
                                mode,
                                AlignmentOutcome::TemporaryFailure(failure),
                            );
                            continue;
                        }
                    }
                }
                match &discovery.organizational_domain {
                    Some(org) => lookups.relaxed_alignment(domain, org, self.list()).await,
                    // Set just above.
                    None => AlignmentOutcome::NotAligned {
                        organizational_domain: None,
                    },
                }
            };
            push_alignment(&mut alignments, mechanism, domain, mode, outcome);
        }
        alignments
    }

    /// RFC 9989 §4.10.1: `p=` for the Author Domain's own record; otherwise `np=` if the
    /// Author Domain does not exist, else `sp=`, falling back to `p=`. Then `t=y` (RFC 9989)
    /// or `pct=` (RFC 7489) may lower it one step.
    async fn select_policy<R: Resolver>(
        &self,
        lookups: &mut Lookups<'_, R>,
        discovery: &PolicyDiscovery,
        requested: crate::record::RequestedPolicies,
    ) -> Result<AppliedPolicy, DnsFailure> {
        let mut nonexistent = false;
        let (requested_policy, tag) = if discovery.source == PolicySource::AuthorDomain {
            (requested.policy, PolicyTag::Policy)
        } else {
            // Existence only matters when `np=` is given (without it, `sp=`/`p=` apply to
            // existing and non-existent subdomains alike).
            if requested.nonexistent_subdomain_policy.is_some() {
                nonexistent = !lookups.domain_exists(&discovery.author_domain).await?;
            }
            match (
                nonexistent,
                requested.nonexistent_subdomain_policy,
                requested.subdomain_policy,
            ) {
                (true, Some(np), _) => (np, PolicyTag::NonexistentSubdomainPolicy),
                (_, _, Some(sp)) => (sp, PolicyTag::SubdomainPolicy),
                _ => (requested.policy, PolicyTag::Policy),
            }
        };
        let mut applied = requested_policy;
        let mut adjustment = None;
        match &self.mode {
            Mode::TreeWalk => {
                if discovery.record.testing && requested_policy != Policy::None {
                    applied = requested_policy.one_step_milder();
                    adjustment = Some(PolicyAdjustment::TestMode);
                }
            }
            Mode::Rfc7489 { sampler, .. } => {
                if let Some(percent) = discovery.record.percent
                    && percent < 100
                    && requested_policy != Policy::None
                {
                    // A poisoned lock only means another thread panicked mid-sample; the
                    // sampler itself is still usable.
                    let sample = match sampler.lock() {
                        Ok(mut guard) => guard.sample_percent(),
                        Err(poisoned) => poisoned.into_inner().sample_percent(),
                    } % 100;
                    if sample >= percent {
                        applied = requested_policy.one_step_milder();
                        adjustment = Some(PolicyAdjustment::NotSampled { percent });
                    }
                }
            }
        }
        Ok(AppliedPolicy {
            requested: requested_policy,
            tag,
            applied,
            adjustment,
            defaulted_to_none: requested.defaulted_to_none,
            author_domain_nonexistent: nonexistent,
        })
    }
}

/// Appends `domain`'s [`IdentifierAlignment`].
fn push_alignment(
    alignments: &mut Vec<IdentifierAlignment>,
    mechanism: Mechanism,
    domain: &Name,
    mode: AlignmentMode,
    outcome: AlignmentOutcome,
) {
    alignments.push(IdentifierAlignment {
        mechanism,
        domain: domain.clone(),
        mode,
        outcome,
    });
}

/// Whether relaxed alignment may need the Author Domain's Organizational Domain: some
/// passing identifier shares a parent domain with the Author Domain (Organizational Domains
/// are their domain or an ancestor, RFC 9989 §4.10.2), and none is the Author Domain itself,
/// which aligns in either mode whatever the Organizational Domain (so a walk that fails
/// beyond the Author Domain's record must not turn that certain pass into a temperror).
fn needs_organizational_domain(
    author_domain: &Name,
    spf: &SpfOutcome,
    dkim: &[DkimOutcome],
) -> bool {
    let spf_identifier = match (&spf.result, &spf.mail_from_domain) {
        (SpfResult::Pass, Some(domain)) => Some(domain),
        _ => None,
    };
    let (mut identical, mut related) = (false, false);
    for identifier in spf_identifier.into_iter().chain(
        dkim.iter()
            .filter(|signature| signature.result == DkimResult::Pass)
            .map(|signature| &signature.signing_domain),
    ) {
        if identifier == author_domain {
            identical = true;
        } else if shares_top_label(identifier, author_domain) {
            related = true;
        }
    }
    related && !identical
}

/// Whether `a` and `b` end in the same label, i.e. share a parent domain other than the root
/// (or one is that single-label domain). Names are normalized (lowercase, no trailing dot).
fn shares_top_label(a: &Name, b: &Name) -> bool {
    // From the ends backwards, up to the first dot (names are short: a plain byte loop).
    let (a, b) = (a.as_str().as_bytes(), b.as_str().as_bytes());
    let mut pairs = a.iter().rev().zip(b.iter().rev());
    loop {
        match pairs.next() {
            Some((&x, &y)) if x != y => return false,
            Some((&b'.', _)) => return true,
            Some(_) => {}
            // One name is its top label: the other must end there or at a dot.
            None => {
                let shorter = a.len().min(b.len());
                let longer = if a.len() > b.len() { a } else { b };
                return longer.len() == shorter || longer[longer.len() - shorter - 1] == b'.';
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_label_comparison_agrees_with_splitting() {
        let names = [
            "com",
            "example.com",
            "mail.example.com",
            "xcom",
            "x.xcom",
            "example.net",
            "co.uk",
            "a.co.uk",
            "uk",
            "k",
            "a.b",
            "b",
        ];
        for a in names {
            for b in names {
                let reference = a.rsplit('.').next() == b.rsplit('.').next();
                let (x, y) = (Name::new(a).unwrap(), Name::new(b).unwrap());
                assert_eq!(shares_top_label(&x, &y), reference, "{a} {b}");
            }
        }
    }
}
