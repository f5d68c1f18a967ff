//! `mailproof-spf`: record parsing and a full `check_host()` against a warm cache, next to
//! mail-auth 0.15 (feature `compare`).
//!
//! * `spf_parse`: `Record::parse` of a typical record, two long Google-like netblock records,
//!   and the four records of the `check_host` scenario one after the other.
//! * `spf_check_host`: `example.com` includes three records (14 terms, 5 DNS-querying: 3
//!   includes, `a`, `mx`); the client matches in the third include, so the result is *pass*
//!   after 7 lookups. Ours runs on a `ZoneResolver` wrapped in a `CachingResolver` that was
//!   warmed by one evaluation; mail-auth runs with its caches pre-filled with the same records
//!   (already parsed, which is how mail-auth caches TXT records) and a resolver that can only
//!   reach a closed local port; the bench asserts that its caches never miss.

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mailproof_benches::dns::zone_resolver;
use mailproof_benches::fixtures::{
    SPF_CLIENT_IP, SPF_HELO, SPF_MAIL_FROM, SPF_RECEIVER, SPF_RECORDS, SPF_ZONE,
};
use mailproof_dns::{CacheConfig, CachingResolver};
use mailproof_spf::{Record, SpfResult, Verifier};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    }
}

/// The scenario's SPF records (the non-SPF TXT record left out).
fn scenario_records() -> Vec<&'static str> {
    SPF_ZONE
        .txt
        .iter()
        .map(|(_, text)| *text)
        .filter(|text| text.starts_with("v=spf1"))
        .collect()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("spf_parse");
    let scenario = scenario_records();
    let mut inputs: Vec<(&str, Vec<&str>)> = SPF_RECORDS
        .iter()
        .map(|(name, text)| (*name, vec![*text]))
        .collect();
    inputs.push(("check_host_scenario_4_records", scenario));
    for (name, records) in &inputs {
        for text in records {
            assert!(Record::parse(text.as_bytes()).is_ok(), "{text}");
        }
        group.bench_with_input(
            BenchmarkId::new("mailproof", name),
            records,
            |b, records| {
                b.iter(|| {
                    for text in records {
                        let _ = black_box(Record::parse(black_box(text.as_bytes())));
                    }
                });
            },
        );
        #[cfg(feature = "compare")]
        {
            use mail_auth::dns::TxtRecordParser;
            use mail_auth::spf::SpfRecord;
            for text in records {
                assert!(SpfRecord::parse(text.as_bytes()).is_ok(), "{text}");
            }
            group.bench_with_input(
                BenchmarkId::new("mail-auth", name),
                records,
                |b, records| {
                    b.iter(|| {
                        for text in records {
                            let _ = black_box(SpfRecord::parse(black_box(text.as_bytes())));
                        }
                    });
                },
            );
        }
    }
    group.finish();
}

fn check_host(c: &mut Criterion) {
    let rt = runtime();
    let ip = IpAddr::V4(Ipv4Addr::from(SPF_CLIENT_IP));
    let domain = SPF_MAIL_FROM
        .rsplit_once('@')
        .map_or(SPF_MAIL_FROM, |(_, d)| d);
    let mut group = c.benchmark_group("spf_check_host");

    for (id, trace) in [("mailproof", true), ("mailproof_trace_off", false)] {
        let mut verifier = Verifier::default();
        SPF_RECEIVER.clone_into(&mut verifier.receiver);
        verifier.trace = trace;
        // Fresh and warmed right here: the zone's records have a 300 s TTL.
        let cache = CachingResolver::new(zone_resolver(&SPF_ZONE), CacheConfig::default());
        let warm = rt.block_on(verifier.check_host(&cache, ip, domain, SPF_MAIL_FROM, SPF_HELO));
        assert_eq!(warm.result, SpfResult::Pass, "{:?}", warm.reason);
        assert_eq!(cache.len(), 7, "7 answers cached by the warm-up");
        group.bench_function(BenchmarkId::new(id, "include_chain"), |b| {
            b.iter(|| {
                rt.block_on(verifier.check_host(
                    black_box(&cache),
                    black_box(ip),
                    domain,
                    SPF_MAIL_FROM,
                    SPF_HELO,
                ))
            });
        });
        assert_eq!(cache.len(), 7, "the cache stayed warm");
    }

    #[cfg(feature = "compare")]
    {
        use mail_auth::spf::SpfRecord;
        use mail_auth::spf::verify::SpfParameters;
        use mail_auth::{Parameters, SpfResult as PeerResult};
        use mailproof_benches::dns::peer::{Caches, authenticator};

        let authenticator = {
            let _context = rt.enter();
            authenticator()
        };
        let caches = Caches::filled::<SpfRecord>(&SPF_ZONE);
        let params = || {
            Parameters::new(SpfParameters::mail_from(
                ip,
                SPF_HELO,
                SPF_RECEIVER,
                SPF_MAIL_FROM,
            ))
            .with_cache(&caches)
        };
        let output = rt.block_on(authenticator.check_host(params()));
        assert_eq!(output.result(), PeerResult::Pass);
        assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
        group.bench_function(BenchmarkId::new("mail-auth", "include_chain"), |b| {
            b.iter(|| rt.block_on(authenticator.check_host(black_box(params()))));
        });
        assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
    }
    group.finish();
}

criterion_group!(benches, parse, check_host);
criterion_main!(benches);
