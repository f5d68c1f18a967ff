//! The same table of queries through hickory (to nsd serving `testdata/zones/`) and through
//! `ZoneResolver` (loading the same files): every answer kind must match, and both must match
//! what the zone files say.
//!
//! The server address comes from `MAILPROOF_DNS_SERVER` (default `127.0.0.1:5353`). When no
//! server answers, the test prints `skipped: ...` — unless `MAILPROOF_REQUIRE_REAL_DNS=1`
//! (set by `.ci/run`), when it fails.

use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use mailproof_dns::{Answer, FailureKind, LookupError, Name, Resolver, ZoneResolver};
use mailproof_dns_hickory::{HickoryResolver, NameServerAddr, Options};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn zone_resolver() -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    let mut files: Vec<_> = std::fs::read_dir(testdata().join("zones"))
        .expect("testdata/zones exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    files.sort();
    for file in files {
        zone.load_zone_path(&file, None)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    zone
}

fn server() -> NameServerAddr {
    std::env::var("MAILPROOF_DNS_SERVER")
        .unwrap_or_else(|_| "127.0.0.1:5353".to_owned())
        .parse()
        .expect("MAILPROOF_DNS_SERVER is ip:port")
}

/// hickory with its own cache off, so TTLs come straight from the server.
fn hickory() -> HickoryResolver {
    let mut options = Options::default();
    options.timeout = Duration::from_secs(2);
    options.cache_size = 0;
    HickoryResolver::with_options(&[server()], options).expect("resolver builds")
}

/// Some(resolver) when the server answers; None (after printing why) when the test is skipped.
async fn live_resolver() -> Option<HickoryResolver> {
    let resolver = hickory();
    let probe = resolver.a(&name("ns1.example.com")).await;
    if probe.is_ok() {
        return Some(resolver);
    }
    let required = std::env::var("MAILPROOF_REQUIRE_REAL_DNS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "MAILPROOF_REQUIRE_REAL_DNS=1 but no DNS server answers on {:?}: {probe:?} \
         (start one with scripts/dns-server.sh start)",
        server()
    );
    println!(
        "skipped: no DNS server answers on {:?} (run scripts/dns-server.sh start)",
        server()
    );
    None
}

fn name(s: &str) -> Name {
    s.parse().expect("valid test name")
}

/// Answers compared as sets of records: servers may rotate record order.
fn normalize<T: Ord + Clone + Debug>(
    result: Result<Answer<T>, LookupError>,
) -> Result<(String, Vec<T>, u32), FailureKind> {
    match result {
        Ok(Answer::Records {
            records,
            ttl_seconds,
        }) => {
            let mut records = records.to_vec();
            records.sort();
            Ok(("records".into(), records, ttl_seconds))
        }
        Ok(Answer::NoRecords { ttl_seconds }) => Ok(("nodata".into(), vec![], ttl_seconds)),
        Ok(Answer::NxDomain { ttl_seconds }) => Ok(("nxdomain".into(), vec![], ttl_seconds)),
        Err(e) => Err(e.kind()),
    }
}

fn txt_bytes(
    answer: Result<Answer<mailproof_dns::Txt>, LookupError>,
) -> Result<Answer<Vec<u8>>, LookupError> {
    answer.map(|a| match a {
        Answer::Records {
            records,
            ttl_seconds,
        } => Answer::Records {
            records: records.iter().map(|t| t.as_bytes().to_vec()).collect(),
            ttl_seconds,
        },
        Answer::NoRecords { ttl_seconds } => Answer::NoRecords { ttl_seconds },
        Answer::NxDomain { ttl_seconds } => Answer::NxDomain { ttl_seconds },
    })
}

#[derive(Clone, Copy, Debug)]
enum Query {
    Txt(&'static str),
    A(&'static str),
    Aaaa(&'static str),
    Mx(&'static str),
    Ptr(&'static str),
}

/// The shared table: every answer kind the issue names.
const TABLE: &[Query] = &[
    Query::Txt("example.com"),
    Query::Txt("multi.example.com"),
    Query::Txt("escaped.example.com"),
    Query::Txt("sel._domainkey.example.com"),
    Query::Txt("_dmarc.example.com"),
    Query::Txt("deep.ent.example.com"),
    Query::Txt("ent.example.com"),
    Query::Txt("nodata.example.com"),
    Query::Txt("nope.example.com"),
    Query::Txt("EXAMPLE.COM."),
    Query::Txt("example.org"),
    Query::A("example.com"),
    Query::A("mail.example.com"),
    Query::A("alias.example.com"),
    Query::A("chain.example.com"),
    Query::A("nope.example.com"),
    Query::A("example.org"),
    Query::Aaaa("mail.example.com"),
    Query::Aaaa("chain.example.com"),
    Query::Aaaa("example.com"),
    Query::Mx("example.com"),
    Query::Mx("mail.example.com"),
    Query::Mx("nope.example.com"),
    Query::Ptr("192.0.2.25"),
    Query::Ptr("192.0.2.27"),
    Query::Ptr("192.0.2.99"),
    Query::Ptr("2001:db8::25"),
    Query::Ptr("2001:db8::26"),
];

async fn run<R: Resolver>(resolver: &R, query: Query) -> String {
    match query {
        Query::Txt(n) => format!("{:?}", normalize(txt_bytes(resolver.txt(&name(n)).await))),
        Query::A(n) => format!("{:?}", normalize(resolver.a(&name(n)).await)),
        Query::Aaaa(n) => format!("{:?}", normalize(resolver.aaaa(&name(n)).await)),
        Query::Mx(n) => format!("{:?}", normalize(resolver.mx(&name(n)).await)),
        Query::Ptr(ip) => format!(
            "{:?}",
            normalize(resolver.ptr(ip.parse().expect("test IP")).await)
        ),
    }
}

#[tokio::test]
async fn hickory_and_zone_resolver_agree_on_every_query() {
    let Some(live) = live_resolver().await else {
        return;
    };
    let zone = zone_resolver();
    let mut disagreements = Vec::new();
    for &query in TABLE {
        let (from_server, from_zone) = (run(&live, query).await, run(&zone, query).await);
        if from_server != from_zone {
            disagreements.push(format!(
                "{query:?}\n  server: {from_server}\n  zone:   {from_zone}"
            ));
        }
    }
    println!(
        "real DNS vs zone resolver: {}/{} queries agree",
        TABLE.len() - disagreements.len(),
        TABLE.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[tokio::test]
async fn real_server_answers_each_kind() {
    let Some(dns) = live_resolver().await else {
        return;
    };

    // A 2048-bit DKIM key published as several 255-octet strings comes back joined.
    let key = std::fs::read(testdata().join("keys/example.com.sel.rsa2048.dns.txt"))
        .expect("key record file");
    let answer = dns.txt(&name("sel._domainkey.example.com")).await.unwrap();
    assert_eq!(answer.records().len(), 1);
    assert_eq!(answer.records()[0].as_bytes(), key.trim_ascii_end());
    assert!(answer.records()[0].as_bytes().len() > 255);

    // Several TXT records at one name stay separate; strings within one record are joined.
    let mut multi: Vec<Vec<u8>> = dns
        .txt(&name("multi.example.com"))
        .await
        .unwrap()
        .records()
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
    multi.sort();
    assert_eq!(
        multi,
        [
            b"first record".to_vec(),
            b"second record in two strings".to_vec(),
            b"v=spf1 -all".to_vec()
        ]
    );

    // Escapes in the zone file arrive as the bytes they stand for.
    let escaped = dns.txt(&name("escaped.example.com")).await.unwrap();
    assert_eq!(
        escaped.records()[0].as_bytes(),
        b"semi;colon and quote\" inside"
    );

    // MX sorted by preference, ties by name.
    let mx = dns.mx(&name("example.com")).await.unwrap();
    let order: Vec<(u16, &str)> = mx
        .records()
        .iter()
        .map(|m| (m.preference, m.exchange.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (10, "backup.example.com"),
            (10, "mail.example.com"),
            (20, "mx2.example.com")
        ]
    );

    assert_eq!(
        dns.a(&name("mail.example.com")).await.unwrap().records(),
        &[Ipv4Addr::new(192, 0, 2, 25)]
    );
    assert_eq!(
        dns.aaaa(&name("mail.example.com")).await.unwrap().records(),
        &["2001:db8::25".parse::<Ipv6Addr>().unwrap()]
    );
    // CNAME chain followed to the address.
    assert_eq!(
        dns.a(&name("chain.example.com")).await.unwrap().records(),
        &[Ipv4Addr::new(192, 0, 2, 25)]
    );
    assert_eq!(
        dns.ptr(IpAddr::from([192, 0, 2, 25]))
            .await
            .unwrap()
            .records(),
        &[name("mail.example.com")]
    );
    assert_eq!(
        dns.ptr("2001:db8::25".parse().unwrap())
            .await
            .unwrap()
            .records(),
        &[name("mail.example.com")]
    );

    // NXDOMAIN and NODATA are values, with the zone's negative TTL (min(SOA TTL, MINIMUM)).
    assert_eq!(
        dns.txt(&name("nope.example.com")).await.unwrap(),
        Answer::NxDomain { ttl_seconds: 120 }
    );
    assert_eq!(
        dns.txt(&name("nodata.example.com")).await.unwrap(),
        Answer::NoRecords { ttl_seconds: 120 }
    );
    assert!(matches!(
        dns.txt(&name("ent.example.com")).await,
        Ok(Answer::NoRecords { .. })
    ));

    // A name outside the served zones is REFUSED: a temporary failure.
    let refused = dns.txt(&name("example.org")).await.unwrap_err();
    assert_eq!(refused.kind(), FailureKind::Refused, "{refused:?}");
}

#[tokio::test]
async fn unreachable_server_is_a_temporary_failure() {
    let mut options = Options::default();
    options.timeout = Duration::from_millis(500);
    options.attempts = 1;
    // Port 9 (discard) on loopback: nothing listens, so UDP gets ICMP unreachable or silence.
    let resolver =
        HickoryResolver::with_options(&["127.0.0.1:9".parse().unwrap()], options).unwrap();
    let error = resolver.txt(&name("example.com")).await.unwrap_err();
    assert!(
        matches!(error.kind(), FailureKind::Network | FailureKind::Timeout),
        "{error:?}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn bad_server_addresses_are_typed_errors() {
    for bad in [
        "",
        "127.0.0.1:",
        "127.0.0.1:99999",
        "localhost:53",
        "::1:53x",
        "1.2.3",
    ] {
        let error = bad.parse::<NameServerAddr>().unwrap_err();
        assert_eq!(error.text(), bad);
    }
    assert!(HickoryResolver::with_name_servers(&[]).is_err());
}
