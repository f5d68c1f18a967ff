//! Verification (RFC 6376 §6) with the RFC 8301 / RFC 8463 algorithm rules and a policy.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::canonical::{self, BodyHasher, Canonicalization};
use crate::crypto::{self, PublicKeyRef};
use crate::header_block::{Fed, HeaderBlock};
use crate::key::{KeyRecord, KeyRecordError, PublicKey};
use crate::signature::{Algorithm, HashAlgorithm, Identity, Signature, SignatureError};
use mailproof_dns::{Answer, LookupError, Name, Resolver, Txt};
use mailproof_message::{Header, Message};

/// The name of the header field this crate verifies.
pub(crate) const DKIM_SIGNATURE: &str = "DKIM-Signature";

/// Where "now" comes from, for `t=` and `x=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed time, seconds since the Unix epoch (tests, replays of old mail).
    Fixed(u64),
}

impl Clock {
    /// The current time in seconds since the Unix epoch (0 if the system clock is before
    /// 1970).
    pub fn now(self) -> u64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            Clock::Fixed(now) => now,
        }
    }
}

/// What a verifier accepts. The defaults are strict; each relaxation is named for what it
/// allows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How many DKIM-Signature header fields are evaluated, top-down (default 8). The rest
    /// get [`Status::Neutral`] with [`NeutralReason::NotEvaluated`], without DNS queries.
    pub max_signatures: usize,
    /// Accept `rsa-sha1` signatures (default `false`). RFC 8301 §3.1: "Verifiers MUST NOT
    /// consider signatures using the 'rsa-sha1' algorithm valid". Only for replaying old
    /// mail.
    pub danger_allow_rsa_sha1: bool,
    /// Smallest RSA key accepted, in bits (default 1024, RFC 8301 §3.2). Smaller values are
    /// treated as 1024: smaller keys are never accepted.
    pub minimum_rsa_bits: usize,
    /// Accept signatures with `l=` (default `false`). `l=` lets anyone append content below
    /// the signed part (RFC 6376 §8.2); accepted signatures report how much they cover in
    /// [`VerifiedSignature::body_coverage`].
    pub allow_body_length: bool,
    /// Header fields that `h=` must list, besides From which the RFC always requires
    /// (default none). Names compare ASCII case-insensitively.
    pub required_headers: Vec<Box<str>>,
    /// How far `t=` may lie in the future before the signature is refused, in seconds
    /// (default 300, for clock skew between signer and verifier).
    pub future_tolerance_seconds: u64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_signatures: 8,
            danger_allow_rsa_sha1: false,
            minimum_rsa_bits: 1024,
            allow_body_length: false,
            required_headers: Vec::new(),
            future_tolerance_seconds: 300,
        }
    }
}

/// The result of one signature, in the vocabulary of RFC 8601 §2.7.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DkimResult {
    /// The signature verified.
    Pass,
    /// The signature failed to verify (body hash or signature mismatch).
    Fail,
    /// The signature was not evaluated.
    Neutral,
    /// The signature verified or could have, but the verifier's policy does not accept it.
    Policy,
    /// A temporary failure (DNS): try again later.
    TempError,
    /// A permanent error: the signature or key record is unusable.
    PermError,
}

impl DkimResult {
    /// The RFC 8601 keyword (`pass`, `fail`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DkimResult::Pass => "pass",
            DkimResult::Fail => "fail",
            DkimResult::Neutral => "neutral",
            DkimResult::Policy => "policy",
            DkimResult::TempError => "temperror",
            DkimResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// The canonicalized body does not hash to `bh=`: the body was changed in transit
    /// (RFC 6376 §6.1.3), typically by a mailing list footer or a re-encoding.
    BodyHashMismatch,
    /// The signature does not verify over the signed header fields: a signed header field
    /// was changed, or the key does not match.
    SignatureMismatch,
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailReason::BodyHashMismatch => {
                "body hash mismatch: the body was changed after signing"
            }
            FailReason::SignatureMismatch => {
                "signature mismatch: a signed header field was changed, or the key does not match"
            }
        })
    }
}

/// Why a signature was not evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NeutralReason {
    /// It lies beyond [`Policy::max_signatures`].
    NotEvaluated {
        /// The limit in force.
        limit: usize,
    },
}

impl fmt::Display for NeutralReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NeutralReason::NotEvaluated { limit } => {
                write!(
                    f,
                    "not evaluated: only the first {limit} signatures are checked"
                )
            }
        }
    }
}

/// Why the verifier's policy refused a signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyReason {
    /// The algorithm is refused: `rsa-sha1` without [`Policy::danger_allow_rsa_sha1`].
    AlgorithmNotAllowed(Algorithm),
    /// The RSA key is smaller than [`Policy::minimum_rsa_bits`] (never less than 1024,
    /// RFC 8301 §3.2).
    KeyTooSmall {
        /// The key's modulus size.
        bits: usize,
        /// The smallest size accepted.
        minimum: usize,
    },
    /// The signature has `l=` and [`Policy::allow_body_length`] is off.
    BodyLengthNotAllowed,
    /// A header field in [`Policy::required_headers`] is not in `h=`.
    RequiredHeaderNotSigned {
        /// The field's name, as configured.
        name: Box<str>,
    },
}

impl fmt::Display for PolicyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyReason::AlgorithmNotAllowed(algorithm) => {
                write!(f, "{algorithm} is not accepted (RFC 8301)")
            }
            PolicyReason::KeyTooSmall { bits, minimum } => {
                write!(f, "{bits}-bit key is below the {minimum}-bit minimum")
            }
            PolicyReason::BodyLengthNotAllowed => f.write_str("l= signatures are not accepted"),
            PolicyReason::RequiredHeaderNotSigned { name } => {
                write!(f, "required header field {name} is not signed")
            }
        }
    }
}

/// Why a signature could not be checked now.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TempErrorReason {
    /// The key lookup failed (timeout, SERVFAIL, …).
    KeyLookup(LookupError),
}

impl fmt::Display for TempErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TempErrorReason::KeyLookup(error) => write!(f, "key lookup failed: {error}"),
        }
    }
}

/// Why a signature can never verify.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermErrorReason {
    /// The DKIM-Signature field does not parse (signer's fault). RFC 6376 §6.1.1 makes
    /// this PERMFAIL, reported as `permerror` as the shared dkimpy vectors expect; RFC 8601
    /// §2.7.1 also describes "syntax errors" under `neutral`, which some verifiers report
    /// instead. Either way it never passes, and DMARC treats both alike.
    Syntax(SignatureError),
    /// `h=` does not list From (§6.1.1).
    FromNotSigned,
    /// The `i=` domain is neither `d=` nor a subdomain of it (§6.1.1).
    IdentityOutsideDomain,
    /// `x=` is in the past.
    Expired {
        /// `x=`.
        expires_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `t=` is in the future (beyond [`Policy::future_tolerance_seconds`]).
    SignedInFuture {
        /// `t=`.
        signed_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `s=` and `d=` do not form a valid DNS name.
    InvalidKeyName,
    /// No key record: the name does not exist or has no TXT records (§6.1.2).
    KeyNotFound,
    /// The TXT record is not a valid key record (publisher's fault).
    KeyRecord(KeyRecordError),
    /// The key record has an empty `p=`: the key was revoked.
    KeyRevoked,
    /// The key's type (`k=`) does not match `a=`.
    KeyTypeMismatch,
    /// The key record's `h=` does not allow the signature's hash algorithm.
    HashNotAllowedByKey,
    /// The key record's `s=` does not include `email`.
    ServiceNotAllowed,
    /// The key record has `t=s`, but the `i=` domain is a subdomain of `d=`.
    StrictIdentityViolated,
    /// The key cannot be used with this algorithm (for example RSA above 8192 bits).
    KeyUnusable,
    /// `l=` is larger than the canonicalized body.
    BodyLengthExceedsBody {
        /// `l=`.
        body_length: u64,
        /// Octets in the canonicalized body.
        canonical_body_length: u64,
    },
}

impl fmt::Display for PermErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PermErrorReason::Syntax(error) => write!(f, "signature does not parse: {error}"),
            PermErrorReason::FromNotSigned => f.write_str("h= does not include From"),
            PermErrorReason::IdentityOutsideDomain => f.write_str("i= is not within d="),
            PermErrorReason::Expired { expires_at, now } => {
                write!(f, "signature expired at {expires_at} (now {now})")
            }
            PermErrorReason::SignedInFuture { signed_at, now } => {
                write!(f, "signed in the future at {signed_at} (now {now})")
            }
            PermErrorReason::InvalidKeyName => f.write_str("s= and d= do not form a DNS name"),
            PermErrorReason::KeyNotFound => f.write_str("no key record published"),
            PermErrorReason::KeyRecord(error) => write!(f, "key record is invalid: {error}"),
            PermErrorReason::KeyRevoked => f.write_str("key revoked (empty p=)"),
            PermErrorReason::KeyTypeMismatch => f.write_str("key type does not match a="),
            PermErrorReason::HashNotAllowedByKey => {
                f.write_str("key record's h= forbids this hash")
            }
            PermErrorReason::ServiceNotAllowed => f.write_str("key record's s= excludes email"),
            PermErrorReason::StrictIdentityViolated => {
                f.write_str("key record has t=s but i= is a subdomain of d=")
            }
            PermErrorReason::KeyUnusable => f.write_str("key cannot be used with this algorithm"),
            PermErrorReason::BodyLengthExceedsBody {
                body_length,
                canonical_body_length,
            } => write!(
                f,
                "l={body_length} exceeds the {canonical_body_length}-octet body"
            ),
        }
    }
}

/// A signature's result with its reason.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Status {
    /// Verified: the proof.
    Pass(VerifiedSignature),
    /// Failed to verify.
    Fail(FailReason),
    /// Not evaluated.
    Neutral(NeutralReason),
    /// Refused by policy.
    Policy(PolicyReason),
    /// Temporary failure.
    TempError(TempErrorReason),
    /// Permanent error.
    PermError(PermErrorReason),
}

impl Status {
    /// The RFC 8601 result.
    pub fn result(&self) -> DkimResult {
        match self {
            Status::Pass(_) => DkimResult::Pass,
            Status::Fail(_) => DkimResult::Fail,
            Status::Neutral(_) => DkimResult::Neutral,
            Status::Policy(_) => DkimResult::Policy,
            Status::TempError(_) => DkimResult::TempError,
            Status::PermError(_) => DkimResult::PermError,
        }
    }
}

/// The result keyword, then the reason in words: `fail (body hash mismatch: …)`; a pass is
/// just `pass`.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let result = self.result();
        match self {
            Status::Pass(_) => write!(f, "{result}"),
            Status::Fail(reason) => write!(f, "{result} ({reason})"),
            Status::Neutral(reason) => write!(f, "{result} ({reason})"),
            Status::Policy(reason) => write!(f, "{result} ({reason})"),
            Status::TempError(reason) => write!(f, "{result} ({reason})"),
            Status::PermError(reason) => write!(f, "{result} ({reason})"),
        }
    }
}

/// How much of the body a verified signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyCoverage {
    /// No `l=`: the whole body is signed.
    Full,
    /// `l=` was present: only the first `signed_octets` of the canonicalized body are signed.
    Limited {
        /// `l=`.
        signed_octets: u64,
        /// Octets in the canonicalized body; anything beyond `signed_octets` is unsigned.
        canonical_body_octets: u64,
    },
}

/// Proof that a signature verified. Only this crate's verification can build one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    signing_domain: Name,
    selector: Box<str>,
    algorithm: Algorithm,
    agent_identifier: Identity,
    body_coverage: BodyCoverage,
    key_testing: bool,
    key_bits: usize,
    header_index: usize,
}

impl VerifiedSignature {
    /// `d=`: the domain that took responsibility (the SDID, for DMARC alignment).
    pub fn signing_domain(&self) -> &Name {
        &self.signing_domain
    }

    /// `s=`.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// `a=`.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// `i=`, or `@` + `d=` when absent (the AUID).
    pub fn agent_identifier(&self) -> &Identity {
        &self.agent_identifier
    }

    /// How much of the body is covered.
    pub fn body_coverage(&self) -> BodyCoverage {
        self.body_coverage
    }

    /// The key record has `t=y` (the domain is testing DKIM).
    pub fn key_testing(&self) -> bool {
        self.key_testing
    }

    /// The key size in bits (256 for Ed25519).
    pub fn key_bits(&self) -> usize {
        self.key_bits
    }

    /// Index of the DKIM-Signature field among the message's header fields.
    pub fn header_index(&self) -> usize {
        self.header_index
    }
}

/// The outcome of one DKIM-Signature header field.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignatureResult {
    /// Index of the field among the message's header fields (top = 0).
    pub header_index: usize,
    /// The parsed signature; `None` when it does not parse.
    pub signature: Option<Signature>,
    /// Result and reason.
    pub status: Status,
}

impl SignatureResult {
    /// The RFC 8601 result.
    pub fn result(&self) -> DkimResult {
        self.status.result()
    }

    /// The proof, if the signature passed.
    pub fn verified(&self) -> Option<&VerifiedSignature> {
        match &self.status {
            Status::Pass(v) => Some(v),
            _ => None,
        }
    }
}

/// Reusable working memory for verification (and signing): the canonicalized header
/// fields, which the crypto backend needs as one contiguous message, and the list of body
/// hashes of the message being verified. Keep one per thread and pass it to every call to
/// avoid allocating per message.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pub(crate) headers: Vec<u8>,
    /// Per header field: [`name_key`] of its name, or [`USED`] once selected.
    keys: Vec<u32>,
    /// The body hashes of the message being verified (kept here so that verification
    /// does not allocate a list of them per message).
    body_hashes: Vec<BodyHash>,
}

impl Scratch {
    /// Empty scratch space; it grows to the largest header block seen.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// Scratch space for header blocks of up to `header_bytes` bytes (plus the
    /// DKIM-Signature field itself), allocated once.
    pub fn with_capacity(header_bytes: usize) -> Scratch {
        Scratch {
            headers: Vec::with_capacity(header_bytes + 1024),
            keys: Vec::with_capacity(64),
            body_hashes: Vec::with_capacity(2),
        }
    }

    /// Runs `f` with the scratch space and its list of body hashes, emptied.
    fn with_body_hashes<T>(&mut self, f: impl FnOnce(&mut Scratch, &mut Vec<BodyHash>) -> T) -> T {
        let mut body_hashes = std::mem::take(&mut self.body_hashes);
        body_hashes.clear();
        let out = f(self, &mut body_hashes);
        body_hashes.clear();
        self.body_hashes = body_hashes;
        out
    }
}

/// Appends the header fields named in `h=`, canonicalized, to `scratch.headers`: for each
/// name, the bottom-most instance not yet used; names without an unused instance add
/// nothing (§5.4.2).
pub(crate) fn select_headers<'a>(
    headers: &[Header<'a>],
    names: impl Iterator<Item = &'a str>,
    mode: Canonicalization,
    scratch: &mut Scratch,
) {
    // A cheap key per field (name length and first letter, case-folded) turns the search
    // for each name into a scan over small integers; only a field with a matching key is
    // compared in full.
    // A 64-bit summary of the keys present lets the names that match no field (most of an
    // oversigned `h=`) go without a scan.
    scratch.keys.clear();
    scratch
        .keys
        .extend(headers.iter().map(|h| name_key(h.name())));
    let present = scratch
        .keys
        .iter()
        .fold(0u64, |set, &key| set | key_bit(key));
    for name in names {
        let key = name_key(name.as_bytes());
        if present & key_bit(key) == 0 {
            continue;
        }
        let found = (0..headers.len()).rev().find(|&i| {
            scratch.keys[i] == key && headers[i].name().eq_ignore_ascii_case(name.as_bytes())
        });
        if let Some(i) = found {
            scratch.keys[i] = USED;
            let header = &headers[i];
            let raw = header.raw();
            let without_break = &raw[..raw.len() - header.line_ending().len()];
            let prefix = &without_break[..without_break.len() - header.value().len()];
            canonical::header(
                mode,
                prefix,
                header.name(),
                &[header.value()],
                true,
                &mut scratch.headers,
            );
        }
    }
}

/// The key of a field that [`select_headers`] has taken (no name has it: a name's key
/// keeps its length below 2^24).
const USED: u32 = u32::MAX;

/// The bit of `key` in [`select_headers`]' summary of the keys present.
fn key_bit(key: u32) -> u64 {
    1 << (key.wrapping_mul(0x9e37_79b1) >> 26)
}

/// A field name's search key: its length (saturated below 2^24 - 1) and its first byte,
/// ASCII lowercased. Equal names (ignoring ASCII case) have equal keys.
fn name_key(name: &[u8]) -> u32 {
    let len = u32::try_from(name.len())
        .unwrap_or(u32::MAX)
        .min(0x00ff_fffe);
    let first = name.first().map_or(0, u8::to_ascii_lowercase);
    (len << 8) | u32::from(first)
}

#[derive(Clone, Debug)]
struct BodyHash {
    canonicalization: Canonicalization,
    hash: HashAlgorithm,
    body_length: Option<u64>,
    digest: crypto::Digest,
    canonical_length: u64,
}

/// A DKIM verifier: a policy and a clock.
///
/// ```
/// use mailproof_dkim::{Clock, DkimResult, Verifier};
/// use mailproof_dns::{Name, ZoneResolver};
/// use mailproof_message::Message;
///
/// // RFC 8463 Appendix A: keys and the signed message.
/// let mut zone = ZoneResolver::new();
/// zone.add_txt(
///     Name::new("brisbane._domainkey.football.example.com")?,
///     &["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
/// );
/// let raw = b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n \
/// d=football.example.com; i=@football.example.com;\r\n \
/// q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n \
/// subject : date : message-id : from : subject : date;\r\n \
/// bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n \
/// b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n \
/// Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n\
/// From: Joe SixPack <joe@football.example.com>\r\n\
/// To: Suzie Q <suzie@shopping.example.net>\r\n\
/// Subject: Is dinner ready?\r\n\
/// Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n\
/// Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n\
/// \r\n\
/// Hi.\r\n\
/// \r\n\
/// We lost the game.  Are you hungry yet?\r\n\
/// \r\n\
/// Joe.\r\n";
/// let message = Message::parse(raw)?;
/// let verifier = Verifier::default().with_clock(Clock::Fixed(1_667_843_664));
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let results = verifier.verify(&zone, &message).await;
/// assert_eq!(results[0].result(), DkimResult::Pass);
/// let proof = results[0].verified().unwrap();
/// assert_eq!(proof.signing_domain().as_str(), "football.example.com");
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A verifier keeps the key records it has parsed (see [`Verifier::new`]); clones share
/// them, across threads too.
#[derive(Clone, Debug, Default)]
pub struct Verifier {
    /// What is accepted.
    pub policy: Policy,
    /// Where "now" comes from.
    pub clock: Clock,
    keys: KeyCache,
}

/// How many parsed key records a [`Verifier`] keeps; when full, it starts over.
const KEY_CACHE_CAPACITY: usize = 256;

/// A key record parsed once, with its public key prepared for the crypto backend.
struct CachedKey {
    record: Result<KeyRecord, KeyRecordError>,
    prepared: crypto::PreparedKey,
}

/// Parsed key records keyed by the TXT record's bytes (so a changed record is a new entry and
/// no DNS TTL is involved: the caller's resolver decides what the record is). Bounded at
/// [`KEY_CACHE_CAPACITY`] entries, emptied when full; shared by the clones of a verifier.
#[derive(Clone, Default)]
struct KeyCache(Arc<Mutex<KeyMap>>);

/// TXT record bytes to the parsed record.
type KeyMap = HashMap<Box<[u8]>, Arc<CachedKey>, foldhash::fast::RandomState>;

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("KeyCache")
            .field("entries", &entries)
            .finish()
    }
}

impl KeyCache {
    /// The parsed form of `txt`, from the cache or parsed now.
    fn get(&self, txt: &[u8]) -> Arc<CachedKey> {
        if let Some(hit) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(txt)
        {
            return Arc::clone(hit);
        }
        // Parsed outside the lock; two threads may both parse a new record, which is
        // harmless.
        let parsed = Arc::new(CachedKey {
            record: KeyRecord::parse(txt),
            prepared: crypto::PreparedKey::default(),
        });
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= KEY_CACHE_CAPACITY {
            map.clear();
        }
        map.insert(Box::from(txt), Arc::clone(&parsed));
        parsed
    }
}

/// A DKIM-Signature field of the message being verified, parsed once.
struct Candidate {
    header_index: usize,
    /// The signature and its `b=` range, or why it does not parse.
    parsed: Result<(Signature, (usize, usize)), SignatureError>,
    /// The outcome of [`Verifier::precheck`]: the key's name, or the status that ends
    /// verification before any key or body is needed (also the neutral status of a field
    /// beyond [`Policy::max_signatures`]).
    precheck: Result<Name, Status>,
}

impl Verifier {
    /// A verifier with `policy` and the system clock.
    pub fn new(policy: Policy) -> Verifier {
        Verifier {
            policy,
            clock: Clock::System,
            keys: KeyCache::default(),
        }
    }

    /// The same verifier with another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Verifier {
        self.clock = clock;
        self
    }

    /// Verifies every DKIM-Signature of `message`, looking keys up with `resolver`.
    /// Allocates its own [`Scratch`]; see [`verify_with_scratch`](Self::verify_with_scratch).
    pub async fn verify<R: Resolver>(
        &self,
        resolver: &R,
        message: &Message<'_>,
    ) -> Vec<SignatureResult> {
        self.verify_with_scratch(resolver, message, &mut Scratch::new())
            .await
    }

    /// Verifies every DKIM-Signature of `message` (top-down, up to
    /// [`Policy::max_signatures`]), one result each; an empty list means the message is
    /// unsigned (RFC 8601 `none`). Keys are looked up once per distinct name, only for
    /// signatures that passed every check not needing the key.
    pub async fn verify_with_scratch<R: Resolver>(
        &self,
        resolver: &R,
        message: &Message<'_>,
        scratch: &mut Scratch,
    ) -> Vec<SignatureResult> {
        let now = self.clock.now();
        let headers = message.header_fields();
        let candidates = self.candidates(headers, now);
        let mut answers: Vec<(Name, Result<Answer<Txt>, LookupError>)> = Vec::new();
        for name in key_names(&candidates) {
            let answer = resolver.txt(&name).await;
            answers.push((name, answer));
        }
        scratch.with_body_hashes(|scratch, body_hashes| {
            self.evaluate_candidates(
                headers,
                message.body(),
                candidates,
                scratch,
                &mut |name| lookup(&answers, name),
                body_hashes,
            )
        })
    }

    /// The key records verification of `message` will ask for: `<selector>._domainkey.<domain>`
    /// of each signature among the first [`Policy::max_signatures`] that parses and passes
    /// every check not needing its key (From signed, `i=` within `d=`, algorithm and `l=`
    /// accepted, required fields signed, not expired, not signed in the future), each name
    /// once, top-down.
    ///
    /// For callers that fetch keys themselves (concurrently, from their own cache), then call
    /// [`verify_with_keys`](Self::verify_with_keys), which asks for no other name as long as
    /// "now" has not moved across a signature's `t=` or `x=` in between (a
    /// [`Clock::Fixed`] rules that out).
    ///
    /// ```
    /// use mailproof_dkim::Verifier;
    /// use mailproof_message::Message;
    ///
    /// let raw = b"DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=ed; h=from;\r\n \
    ///             bh=AAAA; b=AAAA\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n \
    ///             s=ed; h=from; bh=AAAA; b=AAAA\r\nFrom: a@example.com\r\n\r\nHi\r\n";
    /// let names = Verifier::default().key_names(&Message::parse(raw)?);
    /// assert_eq!(names.len(), 1);
    /// assert_eq!(names[0].as_str(), "ed._domainkey.example.com");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_names(&self, message: &Message<'_>) -> Vec<Name> {
        self.key_names_at(message, self.clock.now())
    }

    fn key_names_at(&self, message: &Message<'_>, now: u64) -> Vec<Name> {
        let headers = message.header_fields();
        key_names(&self.candidates(headers, now))
    }

    /// Parses and prechecks every DKIM-Signature of `message` once, for callers that fetch
    /// keys themselves: [`Prepared::key_names`] says which keys to fetch, and
    /// [`Prepared::verify_with_keys`] finishes with them, without parsing the signatures
    /// again. "Now" is read from the clock here.
    ///
    /// ```
    /// use mailproof_dkim::{Clock, DkimResult, DnsTxtRecord, Scratch, Signer, SigningKey, Verifier, sign};
    /// use mailproof_dns::{Answer, Txt};
    /// use mailproof_message::Message;
    ///
    /// let key = SigningKey::from_ed25519_seed(&[7; 32])?;
    /// let record = DnsTxtRecord::for_key(&key);
    /// let body = b"From: a@example.com\r\n\r\nHello\r\n";
    /// let field = sign(&[Signer::new(key, "example.com", "ed")?], body, Clock::Fixed(1_000))?;
    /// let raw = [field.as_bytes(), body].concat();
    /// let message = Message::parse(&raw)?;
    ///
    /// let verifier = Verifier::default().with_clock(Clock::Fixed(1_000));
    /// let prepared = verifier.prepare(&message);
    /// assert_eq!(prepared.key_names()[0].as_str(), "ed._domainkey.example.com");
    /// let results = prepared.verify_with_keys(
    ///     &mut |_| Ok(Answer::from_records(vec![Txt::new(record.as_str().as_bytes())], 300)),
    ///     &mut Scratch::new(),
    /// );
    /// assert_eq!(results[0].result(), DkimResult::Pass);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prepare<'v, 'm>(&'v self, message: &'m Message<'m>) -> Prepared<'v, 'm> {
        let headers = message.header_fields();
        let candidates = self.candidates(headers, self.clock.now());
        Prepared {
            verifier: self,
            headers,
            body: message.body(),
            candidates,
        }
    }

    /// Every DKIM-Signature field among `headers`, parsed and prechecked once.
    fn candidates(&self, headers: &[Header<'_>], now: u64) -> Vec<Candidate> {
        // Sized exactly: a `Candidate` is large, and growing the list by doubling would ask
        // for a kilobyte or more for one or two signatures.
        let count = headers.iter().filter(|h| h.is(DKIM_SIGNATURE)).count();
        let mut candidates = Vec::with_capacity(count);
        for (header_index, header) in headers.iter().enumerate() {
            if !header.is(DKIM_SIGNATURE) {
                continue;
            }
            let beyond_limit = candidates.len() >= self.policy.max_signatures;
            let parsed = Signature::parse_with_b_range(header.value());
            let precheck = match &parsed {
                _ if beyond_limit => Err(Status::Neutral(NeutralReason::NotEvaluated {
                    limit: self.policy.max_signatures,
                })),
                Ok((signature, _)) => self.precheck(signature, now),
                Err(error) => Err(Status::PermError(PermErrorReason::Syntax(*error))),
            };
            candidates.push(Candidate {
                header_index,
                parsed,
                precheck,
            });
        }
        candidates
    }

    /// A verifier to feed the message in chunks (see [`StreamingVerifier`]); "now" is read
    /// from the clock here, once.
    pub fn streaming(&self) -> StreamingVerifier<'_> {
        StreamingVerifier {
            verifier: self,
            now: self.clock.now(),
            header_block: HeaderBlock::default(),
            candidates: Vec::new(),
            body_hashers: Vec::new(),
        }
    }

    /// Verifies every DKIM-Signature of `message` with keys supplied by `keys` (called with
    /// `<selector>._domainkey.<domain>`, only for signatures that need their key). The pure
    /// form of [`verify`](Self::verify): no I/O, the caller decides where keys come from.
    pub fn verify_with_keys(
        &self,
        message: &Message<'_>,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        scratch: &mut Scratch,
    ) -> Vec<SignatureResult> {
        self.evaluate_all(message, self.clock.now(), scratch, keys)
    }

    fn evaluate_all(
        &self,
        message: &Message<'_>,
        now: u64,
        scratch: &mut Scratch,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
    ) -> Vec<SignatureResult> {
        scratch.with_body_hashes(|scratch, body_hashes| {
            self.evaluate_all_with(message, now, scratch, keys, body_hashes)
        })
    }

    /// [`evaluate_all`](Self::evaluate_all), keeping the body hashes it computed (one per
    /// distinct canonicalization, hash and `l=`) in `body_hashes`.
    fn evaluate_all_with(
        &self,
        message: &Message<'_>,
        now: u64,
        scratch: &mut Scratch,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        body_hashes: &mut Vec<BodyHash>,
    ) -> Vec<SignatureResult> {
        let headers = message.header_fields();
        let candidates = self.candidates(headers, now);
        self.evaluate_candidates(
            headers,
            message.body(),
            candidates,
            scratch,
            keys,
            body_hashes,
        )
    }

    /// One result per candidate, top-down; the body hashes computed (one per distinct
    /// canonicalization, hash and `l=`) are kept in `body_hashes`, which may hold some
    /// already (streaming).
    fn evaluate_candidates(
        &self,
        headers: &[Header<'_>],
        body: &[u8],
        candidates: Vec<Candidate>,
        scratch: &mut Scratch,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        body_hashes: &mut Vec<BodyHash>,
    ) -> Vec<SignatureResult> {
        let mut results = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let header_index = candidate.header_index;
            let signature = candidate.parsed.as_ref().ok();
            let status = match (candidate.precheck, signature) {
                (Err(status), _) => status,
                (Ok(key_name), Some((signature, b_range))) => self.evaluate(
                    headers,
                    header_index,
                    signature,
                    *b_range,
                    &key_name,
                    body,
                    scratch,
                    keys,
                    body_hashes,
                ),
                // A precheck passes only for a parsed signature.
                (Ok(_), None) => Status::PermError(PermErrorReason::InvalidKeyName),
            };
            results.push(SignatureResult {
                header_index,
                signature: candidate.parsed.ok().map(|(signature, _)| signature),
                status,
            });
        }
        results
    }

    /// The checks that need neither key nor body: the key's name, or the status that ends
    /// verification here.
    fn precheck(&self, signature: &Signature, now: u64) -> Result<Name, Status> {
        self.precheck_status(signature, now).map_or_else(
            || {
                signature
                    .key_name()
                    .ok_or(Status::PermError(PermErrorReason::InvalidKeyName))
            },
            Err,
        )
    }

    fn precheck_status(&self, signature: &Signature, now: u64) -> Option<Status> {
        if !signature.signs_from() {
            return Some(Status::PermError(PermErrorReason::FromNotSigned));
        }
        if let Some(identity) = &signature.agent_identifier
            && !identity.domain.is_within(&signature.signing_domain)
        {
            return Some(Status::PermError(PermErrorReason::IdentityOutsideDomain));
        }
        if signature.algorithm == Algorithm::RsaSha1 && !self.policy.danger_allow_rsa_sha1 {
            return Some(Status::Policy(PolicyReason::AlgorithmNotAllowed(
                signature.algorithm,
            )));
        }
        if signature.body_length.is_some() && !self.policy.allow_body_length {
            return Some(Status::Policy(PolicyReason::BodyLengthNotAllowed));
        }
        if let Some(name) = self
            .policy
            .required_headers
            .iter()
            .find(|name| !signature.signs(name))
        {
            return Some(Status::Policy(PolicyReason::RequiredHeaderNotSigned {
                name: name.clone(),
            }));
        }
        if let Some(expires_at) = signature.expires_at
            && expires_at < now
        {
            return Some(Status::PermError(PermErrorReason::Expired {
                expires_at,
                now,
            }));
        }
        if let Some(signed_at) = signature.signed_at
            && signed_at > now.saturating_add(self.policy.future_tolerance_seconds)
        {
            return Some(Status::PermError(PermErrorReason::SignedInFuture {
                signed_at,
                now,
            }));
        }
        None
    }

    /// Fetches and checks the key: the record, or the status that ends verification.
    fn key_for(
        &self,
        signature: &Signature,
        name: &Name,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
    ) -> Result<Arc<CachedKey>, Status> {
        let records = match keys(name) {
            Err(error) => return Err(Status::TempError(TempErrorReason::KeyLookup(error))),
            Ok(Answer::NoRecords { .. } | Answer::NxDomain { .. }) => {
                return Err(Status::PermError(PermErrorReason::KeyNotFound));
            }
            Ok(Answer::Records { records, .. }) => records,
        };
        // RFC 6376 §3.6.2.2 leaves several records undefined; use the first that parses.
        let mut first_error = None;
        let mut found = None;
        for txt in records.iter() {
            let cached = self.keys.get(txt.as_bytes());
            match &cached.record {
                Ok(_) => {
                    found = Some(cached);
                    break;
                }
                Err(error) => {
                    first_error.get_or_insert(*error);
                }
            }
        }
        let cached = match (found, first_error) {
            (Some(cached), _) => cached,
            (None, Some(error)) => {
                return Err(Status::PermError(PermErrorReason::KeyRecord(error)));
            }
            (None, None) => return Err(Status::PermError(PermErrorReason::KeyNotFound)),
        };
        let record = match &cached.record {
            Ok(record) => record,
            Err(error) => return Err(Status::PermError(PermErrorReason::KeyRecord(*error))),
        };
        let perm = |reason| Err(Status::PermError(reason));
        if !record.allows_email {
            return perm(PermErrorReason::ServiceNotAllowed);
        }
        if record.public_key == PublicKey::Revoked {
            return perm(PermErrorReason::KeyRevoked);
        }
        if record.key_type != signature.algorithm.key_type() {
            return perm(PermErrorReason::KeyTypeMismatch);
        }
        if !record.allows_hash(signature.algorithm.hash()) {
            return perm(PermErrorReason::HashNotAllowedByKey);
        }
        if record.strict_identity
            && let Some(identity) = &signature.agent_identifier
            && identity.domain != signature.signing_domain
        {
            return perm(PermErrorReason::StrictIdentityViolated);
        }
        if let PublicKey::Rsa(rsa) = &record.public_key {
            let minimum = self.policy.minimum_rsa_bits.max(1024);
            if rsa.modulus_bits() < minimum {
                return Err(Status::Policy(PolicyReason::KeyTooSmall {
                    bits: rsa.modulus_bits(),
                    minimum,
                }));
            }
            if rsa.modulus_bits() > 8192 {
                return perm(PermErrorReason::KeyUnusable);
            }
        }
        Ok(cached)
    }

    /// Verifies a signature that passed [`precheck`](Self::precheck): key, body hash,
    /// header hash and signature.
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        headers: &[Header<'_>],
        header_index: usize,
        signature: &Signature,
        b_range: (usize, usize),
        key_name: &Name,
        body: &[u8],
        scratch: &mut Scratch,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        body_hashes: &mut Vec<BodyHash>,
    ) -> Status {
        let cached = match self.key_for(signature, key_name, keys) {
            Ok(cached) => cached,
            Err(status) => return status,
        };
        let Ok(record) = &cached.record else {
            // key_for returns only records that parsed.
            return Status::PermError(PermErrorReason::KeyNotFound);
        };

        // Body hash (§6.1.3), shared by signatures with the same parameters.
        let hash = signature.algorithm.hash();
        let known = body_hashes.iter().position(|b| {
            b.canonicalization == signature.body_canonicalization
                && b.hash == hash
                && b.body_length == signature.body_length
        });
        let index = known.unwrap_or_else(|| {
            let mut hasher =
                BodyHasher::new(signature.body_canonicalization, hash, signature.body_length);
            hasher.update(body);
            let (digest, canonical_length) = hasher.finish();
            body_hashes.push(BodyHash {
                canonicalization: signature.body_canonicalization,
                hash,
                body_length: signature.body_length,
                digest,
                canonical_length,
            });
            body_hashes.len() - 1
        });
        let body_hash = &body_hashes[index];
        if let Some(body_length) = signature.body_length
            && body_length > body_hash.canonical_length
        {
            return Status::PermError(PermErrorReason::BodyLengthExceedsBody {
                body_length,
                canonical_body_length: body_hash.canonical_length,
            });
        }
        if body_hash.digest.as_ref() != &*signature.body_hash {
            return Status::Fail(FailReason::BodyHashMismatch);
        }

        // Header hash and signature (§6.1.3 steps 2–5).
        let Some((verified, key_bits)) = check_header_signature(
            headers,
            header_index,
            signature,
            b_range,
            &record.public_key,
            &cached.prepared,
            scratch,
        ) else {
            return Status::PermError(PermErrorReason::KeyRevoked);
        };
        if !verified {
            return Status::Fail(FailReason::SignatureMismatch);
        }
        Status::Pass(VerifiedSignature {
            signing_domain: signature.signing_domain.clone(),
            selector: signature.selector.clone(),
            algorithm: signature.algorithm,
            agent_identifier: signature.agent_identifier.clone().unwrap_or(Identity {
                local_part: Box::default(),
                domain: signature.signing_domain.clone(),
            }),
            body_coverage: match signature.body_length {
                None => BodyCoverage::Full,
                Some(signed_octets) => BodyCoverage::Limited {
                    signed_octets,
                    canonical_body_octets: body_hash.canonical_length,
                },
            },
            key_testing: record.testing,
            key_bits,
            header_index,
        })
    }
}

/// A message whose DKIM-Signature fields are parsed and prechecked, waiting for its keys
/// (see [`Verifier::prepare`]).
pub struct Prepared<'v, 'm> {
    verifier: &'v Verifier,
    headers: &'m [Header<'m>],
    body: &'m [u8],
    candidates: Vec<Candidate>,
}

impl fmt::Debug for Prepared<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("signatures", &self.candidates.len())
            .finish_non_exhaustive()
    }
}

impl Prepared<'_, '_> {
    /// The key records verification will ask for, as [`Verifier::key_names`] says.
    pub fn key_names(&self) -> Vec<Name> {
        key_names(&self.candidates)
    }

    /// Finishes verification with keys supplied by `keys`, as
    /// [`Verifier::verify_with_keys`] does.
    pub fn verify_with_keys(
        self,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        scratch: &mut Scratch,
    ) -> Vec<SignatureResult> {
        let Prepared {
            verifier,
            headers,
            body,
            candidates,
        } = self;
        scratch.with_body_hashes(|scratch, body_hashes| {
            verifier.evaluate_candidates(headers, body, candidates, scratch, keys, body_hashes)
        })
    }
}

/// A verifier fed the message in chunks, for messages that should not be held in memory
/// whole: the header block is buffered, the body is canonicalized and hashed as it arrives
/// (once per distinct canonicalization, hash and `l=` among the signatures that passed
/// the checks not needing a key) and never stored. Memory stays at the header block plus a
/// few hundred bytes per body hash, however long the body.
///
/// ```
/// use mailproof_dkim::{Clock, DkimResult, Policy, Scratch, Signer, SigningKey, Verifier, sign};
/// use mailproof_dns::{Name, ZoneResolver};
///
/// let key = SigningKey::from_ed25519_seed(&[42; 32])?;
/// let mut zone = ZoneResolver::new();
/// zone.add_txt(
///     Name::new("ed._domainkey.example.com")?,
///     &[mailproof_dkim::DnsTxtRecord::for_key(&key).as_str()],
/// );
/// let message = b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
/// let fields = sign(&[Signer::new(key, "example.com", "ed")?], message, Clock::Fixed(1_000))?;
///
/// let verifier = Verifier::new(Policy::default()).with_clock(Clock::Fixed(1_000));
/// let mut streaming = verifier.streaming();
/// streaming.update(fields.as_bytes());
/// for chunk in message.chunks(7) {
///     streaming.update(chunk);
/// }
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let results = streaming.finish(&zone, &mut Scratch::new()).await?;
/// assert_eq!(results[0].result(), DkimResult::Pass);
/// # Ok::<(), mailproof_message::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamingVerifier<'v> {
    verifier: &'v Verifier,
    now: u64,
    header_block: HeaderBlock,
    /// The DKIM-Signature fields, parsed when the header block ended.
    candidates: Vec<Candidate>,
    body_hashers: Vec<(Canonicalization, HashAlgorithm, Option<u64>, BodyHasher)>,
}

impl fmt::Debug for StreamingVerifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingVerifier")
            .field("header_bytes", &self.header_block.len())
            .field("in_body", &self.header_block.in_body())
            .field("body_hashes", &self.body_hashers.len())
            .finish_non_exhaustive()
    }
}

impl StreamingVerifier<'_> {
    /// Feeds the next piece of the message.
    pub fn update(&mut self, chunk: &[u8]) {
        let body = match self.header_block.update(chunk) {
            Fed::Header => return,
            Fed::BodyStarted { header, body } => {
                // On a parse error `finish` reports it.
                if let Ok(message) = Message::parse(header) {
                    let headers = message.header_fields();
                    self.candidates = self.verifier.candidates(headers, self.now);
                    self.body_hashers = body_hashers(&self.candidates);
                }
                body
            }
            Fed::Body(body) => body,
        };
        for (_, _, _, hasher) in &mut self.body_hashers {
            hasher.update(body);
        }
    }

    /// The key records verification will ask for (see [`Verifier::key_names`]), known as
    /// soon as the header block has been fed: keys can be fetched while the body streams.
    pub fn key_names(&self) -> Vec<Name> {
        if self.header_block.in_body() {
            return key_names(&self.candidates);
        }
        Message::parse(self.header_block.header())
            .map(|message| self.verifier.key_names_at(&message, self.now))
            .unwrap_or_default()
    }

    /// Ends the message and verifies it, with keys supplied by `keys` (see
    /// [`Verifier::verify_with_keys`]).
    ///
    /// # Errors
    /// The header block exceeds the message parser's limits.
    pub fn finish_with_keys(
        self,
        keys: &mut dyn FnMut(&Name) -> Result<Answer<Txt>, LookupError>,
        scratch: &mut Scratch,
    ) -> Result<Vec<SignatureResult>, mailproof_message::Error> {
        let (verifier, now) = (self.verifier, self.now);
        let (header_block, in_body) = self.header_block.finish()?;
        let message = Message::parse(&header_block)?;
        if !in_body {
            // No separator line: whatever the parser takes for a body is in `message`.
            return Ok(verifier.evaluate_all(&message, now, scratch, keys));
        }
        let mut body_hashes: Vec<BodyHash> = self
            .body_hashers
            .into_iter()
            .map(|(canonicalization, hash, body_length, hasher)| {
                let (digest, canonical_length) = hasher.finish();
                BodyHash {
                    canonicalization,
                    hash,
                    body_length,
                    digest,
                    canonical_length,
                }
            })
            .collect();
        let headers = message.header_fields();
        Ok(verifier.evaluate_candidates(
            headers,
            message.body(),
            self.candidates,
            scratch,
            keys,
            &mut body_hashes,
        ))
    }

    /// Ends the message and verifies it, looking keys up with `resolver` (once per distinct
    /// name).
    ///
    /// # Errors
    /// The header block exceeds the message parser's limits.
    pub async fn finish<R: Resolver>(
        self,
        resolver: &R,
        scratch: &mut Scratch,
    ) -> Result<Vec<SignatureResult>, mailproof_message::Error> {
        let mut answers: Vec<(Name, Result<Answer<Txt>, LookupError>)> = Vec::new();
        for name in self.key_names() {
            let answer = resolver.txt(&name).await;
            answers.push((name, answer));
        }
        self.finish_with_keys(&mut |name| lookup(&answers, name), scratch)
    }
}

/// A fetched key answer; a name never fetched counts as NXDOMAIN (it is only asked for if
/// "now" moved across a signature's time bounds between listing and verifying).
fn lookup(
    answers: &[(Name, Result<Answer<Txt>, LookupError>)],
    name: &Name,
) -> Result<Answer<Txt>, LookupError> {
    answers
        .iter()
        .find(|(n, _)| n == name)
        .map_or(Ok(Answer::NxDomain { ttl_seconds: 0 }), |(_, a)| a.clone())
}

/// The key names of the candidates that need their key, each once, top-down.
fn key_names(candidates: &[Candidate]) -> Vec<Name> {
    let mut names: Vec<Name> = Vec::new();
    for candidate in candidates {
        if let Ok(name) = &candidate.precheck
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}

/// One body hasher per distinct (canonicalization, hash, `l=`) among the candidates that
/// verification will hash the body for.
fn body_hashers(
    candidates: &[Candidate],
) -> Vec<(Canonicalization, HashAlgorithm, Option<u64>, BodyHasher)> {
    let mut hashers: Vec<(Canonicalization, HashAlgorithm, Option<u64>, BodyHasher)> = Vec::new();
    for candidate in candidates {
        let (Ok((signature, _)), Ok(_)) = (&candidate.parsed, &candidate.precheck) else {
            continue;
        };
        let key = (
            signature.body_canonicalization,
            signature.algorithm.hash(),
            signature.body_length,
        );
        if !hashers.iter().any(|(c, h, l, _)| (*c, *h, *l) == key) {
            hashers.push((key.0, key.1, key.2, BodyHasher::new(key.0, key.1, key.2)));
        }
    }
    hashers
}

/// Canonicalizes the signed header fields into `scratch` and checks the signature over
/// them: (verified, key bits), or `None` for a revoked key.
fn check_header_signature(
    headers: &[Header<'_>],
    header_index: usize,
    signature: &Signature,
    b_range: (usize, usize),
    public_key: &PublicKey,
    prepared: &crypto::PreparedKey,
    scratch: &mut Scratch,
) -> Option<(bool, usize)> {
    scratch.headers.clear();
    select_headers(
        headers,
        signature.signed_headers.iter(),
        signature.header_canonicalization,
        scratch,
    );
    let sig_header = &headers[header_index];
    let raw = sig_header.raw();
    let without_break = &raw[..raw.len() - sig_header.line_ending().len()];
    let value = sig_header.value();
    let prefix = &without_break[..without_break.len() - value.len()];
    canonical::header(
        signature.header_canonicalization,
        prefix,
        sig_header.name(),
        &[&value[..b_range.0], &value[b_range.1..]],
        false,
        &mut scratch.headers,
    );
    let hash = signature.algorithm.hash();
    let outcome = match public_key {
        PublicKey::Rsa(rsa) => {
            let key = PublicKeyRef::Rsa {
                pkcs1_der: rsa.pkcs1_der(),
                modulus_bits: rsa.modulus_bits(),
            };
            let ok = prepared.verify(key, hash, &scratch.headers, &signature.signature);
            (ok, rsa.modulus_bits())
        }
        PublicKey::Ed25519(key) => {
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the canonicalized headers.
            let header_hash = crypto::sha256(&scratch.headers);
            let key = PublicKeyRef::Ed25519(key);
            let ok = prepared.verify(key, hash, header_hash.as_ref(), &signature.signature);
            (ok, 256)
        }
        PublicKey::Revoked => return None,
    };
    Some(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Signer, SigningKey, sign};

    #[test]
    fn body_hashed_once_per_distinct_parameters() {
        let key = || SigningKey::from_ed25519_seed(&[3; 32]).unwrap();
        let relaxed = || {
            Signer::new(key(), "example.com", "ed")
                .unwrap()
                .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Relaxed)
        };
        let simple = Signer::new(key(), "example.com", "ed")
            .unwrap()
            .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Simple);
        let message = b"From: a@example.com\r\nSubject: x\r\n\r\nHello  there \r\n\r\n";
        // Three relaxed-body signatures (one of them with l=) and one simple-body signature.
        let signers = [
            relaxed(),
            simple,
            relaxed(),
            relaxed().with_body_length_tag(true),
        ];
        let fields = sign(&signers, message, Clock::Fixed(1_000)).unwrap();
        let signed = [fields.as_bytes(), message].concat();
        let record = crate::DnsTxtRecord::for_key(&key());
        let mut keys = |_: &Name| {
            Ok(Answer::from_records(
                vec![Txt::new(record.as_str().as_bytes())],
                60,
            ))
        };
        let verifier = Verifier::new(Policy {
            allow_body_length: true,
            ..Policy::default()
        })
        .with_clock(Clock::Fixed(1_000));
        let mut body_hashes = Vec::new();
        let results = verifier.evaluate_all_with(
            &Message::parse(&signed).unwrap(),
            1_000,
            &mut Scratch::new(),
            &mut keys,
            &mut body_hashes,
        );
        assert_eq!(results.len(), 4);
        assert!(results.iter().all(|r| r.result() == DkimResult::Pass));
        // (relaxed, sha256, none), (simple, sha256, none), (relaxed, sha256, Some(l)).
        assert_eq!(body_hashes.len(), 3);
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            Status::Fail(FailReason::BodyHashMismatch).to_string(),
            "fail (body hash mismatch: the body was changed after signing)"
        );
        assert_eq!(
            PolicyReason::KeyTooSmall {
                bits: 512,
                minimum: 1024
            }
            .to_string(),
            "512-bit key is below the 1024-bit minimum"
        );
        assert_eq!(
            PermErrorReason::KeyRecord(KeyRecordError::MissingPublicKey).to_string(),
            "key record is invalid: key record has no p= tag"
        );
        assert_eq!(
            PermErrorReason::Syntax(SignatureError::MissingTag { tag: "bh" }).to_string(),
            "signature does not parse: required tag bh= is missing"
        );
    }
}
