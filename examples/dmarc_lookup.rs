//! Find the DMARC policy for a From domain: where the record is, and how it was found.
//!
//! ```text
//! cargo run -p mailproof-examples --example dmarc_lookup
//! ```
//!
//! `mail.a.com` has no record of its own; RFC 9989's DNS tree walk finds a.com's.

use std::error::Error;
use std::path::Path;

use mailproof_dmarc::{DiscoveryOutcome, Verifier};
use mailproof_dns::{Name, ZoneResolver};

/// Discovers the policy for mail.a.com; returns a description.
pub(crate) fn run() -> Result<String, Box<dyn Error>> {
    let mut zone = ZoneResolver::new();
    zone.load_zone_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/zones/a.com.zone"),
        None,
    )?;
    // The zone files make the resolver authoritative for a.com (and fake.com) only; other
    // names would be REFUSED, and DMARC's tree walk asks `_dmarc.com`: make every name not in
    // the files nonexistent, as on the real DNS.
    zone.answer_nxdomain_outside_zones();
    let author = Name::new("mail.a.com")?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let outcome = runtime.block_on(Verifier::new().discover(&zone, &author));
    Ok(match outcome {
        DiscoveryOutcome::Found(found) => format!(
            "policy for {author}: p={} found at _dmarc.{} ({:?}); organizational domain {}; {} queries\n",
            found.record.policy.map_or("(none)", |p| p.as_str()),
            found.policy_domain,
            found.source,
            found
                .organizational_domain
                .as_ref()
                .map_or("(not determined)", |org| org.as_str()),
            found.queries.len()
        ),
        other => format!("no policy for {author}: {other:?}\n"),
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    print!("{}", run()?);
    Ok(())
}
