//! Named regression cases (fuzz findings and bugs fixed), and whole-crate
//! behaviour that needs a message, not a value.

use mailproof_message::{DefectKind, FromAuthors, Message};

#[test]
fn cve_2021_34555_multiple_from_is_not_the_first_from() {
    let raw = b"From: <ceo@victim.example>\r\nFrom: <x@attacker.example>\r\nSubject: hi\r\n\r\n";
    let msg = Message::parse(raw).unwrap();
    match msg.from_authors() {
        FromAuthors::MultipleFields { fields } => assert_eq!(fields.len(), 2),
        other => panic!("expected MultipleFields, got {other:?}"),
    }
}

#[test]
fn body_starts_exactly_after_first_empty_line() {
    for (raw, body) in [
        (&b"A: 1\r\n\r\n\r\nx"[..], &b"\r\nx"[..]),
        (b"A: 1\n\n\nx", b"\nx"),
        (b"A: 1\r\n\n", b""),
        (b"A: 1\r\n", b""),
        (b"\n", b""),
    ] {
        assert_eq!(
            Message::parse(raw).unwrap().body(),
            body,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn missing_separator_is_a_defect_not_a_loss() {
    let raw = b"Subject: x\r\nThis is body text\r\n";
    let msg = Message::parse(raw).unwrap();
    assert_eq!(msg.body(), b"This is body text\r\n");
    assert_eq!(
        msg.defects()[0].kind,
        DefectKind::MissingHeaderBodySeparator
    );
    assert_eq!(
        [msg.header_block(), msg.separator(), msg.body()].concat(),
        raw
    );
}
