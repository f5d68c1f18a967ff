//! The facade's error type: caller mistakes and setup failures, never verification outcomes.

/// What went wrong setting up or calling the facade. Verification outcomes are values in a
/// [`Verdict`](crate::Verdict), never errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A DKIM key, signer setting or message to sign was refused (the caller's input).
    #[error("DKIM: {0}")]
    Dkim(#[from] mailproof_dkim::Error),
    /// [`Signer::sign`](crate::Signer::sign) was called without any key.
    #[error("no signing keys configured")]
    NoSigningKeys,
    /// [`Authenticator::verify_blocking`](crate::Authenticator::verify_blocking) was called
    /// from async code, where blocking would stall the caller's runtime; call `verify`.
    #[error("verify_blocking called inside an async runtime; use verify().await")]
    InsideRuntime,
    /// The internal runtime of the blocking API could not be created (the operating system
    /// refused a thread or an event queue).
    #[error("cannot create the runtime for blocking verification")]
    Runtime(#[source] std::io::Error),
}
