//! Behaviour of the public API that the conformance suites do not pin down.

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use mailproof_dns::{FailureKind, Name, QueryBudget, ZoneResolver};
use mailproof_spf::{
    ExplanationSource, Identity, Reason, SpfResult, TermOutcome, TraceEvent, Verifier,
};

use crate::conformance::block_on;

fn name(text: &str) -> Name {
    Name::new(text).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn zone() -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    zone.add_txt(
        name("example.com"),
        &["v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com"],
    )
    .add_txt(
        name("why.example.com"),
        &["%{c} may not send for %{d} (checked by %{r} at %{t})"],
    )
    .add_txt(name("helo.example.net"), &["v=spf1 -all"])
    .add_txt(
        name("voids.example.com"),
        &["v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ?all"],
    )
    .add_txt(
        name("counted.example.com"),
        &["v=spf1 include:example.com ~all"],
    );
    zone.add_a(name("helo.example.net"), "192.0.2.1".parse().unwrap());
    zone
}

#[test]
fn both_identities_are_reported_separately() {
    let verifier = Verifier::default();
    let both = block_on(verifier.verify_both(
        &zone(),
        ip("192.0.2.1"),
        "helo.example.net",
        "alice@example.com",
    ));
    assert_eq!(both.helo.result, SpfResult::Fail);
    assert_eq!(both.helo.identity, Some(Identity::Helo));
    assert_eq!(both.mail_from.result, SpfResult::Pass);
    assert_eq!(both.mail_from.identity, Some(Identity::MailFrom));
    assert_eq!(
        both.helo.auth_result().to_string(),
        "spf=fail smtp.helo=helo.example.net"
    );
    assert_eq!(
        both.mail_from.auth_result().to_string(),
        "spf=pass smtp.mailfrom=example.com"
    );
}

#[test]
fn null_sender_checks_postmaster_at_helo() {
    let verifier = Verifier::default();
    let output =
        block_on(verifier.verify_mail_from(&zone(), ip("192.0.2.1"), "helo.example.net", "<>"));
    assert_eq!(output.sender, "postmaster@helo.example.net");
    assert_eq!(output.domain, "helo.example.net");
    assert_eq!(output.result, SpfResult::Fail);
}

#[test]
fn helo_address_literal_is_none() {
    let verifier = Verifier::default();
    let output = block_on(verifier.verify_helo(&zone(), ip("192.0.2.1"), "[192.0.2.1]"));
    assert_eq!(output.result, SpfResult::None);
    assert!(matches!(output.reason, Reason::MalformedDomain { .. }));
}

#[test]
fn explanation_uses_receiver_and_fixed_time() {
    let mut verifier = Verifier::default();
    verifier.receiver = "mx.example.org".into();
    verifier.now = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890));
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("198.51.100.7"),
        "h.example",
        "bob@example.com",
    ));
    assert_eq!(output.result, SpfResult::Fail);
    let explanation = output.explanation.unwrap();
    assert_eq!(
        explanation.text,
        "198.51.100.7 may not send for example.com (checked by mx.example.org at 1234567890)"
    );
    assert_eq!(
        explanation.source,
        ExplanationSource::Record {
            name: name("why.example.com")
        }
    );
}

#[test]
fn void_lookup_limit_is_configurable() {
    let mut verifier = Verifier::default();
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.1"),
        "h.example",
        "a@voids.example.com",
    ));
    assert_eq!(output.result, SpfResult::PermError);
    assert_eq!(output.reason, Reason::VoidLookupLimit { limit: 2 });
    verifier.void_lookup_limit = 3;
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.1"),
        "h.example",
        "a@voids.example.com",
    ));
    assert_eq!(output.result, SpfResult::Neutral);
}

#[test]
fn dns_term_limit_is_configurable() {
    let mut verifier = Verifier::default();
    verifier.dns_term_limit = 0;
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.1"),
        "h.example",
        "a@counted.example.com",
    ));
    assert_eq!(output.reason, Reason::DnsTermLimit { limit: 0 });
    verifier.dns_term_limit = 1;
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.1"),
        "h.example",
        "a@counted.example.com",
    ));
    assert_eq!(output.result, SpfResult::Pass);
}

#[test]
fn passed_deadline_is_temperror() {
    let mut verifier = Verifier::default();
    verifier.deadline = Some(Instant::now());
    let output =
        block_on(verifier.verify_mail_from(&zone(), ip("192.0.2.1"), "h.example", "a@example.com"));
    assert_eq!(output.result, SpfResult::TempError);
    assert_eq!(output.reason, Reason::DeadlineExceeded);
}

#[test]
fn any_lookup_error_is_temperror() {
    let zone = zone();
    let budget = QueryBudget::new(&zone, 0);
    let output = block_on(Verifier::default().verify_mail_from(
        &budget,
        ip("192.0.2.1"),
        "h.example",
        "a@example.com",
    ));
    assert_eq!(output.result, SpfResult::TempError);
    assert!(matches!(
        output.reason,
        Reason::Dns {
            kind: FailureKind::BudgetExhausted,
            ..
        }
    ));
}

#[test]
fn trace_shows_queries_terms_and_the_deciding_term() {
    let verifier = Verifier::default();
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.9"),
        "h.example",
        "a@counted.example.com",
    ));
    assert_eq!(output.result, SpfResult::Pass);
    let events = &output.trace.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TraceEvent::Query { name, .. } if name.as_str() == "example.com"))
    );
    let matched: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Term {
                term,
                outcome: TermOutcome::Matched,
                ..
            } => Some(term.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(matched, ["ip4:192.0.2.0/24", "include:example.com"]);
    let Reason::Matched { directive, domain } = &output.reason else {
        panic!("{:?}", output.reason)
    };
    assert_eq!(directive.to_string(), "include:example.com");
    assert_eq!(domain.as_str(), "counted.example.com");
    let text = output.trace.to_string();
    assert!(text.contains("check_host(example.com) [Include]"), "{text}");

    let mut quiet = Verifier::default();
    quiet.trace = false;
    let output = block_on(quiet.verify_mail_from(
        &zone(),
        ip("192.0.2.9"),
        "h.example",
        "a@counted.example.com",
    ));
    assert!(output.trace.is_empty());
}

#[test]
fn received_spf_from_an_evaluation() {
    let mut verifier = Verifier::default();
    verifier.receiver = "mx.example.org".into();
    let output = block_on(verifier.verify_mail_from(
        &zone(),
        ip("192.0.2.1"),
        "helo.example.net",
        "alice@example.com",
    ));
    assert_eq!(
        output.received_spf().to_string(),
        "Received-SPF: pass (mx.example.org: domain of alice@example.com designates 192.0.2.1 \
         as permitted sender) client-ip=192.0.2.1; envelope-from=alice@example.com; \
         helo=helo.example.net; receiver=mx.example.org; identity=mailfrom;"
    );
}

#[test]
fn ipv4_mapped_client_is_ipv4() {
    let output = block_on(Verifier::default().verify_mail_from(
        &zone(),
        ip("::ffff:192.0.2.1"),
        "h.example",
        "a@example.com",
    ));
    assert_eq!(output.result, SpfResult::Pass);
    assert_eq!(output.client_ip, ip("192.0.2.1"));
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let zone = zone();
    let verifier = Verifier::default();
    assert_send(verifier.verify_both(&zone, ip("192.0.2.1"), "h.example", "a@example.com"));
}

/// Terms are recorded as positions and turned into events when the trace is read: every
/// term must come back with its own domain and text, across a redirect, an include and a
/// failing include.
#[test]
fn trace_names_each_term_with_its_domain_across_redirect_and_include() {
    let mut zone = ZoneResolver::new();
    zone.add_txt(
        name("start.example"),
        &["v=spf1 -ip4:10.0.0.0/8 redirect=next.example"],
    );
    zone.add_txt(
        name("next.example"),
        &["v=spf1 include:inc.example include:missing.example ~all"],
    );
    zone.add_txt(name("inc.example"), &["v=spf1 a:host.inc.example -all"]);
    zone.add_a(name("host.inc.example"), "192.0.2.1".parse().unwrap());
    let output = block_on(Verifier::default().check_host(
        &zone,
        ip("192.0.2.9"),
        "start.example",
        "a@start.example",
        "h.example",
    ));
    assert_eq!(output.result, SpfResult::PermError);
    let text = output.trace.to_string();
    let expected = [
        "check_host(start.example) [Start]",
        "  query start.example TXT: \"v=spf1 -ip4:10.0.0.0/8 redirect=next.example\"",
        "  record at start.example: v=spf1 -ip4:10.0.0.0/8 redirect=next.example",
        "  term -ip4:10.0.0.0/8 (start.example): no match",
        "check_host(next.example) [Redirect]",
        "  query next.example TXT: \"v=spf1 include:inc.example include:missing.example ~all\"",
        "  record at next.example: v=spf1 include:inc.example include:missing.example ~all",
        "  term redirect=next.example (start.example): followed",
        "check_host(inc.example) [Include]",
        "  query inc.example TXT: \"v=spf1 a:host.inc.example -all\"",
        "  record at inc.example: v=spf1 a:host.inc.example -all",
        "  query host.inc.example A: 192.0.2.1",
        "  term a:host.inc.example (inc.example): no match",
        "  term -all (inc.example): match",
        "  result for inc.example: fail",
        "  term include:inc.example (next.example): no match",
        "check_host(missing.example) [Include]",
        "  query missing.example TXT: NXDOMAIN",
        "  term include:missing.example (next.example): permerror",
        "  result for next.example: permerror",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
    assert_eq!(output.trace.len(), expected.len());
}

/// The trace, event for event, of an include chain with a redirect, of a broken include
/// target and of one without a record (the rendering pins every event and its order).
#[test]
fn trace_events_in_order() {
    let mut zone = ZoneResolver::new();
    zone.add_txt(
        name("chain.example"),
        &["v=spf1 ip4:10.0.0.1 include:a.chain.example redirect=b.chain.example"],
    )
    .add_txt(name("chain.example"), &["other text"])
    .add_txt(
        name("a.chain.example"),
        &["v=spf1 a:host.chain.example -all"],
    )
    .add_txt(name("b.chain.example"), &["v=spf1 mx ~all"])
    .add_txt(
        name("broken.example"),
        &["v=spf1 include:syntax.broken.example"],
    )
    .add_txt(name("syntax.broken.example"), &["v=spf1 a:foo/33"])
    .add_txt(
        name("missing.example"),
        &["v=spf1 include:nothing.missing.example"],
    );
    zone.add_a(name("host.chain.example"), "10.9.9.9".parse().unwrap());
    let mut rendered = Vec::new();
    for domain in ["chain.example", "broken.example", "missing.example"] {
        let output = block_on(Verifier::default().check_host(
            &zone,
            ip("192.0.2.9"),
            domain,
            &format!("a@{domain}"),
            "h.example",
        ));
        assert_eq!(output.trace.len(), output.trace.events().len());
        rendered.push(output.trace.to_string());
    }
    let expected = [
        concat!(
            "check_host(chain.example) [Start]\n",
            "  query chain.example TXT: \"v=spf1 ip4:10.0.0.1 include:a.chain.example redirect=b.chain.example\", \"other text\"\n",
            "  record at chain.example: v=spf1 ip4:10.0.0.1 include:a.chain.example redirect=b.chain.example\n",
            "  term ip4:10.0.0.1 (chain.example): no match\n",
            "check_host(a.chain.example) [Include]\n",
            "  query a.chain.example TXT: \"v=spf1 a:host.chain.example -all\"\n",
            "  record at a.chain.example: v=spf1 a:host.chain.example -all\n",
            "  query host.chain.example A: 10.9.9.9\n",
            "  term a:host.chain.example (a.chain.example): no match\n",
            "  term -all (a.chain.example): match\n",
            "  result for a.chain.example: fail\n",
            "  term include:a.chain.example (chain.example): no match\n",
            "check_host(b.chain.example) [Redirect]\n",
            "  query b.chain.example TXT: \"v=spf1 mx ~all\"\n",
            "  record at b.chain.example: v=spf1 mx ~all\n",
            "  term redirect=b.chain.example (chain.example): followed\n",
            "  query b.chain.example MX: no records\n",
            "  term mx (b.chain.example): no match\n",
            "  term ~all (b.chain.example): match\n",
            "  result for b.chain.example: softfail\n",
        ),
        concat!(
            "check_host(broken.example) [Start]\n",
            "  query broken.example TXT: \"v=spf1 include:syntax.broken.example\"\n",
            "  record at broken.example: v=spf1 include:syntax.broken.example\n",
            "check_host(syntax.broken.example) [Include]\n",
            "  query syntax.broken.example TXT: \"v=spf1 a:foo/33\"\n",
            "  term include:syntax.broken.example (broken.example): permerror\n",
            "  result for broken.example: permerror\n",
        ),
        concat!(
            "check_host(missing.example) [Start]\n",
            "  query missing.example TXT: \"v=spf1 include:nothing.missing.example\"\n",
            "  record at missing.example: v=spf1 include:nothing.missing.example\n",
            "check_host(nothing.missing.example) [Include]\n",
            "  query nothing.missing.example TXT: NXDOMAIN\n",
            "  term include:nothing.missing.example (missing.example): permerror\n",
            "  result for missing.example: permerror\n",
        ),
    ];
    assert_eq!(rendered, expected);
}
