//! One test per typed reason.

use mailproof_dkim::SignatureResult;
use mailproof_dkim::{
    Algorithm, BodyCoverage, Clock, DkimResult, DnsTxtRecord, FailReason, KeyRecordError,
    NeutralReason, PermErrorReason, Policy, PolicyReason, SignatureError, Signer, Status,
    TempErrorReason, Verifier,
};
use mailproof_dns::{FailureKind, Name, ZoneResolver};

use crate::round_trip::{MESSAGE, NOW, ed_key, signed};
use crate::{verify_at, verify_with, zone};

/// A message signed by the Ed25519 key from seed 9 as `s._domainkey.example.com`.
fn signed_message(signer: Signer) -> Vec<u8> {
    signed(&[signer], MESSAGE, NOW)
}

fn signer() -> Signer {
    Signer::new(ed_key(9), "example.com", "s").unwrap()
}

fn record() -> String {
    DnsTxtRecord::for_key(&ed_key(9)).to_string()
}

fn good_zone() -> ZoneResolver {
    zone(&[("s._domainkey.example.com", &record())])
}

fn status_with(zone: &ZoneResolver, raw: &[u8]) -> Status {
    verify_at(zone, raw, NOW).remove(0).status
}

/// A hand-written DKIM-Signature (dummy `b=`/`bh=`) on top of MESSAGE, for checks made
/// before any cryptography.
fn crafted(tags: &str) -> Vec<u8> {
    [format!("DKIM-Signature: {tags}\r\n").as_bytes(), MESSAGE].concat()
}

const BASE: &str =
    "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=s; h=from:subject; bh=AAAA; b=AAAA";

#[test]
fn pass_reports_the_proof() {
    let Status::Pass(proof) = status_with(&good_zone(), &signed_message(signer())) else {
        panic!()
    };
    assert_eq!(proof.signing_domain().as_str(), "example.com");
    assert_eq!(proof.selector(), "s");
    assert_eq!(proof.algorithm(), Algorithm::Ed25519Sha256);
    assert_eq!(proof.agent_identifier().domain.as_str(), "example.com");
    assert_eq!(proof.body_coverage(), BodyCoverage::Full);
    assert!(!proof.key_testing());
    assert_eq!(proof.header_index(), 0);
}

#[test]
fn body_hash_mismatch_is_fail() {
    let mut raw = signed_message(signer());
    raw.extend_from_slice(b"P.S. appended by a list\r\n");
    let results = verify_at(&good_zone(), &raw, NOW);
    assert_eq!(results[0].result(), DkimResult::Fail);
    assert!(matches!(
        results[0].status,
        Status::Fail(FailReason::BodyHashMismatch)
    ));
}

#[test]
fn header_change_is_signature_mismatch() {
    let raw = String::from_utf8(signed_message(signer()))
        .unwrap()
        .replace("Lunch", "Dinner");
    assert!(matches!(
        status_with(&good_zone(), raw.as_bytes()),
        Status::Fail(FailReason::SignatureMismatch)
    ));
}

#[test]
fn key_missing_revoked_and_lookup_failure() {
    let raw = signed_message(signer());
    let name = Name::new("s._domainkey.example.com").unwrap();
    let nx = ZoneResolver::new();
    assert!(matches!(
        status_with(&nx, &raw),
        Status::PermError(PermErrorReason::KeyNotFound)
    ));
    let mut nodata = ZoneResolver::new();
    nodata.add_name(name.clone());
    assert!(matches!(
        status_with(&nodata, &raw),
        Status::PermError(PermErrorReason::KeyNotFound)
    ));
    let revoked = zone(&[("s._domainkey.example.com", "v=DKIM1; k=ed25519; p=")]);
    assert!(matches!(
        status_with(&revoked, &raw),
        Status::PermError(PermErrorReason::KeyRevoked)
    ));
    let mut failing = ZoneResolver::new();
    failing.fail(name, FailureKind::Timeout);
    let status = status_with(&failing, &raw);
    assert_eq!(status.result(), DkimResult::TempError);
    assert!(
        matches!(status, Status::TempError(TempErrorReason::KeyLookup(e)) if e.kind() == FailureKind::Timeout)
    );
}

#[test]
fn key_record_problems() {
    let raw = signed_message(signer());
    let p = record().rsplit_once("p=").unwrap().1.to_string();
    let cases: [(String, PermErrorReason); 6] = [
        (format!("v=DKIM1: k=ed25519; p={p}"), PermErrorReason::KeyRecord(KeyRecordError::UnsupportedVersion)),
        (format!("k=ed25519-sha256; p={p}"), PermErrorReason::KeyRecord(KeyRecordError::UnknownKeyType)),
        (format!("k=rsa; p={p}"), PermErrorReason::KeyRecord(KeyRecordError::InvalidPublicKey)),
        (format!("k=ed25519; s=tlsrpt; p={p}"), PermErrorReason::ServiceNotAllowed),
        (format!("k=ed25519; h=sha1; p={p}"), PermErrorReason::HashNotAllowedByKey),
        (
            "k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB".to_string(),
            PermErrorReason::KeyTypeMismatch,
        ),
    ];
    for (txt, reason) in cases {
        let zone = zone(&[("s._domainkey.example.com", &txt)]);
        match status_with(&zone, &raw) {
            Status::PermError(got) => assert_eq!(got, reason, "{txt}"),
            other => panic!("{txt}: {other:?}"),
        }
    }
}

#[test]
fn rsa_key_too_small_is_policy() {
    // A bare PKCS#1 RSAPublicKey with a 512-bit modulus.
    let mut modulus = vec![0x00, 0xc1];
    modulus.extend([0x5a; 63]);
    let mut der = vec![0x30, 0x48, 0x02, 0x41];
    der.extend(&modulus);
    der.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let p = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
    let zone = zone(&[("s._domainkey.example.com", &format!("p={p}"))]);
    let raw = crafted(&BASE.replace("ed25519-sha256", "rsa-sha256"));
    assert_eq!(status_with(&zone, &raw).result(), DkimResult::Policy);
    assert!(matches!(
        status_with(&zone, &raw),
        Status::Policy(PolicyReason::KeyTooSmall {
            bits: 512,
            minimum: 1024
        })
    ));
}

#[test]
fn rsa_sha1_refused_unless_danger_switch() {
    let raw = crafted(&BASE.replace("ed25519-sha256", "rsa-sha1"));
    let zone = zone(&[(
        "s._domainkey.example.com",
        "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    )]);
    assert!(matches!(
        status_with(&zone, &raw),
        Status::Policy(PolicyReason::AlgorithmNotAllowed(Algorithm::RsaSha1))
    ));
    let mut policy = Policy::default();
    policy.danger_allow_rsa_sha1 = true;
    let verifier = Verifier::new(policy).with_clock(Clock::Fixed(NOW));
    // Now it is checked (and fails on the dummy body hash).
    assert!(matches!(
        verify_with(&verifier, &zone, &raw)[0].status,
        Status::Fail(FailReason::BodyHashMismatch)
    ));
}

#[test]
fn body_length_needs_opt_in_and_reports_coverage() {
    let raw = signed_message(signer().with_body_length_tag(true));
    let mut appended = raw.clone();
    appended.extend_from_slice(b"Unsigned footer\r\n");
    assert!(matches!(
        status_with(&good_zone(), &appended),
        Status::Policy(PolicyReason::BodyLengthNotAllowed)
    ));
    let mut policy = Policy::default();
    policy.allow_body_length = true;
    let verifier = Verifier::new(policy).with_clock(Clock::Fixed(NOW));
    let results = verify_with(&verifier, &good_zone(), &appended);
    let proof = results[0].verified().unwrap();
    let BodyCoverage::Limited {
        signed_octets,
        canonical_body_octets,
    } = proof.body_coverage()
    else {
        panic!()
    };
    // The footer, plus the two empty lines before it that were trailing (so unsigned) when
    // the message was signed.
    assert_eq!(
        canonical_body_octets - signed_octets,
        b"\r\n\r\nUnsigned footer\r\n".len() as u64
    );

    // l= larger than the body.
    let text = String::from_utf8(raw).unwrap();
    let truncated = text.replace("Alice\r\n\r\n\r\n", "");
    assert!(matches!(
        verify_with(&verifier, &good_zone(), truncated.as_bytes())[0].status,
        Status::PermError(PermErrorReason::BodyLengthExceedsBody { .. })
    ));
}

#[test]
fn required_headers_policy() {
    let raw = signed_message(signer().with_signed_headers(&["From", "To"]).unwrap());
    let mut policy = Policy::default();
    policy.required_headers = vec!["Subject".into()];
    let verifier = Verifier::new(policy).with_clock(Clock::Fixed(NOW));
    assert!(matches!(
        &verify_with(&verifier, &good_zone(), &raw)[0].status,
        Status::Policy(PolicyReason::RequiredHeaderNotSigned { name }) if &**name == "Subject"
    ));
}

#[test]
fn expired_and_signed_in_the_future() {
    let raw = signed_message(signer().with_expiry(60));
    assert_eq!(
        verify_at(&good_zone(), &raw, NOW + 60)[0].result(),
        DkimResult::Pass
    );
    assert!(matches!(
        verify_at(&good_zone(), &raw, NOW + 61)[0].status,
        Status::PermError(PermErrorReason::Expired { now, .. }) if now == NOW + 61
    ));
    // Five minutes of clock skew are tolerated, not more.
    assert_eq!(
        verify_at(&good_zone(), &raw, NOW - 300)[0].result(),
        DkimResult::Pass
    );
    assert!(matches!(
        verify_at(&good_zone(), &raw, NOW - 301)[0].status,
        Status::PermError(PermErrorReason::SignedInFuture { signed_at: NOW, .. })
    ));
}

#[test]
fn identity_rules() {
    let outside = crafted(&format!("{BASE}; i=joe@example.org"));
    assert!(matches!(
        status_with(&good_zone(), &outside),
        Status::PermError(PermErrorReason::IdentityOutsideDomain)
    ));
    // t=s: the i= domain must be d= exactly.
    let raw = signed_message(
        signer()
            .with_agent_identifier("joe@sub.example.com")
            .unwrap(),
    );
    let strict = zone(&[(
        "s._domainkey.example.com",
        &record().replace("v=DKIM1;", "v=DKIM1; t=s;"),
    )]);
    assert!(matches!(
        status_with(&strict, &raw),
        Status::PermError(PermErrorReason::StrictIdentityViolated)
    ));
    assert_eq!(status_with(&good_zone(), &raw).result(), DkimResult::Pass);
    let testing = zone(&[(
        "s._domainkey.example.com",
        &record().replace("v=DKIM1;", "v=DKIM1; t=y;"),
    )]);
    assert!(status_with(&testing, &raw).result() == DkimResult::Pass);
    let Status::Pass(proof) = status_with(&testing, &raw) else {
        panic!()
    };
    assert!(proof.key_testing());
}

#[test]
fn from_not_signed_and_syntax_errors() {
    let no_from = crafted(&BASE.replace("h=from:subject", "h=subject"));
    assert!(matches!(
        status_with(&good_zone(), &no_from),
        Status::PermError(PermErrorReason::FromNotSigned)
    ));
    let duplicate = crafted(&format!("{BASE}; s=t"));
    let results = verify_at(&good_zone(), &duplicate, NOW);
    assert!(results[0].signature.is_none());
    assert!(matches!(
        results[0].status,
        Status::PermError(PermErrorReason::Syntax(SignatureError::DuplicateTag { .. }))
    ));
    let bad_domain = crafted(&BASE.replace("d=example.com", "d=legitimate.com(.attacker.com"));
    assert!(matches!(
        status_with(&good_zone(), &bad_domain),
        Status::PermError(PermErrorReason::Syntax(SignatureError::InvalidValue {
            tag: "d"
        }))
    ));
}

#[test]
fn signatures_beyond_the_cap_are_neutral() {
    let signers: Vec<Signer> = (0..3).map(|_| signer()).collect();
    let raw = signed(&signers, MESSAGE, NOW);
    let mut policy = Policy::default();
    policy.max_signatures = 2;
    let verifier = Verifier::new(policy).with_clock(Clock::Fixed(NOW));
    let results = verify_with(&verifier, &good_zone(), &raw);
    let got: Vec<DkimResult> = results.iter().map(SignatureResult::result).collect();
    assert_eq!(
        got,
        [DkimResult::Pass, DkimResult::Pass, DkimResult::Neutral]
    );
    assert!(matches!(
        results[2].status,
        Status::Neutral(NeutralReason::NotEvaluated { limit: 2 })
    ));
    assert_eq!(Verifier::default().policy.max_signatures, 8);
}
