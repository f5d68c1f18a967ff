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
