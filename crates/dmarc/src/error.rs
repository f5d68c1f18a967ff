//! The crate's error: caller mistakes, never a message's DMARC outcome.

/// A mistake in how the crate was set up. DMARC outcomes, including broken records and DNS
/// failures, are values ([`DmarcResult`](crate::DmarcResult)), never this error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text given to [`PublicSuffixList::parse`](crate::PublicSuffixList::parse) is not a
    /// Public Suffix List. The caller supplied the wrong file.
    #[error("invalid Public Suffix List")]
    InvalidPublicSuffixList {
        /// What the list parser said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}
