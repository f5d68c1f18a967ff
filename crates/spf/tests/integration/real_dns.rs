//! `check_host()` against a real authoritative server: the records of
//! `testdata/zones/spf.test.zone`, served by nsd (`scripts/dns-server.sh`), looked up through
//! `HickoryResolver` — UDP, real answers, REFUSED for names outside the served zones.
//!
//! The server address comes from `MAILPROOF_DNS_SERVER` (default `127.0.0.1:5353`). When no
//! server answers for `spf.test`, the tests print `skipped: ...` — unless
//! `MAILPROOF_REQUIRE_REAL_DNS=1` (set by `.ci/run`), when they fail.

use std::io::Write as _;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use mailproof_dns::{FailureKind, LookupError, Name, RecordType, Resolver};
use mailproof_dns_hickory::{HickoryResolver, NameServerAddr, Options};
use mailproof_spf::{Entry, Reason, SpfOutput, SpfResult, TraceEvent, Verifier};

/// The test server, from `MAILPROOF_DNS_SERVER`.
pub(crate) fn server() -> NameServerAddr {
    std::env::var("MAILPROOF_DNS_SERVER")
        .unwrap_or_else(|_| "127.0.0.1:5353".to_owned())
        .parse()
        .expect("MAILPROOF_DNS_SERVER is ip:port")
}

/// Some(resolver) when the server answers for `spf.test`; None (after printing why) when the
/// test is skipped. A server that answers but refuses `spf.test` was started before the zone
/// file existed.
pub(crate) async fn live_resolver() -> Option<HickoryResolver> {
    let mut options = Options::default();
    options.timeout = Duration::from_secs(2);
    let resolver = HickoryResolver::with_options(&[server()], options).expect("resolver builds");
    let probe = resolver.txt(&name("spf.test")).await;
    let why = match &probe {
        Ok(_) => return Some(resolver),
        Err(e) if e.kind() == FailureKind::Refused => format!(
            "the DNS server on {:?} does not serve spf.test (restart it: scripts/dns-server.sh \
             stop; scripts/dns-server.sh start)",
            server()
        ),
        Err(e) => format!(
            "no DNS server answers on {:?}: {e} (run scripts/dns-server.sh start)",
            server()
        ),
    };
    let required = std::env::var("MAILPROOF_REQUIRE_REAL_DNS").is_ok_and(|v| v == "1");
    assert!(!required, "MAILPROOF_REQUIRE_REAL_DNS=1 but {why}");
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
    None
}

/// The settings both real-DNS tests use: a fixed receiver and clock.
pub(crate) fn verifier() -> Verifier {
    let mut verifier = Verifier::default();
    verifier.receiver = "mx.receiver.test".into();
    verifier.now = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    verifier
}

fn name(text: &str) -> Name {
    Name::new(text).expect("valid test name")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("valid test IP")
}

async fn check(dns: &HickoryResolver, client: &str, mail_from: &str) -> SpfOutput {
    verifier()
        .verify_mail_from(dns, ip(client), "mta.spf.test", mail_from)
        .await
}

/// The text of the directive that decided, e.g. `mx` or `ip4:173.10.10.10`.
fn matched(output: &SpfOutput) -> String {
    match &output.reason {
        Reason::Matched { directive, .. } => directive.to_string(),
        other => panic!("expected a matched directive, got {other:?} ({output:?})"),
    }
}

#[tokio::test]
async fn mx_then_softfail() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    // "v=spf1 mx ~all", MX mail.mx-soft.spf.test = 198.51.100.20
    let allowed = check(&dns, "198.51.100.20", "alice@mx-soft.spf.test").await;
    assert_eq!(allowed.result, SpfResult::Pass, "{allowed:?}");
    assert_eq!(matched(&allowed), "mx");
    let other = check(&dns, "203.0.113.1", "alice@mx-soft.spf.test").await;
    assert_eq!(other.result, SpfResult::SoftFail, "{other:?}");
    assert_eq!(matched(&other), "~all");
    assert!(other.explanation.is_none());
}

#[tokio::test]
async fn a_mx_ip4_each_allowed_address_and_a_disallowed_one() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    // "v=spf1 a mx ip4:173.10.10.10 -all": A 198.51.100.10, MX mx.amx.spf.test = 198.51.100.11
    for (client, directive) in [
        ("198.51.100.10", "a"),
        ("198.51.100.11", "mx"),
        ("173.10.10.10", "ip4:173.10.10.10"),
        ("::ffff:173.10.10.10", "ip4:173.10.10.10"),
    ] {
        let output = check(&dns, client, "bob@amx.spf.test").await;
        assert_eq!(output.result, SpfResult::Pass, "{client}: {output:?}");
        assert_eq!(matched(&output), directive, "{client}");
    }
    let refused = check(&dns, "198.51.100.12", "bob@amx.spf.test").await;
    assert_eq!(refused.result, SpfResult::Fail, "{refused:?}");
    assert_eq!(matched(&refused), "-all");
    assert_eq!(
        refused.explanation.as_ref().map(|e| e.text.as_str()),
        Some("198.51.100.12 is not authorized to send mail for amx.spf.test")
    );
    assert_eq!(
        refused.received_spf().to_string(),
        "Received-SPF: fail (mx.receiver.test: domain of bob@amx.spf.test does not designate \
         198.51.100.12 as permitted sender) client-ip=198.51.100.12; \
         envelope-from=bob@amx.spf.test; helo=mta.spf.test; receiver=mx.receiver.test; \
         identity=mailfrom;"
    );
}

#[tokio::test]
async fn include_chain_three_levels() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    // chain -> chain1 -> chain2 -> chain3 ("v=spf1 ip4:198.51.100.30 -all")
    let output = check(&dns, "198.51.100.30", "carol@chain.spf.test").await;
    assert_eq!(output.result, SpfResult::Pass, "{output:?}");
    assert_eq!(matched(&output), "include:chain1.spf.test");
    let included: Vec<String> = output
        .trace
        .events()
        .iter()
        .filter_map(|event| match event {
            TraceEvent::CheckHost {
                domain,
                entry: Entry::Include,
            } => Some(domain.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        included,
        ["chain1.spf.test", "chain2.spf.test", "chain3.spf.test"]
    );

    // Not in chain3: every level says "no match", so the top record's -all decides.
    let other = check(&dns, "198.51.100.31", "carol@chain.spf.test").await;
    assert_eq!(other.result, SpfResult::Fail, "{other:?}");
    assert_eq!(matched(&other), "-all");
}

#[tokio::test]
async fn ten_dns_terms_pass_eleven_are_permerror() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    let ten = check(&dns, "198.51.100.1", "dave@limit10.spf.test").await;
    assert_eq!(ten.result, SpfResult::Pass, "{ten:?}");
    assert_eq!(matched(&ten), "ip4:198.51.100.1");
    let eleven = check(&dns, "198.51.100.1", "dave@limit11.spf.test").await;
    assert_eq!(eleven.result, SpfResult::PermError, "{eleven:?}");
    assert_eq!(eleven.reason, Reason::DnsTermLimit { limit: 10 });
    // The include of the ten-term record is itself the eleventh term.
    let included = check(&dns, "198.51.100.1", "dave@limit-inc.spf.test").await;
    assert_eq!(included.result, SpfResult::PermError, "{included:?}");
    assert_eq!(included.reason, Reason::DnsTermLimit { limit: 10 });
}

#[tokio::test]
async fn third_void_lookup_is_permerror() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    // Two NXDOMAIN answers (a:, mx:) are allowed.
    let two = check(&dns, "198.51.100.1", "erin@void2.spf.test").await;
    assert_eq!(two.result, SpfResult::Pass, "{two:?}");
    for domain in ["void3.spf.test", "void3-nodata.spf.test"] {
        let three = check(&dns, "198.51.100.1", &format!("erin@{domain}")).await;
        assert_eq!(three.result, SpfResult::PermError, "{domain}: {three:?}");
        assert_eq!(
            three.reason,
            Reason::VoidLookupLimit { limit: 2 },
            "{domain}"
        );
    }
}

#[tokio::test]
async fn refused_include_is_temperror() {
    let Some(dns) = live_resolver().await else {
        return;
    };
    // include:spf.unserved.test — a name in no served zone, so nsd answers REFUSED. (Not a
    // name under .invalid: hickory answers those itself with NXDOMAIN, per RFC 6761 §6.4.)
    let output = check(&dns, "198.51.100.1", "frank@include-temperror.spf.test").await;
    assert_eq!(output.result, SpfResult::TempError, "{output:?}");
    assert_eq!(
        output.reason,
        Reason::Dns {
            name: name("spf.unserved.test"),
            record_type: RecordType::Txt,
            kind: FailureKind::Refused,
        }
    );
    let events = output.trace.events();
    let failure: Vec<&LookupError> = events
        .iter()
        .filter_map(|event| match event {
            TraceEvent::Query { answer: Err(e), .. } => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(failure.len(), 1, "{:?}", output.trace);
    assert_eq!(failure[0].kind(), FailureKind::Refused);
}
