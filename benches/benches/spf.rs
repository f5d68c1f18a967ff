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
//!
//! On a machine shared with other work, criterion's wall-clock means move by tens of percent
//! between runs. `SPF_BENCH_INTERLEAVED=ROUNDS` (e.g. 2000) replaces criterion with a run that
//! interleaves the rows of each group: every round times a short batch of each row (about
//! 0.1 ms), and the table printed at the end gives each row's median over the rounds and its
//! ratio to mail-auth. Interleaving exposes all rows to the same load, and with batches much
//! shorter than a scheduler time slice the median drops the batches that were preempted:
//! ```text
//! SPF_BENCH_INTERLEAVED=2000 target/release/deps/spf-HASH
//! ```

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BenchmarkId, Criterion};
use mailproof_benches::dns::zone_resolver;
use mailproof_benches::fixtures::{
    SPF_CLIENT_IP, SPF_HELO, SPF_MAIL_FROM, SPF_RECEIVER, SPF_RECORDS, SPF_ZONE,
};
use mailproof_benches::interleaved::{Row, format_time, medians};
use mailproof_dns::{CacheConfig, CachingResolver, ZoneResolver};
use mailproof_spf::{Record, SpfResult, Verifier};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    }
}

/// A group's rows under one input name (criterion's parameter).
struct Group<'a> {
    name: &'static str,
    input: &'static str,
    rows: Vec<Row<'a>>,
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

/// The parse inputs: each named record alone, and the scenario's four records.
fn parse_inputs() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut inputs: Vec<(&str, Vec<&str>)> = SPF_RECORDS
        .iter()
        .map(|(name, text)| (*name, vec![*text]))
        .collect();
    inputs.push(("check_host_scenario_4_records", scenario_records()));
    inputs
}

fn parse_groups<'a>(inputs: &'a [(&'static str, Vec<&'static str>)]) -> Vec<Group<'a>> {
    inputs
        .iter()
        .map(|(name, records)| {
            for text in records {
                assert!(Record::parse(text.as_bytes()).is_ok(), "{text}");
            }
            #[allow(unused_mut)] // without `compare`
            let mut rows = vec![Row::new("mailproof", move || {
                for text in records {
                    let _ = black_box(Record::parse(black_box(text.as_bytes())));
                }
            })];
            #[cfg(feature = "compare")]
            {
                use mail_auth::dns::TxtRecordParser;
                use mail_auth::spf::SpfRecord;
                for text in records {
                    assert!(SpfRecord::parse(text.as_bytes()).is_ok(), "{text}");
                }
                rows.push(Row::new("mail-auth", move || {
                    for text in records {
                        let _ = black_box(SpfRecord::parse(black_box(text.as_bytes())));
                    }
                }));
            }
            Group {
                name: "spf_parse",
                input: name,
                rows,
            }
        })
        .collect()
}

/// What the `check_host` rows borrow.
struct HostState {
    ip: IpAddr,
    domain: &'static str,
    /// Trace on, trace off; each with its own warm cache.
    ours: Vec<(&'static str, Verifier, CachingResolver<ZoneResolver>)>,
    #[cfg(feature = "compare")]
    peer: (
        mail_auth::MessageAuthenticator,
        mailproof_benches::dns::peer::Caches,
    ),
}

impl HostState {
    fn new(rt: &Runtime) -> HostState {
        let ip = IpAddr::V4(Ipv4Addr::from(SPF_CLIENT_IP));
        let domain = SPF_MAIL_FROM
            .rsplit_once('@')
            .map_or(SPF_MAIL_FROM, |(_, d)| d);
        let ours = [("mailproof", true), ("mailproof_trace_off", false)]
            .into_iter()
            .map(|(id, trace)| {
                let mut verifier = Verifier::default();
                SPF_RECEIVER.clone_into(&mut verifier.receiver);
                verifier.trace = trace;
                // Fresh and warmed right here: the zone's records have a 300 s TTL.
                let cache = CachingResolver::new(zone_resolver(&SPF_ZONE), CacheConfig::default());
                let warm =
                    rt.block_on(verifier.check_host(&cache, ip, domain, SPF_MAIL_FROM, SPF_HELO));
                assert_eq!(warm.result, SpfResult::Pass, "{:?}", warm.reason);
                assert_eq!(cache.len(), 7, "7 answers cached by the warm-up");
                (id, verifier, cache)
            })
            .collect();
        #[cfg(feature = "compare")]
        let peer = {
            use mail_auth::spf::SpfRecord;
            use mailproof_benches::dns::peer::{Caches, authenticator};
            let authenticator = {
                let _context = rt.enter();
                authenticator()
            };
            (authenticator, Caches::filled::<SpfRecord>(&SPF_ZONE))
        };
        HostState {
            ip,
            domain,
            ours,
            #[cfg(feature = "compare")]
            peer,
        }
    }

    /// Asserts that every cache stayed warm.
    fn check(&self) {
        for (_, _, cache) in &self.ours {
            assert_eq!(cache.len(), 7, "the cache stayed warm");
        }
        #[cfg(feature = "compare")]
        assert_eq!(
            self.peer.1.misses(),
            0,
            "mail-auth cache miss (a real query)"
        );
    }
}

fn check_host_group<'a>(rt: &'a Runtime, state: &'a HostState) -> Group<'a> {
    let (ip, domain) = (state.ip, state.domain);
    #[allow(unused_mut)] // without `compare`
    let mut rows: Vec<Row<'a>> = state
        .ours
        .iter()
        .map(|(id, verifier, cache)| {
            Row::new(*id, move || {
                black_box(rt.block_on(verifier.check_host(
                    black_box(cache),
                    black_box(ip),
                    domain,
                    SPF_MAIL_FROM,
                    SPF_HELO,
                )));
            })
        })
        .collect();
    #[cfg(feature = "compare")]
    {
        use mail_auth::spf::verify::SpfParameters;
        use mail_auth::{Parameters, SpfResult as PeerResult};
        let (authenticator, caches) = &state.peer;
        let params = move || {
            Parameters::new(SpfParameters::mail_from(
                ip,
                SPF_HELO,
                SPF_RECEIVER,
                SPF_MAIL_FROM,
            ))
            .with_cache(caches)
        };
        let output = rt.block_on(authenticator.check_host(params()));
        assert_eq!(output.result(), PeerResult::Pass);
        assert_eq!(caches.misses(), 0, "mail-auth cache miss (a real query)");
        rows.push(Row::new("mail-auth", move || {
            black_box(rt.block_on(authenticator.check_host(black_box(params()))));
        }));
    }
    Group {
        name: "spf_check_host",
        input: "include_chain",
        rows,
    }
}

/// Criterion's run of `groups`, all of the group named `name`.
fn bench_groups(c: &mut Criterion, name: &str, groups: &mut [Group<'_>]) {
    let mut criterion_group = c.benchmark_group(name);
    for group in groups {
        for row in &mut group.rows {
            criterion_group.bench_function(BenchmarkId::new(row.name.clone(), group.input), |b| {
                b.iter(|| (row.run)());
            });
        }
    }
    criterion_group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let inputs = parse_inputs();
    bench_groups(c, "spf_parse", &mut parse_groups(&inputs));
    let state = HostState::new(&rt);
    bench_groups(c, "spf_check_host", &mut [check_host_group(&rt, &state)]);
    state.check();
}

/// The interleaved run (see the crate docs and `mailproof_benches::interleaved`): medians
/// printed as a Markdown table.
fn interleaved(rounds: usize) {
    let rt = runtime();
    let inputs = parse_inputs();
    let state = HostState::new(&rt);
    let mut groups = parse_groups(&inputs);
    groups.push(check_host_group(&rt, &state));
    println!("| group | row | median | / mail-auth |\n|---|---|---|---|");
    for group in &mut groups {
        let times = medians(&mut group.rows, rounds);
        let peer = group
            .rows
            .iter()
            .zip(&times)
            .find(|(row, _)| row.name == "mail-auth")
            .map(|(_, &t)| t);
        for (row, time) in group.rows.iter().zip(&times) {
            let ratio = peer.map_or_else(|| "–".to_owned(), |p| format!("{:.3}", time / p));
            println!(
                "| {}/{} | {} | {} | {ratio} |",
                group.name,
                group.input,
                row.name,
                format_time(*time)
            );
        }
    }
    state.check();
}

fn main() {
    if let Some(rounds) = mailproof_benches::interleaved::rounds_from_env("SPF_BENCH_INTERLEAVED") {
        interleaved(rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
