//! An in-memory authoritative view of some zones, for tests and offline checks.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt};

/// TTL given to records added without one, and the negative TTL outside any loaded zone.
const DEFAULT_TTL: u32 = 300;
/// How many CNAMEs a lookup follows before it reports [`FailureKind::CnameLoop`].
const MAX_CNAME_CHAIN: usize = 8;

/// A resolver answering from records held in memory.
///
/// Records are added one by one ([`ZoneResolver::add_txt`] and friends) or, with the
/// `zone-file` feature, loaded from RFC 1035 master files. The resolver answers like an
/// authoritative server:
///
/// - a name with records of the asked type gets them ([`Answer::Records`]);
/// - a name that has other records, or has names below it (an "empty non-terminal"), gets
///   [`Answer::NoRecords`];
/// - any other name gets [`Answer::NxDomain`] — unless zones were loaded from files (or
///   declared with [`ZoneResolver::add_zone`]) and the name lies outside all of them: then the
///   query fails with [`FailureKind::Refused`], as a real authoritative server answers (or
///   gets NXDOMAIN after [`ZoneResolver::answer_nxdomain_outside_zones`]);
/// - CNAMEs are followed, up to 8 in a chain; a loop fails with [`FailureKind::CnameLoop`].
///
/// [`ZoneResolver::fail`] makes a name fail with a chosen [`FailureKind`] (a timeout, say)
/// for every type it has no records of, which is how the OpenSPF suite's `TIMEOUT` entries
/// behave. Wildcard owner names (`*.example.com`) are stored literally, not expanded.
///
/// # Example
/// ```
/// use mailproof_dns::{FailureKind, Name, Resolver, ZoneResolver};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut zone = ZoneResolver::new();
/// let name: Name = "slow.example".parse()?;
/// zone.fail(name.clone(), FailureKind::Timeout);
/// let err = zone.txt(&name).await.unwrap_err();
/// assert_eq!(err.kind(), FailureKind::Timeout);
/// # Ok::<(), mailproof_dns::NameError>(())
/// # })?;
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ZoneResolver {
    nodes: HashMap<Name, Node>,
    /// Every proper ancestor of a stored name: these exist as empty non-terminals.
    ancestors: HashSet<Name>,
    /// Zone apexes with their negative-caching TTL; empty means "answer for every name".
    zones: Vec<(Name, u32)>,
    /// Answer NXDOMAIN instead of REFUSED for names outside every declared zone.
    nxdomain_outside_zones: bool,
}

#[derive(Clone, Debug, Default)]
struct Node {
    txt: Vec<(Txt, u32)>,
    a: Vec<(Ipv4Addr, u32)>,
    aaaa: Vec<(Ipv6Addr, u32)>,
    mx: Vec<(Mx, u32)>,
    ptr: Vec<(Name, u32)>,
    cname: Option<(Name, u32)>,
    failure: Option<FailureKind>,
}

impl ZoneResolver {
    /// An empty resolver: every name is NXDOMAIN.
    pub fn new() -> ZoneResolver {
        ZoneResolver::default()
    }

    fn node(&mut self, name: Name) -> &mut Node {
        let mut parent = name.parent();
        while let Some(p) = parent {
            parent = p.parent();
            if !self.ancestors.insert(p) {
                break;
            }
        }
        self.nodes.entry(name).or_default()
    }

    /// Adds a TXT record made of `strings`, joined with nothing between them.
    pub fn add_txt<S: AsRef<[u8]>>(&mut self, name: Name, strings: &[S]) -> &mut Self {
        let txt = Txt::from_strings(strings.iter().map(AsRef::as_ref));
        self.node(name).txt.push((txt, DEFAULT_TTL));
        self
    }

    /// Adds an A record.
    pub fn add_a(&mut self, name: Name, address: Ipv4Addr) -> &mut Self {
        self.node(name).a.push((address, DEFAULT_TTL));
        self
    }

    /// Adds an AAAA record.
    pub fn add_aaaa(&mut self, name: Name, address: Ipv6Addr) -> &mut Self {
        self.node(name).aaaa.push((address, DEFAULT_TTL));
        self
    }

    /// Adds an MX record.
    pub fn add_mx(&mut self, name: Name, preference: u16, exchange: Name) -> &mut Self {
        self.node(name).mx.push((
            Mx {
                preference,
                exchange,
            },
            DEFAULT_TTL,
        ));
        self
    }

    /// Adds a PTR record at `name` (for reverse lookups, `name` is [`Name::reverse`] of the
    /// address).
    pub fn add_ptr(&mut self, name: Name, target: Name) -> &mut Self {
        self.node(name).ptr.push((target, DEFAULT_TTL));
        self
    }

    /// Makes `name` an alias of `target`, replacing an earlier CNAME at `name`.
    pub fn add_cname(&mut self, name: Name, target: Name) -> &mut Self {
        self.node(name).cname = Some((target, DEFAULT_TTL));
        self
    }

    /// Makes `name` exist without records, so lookups get [`Answer::NoRecords`].
    pub fn add_name(&mut self, name: Name) -> &mut Self {
        self.node(name);
        self
    }

    /// Makes lookups of `name` fail with `kind` for every record type it has no records of.
    pub fn fail(&mut self, name: Name, kind: FailureKind) -> &mut Self {
        self.node(name).failure = Some(kind);
        self
    }

    /// Declares this resolver authoritative for `apex` and what is below it, with the given
    /// negative-caching TTL. Once any zone is declared, names outside every zone are
    /// REFUSED.
    pub fn add_zone(&mut self, apex: Name, negative_ttl_seconds: u32) -> &mut Self {
        self.zones.retain(|(name, _)| *name != apex);
        self.zones.push((apex, negative_ttl_seconds));
        self
    }

    /// Makes names outside every declared zone NXDOMAIN instead of REFUSED, as if this
    /// resolver also held an empty root zone. Offline checks want this: DMARC's tree walk asks
    /// for `_dmarc.<tld>`, which no test zone holds, and a REFUSED would make it *temperror*.
    pub fn answer_nxdomain_outside_zones(&mut self) -> &mut Self {
        self.nxdomain_outside_zones = true;
        self
    }

    /// The zone `name` belongs to (the longest apex it is within) and its negative TTL;
    /// `Err` when zones are declared and none holds `name` (unless outside names are
    /// NXDOMAIN).
    fn negative_ttl(&self, name: &Name, record_type: RecordType) -> Result<u32, LookupError> {
        if self.zones.is_empty() {
            return Ok(DEFAULT_TTL);
        }
        match self
            .zones
            .iter()
            .filter(|(apex, _)| name.is_within(apex))
            .max_by_key(|(apex, _)| apex.label_count())
        {
            Some((_, ttl)) => Ok(*ttl),
            None if self.nxdomain_outside_zones => Ok(DEFAULT_TTL),
            None => Err(LookupError::new(
                FailureKind::Refused,
                name.clone(),
                record_type,
            )),
        }
    }

    fn lookup<T: Clone>(
        &self,
        name: &Name,
        record_type: RecordType,
        select: impl Fn(&Node) -> &[(T, u32)],
    ) -> Result<Answer<T>, LookupError> {
        let mut current = name;
        let mut chain_ttl = u32::MAX;
        for _ in 0..=MAX_CNAME_CHAIN {
            let negative_ttl = self.negative_ttl(current, record_type)?;
            let Some(node) = self.nodes.get(current) else {
                return Ok(if self.ancestors.contains(current) {
                    Answer::NoRecords {
                        ttl_seconds: negative_ttl,
                    }
                } else {
                    Answer::NxDomain {
                        ttl_seconds: negative_ttl,
                    }
                });
            };
            let records = select(node);
            if !records.is_empty() {
                let ttl = records.iter().map(|(_, ttl)| *ttl).min().unwrap_or(0);
                return Ok(Answer::Records {
                    records: records.iter().map(|(r, _)| r.clone()).collect(),
                    ttl_seconds: ttl.min(chain_ttl),
                });
            }
            if let Some((target, ttl)) = &node.cname {
                chain_ttl = chain_ttl.min(*ttl);
                current = target;
                continue;
            }
            if let Some(kind) = node.failure {
                return Err(LookupError::new(kind, current.clone(), record_type));
            }
            return Ok(Answer::NoRecords {
                ttl_seconds: negative_ttl,
            });
        }
        Err(LookupError::new(
            FailureKind::CnameLoop,
            name.clone(),
            record_type,
        ))
    }
}

impl Resolver for ZoneResolver {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        self.lookup(name, RecordType::Txt, |n| &n.txt)
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        self.lookup(name, RecordType::A, |n| &n.a)
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        self.lookup(name, RecordType::Aaaa, |n| &n.aaaa)
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        Ok(self
            .lookup(name, RecordType::Mx, |n| &n.mx)?
            .sorted_by_preference())
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        self.lookup(&Name::reverse(ip), RecordType::Ptr, |n| &n.ptr)
    }
}

#[cfg(feature = "zone-file")]
pub use file::ZoneFileError;

#[cfg(feature = "zone-file")]
mod file {
    use std::path::Path;

    use domain::base::ToName;
    use domain::rdata::ZoneRecordData;
    use domain::zonefile::inplace::{Entry, Zonefile};

    use super::{Node, ZoneResolver};
    use crate::{Mx, Name, Txt};

    /// A zone master file that could not be loaded.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum ZoneFileError {
        /// The file could not be read.
        #[error("cannot read zone file {path}")]
        Io {
            /// The file's path.
            path: String,
            /// What the operating system said.
            #[source]
            source: std::io::Error,
        },
        /// The master-file syntax is wrong at `line`, `column`.
        #[error("zone file syntax error at line {line}, column {column}: {message}")]
        Syntax {
            /// 1-based line number.
            line: usize,
            /// 1-based column where the parser stopped, or 0 when the error is in the token
            /// that ends the line.
            column: usize,
            /// The parser's description.
            message: String,
        },
        /// A record's owner or target is not a name this crate can query (for example a
        /// label holding an escaped dot or a control character).
        #[error("record owner or target {name:?} is not a valid name: {source}")]
        InvalidName {
            /// The name as the zone file spelled it.
            name: String,
            /// What is wrong with it.
            #[source]
            source: crate::NameError,
        },
        /// The zone-file parser failed internally on this input (a bug in the parser that the
        /// loader contained); the file is malformed in a way it does not report precisely.
        #[error("zone file could not be parsed (parser failure on malformed input)")]
        ParserFailure,
        /// `$INCLUDE`, which this loader does not follow.
        #[error("$INCLUDE is not supported")]
        IncludeUnsupported,
    }

    impl ZoneResolver {
        /// Loads the records of an RFC 1035 master file (`$ORIGIN`, `$TTL`, multi-string TXT,
        /// A, AAAA, MX, PTR, CNAME, SOA; other types only make their owner name exist).
        ///
        /// `origin` is the initial `$ORIGIN`, needed when the file uses relative names before
        /// setting one. Every SOA record declares a zone (see [`ZoneResolver::add_zone`]) whose
        /// negative TTL is the smaller of the SOA's TTL and its MINIMUM field (RFC 2308 §5).
        ///
        /// # Errors
        /// [`ZoneFileError::Syntax`] with the line and column of the first error; nothing is
        /// added to the resolver in that case.
        ///
        /// # Panics
        /// Never on its own; the `domain` parser it uses can panic on some malformed input,
        /// which this function catches and reports as [`ZoneFileError::ParserFailure`]. In a
        /// program built with `panic = "abort"` such input aborts instead: load only zone
        /// files you control there.
        pub fn load_zone_file(
            &mut self,
            text: &[u8],
            origin: Option<&Name>,
        ) -> Result<&mut Self, ZoneFileError> {
            let mut zonefile = Zonefile::with_capacity(text.len() + 1);
            zonefile.extend_from_slice(text);
            // `domain` rewrites entries in place and can index past the end of its buffer when
            // the last entry has no line break (found by fuzzing); a final newline changes
            // nothing in the file's meaning.
            if !text.ends_with(b"\n") {
                zonefile.extend_from_slice(b"\n");
            }
            if let Some(origin) = origin {
                let parsed = domain::base::Name::<bytes::Bytes>::bytes_from_str(&format!(
                    "{}.",
                    origin.as_str()
                ))
                .map_err(|e| ZoneFileError::Syntax {
                    line: 0,
                    column: 0,
                    message: format!("origin: {e}"),
                })?;
                zonefile.set_origin(parsed);
            }
            // Build into a copy so a file with an error adds nothing.
            let mut staged = self.clone();
            loop {
                // `domain` 0.12 can panic on some malformed input (an index out of bounds for
                // an unterminated parenthesis in TXT data, found by our tests). A zone file is
                // untrusted input, so contain that here: `zonefile` and `staged` are dropped on
                // this path, so no state the panic interrupted is ever used again.
                let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    zonefile.next_entry()
                }));
                let entry = match next {
                    Ok(Ok(Some(entry))) => entry,
                    Ok(Ok(None)) => break,
                    Ok(Err(error)) => return Err(syntax_error(&error)),
                    Err(_) => return Err(ZoneFileError::ParserFailure),
                };
                let record = match entry {
                    Entry::Record(record) => record,
                    Entry::Include { .. } => return Err(ZoneFileError::IncludeUnsupported),
                };
                let owner = to_name(record.owner())?;
                let ttl = record.ttl().as_secs();
                match record.data() {
                    ZoneRecordData::A(a) => {
                        staged.node(owner).a.push((a.addr(), ttl));
                    }
                    ZoneRecordData::Aaaa(aaaa) => {
                        staged.node(owner).aaaa.push((aaaa.addr(), ttl));
                    }
                    ZoneRecordData::Txt(txt) => {
                        let joined = Txt::from_strings(txt.iter());
                        staged.node(owner).txt.push((joined, ttl));
                    }
                    ZoneRecordData::Mx(mx) => {
                        let exchange = to_name(mx.exchange())?;
                        let preference = mx.preference();
                        staged.node(owner).mx.push((
                            Mx {
                                preference,
                                exchange,
                            },
                            ttl,
                        ));
                    }
                    ZoneRecordData::Ptr(ptr) => {
                        let target = to_name(ptr.ptrdname())?;
                        staged.node(owner).ptr.push((target, ttl));
                    }
                    ZoneRecordData::Cname(cname) => {
                        let target = to_name(cname.cname())?;
                        staged.node(owner).cname = Some((target, ttl));
                    }
                    ZoneRecordData::Soa(soa) => {
                        let negative = ttl.min(soa.minimum().as_secs());
                        staged.node(owner.clone());
                        staged.add_zone(owner, negative);
                    }
                    _ => {
                        let _: &mut Node = staged.node(owner);
                    }
                }
            }
            *self = staged;
            Ok(self)
        }

        /// Reads the file at `path` and loads it with [`ZoneResolver::load_zone_file`].
        ///
        /// # Errors
        /// [`ZoneFileError::Io`] when the file cannot be read, otherwise as
        /// [`ZoneResolver::load_zone_file`].
        pub fn load_zone_path(
            &mut self,
            path: impl AsRef<Path>,
            origin: Option<&Name>,
        ) -> Result<&mut Self, ZoneFileError> {
            let path = path.as_ref();
            let text = std::fs::read(path).map_err(|source| ZoneFileError::Io {
                path: path.display().to_string(),
                source,
            })?;
            self.load_zone_file(&text, origin)
        }
    }

    /// Converts a parsed owner or target name into ours. Labels are checked one by one so that
    /// an escaped dot inside a label cannot silently become a label boundary.
    fn to_name(name: impl ToName) -> Result<Name, ZoneFileError> {
        let mut text = Vec::new();
        for label in name.iter_labels() {
            if label.is_root() {
                continue;
            }
            let bytes = label.as_slice();
            if bytes.contains(&b'.') {
                return Err(ZoneFileError::InvalidName {
                    name: name.to_name::<Vec<u8>>().to_string(),
                    source: crate::NameError::InvalidCharacter {
                        offset: text.len() + bytes.iter().position(|&b| b == b'.').unwrap_or(0),
                    },
                });
            }
            if !text.is_empty() {
                text.push(b'.');
            }
            text.extend_from_slice(bytes);
        }
        Name::from_bytes(&text).map_err(|source| ZoneFileError::InvalidName {
            name: String::from_utf8_lossy(&text).into_owned(),
            source,
        })
    }

    /// `domain` reports errors as `LINE:COLUMN: message` and offers no accessors; take the
    /// position back out of its text so callers get typed fields.
    fn syntax_error(error: &impl std::fmt::Display) -> ZoneFileError {
        let text = error.to_string();
        let mut parts = text.splitn(3, ':');
        let line = parts.next().and_then(|s| s.trim().parse().ok());
        let column = parts.next().and_then(|s| s.trim().parse().ok());
        match (line, column, parts.next()) {
            // The scanner reports where it stopped; when the offending token ended its line
            // that is column 1 of the next line, so point back at the token's line.
            (Some(line), Some(1), Some(message)) if line > 1 => ZoneFileError::Syntax {
                line: line - 1,
                column: 0,
                message: message.trim().to_owned(),
            },
            (Some(line), Some(column), Some(message)) => ZoneFileError::Syntax {
                line,
                column,
                message: message.trim().to_owned(),
            },
            _ => ZoneFileError::Syntax {
                line: 0,
                column: 0,
                message: text,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        s.parse().unwrap()
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn three_answers_and_failure() {
        let mut zone = ZoneResolver::new();
        zone.add_a(name("a.b.example"), Ipv4Addr::new(192, 0, 2, 1))
            .fail(name("slow.example"), FailureKind::Timeout)
            .add_txt(name("slow.example"), &["v=spf1 -all"]);
        block_on(async {
            assert_eq!(
                zone.a(&name("A.B.Example.")).await.unwrap().records(),
                &[Ipv4Addr::new(192, 0, 2, 1)]
            );
            assert!(matches!(
                zone.txt(&name("a.b.example")).await,
                Ok(Answer::NoRecords { .. })
            ));
            // empty non-terminal
            assert!(matches!(
                zone.txt(&name("b.example")).await,
                Ok(Answer::NoRecords { .. })
            ));
            assert!(zone.txt(&name("c.example")).await.unwrap().is_nx_domain());
            // failure applies only to types without records
            assert_eq!(
                zone.txt(&name("slow.example"))
                    .await
                    .unwrap()
                    .records()
                    .len(),
                1
            );
            assert_eq!(
                zone.a(&name("slow.example")).await.unwrap_err().kind(),
                FailureKind::Timeout
            );
        });
    }

    #[test]
    fn cname_chains_and_loops() {
        let mut zone = ZoneResolver::new();
        zone.add_cname(name("alias.example"), name("mid.example"))
            .add_cname(name("mid.example"), name("target.example"))
            .add_txt(name("target.example"), &["hello"])
            .add_cname(name("loop1.example"), name("loop2.example"))
            .add_cname(name("loop2.example"), name("loop1.example"))
            .add_cname(name("dangling.example"), name("nowhere.example"));
        block_on(async {
            let answer = zone.txt(&name("alias.example")).await.unwrap();
            assert_eq!(answer.records()[0].as_bytes(), b"hello");
            assert_eq!(
                zone.txt(&name("loop1.example")).await.unwrap_err().kind(),
                FailureKind::CnameLoop
            );
            assert!(
                zone.txt(&name("dangling.example"))
                    .await
                    .unwrap()
                    .is_nx_domain()
            );
        });
    }

    #[test]
    fn declared_zones_refuse_outside_names() {
        let mut zone = ZoneResolver::new();
        zone.add_zone(name("example.com"), 60)
            .add_a(name("example.com"), Ipv4Addr::LOCALHOST);
        block_on(async {
            assert_eq!(
                zone.a(&name("example.org")).await.unwrap_err().kind(),
                FailureKind::Refused
            );
            assert_eq!(
                zone.txt(&name("nope.example.com")).await.unwrap(),
                Answer::NxDomain { ttl_seconds: 60 }
            );
            zone.answer_nxdomain_outside_zones();
            assert!(zone.a(&name("example.org")).await.unwrap().is_nx_domain());
            assert!(zone.a(&name("example.com")).await.unwrap().records().len() == 1);
        });
    }

    #[test]
    fn mx_sorted() {
        let mut zone = ZoneResolver::new();
        zone.add_mx(name("example"), 20, name("b.example"))
            .add_mx(name("example"), 10, name("z.example"))
            .add_mx(name("example"), 20, name("a.example"));
        let answer = block_on(zone.mx(&name("example"))).unwrap();
        let order: Vec<_> = answer
            .records()
            .iter()
            .map(|mx| mx.exchange.as_str())
            .collect();
        assert_eq!(order, ["z.example", "a.example", "b.example"]);
    }

    #[test]
    fn ptr_by_address() {
        let mut zone = ZoneResolver::new();
        let ip: IpAddr = "192.0.2.25".parse().unwrap();
        zone.add_ptr(Name::reverse(ip), name("mail.example.com"));
        let answer = block_on(zone.ptr(ip)).unwrap();
        assert_eq!(answer.records(), &[name("mail.example.com")]);
    }
}
