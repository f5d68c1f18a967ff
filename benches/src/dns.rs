//! The scenarios' DNS records, loaded into each side's resolver.

use std::net::Ipv4Addr;

use mailproof_dns::{Name, ZoneResolver};

use crate::fixtures::DnsData;

/// A name from the fixtures, which are all valid.
///
/// # Panics
/// On an invalid name in the fixtures (a bug in this crate).
pub fn name(text: &str) -> Name {
    match Name::new(text) {
        Ok(name) => name,
        Err(error) => panic!("fixture name {text:?}: {error}"),
    }
}

/// Our in-memory resolver holding `data` (names not listed are NXDOMAIN).
pub fn zone_resolver(data: &DnsData) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    for (owner, text) in data.txt {
        zone.add_txt(name(owner), &[text]);
    }
    for (owner, octets) in data.a {
        zone.add_a(name(owner), Ipv4Addr::from(*octets));
    }
    for (owner, preference, exchange) in data.mx {
        zone.add_mx(name(owner), *preference, name(exchange));
    }
    zone
}

/// mail-auth 0.15 with its caches filled from the same records (feature `compare`).
#[cfg(feature = "compare")]
pub mod peer {
    use std::borrow::Borrow;
    use std::collections::HashMap;
    use std::hash::Hash;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    use mail_auth::dns::TxtRecordParser;
    use mail_auth::hickory_resolver::config::{
        ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
    };
    use mail_auth::hickory_resolver::proto::op::ResponseCode;
    use mail_auth::{
        DnsCache, DnsError, DnssecStatus, Error, MessageAuthenticator, Mx, Negative, RecordSet,
        ResolverCache, TxtRecord,
    };

    use crate::fixtures::DnsData;

    /// One cache per record type, as mail-auth's `DnsCache` docs show it: a `HashMap` behind
    /// a `Mutex`, entries checked against `Instant::now()` on every hit (our
    /// `CachingResolver` is an LRU behind a `Mutex` that reads the clock the same way).
    ///
    /// Every miss is counted: mail-auth turns a miss into a real DNS query, so the benches
    /// assert that [`MapCache::misses`] stays 0.
    pub struct MapCache<K, V> {
        map: Mutex<HashMap<K, (V, Instant)>>,
        misses: AtomicUsize,
    }

    impl<K, V> Default for MapCache<K, V> {
        fn default() -> Self {
            MapCache {
                map: Mutex::new(HashMap::new()),
                misses: AtomicUsize::new(0),
            }
        }
    }

    impl<K, V> MapCache<K, V> {
        /// Lookups that found nothing (and so went to mail-auth's resolver).
        pub fn misses(&self) -> usize {
            self.misses.load(Ordering::Relaxed)
        }
    }

    impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for MapCache<K, V> {
        fn get<Q>(&self, name: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            let hit = map
                .get(name)
                .filter(|(_, expires)| *expires > Instant::now())
                .map(|(value, _)| value.clone());
            if hit.is_none() {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            hit
        }

        fn remove<Q>(&self, name: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.remove(name).map(|(value, _)| value)
        }

        fn insert(&self, key: K, value: V, valid_until: Instant) {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.insert(key, (value, valid_until));
        }
    }

    type Answer<T> = Result<RecordSet<T>, Negative>;

    /// mail-auth's five caches.
    #[derive(Default)]
    pub struct Caches {
        txt: MapCache<Box<str>, TxtRecord>,
        mx: MapCache<Box<str>, Answer<Mx>>,
        ipv4: MapCache<Box<str>, Answer<Ipv4Addr>>,
        ipv6: MapCache<Box<str>, Answer<Ipv6Addr>>,
        ptr: MapCache<IpAddr, Answer<Box<str>>>,
    }

    impl DnsCache for Caches {
        type Txt = MapCache<Box<str>, TxtRecord>;
        type Mx = MapCache<Box<str>, Answer<Mx>>;
        type Ipv4 = MapCache<Box<str>, Answer<Ipv4Addr>>;
        type Ipv6 = MapCache<Box<str>, Answer<Ipv6Addr>>;
        type Ptr = MapCache<IpAddr, Answer<Box<str>>>;

        fn txt(&self) -> Option<&Self::Txt> {
            Some(&self.txt)
        }
        fn mx(&self) -> Option<&Self::Mx> {
            Some(&self.mx)
        }
        fn ipv4(&self) -> Option<&Self::Ipv4> {
            Some(&self.ipv4)
        }
        fn ipv6(&self) -> Option<&Self::Ipv6> {
            Some(&self.ipv6)
        }
        fn ptr(&self) -> Option<&Self::Ptr> {
            Some(&self.ptr)
        }
    }

    impl Caches {
        /// Misses in all five caches together.
        pub fn misses(&self) -> usize {
            self.txt.misses()
                + self.mx.misses()
                + self.ipv4.misses()
                + self.ipv6.misses()
                + self.ptr.misses()
        }

        /// Caches holding `data`: TXT records already parsed as `T` (mail-auth caches parsed
        /// records, keyed by the lower-case name with a trailing dot), A and MX answers, and
        /// an NXDOMAIN entry for each of `data.nxdomain_txt`.
        ///
        /// # Panics
        /// When a fixture TXT record at a name does not parse as `T` and no other record
        /// at that name does.
        pub fn filled<T>(data: &DnsData) -> Caches
        where
            T: TxtRecordParser + Into<TxtRecord>,
        {
            let caches = Caches::default();
            // Far beyond any bench run; our side keeps its answers for their 300 s TTL and
            // the benches re-warm it per bench function.
            let until = Instant::now() + Duration::from_secs(86_400);
            let fqdn = |name: &str| format!("{}.", name.to_ascii_lowercase()).into_boxed_str();
            let mut owners: Vec<&str> = data.txt.iter().map(|(owner, _)| *owner).collect();
            owners.dedup();
            for owner in owners {
                let records: Vec<Vec<u8>> = data
                    .txt
                    .iter()
                    .filter(|(o, _)| *o == owner)
                    .map(|(_, text)| text.as_bytes().to_vec())
                    .collect();
                let Ok(record) = T::parse_records(&records) else {
                    // Not a record of this scenario's type (an SPF record in the DMARC
                    // zone, say): leave it out, as a lookup of type `T` never asks for it.
                    continue;
                };
                caches.txt.insert(fqdn(owner), record.into(), until);
            }
            for name in data.nxdomain_txt {
                let nx = Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain));
                caches.txt.insert(fqdn(name), TxtRecord::Error(nx), until);
            }
            for (owner, octets) in data.a {
                let set = RecordSet {
                    records: Arc::from([Ipv4Addr::from(*octets)]),
                    dnssec_status: DnssecStatus::Indeterminate,
                };
                caches.ipv4.insert(fqdn(owner), Ok(set), until);
            }
            for (owner, preference, exchange) in data.mx {
                let set = RecordSet {
                    records: Arc::from([Mx {
                        exchanges: Box::from([fqdn(exchange)]),
                        preference: *preference,
                    }]),
                    dnssec_status: DnssecStatus::Indeterminate,
                };
                caches.mx.insert(fqdn(owner), Ok(set), until);
            }
            caches
        }
    }

    impl Caches {
        /// Adds one TXT answer (a parsed record, or an error such as NXDOMAIN) at `name`, kept
        /// as long as the answers of [`Caches::filled`]: for benches whose scenario mixes
        /// record types (SPF, DKIM keys, DMARC) in one cache.
        pub fn insert_txt(&self, name: &str, record: TxtRecord) {
            let until = Instant::now() + Duration::from_secs(86_400);
            let key = format!("{}.", name.to_ascii_lowercase()).into_boxed_str();
            self.txt.insert(key, record, until);
        }
    }

    /// A `MessageAuthenticator` whose resolver can only reach 127.0.0.1 port 9 (discard,
    /// normally closed) with a 200 ms timeout: should a cache ever miss, the query fails
    /// locally and fast instead of leaving the machine. Call inside a tokio runtime context.
    ///
    /// # Panics
    /// If hickory cannot build the resolver.
    pub fn authenticator() -> MessageAuthenticator {
        let mut connection = ConnectionConfig::udp();
        connection.port = 9;
        let server = NameServerConfig::new(Ipv4Addr::LOCALHOST.into(), true, vec![connection]);
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_millis(200);
        options.attempts = 1;
        match MessageAuthenticator::new(ResolverConfig::from_name_servers(vec![server]), options) {
            Ok(authenticator) => authenticator,
            Err(error) => panic!("mail-auth resolver: {error}"),
        }
    }
}
