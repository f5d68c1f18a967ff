//! Verify a received message offline: SPF, DKIM and DMARC from zone files.
//!
//! ```text
//! cargo run -p mailproof-examples --example verify_message
//! ```
//!
//! The message is story (a) of `testdata/stories`: fake.com's server sends mail with
//! `From: admin@a.com`. SPF and DKIM pass — for fake.com — and DMARC fails, because a.com
//! (which publishes `p=reject`) is not aligned with either.

use std::error::Error;
use std::path::{Path, PathBuf};

use mailproof::{Authenticator, Clock, Envelope};
use mailproof_dns::ZoneResolver;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Verifies the story message and returns its Authentication-Results header field.
pub(crate) fn run() -> Result<String, Box<dyn Error>> {
    let mut zone = ZoneResolver::new();
    for file in ["zones/a.com.zone", "zones/fake.com.zone"] {
        zone.load_zone_path(testdata().join(file), None)?;
    }
    // The zone files make the resolver authoritative for a.com (and fake.com) only; other
    // names would be REFUSED, and DMARC's tree walk asks `_dmarc.com`: make every name not in
    // the files nonexistent, as on the real DNS.
    zone.answer_nxdomain_outside_zones();
    let message = std::fs::read(testdata().join("stories/a-spoof.eml"))?;
    let authenticator = Authenticator::new(zone, "mx.example.net")
        // The message was signed at 1647931078; verify as of shortly after.
        .with_clock(Clock::Fixed(1_647_931_100));
    let envelope = Envelope::new("203.0.113.66".parse()?, "mail.fake.com", "xxx@fake.com");
    let verdict = authenticator.verify_blocking(&envelope, &message)?;
    Ok(format!(
        "{}disposition: {} ({})\n",
        verdict.authentication_results().to_header_field(),
        verdict.disposition(),
        verdict.dmarc.disposition_reason
    ))
}

fn main() -> Result<(), Box<dyn Error>> {
    print!("{}", run()?);
    Ok(())
}
