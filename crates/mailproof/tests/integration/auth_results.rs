//! Rendering never lets a value change the field's structure.

use mailproof::{AuthResults, MethodResult};
use proptest::prelude::*;

fn bytes_to_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

proptest! {
    #[test]
    fn arbitrary_domains_and_selectors_cannot_inject(
        domain in proptest::collection::vec(any::<u8>(), 0..40),
        selector in proptest::collection::vec(any::<u8>(), 0..40),
        comment in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let domain = bytes_to_string(&domain);
        let selector = bytes_to_string(&selector);
        let comment = bytes_to_string(&comment);
        let mut header = AuthResults::new("mx.example.org");
        header.results.push(
            MethodResult::new("dkim", "pass")
                .with_comment(&comment)
                .with_property("header", "d", &domain)
                .with_property("header", "s", &selector),
        );
        header.results.push(MethodResult::new("dmarc", "fail").with_property("header", "from", &domain));
        for text in [header.to_string(), header.to_header_field()] {
            // Line breaks only where folding puts them: CRLF followed by a tab (between
            // clauses) or a space (inside a long one).
            let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
            prop_assert!(lines.iter().skip(1).all(|l| l.starts_with(['\t', ' '])));
            prop_assert!(!lines.iter().any(|l| l.contains('\r') || l.contains('\n')));
            let value = text.strip_prefix("Authentication-Results:").unwrap();
            let parsed = AuthResults::parse(value.trim_end().as_bytes()).unwrap();
            // Same clauses, same properties; values equal where they hold no control characters.
            prop_assert_eq!(parsed.results.len(), 2);
            prop_assert_eq!(parsed.results[0].properties.len(), 2);
            prop_assert_eq!(parsed.results[1].properties.len(), 1);
            prop_assert_eq!(parsed.results[0].comments.len(), 1);
            if !domain.chars().any(char::is_control) {
                prop_assert_eq!(parsed.results[0].property("header", "d"), Some(domain.as_str()));
            }
            if !selector.chars().any(char::is_control) {
                prop_assert_eq!(parsed.results[0].property("header", "s"), Some(selector.as_str()));
            }
        }
    }
}

/// Every line of a folded field holds at most 998 characters (RFC 5322 §2.1.1), and folding
/// changes nothing the parser reads back.
fn check_folded(header: &AuthResults) -> Result<(), TestCaseError> {
    let field = header.to_header_field();
    for line in field.trim_end_matches("\r\n").split("\r\n") {
        prop_assert!(line.len() <= 998, "{} characters: {line}", line.len());
        prop_assert!(!line.trim_start().is_empty(), "a line of white space alone");
    }
    let value = field.strip_prefix("Authentication-Results:").unwrap();
    let parsed = AuthResults::parse(value.as_bytes()).unwrap();
    prop_assert_eq!(&parsed, header);
    Ok(())
}

proptest! {
    #[test]
    fn long_clauses_fold_within_998_and_read_back_the_same(
        words in proptest::collection::vec("[a-z0-9.=-]{1,30}", 0..200),
        labels in proptest::collection::vec("[a-z]{1,63}", 1..5),
        local in "[a-z ]{0,40}",
    ) {
        let comment = words.join(" ");
        let domain = labels.join(".");
        let mut header = AuthResults::new("mx.example.org");
        header.results.push(
            MethodResult::new("spf", "pass")
                .with_comment(&comment)
                .with_property("smtp", "mailfrom", &format!("{local}@{domain}")),
        );
        header.results.push(
            MethodResult::new("dkim", "pass")
                .with_comment(&comment)
                .with_property("header", "d", &domain)
                .with_property("header", "i", &format!("@{domain}"))
                .with_property("header", "s", "selector"),
        );
        header.results.push(
            MethodResult::new("dmarc", "pass")
                .with_comment(&format!("p=reject dis=none; {comment}"))
                .with_property("header", "from", &domain),
        );
        check_folded(&header)?;
    }
}

/// Review finding: with long domains the DMARC clause was one line of 1,123 characters.
#[test]
fn long_domains_keep_lines_within_limits() {
    let label = |c: char, n: usize| c.to_string().repeat(n);
    let long = |c: char| [label(c, 63), label(c, 63), label(c, 63), label(c, 60)].join(".");
    let (from, mail_from, signer) = (long('f'), long('m'), long('d'));
    let mut header = AuthResults::new("mx.example.org");
    header
        .results
        .push(MethodResult::new("spf", "pass").with_property("smtp", "mailfrom", &mail_from));
    header.results.push(
        MethodResult::new("dkim", "pass")
            .with_comment("ed25519-sha256, 256-bit key")
            .with_property("header", "d", &signer)
            .with_property("header", "i", &format!("@{signer}"))
            .with_property("header", "s", "s1"),
    );
    header.results.push(
        MethodResult::new("dmarc", "fail")
            .with_comment(&format!(
                "p=reject dis=reject; SPF {mail_from} not aligned, DKIM {signer} not aligned"
            ))
            .with_property("header", "from", &from)
            .with_property("policy", "dmarc", "reject"),
    );
    check_folded(&header).unwrap();
    let field = header.to_header_field();
    // Every line within 78 columns but those holding one long domain (no space to break at).
    for line in field.trim_end_matches("\r\n").split("\r\n") {
        assert!(line.len() <= 78 || line.trim().len() <= 255 + 20, "{line}");
    }
}
