use std::sync::Arc;

use mailproof::{Authenticator, Clock, Envelope, Policy, Signer, SigningKey};
use mailproof_dns::{Name, ZoneResolver};

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn zone() -> (ZoneResolver, SigningKey) {
    let key = SigningKey::from_ed25519_seed(&[3; 32]).unwrap();
    let record = mailproof_dkim::DnsTxtRecord::for_key(&key);
    let mut zone = ZoneResolver::new();
    zone.add_txt(name("a.example"), &["v=spf1 ip4:203.0.113.1 -all"])
        .add_txt(name("ed._domainkey.a.example"), &[record.as_str()])
        .add_txt(name("_dmarc.a.example"), &["v=DMARC1; p=quarantine"])
        .add_txt(name("_dmarc.b.example"), &["v=DMARC1; p=reject"]);
    (zone, key)
}

fn envelope(ip: &str) -> Envelope {
    Envelope::new(ip.parse().unwrap(), "mail.a.example", "bounce@a.example")
}

const NOW: u64 = 1_700_000_000;

fn signed(message: &[u8]) -> Vec<u8> {
    let (_, key) = zone();
    Signer::new()
        .with_key(key, "a.example", "ed")
        .unwrap()
        .with_clock(Clock::Fixed(NOW))
        .sign(message)
        .unwrap()
}

fn authenticator() -> Authenticator<ZoneResolver> {
    Authenticator::new(zone().0, "mx.test").with_clock(Clock::Fixed(NOW + 10))
}

#[tokio::test]
async fn forwarded_mail_passes_on_dkim() {
    let message = signed(b"From: x@a.example\r\nSubject: s\r\n\r\nbody\r\n");
    let verdict = authenticator()
        .verify(&envelope("198.51.100.7"), &message)
        .await;
    assert_eq!(verdict.spf.mail_from.result.as_str(), "fail");
    assert_eq!(verdict.dkim.len(), 1);
    assert_eq!(verdict.dkim[0].result.result().as_str(), "pass");
    assert_eq!(verdict.dkim[0].tags.selector.as_deref(), Some("ed"));
    assert_eq!(verdict.dkim[0].tags.b_prefix.as_ref().unwrap().len(), 8);
    assert_eq!(
        verdict.dkim[0].key.as_ref().unwrap().name.as_str(),
        "ed._domainkey.a.example"
    );
    assert!(verdict.dmarc.result().is_pass());
    assert_eq!(verdict.disposition(), Policy::None);
    assert_eq!(verdict.dmarc.policy, Some(Policy::Quarantine));
    let header = verdict.authentication_results();
    let text = header.to_string();
    assert!(
        text.contains(
            "header.d=a.example header.i=@a.example header.s=ed header.a=ed25519-sha256 header.b="
        ),
        "{text}"
    );
    assert!(
        text.contains("dmarc=pass (p=quarantine dis=none;"),
        "{text}"
    );
}

#[tokio::test]
async fn several_from_fields_never_pass() {
    let message = signed(b"From: x@a.example\r\nFrom: y@b.example\r\nSubject: s\r\n\r\nbody\r\n");
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), &message)
        .await;
    assert_eq!(verdict.spf.mail_from.result.as_str(), "pass");
    assert!(!verdict.dmarc.result().is_pass());
    // b.example does not align with anything, so it fails and its p=reject applies.
    assert_eq!(verdict.dmarc.result().as_str(), "fail");
    assert_eq!(verdict.disposition(), Policy::Reject);
    assert_eq!(
        verdict.dmarc.from_problem.as_deref(),
        Some("several From fields")
    );
}

#[tokio::test]
async fn several_from_fields_of_a_passing_domain_are_permerror_with_policy() {
    let message = signed(b"From: x@a.example\r\nFrom: y@a.example\r\n\r\nbody\r\n");
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), &message)
        .await;
    assert_eq!(verdict.dmarc.result().as_str(), "permerror");
    assert_eq!(verdict.disposition(), Policy::Quarantine);
}

#[tokio::test]
async fn missing_from_is_permerror() {
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), b"Subject: s\r\n\r\nbody\r\n")
        .await;
    assert_eq!(verdict.dmarc.result().as_str(), "permerror");
    assert!(
        verdict.dmarc.reason.contains("no From"),
        "{}",
        verdict.dmarc.reason
    );
    let text = verdict.authentication_results().to_string();
    assert!(text.contains("dkim=none (message not signed)"), "{text}");
    assert!(!text.contains("header.from"), "{text}");
}

#[tokio::test]
async fn unparsable_message_is_permerror_not_pass() {
    // More header fields than the parser's default limit (1000).
    let mut message = b"From: x@a.example\r\n".to_vec();
    for _ in 0..1001 {
        message.extend_from_slice(b"X-Spam: 1\r\n");
    }
    message.extend_from_slice(b"\r\nbody\r\n");
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), &message)
        .await;
    assert!(verdict.message_error.is_some());
    assert_eq!(verdict.spf.mail_from.result.as_str(), "pass");
    assert!(verdict.dkim.is_empty());
    assert_eq!(verdict.dmarc.result().as_str(), "permerror");
    assert!(
        verdict
            .dmarc
            .from_problem
            .as_ref()
            .unwrap()
            .contains("does not parse")
    );
}

#[tokio::test]
async fn broken_signature_is_reported_with_its_tags() {
    let message = b"DKIM-Signature: v=1; a=rsa-sha256; d=evil\"; s=x (y); b=AAAA\r\nFrom: x@a.example\r\n\r\nbody\r\n";
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), message)
        .await;
    assert_eq!(verdict.dkim[0].result.result().as_str(), "permerror");
    let header = verdict.authentication_results();
    let reparsed = mailproof::AuthResults::parse(
        header
            .to_string()
            .strip_prefix("Authentication-Results:")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(reparsed, header);
    assert_eq!(reparsed.results[2].property("header", "d"), Some("evil\""));
}

#[test]
fn shared_across_threads_with_the_blocking_api() {
    let authenticator = Arc::new(authenticator());
    let message = Arc::new(signed(b"From: x@a.example\r\n\r\nbody\r\n"));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let authenticator = Arc::clone(&authenticator);
            let message = Arc::clone(&message);
            std::thread::spawn(move || {
                authenticator
                    .verify_blocking(&envelope("203.0.113.1"), &message)
                    .unwrap()
                    .dmarc
                    .result()
                    .is_pass()
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap());
    }
}

#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error() {
    let error = authenticator()
        .verify_blocking(&envelope("203.0.113.1"), b"From: x@a.example\r\n\r\n")
        .unwrap_err();
    assert!(matches!(error, mailproof::Error::InsideRuntime));
}

#[tokio::test]
async fn forged_results_are_removed() {
    let raw = b"Authentication-Results: mx.test; dmarc=pass header.from=a.example\r\nFrom: x@a.example\r\n\r\nbody\r\n";
    let cleaned = mailproof::remove_forged_results(raw, "MX.TEST");
    assert_eq!(&*cleaned, b"From: x@a.example\r\n\r\nbody\r\n");
    let message = mailproof_message::Message::parse(raw).unwrap();
    assert!(mailproof::upstream_results(&message, "mx.test").is_empty());
    assert_eq!(mailproof::upstream_results(&message, "other.test").len(), 1);
}

#[tokio::test]
async fn spf_checked_at_mail_from_time_is_reused_for_the_message() {
    let authenticator = authenticator();
    // SPF alone, before DATA: both identities, as a full verification computes them.
    let spf = authenticator.check_spf(&envelope("203.0.113.1")).await;
    assert_eq!(spf.mail_from.result.as_str(), "pass");
    assert_eq!(spf.mail_from.domain, "a.example");
    assert_eq!(spf.helo.domain, "mail.a.example");
    assert_eq!(spf.helo.result.as_str(), "none");

    let message = b"From: x@a.example\r\nSubject: s\r\n\r\nbody\r\n";
    let full = authenticator
        .verify(&envelope("203.0.113.1"), message)
        .await;
    let reused = authenticator
        .verify_with_spf(&envelope("203.0.113.1"), spf.clone(), message)
        .await;
    assert_eq!(
        reused.spf.mail_from.result, full.spf.mail_from.result,
        "same SPF as a full verification"
    );
    assert!(reused.dmarc.result().is_pass(), "DMARC passes through SPF");
    assert_eq!(
        reused.authentication_results().to_string(),
        full.authentication_results().to_string()
    );

    // The given SPF outcome is used as it is, not evaluated again: from another client
    // address a fresh evaluation fails, the reused one still passes.
    let elsewhere = authenticator
        .verify_with_spf(&envelope("198.51.100.7"), spf, message)
        .await;
    assert_eq!(elsewhere.spf.mail_from.result.as_str(), "pass");
    let fresh = authenticator
        .verify(&envelope("198.51.100.7"), message)
        .await;
    assert_eq!(fresh.spf.mail_from.result.as_str(), "fail");
    assert!(!fresh.dmarc.result().is_pass());
}

#[test]
fn spf_alone_with_the_blocking_api() {
    let authenticator = authenticator();
    let spf = authenticator
        .check_spf_blocking(&envelope("198.51.100.7"))
        .unwrap();
    assert_eq!(spf.mail_from.result.as_str(), "fail");
    let verdict = authenticator
        .verify_with_spf_blocking(
            &envelope("198.51.100.7"),
            spf,
            &signed(b"From: x@a.example\r\n\r\nbody\r\n"),
        )
        .unwrap();
    assert_eq!(verdict.spf.mail_from.result.as_str(), "fail");
    assert!(
        verdict.dmarc.result().is_pass(),
        "DMARC passes through DKIM"
    );
}

#[tokio::test]
async fn no_key_lookup_for_a_signature_that_fails_before_its_key_matters() {
    let message = signed(b"From: x@a.example\r\n\r\nbody\r\n");
    // An hour before the signature's t=: signed in the future, whatever the key says.
    let verdict = Authenticator::new(zone().0, "mx.test")
        .with_clock(Clock::Fixed(NOW - 3600))
        .verify(&envelope("203.0.113.1"), &message)
        .await;
    assert_eq!(verdict.dkim[0].result.result().as_str(), "permerror");
    assert!(
        verdict.dkim[0].reason.starts_with("signed in the future"),
        "{}",
        verdict.dkim[0].reason
    );
    assert!(verdict.dkim[0].key.is_none(), "no key record was fetched");
    // At the right time the same signature fetches its key and passes.
    let verdict = authenticator()
        .verify(&envelope("203.0.113.1"), &message)
        .await;
    assert!(verdict.dkim[0].key.is_some());
    assert_eq!(verdict.dkim[0].result.result().as_str(), "pass");
}

/// Review finding (through the C API): a fixed clock past what `SystemTime` holds panicked
/// while the authenticator was being set up. It now verifies, with DKIM's `t=` in the past.
#[tokio::test]
async fn a_clock_past_system_time_does_not_panic() {
    let message = signed(b"From: x@a.example\r\nSubject: s\r\n\r\nbody\r\n");
    for seconds in [u64::MAX, u64::MAX / 2, mailproof_dkim::MAX_TIMESTAMP] {
        let verdict = Authenticator::new(zone().0, "mx.test")
            .with_clock(Clock::Fixed(seconds))
            .verify(&envelope("198.51.100.7"), &message)
            .await;
        assert_eq!(verdict.dkim.len(), 1, "{seconds}");
    }
}
