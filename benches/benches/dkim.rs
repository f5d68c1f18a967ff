//! DKIM signing and verification (`mailproof-dkim`) of 2 KiB, 16 KiB and 256 KiB messages,
//! rsa-sha256 (2048-bit key) and ed25519-sha256, relaxed/relaxed, next to the physical limit
//! and to mail-auth 0.15 (feature `compare`). `DKIM_BENCH_FILTER` selects rows in the
//! interleaved mode (see `interleaved`).
//!
//! One group per (algorithm, size), `dkim/<algorithm>/<size>`, rows:
//! * `mailproof-sign (<backend>)`: raw message bytes to the DKIM-Signature field (parse,
//!   canonicalize, hash, sign). `<backend>` is `ring`, or `aws-lc` with feature `aws-lc`.
//! * `mailproof-verify (<backend>)`: raw signed bytes to the verdict: message parse, signature
//!   parse, key lookup in an in-memory `ZoneResolver` and key-record parse, canonicalization,
//!   body and header hashes, signature check.
//! * `mailproof-verify-with-keys (<backend>)`: the same through `Verifier::verify_with_keys`,
//!   the key record handed over by the caller (no async runtime, no resolver).
//! * `limit-sign (<crypto>)` / `limit-verify (<crypto>)`: what no implementation can beat,
//!   SHA-256 over the message's bytes plus one raw RSA / Ed25519 operation on a 32-byte
//!   input, with ring directly, and with aws-lc-rs directly under feature `aws-lc`.
//! * `mail-auth-sign` / `mail-auth-verify` (feature `compare`): the same work in mail-auth
//!   (aws-lc-rs inside), its key answered from a pre-filled cache; a cache miss would be a
//!   real DNS query, so the bench asserts there was none.
//!
//! Run both backends (two builds, cargo features being additive):
//! ```text
//! cargo bench -p mailproof-benches --bench dkim --features compare --ignore-rust-version
//! cargo bench -p mailproof-benches --bench dkim --features compare,aws-lc --ignore-rust-version
//! ```
//! The messages are built here (plain-text mail of wrapped prose lines with paragraph breaks,
//! the case where relaxed canonicalization has the most white space to look at).
//!
//! On a machine shared with other work, criterion's wall-clock means move by tens of percent
//! between runs. `DKIM_BENCH_INTERLEAVED=ROUNDS` (e.g. 400) replaces criterion with the
//! interleaved mode of `mailproof_benches::interleaved`: every round times a short batch of
//! each row (about 0.2 ms, or one iteration of the slower ones), and the table printed at the
//! end gives each row's median over the rounds, with the ratios to the limit of each backend
//! and to mail-auth. Interleaving exposes all rows to the same load, and with batches much shorter
//! than a scheduler time slice the median drops the batches that were preempted:
//! ```text
//! DKIM_BENCH_INTERLEAVED=400 target/release/deps/dkim-HASH
//! ```

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use mailproof_benches::interleaved::{Row, format_time, medians, medians_warm};
use mailproof_dkim::{
    Canonicalization, Clock, DkimResult, DnsTxtRecord, Policy, Scratch, Signer, SigningKey,
    Verifier, sign,
};
use mailproof_dns::{Name, ZoneResolver};
use mailproof_message::Message;

const RSA_PEM: &str = include_str!("../../testdata/keys/example.com.sel.rsa2048.pem");
const ED25519_SEED: [u8; 32] = [42; 32];
const DOMAIN: &str = "example.com";
const NOW: u64 = 1_700_000_000;

/// The crypto backend `mailproof-dkim` was built with.
const BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "ring"
};

/// The header fields both signers sign (our default list; mail-auth is given the same).
#[cfg(feature = "compare")]
const SIGNED: &[&str] = mailproof_dkim::DEFAULT_SIGNED_HEADERS;

#[derive(Clone, Copy)]
enum Alg {
    Rsa,
    Ed25519,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Rsa => "rsa-sha256",
            Alg::Ed25519 => "ed25519-sha256",
        }
    }

    fn selector(self) -> &'static str {
        match self {
            Alg::Rsa => "rsa",
            Alg::Ed25519 => "ed",
        }
    }

    fn key(self) -> SigningKey {
        let key = match self {
            Alg::Rsa => SigningKey::from_pem(RSA_PEM),
            Alg::Ed25519 => SigningKey::from_ed25519_seed(&ED25519_SEED),
        };
        key.unwrap_or_else(|e| panic!("fixture key: {e}"))
    }

    fn signer(self) -> Signer {
        Signer::new(self.key(), DOMAIN, self.selector())
            .unwrap_or_else(|e| panic!("signer: {e}"))
            .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Relaxed)
    }
}

/// The body's vocabulary.
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "I",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part.",
    "meeting,",
    "Thursday",
    "(draft)",
    "2024-06-01",
    "<https://example.net/a/b>",
];

/// A plain-text message of `size` bytes: a usual header block, then prose wrapped at 72
/// columns with a blank line every eight lines (words from a fixed list, chosen by an LCG).
fn message(size: usize) -> Vec<u8> {
    let mut out = format!(
        "From: Alice Example <alice@example.com>\r\n\
         To: Bob Example <bob@example.net>, Carol <carol@example.org>\r\n\
         Subject: Minutes of the planning meeting, and next steps\r\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
         Message-ID: <20231114221320.{size}@mail.example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n"
    )
    .into_bytes();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut line = Vec::new();
    let mut lines = 0;
    while out.len() < size {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = WORDS[usize::try_from(state >> 33).unwrap_or(0) % WORDS.len()];
        if line.len() + word.len() + 1 > 72 {
            out.extend_from_slice(&line);
            out.extend_from_slice(b"\r\n");
            line.clear();
            lines += 1;
            if lines % 8 == 0 {
                out.extend_from_slice(b"\r\n");
            }
        }
        if !line.is_empty() {
            line.push(b' ');
        }
        line.extend_from_slice(word.as_bytes());
    }
    out.truncate(size - 2);
    while out.last().is_some_and(|&b| b == b' ' || b == b'\r') {
        out.pop();
    }
    out.extend_from_slice(b"\r\n");
    out
}

struct Fixture {
    alg: Alg,
    /// The unsigned message.
    raw: Vec<u8>,
    /// The message signed by us.
    signed: Vec<u8>,
    zone: ZoneResolver,
}

fn fixture(alg: Alg, size: usize) -> Fixture {
    let raw = message(size);
    let fields =
        sign(&[alg.signer()], &raw, Clock::Fixed(NOW)).unwrap_or_else(|e| panic!("sign: {e}"));
    let signed = [fields.as_bytes(), &raw].concat();
    let record = DnsTxtRecord::for_key(&alg.key());
    let mut zone = ZoneResolver::new();
    let name = format!("{}._domainkey.{DOMAIN}", alg.selector());
    zone.add_txt(
        Name::new(&name).unwrap_or_else(|e| panic!("{e}")),
        &[record.as_str()],
    );
    Fixture {
        alg,
        raw,
        signed,
        zone,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

/// Raw bytes to verdict, with our verifier: parse, look up, canonicalize, hash, check.
fn ours_verify(
    rt: &tokio::runtime::Runtime,
    verifier: &Verifier,
    zone: &ZoneResolver,
    signed: &[u8],
    scratch: &mut Scratch,
) -> DkimResult {
    let message = Message::parse(signed).unwrap_or_else(|e| panic!("parse: {e}"));
    let results = rt.block_on(verifier.verify_with_scratch(zone, &message, scratch));
    results
        .first()
        .map_or(DkimResult::Neutral, mailproof_dkim::SignatureResult::result)
}

/// The limit rows for one crypto library with ring's API (ring and aws-lc-rs share it).
macro_rules! limit_rows {
    ($rows:expr, $fixture:expr, $lib:ident, $label:literal) => {{
        use $lib::digest::{SHA256, digest};
        use $lib::rand::SystemRandom;
        use $lib::signature::{
            ED25519, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
            RsaKeyPair, UnparsedPublicKey,
        };
        let fixture: &Fixture = $fixture;
        let input = [7u8; 32];
        match fixture.alg {
            Alg::Rsa => {
                let der = pem_der(RSA_PEM);
                let pair = RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("{e}"));
                let rng = SystemRandom::new();
                // RSA-2048 (ring and aws-lc-rs spell the modulus length differently).
                let mut sig = vec![0; 256];
                pair.sign(&RSA_PKCS1_SHA256, &rng, &input, &mut sig)
                    .unwrap_or_else(|e| panic!("{e}"));
                let public = pair.public_key().as_ref().to_vec();
                let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public);
                let verify_sig = sig.clone();
                $rows.push(Row::new(concat!("limit-sign (", $label, ")"), move || {
                    let hash = digest(&SHA256, black_box(&fixture.raw));
                    pair.sign(&RSA_PKCS1_SHA256, &rng, black_box(&input), &mut sig)
                        .unwrap_or_else(|e| panic!("{e}"));
                    black_box((hash, sig[0]));
                }));
                $rows.push(Row::new(
                    concat!("limit-verify (", $label, ")"),
                    move || {
                        let hash = digest(&SHA256, black_box(&fixture.signed));
                        let ok = key.verify(black_box(&input), &verify_sig).is_ok();
                        assert!(ok);
                        black_box(hash);
                    },
                ));
            }
            Alg::Ed25519 => {
                let pair = Ed25519KeyPair::from_seed_unchecked(&ED25519_SEED)
                    .unwrap_or_else(|e| panic!("{e}"));
                let sig = pair.sign(&input);
                let key = UnparsedPublicKey::new(&ED25519, pair.public_key().as_ref().to_vec());
                $rows.push(Row::new(concat!("limit-sign (", $label, ")"), move || {
                    let hash = digest(&SHA256, black_box(&fixture.raw));
                    black_box((hash, pair.sign(black_box(&input))));
                }));
                $rows.push(Row::new(
                    concat!("limit-verify (", $label, ")"),
                    move || {
                        let hash = digest(&SHA256, black_box(&fixture.signed));
                        let ok = key.verify(black_box(&input), sig.as_ref()).is_ok();
                        assert!(ok);
                        black_box(hash);
                    },
                ));
            }
        }
    }};
}

/// The DER inside a PEM file (the fixture key), for the limit rows.
fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The sizes, with their names in group names.
const SIZES: [(usize, &str); 3] = [
    (2 << 10, "2KiB"),
    (16 << 10, "16KiB"),
    (256 << 10, "256KiB"),
];

/// Every row of one group: ours, the limits, mail-auth.
fn rows<'a>(
    rt: &'a tokio::runtime::Runtime,
    fixture: &'a Fixture,
    #[cfg_attr(not(feature = "compare"), allow(unused_variables))] peer: &'a peer_state::State,
) -> Vec<Row<'a>> {
    let alg = fixture.alg;
    let mut rows = Vec::new();
    let signer = [alg.signer()];
    rows.push(Row::new(format!("mailproof-sign ({BACKEND})"), move || {
        black_box(
            sign(&signer, black_box(&fixture.raw), Clock::Fixed(NOW))
                .unwrap_or_else(|e| panic!("sign: {e}")),
        );
    }));
    let verifier = Verifier::new(Policy::default()).with_clock(Clock::Fixed(NOW + 60));
    let mut scratch = Scratch::new();
    assert_eq!(
        ours_verify(rt, &verifier, &fixture.zone, &fixture.signed, &mut scratch),
        DkimResult::Pass
    );
    rows.push(Row::new(
        format!("mailproof-verify ({BACKEND})"),
        move || {
            black_box(ours_verify(
                rt,
                &verifier,
                &fixture.zone,
                black_box(&fixture.signed),
                &mut scratch,
            ));
        },
    ));
    // The same verification without the async runtime: the key answer fetched beforehand and
    // handed over by `verify_with_keys` (the pure API, for callers with their own DNS).
    let key_name = Name::new(&format!("{}._domainkey.{DOMAIN}", alg.selector()))
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = rt
        .block_on(mailproof_dns::Resolver::txt(&fixture.zone, &key_name))
        .unwrap_or_else(|e| panic!("{e}"));
    let keyed = Verifier::new(Policy::default()).with_clock(Clock::Fixed(NOW + 60));
    let mut keyed_scratch = Scratch::new();
    rows.push(Row::new(
        format!("mailproof-verify-with-keys ({BACKEND})"),
        move || {
            let message =
                Message::parse(black_box(&fixture.signed)).unwrap_or_else(|e| panic!("{e}"));
            let results =
                keyed.verify_with_keys(&message, &mut |_| Ok(answer.clone()), &mut keyed_scratch);
            assert_eq!(results[0].result(), DkimResult::Pass);
        },
    ));
    limit_rows!(rows, fixture, ring, "ring");
    #[cfg(feature = "aws-lc")]
    limit_rows!(rows, fixture, aws_lc_rs, "aws-lc");
    #[cfg(feature = "compare")]
    peer::rows(&mut rows, rt, fixture, peer);
    rows
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    for alg in [Alg::Rsa, Alg::Ed25519] {
        for (size, size_name) in SIZES {
            let fixture = fixture(alg, size);
            let peer = peer_state::State::new(&rt, &fixture);
            let mut group = c.benchmark_group(format!("dkim/{}/{size_name}", alg.name()));
            group.throughput(Throughput::Bytes(fixture.signed.len() as u64));
            for mut row in rows(&rt, &fixture, &peer) {
                group.bench_function(row.name.clone(), |b| b.iter(&mut row.run));
            }
            group.finish();
            peer.check();
        }
    }
}

/// The interleaved run (see the crate docs): `rounds` batches of each row, medians printed
/// as a Markdown table. Each timed batch follows one untimed iteration of its row (the
/// steady state, as criterion measures it); with `DKIM_BENCH_COLD` set it does not, and the
/// rows with the larger code path pay for refilling the caches once per batch.
///
/// `DKIM_BENCH_FILTER`, if set, is a comma-separated list of substrings: only the rows whose
/// `group/row` name contains one of them run (e.g. `2KiB/mailproof-verify,2KiB/limit-verify`).
fn interleaved(rounds: usize) {
    let rt = runtime();
    let filter: Vec<String> = std::env::var("DKIM_BENCH_FILTER")
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let cold = std::env::var_os("DKIM_BENCH_COLD").is_some();
    println!(
        "batches: {}\n",
        if cold {
            "cold (DKIM_BENCH_COLD: each timed batch starts right after the other rows')"
        } else {
            "warm (one untimed iteration of the row before each timed batch)"
        }
    );
    println!(
        "| group | row | median | / limit ring | / limit aws-lc | / mail-auth |\n|---|---|---|---|---|---|"
    );
    for alg in [Alg::Rsa, Alg::Ed25519] {
        for (size, size_name) in SIZES {
            let fixture = fixture(alg, size);
            let peer = peer_state::State::new(&rt, &fixture);
            let group = format!("{}/{size_name}", alg.name());
            let mut rows: Vec<Row<'_>> = rows(&rt, &fixture, &peer)
                .into_iter()
                .filter(|row| selected(&filter, &format!("{group}/{}", row.name)))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let times = if cold {
                medians(&mut rows, rounds)
            } else {
                medians_warm(&mut rows, rounds)
            };
            let medians: Vec<(String, f64)> = rows
                .iter()
                .zip(times)
                .map(|(row, time)| (row.name.clone(), time))
                .collect();
            let find = |name: &str| medians.iter().find(|(n, _)| n == name).map(|&(_, t)| t);
            for (name, time) in &medians {
                let op = if name.contains("verify") {
                    "verify"
                } else {
                    "sign"
                };
                let ratio = |other: Option<f64>| {
                    other.map_or_else(|| "–".to_owned(), |o| format!("{:.3}", time / o))
                };
                println!(
                    "| {}/{size_name} | {name} | {} | {} | {} | {} |",
                    alg.name(),
                    format_time(*time),
                    ratio(find(&format!("limit-{op} (ring)"))),
                    ratio(find(&format!("limit-{op} (aws-lc)"))),
                    ratio(find(&format!("mail-auth-{op}"))),
                );
            }
            peer.check();
        }
    }
}

/// Whether `name` passes the interleaved mode's filter (an empty filter passes everything).
fn selected(filter: &[String], name: &str) -> bool {
    filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    if let Some(rounds) = mailproof_benches::interleaved::rounds_from_env("DKIM_BENCH_INTERLEAVED")
    {
        interleaved(rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}

/// What the mail-auth rows need to outlive them (nothing without `compare`).
mod peer_state {
    #[cfg(feature = "compare")]
    pub(super) use super::peer::State;

    #[cfg(not(feature = "compare"))]
    pub(super) struct State;

    #[cfg(not(feature = "compare"))]
    impl State {
        pub(super) fn new(_: &tokio::runtime::Runtime, _: &super::Fixture) -> State {
            State
        }

        #[allow(clippy::unused_self)] // the same call as with `compare`
        pub(super) fn check(&self) {}
    }
}

/// mail-auth 0.15 doing the same work.
#[cfg(feature = "compare")]
mod peer {
    use std::borrow::Borrow;
    use std::collections::HashMap;
    use std::hash::Hash;
    use std::hint::black_box;
    use std::net::Ipv4Addr;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use mail_auth::crypto::{Ed25519Key, RsaKey, Sha256};
    use mail_auth::dkim::{Canonicalization, DkimSigner, DomainKey};
    use mail_auth::dns::TxtRecordParser as _;
    use mail_auth::hickory_resolver::config::{
        ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
    };
    use mail_auth::{
        AuthenticatedMessage, DkimResult, DnsCache, MessageAuthenticator, Parameters,
        ResolverCache, TxtRecord,
    };

    use super::{Alg, DOMAIN, ED25519_SEED, Fixture, RSA_PEM, Row, SIGNED};

    /// A TXT cache counting misses (a miss would be a real DNS query).
    #[derive(Default)]
    pub(super) struct TxtCache {
        map: Mutex<HashMap<Box<str>, TxtRecord>>,
        misses: AtomicUsize,
    }

    impl ResolverCache<Box<str>, TxtRecord> for TxtCache {
        fn get<Q>(&self, name: &Q) -> Option<TxtRecord>
        where
            Box<str>: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let hit = self
                .map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(name)
                .cloned();
            if hit.is_none() {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            hit
        }

        fn remove<Q>(&self, name: &Q) -> Option<TxtRecord>
        where
            Box<str>: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(name)
        }

        fn insert(&self, key: Box<str>, value: TxtRecord, _valid_until: Instant) {
            self.map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, value);
        }
    }

    /// Never consulted for DKIM; present because `DnsCache` names one cache per type.
    pub(super) struct NoCache;

    impl<K, V> ResolverCache<K, V> for NoCache {
        fn get<Q>(&self, _: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            None
        }
        fn remove<Q>(&self, _: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            None
        }
        fn insert(&self, _: K, _: V, _: Instant) {}
    }

    #[derive(Default)]
    pub(super) struct Caches {
        txt: TxtCache,
    }

    impl DnsCache for Caches {
        type Txt = TxtCache;
        type Mx = NoCache;
        type Ipv4 = NoCache;
        type Ipv6 = NoCache;
        type Ptr = NoCache;

        fn txt(&self) -> Option<&TxtCache> {
            Some(&self.txt)
        }
        fn mx(&self) -> Option<&NoCache> {
            None
        }
        fn ipv4(&self) -> Option<&NoCache> {
            None
        }
        fn ipv6(&self) -> Option<&NoCache> {
            None
        }
        fn ptr(&self) -> Option<&NoCache> {
            None
        }
    }

    /// A `MessageAuthenticator` that can only reach 127.0.0.1 port 9 with a 200 ms timeout,
    /// so a cache miss fails locally instead of leaving the machine.
    fn authenticator() -> MessageAuthenticator {
        let mut connection = ConnectionConfig::udp();
        connection.port = 9;
        let server = NameServerConfig::new(Ipv4Addr::LOCALHOST.into(), true, vec![connection]);
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_millis(200);
        options.attempts = 1;
        MessageAuthenticator::new(ResolverConfig::from_name_servers(vec![server]), options)
            .unwrap_or_else(|e| panic!("mail-auth resolver: {e}"))
    }

    /// mail-auth's resolver and key cache for one fixture; they must outlive the rows.
    pub(super) struct State {
        authenticator: MessageAuthenticator,
        caches: Caches,
    }

    impl State {
        pub(super) fn new(rt: &tokio::runtime::Runtime, fixture: &Fixture) -> State {
            let _guard = rt.enter();
            let caches = Caches::default();
            let record = mailproof_dkim::DnsTxtRecord::for_key(&fixture.alg.key());
            let record = DomainKey::parse(record.as_str().as_bytes())
                .unwrap_or_else(|e| panic!("mail-auth key record: {e}"));
            let name = format!("{}._domainkey.{DOMAIN}.", fixture.alg.selector());
            caches.txt.insert(
                name.into_boxed_str(),
                TxtRecord::from(record),
                Instant::now() + Duration::from_secs(86_400),
            );
            State {
                authenticator: authenticator(),
                caches,
            }
        }

        /// Asserts that mail-auth never missed its cache (a miss is a real DNS query).
        pub(super) fn check(&self) {
            assert_eq!(
                self.caches.txt.misses.load(Ordering::Relaxed),
                0,
                "cache miss"
            );
        }
    }

    pub(super) fn rows<'a>(
        rows: &mut Vec<Row<'a>>,
        rt: &'a tokio::runtime::Runtime,
        fixture: &'a Fixture,
        state: &'a State,
    ) {
        let signer = match fixture.alg {
            Alg::Rsa => {
                // Deprecated for `from_key_der`, which takes a rustls-pki-types value: one
                // more dependency for the same PKCS#8 parse.
                #[allow(deprecated)]
                let key = RsaKey::<Sha256>::from_pkcs8_pem(RSA_PEM)
                    .unwrap_or_else(|e| panic!("mail-auth key: {e}"));
                let signer = DkimSigner::from_key(key)
                    .domain(DOMAIN)
                    .selector(fixture.alg.selector())
                    .headers(SIGNED.iter().copied())
                    .header_canonicalization(Canonicalization::Relaxed)
                    .body_canonicalization(Canonicalization::Relaxed);
                Row::new("mail-auth-sign", move || {
                    black_box(
                        signer
                            .sign(black_box(&fixture.raw))
                            .unwrap_or_else(|e| panic!("mail-auth sign: {e}")),
                    );
                })
            }
            Alg::Ed25519 => {
                let public = fixture.alg.key().public_key_bytes();
                let key = Ed25519Key::from_seed_and_public_key(&ED25519_SEED, &public)
                    .unwrap_or_else(|e| panic!("mail-auth key: {e}"));
                let signer = DkimSigner::from_key(key)
                    .domain(DOMAIN)
                    .selector(fixture.alg.selector())
                    .headers(SIGNED.iter().copied())
                    .header_canonicalization(Canonicalization::Relaxed)
                    .body_canonicalization(Canonicalization::Relaxed);
                Row::new("mail-auth-sign", move || {
                    black_box(
                        signer
                            .sign(black_box(&fixture.raw))
                            .unwrap_or_else(|e| panic!("mail-auth sign: {e}")),
                    );
                })
            }
        };
        rows.push(signer);

        let verify = move |raw: &[u8]| {
            let message = AuthenticatedMessage::parse(raw).unwrap_or_else(|| panic!("parse"));
            let results = rt.block_on(
                state
                    .authenticator
                    .verify_dkim(Parameters::new(&message).with_cache(&state.caches)),
            );
            results.first().map(|r| r.result().clone())
        };
        assert_eq!(verify(&fixture.signed), Some(DkimResult::Pass));
        rows.push(Row::new("mail-auth-verify", move || {
            black_box(verify(black_box(&fixture.signed)));
        }));
    }
}
