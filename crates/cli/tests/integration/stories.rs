//! The stories of testdata/stories/README.md, end to end.

use crate::{ok, testdata, verify_json};

const A: &str = "zones/a.com.zone";
const FAKE: &str = "zones/fake.com.zone";
const QQ: &str = "zones/qq.com.zone";
const N163: &str = "zones/163.com.zone";

/// (a) Return-Path and DKIM d= are fake.com, From is admin@a.com, a.com publishes p=reject.
#[test]
fn a_spoofed_from_fails_dmarc_and_is_rejected() {
    let v = verify_json(
        "stories/a-spoof.eml",
        "203.0.113.66",
        "mail.fake.com",
        "xxx@fake.com",
        &[A, FAKE],
        "1647931100",
    );
    assert_eq!(v["spf"]["result"], "pass");
    assert_eq!(v["spf"]["domain"], "fake.com");
    assert_eq!(v["dkim"][0]["result"], "pass");
    assert_eq!(v["dkim"][0]["domain"], "fake.com");
    assert_eq!(v["dkim"][0]["selector"], "s1");
    assert_eq!(v["dmarc"]["result"], "fail");
    assert_eq!(v["dmarc"]["from_domain"], "a.com");
    assert_eq!(v["dmarc"]["policy"], "reject");
    assert_eq!(v["dmarc"]["disposition"], "reject");
    assert_eq!(v["dmarc"]["alignments"].as_array().unwrap().len(), 2);
    assert!(
        v["dmarc"]["alignments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["aligned"] == false)
    );
    let header = v["authentication_results"].as_str().unwrap();
    assert!(
        header.contains("dmarc=fail (p=reject dis=reject;"),
        "{header}"
    );
    assert!(
        header.contains("header.from=a.com policy.dmarc=reject"),
        "{header}"
    );
}

/// (b) qq.com -> c@163.com, forwarded unchanged to Gmail: SPF fails at 163's IP, the qq.com
/// DKIM signatures (RSA and Ed25519) survive, DMARC passes on DKIM.
#[test]
fn b_forwarded_mail_fails_spf_but_passes_dkim_and_dmarc() {
    let v = verify_json(
        "stories/b-forwarded.eml",
        "203.0.113.163",
        "mx.163.com",
        "b@qq.com",
        &[QQ, N163],
        "1648170100",
    );
    assert_eq!(v["spf"]["result"], "fail");
    assert_eq!(v["spf"]["domain"], "qq.com");
    assert_eq!(v["spf"]["helo"]["result"], "pass");
    let dkim = v["dkim"].as_array().unwrap();
    assert_eq!(dkim.len(), 2);
    assert!(
        dkim.iter()
            .all(|d| d["result"] == "pass" && d["domain"] == "qq.com")
    );
    assert_eq!(dkim[0]["selector"], "rsa");
    assert_eq!(dkim[1]["selector"], "ed");
    assert_eq!(v["dmarc"]["result"], "pass");
    assert_eq!(v["dmarc"]["policy"], "quarantine");
    assert_eq!(v["dmarc"]["disposition"], "none");
}

/// (b) as it arrived at 163.com, straight from qq.com's server: everything passes.
#[test]
fn b_direct_delivery_passes_everything() {
    let v = verify_json(
        "stories/b-forwarded.eml",
        "203.0.113.113",
        "mx.qq.com",
        "b@qq.com",
        &[QQ, N163],
        "1648170100",
    );
    assert_eq!(v["spf"]["result"], "pass");
    assert_eq!(v["dmarc"]["result"], "pass");
}

/// (c) a.com publishes `v=spf1 a mx ip4:173.10.10.10 -all`: each allowed address passes by
/// its own term, another address fails, and without DKIM the failure is a DMARC reject.
#[test]
fn c_spf_a_mx_ip4_allowed_and_disallowed() {
    for (ip, term) in [
        ("203.0.113.10", "a"),
        ("203.0.113.25", "mx"),
        ("173.10.10.10", "ip4:173.10.10.10"),
    ] {
        let v = verify_json(
            "stories/c-a.com.eml",
            ip,
            "mail.a.com",
            "admin@a.com",
            &[A],
            "1648029600",
        );
        assert_eq!(v["spf"]["result"], "pass", "{ip}");
        assert_eq!(
            v["spf"]["reason"],
            format!("matched \"{term}\" in the record of a.com")
        );
        assert_eq!(v["dmarc"]["result"], "pass", "{ip}");
        assert_eq!(v["dmarc"]["disposition"], "none");
    }
    let v = verify_json(
        "stories/c-a.com.eml",
        "203.0.113.99",
        "mail.a.com",
        "admin@a.com",
        &[A],
        "1648029600",
    );
    assert_eq!(v["spf"]["result"], "fail");
    assert_eq!(
        v["spf"]["reason"],
        "matched \"-all\" in the record of a.com"
    );
    assert_eq!(v["dkim"].as_array().unwrap().len(), 0);
    assert_eq!(v["dmarc"]["result"], "fail");
    assert_eq!(v["dmarc"]["disposition"], "reject");
}

/// The same check with the `spf` subcommand.
#[test]
fn c_spf_subcommand() {
    let out = ok(&[
        "spf",
        "--ip",
        "173.10.10.10",
        "--sender",
        "admin@a.com",
        "--zone",
        A,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "pass");
    let out = ok(&[
        "spf",
        "--ip",
        "203.0.113.99",
        "--sender",
        "admin@a.com",
        "--zone",
        A,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "fail");
    assert_eq!(
        v["explanation"],
        "203.0.113.99 is not authorized to send mail for a.com"
    );
}

/// The committed signed messages are what our signer produces (RSA PKCS#1 v1.5 and Ed25519
/// signatures are deterministic, and --now fixes t=).
#[test]
fn story_signatures_are_reproducible() {
    let signed = ok(&[
        "sign",
        "stories/a-spoof.unsigned.eml",
        "--domain",
        "fake.com",
        "--selector",
        "s1",
        "--key",
        "stories/keys/fake.com.s1.pem",
        "--now",
        "1647931078",
    ]);
    assert_eq!(
        signed.as_bytes(),
        std::fs::read(testdata().join("stories/a-spoof.eml")).unwrap()
    );
    let signed = ok(&[
        "sign",
        "stories/b-forwarded.unsigned.eml",
        "--domain",
        "qq.com",
        "--selector",
        "rsa",
        "--key",
        "stories/keys/qq.com.rsa.pem",
        "--selector",
        "ed",
        "--key",
        "stories/keys/qq.com.ed.pem",
        "--now",
        "1648170000",
    ]);
    assert_eq!(
        signed.as_bytes(),
        std::fs::read(testdata().join("stories/b-forwarded.eml")).unwrap()
    );
}

/// --explain tells the story of (a) in order.
#[test]
fn a_explained() {
    let out = ok(&[
        "verify",
        "stories/a-spoof.eml",
        "--ip",
        "203.0.113.66",
        "--helo",
        "mail.fake.com",
        "--mail-from",
        "xxx@fake.com",
        "--now",
        "1647931100",
        "--zone",
        A,
        "--zone",
        FAKE,
        "--explain",
    ]);
    let steps = [
        "Step 1.",
        "Step 2. SPF",
        "DNS: fake.com TXT",
        "Term \"ip4:203.0.113.66\" (fake.com) matches",
        "Step 3. DKIM",
        "Signed header fields (h=): From",
        "DNS: s1._domainkey.fake.com TXT",
        "Step 4. DMARC",
        "_dmarc.a.com TXT -> a DMARC record",
        "DKIM passed for fake.com, relaxed vs a.com: not aligned",
        "Disposition: reject",
        "Step 5.",
    ];
    let mut at = 0;
    for step in steps {
        let found = out[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} missing after byte {at}:\n{out}"));
        at += found;
    }
}

/// `dmarc DOMAIN`: where the policy was found, and how.
#[test]
fn dmarc_subcommand() {
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["dmarc", "mail.a.com", "--zone", A, "--json"])).unwrap();
    assert_eq!(v["status"], "found");
    assert_eq!(v["policy_domain"], "a.com");
    assert_eq!(v["source"], "organizational domain");
    assert_eq!(v["record"]["p"], "reject");
    let text = ok(&["dmarc", "fake.com", "--zone", FAKE]);
    assert!(
        text.starts_with("no DMARC policy applies to fake.com"),
        "{text}"
    );
}
