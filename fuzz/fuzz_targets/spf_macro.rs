//! SPF macro strings: parse the input as each kind of macro string and expand what parses
//! with an IPv4 and an IPv6 client (the first input byte picks the sender's local-part).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_spf::{MacroContext, MacroKind, MacroString};

fuzz_target!(|data: &[u8]| {
    let (local_part, text) = match data.split_first() {
        Some((&selector, rest)) if selector & 1 == 1 => ("a.b-c+d=e_f,g/h", rest),
        Some((_, rest)) => ("~user%name", rest),
        None => ("", data),
    };
    for kind in [
        MacroKind::DomainSpec,
        MacroKind::Explanation,
        MacroKind::ModifierValue,
    ] {
        let Ok(parsed) = MacroString::parse(text, kind) else {
            continue;
        };
        for ip in ["192.0.2.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] {
            let context = MacroContext {
                local_part,
                sender_domain: "mail.example.com",
                domain: "example.com",
                ip: ip.parse().unwrap(),
                helo: "helo.example.net",
                validated_domain: Some("host.example.com"),
                receiver: "mx.example.org",
                timestamp: u64::MAX,
            };
            let expanded = parsed.expand(&context);
            assert!(expanded.is_ascii());
        }
    }
});
