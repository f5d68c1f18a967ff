//! The crate's one error type: caller mistakes (bad key material, bad settings, a message
//! that cannot be signed). Verification never returns it; its outcomes are values
//! ([`Status`](crate::Status)).

/// A misuse of the signing or key APIs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The private key could not be loaded. The caller passed the wrong file or format, or
    /// a key ring cannot sign with (RSA keys must be 2048–4096 bits).
    #[error("invalid {format} private key")]
    InvalidKey {
        /// The format tried (`"PKCS#8"`, `"PKCS#1"`, `"PEM"`, `"Ed25519 seed"`).
        format: &'static str,
        /// ring's reason for rejecting the key, when ring rejected it.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// `d=` for a signer is not a valid domain name.
    #[error("invalid signing domain")]
    InvalidSigningDomain,
    /// `s=` for a signer is not a valid selector.
    #[error("invalid selector")]
    InvalidSelector,
    /// `i=` for a signer is not `[local-part]@domain`, or its domain is not within `d=`.
    #[error("invalid agent identifier (i=)")]
    InvalidAgentIdentifier,
    /// The header list given to a signer does not include From (RFC 6376 §5.4: From MUST
    /// be signed), or holds something that is not a field name.
    #[error("signed header list must contain From and only field names")]
    InvalidHeaderList,
    /// The message has no From header field, so it cannot be signed.
    #[error("the message has no From header field")]
    MissingFrom,
    /// The message's header block exceeds the message parser's limits.
    #[error("message cannot be parsed")]
    Message(#[from] mailproof_message::Error),
    /// ring reported a failure while signing or generating a key (no randomness).
    #[error("cryptographic operation failed")]
    Crypto,
    /// No signer was given.
    #[error("no signers")]
    NoSigners,
    /// "Now", or the expiry it gives, is past what `t=` and `x=` can hold (RFC 6376 §3.5:
    /// at most 12 digits, [`MAX_TIMESTAMP`](crate::MAX_TIMESTAMP)). Likely cause: a clock
    /// set from a broken value (`(uint64_t)-1`).
    #[error("timestamp {seconds} is past what t= and x= can hold")]
    TimestampOutOfRange {
        /// The value that does not fit.
        seconds: u64,
    },
}
