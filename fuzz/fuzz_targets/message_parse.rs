//! Whole-message parser: must never panic, and splitting must keep every
//! byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_message::{
    Limits, Message, decode_unstructured, parse_content_type, parse_date, parse_msg_ids,
    parse_received,
};

fuzz_target!(|data: &[u8]| {
    let mut limits = Limits::default();
    limits.max_mime_parts = 200;
    let Ok(msg) = Message::parse_with(data, &limits) else {
        return;
    };
    assert_eq!(
        [msg.header_block(), msg.separator(), msg.body()].concat(),
        data
    );
    let _ = msg.from_authors();
    for h in msg.headers().rev() {
        let _ = (
            parse_content_type(h.value()),
            parse_date(h.value()),
            parse_msg_ids(h.value()),
            parse_received(h.value()),
        );
        let _ = decode_unstructured(h.value());
    }
    if let Ok(root) = msg.mime() {
        for part in root.walk() {
            assert!(part.range().end <= data.len());
            let _ = (part.text(), part.decoded_body(), part.filename());
        }
        let _ = root.all_defects();
    }
});
