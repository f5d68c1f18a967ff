//! Sign, then verify: generated and stored keys, dual signing, streaming, folding.

use mailproof_dkim::SignatureResult;
use mailproof_dkim::{
    Canonicalization, Clock, DkimResult, DnsTxtRecord, FailReason, Scratch, Signer, SigningKey,
    Status, StreamingSigner, Verifier, generate_ed25519_key, sign,
};
use mailproof_dns::{Answer, Name, Txt};
use mailproof_message::Message;

use crate::{verify_at, zone};

pub(crate) const NOW: u64 = 1_700_000_000;

pub(crate) const MESSAGE: &[u8] =
    b"Received: from relay by mx; Tue, 14 Nov 2023 22:13:20 +0000\r\n\
From: Alice <alice@example.com>\r\n\
To: Bob <bob@example.net>,\r\n  Carol <carol@example.net>\r\n\
Subject:  Lunch   plans \r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <1@example.com>\r\n\
\r\n\
Noon  at the usual place?\t \r\n\
\r\n\
-- \r\n\
Alice\r\n\r\n\r\n";

pub(crate) fn rsa_pem() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/keys/example.com.sel.rsa2048.pem"),
    )
    .unwrap()
}

pub(crate) fn ed_key(seed: u8) -> SigningKey {
    SigningKey::from_ed25519_seed(&[seed; 32]).unwrap()
}

/// Signs `message` with `signers` and returns the signed message.
pub(crate) fn signed(signers: &[Signer], message: &[u8], now: u64) -> Vec<u8> {
    let fields = sign(signers, message, Clock::Fixed(now)).unwrap();
    [fields.as_bytes(), message].concat()
}

#[test]
fn dual_rsa_and_ed25519_in_one_pass() {
    let rsa = SigningKey::from_pem(&rsa_pem()).unwrap();
    let ed = ed_key(1);
    let records = [
        (
            "rsa._domainkey.example.com",
            DnsTxtRecord::for_key(&rsa).to_string(),
        ),
        (
            "ed._domainkey.example.com",
            DnsTxtRecord::for_key(&ed).to_string(),
        ),
    ];
    let signers = [
        Signer::new(rsa, "example.com", "rsa").unwrap(),
        Signer::new(ed, "example.com", "ed").unwrap(),
    ];
    let raw = signed(&signers, MESSAGE, NOW);
    let zone = zone(&[(records[0].0, &records[0].1), (records[1].0, &records[1].1)]);
    let results = verify_at(&zone, &raw, NOW + 60);
    let got: Vec<_> = results.iter().map(SignatureResult::result).collect();
    assert_eq!(got, [DkimResult::Pass, DkimResult::Pass]);
    assert_eq!(results[0].verified().unwrap().key_bits(), 2048);
}

#[test]
fn every_canonicalization_pair() {
    let key = ed_key(2);
    let record = DnsTxtRecord::for_key(&key).to_string();
    let zone = zone(&[("s._domainkey.example.com", &record)]);
    for header in [Canonicalization::Simple, Canonicalization::Relaxed] {
        for body in [Canonicalization::Simple, Canonicalization::Relaxed] {
            let signer = Signer::new(ed_key(2), "example.com", "s")
                .unwrap()
                .with_canonicalization(header, body);
            let raw = signed(&[signer], MESSAGE, NOW);
            let results = verify_at(&zone, &raw, NOW);
            assert_eq!(results[0].result(), DkimResult::Pass, "{header}/{body}");
        }
    }
}

#[test]
fn relaxed_survives_rewrapping_simple_does_not() {
    let record = DnsTxtRecord::for_key(&ed_key(3)).to_string();
    let zone = zone(&[("s._domainkey.example.com", &record)]);
    for (mode, survives) in [
        (Canonicalization::Relaxed, true),
        (Canonicalization::Simple, false),
    ] {
        let signer = Signer::new(ed_key(3), "example.com", "s")
            .unwrap()
            .with_canonicalization(mode, mode);
        let raw = signed(&[signer], MESSAGE, NOW);
        // A relay rewraps Subject and changes white space in the body.
        let text = String::from_utf8(raw).unwrap();
        let changed = text
            .replace("Subject:  Lunch   plans ", "Subject: Lunch\r\n plans")
            .replace("Noon  at", "Noon at");
        let results = verify_at(&zone, changed.as_bytes(), NOW);
        assert_eq!(results[0].result() == DkimResult::Pass, survives, "{mode}");
    }
}

#[test]
fn generated_ed25519_key_round_trip_via_pem() {
    let generated = generate_ed25519_key().unwrap();
    let record = generated.dns_record().to_string();
    let key = SigningKey::from_pem(&generated.to_pem()).unwrap();
    let raw = signed(
        &[Signer::new(key, "example.com", "gen").unwrap()],
        MESSAGE,
        NOW,
    );
    let results = verify_at(&zone(&[("gen._domainkey.example.com", &record)]), &raw, NOW);
    assert_eq!(results[0].result(), DkimResult::Pass);
}

#[cfg(feature = "rsa-keygen")]
#[test]
fn generated_rsa_2048_round_trip() {
    let generated = mailproof_dkim::generate_rsa_key(mailproof_dkim::RsaKeySize::Bits2048).unwrap();
    let record = generated.dns_record();
    // A 2048-bit key's record needs two character-strings.
    let strings: Vec<&str> = record.character_strings().collect();
    assert_eq!(strings.len(), 2);
    assert!(strings.iter().all(|s| s.len() <= 255));
    assert_eq!(strings.concat(), record.as_str());
    let mut zone = mailproof_dns::ZoneResolver::new();
    zone.add_txt(Name::new("big._domainkey.example.com").unwrap(), &strings);
    let key = SigningKey::from_der(generated.pkcs8_der()).unwrap();
    let raw = signed(
        &[Signer::new(key, "example.com", "big").unwrap()],
        MESSAGE,
        NOW,
    );
    let results = verify_at(&zone, &raw, NOW);
    assert_eq!(results[0].result(), DkimResult::Pass);
    assert_eq!(results[0].verified().unwrap().key_bits(), 2048);
}

#[test]
fn streaming_signer_matches_one_shot_for_any_chunking() {
    let signers = [
        Signer::new(ed_key(4), "example.com", "a").unwrap(),
        Signer::new(ed_key(5), "example.com", "b")
            .unwrap()
            .with_canonicalization(Canonicalization::Simple, Canonicalization::Simple),
    ];
    let expected = sign(&signers, MESSAGE, Clock::Fixed(NOW)).unwrap();
    for size in [1, 2, 3, 7, 64, MESSAGE.len()] {
        let mut streaming = StreamingSigner::new(&signers).unwrap();
        for chunk in MESSAGE.chunks(size) {
            streaming.update(chunk);
        }
        assert_eq!(
            streaming.finish(Clock::Fixed(NOW)).unwrap(),
            expected,
            "chunk size {size}"
        );
    }
}

#[test]
fn produced_header_folds_within_78_columns() {
    let signer = Signer::new(
        SigningKey::from_pem(&rsa_pem()).unwrap(),
        "example.com",
        "sel",
    )
    .unwrap()
    .with_expiry(3600)
    .with_agent_identifier("alice@mail.example.com")
    .unwrap();
    let fields = sign(&[signer], MESSAGE, Clock::Fixed(NOW)).unwrap();
    assert!(fields.ends_with("\r\n"));
    for line in fields.trim_end().split("\r\n") {
        let columns = line.strip_prefix('\t').map_or(line.len(), |l| l.len() + 8);
        assert!(columns <= 78, "{columns}: {line}");
    }
    assert!(fields.contains(&format!("t={NOW};")));
    assert!(fields.contains(&format!("x={};", NOW + 3600)));
    assert!(fields.contains("i=alice@mail.example.com;"));
}

#[test]
fn oversigning_lists_each_field_once_more_and_blocks_additions() {
    let key = ed_key(6);
    let record = DnsTxtRecord::for_key(&key).to_string();
    let raw = signed(
        &[Signer::new(key, "example.com", "s").unwrap()],
        MESSAGE,
        NOW,
    );
    let message = Message::parse(&raw).unwrap();
    let field = message.headers().next().unwrap();
    let signature = mailproof_dkim::Signature::parse(field.value()).unwrap();
    let count = |name: &str| {
        signature
            .signed_headers
            .iter()
            .filter(|h: &&str| h.eq_ignore_ascii_case(name))
            .count()
    };
    assert_eq!(
        (count("from"), count("to"), count("cc"), count("received")),
        (2, 2, 1, 0)
    );

    let zone = zone(&[("s._domainkey.example.com", &record)]);
    assert_eq!(verify_at(&zone, &raw, NOW)[0].result(), DkimResult::Pass);
    // Someone adds a second From or a Cc below the signature: the signature breaks.
    for added in [
        &b"From: mallory@evil.example\r\n"[..],
        b"Cc: eve@evil.example\r\n",
    ] {
        let text = raw.clone();
        let at = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
        let tampered = [&text[..at], added, &text[at..]].concat();
        let results = verify_at(&zone, &tampered, NOW);
        assert!(matches!(
            results[0].status,
            Status::Fail(FailReason::SignatureMismatch)
        ));
    }
}

/// A `DKIM-Signature` in the signed list signs the fields already there, as often as they
/// occur: an oversigned entry would select, at the verifier, the very field being created
/// (it goes on top), which the signer could not hash (RFC 6376 §3.5, §5.4.2).
#[test]
fn dkim_signature_in_h_signs_existing_fields_and_is_never_oversigned() {
    let first = ed_key(8);
    let second = ed_key(9);
    let third = ed_key(10);
    let zone = zone(&[
        (
            "a._domainkey.example.com",
            &DnsTxtRecord::for_key(&first).to_string(),
        ),
        (
            "b._domainkey.example.com",
            &DnsTxtRecord::for_key(&second).to_string(),
        ),
        (
            "c._domainkey.example.com",
            &DnsTxtRecord::for_key(&third).to_string(),
        ),
    ]);
    let with_dkim = |key, selector| {
        Signer::new(key, "example.com", selector)
            .unwrap()
            .with_signed_headers(&["From", "Subject", "DKIM-Signature"])
            .unwrap()
    };
    let h_of = |raw: &[u8]| {
        let message = Message::parse(raw).unwrap();
        let field = message.headers().next().unwrap();
        let signature = mailproof_dkim::Signature::parse(field.value()).unwrap();
        signature
            .signed_headers
            .iter()
            .collect::<Vec<_>>()
            .join(":")
    };

    // No DKIM-Signature yet: none listed.
    let once = signed(&[with_dkim(first, "a")], MESSAGE, NOW);
    assert_eq!(h_of(&once), "From:From:Subject:Subject");
    assert_eq!(verify_at(&zone, &once, NOW)[0].result(), DkimResult::Pass);

    // Re-signed by the next hop, two signatures in one pass: the existing one listed once.
    let twice = signed(&[with_dkim(second, "b"), with_dkim(third, "c")], &once, NOW);
    assert_eq!(h_of(&twice), "From:From:Subject:Subject:DKIM-Signature");
    let got: Vec<_> = verify_at(&zone, &twice, NOW)
        .iter()
        .map(SignatureResult::result)
        .collect();
    assert_eq!(got, [DkimResult::Pass; 3]);

    // The new signatures do cover the old one: changing it breaks them, not itself alone.
    let text = String::from_utf8(twice).unwrap();
    let old_at = text.rfind("DKIM-Signature:").unwrap();
    let tampered = format!("{}X-{}", &text[..old_at], &text[old_at..]);
    let results = verify_at(&zone, tampered.as_bytes(), NOW);
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.status, Status::Fail(FailReason::SignatureMismatch)))
    );
}

/// `i=` goes out in dkim-quoted-printable (a `=` in the local-part as `=3D`) and reads back
/// as given (RFC 6376 §2.11, §3.5).
#[test]
fn agent_identifier_with_equals_sign_round_trips() {
    let key = ed_key(11);
    let zone = zone(&[(
        "s._domainkey.example.com",
        &DnsTxtRecord::for_key(&key).to_string(),
    )]);
    let signer = Signer::new(key, "example.com", "s")
        .unwrap()
        .with_agent_identifier("list+a=b@lists.example.com")
        .unwrap();
    let raw = signed(&[signer], MESSAGE, NOW);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("i=list+a=3Db@lists.example.com;"), "{text}");
    let results = verify_at(&zone, &raw, NOW);
    let proof = results[0].verified().unwrap();
    assert_eq!(&*proof.agent_identifier().local_part, b"list+a=b");
    assert_eq!(
        proof.agent_identifier().domain.as_str(),
        "lists.example.com"
    );
}

/// `t=` and `x=` hold 12 digits: a clock past that is an error, not an invalid field (review
/// finding, through the C API: `(uint64_t)-1` signed as `t=18446744073709551615`).
#[test]
fn timestamps_past_twelve_digits_are_refused() {
    let signer = || Signer::new(ed_key(12), "example.com", "s").unwrap();
    let out_of_range = |result: Result<String, mailproof_dkim::Error>| {
        matches!(
            result,
            Err(mailproof_dkim::Error::TimestampOutOfRange { .. })
        )
    };
    assert!(out_of_range(sign(
        &[signer()],
        MESSAGE,
        Clock::Fixed(u64::MAX)
    )));
    assert!(out_of_range(sign(
        &[signer()],
        MESSAGE,
        Clock::Fixed(mailproof_dkim::MAX_TIMESTAMP + 1)
    )));
    assert!(out_of_range(sign(
        &[signer().with_expiry(10)],
        MESSAGE,
        Clock::Fixed(mailproof_dkim::MAX_TIMESTAMP - 5)
    )));
    let last = sign(
        &[signer()],
        MESSAGE,
        Clock::Fixed(mailproof_dkim::MAX_TIMESTAMP),
    )
    .unwrap();
    assert!(last.contains("t=999999999999;"), "{last}");
    // Without t= or x=, "now" is not written.
    assert!(
        sign(
            &[signer().with_timestamp(false)],
            MESSAGE,
            Clock::Fixed(u64::MAX)
        )
        .is_ok()
    );
}

#[test]
fn pure_verification_with_supplied_keys_and_reused_scratch() {
    let key = ed_key(7);
    let record = DnsTxtRecord::for_key(&key).to_string();
    let raw = signed(
        &[Signer::new(key, "example.com", "s").unwrap()],
        MESSAGE,
        NOW,
    );
    let message = Message::parse(&raw).unwrap();
    let verifier = Verifier::default().with_clock(Clock::Fixed(NOW));
    let mut scratch = Scratch::new();
    let mut asked = Vec::new();
    for _ in 0..3 {
        let results = verifier.verify_with_keys(
            &message,
            &mut |name: &Name| {
                asked.push(name.to_string());
                Ok(Answer::from_records(vec![Txt::new(record.as_bytes())], 300))
            },
            &mut scratch,
        );
        assert_eq!(results[0].result(), DkimResult::Pass);
    }
    assert_eq!(asked, ["s._domainkey.example.com"; 3]);
}

#[test]
fn keys_load_from_every_container() {
    use base64::Engine as _;
    let pem_body = |pem: &str| -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    // PKCS#8 PEM and DER.
    let pkcs8_pem = rsa_pem();
    let from_pem = SigningKey::from_pem(&pkcs8_pem).unwrap();
    let pkcs8_der = pem_body(&pkcs8_pem);
    let from_der = SigningKey::from_pkcs8_der(&pkcs8_der).unwrap();
    assert_eq!(from_pem.public_key_bytes(), from_der.public_key_bytes());
    // PKCS#1 PEM and DER (dkimpy's 2048-bit test key).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/dkim/dkimpy/2048_testkey.key");
    if let Ok(pkcs1_pem) = std::fs::read_to_string(dir) {
        let a = SigningKey::from_pem(&pkcs1_pem).unwrap();
        let b = SigningKey::from_pkcs1_der(&pem_body(&pkcs1_pem)).unwrap();
        let c = SigningKey::from_der(&pem_body(&pkcs1_pem)).unwrap();
        assert_eq!(a.public_key_bytes(), b.public_key_bytes());
        assert_eq!(b.public_key_bytes(), c.public_key_bytes());
    }
    // Ed25519: PKCS#8 and raw seed give the same public key.
    let generated = generate_ed25519_key().unwrap();
    let seedless = SigningKey::from_pkcs8_der(generated.pkcs8_der()).unwrap();
    assert_eq!(
        seedless.public_key_bytes(),
        generated.signing_key().public_key_bytes()
    );
    assert!(SigningKey::from_ed25519_seed(&[0; 31]).is_err());
    assert!(SigningKey::from_der(b"not a key").is_err());
}

#[test]
fn verify_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let zone = mailproof_dns::ZoneResolver::new();
    let message = Message::parse(MESSAGE).unwrap();
    let verifier = Verifier::default();
    let mut scratch = Scratch::new();
    let future = verifier.verify_with_scratch(&zone, &message, &mut scratch);
    assert_send(&future);
    assert!(crate::block_on(future).is_empty());
}
