//! The whole receiving pipeline through the facade, `mailproof::Authenticator::verify`, against
//! warm caches, next to mail-auth 0.15 doing the same work (feature `compare`).
//!
//! One message (plain text, about 4 KiB), received from 192.0.2.10 with MAIL FROM
//! `alice@example.com` and HELO `mail.example.com`:
//! * **SPF**: the `spf` bench's include chain (`example.com` includes three records, 14 terms;
//!   *pass* after 7 lookups), plus the HELO identity (`mail.example.com`: no record, *none*).
//! * **DKIM**: two signatures by `example.com`, rsa-sha256 (2048-bit key, selector `rsa`) and
//!   ed25519-sha256 (selector `ed`), relaxed/relaxed, made by our signer; both *pass*.
//! * **DMARC**: From `example.com`, `p=reject` at `_dmarc.example.com`; aligned, *pass*.
//!
//! Ours: raw bytes and envelope to a `Verdict`, on a `CachingResolver` around a
//! `ZoneResolver` warmed by one verification (and checked to hold the same answers after
//! timing). mail-auth: `AuthenticatedMessage::parse`, `verify_dkim`, `verify_spf` (HELO then
//! MAIL FROM, as ours) and `verify_dmarc`, with its caches pre-filled with the same records
//! (already parsed, as mail-auth caches them) and a resolver that can only reach a closed local
//! port; the bench asserts the caches never miss. Both run on a current-thread tokio runtime,
//! one `block_on` per message. Throughput is one message per iteration: criterion's
//! elements/s is messages per second on one core.

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BenchmarkId, Criterion, Throughput};
use mailproof::{Authenticator, Clock, Envelope, Verdict};
use mailproof_benches::dns::{name, zone_resolver};
use mailproof_benches::fixtures::{
    DMARC_RECORD, SPF_CLIENT_IP, SPF_HELO, SPF_MAIL_FROM, SPF_RECEIVER, SPF_ZONE,
};
use mailproof_dkim::{Canonicalization, DnsTxtRecord, Signer, SigningKey, sign};
use mailproof_dns::{CacheConfig, CachingResolver, ZoneResolver};
use tokio::runtime::Runtime;

const RSA_PEM: &str = include_str!("../../testdata/keys/example.com.sel.rsa2048.pem");
const ED25519_SEED: [u8; 32] = [42; 32];
const DOMAIN: &str = "example.com";
const NOW: u64 = 1_700_000_000;

/// The two keys: selector and key.
fn keys() -> [(&'static str, SigningKey); 2] {
    let rsa = SigningKey::from_pem(RSA_PEM).unwrap_or_else(|e| panic!("rsa key: {e}"));
    let ed =
        SigningKey::from_ed25519_seed(&ED25519_SEED).unwrap_or_else(|e| panic!("ed25519 key: {e}"));
    [("rsa", rsa), ("ed", ed)]
}

/// A plain-text message of about 4 KiB from `alice@example.com`.
fn message() -> Vec<u8> {
    let mut out = String::from(
        "Received: from mail.example.com (mail.example.com [192.0.2.10])\r\n\
         \tby mx.example.org with ESMTPS id 4Vb7kQ2x9Fz1; Tue, 14 Nov 2023 22:13:21 +0000\r\n\
         From: Alice Example <alice@example.com>\r\n\
         To: Bob Example <bob@example.org>, Carol <carol@example.org>\r\n\
         Subject: Minutes of the planning meeting, and next steps\r\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
         Message-ID: <20231114221320.4096@mail.example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n",
    );
    let mut paragraph = 0;
    while out.len() < 4000 {
        paragraph += 1;
        for line in [
            "Thanks to everyone who joined the planning meeting on Thursday.  Below",
            "are the minutes, the decisions we took, and the open questions that we",
            "agreed to settle by e-mail before the next meeting (see the draft at",
            "<https://example.net/a/b>).\t Please reply to the list, not to me.",
        ] {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("Item ");
        out.push_str(&paragraph.to_string());
        out.push_str(": owner, deadline and status below.\r\n\r\n");
    }
    out.into_bytes()
}

/// The message signed by both keys, the two DKIM-Signature fields on top.
fn signed_message() -> Vec<u8> {
    let raw = message();
    let signers: Vec<Signer> = keys()
        .into_iter()
        .map(|(selector, key)| {
            Signer::new(key, DOMAIN, selector)
                .unwrap_or_else(|e| panic!("signer: {e}"))
                .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Relaxed)
        })
        .collect();
    let fields = sign(&signers, &raw, Clock::Fixed(NOW)).unwrap_or_else(|e| panic!("sign: {e}"));
    [fields.as_bytes(), &raw].concat()
}

/// The key records: owner name and TXT text.
fn key_records() -> Vec<(String, DnsTxtRecord)> {
    keys()
        .iter()
        .map(|(selector, key)| {
            (
                format!("{selector}._domainkey.{DOMAIN}"),
                DnsTxtRecord::for_key(key),
            )
        })
        .collect()
}

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    }
}

fn client_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(SPF_CLIENT_IP))
}

/// SPF (MAIL FROM) pass, HELO none, both signatures pass, DMARC pass.
fn check(verdict: &Verdict) {
    assert_eq!(verdict.spf.mail_from.result.as_str(), "pass");
    assert_eq!(verdict.spf.helo.result.as_str(), "none");
    assert_eq!(verdict.dkim.len(), 2);
    for dkim in &verdict.dkim {
        assert_eq!(dkim.result.result().as_str(), "pass", "{}", dkim.reason);
    }
    assert_eq!(
        verdict.dmarc.result().as_str(),
        "pass",
        "{}",
        verdict.dmarc.reason
    );
}

/// Our side: the authenticator on a warmed cache, and the envelope.
struct Ours {
    authenticator: Authenticator<CachingResolver<ZoneResolver>>,
    envelope: Envelope,
    cached: usize,
}

impl Ours {
    fn new(rt: &Runtime, signed: &[u8]) -> Ours {
        let mut zone: ZoneResolver = zone_resolver(&SPF_ZONE);
        for (owner, record) in key_records() {
            zone.add_txt(name(&owner), &[record.as_str()]);
        }
        zone.add_txt(name(&format!("_dmarc.{DOMAIN}")), &[DMARC_RECORD]);
        // Fresh and warmed right here: the zone's records have a 300 s TTL.
        let authenticator = Authenticator::new(
            CachingResolver::new(zone, CacheConfig::default()),
            SPF_RECEIVER,
        )
        .with_clock(Clock::Fixed(NOW + 60));
        let envelope = Envelope::new(client_ip(), SPF_HELO, SPF_MAIL_FROM);
        check(&rt.block_on(authenticator.verify(&envelope, signed)));
        let cached = authenticator.resolver().len();
        Ours {
            authenticator,
            envelope,
            cached,
        }
    }

    fn verify(&self, rt: &Runtime, signed: &[u8]) -> Verdict {
        rt.block_on(self.authenticator.verify(&self.envelope, signed))
    }

    /// The cache still holds exactly what warming it put there.
    fn check(&self) {
        assert_eq!(
            self.authenticator.resolver().len(),
            self.cached,
            "the cache stayed warm"
        );
    }
}

fn pipeline(c: &mut Criterion) {
    let rt = runtime();
    let signed = signed_message();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    let ours = Ours::new(&rt, &signed);
    group.bench_function(BenchmarkId::new("mailproof", "spf_2dkim_dmarc"), |b| {
        b.iter(|| ours.verify(&rt, black_box(&signed)));
    });
    ours.check();
    #[cfg(feature = "compare")]
    {
        let peer = peer::Peer::new(&rt, &signed);
        group.bench_function(BenchmarkId::new("mail-auth", "spf_2dkim_dmarc"), |b| {
            b.iter(|| peer.verify(&rt, black_box(&signed)));
        });
        peer.check();
    }
    group.finish();
}

/// The interleaved mode (`PIPELINE_BENCH_INTERLEAVED=ROUNDS`): both rows alternating.
fn interleaved(rounds: usize) {
    use mailproof_benches::interleaved::{Row, format_time, medians};
    let rt = runtime();
    let signed = signed_message();
    let ours = Ours::new(&rt, &signed);
    #[cfg(feature = "compare")]
    let peer = peer::Peer::new(&rt, &signed);
    let mut rows = vec![Row::new("mailproof", || {
        black_box(ours.verify(&rt, black_box(&signed)));
    })];
    #[cfg(feature = "compare")]
    rows.push(Row::new("mail-auth", || {
        black_box(peer.verify(&rt, black_box(&signed)));
    }));
    let times = medians(&mut rows, rounds);
    ours.check();
    #[cfg(feature = "compare")]
    peer.check();
    println!("| row | median | messages/s | ratio to the first row |\n|---|---|---|---|");
    for (row, time) in rows.iter().zip(&times) {
        println!(
            "| {} | {} | {:.0} | {:.3} |",
            row.name,
            format_time(*time),
            1.0 / time,
            time / times[0]
        );
    }
}

fn main() {
    if let Some(rounds) =
        mailproof_benches::interleaved::rounds_from_env("PIPELINE_BENCH_INTERLEAVED")
    {
        interleaved(rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    pipeline(&mut criterion);
    criterion.final_summary();
}

/// mail-auth 0.15 doing the same work.
#[cfg(feature = "compare")]
mod peer {
    use mail_auth::dkim::DomainKey;
    use mail_auth::dmarc::DmarcRecord;
    use mail_auth::dmarc::verify::DmarcParameters;
    use mail_auth::dns::TxtRecordParser as _;
    use mail_auth::hickory_resolver::proto::op::ResponseCode;
    use mail_auth::spf::SpfRecord;
    use mail_auth::spf::verify::SpfParameters;
    use mail_auth::{
        AuthenticatedMessage, DkimResult, DmarcResult, DnsError, Error, Parameters, SpfResult,
        TxtRecord,
    };
    use mailproof_benches::dns::peer::{Caches, authenticator};
    use mailproof_benches::fixtures::{
        DMARC_RECORD, SPF_HELO, SPF_MAIL_FROM, SPF_RECEIVER, SPF_ZONE,
    };
    use tokio::runtime::Runtime;

    use super::{DOMAIN, client_ip, key_records};

    /// DKIM results, (MAIL FROM or HELO) SPF result, DMARC pass.
    type Outcome = (Vec<DkimResult>, SpfResult, bool);

    /// mail-auth's authenticator and its pre-filled caches.
    pub(super) struct Peer {
        authenticator: mail_auth::MessageAuthenticator,
        caches: Caches,
    }

    impl Peer {
        pub(super) fn new(rt: &Runtime, signed: &[u8]) -> Peer {
            let authenticator = {
                let _context = rt.enter();
                authenticator()
            };
            let caches = Caches::filled::<SpfRecord>(&SPF_ZONE);
            for (owner, record) in key_records() {
                let key = DomainKey::parse(record.as_str().as_bytes())
                    .unwrap_or_else(|e| panic!("mail-auth key record: {e}"));
                caches.insert_txt(&owner, TxtRecord::from(key));
            }
            let dmarc = DmarcRecord::parse(DMARC_RECORD.as_bytes())
                .unwrap_or_else(|e| panic!("mail-auth DMARC record: {e}"));
            caches.insert_txt(&format!("_dmarc.{DOMAIN}"), TxtRecord::from(dmarc));
            // The HELO name has no record, and DMARC's tree walk asks `_dmarc.com` (our
            // ZoneResolver answers NXDOMAIN for both by itself).
            for owner in [SPF_HELO, "_dmarc.com"] {
                let nx = Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain));
                caches.insert_txt(owner, TxtRecord::Error(nx));
            }
            let peer = Peer {
                authenticator,
                caches,
            };
            assert_eq!(
                peer.verify(rt, signed),
                (
                    vec![DkimResult::Pass, DkimResult::Pass],
                    SpfResult::Pass,
                    true
                )
            );
            peer.check();
            peer
        }

        pub(super) fn verify(&self, rt: &Runtime, raw: &[u8]) -> Outcome {
            let Some(message) = AuthenticatedMessage::parse(raw) else {
                panic!("mail-auth rejects the message");
            };
            let (authenticator, caches) = (&self.authenticator, &self.caches);
            rt.block_on(async {
                let dkim = authenticator
                    .verify_dkim(Parameters::new(&message).with_cache(caches))
                    .await;
                let spf = authenticator
                    .verify_spf(
                        Parameters::new(SpfParameters::helo_and_mail_from(
                            client_ip(),
                            SPF_HELO,
                            SPF_RECEIVER,
                            SPF_MAIL_FROM,
                        ))
                        .with_cache(caches),
                    )
                    .await;
                let dmarc = authenticator
                    .verify_dmarc(
                        Parameters::new(DmarcParameters::new(&message, &dkim, DOMAIN, &spf))
                            .with_cache(caches),
                    )
                    .await;
                (
                    dkim.iter().map(|output| output.result().clone()).collect(),
                    spf.result(),
                    matches!(dmarc.result(), DmarcResult::Pass),
                )
            })
        }

        /// No cache miss (which would have been a real query).
        pub(super) fn check(&self) {
            assert_eq!(
                self.caches.misses(),
                0,
                "mail-auth cache miss (a real query)"
            );
        }
    }
}
