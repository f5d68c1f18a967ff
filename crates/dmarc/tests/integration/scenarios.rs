//! The cases people actually hit, as named tests, plus the RFC 7489 compatibility mode.

use std::sync::{Arc, Mutex};

use mailproof_dmarc::{
    AlignmentOutcome, Author, DiscoveryMethod, DkimOutcome, DkimResult, DmarcResult, FailReason,
    FromProblem, Mechanism, NoPolicyReason, PermErrorReason, Policy, PolicyAdjustment,
    PublicSuffixList, SpfOutcome, SpfResult, Verifier,
};
use mailproof_dns::{FailureKind, Name, ZoneResolver};

use crate::{block_on, name};

fn spf(result: SpfResult, domain: &str) -> SpfOutcome {
    SpfOutcome {
        result,
        mail_from_domain: Some(name(domain)),
    }
}

fn dkim(result: DkimResult, domain: &str) -> DkimOutcome {
    DkimOutcome {
        result,
        signing_domain: name(domain),
    }
}

fn zone(records: &[(&str, &str)]) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    for (owner, text) in records {
        zone.add_txt(name(owner), &[*text]);
    }
    zone
}

#[test]
fn spoof_with_fake_return_path_and_dkim_is_rejected() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &spf(SpfResult::Pass, "fake.com"),
        &[dkim(DkimResult::Pass, "fake.com")],
    ));
    assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
    assert_eq!(evaluation.disposition(), Policy::Reject);
    let author = &evaluation.authors[0];
    assert_eq!(author.alignments.len(), 2);
    assert!(
        author
            .alignments
            .iter()
            .all(|a| matches!(a.outcome, AlignmentOutcome::NotAligned { .. }))
    );
}

#[test]
fn forwarding_breaks_spf_but_dkim_survives() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        // The forwarder's IP is not in a.com's SPF record.
        &spf(SpfResult::Fail, "a.com"),
        &[dkim(DkimResult::Pass, "a.com")],
    ));
    let DmarcResult::Pass(aligned) = &evaluation.result else {
        panic!("{:?}", evaluation.result);
    };
    assert_eq!(aligned.mechanism(), Mechanism::Dkim);
    assert_eq!(aligned.domain(), &name("a.com"));
    assert_eq!(evaluation.disposition(), Policy::None);
    assert_eq!(evaluation.policy, None);
}

#[test]
fn subdomain_sender_passes_relaxed_alignment() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &spf(SpfResult::Pass, "bounces.mail.a.com"),
        &[],
    ));
    let DmarcResult::Pass(aligned) = &evaluation.result else {
        panic!("{:?}", evaluation.result);
    };
    assert_eq!(aligned.mechanism(), Mechanism::Spf);
}

#[test]
fn subdomain_sender_fails_strict_alignment() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject; aspf=s; adkim=s")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &spf(SpfResult::Pass, "bounces.a.com"),
        &[dkim(DkimResult::Pass, "mail.a.com")],
    ));
    assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
    assert_eq!(evaluation.disposition(), Policy::Reject);
}

#[test]
fn p_none_monitoring_fails_without_action() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=none; rua=mailto:dmarc@a.com")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &spf(SpfResult::Pass, "other.net"),
        &[],
    ));
    assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
    assert_eq!(evaluation.disposition(), Policy::None);
    assert_eq!(evaluation.policy.unwrap().requested, Policy::None);
}

#[test]
fn failed_dkim_and_helo_do_not_count() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=quarantine")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &SpfOutcome {
            result: SpfResult::Pass,
            mail_from_domain: None,
        },
        &[dkim(DkimResult::Fail, "a.com")],
    ));
    assert_eq!(
        evaluation.result,
        DmarcResult::Fail(FailReason::NoAuthenticatedIdentifier)
    );
    assert_eq!(evaluation.disposition(), Policy::Quarantine);
}

#[test]
fn several_mailboxes_strictest_outcome_applies() {
    let zone = zone(&[
        ("_dmarc.a.com", "v=DMARC1; p=reject"),
        ("_dmarc.b.com", "v=DMARC1; p=quarantine"),
    ]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::From(vec![name("a.com"), name("b.com"), name("a.com")]),
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert_eq!(evaluation.authors.len(), 2, "duplicates are evaluated once");
    assert!(evaluation.authors[0].result.is_pass());
    assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
    assert_eq!(evaluation.disposition(), Policy::Quarantine);
}

#[test]
fn several_mailboxes_all_passing_pass() {
    let zone = zone(&[
        ("_dmarc.a.com", "v=DMARC1; p=reject"),
        ("_dmarc.b.com", "v=DMARC1; p=reject"),
    ]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::From(vec![name("a.com"), name("b.com")]),
        &spf(SpfResult::Pass, "a.com"),
        &[dkim(DkimResult::Pass, "b.com")],
    ));
    assert!(evaluation.result.is_pass());
}

#[test]
fn unaligned_domain_without_policy_is_none_not_pass() {
    let zone = zone(&[("_dmarc.evil.com", "v=DMARC1; p=reject")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::From(vec![name("evil.com"), name("bank.com")]),
        &spf(SpfResult::Pass, "evil.com"),
        &[],
    ));
    assert_eq!(
        evaluation.result,
        DmarcResult::None(NoPolicyReason::NoPolicyRecord)
    );
}

#[test]
fn several_from_fields_never_pass() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::SeveralFromFields(vec![name("a.com"), name("a.com")]),
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert_eq!(
        evaluation.result,
        DmarcResult::PermError(PermErrorReason::SeveralFromFields)
    );
    assert_eq!(evaluation.disposition(), Policy::Reject);
}

#[test]
fn missing_from_is_permerror() {
    let evaluation = block_on(Verifier::new().evaluate(
        &ZoneResolver::new(),
        &Author::Unusable {
            problem: FromProblem::Missing,
            known_domains: vec![],
        },
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert_eq!(
        evaluation.result,
        DmarcResult::PermError(PermErrorReason::NoUsableFrom(FromProblem::Missing))
    );
    assert!(evaluation.authors.is_empty());
    assert_eq!(evaluation.disposition(), Policy::None);
    let empty = block_on(Verifier::new().evaluate(
        &ZoneResolver::new(),
        &Author::From(vec![]),
        &SpfOutcome::none(),
        &[],
    ));
    assert_eq!(evaluation.result, empty.result);
}

#[test]
fn malformed_from_uses_known_domain_policy() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=quarantine")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::Unusable {
            problem: FromProblem::Malformed,
            known_domains: vec![name("a.com")],
        },
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert_eq!(
        evaluation.result,
        DmarcResult::PermError(PermErrorReason::NoUsableFrom(FromProblem::Malformed))
    );
    assert_eq!(evaluation.disposition(), Policy::Quarantine);
}

#[test]
fn too_many_author_domains_is_incomplete() {
    let zone = zone(&[
        ("_dmarc.a.com", "v=DMARC1; p=reject"),
        ("_dmarc.b.com", "v=DMARC1; p=reject"),
    ]);
    let verifier = Verifier::new().with_max_author_domains(1);
    let evaluation = block_on(verifier.evaluate(
        &zone,
        &Author::From(vec![name("a.com"), name("b.com")]),
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert_eq!(evaluation.authors.len(), 1);
    assert_eq!(
        evaluation.result,
        DmarcResult::PermError(PermErrorReason::TooManyAuthorDomains {
            count: 2,
            evaluated: 1
        })
    );
}

/// Review finding: distinct author domains were found by searching the list for each one,
/// quadratic in a hostile From's size (80k mailboxes took 19 s in a release build). The
/// count stays exact, duplicates still count once.
#[test]
fn many_author_domains_are_counted_in_linear_time() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject")]);
    let mut domains: Vec<_> = (0..80_000)
        .map(|n| name(&format!("d{n}.example")))
        .collect();
    domains.extend((0..1000).map(|n| name(&format!("d{n}.example"))));
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::From(domains),
        &spf(SpfResult::Pass, "a.com"),
        &[],
    ));
    assert!(matches!(
        evaluation.result,
        DmarcResult::PermError(PermErrorReason::TooManyAuthorDomains { count: 80_000, .. })
    ));
}

/// Review finding: a passing identifier that is the Author Domain aligns whatever the
/// Organizational Domain, so a failing walk beyond the Author Domain's record must not
/// turn the pass into a temperror (RFC 9989 §4.10.2: no alignment evaluation is needed
/// when the Author Domain and the identifiers are the same domain).
#[test]
fn an_identical_identifier_passes_though_the_walk_beyond_fails() {
    let mut zone = zone(&[("_dmarc.a.example", "v=DMARC1; p=reject")]);
    zone.fail(name("_dmarc.example"), FailureKind::Timeout);
    let evaluate = |spf: &SpfOutcome, dkim: &[DkimOutcome]| {
        block_on(Verifier::new().evaluate(&zone, &Author::single(name("a.example")), spf, dkim))
            .result
    };
    let passes = |result: &DmarcResult| matches!(result, DmarcResult::Pass(_));
    let same = spf(SpfResult::Pass, "a.example");
    assert!(passes(&evaluate(&same, &[])));
    assert!(passes(&evaluate(
        &same,
        &[dkim(DkimResult::Pass, "other.example")]
    )));
    assert!(passes(&evaluate(
        &SpfOutcome::none(),
        &[
            dkim(DkimResult::Pass, "b.a.example"),
            dkim(DkimResult::Pass, "a.example")
        ],
    )));
    // Without the identical one, the relaxed check needs the walk: its failure stands.
    assert!(matches!(
        evaluate(
            &SpfOutcome::none(),
            &[dkim(DkimResult::Pass, "b.a.example")]
        ),
        DmarcResult::TempError(_)
    ));
}

#[test]
fn test_mode_lowers_policy() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject; t=y; pct=0")]);
    let evaluation = block_on(Verifier::new().evaluate(
        &zone,
        &Author::single(name("a.com")),
        &SpfOutcome::none(),
        &[],
    ));
    let policy = evaluation.policy.unwrap();
    assert_eq!(policy.requested, Policy::Reject);
    assert_eq!(policy.applied, Policy::Quarantine);
    assert_eq!(policy.adjustment, Some(PolicyAdjustment::TestMode));
}

fn rfc7489(samples: Vec<u8>) -> (Verifier, Arc<Mutex<usize>>) {
    let calls = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&calls);
    let mut samples = samples.into_iter();
    let verifier = Verifier::rfc7489(PublicSuffixList::compiled_in(), move || {
        *counter.lock().unwrap() += 1;
        samples.next().unwrap()
    });
    (verifier, calls)
}

#[test]
fn rfc7489_pct_sampling_uses_injected_source() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=reject; pct=50; t=y")]);
    let (verifier, calls) = rfc7489(vec![10, 70, 49, 50]);
    let applied: Vec<Policy> = (0..4)
        .map(|_| {
            block_on(verifier.evaluate(
                &zone,
                &Author::single(name("a.com")),
                &SpfOutcome::none(),
                &[],
            ))
            .disposition()
        })
        .collect();
    // Selected when the sample is below pct; otherwise one step milder. t= is not RFC 7489.
    assert_eq!(
        applied,
        [
            Policy::Reject,
            Policy::Quarantine,
            Policy::Reject,
            Policy::Quarantine
        ]
    );
    assert_eq!(*calls.lock().unwrap(), 4);
}

#[test]
fn rfc7489_full_pct_never_samples() {
    let zone = zone(&[("_dmarc.a.com", "v=DMARC1; p=quarantine")]);
    let (verifier, calls) = rfc7489(vec![]);
    let evaluation = block_on(verifier.evaluate(
        &zone,
        &Author::single(name("a.com")),
        &SpfOutcome::none(),
        &[],
    ));
    assert_eq!(evaluation.disposition(), Policy::Quarantine);
    assert_eq!(*calls.lock().unwrap(), 0);
    assert_eq!(
        evaluation.authors[0].method,
        DiscoveryMethod::PublicSuffixList
    );
}

#[test]
fn rfc7489_multiple_records_mean_no_policy() {
    let zone = zone(&[
        ("_dmarc.mail.a.com", "v=DMARC1; p=none"),
        ("_dmarc.mail.a.com", "v=DMARC1; p=quarantine"),
        ("_dmarc.a.com", "v=DMARC1; p=reject"),
    ]);
    let author = Author::single(name("mail.a.com"));
    let (verifier, _) = rfc7489(vec![]);
    let evaluation = block_on(verifier.evaluate(&zone, &author, &SpfOutcome::none(), &[]));
    assert_eq!(
        evaluation.result,
        DmarcResult::None(NoPolicyReason::MultipleRecords {
            name: name("mail.a.com")
        })
    );
    // RFC 9989 discards them and walks on to a.com.
    let evaluation = block_on(Verifier::new().evaluate(&zone, &author, &SpfOutcome::none(), &[]));
    assert_eq!(evaluation.disposition(), Policy::Reject);
}

#[test]
fn rfc7489_uses_the_list_for_organizational_domains() {
    // A record at the TLD without psd=y would make "co.uk" the tree walk's Organizational
    // Domain; the list knows better.
    let zone = zone(&[
        ("_dmarc.co.uk", "v=DMARC1; p=none"),
        ("_dmarc.example.co.uk", "v=DMARC1; p=reject"),
    ]);
    let author = Author::single(name("example.co.uk"));
    let other = [dkim(DkimResult::Pass, "other.co.uk")];
    let (verifier, _) = rfc7489(vec![]);
    let evaluation = block_on(verifier.evaluate(&zone, &author, &SpfOutcome::none(), &other));
    assert_eq!(evaluation.result, DmarcResult::Fail(FailReason::NotAligned));
    let walked = block_on(Verifier::new().evaluate(&zone, &author, &SpfOutcome::none(), &other));
    assert!(
        walked.result.is_pass(),
        "the §11.8 hazard of a PSD without psd=y"
    );
    let list_queries = evaluation.authors[0].queries().count();
    assert_eq!(list_queries, 1, "PSL mode needs no walk for alignment");
}

#[test]
fn rfc7489_subdomain_policy_from_organizational_domain() {
    let zone = zone(&[("_dmarc.example.co.uk", "v=DMARC1; p=none; sp=reject")]);
    let (verifier, _) = rfc7489(vec![]);
    let evaluation = block_on(verifier.evaluate(
        &zone,
        &Author::single(name("deep.mail.example.co.uk")),
        &SpfOutcome::none(),
        &[],
    ));
    assert_eq!(evaluation.disposition(), Policy::Reject);
    let discovery = evaluation.authors[0].discovery.as_ref().unwrap();
    assert_eq!(discovery.policy_domain, name("example.co.uk"));
    let txt_queries: Vec<&Name> = discovery.queries.iter().map(|q| &q.name).collect();
    assert_eq!(
        txt_queries,
        [
            &name("_dmarc.deep.mail.example.co.uk"),
            &name("_dmarc.example.co.uk")
        ]
    );
}
