//! `DomainKeys` Identified Mail: RFC 6376, with RFC 8301 (algorithm and key-size rules) and
//! RFC 8463 (Ed25519), on ring or aws-lc-rs.
//!
//! # Overview
//! - **Verifying**: [`Verifier`] checks every DKIM-Signature of a message (up to
//!   [`Policy::max_signatures`], default 8) and returns one [`SignatureResult`] per field: an
//!   RFC 8601 result ([`DkimResult`]: pass, fail, neutral, policy, temperror, permerror) with
//!   a typed reason ([`Status`]). A pass carries a [`VerifiedSignature`], a proof value only
//!   verification can build. Nothing the message, the DNS or a key publisher does makes
//!   verification return `Err`.
//! - **Policy** lives in one place, [`Policy`], with strict defaults: `rsa-sha1` refused
//!   (RFC 8301) unless [`Policy::danger_allow_rsa_sha1`]; RSA keys below 1024 bits always
//!   refused; `l=` signatures refused unless [`Policy::allow_body_length`], and then reported
//!   with their [`BodyCoverage`]; extra required signed fields in
//!   [`Policy::required_headers`]. "Now" comes from a [`Clock`].
//! - **Signing**: [`Signer`] (key, `d=`, `s=`, options) and [`sign`] / [`StreamingSigner`]
//!   produce DKIM-Signature fields for several keys in one pass (RSA + Ed25519 dual signing),
//!   folded to 78 columns.
//! - **Keys**: [`SigningKey`] loads PKCS#1/PKCS#8 PEM or DER and raw Ed25519 seeds;
//!   [`generate_ed25519_key`] and [`generate_rsa_key`] make new keys; [`DnsTxtRecord`] is the
//!   record to publish.
//! - **Parsing**: [`Signature::parse`] and [`KeyRecord::parse`] give typed values with
//!   spelled-out field names (`signing_domain` for `d=`, `body_length` for `l=`, …).
//! - **Canonicalization**: [`BodyCanonicalizer`] is the streaming body canonicalizer
//!   (simple and relaxed) the verifier and signer use.
//!
//! # Verifying a message
//! ```
//! use mailproof_dkim::{Clock, DkimResult, Policy, Signer, SigningKey, Status, Verifier, sign};
//! use mailproof_dns::{Name, ZoneResolver};
//! use mailproof_message::Message;
//!
//! // Sign a message, publish the key, verify.
//! let key = SigningKey::from_ed25519_seed(&[42; 32])?;
//! let record = mailproof_dkim::DnsTxtRecord::for_key(&key);
//! let signer = Signer::new(key, "example.com", "2025")?;
//! let body = b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n\
//!              Subject: lunch\r\n\r\nNoon?\r\n";
//! let fields = sign(&[signer], body, Clock::Fixed(1_700_000_000))?;
//! let signed = [fields.as_bytes(), body].concat();
//!
//! let mut zone = ZoneResolver::new();
//! zone.add_txt(Name::new("2025._domainkey.example.com")?, &[record.as_str()]);
//!
//! let message = Message::parse(&signed)?;
//! let verifier = Verifier::new(Policy::default()).with_clock(Clock::Fixed(1_700_000_100));
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let results = verifier.verify(&zone, &message).await;
//! assert_eq!(results.len(), 1);
//! match &results[0].status {
//!     Status::Pass(proof) => assert_eq!(proof.signing_domain().as_str(), "example.com"),
//!     other => panic!("{:?}", other.result()),
//! }
//! # });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Without DNS, [`Verifier::verify_with_keys`] takes the key answers from a callback;
//! [`Verifier::key_names`] lists the names it will ask for, so a caller can fetch them
//! first (concurrently, from its own cache). [`Verifier::streaming`] verifies a message fed
//! in chunks without storing its body ([`StreamingVerifier`]).
//!
//! # Results and reasons
//! | result | when | reason type |
//! |---|---|---|
//! | pass | the signature verified | [`VerifiedSignature`] |
//! | fail | body hash mismatch, signature mismatch (RFC 8601 §2.7.1: a body-hash mismatch is *fail*) | [`FailReason`] |
//! | neutral | beyond [`Policy::max_signatures`] | [`NeutralReason`] |
//! | policy | `rsa-sha1`, small key, `l=`, required field unsigned | [`PolicyReason`] |
//! | temperror | key lookup failed | [`TempErrorReason`] |
//! | permerror | syntax, From unsigned, `i=` outside `d=`, expired, signed in the future, key missing / revoked / invalid / wrong type, `t=s` violated, … | [`PermErrorReason`] |
//!
//! # Signing
//! ```
//! use mailproof_dkim::{Clock, Signer, SigningKey, sign};
//!
//! # let rsa_pem = include_str!("../../../testdata/keys/example.com.sel.rsa2048.pem");
//! let rsa = Signer::new(SigningKey::from_pem(rsa_pem)?, "example.com", "rsa")?;
//! let ed = Signer::new(SigningKey::from_ed25519_seed(&[5; 32])?, "example.com", "ed")?
//!     .with_expiry(14 * 24 * 3600);
//! let message = b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
//! let fields = sign(&[rsa, ed], message, Clock::System)?;
//! assert_eq!(fields.matches("DKIM-Signature:").count(), 2);
//! # Ok::<(), mailproof_dkim::Error>(())
//! ```
//!
//! # Line endings
//! Canonicalization works on the message as RFC 5322 defines it, with CRLF line endings.
//! Convert messages stored with bare LF (mbox, maildir on Unix) to CRLF before signing or
//! verifying; in a body, only CRLF ends a line.
//!
//! # Where I/O happens
//! Only in [`Verifier::verify`], through the caller's
//! [`Resolver`](mailproof_dns::Resolver); everything else is pure. Keys are read from bytes
//! the caller supplies; randomness for RSA signing and key generation comes from the
//! operating system.
//!
//! # Performance
//! Header fields are canonicalized into one reusable buffer ([`Scratch`]), since the crypto
//! libraries verify a contiguous message; the body is canonicalized as a stream straight
//! into the digest, once per distinct (canonicalization, hash, `l=`) among the signatures,
//! and never copied. Canonicalization hands the digest the input's own slices: simple
//! changes nothing before the trailing empty lines, and relaxed finds the white-space runs
//! it must rewrite with a branch-free scan of 128 bytes per step, so a typical body goes to
//! the digest in one piece. Each DKIM-Signature field is parsed once per verification, and a
//! [`Verifier`] keeps the key records it has parsed (a bounded cache keyed by the TXT record's
//! bytes, shared by its clones), so a key published once is not re-parsed for every message. `benches/benches/dkim.rs` measures sign and verify against
//! SHA-256 plus one raw signature operation, and against mail-auth.
//!
//! # Crate features
//! - `ring` (default): the crypto backend is ring.
//! - `aws-lc`: the crypto backend is aws-lc-rs (it wins if `ring` is on too). Faster RSA
//!   signing and Ed25519 on x86-64; AWS-LC is built from C with cmake (minutes, the first
//!   time). The backend never shows in the API.
//! - `rsa-keygen` (default): [`generate_rsa_key`], using `RustCrypto`'s `rsa` crate (ring
//!   cannot generate RSA keys); signing uses the crypto backend.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod canonical;
mod crypto;
mod error;
mod header_block;
mod key;
mod keygen;
mod sign;
mod signature;
mod tag_list;
mod verify;

pub use canonical::{BodyCanonicalizer, Canonicalization};
pub use error::Error;
pub use key::{KeyRecord, KeyRecordError, PublicKey, RsaPublicKey};
#[cfg(feature = "rsa-keygen")]
pub use keygen::generate_rsa_key;
pub use keygen::{DnsTxtRecord, GeneratedKey, RsaKeySize, generate_ed25519_key};
pub use sign::{DEFAULT_SIGNED_HEADERS, MAX_TIMESTAMP, Signer, SigningKey, StreamingSigner, sign};
pub use signature::{
    Algorithm, HashAlgorithm, Identity, KeyType, Signature, SignatureError, SignedHeaders,
};
pub use verify::{
    BodyCoverage, Clock, DkimResult, FailReason, NeutralReason, PermErrorReason, Policy,
    PolicyReason, Prepared, Scratch, SignatureResult, Status, StreamingVerifier, TempErrorReason,
    VerifiedSignature, Verifier,
};
