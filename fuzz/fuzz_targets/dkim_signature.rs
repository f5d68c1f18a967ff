//! Fuzzes `mailproof_dkim::Signature::parse`, and the body canonicalizer on the same bytes
//! (one chunk vs. two chunks must agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dkim::{BodyCanonicalizer, Canonicalization, Signature};

fn canonicalize(mode: Canonicalization, chunks: &[&[u8]]) -> Vec<u8> {
    let mut canon = BodyCanonicalizer::new(mode);
    let mut out = Vec::new();
    for chunk in chunks {
        canon.update(chunk, &mut |b| out.extend_from_slice(b));
    }
    canon.finish(&mut |b| out.extend_from_slice(b));
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(signature) = Signature::parse(data) {
        let _ = signature.key_name();
        let _ = signature.signs_from();
    }
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    for mode in [Canonicalization::Simple, Canonicalization::Relaxed] {
        assert_eq!(
            canonicalize(mode, &[data]),
            canonicalize(mode, &[&data[..cut], &data[cut..]])
        );
    }
});
