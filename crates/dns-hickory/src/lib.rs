//! [`mailproof_dns::Resolver`] implemented on [hickory-resolver], the resolver mailproof uses
//! on the network.
//!
//! This is the only mailproof crate that opens sockets, and the only one that names hickory:
//! no hickory type appears in its public API, so hickory's changes between releases stay
//! inside it.
//!
//! The resolver reads the system configuration (`/etc/resolv.conf`) by default, or talks to
//! name servers given as `ip:port` (UDP, falling back to TCP for truncated answers). Every
//! query is sent for the fully qualified name, so search domains never apply. DNSSEC
//! validation is not performed.
//!
//! hickory reports "no records" as errors; this crate classifies them exactly:
//!
//! | hickory says | mailproof answer |
//! |---|---|
//! | records | [`Answer::Records`] (CNAMEs followed; MX sorted by preference) |
//! | NOERROR, no records of the type | [`Answer::NoRecords`] |
//! | NXDOMAIN | [`Answer::NxDomain`] |
//! | SERVFAIL / REFUSED / other RCODE | [`LookupError`] with [`FailureKind::ServerFailure`] / [`FailureKind::Refused`] / [`FailureKind::MalformedResponse`] |
//! | timeout | [`FailureKind::Timeout`] |
//! | I/O, connection or "no connections" | [`FailureKind::Network`] |
//!
//! Negative answers carry the negative TTL of RFC 2308 when the server sent an SOA, else 0.
//! hickory answers the special-use names of RFC 6761 itself, without a query: anything under
//! `.invalid` is NXDOMAIN (and `localhost` resolves to loopback), whatever the name servers
//! would say — so tests that need a name outside every served zone must not use `.invalid`.
//! Record targets (MX exchanges, PTR names) that are not valid [`Name`]s — for example a
//! label containing a dot — are left out of the answer: they could not be queried anyway.
//!
//! # Example
//! ```no_run
//! use mailproof_dns::{Name, Resolver};
//! use mailproof_dns_hickory::HickoryResolver;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let resolver = HickoryResolver::with_name_servers(&["127.0.0.1:5353".parse()?])?;
//! let name: Name = "example.com".parse()?;
//! for txt in resolver.txt(&name).await?.records() {
//!     println!("{}", txt.as_bytes().escape_ascii());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [hickory-resolver]: https://docs.rs/hickory-resolver
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType as HickoryType};
use mailproof_dns::{Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt};

/// A [`Resolver`] that queries real name servers through hickory-resolver.
///
/// Cheap to clone (clones share connections and hickory's own cache); build one per process.
/// Lookups must run inside a tokio runtime.
#[derive(Clone)]
pub struct HickoryResolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryResolver").finish_non_exhaustive()
    }
}

/// Settings for [`HickoryResolver::with_options`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// How long to wait for one answer before retrying (default 5 s).
    pub timeout: Duration,
    /// How many times to try each query (default 2).
    pub attempts: usize,
    /// Answers hickory itself keeps (default 1024; 0 turns its cache off). Usually combined
    /// with [`mailproof_dns::CachingResolver`], which caches typed answers.
    pub cache_size: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            attempts: 2,
            cache_size: 1024,
        }
    }
}

/// Why a [`HickoryResolver`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The system configuration (`/etc/resolv.conf`) could not be read or parsed.
    #[error("cannot read the system resolver configuration")]
    SystemConfig(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No name server was given.
    #[error("no name servers given")]
    NoNameServers,
    /// hickory refused the configuration.
    #[error("cannot build the resolver")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A name server address written as `ip:port` (`[v6]:port` for IPv6) or a bare IP, which
/// means port 53.
///
/// ```
/// use mailproof_dns_hickory::NameServerAddr;
/// let addr: NameServerAddr = "127.0.0.1:5353".parse()?;
/// assert_eq!(addr.socket_addr().port(), 5353);
/// assert_eq!("::1".parse::<NameServerAddr>()?.socket_addr().port(), 53);
/// assert!("127.0.0.1:99999".parse::<NameServerAddr>().is_err());
/// # Ok::<(), mailproof_dns_hickory::AddrParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NameServerAddr(SocketAddr);

impl NameServerAddr {
    /// The address as a socket address.
    pub fn socket_addr(self) -> SocketAddr {
        self.0
    }
}

impl From<SocketAddr> for NameServerAddr {
    fn from(addr: SocketAddr) -> Self {
        NameServerAddr(addr)
    }
}

/// Text that is not `ip:port`, `[ipv6]:port` or a bare IP address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid name server address {text:?}: expected ip:port, [ipv6]:port or ip")]
pub struct AddrParseError {
    text: String,
}

impl AddrParseError {
    /// The text that was refused.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl FromStr for NameServerAddr {
    type Err = AddrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(NameServerAddr(addr));
        }
        text.parse::<IpAddr>()
            .map(|ip| NameServerAddr(SocketAddr::new(ip, 53)))
            .map_err(|_| AddrParseError { text: s.to_owned() })
    }
}

impl HickoryResolver {
    /// A resolver using the system configuration (`/etc/resolv.conf` on Unix).
    ///
    /// # Errors
    /// [`Error::SystemConfig`] when the configuration cannot be read.
    pub fn from_system_conf() -> Result<HickoryResolver, Error> {
        let builder =
            TokioResolver::builder_tokio().map_err(|e| Error::SystemConfig(Box::new(e)))?;
        let inner = builder.build().map_err(|e| Error::Build(Box::new(e)))?;
        Ok(HickoryResolver { inner })
    }

    /// A resolver asking the given name servers (UDP with TCP fallback), with default
    /// [`Options`].
    ///
    /// # Errors
    /// [`Error::NoNameServers`] for an empty list.
    pub fn with_name_servers(servers: &[NameServerAddr]) -> Result<HickoryResolver, Error> {
        HickoryResolver::with_options(servers, Options::default())
    }

    /// A resolver asking the given name servers with explicit [`Options`].
    ///
    /// # Errors
    /// [`Error::NoNameServers`] for an empty list; [`Error::Build`] if hickory refuses the
    /// configuration.
    pub fn with_options(
        servers: &[NameServerAddr],
        options: Options,
    ) -> Result<HickoryResolver, Error> {
        if servers.is_empty() {
            return Err(Error::NoNameServers);
        }
        let name_servers = servers
            .iter()
            .map(|server| {
                let addr = server.socket_addr();
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_name_servers(name_servers);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        let opts = builder.options_mut();
        opts.timeout = options.timeout;
        opts.attempts = options.attempts;
        opts.cache_size = options.cache_size;
        opts.edns0 = true;
        opts.ndots = 0;
        let inner = builder.build().map_err(|e| Error::Build(Box::new(e)))?;
        Ok(HickoryResolver { inner })
    }

    async fn query(
        &self,
        name: &Name,
        record_type: RecordType,
    ) -> Result<Answer<RData>, LookupError> {
        let hickory_type = match record_type {
            RecordType::A => HickoryType::A,
            RecordType::Aaaa => HickoryType::AAAA,
            RecordType::Mx => HickoryType::MX,
            RecordType::Ptr => HickoryType::PTR,
            RecordType::Txt => HickoryType::TXT,
        };
        // Raw labels keep every octet our `Name` allows; from_labels makes the name fully
        // qualified, so no search domain is ever appended.
        let query_name =
            hickory_resolver::proto::rr::Name::from_labels(name.labels().map(str::as_bytes))
                .map_err(|e| {
                    LookupError::new(FailureKind::Other, name.clone(), record_type).with_source(e)
                })?;
        match self.inner.lookup(query_name, hickory_type).await {
            Ok(lookup) => Ok(records_of(&lookup, hickory_type)),
            Err(error) => classify(error, name, record_type),
        }
    }
}

/// The records of `wanted` type in a lookup, with the smallest TTL of the whole answer
/// (CNAMEs included).
fn records_of(lookup: &Lookup, wanted: HickoryType) -> Answer<RData> {
    let ttl = lookup.answers().iter().map(|r| r.ttl).min().unwrap_or(0);
    let records: Vec<RData> = lookup
        .answers()
        .iter()
        .filter(|r| r.record_type() == wanted)
        .map(|r| r.data.clone())
        .collect();
    Answer::from_records(records, ttl)
}

fn classify(
    error: NetError,
    name: &Name,
    record_type: RecordType,
) -> Result<Answer<RData>, LookupError> {
    let kind = match &error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => {
            let ttl_seconds = no_records.negative_ttl.unwrap_or(0);
            return match no_records.response_code {
                ResponseCode::NXDomain => Ok(Answer::NxDomain { ttl_seconds }),
                ResponseCode::NoError => Ok(Answer::NoRecords { ttl_seconds }),
                _ => {
                    Err(
                        LookupError::new(FailureKind::MalformedResponse, name.clone(), record_type)
                            .with_source(error),
                    )
                }
            };
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => FailureKind::ServerFailure,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => FailureKind::Refused,
        NetError::Dns(_) | NetError::Proto(_) | NetError::Truncated => {
            FailureKind::MalformedResponse
        }
        NetError::Timeout => FailureKind::Timeout,
        NetError::Io(_) | NetError::NoConnections => FailureKind::Network,
        _ if error.is_connection_closed() => FailureKind::Network,
        _ => FailureKind::Other,
    };
    Err(LookupError::new(kind, name.clone(), record_type).with_source(error))
}

/// Converts a hickory name (an MX exchange or PTR target) into ours, or `None` when it cannot
/// be one.
fn to_name(name: &hickory_resolver::proto::rr::Name) -> Option<Name> {
    let mut text = Vec::with_capacity(64);
    for label in name {
        if label.contains(&b'.') {
            return None;
        }
        if !text.is_empty() {
            text.push(b'.');
        }
        text.extend_from_slice(label);
    }
    Name::from_bytes(&text).ok()
}

/// Applies `convert` to every record, keeping the answer's kind and TTL. An answer whose
/// records all fail to convert becomes `NoRecords`.
fn map_answer<T>(answer: Answer<RData>, convert: impl Fn(&RData) -> Option<T>) -> Answer<T> {
    match answer {
        Answer::Records {
            records,
            ttl_seconds,
        } => Answer::from_records(records.iter().filter_map(convert).collect(), ttl_seconds),
        Answer::NoRecords { ttl_seconds } => Answer::NoRecords { ttl_seconds },
        Answer::NxDomain { ttl_seconds } => Answer::NxDomain { ttl_seconds },
    }
}

impl Resolver for HickoryResolver {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        let answer = self.query(name, RecordType::Txt).await?;
        Ok(map_answer(answer, |data| match data {
            RData::TXT(txt) => Some(Txt::from_strings(txt.txt_data.iter().map(|s| &s[..]))),
            _ => None,
        }))
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        let answer = self.query(name, RecordType::A).await?;
        Ok(map_answer(answer, |data| match data {
            RData::A(a) => Some(a.0),
            _ => None,
        }))
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        let answer = self.query(name, RecordType::Aaaa).await?;
        Ok(map_answer(answer, |data| match data {
            RData::AAAA(aaaa) => Some(aaaa.0),
            _ => None,
        }))
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        let answer = self.query(name, RecordType::Mx).await?;
        let answer = map_answer(answer, |data| match data {
            RData::MX(mx) => Some(Mx {
                preference: mx.preference,
                exchange: to_name(&mx.exchange)?,
            }),
            _ => None,
        });
        Ok(answer.sorted_by_preference())
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        let answer = self.query(&Name::reverse(ip), RecordType::Ptr).await?;
        Ok(map_answer(answer, |data| match data {
            RData::PTR(ptr) => to_name(&ptr.0),
            _ => None,
        }))
    }
}
