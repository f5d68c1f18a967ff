//! Signing outgoing mail with one or several DKIM keys in one pass.

use mailproof_dkim::{Clock, SigningKey};

use crate::Error;

/// Signs outgoing mail: every configured key signs in one pass over the message (typically an
/// RSA key for compatibility and an Ed25519 key, RFC 8463), and the DKIM-Signature fields are
/// prepended.
///
/// ```
/// use mailproof::{Clock, Signer, SigningKey};
///
/// let signer = Signer::new()
///     .with_key(SigningKey::from_ed25519_seed(&[1; 32])?, "example.com", "ed")?
///     .with_key(SigningKey::from_ed25519_seed(&[2; 32])?, "example.com", "ed2")?
///     .with_clock(Clock::Fixed(1_700_000_000));
/// let signed = signer.sign(b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n")?;
/// assert!(signed.starts_with(b"DKIM-Signature: v=1; a=ed25519-sha256;"));
/// assert_eq!(signed.windows(15).filter(|w| w == b"DKIM-Signature:").count(), 2);
/// # Ok::<(), mailproof::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Signer {
    signers: Vec<mailproof_dkim::Signer>,
    clock: Clock,
}

impl Signer {
    /// A signer with no keys and the system clock.
    pub fn new() -> Signer {
        Signer::default()
    }

    /// Adds `key`, signing as `d=signing_domain`, `s=selector` with the DKIM crate's defaults
    /// (relaxed/relaxed, the usual header fields oversigned, `t=` set).
    ///
    /// # Errors
    /// [`Error::Dkim`] when the domain or selector is invalid.
    pub fn with_key(
        mut self,
        key: SigningKey,
        signing_domain: &str,
        selector: &str,
    ) -> Result<Signer, Error> {
        self.signers
            .push(mailproof_dkim::Signer::new(key, signing_domain, selector)?);
        Ok(self)
    }

    /// Adds a DKIM signer configured by hand (canonicalization, header list, expiry, `i=`).
    #[must_use]
    pub fn with_signer(mut self, signer: mailproof_dkim::Signer) -> Signer {
        self.signers.push(signer);
        self
    }

    /// Uses `clock` for `t=` (and `x=`): [`Clock::Fixed`] makes signatures reproducible.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Signer {
        self.clock = clock;
        self
    }

    /// How many keys sign.
    pub fn key_count(&self) -> usize {
        self.signers.len()
    }

    /// The DKIM-Signature header fields for `message` (CRLF line endings), one per key, each
    /// ending in CRLF.
    ///
    /// # Errors
    /// [`Error::NoSigningKeys`]; [`Error::Dkim`] when the message has no From field or its
    /// header block exceeds the parser's limits.
    pub fn signature_fields(&self, message: &[u8]) -> Result<String, Error> {
        if self.signers.is_empty() {
            return Err(Error::NoSigningKeys);
        }
        Ok(mailproof_dkim::sign(&self.signers, message, self.clock)?)
    }

    /// `message` with its DKIM-Signature fields prepended.
    ///
    /// # Errors
    /// As [`signature_fields`](Self::signature_fields).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let fields = self.signature_fields(message)?;
        let mut signed = Vec::with_capacity(fields.len() + message.len());
        signed.extend_from_slice(fields.as_bytes());
        signed.extend_from_slice(message);
        Ok(signed)
    }
}
