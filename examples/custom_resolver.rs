//! Bring your own resolver: implement `mailproof_dns::Resolver` over any source of records —
//! here a fixed table, as a test, a cache in front of your own DNS client, or a database
//! might be.
//!
//! ```text
//! cargo run -p mailproof-examples --example custom_resolver
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mailproof::{Authenticator, Envelope};
use mailproof_dns::{Answer, LookupError, Mx, Name, Resolver, Txt};

/// TXT records from a table; every other name and type has no records.
struct Table {
    txt: HashMap<&'static str, &'static str>,
}

impl Resolver for Table {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        Ok(match self.txt.get(name.as_str()) {
            Some(text) => Answer::from_records(vec![Txt::new(text.as_bytes())], 300),
            None => Answer::NxDomain { ttl_seconds: 300 },
        })
    }

    async fn a(&self, _: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        Ok(Answer::NoRecords { ttl_seconds: 300 })
    }

    async fn aaaa(&self, _: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        Ok(Answer::NoRecords { ttl_seconds: 300 })
    }

    async fn mx(&self, _: &Name) -> Result<Answer<Mx>, LookupError> {
        Ok(Answer::NoRecords { ttl_seconds: 300 })
    }

    async fn ptr(&self, _: IpAddr) -> Result<Answer<Name>, LookupError> {
        Ok(Answer::NoRecords { ttl_seconds: 300 })
    }
}

/// Verifies an unsigned message against the table; returns the header field.
pub(crate) fn run() -> Result<String, Box<dyn Error>> {
    let table = Table {
        txt: HashMap::from([
            ("shop.example", "v=spf1 ip4:198.51.100.20 -all"),
            ("_dmarc.shop.example", "v=DMARC1; p=quarantine"),
        ]),
    };
    let authenticator = Authenticator::new(table, "mx.example.net");
    let message = b"From: orders@shop.example\r\nSubject: Your order\r\n\r\nShipped.\r\n";
    let mut out = String::new();
    for ip in ["198.51.100.20", "192.0.2.99"] {
        let envelope = Envelope::new(ip.parse()?, "mail.shop.example", "bounce@shop.example");
        let verdict = authenticator.verify_blocking(&envelope, message)?;
        writeln!(
            out,
            "from {ip}: spf={} dmarc={} disposition={}",
            verdict.spf.mail_from.result,
            verdict.dmarc.result(),
            verdict.disposition()
        )?;
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn Error>> {
    print!("{}", run()?);
    Ok(())
}
