//! A per-evaluation limit on the number of queries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt};

/// Counts the queries made through it and refuses those past a limit.
///
/// Make one per evaluation (one message, one SPF check) around a shared resolver, usually a
/// reference to a [`CachingResolver`](crate::CachingResolver): every query counts, cached or
/// not. A refused query fails with [`FailureKind::BudgetExhausted`] and does not reach the
/// inner resolver. This is a safety net against runaway evaluations; protocol limits such as
/// SPF's ten DNS-querying terms are counted by the protocol code, which knows what a term is.
///
/// # Example
/// ```
/// use mailproof_dns::{FailureKind, Name, QueryBudget, Resolver, ZoneResolver};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let zone = ZoneResolver::new();
/// let budget = QueryBudget::new(&zone, 1);
/// let name: Name = "example.com".parse()?;
/// assert!(budget.txt(&name).await.is_ok());
/// assert_eq!(budget.txt(&name).await.unwrap_err().kind(), FailureKind::BudgetExhausted);
/// assert_eq!(budget.queries_made(), 1);
/// # Ok::<(), mailproof_dns::NameError>(())
/// # })?;
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Debug)]
pub struct QueryBudget<R> {
    inner: R,
    limit: usize,
    made: AtomicUsize,
}

impl<R: Resolver> QueryBudget<R> {
    /// Allows at most `limit` queries through to `inner`.
    pub fn new(inner: R, limit: usize) -> QueryBudget<R> {
        QueryBudget {
            inner,
            limit,
            made: AtomicUsize::new(0),
        }
    }

    /// Queries passed to the inner resolver so far.
    pub fn queries_made(&self) -> usize {
        self.made.load(Ordering::Relaxed)
    }

    /// Queries still allowed.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.queries_made())
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// Takes one query from the budget, or says why not.
    fn take(&self, name: &Name, record_type: RecordType) -> Result<(), LookupError> {
        self.made
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |made| {
                (made < self.limit).then_some(made + 1)
            })
            .map(|_| ())
            .map_err(|_| LookupError::new(FailureKind::BudgetExhausted, name.clone(), record_type))
    }
}

impl<R: Resolver> Resolver for QueryBudget<R> {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        self.take(name, RecordType::Txt)?;
        self.inner.txt(name).await
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        self.take(name, RecordType::A)?;
        self.inner.a(name).await
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        self.take(name, RecordType::Aaaa)?;
        self.inner.aaaa(name).await
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        self.take(name, RecordType::Mx)?;
        self.inner.mx(name).await
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        self.take(&Name::reverse(ip), RecordType::Ptr)?;
        self.inner.ptr(ip).await
    }
}
