//! Properties of the parser and the macro expander, checked with proptest.

use std::net::IpAddr;

use mailproof_spf::{MacroContext, MacroKind, MacroString, Record};
use proptest::prelude::*;

/// Term-shaped text: a mix of the characters SPF records are made of.
fn term_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[-+~?]?(all|include|a|mx|ptr|ip4|ip6|exists|redirect|exp|foo)([:=/][a-zA-Z0-9.%{}_:/=-]{0,24})?",
    )
    .unwrap()
}

fn context(ip: IpAddr) -> MacroContext<'static> {
    MacroContext {
        local_part: "some-user+tag",
        sender_domain: "mail.example.com",
        domain: "example.com",
        ip,
        helo: "helo.example.net",
        validated_domain: None,
        receiver: "mx.example.org",
        timestamp: 1_700_000_000,
    }
}

proptest! {
    /// Whatever parses renders back to text that parses to the same record.
    #[test]
    fn parse_render_parse(terms in proptest::collection::vec(term_text(), 0..8)) {
        let text = format!("v=spf1 {}", terms.join(" "));
        if let Ok(record) = Record::parse(text.as_bytes()) {
            let rendered = record.to_string();
            let again = Record::parse(rendered.as_bytes());
            prop_assert_eq!(again.as_ref(), Ok(&record), "{} -> {}", text, rendered);
        }
    }

    /// The parser never panics, whatever the bytes.
    #[test]
    fn parser_total(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut record = b"v=spf1 ".to_vec();
        record.extend_from_slice(&bytes);
        let _ = Record::parse(&record);
    }

    /// The expander never panics, and a domain-spec that parses expands to ASCII.
    #[test]
    fn expander_total(text in "[%{}a-zA-Z0-9._+,/=-]{0,40}", v6 in any::<bool>(), raw in any::<u128>()) {
        let ip = if v6 {
            IpAddr::from(raw.to_be_bytes())
        } else {
            IpAddr::from(u32::try_from(raw & 0xffff_ffff).unwrap().to_be_bytes())
        };
        for kind in [MacroKind::DomainSpec, MacroKind::Explanation, MacroKind::ModifierValue] {
            if let Ok(parsed) = MacroString::parse(text.as_bytes(), kind) {
                let expanded = parsed.expand(&context(ip));
                prop_assert!(expanded.is_ascii());
                let rendered = parsed.to_string();
                let again = MacroString::parse(rendered.as_bytes(), kind);
                prop_assert_eq!(again.as_ref(), Ok(&parsed));
            }
        }
    }
}
