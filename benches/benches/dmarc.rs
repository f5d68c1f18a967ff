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
//!
//! `DMARC_BENCH_INTERLEAVED=ROUNDS` (e.g. 3000) replaces criterion with the interleaved mode
//! of `mailproof_benches::interleaved` (medians over short alternating batches, stable on a
//! loaded machine) and prints one Markdown table.

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
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

/// The interleaved mode: in each group, ours and mail-auth alternating.
fn interleaved(rounds: usize) {
    use mailproof_benches::interleaved::{Row, format_time, medians};
    let print = |group: &str, rows: &[Row<'_>], times: &[f64]| {
        for (row, time) in rows.iter().zip(times) {
            println!(
                "| {group} | {} | {} | {:.3} |",
                row.name,
                format_time(*time),
                time / times[0]
            );
        }
    };
    println!("| group | row | median | ratio to ours |\n|---|---|---|---|");
    let text = DMARC_RECORD.as_bytes();
    let mut rows = vec![Row::new("mailproof", || {
        black_box(Record::parse(black_box(text)).is_ok());
    })];
    #[cfg(feature = "compare")]
    rows.push(Row::new("mail-auth", || {
        use mail_auth::dns::TxtRecordParser;
        black_box(mail_auth::dmarc::DmarcRecord::parse(black_box(text)).is_ok());
    }));
    let times = medians(&mut rows, rounds);
    print("dmarc_parse/typical", &rows, &times);

    let rt = runtime();
    let verifier = Verifier::new();
    let author = Author::single(name(DMARC_AUTHOR));
    #[cfg(feature = "compare")]
    let (authenticator, caches, message) = {
        let authenticator = {
            let _context = rt.enter();
            mailproof_benches::dns::peer::authenticator()
        };
        let caches = mailproof_benches::dns::peer::Caches::filled::<mail_auth::dmarc::DmarcRecord>(
            &DMARC_ZONE,
        );
        let Some(message) =
            mail_auth::AuthenticatedMessage::parse(mailproof_benches::fixtures::DMARC_MESSAGE)
        else {
            panic!("mail-auth rejects the DMARC fixture message");
        };
        (authenticator, caches, message)
    };
    for (scenario, mail_from, passes) in SCENARIOS {
        let spf = SpfOutcome {
            result: SpfResult::Pass,
            mail_from_domain: Some(name(mail_from)),
        };
        let cache = CachingResolver::new(zone_resolver(&DMARC_ZONE), CacheConfig::default());
        let warm = rt.block_on(verifier.evaluate(&cache, &author, &spf, &[]));
        assert_eq!(warm.result.is_pass(), passes, "{:?}", warm.result);
        #[cfg(feature = "compare")]
        let peer_spf =
            mail_auth::SpfOutput::new(mail_from.to_owned()).with_result(mail_auth::SpfResult::Pass);
        let cached = cache.len();
        let mut rows = vec![Row::new("mailproof", || {
            black_box(rt.block_on(verifier.evaluate(black_box(&cache), &author, &spf, &[])));
        })];
        #[cfg(feature = "compare")]
        rows.push(Row::new("mail-auth", || {
            use mail_auth::dmarc::verify::DmarcParameters;
            let params = mail_auth::Parameters::new(DmarcParameters::new(
                &message,
                &[],
                mail_from,
                &peer_spf,
            ))
            .with_cache(&caches);
            black_box(rt.block_on(authenticator.verify_dmarc(black_box(params))));
        }));
        let times = medians(&mut rows, rounds);
        assert_eq!(cache.len(), cached, "the cache stayed warm");
        #[cfg(feature = "compare")]
        assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
        print(&format!("dmarc_evaluate/{scenario}"), &rows, &times);
    }
}

fn main() {
    if let Some(rounds) = mailproof_benches::interleaved::rounds_from_env("DMARC_BENCH_INTERLEAVED")
    {
        interleaved(rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    parse(&mut criterion);
    evaluate(&mut criterion);
    criterion.final_summary();
}
