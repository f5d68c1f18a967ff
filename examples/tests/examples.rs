#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Runs every example (compiled in as a module) and checks what it prints.

#[allow(dead_code)]
#[path = "../verify_message.rs"]
mod verify_message;

#[allow(dead_code)]
#[path = "../sign_message.rs"]
mod sign_message;

#[allow(dead_code)]
#[path = "../custom_resolver.rs"]
mod custom_resolver;

#[allow(dead_code)]
#[path = "../spf_check.rs"]
mod spf_check;

#[allow(dead_code)]
#[path = "../dmarc_lookup.rs"]
mod dmarc_lookup;

#[test]
fn verify_message() {
    let out = verify_message::run().unwrap();
    assert!(out.contains("dmarc=fail (p=reject dis=reject;"), "{out}");
    assert!(out.contains("disposition: reject"), "{out}");
}

#[test]
fn sign_message() {
    let signed = sign_message::run().unwrap();
    let expected = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/stories/b-forwarded.eml"),
    )
    .unwrap();
    assert_eq!(signed, expected);
}

#[test]
fn custom_resolver() {
    assert_eq!(
        custom_resolver::run().unwrap(),
        "from 198.51.100.20: spf=pass dmarc=pass disposition=none\n\
         from 192.0.2.99: spf=fail dmarc=fail disposition=quarantine\n"
    );
}

#[test]
fn spf_check() {
    let out = spf_check::run().unwrap();
    assert!(out.contains("203.0.113.10: pass (matched \"a\""), "{out}");
    assert!(out.contains("203.0.113.25: pass (matched \"mx\""), "{out}");
    assert!(
        out.contains("173.10.10.10: pass (matched \"ip4:173.10.10.10\""),
        "{out}"
    );
    assert!(
        out.contains("203.0.113.99: fail (matched \"-all\""),
        "{out}"
    );
}

#[test]
fn dmarc_lookup() {
    let out = dmarc_lookup::run().unwrap();
    assert!(
        out.starts_with(
            "policy for mail.a.com: p=reject found at _dmarc.a.com (OrganizationalDomain)"
        ),
        "{out}"
    );
}
