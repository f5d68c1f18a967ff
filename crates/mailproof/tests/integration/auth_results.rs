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
            // Line breaks only where folding puts them: CRLF followed by a tab.
            let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
            prop_assert!(lines.iter().skip(1).all(|l| l.starts_with('\t')));
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
