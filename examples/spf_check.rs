//! Check SPF for a sender, as in the seed blog post: a.com publishes
//! `v=spf1 a mx ip4:173.10.10.10 -all` (its A record's address, its MX hosts' addresses and
//! one more address may send; nothing else).
//!
//! ```text
//! cargo run -p mailproof-examples --example spf_check
//! ```

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use mailproof_dns::ZoneResolver;
use mailproof_spf::Verifier;

/// Checks four client addresses for admin@a.com; one line each.
pub(crate) fn run() -> Result<String, Box<dyn Error>> {
    let mut zone = ZoneResolver::new();
    zone.load_zone_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/zones/a.com.zone"),
        None,
    )?;
    let verifier = Verifier::default();
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut out = String::new();
    for ip in [
        "203.0.113.10",
        "203.0.113.25",
        "173.10.10.10",
        "203.0.113.99",
    ] {
        let output = runtime.block_on(verifier.verify_mail_from(
            &zone,
            ip.parse()?,
            "mail.a.com",
            "admin@a.com",
        ));
        writeln!(out, "{ip}: {} ({})", output.result, output.reason)?;
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn Error>> {
    print!("{}", run()?);
    Ok(())
}
