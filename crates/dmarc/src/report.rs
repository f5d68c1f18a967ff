//! Report destinations: the "Verifying External Destinations" check of RFC 9990 (aggregate
//! reports; RFC 9991 applies it to failure reports), referenced by RFC 9989 §11.6.

use mailproof_dns::{Answer, Name, RecordType, Resolver};

use crate::discovery::{DnsFailure, Lookups, PolicyDiscovery};
use crate::record::Record;
use crate::uri::ReportUri;
use crate::verifier::Verifier;

/// Which reports, and so which tag (`rua=` or `ruf=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// Aggregate reports, `rua=` (RFC 9990).
    Aggregate,
    /// Failure reports, `ruf=` (RFC 9991).
    Failure,
}

/// One `rua=`/`ruf=` URI and whether reports may go there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportDestination {
    /// The URI from the policy record.
    pub uri: ReportUri,
    /// Whether and where to send.
    pub verdict: DestinationVerdict,
}

/// The outcome of the destination check for one URI.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestinationVerdict {
    /// The destination host has the same Organizational Domain as the policy domain: no
    /// check is needed.
    SameOrganization,
    /// An external destination that authorized the reports with a `v=DMARC1` record at
    /// `<policy-domain>._report._dmarc.<destination-host>`. `send_to` holds the URIs to use:
    /// the original, or the override the Report Consumer published (same host).
    Authorized {
        /// The name whose record authorized the reports.
        authorized_by: Name,
        /// Where to send.
        send_to: Vec<ReportUri>,
    },
    /// An external destination without an authorizing record: the URI "MUST be ignored".
    NotAuthorized,
    /// The authorizing record overrides with a URI on another host: the receiver "MUST NOT
    /// generate a report to either the original or the override URI".
    OverrideToOtherHost,
    /// The URI names no domain host (for example `urn:`), or the constructed name exceeds DNS
    /// limits: "a positive determination ... cannot be made".
    NoVerifiableHost,
    /// A DNS query failed; the receiver MAY retry later.
    TemporaryFailure(DnsFailure),
}

impl DestinationVerdict {
    /// True when reports may be sent (to the original URI or to its override).
    pub fn allows_reports(&self) -> bool {
        matches!(
            self,
            DestinationVerdict::SameOrganization | DestinationVerdict::Authorized { .. }
        )
    }
}

impl Verifier {
    /// Checks each `rua=` (or `ruf=`) URI of a discovered policy: a destination outside the
    /// policy domain's Organizational Domain must authorize reports with a TXT record at
    /// `<policy-domain>._report._dmarc.<destination-host>` starting with `v=DMARC1`, which
    /// may override the URI with one on the same host.
    ///
    /// The prefix is the domain "from which the policy was retrieved" (the Policy Domain),
    /// as RFC 9990 and RFC 9989 Appendix B.2.3 write it; for a record found at the Author
    /// Domain this is the Author Domain.
    pub async fn verify_report_destinations<R: Resolver>(
        &self,
        resolver: &R,
        discovery: &PolicyDiscovery,
        kind: ReportKind,
    ) -> Vec<ReportDestination> {
        let uris = match kind {
            ReportKind::Aggregate => &discovery.record.aggregate_report_uris,
            ReportKind::Failure => &discovery.record.failure_report_uris,
        };
        let mut lookups = Lookups::new(resolver, self.record_cache());
        let policy_org = lookups
            .organizational_domain(&discovery.policy_domain, self.list())
            .await;
        let mut destinations = Vec::with_capacity(uris.len());
        for uri in uris {
            let verdict = match &policy_org {
                Err(failure) => DestinationVerdict::TemporaryFailure(failure.clone()),
                Ok(policy_org) => {
                    self.verify_one(resolver, &mut lookups, discovery, policy_org, uri, kind)
                        .await
                }
            };
            destinations.push(ReportDestination {
                uri: uri.clone(),
                verdict,
            });
        }
        destinations
    }

    async fn verify_one<R: Resolver>(
        &self,
        resolver: &R,
        lookups: &mut Lookups<'_, R>,
        discovery: &PolicyDiscovery,
        policy_org: &Name,
        uri: &ReportUri,
        kind: ReportKind,
    ) -> DestinationVerdict {
        let Some(host) = uri.host() else {
            return DestinationVerdict::NoVerifiableHost;
        };
        match lookups.organizational_domain(host, self.list()).await {
            Err(failure) => return DestinationVerdict::TemporaryFailure(failure),
            Ok(org) if org == *policy_org => return DestinationVerdict::SameOrganization,
            Ok(_) => {}
        }
        // Steps 1–4: "<policy domain>._report._dmarc.<destination host>", within DNS limits.
        let Ok(name) = host.prepend(&format!("{}._report._dmarc", discovery.policy_domain)) else {
            return DestinationVerdict::NoVerifiableHost;
        };
        // Step 5.
        let answer = match resolver.txt(&name).await {
            Ok(answer) => answer,
            Err(error) => {
                return DestinationVerdict::TemporaryFailure(DnsFailure {
                    name,
                    record_type: RecordType::Txt,
                    kind: error.kind(),
                });
            }
        };
        // Steps 6–8: keep records that start with v=DMARC1.
        let records: Vec<Record> = match &answer {
            Answer::Records { records, .. } => records
                .iter()
                .filter_map(|txt| Record::parse(txt.as_bytes()).ok())
                .collect(),
            Answer::NoRecords { .. } | Answer::NxDomain { .. } => Vec::new(),
        };
        let Some(first) = records.first() else {
            return DestinationVerdict::NotAuthorized;
        };
        // Step 9: an override must keep the destination host.
        let overrides = match kind {
            ReportKind::Aggregate => &first.aggregate_report_uris,
            ReportKind::Failure => &first.failure_report_uris,
        };
        if overrides.iter().any(|o| o.host() != Some(host)) {
            return DestinationVerdict::OverrideToOtherHost;
        }
        let send_to = if overrides.is_empty() {
            vec![uri.clone()]
        } else {
            overrides.clone()
        };
        DestinationVerdict::Authorized {
            authorized_by: name,
            send_to,
        }
    }
}
