//! Loading RFC 1035 master files into `ZoneResolver`.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use mailproof_dns::{Answer, FailureKind, Name, Resolver, ZoneFileError, ZoneResolver};

use crate::block_on;

fn name(s: &str) -> Name {
    s.parse().expect("valid test name")
}

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

#[test]
fn loads_the_example_zone() {
    let mut zone = ZoneResolver::new();
    zone.load_zone_path(testdata().join("zones/example.com.zone"), None)
        .expect("example.com.zone loads");
    let key = std::fs::read(testdata().join("keys/example.com.sel.rsa2048.dns.txt")).unwrap();
    block_on(async {
        let dkim = zone.txt(&name("sel._domainkey.example.com")).await.unwrap();
        assert_eq!(dkim.records()[0].as_bytes(), key.trim_ascii_end());
        assert_eq!(dkim.ttl_seconds(), 300);
        assert_eq!(
            zone.txt(&name("multi.example.com"))
                .await
                .unwrap()
                .records()
                .len(),
            3
        );
        assert_eq!(
            zone.txt(&name("escaped.example.com"))
                .await
                .unwrap()
                .records()[0]
                .as_bytes(),
            b"semi;colon and quote\" inside"
        );
        assert_eq!(
            zone.a(&name("chain.example.com")).await.unwrap().records(),
            &[Ipv4Addr::new(192, 0, 2, 25)]
        );
        // negative TTL = min(SOA TTL 300, MINIMUM 120)
        assert_eq!(
            zone.txt(&name("nope.example.com")).await.unwrap(),
            Answer::NxDomain { ttl_seconds: 120 }
        );
        assert_eq!(
            zone.txt(&name("example.net")).await.unwrap_err().kind(),
            FailureKind::Refused
        );
    });
}

#[test]
fn origin_ttl_and_multi_string_txt() {
    let text = b"$TTL 60\n\
        @ IN SOA ns hostmaster 1 2 3 4 30\n\
        www 10 IN A 192.0.2.1\n\
        txt IN TXT \"a\" \"b\" \"c\\\\d\"\n\
        bin IN TXT \"\\000\\255\"\n\
        mx IN MX 5 Mail.Test.\n";
    let mut zone = ZoneResolver::new();
    zone.load_zone_file(text, Some(&name("test"))).unwrap();
    block_on(async {
        assert_eq!(zone.a(&name("www.test")).await.unwrap().ttl_seconds(), 10);
        let txt = zone.txt(&name("txt.test")).await.unwrap();
        assert_eq!(txt.records()[0].as_bytes(), b"abc\\d");
        assert_eq!(txt.ttl_seconds(), 60);
        // \DDD escapes are decoded as octets (hickory-proto's parser gets this wrong).
        let bin = zone.txt(&name("bin.test")).await.unwrap();
        assert_eq!(bin.records()[0].as_bytes(), &[0u8, 255]);
        let mx = zone.mx(&name("mx.test")).await.unwrap();
        assert_eq!(mx.records()[0].exchange.as_str(), "mail.test");
    });
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text =
        b"$ORIGIN example.\n$TTL 60\nok IN A 192.0.2.1\nbad IN A 999.1.1.1\nok2 IN A 192.0.2.2\n";
    let mut zone = ZoneResolver::new();
    match zone.load_zone_file(text, None) {
        Err(ZoneFileError::Syntax { line, .. }) => assert_eq!(line, 4),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let bad_number = b"$ORIGIN example.\n\n\nbad IN MX x y\nok IN A 1.2.3.4\n";
    match ZoneResolver::new().load_zone_file(bad_number, None) {
        Err(ZoneFileError::Syntax { line, column, .. }) => assert_eq!((line, column), (4, 12)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    // Nothing of the failed file was added.
    assert!(
        block_on(zone.a(&name("ok.example")))
            .unwrap()
            .is_nx_domain()
    );

    let unbalanced = b"$ORIGIN example.\nx IN TXT ( \"a\"\n";
    // (domain 0.12 panics inside on this one; the loader turns that into an error.)
    assert!(matches!(
        ZoneResolver::new().load_zone_file(unbalanced, None),
        Err(ZoneFileError::Syntax { .. } | ZoneFileError::ParserFailure)
    ));

    let relative_without_origin = b"www 60 IN A 192.0.2.1\n";
    assert!(matches!(
        ZoneResolver::new().load_zone_file(relative_without_origin, None),
        Err(ZoneFileError::Syntax { .. })
    ));
}

#[test]
fn over_long_names_are_refused_with_the_name() {
    let label = "a".repeat(63);
    let long = format!("{label}.{label}.{label}.{label}.example.");
    let text = format!("{long} 60 IN A 192.0.2.1\n");
    match ZoneResolver::new().load_zone_file(text.as_bytes(), None) {
        Err(ZoneFileError::Syntax { .. } | ZoneFileError::InvalidName { .. }) => {}
        other => panic!("expected an error, got {other:?}"),
    }
    // An escaped dot inside a label must not become a label boundary.
    let escaped_dot = b"a\\.b.example. 60 IN A 192.0.2.1\n";
    assert!(matches!(
        ZoneResolver::new().load_zone_file(escaped_dot, None),
        Err(ZoneFileError::InvalidName { .. })
    ));
}

#[test]
fn missing_file_is_an_io_error() {
    let error = ZoneResolver::new()
        .load_zone_path("/nonexistent/zone", None)
        .unwrap_err();
    assert!(matches!(error, ZoneFileError::Io { .. }));
}

/// Inputs on which the `domain` 0.12 parser panics (index out of bounds), found by the
/// `zone_file` fuzz target: the loader must turn them into errors.
#[test]
fn fuzz_regression_domain_parser_panics_are_errors() {
    for input in [
        &b"@ IN(TXT\"\""[..],
        b"d(IN TXT\"\"",
        b"$ORIGIN example.\nx IN TXT ( \"a\"\n",
    ] {
        let mut zone = ZoneResolver::new();
        let result = zone.load_zone_file(input, Some(&name("example.test")));
        assert!(result.is_err(), "{} loaded", input.escape_ascii());
    }
}
