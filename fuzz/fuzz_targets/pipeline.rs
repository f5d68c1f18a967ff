//! The whole verdict pipeline: arbitrary message bytes (and an envelope taken from the first
//! bytes) through SPF, DKIM and DMARC against an in-memory zone, then the
//! Authentication-Results header rendered and parsed back. Never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mailproof::{AuthResults, Authenticator, Clock, Envelope};
use mailproof_dns::{Name, ZoneResolver};

fn authenticator() -> &'static Authenticator<ZoneResolver> {
    static AUTHENTICATOR: OnceLock<Authenticator<ZoneResolver>> = OnceLock::new();
    AUTHENTICATOR.get_or_init(|| {
        let name = |s: &str| Name::new(s).expect("valid name");
        let mut zone = ZoneResolver::new();
        zone.add_txt(
            name("example.com"),
            &["v=spf1 a mx include:_spf.example.net ~all"],
        )
        .add_txt(
            name("_spf.example.net"),
            &["v=spf1 ip4:192.0.2.0/24 exists:%{i}.x.example.net -all"],
        )
        .add_a(name("example.com"), "192.0.2.10".parse().expect("ip"))
        .add_mx(name("example.com"), 10, name("mail.example.com"))
        .add_a(name("mail.example.com"), "192.0.2.25".parse().expect("ip"))
        .add_txt(
            name("_dmarc.example.com"),
            &["v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"],
        )
        .add_txt(
            name("sel._domainkey.example.com"),
            &["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
        );
        Authenticator::new(zone, "mx.example.org").with_clock(Clock::Fixed(1_700_000_000))
    })
}

fuzz_target!(|data: &[u8]| {
    let (envelope_bytes, message) = data.split_at(data.len().min(6));
    let mut octets = [192, 0, 2, 25];
    for (o, b) in octets.iter_mut().zip(envelope_bytes) {
        *o = *b;
    }
    let helo = if envelope_bytes.get(4).is_some_and(|b| b % 2 == 0) {
        "mail.example.com"
    } else {
        "x"
    };
    let mail_from = if envelope_bytes.get(5).is_some_and(|b| b % 3 == 0) {
        ""
    } else {
        "a@example.com"
    };
    let envelope = Envelope::new(std::net::IpAddr::from(octets), helo, mail_from);
    if let Ok(verdict) = authenticator().verify_blocking(&envelope, message) {
        let header = verdict.authentication_results().to_string();
        let value = header
            .split_once(':')
            .map_or(header.as_str(), |(_, value)| value);
        AuthResults::parse(value.as_bytes()).expect("our own header parses");
    }
});
