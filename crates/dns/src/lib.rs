//! The DNS layer of mailproof: one small resolver trait, typed answers, and the wrappers and
//! test resolver the protocol crates are built and tested on.
//!
//! SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 9989) need five lookups — TXT, A, AAAA, MX
//! and PTR — and they need to tell three outcomes apart exactly:
//!
//! | outcome | value | why it matters |
//! |---|---|---|
//! | records | [`Answer::Records`] | |
//! | the name exists, no records of that type (NODATA) | [`Answer::NoRecords`] | an SPF *void lookup* (RFC 7208 §4.6.4) |
//! | the name does not exist (NXDOMAIN) | [`Answer::NxDomain`] | also void for SPF; DMARC's `np=` (RFC 9989) |
//! | anything else: timeout, SERVFAIL, REFUSED, network | `Err(`[`LookupError`]`)` | SPF/DKIM/DMARC *temperror* |
//!
//! TXT records arrive as bytes, each record's character-strings joined with nothing between
//! them (RFC 7208 §3.3); several records at one name stay separate. No lossy UTF-8 anywhere.
//!
//! # Where I/O happens
//! Nowhere in this crate. [`Resolver`] is implemented over the network by
//! `mailproof-dns-hickory`; here live the in-memory [`ZoneResolver`] for tests and offline
//! checks, and wrappers that implement the same trait around any resolver:
//! [`CachingResolver`] (TTL-respecting, size-bounded, shared across threads), [`QueryBudget`]
//! (a per-evaluation query limit) and, with the `tokio` feature, [`Timeout`].
//!
//! # Example
//! ```
//! use mailproof_dns::{Answer, Name, Resolver, ZoneResolver};
//!
//! let mut zone = ZoneResolver::new();
//! let name: Name = "example.com".parse()?;
//! zone.add_txt(name.clone(), &[&b"v=spf1 "[..], b"-all"]);
//!
//! # tokio_test_block_on(async {
//! match zone.txt(&name).await {
//!     Ok(Answer::Records { records, .. }) => assert_eq!(records[0].as_bytes(), b"v=spf1 -all"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! let missing: Name = "nope.example.com".parse()?;
//! assert!(matches!(zone.txt(&missing).await, Ok(Answer::NxDomain { .. })));
//! # Ok::<(), mailproof_dns::NameError>(())
//! # })?;
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! # Ok::<(), mailproof_dns::NameError>(())
//! ```
//!
//! # Crate features
//! - `tokio` (default): [`Timeout`], which bounds each lookup with tokio's timer.
//! - `zone-file` (default): [`ZoneResolver::load_zone_file`], reading RFC 1035 master files with
//!   NLnet Labs' `domain` parser.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod budget;
mod cache;
mod error;
mod name;
#[cfg(feature = "tokio")]
mod timeout;
mod zone;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

pub use budget::QueryBudget;
pub use cache::{CacheConfig, CachingResolver};
pub use error::{FailureKind, LookupError};
pub use name::{Name, NameError};
#[cfg(feature = "tokio")]
pub use timeout::Timeout;
#[cfg(feature = "zone-file")]
pub use zone::ZoneFileError;
pub use zone::ZoneResolver;

/// The five lookups mail authentication needs.
///
/// Each method returns a `Send` future, so implementors can write `async fn` and callers can
/// spawn the lookups on a multi-threaded runtime. Protocol crates take a generic
/// `R: Resolver`; `&R`, `Arc<R>` and `Box<R>` implement the trait too.
///
/// Implementations must map every DNS outcome onto [`Answer`] or [`LookupError`] as the
/// crate documentation describes, and must return an empty answer as
/// [`Answer::NoRecords`], never as `Records` with no records.
pub trait Resolver: Send + Sync {
    /// TXT records at `name`, each record's character-strings joined.
    fn txt(&self, name: &Name) -> impl Future<Output = Result<Answer<Txt>, LookupError>> + Send;

    /// IPv4 addresses (A records) of `name`.
    fn a(&self, name: &Name) -> impl Future<Output = Result<Answer<Ipv4Addr>, LookupError>> + Send;

    /// IPv6 addresses (AAAA records) of `name`.
    fn aaaa(
        &self,
        name: &Name,
    ) -> impl Future<Output = Result<Answer<Ipv6Addr>, LookupError>> + Send;

    /// Mail exchangers of `name`, sorted by preference (lowest first), then by exchange name.
    fn mx(&self, name: &Name) -> impl Future<Output = Result<Answer<Mx>, LookupError>> + Send;

    /// Names that `ip` points back to (PTR records at [`Name::reverse`]`(ip)`).
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = Result<Answer<Name>, LookupError>> + Send;
}

/// The answer to one lookup: records, or one of the two ways of having none.
///
/// TTLs are in seconds: the smallest TTL of the records (and of any CNAME followed to reach
/// them), or for the negative answers the negative-caching TTL of RFC 2308 §5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// One or more records.
    Records {
        /// The records, in the order received (MX: sorted by preference).
        records: Arc<[T]>,
        /// How long this answer may be cached, in seconds.
        ttl_seconds: u32,
    },
    /// The name exists but has no records of the type asked for (NOERROR with an empty
    /// answer, "NODATA").
    NoRecords {
        /// How long this answer may be cached, in seconds.
        ttl_seconds: u32,
    },
    /// The name does not exist (RCODE 3, NXDOMAIN).
    NxDomain {
        /// How long this answer may be cached, in seconds.
        ttl_seconds: u32,
    },
}

impl<T> Answer<T> {
    /// `Records` when `records` is non-empty, `NoRecords` otherwise, so an empty list can
    /// never pose as an answer with records.
    pub fn from_records(records: Vec<T>, ttl_seconds: u32) -> Answer<T> {
        if records.is_empty() {
            Answer::NoRecords { ttl_seconds }
        } else {
            Answer::Records {
                records: records.into(),
                ttl_seconds,
            }
        }
    }

    /// The records; empty for the negative answers.
    pub fn records(&self) -> &[T] {
        match self {
            Answer::Records { records, .. } => records,
            Answer::NoRecords { .. } | Answer::NxDomain { .. } => &[],
        }
    }

    /// True for the two answers without records, which RFC 7208 §4.6.4 calls void lookups.
    pub fn is_void(&self) -> bool {
        !matches!(self, Answer::Records { .. })
    }

    /// True when the name does not exist.
    pub fn is_nx_domain(&self) -> bool {
        matches!(self, Answer::NxDomain { .. })
    }

    /// How long the answer may be cached, in seconds.
    pub fn ttl_seconds(&self) -> u32 {
        match self {
            Answer::Records { ttl_seconds, .. }
            | Answer::NoRecords { ttl_seconds }
            | Answer::NxDomain { ttl_seconds } => *ttl_seconds,
        }
    }

    /// The same answer with its TTL replaced.
    #[must_use]
    pub fn with_ttl(self, ttl_seconds: u32) -> Answer<T> {
        match self {
            Answer::Records { records, .. } => Answer::Records {
                records,
                ttl_seconds,
            },
            Answer::NoRecords { .. } => Answer::NoRecords { ttl_seconds },
            Answer::NxDomain { .. } => Answer::NxDomain { ttl_seconds },
        }
    }
}

/// One TXT record: its character-strings joined with nothing between them (RFC 7208 §3.3).
///
/// The bytes are kept exactly; SPF, DKIM and DMARC each decide what non-ASCII means.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Txt(Box<[u8]>);

impl Txt {
    /// A record from its already-joined bytes.
    pub fn new(bytes: impl Into<Box<[u8]>>) -> Txt {
        Txt(bytes.into())
    }

    /// A record from its character-strings, joined with nothing between them.
    pub fn from_strings<'a>(strings: impl IntoIterator<Item = &'a [u8]>) -> Txt {
        Txt(strings.into_iter().flatten().copied().collect())
    }

    /// The record's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Txt {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Txt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Txt(\"{}\")", self.0.escape_ascii())
    }
}

/// One MX record (RFC 1035 §3.3.9).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mx {
    /// Lower is preferred.
    pub preference: u16,
    /// The mail exchanger's host name.
    pub exchange: Name,
}

impl Answer<Mx> {
    /// The answer with its records in the order [`Resolver::mx`] promises: by preference,
    /// then by exchange name. Implementors of the trait call this on what the DNS returned.
    #[must_use]
    pub fn sorted_by_preference(self) -> Answer<Mx> {
        match self {
            Answer::Records {
                records,
                ttl_seconds,
            } => {
                let mut sorted = records.to_vec();
                sorted.sort();
                Answer::Records {
                    records: sorted.into(),
                    ttl_seconds,
                }
            }
            negative => negative,
        }
    }
}

macro_rules! forward_resolver {
    ($ty:ty) => {
        impl<R: Resolver + ?Sized> Resolver for $ty {
            fn txt(
                &self,
                name: &Name,
            ) -> impl Future<Output = Result<Answer<Txt>, LookupError>> + Send {
                (**self).txt(name)
            }
            fn a(
                &self,
                name: &Name,
            ) -> impl Future<Output = Result<Answer<Ipv4Addr>, LookupError>> + Send {
                (**self).a(name)
            }
            fn aaaa(
                &self,
                name: &Name,
            ) -> impl Future<Output = Result<Answer<Ipv6Addr>, LookupError>> + Send {
                (**self).aaaa(name)
            }
            fn mx(
                &self,
                name: &Name,
            ) -> impl Future<Output = Result<Answer<Mx>, LookupError>> + Send {
                (**self).mx(name)
            }
            fn ptr(
                &self,
                ip: IpAddr,
            ) -> impl Future<Output = Result<Answer<Name>, LookupError>> + Send {
                (**self).ptr(ip)
            }
        }
    };
}
forward_resolver!(&R);
forward_resolver!(Arc<R>);
forward_resolver!(Box<R>);

/// The record types of the trait, for errors, traces and cache keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Mail exchanger.
    Mx,
    /// Reverse pointer.
    Ptr,
    /// Text.
    Txt,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Ptr => "PTR",
            RecordType::Txt => "TXT",
        })
    }
}
