//! A per-lookup time limit.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::{Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt};

/// Fails any lookup of the inner resolver that takes longer than a fixed time, with
/// [`FailureKind::Timeout`]. Uses tokio's timer, so lookups must run inside a tokio runtime
/// with time enabled.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use mailproof_dns::{Name, Resolver, Timeout, ZoneResolver};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let resolver = Timeout::new(ZoneResolver::new(), Duration::from_secs(2));
/// let name: Name = "example.com".parse()?;
/// assert!(resolver.txt(&name).await.unwrap().is_nx_domain());
/// # Ok::<(), mailproof_dns::NameError>(())
/// # })?;
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Timeout<R> {
    inner: R,
    limit: Duration,
}

impl<R: Resolver> Timeout<R> {
    /// Bounds every lookup of `inner` to `limit`.
    pub fn new(inner: R, limit: Duration) -> Timeout<R> {
        Timeout { inner, limit }
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    async fn bounded<T>(
        &self,
        name: &Name,
        record_type: RecordType,
        lookup: impl Future<Output = Result<Answer<T>, LookupError>>,
    ) -> Result<Answer<T>, LookupError> {
        tokio::time::timeout(self.limit, lookup)
            .await
            .unwrap_or_else(|elapsed| {
                Err(
                    LookupError::new(FailureKind::Timeout, name.clone(), record_type)
                        .with_source(elapsed),
                )
            })
    }
}

impl<R: Resolver> Resolver for Timeout<R> {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        self.bounded(name, RecordType::Txt, self.inner.txt(name))
            .await
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        self.bounded(name, RecordType::A, self.inner.a(name)).await
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        self.bounded(name, RecordType::Aaaa, self.inner.aaaa(name))
            .await
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        self.bounded(name, RecordType::Mx, self.inner.mx(name))
            .await
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        self.bounded(&Name::reverse(ip), RecordType::Ptr, self.inner.ptr(ip))
            .await
    }
}
