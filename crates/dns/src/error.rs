//! The one error a lookup can return.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::{Name, RecordType};

/// A lookup that produced no answer: the DNS could not say whether records exist.
///
/// Mail authentication treats every such failure alike (SPF, DKIM and DMARC all return
/// *temperror*); [`LookupError::kind`] tells why, for logs and metrics. The underlying
/// resolver's error, when there is one, is reachable through
/// [`std::error::Error::source`].
#[derive(Clone, Debug, thiserror::Error)]
#[error("DNS lookup of {name} {record_type} failed: {kind}")]
pub struct LookupError {
    kind: FailureKind,
    name: Name,
    record_type: RecordType,
    #[source]
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

/// Why a lookup failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// No answer arrived in time. Usually the network or an overloaded server.
    Timeout,
    /// The server answered SERVFAIL (RCODE 2): its own upstream or zone is broken.
    ServerFailure,
    /// The server answered REFUSED (RCODE 5), typically for a name outside the zones it
    /// serves or a client it does not serve.
    Refused,
    /// Sending or receiving failed (no route, connection refused, no name servers).
    Network,
    /// The response could not be parsed, or answered another RCODE (FORMERR, NOTIMP, ...).
    MalformedResponse,
    /// CNAMEs pointed at each other, or the chain was longer than the resolver follows.
    CnameLoop,
    /// A [`QueryBudget`](crate::QueryBudget) refused the query: the caller's own limit, not
    /// the DNS.
    BudgetExhausted,
    /// Anything else the resolver reported.
    Other,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Timeout => "timed out",
            FailureKind::ServerFailure => "server failure (SERVFAIL)",
            FailureKind::Refused => "query refused (REFUSED)",
            FailureKind::Network => "network error",
            FailureKind::MalformedResponse => "malformed or unexpected response",
            FailureKind::CnameLoop => "CNAME loop or chain too long",
            FailureKind::BudgetExhausted => "query budget exhausted",
            FailureKind::Other => "resolver error",
        })
    }
}

impl LookupError {
    /// A failure of `kind` for the query `name`/`record_type`.
    pub fn new(kind: FailureKind, name: Name, record_type: RecordType) -> LookupError {
        LookupError {
            kind,
            name,
            record_type,
            source: None,
        }
    }

    /// Attaches the underlying error, reachable through `source()`.
    #[must_use]
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> LookupError {
        self.source = Some(Arc::new(source));
        self
    }

    /// Why the lookup failed.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The name that was queried.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The record type that was queried.
    pub fn record_type(&self) -> RecordType {
        self.record_type
    }
}
