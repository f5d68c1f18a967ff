//! The Public Suffix List's own checks (`test_psl.txt`) against the RFC 7489 Organizational
//! Domain, with the list loaded at run time from the conformance suite.
//!
//! The suite is found through `MAILPROOF_CONFORMANCE` (default
//! `$CARGO_MANIFEST_DIR/../../../shared/conformance`); without it the test prints
//! `skipped: conformance suite not found` and passes.

use std::path::PathBuf;

use mailproof_dmarc::PublicSuffixList;
use mailproof_dns::Name;

/// Cases where we knowingly disagree, with the reason. The test fails if an unlisted case
/// disagrees or a listed one starts agreeing.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

fn suite_dir() -> PathBuf {
    std::env::var_os("MAILPROOF_CONFORMANCE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    )
}

/// `'text'` or `null`.
fn argument(text: &str) -> Option<&str> {
    let text = text.trim();
    if text == "null" {
        None
    } else {
        Some(text.trim_matches('\''))
    }
}

#[test]
fn test_psl_txt() {
    let dir = suite_dir().join("dmarc/publicsuffix-list");
    let (Ok(list_text), Ok(cases_text)) = (
        std::fs::read_to_string(dir.join("public_suffix_list.dat")),
        std::fs::read_to_string(dir.join("test_psl.txt")),
    ) else {
        assert!(
            std::env::var("MAILPROOF_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
            "conformance suite not found and MAILPROOF_REQUIRE_CONFORMANCE=1"
        );
        println!("skipped: conformance suite not found");
        return;
    };
    let list = PublicSuffixList::parse(&list_text).unwrap();
    let mut total = 0;
    let mut agree = 0;
    let mut unexpected = Vec::new();
    for line in cases_text.lines() {
        let Some(arguments) = line
            .trim()
            .strip_prefix("checkPublicSuffix(")
            .and_then(|rest| rest.strip_suffix(");"))
        else {
            continue;
        };
        let (input, expected) = arguments.split_once(',').unwrap();
        let (input, expected) = (argument(input), argument(expected));
        total += 1;
        // Inputs that are not domain names (null, a leading dot) have no Organizational Domain.
        let actual = input
            .and_then(|i| Name::new(i).ok())
            .and_then(|n| list.organizational_domain(&n));
        let expected_name = expected.map(|e| Name::new(e).unwrap());
        let label = input.unwrap_or("null");
        let listed = KNOWN_DISAGREEMENTS.iter().any(|(case, _)| *case == label);
        if actual == expected_name {
            agree += 1;
            if listed {
                unexpected.push(format!("{label}: listed as a disagreement but agrees"));
            }
        } else if !listed {
            unexpected.push(format!(
                "{label}: expected {expected:?}, got {:?}",
                actual.map(|n| n.to_string())
            ));
        }
    }
    println!("test_psl.txt: {agree}/{total} agree");
    assert_eq!(total, 78, "the suite holds 78 active cases");
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
