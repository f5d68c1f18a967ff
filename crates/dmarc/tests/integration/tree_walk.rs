//! Runs `testdata/dmarc/tree-walk.txt` (format: `testdata/dmarc/README.md`) through
//! `ZoneResolver` and the RFC 9989 verifier.

use std::path::Path;

use mailproof_dmarc::{
    Author, DkimOutcome, DkimResult, DmarcResult, PolicySource, PolicyTag, QueryAnswer, SpfOutcome,
    SpfResult, Verifier,
};
use mailproof_dns::{FailureKind, RecordType, ZoneResolver};

use crate::{block_on, name};

#[derive(Default)]
struct Case {
    name: String,
    line: usize,
    zone: ZoneResolver,
    from: Option<String>,
    spf: Option<SpfOutcome>,
    dkim: Vec<DkimOutcome>,
    expect: Vec<(String, String)>,
}

fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("line {}: expected `key: value`", index + 1));
        if key == "case" {
            cases.extend(current.take());
            current = Some(Case {
                name: value.to_owned(),
                line: index + 1,
                ..Case::default()
            });
            continue;
        }
        let case = current
            .as_mut()
            .unwrap_or_else(|| panic!("line {}: `{key}` before `case`", index + 1));
        match key {
            "cite" => {}
            "zone" => add_zone_line(&mut case.zone, value, index + 1),
            "from" => case.from = Some(value.to_owned()),
            "spf" => {
                let (result, domain) = value.split_once(' ').unwrap();
                let result = match result {
                    "pass" => SpfResult::Pass,
                    "fail" => SpfResult::Fail,
                    "softfail" => SpfResult::SoftFail,
                    other => panic!("line {}: spf result {other}", index + 1),
                };
                case.spf = Some(SpfOutcome {
                    result,
                    mail_from_domain: Some(name(domain)),
                });
            }
            "dkim" => {
                let (result, domain) = value.split_once(' ').unwrap();
                let result = match result {
                    "pass" => DkimResult::Pass,
                    "fail" => DkimResult::Fail,
                    other => panic!("line {}: dkim result {other}", index + 1),
                };
                case.dkim.push(DkimOutcome {
                    result,
                    signing_domain: name(domain),
                });
            }
            expectation if expectation.starts_with("expect-") => {
                case.expect.push((expectation.to_owned(), value.to_owned()));
            }
            other => panic!("line {}: unknown key {other}", index + 1),
        }
    }
    cases.extend(current);
    cases
}

fn add_zone_line(zone: &mut ZoneResolver, value: &str, line: usize) {
    let (owner, rest) = value.split_once(' ').unwrap();
    let (kind, data) = rest.split_once(' ').unwrap_or((rest, ""));
    let owner = name(owner);
    match kind {
        "TXT" => {
            zone.add_txt(owner, &[data]);
        }
        "A" => {
            zone.add_a(owner, data.parse().unwrap());
        }
        "MX" => {
            let (preference, exchange) = data.split_once(' ').unwrap();
            zone.add_mx(owner, preference.parse().unwrap(), name(exchange));
        }
        "EXISTS" => {
            zone.add_name(owner);
        }
        "TIMEOUT" => {
            zone.fail(owner, FailureKind::Timeout);
        }
        "SERVFAIL" => {
            zone.fail(owner, FailureKind::ServerFailure);
        }
        other => panic!("line {line}: unknown zone type {other}"),
    }
}

/// Checks one case; returns the mismatches.
fn check(case: &Case) -> Vec<String> {
    let verifier = Verifier::new();
    let from = name(
        case.from
            .as_deref()
            .unwrap_or_else(|| panic!("{}: no from", case.name)),
    );
    let spf = case.spf.clone().unwrap_or_else(SpfOutcome::none);
    let evaluation =
        block_on(verifier.evaluate(&case.zone, &Author::single(from.clone()), &spf, &case.dkim));
    let author = &evaluation.authors[0];
    let mut mismatches = Vec::new();
    for (key, expected) in &case.expect {
        let actual = match key.as_str() {
            "expect-result" => evaluation.result.as_str().to_owned(),
            "expect-policy" => evaluation.disposition().as_str().to_owned(),
            "expect-tag" => match evaluation.policy.map(|p| p.tag) {
                Some(PolicyTag::Policy) => "p".into(),
                Some(PolicyTag::SubdomainPolicy) => "sp".into(),
                Some(PolicyTag::NonexistentSubdomainPolicy) => "np".into(),
                None => "-".into(),
            },
            "expect-org" => match block_on(verifier.organizational_domain(&case.zone, &from)) {
                Ok(org) => {
                    if let Some(reported) = author
                        .discovery
                        .as_ref()
                        .and_then(|d| d.organizational_domain.as_ref())
                    {
                        assert_eq!(*reported, org, "{}", case.name);
                    }
                    org.to_string()
                }
                Err(_) => "temperror".into(),
            },
            "expect-policy-domain" => author
                .discovery
                .as_ref()
                .map_or("-".into(), |d| d.policy_domain.to_string()),
            "expect-source" => match author.discovery.as_ref().map(|d| d.source) {
                Some(PolicySource::AuthorDomain) => "author".into(),
                Some(PolicySource::OrganizationalDomain) => "organizational".into(),
                Some(PolicySource::PublicSuffixDomain) => "psd".into(),
                None => "-".into(),
            },
            "expect-walk" => {
                let queries = author
                    .discovery
                    .as_ref()
                    .map_or(&author.other_queries, |d| &d.queries);
                assert!(queries.len() <= mailproof_dmarc::MAX_TREE_WALK_QUERIES);
                queries
                    .iter()
                    .filter(|q| q.record_type == RecordType::Txt)
                    .map(|q| q.name.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "expect-queries" => author
                .queries()
                .filter(|q| q.record_type == RecordType::Txt)
                .map(|q| q.name.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            other => panic!("{}: unknown expectation {other}", case.name),
        };
        if actual != *expected {
            mismatches.push(format!(
                "{} (line {}): {key}: expected `{expected}`, got `{actual}` (result {:?})",
                case.name, case.line, evaluation.result
            ));
        }
    }
    // Whatever the case, a temperror must name a failed query in the trace.
    if let DmarcResult::TempError(failure) = &evaluation.result {
        assert!(
            author
                .queries()
                .any(|q| q.name == failure.name
                    && matches!(q.answer, QueryAnswer::TemporaryFailure(_))),
            "{}",
            case.name
        );
    }
    mismatches
}

#[test]
fn tree_walk_vectors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dmarc/tree-walk.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let cases = parse(&text);
    assert!(cases.len() >= 49, "only {} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        assert!(!case.expect.is_empty(), "{}: no expectations", case.name);
        mismatches.extend(check(case));
    }
    println!(
        "tree-walk.txt: {}/{} vectors agree",
        cases.len() - mismatches.len().min(cases.len()),
        cases.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
