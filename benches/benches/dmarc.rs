//! `mailproof-dmarc`: record parsing and a full evaluation (RFC 9989 DNS tree walk discovery,
//! identifier alignment, policy) against a warm cache, next to mail-auth 0.15 (feature
//! `compare`).
//!
//! * `dmarc_parse`: `Record::parse` of a typical record (p, sp, pct, rua, ruf, adkim, aspf, fo).
//! * `dmarc_evaluate`: From `example.com` (policy `p=reject` at `_dmarc.example.com`,
//!   `_dmarc.com` NXDOMAIN); SPF passed, no DKIM signature.
//!   - `relaxed_pass`: SPF for `bounce.example.com`; relaxed alignment needs that domain's
//!     Organizational Domain, a second tree walk (`_dmarc.bounce.example.com` NXDOMAIN).
//!   - `unaligned_fail`: SPF for `mailer.example.net`; fail, `p=reject` applies.
//!
//!   Ours runs on a `ZoneResolver` wrapped in a warmed `CachingResolver`. mail-auth takes the
//!   message itself (parsed once, outside the timing) and SPF's output; its caches hold the
//!   same records, already parsed, and the bench asserts they never miss.

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mailproof_benches::dns::{name, zone_resolver};
use mailproof_benches::fixtures::{
    DMARC_AUTHOR, DMARC_MAIL_FROM_ALIGNED, DMARC_MAIL_FROM_UNALIGNED, DMARC_RECORD, DMARC_ZONE,
};
use mailproof_dmarc::{Author, DmarcResult, Record, SpfOutcome, SpfResult, Verifier};
use mailproof_dns::{CacheConfig, CachingResolver};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    }
}

const SCENARIOS: [(&str, &str, bool); 2] = [
    ("relaxed_pass", DMARC_MAIL_FROM_ALIGNED, true),
    ("unaligned_fail", DMARC_MAIL_FROM_UNALIGNED, false),
];

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("dmarc_parse");
    let text = DMARC_RECORD.as_bytes();
    assert!(Record::parse(text).is_ok_and(|r| r.problems.is_empty()));
    group.bench_function(BenchmarkId::new("mailproof", "typical"), |b| {
        b.iter(|| Record::parse(black_box(text)));
    });
    #[cfg(feature = "compare")]
    {
        use mail_auth::dmarc::DmarcRecord;
        use mail_auth::dns::TxtRecordParser;
        assert!(DmarcRecord::parse(text).is_ok());
        group.bench_function(BenchmarkId::new("mail-auth", "typical"), |b| {
            b.iter(|| DmarcRecord::parse(black_box(text)));
        });
    }
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let rt = runtime();
    let verifier = Verifier::new();
    let author = Author::single(name(DMARC_AUTHOR));
    let mut group = c.benchmark_group("dmarc_evaluate");

    for (scenario, mail_from, passes) in SCENARIOS {
        let spf = SpfOutcome {
            result: SpfResult::Pass,
            mail_from_domain: Some(name(mail_from)),
        };
        // Fresh and warmed right here: the zone's records have a 300 s TTL.
        let cache = CachingResolver::new(zone_resolver(&DMARC_ZONE), CacheConfig::default());
        let warm = rt.block_on(verifier.evaluate(&cache, &author, &spf, &[]));
        assert_eq!(warm.result.is_pass(), passes, "{:?}", warm.result);
        if !passes {
            assert!(matches!(warm.result, DmarcResult::Fail(_)));
        }
        let cached = cache.len();
        group.bench_function(BenchmarkId::new("mailproof", scenario), |b| {
            b.iter(|| rt.block_on(verifier.evaluate(black_box(&cache), &author, &spf, &[])));
        });
        assert_eq!(cache.len(), cached, "the cache stayed warm");
    }

    #[cfg(feature = "compare")]
    {
        use mail_auth::dmarc::DmarcRecord;
        use mail_auth::dmarc::verify::DmarcParameters;
        use mail_auth::{
            AuthenticatedMessage, DmarcResult as PeerResult, Parameters, SpfOutput,
            SpfResult as PeerSpf,
        };
        use mailproof_benches::dns::peer::{Caches, authenticator};
        use mailproof_benches::fixtures::DMARC_MESSAGE;

        let authenticator = {
            let _context = rt.enter();
            authenticator()
        };
        let caches = Caches::filled::<DmarcRecord>(&DMARC_ZONE);
        let Some(message) = AuthenticatedMessage::parse(DMARC_MESSAGE) else {
            panic!("mail-auth rejects the DMARC fixture message");
        };
        for (scenario, mail_from, passes) in SCENARIOS {
            let spf = SpfOutput::new(mail_from.to_owned()).with_result(PeerSpf::Pass);
            let params = || {
                Parameters::new(DmarcParameters::new(&message, &[], mail_from, &spf))
                    .with_cache(&caches)
            };
            let output = rt.block_on(authenticator.verify_dmarc(params()));
            assert_eq!(
                matches!(output.result(), PeerResult::Pass),
                passes,
                "{:?}",
                output.result()
            );
            assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
            group.bench_function(BenchmarkId::new("mail-auth", scenario), |b| {
                b.iter(|| rt.block_on(authenticator.verify_dmarc(black_box(params()))));
            });
            assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
        }
    }
    group.finish();
}

criterion_group!(benches, parse, evaluate);
criterion_main!(benches);
