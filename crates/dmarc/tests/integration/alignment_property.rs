//! Relaxed alignment skips the tree walk of an identifier that is neither the Author Domain's
//! Organizational Domain nor below it (see `testdata/dmarc/README.md`). These properties
//! check the shortcut against its definition on random zones: an identifier is aligned
//! exactly when its Organizational Domain, found by its own full walk, is the Author
//! Domain's.

use mailproof_dmarc::{AlignmentOutcome, Author, DmarcResult, SpfOutcome, SpfResult, Verifier};
use mailproof_dns::{FailureKind, Name, ZoneResolver};
use proptest::prelude::*;

use crate::block_on;

/// Names of one to four labels over a small alphabet, so that random domains share suffixes.
fn domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(prop_oneof![Just("a"), Just("b"), Just("mail")], 0..3),
        prop_oneof![Just("example"), Just("other")],
        prop_oneof![Just("com"), Just("net")],
    )
        .prop_map(|(mut labels, org, tld)| {
            labels.push(org);
            labels.push(tld);
            labels.join(".")
        })
}

/// A DMARC record with a random `psd=`, or a temporary failure, at some names.
fn records() -> impl Strategy<Value = Vec<(String, Option<&'static str>)>> {
    let psd = prop_oneof![
        3 => Just(Some("v=DMARC1; p=reject")),
        1 => Just(Some("v=DMARC1; p=reject; psd=n")),
        1 => Just(Some("v=DMARC1; p=reject; psd=y")),
        1 => Just(None),
    ];
    let owner = prop_oneof![domain(), Just("com".to_owned()), Just("net".to_owned())];
    proptest::collection::vec((owner, psd), 0..6)
}

fn zone(records: &[(String, Option<&str>)]) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    for (owner, record) in records {
        let Ok(owner) = Name::new(&format!("_dmarc.{owner}")) else {
            continue;
        };
        match record {
            Some(text) => {
                zone.add_txt(owner, &[*text]);
            }
            None => {
                zone.fail(owner, FailureKind::Timeout);
            }
        }
    }
    zone
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn skipped_walks_never_change_alignment(
        records in records(),
        author in domain(),
        identifier in domain(),
    ) {
        let zone = zone(&records);
        let (author, identifier) = (Name::new(&author).unwrap(), Name::new(&identifier).unwrap());
        let verifier = Verifier::new();
        let spf = SpfOutcome { result: SpfResult::Pass, mail_from_domain: Some(identifier.clone()) };
        let evaluation = block_on(verifier.evaluate(&zone, &Author::single(author.clone()), &spf, &[]));
        let evaluated = &evaluation.authors[0];
        let Some(discovery) = &evaluated.discovery else {
            return Ok(()); // no policy, no alignment
        };
        let Some(alignment) = evaluated.alignments.first() else {
            return Ok(()); // the record yields no policy
        };
        // The definition: each domain's own Organizational Domain, from its full walk.
        let identifier_org = block_on(verifier.organizational_domain(&zone, &identifier));
        let author_org = block_on(verifier.organizational_domain(&zone, &author));
        // Reported only when determined, and then right.
        if let (Some(reported), Ok(org)) = (&discovery.organizational_domain, &author_org) {
            prop_assert_eq!(reported, org);
        }
        // Same last label: a common parent other than the root.
        let top = |name: &Name| name.as_str().rsplit('.').next().map(str::to_owned);
        let shares_parent = top(&identifier) == top(&author);
        match (&alignment.outcome, &author_org, identifier_org) {
            (AlignmentOutcome::Aligned, _, _) if identifier == author => {}
            (AlignmentOutcome::Aligned, Ok(author_org), Ok(org)) => {
                prop_assert_eq!(&org, author_org);
            }
            (AlignmentOutcome::NotAligned { organizational_domain }, Ok(author_org), Ok(org)) => {
                prop_assert_ne!(&org, author_org);
                if let Some(reported) = organizational_domain {
                    prop_assert_eq!(reported, &org);
                }
            }
            // A walk that fails may be skipped only when it could not have aligned.
            (AlignmentOutcome::NotAligned { organizational_domain }, author_org, _) => {
                prop_assert!(organizational_domain.is_none());
                prop_assert!(
                    !shares_parent
                        || author_org.as_ref().is_ok_and(|org| !identifier.is_within(org))
                );
            }
            (AlignmentOutcome::TemporaryFailure(_), author_org, org) => {
                prop_assert!(shares_parent && identifier != author);
                if let Ok(author_org) = author_org {
                    prop_assert!(org.is_err());
                    prop_assert!(identifier.is_within(author_org));
                }
                prop_assert!(matches!(evaluation.result, DmarcResult::TempError(_)));
            }
            (outcome, author_org, org) => {
                prop_assert!(false, "{outcome:?} with {author_org:?} and {org:?}");
            }
        }
    }
}
