//! Inputs that once crashed or misbehaved, each a named test. Fuzz findings land here.

use mailproof_spf::{MacroContext, MacroKind, MacroString, Record};

/// The longest value a macro can produce from the client IP (IPv6 dot-format, reversed and
/// URL-encoded) must fit the expander's fixed buffer.
#[test]
fn longest_ip_macro() {
    let spec = MacroString::parse(b"%{IR}.%{C}.%{V}.%{T}", MacroKind::Explanation).unwrap();
    let context = MacroContext {
        local_part: "",
        sender_domain: "",
        domain: "",
        ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(),
        helo: "",
        validated_domain: None,
        receiver: "",
        timestamp: u64::MAX,
    };
    let expanded = spec.expand(&context);
    assert!(expanded.starts_with("f.f.f."), "{expanded}");
    assert!(
        expanded.ends_with(".ip6.18446744073709551615"),
        "{expanded}"
    );
}

/// Empty parts, huge digit transformers, every delimiter.
#[test]
fn degenerate_transformers() {
    let spec =
        MacroString::parse(b"%{l99999999999999999999r.-+,/_=}", MacroKind::DomainSpec).unwrap();
    let context = MacroContext {
        local_part: "..a--b..",
        sender_domain: "x",
        domain: "x",
        ip: "192.0.2.1".parse().unwrap(),
        helo: "x",
        validated_domain: None,
        receiver: "x",
        timestamp: 0,
    };
    assert_eq!(spec.expand(&context), "..b..a..");
}

/// Non-ASCII and control bytes inside records are syntax errors, never panics.
#[test]
fn hostile_records() {
    for record in [
        &b"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all"[..],
        b"v=spf1 \xff",
        b"v=spf1 ip6:",
        b"v=spf1 ip4:256.0.0.1",
        b"v=spf1 a:%{",
        b"v=spf1 mx:/",
        b"v=spf1 a://",
        b"v=spf1 =",
        b"v=spf1 -",
    ] {
        assert!(Record::parse(record).is_err(), "{}", record.escape_ascii());
    }
    // A DIGIT transformer beyond any label count is valid ABNF (`*DIGIT`); it saturates.
    assert!(Record::parse(b"v=spf1 a:%{d999999999999999999999}.x.com").is_ok());
}
