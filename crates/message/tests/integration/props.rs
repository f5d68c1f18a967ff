//! Property tests: splitting never loses or moves a byte, and no parser
//! panics on arbitrary input.

use mailproof_message::{
    Limits, Message, parse_address_list, parse_content_type, parse_date, parse_msg_ids,
};
use proptest::prelude::*;

/// Message-like inputs: lines drawn from header-ish fragments, joined with
/// CRLF or LF, sometimes with a body.
fn messageish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"From: a@example.com".to_vec()),
        Just(b"Subject : folded".to_vec()),
        Just(b" continuation".to_vec()),
        Just(b"\tcontinuation".to_vec()),
        Just(b"".to_vec()),
        Just(b"no colon here".to_vec()),
        Just(b"X-8bit: caf\xe9".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=b".to_vec()),
        Just(b"--b".to_vec()),
        Just(b"--b--".to_vec()),
        Just(b"\r".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..20),
    ];
    let ending = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(Vec::new())
    ];
    proptest::collection::vec((line, ending), 0..16).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(mut l, e)| {
                l.extend(e);
                l
            })
            .collect()
    })
}

fn check_split(raw: &[u8]) {
    let msg = Message::parse(raw).unwrap();
    assert_eq!(
        [msg.header_block(), msg.separator(), msg.body()].concat(),
        raw
    );
    let joined: Vec<u8> = msg.headers().flat_map(|h| h.raw().to_vec()).collect();
    assert_eq!(joined, msg.header_block());
    let mut offset = 0;
    for h in msg.headers() {
        assert_eq!(h.offset(), offset);
        assert!(h.raw().starts_with(h.name()));
        assert!(h.raw().ends_with(&[h.value(), h.line_ending()].concat()));
        assert!(
            h.line_ending().is_empty() || h.line_ending() == b"\n" || h.line_ending() == b"\r\n"
        );
        assert_eq!(
            &raw[h.value_offset()..h.value_offset() + h.value().len()],
            h.value()
        );
        offset += h.raw().len();
    }
    assert_eq!(msg.headers().rev().count(), msg.headers().len());
    assert!(msg.separator().is_empty() || msg.separator() == b"\n" || msg.separator() == b"\r\n");
    assert_eq!(msg.body_offset(), raw.len() - msg.body().len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn split_rejoins_messageish(raw in messageish()) {
        check_split(&raw);
    }

    #[test]
    fn split_rejoins_arbitrary(raw in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_split(&raw);
    }

    #[test]
    fn mime_never_panics(raw in messageish()) {
        let msg = Message::parse(&raw).unwrap();
        if let Ok(root) = msg.mime() {
            for part in root.walk() {
                assert!(part.range().end <= raw.len());
                let _ = (part.text(), part.decoded_body(), part.filename());
            }
        }
        let _ = msg.from_authors();
    }

    #[test]
    fn field_parsers_never_panic(value in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_address_list(&value);
        let _ = parse_content_type(&value);
        let _ = parse_date(&value);
        let _ = parse_msg_ids(&value);
        let _ = mailproof_message::parse_received(&value);
        let _ = mailproof_message::decode_unstructured(&value);
    }

    #[test]
    fn received_like_never_panics(
        value in "[ a-z0-9.:;@<>\\[\\]()\"\\\\,_-]{0,60}|(from|by|with|id|for|via| |\\(|\\)|\\[|\\]|1\\.2\\.3\\.4|IPv6:::1|;|<a@b>|x){0,20}",
    ) {
        let _ = mailproof_message::parse_received(value.as_bytes());
    }

    #[test]
    fn address_like_never_panics(value in "[ a-z@<>.,;:\"()\\\\=?]{0,40}") {
        let _ = parse_address_list(value.as_bytes());
    }

    #[test]
    fn limits_bound_headers(n in 0usize..20, max in 1usize..10) {
        let raw: Vec<u8> = (0..n).flat_map(|i| format!("X-{i}: v\r\n").into_bytes()).collect();
        let mut limits = Limits::default();
        limits.max_headers = max;
        let result = Message::parse_with(&raw, &limits);
        prop_assert_eq!(result.is_ok(), n <= max);
    }
}
