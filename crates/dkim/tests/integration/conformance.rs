//! External suites: dkimpy's test data and Stalwart's DKIM vectors, from the shared
//! conformance tree (`MAILPROOF_CONFORMANCE`, default `../../../shared/conformance`).
//!
//! Every case either agrees with the expectation or is in [`SKIPS`] with a reason; a listed
//! case that starts agreeing fails the harness too, so the list cannot go stale.

use mailproof_dkim::SignatureResult;
use std::path::PathBuf;

use mailproof_dkim::{
    Clock, DkimResult, Error, PermErrorReason, Policy, Signer, SigningKey, Status, Verifier,
};
use mailproof_dns::ZoneResolver;

use crate::{crlf, verify_at, verify_with, zone};

/// Cases we knowingly disagree with, each with its reason.
const SKIPS: &[(&str, &str)] = &[
    (
        "dkimpy sign test.private",
        "1024-bit RSA: ring signs only with 2048-4096-bit keys (verification of 1024 works)",
    ),
    (
        "dkimpy sign 1024_testkey.key",
        "1024-bit RSA: ring signs only with 2048-4096-bit keys (verification of 1024 works)",
    ),
];

fn suite_root() -> Option<PathBuf> {
    let root = std::env::var_os("MAILPROOF_CONFORMANCE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    if root.join("dkim").is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var("MAILPROOF_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
        "conformance suite not found at {} and MAILPROOF_REQUIRE_CONFORMANCE=1",
        root.display()
    );
    println!("skipped: conformance suite not found");
    None
}

/// Tallies outcomes against the skip list.
#[derive(Default)]
struct Tally {
    agreed: usize,
    total: usize,
    skipped: usize,
    problems: Vec<String>,
}

impl Tally {
    fn record(&mut self, case: &str, agrees: bool, detail: &str) {
        let listed = SKIPS.iter().any(|(name, _)| *name == case);
        self.total += 1;
        match (agrees, listed) {
            (true, false) => self.agreed += 1,
            (false, true) => self.skipped += 1,
            (true, true) => self
                .problems
                .push(format!("{case}: listed in SKIPS but now agrees; remove it")),
            (false, false) => self.problems.push(format!("{case}: {detail}")),
        }
    }
}

/// The value of a dkimpy manifest DNS entry: `@file:NAME` or the record itself.
fn dkimpy_record(dir: &std::path::Path, value: &str) -> String {
    match value.strip_prefix("@file:") {
        Some(file) => std::fs::read_to_string(dir.join(file))
            .unwrap()
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => value.to_string(),
    }
}

fn dkimpy_zone(dir: &std::path::Path, dns: &serde_yaml::Mapping) -> Vec<(String, String)> {
    dns.iter()
        .map(|(name, value)| {
            (
                name.as_str().unwrap().to_string(),
                dkimpy_record(dir, value.as_str().unwrap()),
            )
        })
        .collect()
}

fn zone_of(records: &[(String, String)]) -> ZoneResolver {
    let pairs: Vec<(&str, &str)> = records
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    zone(&pairs)
}

fn expected_result(text: &str) -> DkimResult {
    match text.split_whitespace().next().unwrap_or("") {
        "pass" => DkimResult::Pass,
        "fail" => DkimResult::Fail,
        "permerror" => DkimResult::PermError,
        "temperror" => DkimResult::TempError,
        "policy" => DkimResult::Policy,
        other => panic!("unknown expectation {other}"),
    }
}

/// A time at which no dkimpy vector has expired.
const DKIMPY_NOW: u64 = 1_700_000_000;

#[test]
#[allow(clippy::too_many_lines)] // one harness, read top to bottom
fn dkimpy() {
    let Some(root) = suite_root() else { return };
    let dir = root.join("dkim/dkimpy");
    let manifest: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("manifest.yml")).unwrap()).unwrap();
    let dns = dkimpy_zone(&dir, manifest["dns"].as_mapping().unwrap());
    let resolver = zone_of(&dns);
    let mut tally = Tally::default();

    // Fixed, already-signed messages.
    let mut signatures = 0;
    let mut passing = 0;
    let mut as_expected = 0;
    for case in manifest["verify"].as_sequence().unwrap() {
        let file = case["message"].as_str().unwrap();
        let raw = crlf(&std::fs::read(dir.join(file)).unwrap());
        let results = verify_at(&resolver, &raw, DKIMPY_NOW);
        for expected in case["signatures"].as_sequence().unwrap() {
            let index = usize::try_from(expected["index"].as_u64().unwrap()).unwrap();
            let want = expected_result(expected["expect"].as_str().unwrap());
            let got = results.get(index).map(SignatureResult::result);
            signatures += 1;
            passing += usize::from(got == Some(DkimResult::Pass));
            as_expected += usize::from(got == Some(want));
            tally.record(
                &format!("dkimpy verify {file} #{index}"),
                got == Some(want),
                &format!(
                    "expected {want}, got {:?}",
                    results.get(index).map(|r| &r.status)
                ),
            );
        }
        if let Some(variant) = case.get("variant") {
            let mut records = dns.clone();
            for (name, value) in variant["dns_override"].as_mapping().unwrap() {
                let name = name.as_str().unwrap();
                records.retain(|(n, _)| n != name);
                records.push((
                    name.to_string(),
                    dkimpy_record(&dir, value.as_str().unwrap()),
                ));
            }
            let want = expected_result(variant["expect"].as_str().unwrap());
            let results = verify_at(&zone_of(&records), &raw, DKIMPY_NOW);
            let got = results.first().map(SignatureResult::result);
            tally.record(
                &format!("dkimpy verify {file} variant"),
                got == Some(want),
                &format!(
                    "expected {want}, got {:?}",
                    results.first().map(|r| &r.status)
                ),
            );
        }
    }
    println!(
        "dkimpy dkim: {as_expected}/{signatures} fixed signatures as expected ({passing} pass)"
    );

    // Key records that must break (or not break) verification of the RSA-signed message,
    // whose key is the same test key.
    let signed = crlf(&std::fs::read(dir.join("rfc6376.signed.rsa.msg")).unwrap());
    let key_name = "test._domainkey.football.example.com";
    for (list, default_expect) in [
        ("bad_key_records", "permerror"),
        ("good_key_records", "pass"),
    ] {
        for entry in manifest[list].as_sequence().unwrap() {
            let file = entry["file"].as_str().unwrap();
            let record = dkimpy_record(&dir, &format!("@file:{file}"));
            let results = verify_at(&zone(&[(key_name, &record)]), &signed, DKIMPY_NOW);
            let expect = entry["expect"].as_str().unwrap_or(default_expect);
            let got = results[0].result();
            // "permerror or fail" and "permerror for ordinary email" both start with the result.
            let agrees = expect.split(" or ").any(|e| expected_result(e) == got);
            tally.record(
                &format!("dkimpy key record {file}"),
                agrees,
                &format!("expected {expect}, got {:?}", results[0].status),
            );
        }
    }

    // Sign-then-verify with each key pair, on each input.
    let inputs = &manifest["sign_inputs"];
    let mut round_trips = 0;
    for entry in inputs["keys"].as_sequence().unwrap() {
        let private = entry["private"].as_str().unwrap();
        let text = std::fs::read_to_string(dir.join(private)).unwrap();
        let loaded = if text.contains("-----BEGIN") {
            SigningKey::from_pem(&text)
        } else {
            let seed = mailproof_dkim_test_base64(text.trim());
            SigningKey::from_ed25519_seed(&seed)
        };
        let case = format!("dkimpy sign {private}");
        let key = match loaded {
            Ok(key) => key,
            Err(error) => {
                tally.record(&case, false, &format!("key does not load: {error}"));
                continue;
            }
        };
        tally.record(&case, true, "");
        let mut public_records = vec![entry["public_record"].as_str().unwrap()];
        public_records.extend(entry.get("alt_public_record").and_then(|v| v.as_str()));
        let signer = Signer::new(key, "example.com", "test").unwrap();
        let signers = [signer];
        for message in inputs["messages"].as_sequence().unwrap() {
            let message = message.as_str().unwrap();
            let raw = crlf(&std::fs::read(dir.join(message)).unwrap());
            let fields = mailproof_dkim::sign(&signers, &raw, Clock::Fixed(DKIMPY_NOW)).unwrap();
            let signed = [fields.as_bytes(), &raw].concat();
            for public in &public_records {
                let record = if public.starts_with("v=") {
                    (*public).to_string()
                } else {
                    dkimpy_record(&dir, &format!("@file:{public}"))
                };
                let results = verify_at(
                    &zone(&[("test._domainkey.example.com", &record)]),
                    &signed,
                    DKIMPY_NOW + 10,
                );
                round_trips += 1;
                tally.record(
                    &format!("dkimpy round trip {private} {message} {public}"),
                    results.first().map(SignatureResult::result) == Some(DkimResult::Pass),
                    &format!("{:?}", results.first().map(|r| &r.status)),
                );
            }
        }
    }
    println!("dkimpy dkim: {round_trips} sign-then-verify round trips");

    // Messages without From must be refused.
    let key = SigningKey::from_pem(&std::fs::read_to_string(dir.join("2048_testkey.key")).unwrap())
        .unwrap();
    let signers = [Signer::new(key, "example.com", "test").unwrap()];
    for message in inputs["must_refuse_to_sign"].as_sequence().unwrap() {
        let message = message.as_str().unwrap();
        let raw = crlf(&std::fs::read(dir.join(message)).unwrap());
        let refused = matches!(
            mailproof_dkim::sign(&signers, &raw, Clock::Fixed(DKIMPY_NOW)),
            Err(Error::MissingFrom)
        );
        tally.record(
            &format!("dkimpy refuse {message}"),
            refused,
            "signed a message without From",
        );
    }

    println!(
        "dkimpy dkim: {}/{} cases agree, {} skipped (listed)",
        tally.agreed, tally.total, tally.skipped
    );
    assert!(tally.problems.is_empty(), "{:#?}", tally.problems);
}

fn mailproof_dkim_test_base64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// "Now" for the Stalwart vectors (005 carries `x=1667930064`).
const STALWART_NOW: u64 = 1_667_843_664;

#[test]
fn stalwart() {
    let Some(root) = suite_root() else { return };
    let dir = root.join("dkim/stalwart-mail-auth");
    let mut tally = Tally::default();
    let mut passing = 0;
    let mut total = 0;
    for n in 1..=6 {
        let file = format!("{n:03}.txt");
        let (records, raw) = stalwart_file(&dir.join(&file));
        let results = verify_with(&stalwart_verifier(), &zone_of(&records), &raw);
        assert!(!results.is_empty(), "{file}: no signatures found");
        for (i, result) in results.iter().enumerate() {
            total += 1;
            let pass = result.result() == DkimResult::Pass;
            passing += usize::from(pass);
            tally.record(
                &format!("stalwart {file} #{i}"),
                pass,
                &format!("{:?}", result.status),
            );
        }
    }
    println!("stalwart dkim: {passing}/{total} signatures pass");
    assert!(tally.problems.is_empty(), "{:#?}", tally.problems);
    assert_eq!(total, 8, "the README promises 8 signatures");
}

/// The verifier for the Stalwart vectors: default policy, "now" pinned, and a day of
/// tolerance for `t=` in the future. The suite pins one "now" (for 005's `x=`) that lies
/// 5.3 hours before 004's `t=1667862801`; Stalwart itself never checks future `t=`, which
/// RFC 6376 §3.5 leaves optional ("MAY ignore"). `stalwart_004_is_from_the_future_by_default`
/// pins what our default does with it.
fn stalwart_verifier() -> Verifier {
    let mut policy = Policy::default();
    policy.future_tolerance_seconds = 24 * 3600;
    Verifier::new(policy).with_clock(Clock::Fixed(STALWART_NOW))
}

#[test]
fn stalwart_004_is_from_the_future_by_default() {
    let Some(root) = suite_root() else { return };
    let (records, raw) = stalwart_file(&root.join("dkim/stalwart-mail-auth/004.txt"));
    let results = verify_at(&zone_of(&records), &raw, STALWART_NOW);
    assert!(matches!(
        results[0].status,
        Status::PermError(PermErrorReason::SignedInFuture {
            signed_at: 1_667_862_801,
            ..
        })
    ));
    assert_eq!(
        verify_at(&zone_of(&records), &raw, 1_667_862_801)[0].result(),
        DkimResult::Pass
    );
}

/// A Stalwart vector: `<name> <TXT>` lines, a blank line, the message (LF, made CRLF).
fn stalwart_file(path: &std::path::Path) -> (Vec<(String, String)>, Vec<u8>) {
    let text = std::fs::read(path).unwrap();
    let split = text.windows(2).position(|w| w == b"\n\n").unwrap();
    let mut records = Vec::new();
    for line in text[..split].split(|&b| b == b'\n') {
        let line = std::str::from_utf8(line).unwrap();
        let (name, value) = line.split_once(' ').unwrap();
        records.push((name.to_string(), value.to_string()));
    }
    (records, crlf(&text[split + 2..]))
}

#[test]
fn stalwart_005_expires_after_pinned_now() {
    let Some(root) = suite_root() else { return };
    let (records, raw) = stalwart_file(&root.join("dkim/stalwart-mail-auth/005.txt"));
    let results = verify_at(&zone_of(&records), &raw, 1_667_930_065);
    assert!(matches!(
        results[0].status,
        Status::PermError(PermErrorReason::Expired {
            expires_at: 1_667_930_064,
            ..
        })
    ));
}
