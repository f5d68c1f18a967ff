//! Property tests: the cache returns exactly what the inner resolver returned; the query
//! budget stops at its limit; names survive normalization.

use std::net::Ipv4Addr;
use std::num::NonZeroUsize;
use std::time::Instant;

use mailproof_dns::{
    CacheConfig, CachingResolver, FailureKind, Name, QueryBudget, Resolver, ZoneResolver,
};
use proptest::prelude::*;

use crate::block_on;

/// One name's contents in a generated zone.
#[derive(Clone, Debug)]
enum Content {
    Txt(Vec<Vec<u8>>),
    A(Vec<[u8; 4]>),
    Mx(Vec<(u16, usize)>),
    Cname(usize),
    Fail,
    Empty,
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..4)
            .prop_map(Content::Txt),
        prop::collection::vec(any::<[u8; 4]>(), 1..4).prop_map(Content::A),
        prop::collection::vec((any::<u16>(), 0..8usize), 1..4).prop_map(Content::Mx),
        (0..8usize).prop_map(Content::Cname),
        Just(Content::Fail),
        Just(Content::Empty),
    ]
}

fn host(i: usize) -> Name {
    format!("h{i}.example").parse().expect("valid")
}

fn build(contents: &[Content]) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    for (i, c) in contents.iter().enumerate() {
        let name = host(i);
        match c {
            Content::Txt(records) => {
                for r in records {
                    zone.add_txt(name.clone(), &[r]);
                }
            }
            Content::A(addrs) => {
                for a in addrs {
                    zone.add_a(name.clone(), Ipv4Addr::from(*a));
                }
            }
            Content::Mx(mxs) => {
                for (pref, target) in mxs {
                    zone.add_mx(name.clone(), *pref, host(*target));
                }
            }
            Content::Cname(target) => {
                zone.add_cname(name, host(*target));
            }
            Content::Fail => {
                zone.fail(name, FailureKind::ServerFailure);
            }
            Content::Empty => {
                zone.add_name(name);
            }
        }
    }
    zone
}

/// Every lookup type on one name, as comparable text (errors by kind).
async fn all_answers<R: Resolver>(resolver: &R, name: &Name) -> String {
    let ip = std::net::IpAddr::from([192, 0, 2, 1]);
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        resolver.txt(name).await.map_err(|e| e.kind()),
        resolver.a(name).await.map_err(|e| e.kind()),
        resolver.aaaa(name).await.map_err(|e| e.kind()),
        resolver.mx(name).await.map_err(|e| e.kind()),
        resolver.ptr(ip).await.map_err(|e| e.kind()),
    )
}

proptest! {
    #[test]
    fn cache_returns_exactly_what_the_inner_resolver_returned(
        contents in prop::collection::vec(content(), 1..8),
        queries in prop::collection::vec(0..10usize, 1..40),
        capacity in 1..6usize,
    ) {
        let zone = build(&contents);
        // A frozen clock: TTLs cannot run down, so cached answers must equal fresh ones.
        let frozen = Instant::now();
        let cache = CachingResolver::with_clock(
            &zone,
            CacheConfig::with_capacity(NonZeroUsize::new(capacity).expect("non-zero")),
            move || frozen,
        );
        block_on(async {
            for &q in &queries {
                let name = host(q);
                let direct = all_answers(&zone, &name).await;
                let cached = all_answers(&cache, &name).await;
                prop_assert_eq!(&direct, &cached);
                // and again, now certainly from the cache where it fits
                prop_assert_eq!(&direct, &all_answers(&cache, &name).await);
            }
            prop_assert!(cache.len() <= capacity);
            Ok(())
        })?;
    }

    #[test]
    fn budget_stops_exactly_at_its_limit(limit in 0..20usize, attempts in 0..40usize) {
        let zone = ZoneResolver::new();
        let budget = QueryBudget::new(&zone, limit);
        let name = host(0);
        block_on(async {
            let mut allowed = 0;
            for _ in 0..attempts {
                match budget.a(&name).await {
                    Ok(answer) => {
                        prop_assert!(answer.is_nx_domain());
                        allowed += 1;
                    }
                    Err(e) => prop_assert_eq!(e.kind(), FailureKind::BudgetExhausted),
                }
            }
            prop_assert_eq!(allowed, attempts.min(limit));
            prop_assert_eq!(budget.queries_made(), attempts.min(limit));
            prop_assert_eq!(budget.remaining(), limit - attempts.min(limit));
            Ok(())
        })?;
    }

    #[test]
    fn names_normalize_idempotently(text in "[a-zA-Z0-9_-]{1,20}(\\.[a-zA-Z0-9_-]{1,20}){0,4}\\.?") {
        let first = Name::new(&text).expect("generated names are valid");
        let again = Name::new(first.as_str()).expect("normalized names stay valid");
        prop_assert_eq!(&first, &again);
        prop_assert_eq!(first.as_str(), text.trim_end_matches('.').to_ascii_lowercase());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Name::from_bytes(&bytes);
    }
}
