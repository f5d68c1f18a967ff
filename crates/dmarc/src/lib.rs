//! DMARC for mailproof: RFC 9989 (which obsoletes RFC 7489 and RFC 9091), with an RFC 7489
//! compatibility mode.
//!
//! This crate takes what other layers found — the Author Domain(s) of RFC5322.From, the SPF
//! result of the MAIL FROM identity, and each DKIM signature's result — as plain values, finds
//! the DMARC Policy Record through the [`Resolver`](mailproof_dns::Resolver) trait, and
//! returns the DMARC result (`pass`, `fail`, `none`, `temperror`, `permerror`, each non-pass
//! with a typed reason) with the Domain Owner Assessment Policy to apply. It does not run SPF
//! or DKIM.
//!
//! | task | entry point |
//! |---|---|
//! | parse a record | [`Record::parse`] |
//! | evaluate a message | [`Verifier::evaluate`] |
//! | find a policy only | [`Verifier::discover`] |
//! | find an Organizational Domain | [`Verifier::organizational_domain`] |
//! | check `rua=`/`ruf=` destinations | [`Verifier::verify_report_destinations`] |
//!
//! # Evaluating a message
//! The spoof every DMARC deployment exists for: the envelope and the DKIM signature belong to
//! `fake.example`, the From to `a.example`, which publishes `p=reject`.
//! ```
//! use mailproof_dmarc::{Author, DkimOutcome, DkimResult, DmarcResult, FailReason, Policy,
//!                       SpfOutcome, SpfResult, Verifier};
//! use mailproof_dns::{Name, ZoneResolver};
//!
//! let name = |s: &str| Name::new(s).unwrap();
//! let mut zone = ZoneResolver::new();
//! zone.add_txt(name("_dmarc.a.example"), &["v=DMARC1; p=reject"]);
//!
//! let verifier = Verifier::new(); // RFC 9989, DNS Tree Walk
//! let spf = SpfOutcome { result: SpfResult::Pass, mail_from_domain: Some(name("fake.example")) };
//! let dkim = [DkimOutcome { result: DkimResult::Pass, signing_domain: name("fake.example") }];
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let evaluation = verifier
//!     .evaluate(&zone, &Author::single(name("a.example")), &spf, &dkim)
//!     .await;
//! assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
//! assert_eq!(evaluation.disposition(), Policy::Reject);
//! let discovery = evaluation.authors[0].discovery.as_ref().unwrap();
//! assert_eq!(discovery.policy_domain, name("a.example"));
//! # });
//! ```
//!
//! # Discovery: the DNS Tree Walk, or the Public Suffix List
//! [`Verifier::new`] follows RFC 9989 §4.10: it queries `_dmarc.<author>` and then its
//! parents (at most [`MAX_TREE_WALK_QUERIES`] names, long names shortened to seven labels),
//! honours `psd=y`/`psd=n`, picks the Organizational Domain by §4.10.2, and falls back to a
//! Public Suffix Domain's record. [`Verifier::rfc7489`] is the RFC 7489 mode: the Author
//! Domain, then its Organizational Domain from a [`PublicSuffixList`] (compiled in, or loaded
//! at run time), and `pct=` sampling with a [`Sampler`] the caller provides. Every
//! [`PolicyDiscovery`] says which [`DiscoveryMethod`] found the record, at which name
//! (`policy_domain`), the Organizational Domain, and the queries made.
//! ```
//! use mailproof_dmarc::{DiscoveryOutcome, PolicySource, PublicSuffixList, Verifier};
//! use mailproof_dns::{Name, ZoneResolver};
//!
//! let name = |s: &str| Name::new(s).unwrap();
//! let mut zone = ZoneResolver::new();
//! zone.add_txt(name("_dmarc.example.co.uk"), &["v=DMARC1; p=quarantine; sp=reject"]);
//! zone.add_txt(name("_dmarc.co.uk"), &["v=DMARC1; p=none; psd=y"]);
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let author = name("mail.example.co.uk");
//! for verifier in [Verifier::new(), Verifier::rfc7489(PublicSuffixList::compiled_in(), || 0)] {
//!     let DiscoveryOutcome::Found(found) = verifier.discover(&zone, &author).await else {
//!         panic!("no policy");
//!     };
//!     assert_eq!(found.policy_domain, name("example.co.uk"));
//!     assert_eq!(found.organizational_domain, Some(name("example.co.uk")));
//!     assert_eq!(found.source, PolicySource::OrganizationalDomain);
//! }
//! # });
//! ```
//!
//! # Several or no Author Domains
//! [`Author`] says what the message layer found. Each distinct Author Domain is evaluated
//! (up to [`DEFAULT_MAX_AUTHOR_DOMAINS`]) and the strictest result applies: fail, then
//! temperror, permerror, none, pass. A message without a usable From, or with several From
//! fields, never passes: its result is at least *permerror*, and the policies of the domains
//! that could be read apply as if those domains had failed.
//!
//! # Errors and results
//! DMARC outcomes are values. [`Record::parse`] returns [`RecordError`] only for text that is
//! not a DMARC record at all; bad tags inside a record are [`TagProblem`]s. [`Error`] is for
//! setup mistakes (an invalid Public Suffix List file).
//!
//! # Where I/O happens
//! Only through the [`Resolver`](mailproof_dns::Resolver) the caller passes in; loading a
//! Public Suffix List file is the caller's job ([`PublicSuffixList::parse`] takes its text).
//!
//! # Crate features
//! None.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod discovery;
mod error;
mod psl;
mod record;
#[cfg(test)]
mod reference;
mod report;
mod uri;
mod verifier;

pub use discovery::{
    DiscoveryMethod, DiscoveryOutcome, DnsFailure, MAX_TREE_WALK_QUERIES, NoPolicyReason,
    PolicyDiscovery, PolicySource, Query, QueryAnswer, select_organizational_domain,
    tree_walk_names,
};
pub use error::Error;
pub use psl::PublicSuffixList;
pub use record::{
    AlignmentMode, FailureOptions, Policy, PolicyDefect, PsdTag, Record, RecordError,
    RequestedPolicies, TagProblem, TagProblemKind,
};
pub use report::{DestinationVerdict, ReportDestination, ReportKind};
pub use uri::ReportUri;
pub use verifier::{
    AlignedIdentifier, AlignmentOutcome, AppliedPolicy, Author, AuthorEvaluation,
    DEFAULT_MAX_AUTHOR_DOMAINS, DkimOutcome, DkimResult, DmarcResult, Evaluation, FailReason,
    FromProblem, IdentifierAlignment, Mechanism, PermErrorReason, PolicyAdjustment, PolicyTag,
    Sampler, SpfOutcome, SpfResult, Verifier,
};
