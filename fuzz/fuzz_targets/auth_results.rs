//! Fuzzes the Authentication-Results parser (RFC 8601 §2.2 and the leniencies it documents):
//! any bytes must parse or be refused without a panic, and a field that parses, written back
//! (one line, and folded), must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof::AuthResults;

fuzz_target!(|data: &[u8]| {
    let _ = mailproof::claims_authserv_id(data, "mx.example.org");
    let Ok(parsed) = AuthResults::parse(data) else {
        return;
    };
    // Control characters are written as visible escapes, which read back as that text.
    let texts =
        std::iter::once(parsed.authserv_id.as_str()).chain(parsed.results.iter().flat_map(|r| {
            [r.method.as_str(), r.result.as_str()]
                .into_iter()
                .chain(r.reason.as_deref())
                .chain(r.comments.iter().map(String::as_str))
                .chain(
                    r.properties
                        .iter()
                        .flat_map(|p| [p.ptype.as_str(), p.property.as_str(), p.value.as_str()]),
                )
        }));
    let plain = texts
        .into_iter()
        .all(|t| !t.chars().any(|c| c.is_control()));
    for written in [parsed.to_string(), parsed.to_header_field()] {
        let value = &written["Authentication-Results:".len()..];
        let again = AuthResults::parse(value.as_bytes());
        if plain {
            assert_eq!(again.as_ref(), Ok(&parsed), "{written:?}");
        }
    }
});
