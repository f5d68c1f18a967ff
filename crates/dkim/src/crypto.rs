//! The crypto backend, in one place: ring (feature `ring`, the default) or aws-lc-rs (feature
//! `aws-lc`, which wins when both are on).
//!
//! aws-lc-rs copies ring's API, so the backend is mostly a choice of crate; the functions
//! below are everything the rest of the crate uses, including the two calls whose spelling
//! differs (the RSA modulus length). Nothing here is public: the backend never shows in the
//! crate's API, only in the `source()` of [`Error::InvalidKey`](crate::Error::InvalidKey).

#[cfg(feature = "aws-lc")]
use aws_lc_rs as backend;
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
use ring as backend;

#[cfg(not(any(feature = "ring", feature = "aws-lc")))]
compile_error!("mailproof-dkim needs a crypto backend: feature `ring` (default) or `aws-lc`");

use backend::rand::SystemRandom;
use backend::signature::{self as sig, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

pub(crate) use backend::digest::Digest;
pub(crate) use backend::error::KeyRejected;

use crate::signature::HashAlgorithm;

/// An incremental hash.
#[derive(Clone)]
pub(crate) struct Hasher(backend::digest::Context);

impl Hasher {
    pub(crate) fn new(hash: HashAlgorithm) -> Hasher {
        Hasher(backend::digest::Context::new(match hash {
            HashAlgorithm::Sha1 => &backend::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgorithm::Sha256 => &backend::digest::SHA256,
        }))
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(crate) fn finish(self) -> Digest {
        self.0.finish()
    }
}

/// SHA-256 of `data` in one call.
pub(crate) fn sha256(data: &[u8]) -> Digest {
    backend::digest::digest(&backend::digest::SHA256, data)
}

/// A private key the backend signs with.
pub(crate) enum KeyPair {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl KeyPair {
    /// A PKCS#8 `PrivateKeyInfo`: RSA, else Ed25519 (v1 or v2).
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<KeyPair, KeyRejected> {
        if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            return Ok(KeyPair::Rsa(rsa));
        }
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map(KeyPair::Ed25519)
    }

    /// A PKCS#1 `RSAPrivateKey`.
    pub(crate) fn from_pkcs1(der: &[u8]) -> Result<KeyPair, KeyRejected> {
        RsaKeyPair::from_der(der).map(KeyPair::Rsa)
    }

    /// An Ed25519 key from its 32-byte seed.
    pub(crate) fn from_ed25519_seed(seed: &[u8]) -> Result<KeyPair, KeyRejected> {
        Ed25519KeyPair::from_seed_unchecked(seed).map(KeyPair::Ed25519)
    }

    /// The public key: PKCS#1 `RSAPublicKey` DER for RSA, the raw 32 bytes for Ed25519.
    pub(crate) fn public_key(&self) -> &[u8] {
        match self {
            KeyPair::Rsa(rsa) => rsa.public_key().as_ref(),
            KeyPair::Ed25519(pair) => pair.public_key().as_ref(),
        }
    }

    /// RSA: PKCS#1 v1.5 with SHA-256 over `data`. Ed25519: over `data` as given.
    pub(crate) fn sign(&self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            KeyPair::Rsa(rsa) => {
                #[cfg(feature = "aws-lc")]
                let len = rsa.public_modulus_len();
                #[cfg(not(feature = "aws-lc"))]
                let len = rsa.public().modulus_len();
                let mut out = vec![0; len];
                rsa.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), data, &mut out)
                    .ok()?;
                Some(out)
            }
            KeyPair::Ed25519(pair) => Some(pair.sign(data).as_ref().to_vec()),
        }
    }
}

/// A new Ed25519 key as PKCS#8 (v2, with the public key).
pub(crate) fn generate_ed25519_pkcs8() -> Option<Vec<u8>> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .ok()
        .map(|document| document.as_ref().to_vec())
}

/// A public key kept for repeated verification, next to its parsed key record in the
/// verifier's key cache. aws-lc-rs parses a key into an `EVP_PKEY` on every
/// `UnparsedPublicKey::verify`; here that happens once per key (and hash), on first use.
/// ring has no parsed form of a verification key (it reads the DER on every call), so with
/// ring this holds nothing.
#[derive(Default)]
pub(crate) struct PreparedKey {
    #[cfg(feature = "aws-lc")]
    parsed: [std::sync::OnceLock<Option<sig::ParsedPublicKey>>; 2],
}

impl PreparedKey {
    /// Checks `signature` over `message`: RSASSA-PKCS1-v1_5 with `hash` for an RSA key
    /// (`pkcs1_der`, `modulus_bits` bits), Ed25519 for a 32-byte key. `key` must always be
    /// the same key for one `PreparedKey`.
    // With ring there is nothing to keep: `self` is unused.
    #[cfg_attr(not(feature = "aws-lc"), allow(clippy::unused_self))]
    pub(crate) fn verify(
        &self,
        key: PublicKeyRef<'_>,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        #[cfg(feature = "aws-lc")]
        {
            let slot = match (key, hash) {
                (PublicKeyRef::Rsa { .. }, HashAlgorithm::Sha1) => &self.parsed[1],
                _ => &self.parsed[0],
            };
            let parsed = slot.get_or_init(|| {
                let (algorithm, bytes) = match key {
                    PublicKeyRef::Rsa {
                        pkcs1_der,
                        modulus_bits,
                    } => (rsa_algorithm(hash, modulus_bits), pkcs1_der),
                    PublicKeyRef::Ed25519(raw) => (
                        &sig::ED25519 as &'static dyn sig::VerificationAlgorithm,
                        &raw[..],
                    ),
                };
                sig::ParsedPublicKey::new(algorithm, bytes).ok()
            });
            parsed
                .as_ref()
                .is_some_and(|parsed| parsed.verify_sig(message, signature).is_ok())
        }
        #[cfg(not(feature = "aws-lc"))]
        match key {
            PublicKeyRef::Rsa {
                pkcs1_der,
                modulus_bits,
            } => verify_rsa(hash, pkcs1_der, modulus_bits, message, signature),
            PublicKeyRef::Ed25519(raw) => verify_ed25519(raw, message, signature),
        }
    }
}

/// The key material [`PreparedKey::verify`] checks with.
#[derive(Clone, Copy)]
pub(crate) enum PublicKeyRef<'a> {
    /// A PKCS#1 `RSAPublicKey` of `modulus_bits` bits (1024 to 8192).
    Rsa {
        pkcs1_der: &'a [u8],
        modulus_bits: usize,
    },
    /// A raw Ed25519 key.
    Ed25519(&'a [u8; 32]),
}

/// The RSA verification algorithm for `hash` and a modulus of `modulus_bits` bits.
fn rsa_algorithm(
    hash: HashAlgorithm,
    modulus_bits: usize,
) -> &'static dyn sig::VerificationAlgorithm {
    match (hash, modulus_bits >= 2048) {
        (HashAlgorithm::Sha256, true) => &sig::RSA_PKCS1_2048_8192_SHA256,
        (HashAlgorithm::Sha256, false) => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (HashAlgorithm::Sha1, _) => &sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
    }
}

/// Checks an RSASSA-PKCS1-v1_5 signature over `message` with the hash of `hash`.
/// `pkcs1_der` is an `RSAPublicKey` of `modulus_bits` bits (1024 to 8192).
#[cfg(not(feature = "aws-lc"))]
fn verify_rsa(
    hash: HashAlgorithm,
    pkcs1_der: &[u8],
    modulus_bits: usize,
    message: &[u8],
    signature: &[u8],
) -> bool {
    sig::UnparsedPublicKey::new(rsa_algorithm(hash, modulus_bits), pkcs1_der)
        .verify(message, signature)
        .is_ok()
}

/// Checks an Ed25519 signature over `message`.
#[cfg(not(feature = "aws-lc"))]
fn verify_ed25519(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    sig::UnparsedPublicKey::new(&sig::ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}
