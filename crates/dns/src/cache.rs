//! A TTL-respecting, size-bounded answer cache shared across threads.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::{Answer, LookupError, Mx, Name, RecordType, Resolver, Txt};

/// Limits of a [`CachingResolver`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Most answers kept; the least recently used goes first.
    pub capacity: NonZeroUsize,
    /// Longest time an answer with records is kept, whatever its TTL says.
    pub max_ttl: Duration,
    /// Longest time a NODATA or NXDOMAIN answer is kept (RFC 2308 §5 suggests hours at most).
    pub max_negative_ttl: Duration,
}

impl Default for CacheConfig {
    /// 10 000 answers, one day for records, one hour for negative answers.
    fn default() -> Self {
        CacheConfig {
            capacity: NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            max_ttl: Duration::from_secs(86_400),
            max_negative_ttl: Duration::from_secs(3_600),
        }
    }
}

impl CacheConfig {
    /// The default limits with another capacity.
    pub fn with_capacity(capacity: NonZeroUsize) -> CacheConfig {
        CacheConfig {
            capacity,
            ..CacheConfig::default()
        }
    }
}

#[derive(Clone)]
enum Cached {
    Txt(Answer<Txt>),
    A(Answer<Ipv4Addr>),
    Aaaa(Answer<Ipv6Addr>),
    Mx(Answer<Mx>),
    Ptr(Answer<Name>),
}

/// Times are [`Stamp`]s: durations since an origin of the clock in use.
struct Entry {
    answer: Cached,
    stored_at: Stamp,
    /// How long the entry lives: `expires_at - stored_at`.
    keep: Duration,
    expires_at: Stamp,
}

/// A moment as the time since the origin of the cache's clock: the coarse monotonic clock's
/// own origin (boot, on Linux), or for a test clock [`TEST_ORIGIN`] plus its distance from
/// the instant the cache was built (exact to the nanosecond, before or after).
type Stamp = Duration;

/// Where a test clock's stamps are placed: far enough from zero (136 years) that a test clock
/// going back before the cache was built still gets a stamp of its own.
const TEST_ORIGIN: Duration = Duration::from_secs(1 << 32);

/// A test clock and the instant that maps to [`TEST_ORIGIN`].
struct TestClock {
    clock: Box<dyn Fn() -> Instant + Send + Sync>,
    origin: Instant,
}

impl TestClock {
    fn now(&self) -> Stamp {
        let now = (self.clock)();
        match now.checked_duration_since(self.origin) {
            Some(after) => TEST_ORIGIN.saturating_add(after),
            None => TEST_ORIGIN.saturating_sub(self.origin.duration_since(now)),
        }
    }
}

/// The coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux, read through the vDSO
/// without a system call): a few nanoseconds a read whatever the clocksource, where a precise
/// `Instant::now` can cost 20–60 ns (more in some VMs), and the cache reads the clock on every
/// lookup. Its resolution is the kernel tick, 1–10 ms: TTLs count whole seconds, so an answer
/// lives at most one tick longer or shorter than its TTL, well within what resolvers do
/// (the TTL an answer reports is rounded down to the second anyway).
fn coarse_now() -> Stamp {
    // `now_without_cache_update`: the crate's `now` also stores into a process-wide atomic
    // (for its `recent()`), a cache line every thread would write.
    let ticks = coarsetime::Instant::now_without_cache_update().as_ticks();
    coarsetime::Duration::from_ticks(ticks).into()
}

/// What an answer is cached under, as bytes: a tag for the record type, then the name
/// asked for — or for PTR a tag and the address, whose reverse name is a function of it, so
/// none needs to be built. Names are at most 253 octets, so a key fits in [`MAX_KEY_LEN`].
///
/// The map stores `Box<[u8]>` and is searched with a `&[u8]` built on the stack: a lookup copies the name (no allocation, no clone of the shared name), hashes
/// and compares plain bytes.
type Key = Box<[u8]>;

/// The longest key: a tag and a name of 253 octets.
const MAX_KEY_LEN: usize = 1 + 253;

/// A key's tag for the type looked up; PTR keys hold an address instead of a name.
fn name_tag(record_type: RecordType) -> u8 {
    match record_type {
        RecordType::A => 0,
        RecordType::Aaaa => 1,
        RecordType::Mx => 2,
        RecordType::Ptr => 3,
        RecordType::Txt => 4,
    }
}

/// The tag and address bytes of a PTR key.
fn ptr_key(ip: IpAddr) -> (u8, [u8; 16], usize) {
    match ip {
        IpAddr::V4(v4) => {
            let mut octets = [0; 16];
            octets[..4].copy_from_slice(&v4.octets());
            (5, octets, 4)
        }
        IpAddr::V6(v6) => (6, v6.octets(), 16),
    }
}

/// Writes the key `tag` + `text` into `buffer`; returns it as a slice.
fn key_in<'b>(buffer: &'b mut [u8; MAX_KEY_LEN], tag: u8, text: &[u8]) -> &'b [u8] {
    // A `Name` is at most 253 octets; `min` only keeps this free of panics.
    let len = text.len().min(MAX_KEY_LEN - 1);
    buffer[0] = tag;
    buffer[1..=len].copy_from_slice(&text[..len]);
    &buffer[..=len]
}

/// The owned key `tag` + `text`, for storing.
fn owned_key(tag: u8, text: &[u8]) -> Key {
    let mut key = Vec::with_capacity(1 + text.len());
    key.push(tag);
    key.extend_from_slice(text);
    key.into_boxed_slice()
}

/// Keeps answers of the inner resolver for as long as their TTL allows, bounded in number.
///
/// Records, NODATA and NXDOMAIN answers are cached (RFC 2308 negative caching); failures
/// never are, and an answer with TTL 0 is not kept. A cached answer comes back with its TTL
/// lowered by the time it has spent in the cache. Clones share one cache, so build one per
/// process and hand clones (or references) to every task and thread.
///
/// Two lookups of the same uncached name at the same moment both reach the inner resolver.
///
/// Time is read once per lookup from the coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on
/// Linux): a read costs a few nanoseconds instead of a precise clock's tens, and its
/// resolution, the kernel tick of 1–10 ms, is far below the one second TTLs are counted in.
/// [`CachingResolver::with_clock`] replaces it.
///
/// # Example
/// ```
/// use mailproof_dns::{CacheConfig, CachingResolver, Name, Resolver, ZoneResolver};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut zone = ZoneResolver::new();
/// let name: Name = "example.com".parse()?;
/// zone.add_txt(name.clone(), &["v=spf1 -all"]);
/// let cache = CachingResolver::new(zone, CacheConfig::default());
/// let first = cache.txt(&name).await.unwrap();
/// let second = cache.txt(&name).await.unwrap(); // served from memory
/// assert_eq!(first.records(), second.records());
/// assert_eq!(cache.len(), 1);
/// # Ok::<(), mailproof_dns::NameError>(())
/// # })?;
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Clone)]
pub struct CachingResolver<R> {
    inner: R,
    config: CacheConfig,
    entries: Arc<Mutex<LruCache<Key, Entry>>>,
    /// `None`: the coarse monotonic clock ([`coarse_now`]), called directly.
    clock: Option<Arc<TestClock>>,
}

impl<R> fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("config", &self.config)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<R: Resolver> CachingResolver<R> {
    /// Caches the answers of `inner` within `config`'s limits.
    pub fn new(inner: R, config: CacheConfig) -> CachingResolver<R> {
        CachingResolver {
            inner,
            config,
            entries: Arc::new(Mutex::new(LruCache::new(config.capacity))),
            clock: None,
        }
    }

    /// Like [`CachingResolver::new`] with another source of the current time, so tests can
    /// let TTLs run out without waiting. This clock is used as it is, to the nanosecond (the
    /// default clock is the coarse one, see [`CachingResolver`]).
    pub fn with_clock(
        inner: R,
        config: CacheConfig,
        clock: impl Fn() -> Instant + Send + Sync + 'static,
    ) -> CachingResolver<R> {
        CachingResolver {
            inner,
            config,
            entries: Arc::new(Mutex::new(LruCache::new(config.capacity))),
            clock: Some(Arc::new(TestClock {
                clock: Box::new(clock),
                origin: Instant::now(),
            })),
        }
    }
}

impl<R> CachingResolver<R> {
    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// Answers held now, expired ones included until they are looked up or pushed out.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached answer.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Key, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written (each operation
        // is one LruCache call), so a poisoned cache is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Stamp {
        match &self.clock {
            None => coarse_now(),
            Some(clock) => clock.now(),
        }
    }

    /// The cached answer for `key`, its TTL counted down; one clock read, no allocation.
    fn get(&self, tag: u8, text: &[u8]) -> Option<Cached> {
        let mut buffer = [0; MAX_KEY_LEN];
        let key = key_in(&mut buffer, tag, text);
        let now = self.now();
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        // The entry expires at `stored_at + keep`; while time has not gone backwards (it
        // cannot with the monotonic clock, a test clock may), one subtraction gives both the
        // time spent and the time left.
        let times = match now.checked_sub(entry.stored_at) {
            Some(elapsed) => entry
                .keep
                .checked_sub(elapsed)
                .filter(|remaining| !remaining.is_zero())
                .map(|remaining| (remaining.as_secs(), elapsed.as_secs())),
            None => Some((entry.expires_at.saturating_sub(now).as_secs(), 0)),
        };
        let Some((remaining, elapsed)) = times else {
            entries.pop(key);
            return None;
        };
        let answer = entry.answer.clone();
        drop(entries);
        // Report the TTL left, rounded so that it never exceeds the original.
        let lower = |ttl: u32| -> u32 {
            let left = u64::from(ttl).saturating_sub(elapsed).min(remaining.max(1));
            u32::try_from(left).unwrap_or(ttl)
        };
        Some(match answer {
            Cached::Txt(a) => Cached::Txt(lowered(a, lower)),
            Cached::A(a) => Cached::A(lowered(a, lower)),
            Cached::Aaaa(a) => Cached::Aaaa(lowered(a, lower)),
            Cached::Mx(a) => Cached::Mx(lowered(a, lower)),
            Cached::Ptr(a) => Cached::Ptr(lowered(a, lower)),
        })
    }

    fn put<T>(&self, key: Key, answer: &Answer<T>, wrap: impl FnOnce() -> Cached) {
        let limit = if answer.is_void() {
            self.config.max_negative_ttl
        } else {
            self.config.max_ttl
        };
        let keep = Duration::from_secs(answer.ttl_seconds().into()).min(limit);
        if keep.is_zero() {
            return;
        }
        let now = self.now();
        let entry = Entry {
            answer: wrap(),
            stored_at: now,
            keep,
            expires_at: now.saturating_add(keep),
        };
        self.lock().put(key, entry);
    }
}

/// `answer` with its TTL replaced by `lower(ttl)`.
fn lowered<T>(answer: Answer<T>, lower: impl Fn(u32) -> u32) -> Answer<T> {
    let ttl = lower(answer.ttl_seconds());
    answer.with_ttl(ttl)
}

macro_rules! cached_lookup {
    ($self:ident, $tag:expr, $text:expr, $variant:ident, $lookup:expr) => {{
        if let Some(Cached::$variant(answer)) = $self.get($tag, $text) {
            return Ok(answer);
        }
        let answer = $lookup.await?;
        // Only a miss makes an owned key.
        $self.put(owned_key($tag, $text), &answer, || {
            Cached::$variant(answer.clone())
        });
        Ok(answer)
    }};
}

impl<R: Resolver> Resolver for CachingResolver<R> {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        cached_lookup!(
            self,
            name_tag(RecordType::Txt),
            name.as_str().as_bytes(),
            Txt,
            self.inner.txt(name)
        )
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        cached_lookup!(
            self,
            name_tag(RecordType::A),
            name.as_str().as_bytes(),
            A,
            self.inner.a(name)
        )
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        cached_lookup!(
            self,
            name_tag(RecordType::Aaaa),
            name.as_str().as_bytes(),
            Aaaa,
            self.inner.aaaa(name)
        )
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        cached_lookup!(
            self,
            name_tag(RecordType::Mx),
            name.as_str().as_bytes(),
            Mx,
            self.inner.mx(name)
        )
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        let (tag, octets, len) = ptr_key(ip);
        cached_lookup!(self, tag, &octets[..len], Ptr, self.inner.ptr(ip))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::{FailureKind, ZoneResolver};

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A clock the test moves by hand.
    fn manual_clock() -> (Arc<AtomicU64>, impl Fn() -> Instant + Send + Sync + 'static) {
        let start = Instant::now();
        let offset = Arc::new(AtomicU64::new(0));
        let handle = Arc::clone(&offset);
        (offset, move || {
            start + Duration::from_secs(handle.load(Ordering::SeqCst))
        })
    }

    #[test]
    fn expires_with_ttl_and_counts_down() {
        let name: Name = "example.com".parse().unwrap();
        let mut zone = ZoneResolver::new();
        zone.add_txt(name.clone(), &["x"]);
        let (offset, clock) = manual_clock();
        let cache = CachingResolver::with_clock(zone, CacheConfig::default(), clock);
        block_on(async {
            assert_eq!(cache.txt(&name).await.unwrap().ttl_seconds(), 300);
            offset.store(100, Ordering::SeqCst);
            assert_eq!(cache.txt(&name).await.unwrap().ttl_seconds(), 200);
            offset.store(300, Ordering::SeqCst);
            // expired: fetched again with the full TTL
            assert_eq!(cache.txt(&name).await.unwrap().ttl_seconds(), 300);
        });
    }

    /// One name under every type, and PTR answers of an IPv4 and an IPv6 address whose
    /// octets begin alike: each lookup keeps its own cached answer.
    #[test]
    fn keys_of_types_and_addresses_stay_apart() {
        let name: Name = "example.com".parse().unwrap();
        let v4: IpAddr = "1.2.3.4".parse().unwrap();
        let v6: IpAddr = "102:304::".parse().unwrap();
        let mut zone = ZoneResolver::new();
        zone.add_txt(name.clone(), &["text"]);
        zone.add_a(name.clone(), "192.0.2.1".parse().unwrap());
        zone.add_aaaa(name.clone(), "2001:db8::1".parse().unwrap());
        zone.add_mx(name.clone(), 10, "mx.example.com".parse().unwrap());
        zone.add_ptr(Name::reverse(v4), "four.example".parse().unwrap());
        zone.add_ptr(Name::reverse(v6), "six.example".parse().unwrap());
        // A frozen clock: cached TTLs do not count down.
        let frozen = Instant::now();
        let cache = CachingResolver::with_clock(&zone, CacheConfig::default(), move || frozen);
        block_on(async {
            for _ in 0..2 {
                assert_eq!(
                    cache.txt(&name).await.unwrap(),
                    zone.txt(&name).await.unwrap()
                );
                assert_eq!(cache.a(&name).await.unwrap(), zone.a(&name).await.unwrap());
                assert_eq!(
                    cache.aaaa(&name).await.unwrap(),
                    zone.aaaa(&name).await.unwrap()
                );
                assert_eq!(
                    cache.mx(&name).await.unwrap(),
                    zone.mx(&name).await.unwrap()
                );
                assert_eq!(cache.ptr(v4).await.unwrap(), zone.ptr(v4).await.unwrap());
                assert_eq!(cache.ptr(v6).await.unwrap(), zone.ptr(v6).await.unwrap());
            }
        });
        assert_eq!(cache.len(), 6);
    }

    #[test]
    fn failures_are_not_cached_and_capacity_is_bounded() {
        let mut zone = ZoneResolver::new();
        let slow: Name = "slow.example".parse().unwrap();
        zone.fail(slow.clone(), FailureKind::Timeout);
        let cache = CachingResolver::new(
            zone,
            CacheConfig::with_capacity(NonZeroUsize::new(2).unwrap()),
        );
        block_on(async {
            assert!(cache.txt(&slow).await.is_err());
            assert!(cache.is_empty());
            for n in ["a.example", "b.example", "c.example"] {
                let name: Name = n.parse().unwrap();
                assert!(cache.txt(&name).await.unwrap().is_nx_domain());
            }
            assert_eq!(cache.len(), 2);
        });
    }
}

#[cfg(test)]
mod ttl_properties {
    use std::sync::atomic::{AtomicU64, Ordering};

    use proptest::prelude::*;

    use super::*;
    use crate::ZoneResolver;

    /// The TTL arithmetic as first written (two subtractions from `stored_at` and
    /// `expires_at`): `None` when the entry has expired, else the TTL reported for `ttl`.
    fn reference(now: Instant, stored_at: Instant, expires_at: Instant, ttl: u32) -> Option<u32> {
        if now >= expires_at {
            return None;
        }
        let remaining = expires_at.saturating_duration_since(now).as_secs();
        let elapsed = now.saturating_duration_since(stored_at).as_secs();
        let left = u64::from(ttl).saturating_sub(elapsed).min(remaining.max(1));
        Some(u32::try_from(left).unwrap_or(ttl))
    }

    proptest! {
        /// Lookups at arbitrary moments, the clock going back and forth (a test clock may):
        /// every answer's TTL, and when it is fetched again, match the reference model.
        #[test]
        fn ttl_count_down_matches_the_reference(
            moments in prop::collection::vec(0..700_000u64, 1..30),
            max_ttl_ms in 1..400_000u64,
        ) {
            let name: Name = "example.com".parse().unwrap();
            let mut zone = ZoneResolver::new();
            zone.add_txt(name.clone(), &["x"]);
            let base = Instant::now();
            let millis = Arc::new(AtomicU64::new(0));
            let handle = Arc::clone(&millis);
            let config = CacheConfig {
                max_ttl: Duration::from_millis(max_ttl_ms),
                ..CacheConfig::default()
            };
            let keep = Duration::from_secs(300).min(config.max_ttl);
            let cache = CachingResolver::with_clock(zone, config, move || {
                base + Duration::from_millis(handle.load(Ordering::SeqCst))
            });
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let mut stored: Option<(Instant, Instant)> = None;
            for moment in moments {
                millis.store(moment, Ordering::SeqCst);
                let now = base + Duration::from_millis(moment);
                let cached = stored.and_then(|(at, until)| reference(now, at, until, 300));
                let expected = cached.unwrap_or_else(|| {
                    stored = Some((now, now + keep));
                    300
                });
                let answer = runtime.block_on(cache.txt(&name)).unwrap();
                prop_assert_eq!(answer.ttl_seconds(), expected, "at {} ms", moment);
            }
        }
    }
}
