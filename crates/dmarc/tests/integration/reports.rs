//! External report destinations (RFC 9990 "Verifying External Destinations").

use mailproof_dmarc::{DestinationVerdict, DiscoveryOutcome, ReportKind, Verifier};
use mailproof_dns::{FailureKind, ZoneResolver};

use crate::{block_on, name};

fn verdicts(zone: &ZoneResolver, kind: ReportKind) -> Vec<DestinationVerdict> {
    let verifier = Verifier::new();
    let DiscoveryOutcome::Found(discovery) =
        block_on(verifier.discover(zone, &name("blue.example.com")))
    else {
        panic!("no policy");
    };
    block_on(verifier.verify_report_destinations(zone, &discovery, kind))
        .into_iter()
        .map(|d| d.verdict)
        .collect()
}

fn base_zone(record: &str) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    zone.add_txt(name("_dmarc.blue.example.com"), &[record]);
    zone
}

#[test]
fn internal_destination_needs_no_check() {
    let zone = base_zone(
        "v=DMARC1; p=none; rua=mailto:d@blue.example.com,mailto:d@other.blue.example.com",
    );
    assert_eq!(
        verdicts(&zone, ReportKind::Aggregate),
        [
            DestinationVerdict::SameOrganization,
            DestinationVerdict::SameOrganization
        ]
    );
}

#[test]
fn external_destination_authorized() {
    let mut zone = base_zone("v=DMARC1; p=none; rua=mailto:reports@red.example.net");
    zone.add_txt(
        name("blue.example.com._report._dmarc.red.example.net"),
        &["v=DMARC1"],
    );
    let verdicts = verdicts(&zone, ReportKind::Aggregate);
    let DestinationVerdict::Authorized {
        authorized_by,
        send_to,
    } = &verdicts[0]
    else {
        panic!("{verdicts:?}");
    };
    assert_eq!(
        authorized_by,
        &name("blue.example.com._report._dmarc.red.example.net")
    );
    assert_eq!(send_to[0].as_str(), "mailto:reports@red.example.net");
    assert!(verdicts[0].allows_reports());
}

#[test]
fn external_destination_without_record_is_ignored() {
    let mut zone = base_zone("v=DMARC1; p=none; rua=mailto:victim@red.example.net");
    zone.add_txt(
        name("blue.example.com._report._dmarc.red.example.net"),
        &["v=spf1 -all"],
    );
    let verdicts = verdicts(&zone, ReportKind::Aggregate);
    assert_eq!(verdicts, [DestinationVerdict::NotAuthorized]);
    assert!(!verdicts[0].allows_reports());
}

#[test]
fn override_on_same_host_replaces_uri() {
    let mut zone = base_zone("v=DMARC1; p=none; ruf=mailto:old@red.example.net");
    zone.add_txt(
        name("blue.example.com._report._dmarc.red.example.net"),
        &["v=DMARC1; ruf=mailto:new@red.example.net"],
    );
    let verdicts = verdicts(&zone, ReportKind::Failure);
    let DestinationVerdict::Authorized { send_to, .. } = &verdicts[0] else {
        panic!("{verdicts:?}");
    };
    assert_eq!(send_to[0].as_str(), "mailto:new@red.example.net");
}

#[test]
fn override_to_other_host_forbids_both() {
    let mut zone = base_zone("v=DMARC1; p=none; rua=mailto:old@red.example.net");
    zone.add_txt(
        name("blue.example.com._report._dmarc.red.example.net"),
        &["v=DMARC1; rua=mailto:new@green.example.org"],
    );
    assert_eq!(
        verdicts(&zone, ReportKind::Aggregate),
        [DestinationVerdict::OverrideToOtherHost]
    );
}

#[test]
fn dns_failure_and_hostless_uris() {
    let mut zone = base_zone(
        "v=DMARC1; p=none; rua=mailto:r@slow.example.net,urn:x:y,https://h.example.org/r",
    );
    zone.fail(
        name("blue.example.com._report._dmarc.slow.example.net"),
        FailureKind::Timeout,
    );
    let verdicts = verdicts(&zone, ReportKind::Aggregate);
    assert!(matches!(
        verdicts[0],
        DestinationVerdict::TemporaryFailure(_)
    ));
    assert_eq!(verdicts[1], DestinationVerdict::NoVerifiableHost);
    assert_eq!(verdicts[2], DestinationVerdict::NotAuthorized);
}
