//! Named regression tests: each bug or fuzz crash found becomes one test here.

use mailproof_dkim::{KeyRecord, Signature};

/// Inputs that once looked risky for the tag-list parser: must not panic.
#[test]
fn tag_list_edge_inputs_do_not_panic() {
    for input in [
        &b""[..],
        b";",
        b"=",
        b"a=",
        b"a=;",
        b" ;",
        b"a=1;;",
        b"\xff=1",
        b"b=\r\n",
        b"v=1; b",
    ] {
        let _ = Signature::parse(input);
        let _ = KeyRecord::parse(input);
    }
}

/// Review finding: the streaming verifier and signer buffered a header block without end
/// (a field never ending, fed in small pieces) whole, searching the open line again on
/// every piece. The parser's limits now apply as the bytes arrive: the same error as
/// `Message::parse`, reported by `finish`, in bounded memory.
#[test]
fn streaming_a_header_field_without_end_is_the_parsers_error() {
    use mailproof_dkim::{Clock, Error, Scratch, Signer, SigningKey, StreamingSigner, Verifier};
    use mailproof_dns::ZoneResolver;
    use mailproof_message::Message;

    let mut message = b"From: a@example.com\r\nSubject: ".to_vec();
    message.resize(1 << 20, b'x');
    let expected = Message::parse(&message).unwrap_err();
    assert!(matches!(
        expected,
        mailproof_message::Error::HeaderFieldTooLong { offset: 21, .. }
    ));

    let verifier = Verifier::default().with_clock(Clock::Fixed(1_700_000_000));
    let mut streaming = verifier.streaming();
    for chunk in message.chunks(1000) {
        streaming.update(chunk);
    }
    assert!(streaming.key_names().is_empty());
    let outcome = crate::block_on(streaming.finish(&ZoneResolver::new(), &mut Scratch::new()));
    assert_eq!(outcome.unwrap_err(), expected);

    let signers = [Signer::new(
        SigningKey::from_ed25519_seed(&[3; 32]).unwrap(),
        "example.com",
        "s",
    )
    .unwrap()];
    let mut signing = StreamingSigner::new(&signers).unwrap();
    for chunk in message.chunks(1000) {
        signing.update(chunk);
    }
    let error = signing.finish(Clock::Fixed(1_700_000_000)).unwrap_err();
    assert!(
        matches!(&error, Error::Message(e) if *e == expected),
        "{error:?}"
    );
}
