//! RFC examples kept in `testdata/dkim/` (see its README).

use base64::Engine as _;
use mailproof_dkim::SignatureResult;
use mailproof_dkim::{BodyCanonicalizer, Canonicalization, DkimResult};
use ring::digest;

use crate::{testdata, verify_at, zone};

/// "Now" for RFC 8463's example (`t=1528637909`, no `x=`).
const NOW: u64 = 1_667_843_664;

#[test]
fn rfc8463_appendix_a_both_signatures_pass() {
    let dir = testdata().join("rfc8463");
    let keys = std::fs::read_to_string(dir.join("keys.txt")).unwrap();
    let records: Vec<(&str, &str)> = keys
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    let raw = std::fs::read(dir.join("message.eml")).unwrap();
    let results = verify_at(&zone(&records), &raw, NOW);
    let got: Vec<DkimResult> = results.iter().map(SignatureResult::result).collect();
    assert_eq!(got, [DkimResult::Pass, DkimResult::Pass]);
    let algorithms: Vec<&str> = results
        .iter()
        .map(|r| r.verified().unwrap().algorithm().as_str())
        .collect();
    assert_eq!(algorithms, ["ed25519-sha256", "rsa-sha256"]);
}

fn body_hash(mode: Canonicalization, body: &[u8]) -> String {
    let mut canon = BodyCanonicalizer::new(mode);
    let mut context = digest::Context::new(&digest::SHA256);
    canon.update(body, &mut |b| context.update(b));
    canon.finish(&mut |b| context.update(b));
    base64::engine::general_purpose::STANDARD.encode(context.finish())
}

/// RFC 6376 A.2's `bh=` matches the body with one space in "game. Are"; the RFC prints
/// two (the erratum described in the conformance README). Relaxed canonicalization, as in
/// RFC 8463's example, hashes both the same.
#[test]
fn rfc6376_a2_body_hash_erratum() {
    const BH: &str = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
    let one = std::fs::read(testdata().join("rfc6376-a2-body-one-space.txt")).unwrap();
    let printed = std::fs::read(testdata().join("rfc6376-a2-body-as-printed.txt")).unwrap();
    assert_eq!(body_hash(Canonicalization::Simple, &one), BH);
    assert_ne!(body_hash(Canonicalization::Simple, &printed), BH);
    assert_eq!(body_hash(Canonicalization::Relaxed, &one), BH);
    assert_eq!(body_hash(Canonicalization::Relaxed, &printed), BH);
}

/// RFC 6376 §3.4.6 example... the empty-body hashes every implementation agrees on.
#[test]
fn empty_body_hashes() {
    // simple: CRLF; relaxed: nothing (RFC 6376 erratum 3192 settled on the empty string).
    assert_eq!(
        body_hash(Canonicalization::Simple, b""),
        "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
    );
    assert_eq!(
        body_hash(Canonicalization::Relaxed, b""),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
}

/// RFC 6376 §3.4.4 applies step (a) (white space at the end of lines removed, other runs
/// reduced to one SP) before step (b) (a missing final CRLF added): the white space ending
/// an unterminated last line is not at the end of a line yet, so it stays as one SP. The
/// expected hashes are dkimpy 1.1.8's (`dkim.canonicalization`), which reads it the same way.
#[test]
fn relaxed_unterminated_last_line_keeps_one_space() {
    let body = std::fs::read(testdata().join("relaxed-unterminated-trailing-wsp.txt")).unwrap();
    assert!(body.ends_with(b": \t "));
    let mut canonical = Vec::new();
    let mut canon = BodyCanonicalizer::new(Canonicalization::Relaxed);
    canon.update(&body, &mut |b| canonical.extend_from_slice(b));
    canon.finish(&mut |b| canonical.extend_from_slice(b));
    assert!(canonical.ends_with(b"white space: \r\n"));
    assert_eq!(
        body_hash(Canonicalization::Relaxed, &body),
        "WBeK8ONtBICElHaYclK/QSVSQh9VMahD99tY+XXUgJ8="
    );
    assert_eq!(
        body_hash(Canonicalization::Simple, &body),
        "7pelB7pcojjpSO9m1qodP5LWPxk00u78n8705mwMsrE="
    );
}
