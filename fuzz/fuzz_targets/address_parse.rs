//! Address-list parser and From-author classification: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_message::{Message, author_domain, parse_address_list};

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = parse_address_list(data) {
        for address in &list {
            for mailbox in address.mailboxes() {
                let _ = mailbox.addr_spec();
                let _ = author_domain(mailbox);
            }
        }
    }
    let mut raw = b"From:".to_vec();
    raw.extend_from_slice(data);
    raw.extend_from_slice(b"\r\n\r\n");
    if let Ok(msg) = Message::parse(&raw) {
        let _ = msg.from_authors();
    }
});
