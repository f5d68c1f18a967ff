//! Signing (RFC 6376 §5): keys, signers, one-shot and streaming signing.

use std::fmt::{self, Write as _};

use crate::canonical::{self, BodyHasher, Canonicalization};
use crate::crypto::{self, KeyPair, KeyRejected};
use crate::error::Error;
use crate::header_block::{Fed, HeaderBlock};
use crate::signature::{Algorithm, HashAlgorithm, parse_domain, parse_selector};
use crate::verify::{Clock, DKIM_SIGNATURE, Scratch, select_headers};
use base64::Engine as _;
use mailproof_dns::Name;
use mailproof_message::{Header, Message};

/// The header fields signed by default: RFC 6376 §5.4.1's list, plus Message-ID and the
/// MIME fields whose change would alter how the body is read.
pub const DEFAULT_SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Resent-Date",
    "Resent-From",
    "Resent-Sender",
    "Resent-To",
    "Resent-Cc",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Help",
    "List-Unsubscribe",
    "List-Subscribe",
    "List-Post",
    "List-Owner",
    "List-Archive",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// A private key the crypto backend can sign with: RSA (ring: 2048–4096 bits; aws-lc-rs:
/// 2048–8192) or Ed25519.
pub struct SigningKey {
    pub(crate) pair: KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// Decodes the first PEM block: its label and DER contents. Encrypted PEM (with
/// `Proc-Type` headers) is refused.
fn pem_decode(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let after = &text[start + 11..];
    let label_end = after.find("-----")?;
    let label = &after[..label_end];
    let body = &after[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let body = &body[..end];
    if body.contains(':') {
        return None;
    }
    let der = crate::signature::decode_base64(body.as_bytes())?;
    Some((label, der))
}

fn rejected(format: &'static str) -> impl Fn(KeyRejected) -> Error {
    move |e| Error::InvalidKey {
        format,
        source: Some(Box::new(e)),
    }
}

impl SigningKey {
    /// Loads a PKCS#8 `PrivateKeyInfo` (DER) holding an RSA or an Ed25519 key (v1 or v2).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when it is neither.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, Error> {
        KeyPair::from_pkcs8(der)
            .map(|pair| SigningKey { pair })
            .map_err(rejected("PKCS#8"))
    }

    /// Loads a PKCS#1 `RSAPrivateKey` (DER).
    ///
    /// # Errors
    /// [`Error::InvalidKey`], also for keys outside 2048–4096 bits.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<SigningKey, Error> {
        KeyPair::from_pkcs1(der)
            .map(|pair| SigningKey { pair })
            .map_err(rejected("PKCS#1"))
    }

    /// Loads DER: PKCS#8, else PKCS#1.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when it is neither.
    pub fn from_der(der: &[u8]) -> Result<SigningKey, Error> {
        SigningKey::from_pkcs8_der(der).or_else(|_| SigningKey::from_pkcs1_der(der))
    }

    /// Loads PEM: `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE
    /// KEY-----` (PKCS#1). Unencrypted keys only.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for other labels, encrypted or malformed PEM, or bad keys.
    pub fn from_pem(pem: &str) -> Result<SigningKey, Error> {
        let invalid = || Error::InvalidKey {
            format: "PEM",
            source: None,
        };
        let (label, der) = pem_decode(pem).ok_or_else(invalid)?;
        match label {
            "PRIVATE KEY" => SigningKey::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => SigningKey::from_pkcs1_der(&der),
            _ => Err(invalid()),
        }
    }

    /// Loads an Ed25519 key from its 32-byte seed (the RFC 8032 "secret key", as
    /// dkimpy and RFC 8463 Appendix A publish it).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if `seed` is not 32 bytes.
    pub fn from_ed25519_seed(seed: &[u8]) -> Result<SigningKey, Error> {
        KeyPair::from_ed25519_seed(seed)
            .map(|pair| SigningKey { pair })
            .map_err(rejected("Ed25519 seed"))
    }

    /// The algorithm this key signs with (`rsa-sha256` or `ed25519-sha256`).
    pub fn algorithm(&self) -> Algorithm {
        match self.pair {
            KeyPair::Rsa(_) => Algorithm::RsaSha256,
            KeyPair::Ed25519(_) => Algorithm::Ed25519Sha256,
        }
    }

    /// The public key in the form `p=` publishes: `SubjectPublicKeyInfo` DER for RSA, the raw
    /// 32 bytes for Ed25519.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        match &self.pair {
            KeyPair::Rsa(_) => crate::keygen::rsa_spki(self.pair.public_key()),
            KeyPair::Ed25519(_) => self.pair.public_key().to_vec(),
        }
    }

    /// Signs canonicalized header data (RSA: PKCS#1 v1.5 over SHA-256; Ed25519: over the
    /// SHA-256 hash, RFC 8463 §3).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let signature = match &self.pair {
            KeyPair::Rsa(_) => self.pair.sign(data),
            KeyPair::Ed25519(_) => self.pair.sign(crypto::sha256(data).as_ref()),
        };
        signature.ok_or(Error::Crypto)
    }
}

/// The settings for one signature: key, `d=`, `s=` and options.
///
/// Defaults: relaxed/relaxed, [`DEFAULT_SIGNED_HEADERS`] with oversigning (each field
/// listed once more than it occurs, so none can be added later without breaking the
/// signature), `t=` set, no `x=`, no `i=`, no `l=`.
///
/// ```
/// use mailproof_dkim::{Canonicalization, Signer, SigningKey};
///
/// let key = SigningKey::from_ed25519_seed(&[7; 32])?;
/// let signer = Signer::new(key, "example.com", "ed")?
///     .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Simple)
///     .with_expiry(7 * 24 * 3600)
///     .with_agent_identifier("bounces@mail.example.com")?;
/// # Ok::<(), mailproof_dkim::Error>(())
/// ```
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    signing_domain: Name,
    selector: Box<str>,
    header_canonicalization: Canonicalization,
    body_canonicalization: Canonicalization,
    signed_headers: Vec<Box<str>>,
    oversign: bool,
    agent_identifier: Option<Box<str>>,
    expires_after: Option<u64>,
    timestamp: bool,
    body_length: bool,
}

impl Signer {
    /// A signer for `signing_domain` (`d=`) with `selector` (`s=`).
    ///
    /// # Errors
    /// [`Error::InvalidSigningDomain`] or [`Error::InvalidSelector`].
    pub fn new(key: SigningKey, signing_domain: &str, selector: &str) -> Result<Signer, Error> {
        let signing_domain =
            parse_domain(signing_domain.as_bytes()).ok_or(Error::InvalidSigningDomain)?;
        let selector = parse_selector(selector.as_bytes()).ok_or(Error::InvalidSelector)?;
        Ok(Signer {
            key,
            signing_domain,
            selector,
            header_canonicalization: Canonicalization::Relaxed,
            body_canonicalization: Canonicalization::Relaxed,
            signed_headers: DEFAULT_SIGNED_HEADERS
                .iter()
                .map(|&h| Box::from(h))
                .collect(),
            oversign: true,
            agent_identifier: None,
            expires_after: None,
            timestamp: true,
            body_length: false,
        })
    }

    /// Sets `c=`.
    #[must_use]
    pub fn with_canonicalization(
        mut self,
        header: Canonicalization,
        body: Canonicalization,
    ) -> Self {
        self.header_canonicalization = header;
        self.body_canonicalization = body;
        self
    }

    /// Replaces the list of header fields to sign (names; From is required). A
    /// `DKIM-Signature` in the list signs the DKIM-Signature fields already in the message,
    /// never the one being created (RFC 6376 §3.5), and is not oversigned.
    ///
    /// # Errors
    /// [`Error::InvalidHeaderList`] without From or with something not a field name.
    pub fn with_signed_headers(mut self, names: &[&str]) -> Result<Self, Error> {
        let valid =
            |n: &&str| !n.is_empty() && n.bytes().all(|b| (33..=126).contains(&b) && b != b':');
        if !names.iter().all(valid) || !names.iter().any(|n| n.eq_ignore_ascii_case("from")) {
            return Err(Error::InvalidHeaderList);
        }
        self.signed_headers = names.iter().map(|&h| Box::from(h)).collect();
        Ok(self)
    }

    /// Turns oversigning on (default) or off. Off, `h=` lists each present field once per
    /// occurrence and absent fields not at all.
    #[must_use]
    pub fn with_oversigning(mut self, oversign: bool) -> Self {
        self.oversign = oversign;
        self
    }

    /// Sets `i=` (`[local-part]@domain`, the domain within `d=`).
    ///
    /// # Errors
    /// [`Error::InvalidAgentIdentifier`].
    pub fn with_agent_identifier(mut self, identity: &str) -> Result<Self, Error> {
        let at = identity.rfind('@').ok_or(Error::InvalidAgentIdentifier)?;
        let domain =
            parse_domain(&identity.as_bytes()[at + 1..]).ok_or(Error::InvalidAgentIdentifier)?;
        let local_ok = identity[..at]
            .bytes()
            .all(|b| (33..=126).contains(&b) && b != b';');
        if !local_ok || !domain.is_within(&self.signing_domain) {
            return Err(Error::InvalidAgentIdentifier);
        }
        self.agent_identifier = Some(identity.into());
        Ok(self)
    }

    /// Sets `x=` to `t=` plus `seconds`.
    #[must_use]
    pub fn with_expiry(mut self, seconds: u64) -> Self {
        self.expires_after = Some(seconds.max(1));
        self
    }

    /// Whether to write `t=` (default yes; `x=` implies it).
    #[must_use]
    pub fn with_timestamp(mut self, timestamp: bool) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Whether to write `l=` with the length of the canonicalized body (default no).
    ///
    /// RFC 6376 §8.2: `l=` lets anyone append content after the signed part, and strict
    /// verifiers (this crate's default) refuse such signatures. Only for mailing-list
    /// setups that append footers and whose receivers opt in.
    #[must_use]
    pub fn with_body_length_tag(mut self, body_length: bool) -> Self {
        self.body_length = body_length;
        self
    }

    /// The key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// `h=` for this message: each configured name as often as it occurs, plus once more
    /// when oversigning, except DKIM-Signature.
    ///
    /// The field being created goes on top of the header block, where a verifier's
    /// bottom-up selection (§5.4.2) would take it for an extra `DKIM-Signature` entry, and
    /// §3.5 forbids signing it: so DKIM-Signature fields already present are signed as they
    /// occur, never oversigned.
    fn header_list<'s>(&'s self, headers: &[Header<'_>]) -> Vec<&'s str> {
        let mut list = Vec::new();
        for name in &self.signed_headers {
            let extra = self.oversign && !name.eq_ignore_ascii_case(DKIM_SIGNATURE);
            let count = headers.iter().filter(|h| h.is(name)).count() + usize::from(extra);
            list.extend(std::iter::repeat_n(&**name, count));
        }
        list
    }
}

/// `i=` in dkim-quoted-printable (RFC 6376 §2.11, §3.5): bytes other than `dkim-safe-char`
/// (`%x21-3A / %x3C / %x3E-7E`: visible ASCII but `;` and `=`) as `=XX`.
fn quoted_printable_identity(identity: &str) -> String {
    let mut out = String::with_capacity(identity.len());
    for b in identity.bytes() {
        if matches!(b, 0x21..=0x3a | 0x3c | 0x3e..=0x7e) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "={b:02X}");
        }
    }
    out
}

/// The latest time `t=` and `x=` can hold: 12 digits (RFC 6376 §3.5, `1*12DIGIT`), in the
/// year 33658.
pub const MAX_TIMESTAMP: u64 = 999_999_999_999;

/// Writes a header field value folded at 78 columns (a folding HTAB counts as 8).
struct Folder {
    out: String,
    column: usize,
}

const MAX_COLUMNS: usize = 78;
const FOLD: &str = "\r\n\t";
const FOLD_COLUMN: usize = 8;

impl Folder {
    fn new(field: &str) -> Folder {
        // A DKIM-Signature field with an RSA-4096 b= and a long h= fits.
        let mut out = String::with_capacity(1536);
        out.push_str(field);
        out.push(':');
        Folder {
            out,
            column: field.len() + 1,
        }
    }

    fn fold(&mut self) {
        self.out.push_str(FOLD);
        self.column = FOLD_COLUMN;
    }

    /// Appends `word`, after a space or, if it would not fit, after a fold.
    fn word(&mut self, word: &str, space: bool) {
        let needed = word.len() + usize::from(space);
        if self.column + needed > MAX_COLUMNS && self.column > FOLD_COLUMN {
            self.fold();
        } else if space {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(word);
        self.column += word.len();
    }

    /// Appends text that may be broken anywhere (base64), filling lines.
    fn breakable(&mut self, mut text: &str) {
        while !text.is_empty() {
            if self.column >= MAX_COLUMNS {
                self.fold();
            }
            let take = (MAX_COLUMNS - self.column).min(text.len());
            self.out.push_str(&text[..take]);
            self.column += take;
            text = &text[take..];
        }
    }
}

/// Body hashes computed once per distinct body canonicalization.
struct BodyHashes {
    hashers: Vec<(Canonicalization, BodyHasher)>,
}

impl BodyHashes {
    fn new(signers: &[Signer]) -> BodyHashes {
        let mut hashers: Vec<(Canonicalization, BodyHasher)> = Vec::new();
        for signer in signers {
            let mode = signer.body_canonicalization;
            if !hashers.iter().any(|(m, _)| *m == mode) {
                hashers.push((mode, BodyHasher::new(mode, HashAlgorithm::Sha256, None)));
            }
        }
        BodyHashes { hashers }
    }

    fn update(&mut self, chunk: &[u8]) {
        for (_, hasher) in &mut self.hashers {
            hasher.update(chunk);
        }
    }

    /// Per canonicalization: the base64 body hash and the canonical body length.
    fn finish(self) -> Vec<(Canonicalization, String, u64)> {
        self.hashers
            .into_iter()
            .map(|(mode, hasher)| {
                let (digest, length) = hasher.finish();
                (
                    mode,
                    base64::engine::general_purpose::STANDARD.encode(digest.as_ref()),
                    length,
                )
            })
            .collect()
    }
}

/// Builds and signs one DKIM-Signature field per signer, over `headers` and the body hashes.
fn sign_headers(
    signers: &[Signer],
    headers: &[Header<'_>],
    body_hashes: &[(Canonicalization, String, u64)],
    now: u64,
    scratch: &mut Scratch,
) -> Result<String, Error> {
    if !headers.iter().any(|h| h.is("from")) {
        return Err(Error::MissingFrom);
    }
    let mut fields = String::new();
    for signer in signers {
        let latest = match signer.expires_after {
            Some(after) => now.saturating_add(after),
            None if signer.timestamp => now,
            None => 0,
        };
        if latest > MAX_TIMESTAMP {
            return Err(Error::TimestampOutOfRange { seconds: latest });
        }
        let names = signer.header_list(headers);
        let mut folder = Folder::new(DKIM_SIGNATURE);
        folder.word("v=1;", true);
        folder.word(&format!("a={};", signer.key.algorithm()), true);
        folder.word(
            &format!(
                "c={}/{};",
                signer.header_canonicalization, signer.body_canonicalization
            ),
            true,
        );
        folder.word(&format!("d={};", signer.signing_domain), true);
        folder.word(&format!("s={};", signer.selector), true);
        if let Some(identity) = &signer.agent_identifier {
            folder.word(&format!("i={};", quoted_printable_identity(identity)), true);
        }
        if signer.timestamp || signer.expires_after.is_some() {
            folder.word(&format!("t={now};"), true);
        }
        if let Some(after) = signer.expires_after {
            folder.word(&format!("x={};", now.saturating_add(after)), true);
        }
        // One buffer for every word of h= (a list of 30 names or more with oversigning).
        let mut word = String::with_capacity(64);
        for (i, name) in names.iter().enumerate() {
            word.clear();
            if i == 0 {
                word.push_str("h=");
            }
            word.push_str(name);
            word.push(if i + 1 == names.len() { ';' } else { ':' });
            folder.word(&word, i == 0);
        }
        let (body_hash, body_length) = body_hashes
            .iter()
            .find(|(mode, _, _)| *mode == signer.body_canonicalization)
            .map_or(("", 0), |(_, hash, length)| (hash.as_str(), *length));
        if signer.body_length {
            folder.word(&format!("l={body_length};"), true);
        }
        folder.word(&format!("bh={body_hash};"), true);
        folder.word("b=", true);

        // The data to sign: the selected fields, then this field with an empty b= (§3.7).
        scratch.headers.clear();
        select_headers(
            headers,
            names.iter().copied(),
            signer.header_canonicalization,
            scratch,
        );
        let prefix_len = DKIM_SIGNATURE.len() + 1;
        canonical::header(
            signer.header_canonicalization,
            &folder.out.as_bytes()[..prefix_len],
            DKIM_SIGNATURE.as_bytes(),
            &[&folder.out.as_bytes()[prefix_len..]],
            false,
            &mut scratch.headers,
        );
        let signature = signer.key.sign(&scratch.headers)?;
        folder.breakable(&base64::engine::general_purpose::STANDARD.encode(signature));
        fields.push_str(&folder.out);
        fields.push_str("\r\n");
    }
    Ok(fields)
}

/// Signs `message` once per signer in one pass over the body, and returns the
/// DKIM-Signature header fields (each ending in CRLF) to prepend to it.
///
/// The message must use CRLF line endings (RFC 5322); `t=` comes from `clock`.
///
/// ```
/// use mailproof_dkim::{Clock, Signer, SigningKey, sign};
///
/// let ed = Signer::new(SigningKey::from_ed25519_seed(&[1; 32])?, "example.com", "ed")?;
/// let message = b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
/// let fields = sign(&[ed], message, Clock::Fixed(1_700_000_000))?;
/// assert!(fields.starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
/// assert!(fields.lines().all(|line| line.len() <= 78));
/// # Ok::<(), mailproof_dkim::Error>(())
/// ```
///
/// # Errors
/// [`Error::MissingFrom`], [`Error::NoSigners`], [`Error::Message`] when the header block
/// exceeds the parser's limits, [`Error::Crypto`].
pub fn sign(signers: &[Signer], message: &[u8], clock: Clock) -> Result<String, Error> {
    if signers.is_empty() {
        return Err(Error::NoSigners);
    }
    let parsed = Message::parse(message)?;
    let mut hashes = BodyHashes::new(signers);
    hashes.update(parsed.body());
    let headers = parsed.header_fields();
    sign_headers(
        signers,
        headers,
        &hashes.finish(),
        clock.now(),
        &mut Scratch::with_capacity(message.len() - parsed.body().len()),
    )
}

/// A signer fed the message in chunks: header fields are buffered (they must all be seen
/// before anything can be signed), the body is canonicalized and hashed as it arrives and
/// never stored.
///
/// ```
/// use mailproof_dkim::{Clock, Signer, SigningKey, StreamingSigner, sign};
///
/// let signers = [Signer::new(SigningKey::from_ed25519_seed(&[1; 32])?, "example.com", "ed")?];
/// let message = b"From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
/// let mut streaming = StreamingSigner::new(&signers)?;
/// for chunk in message.chunks(5) {
///     streaming.update(chunk);
/// }
/// let fields = streaming.finish(Clock::Fixed(1_700_000_000))?;
/// assert_eq!(fields, sign(&signers, message, Clock::Fixed(1_700_000_000))?);
/// # Ok::<(), mailproof_dkim::Error>(())
/// ```
pub struct StreamingSigner<'s> {
    signers: &'s [Signer],
    header_block: HeaderBlock,
    hashes: BodyHashes,
}

impl fmt::Debug for StreamingSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingSigner")
            .field("header_bytes", &self.header_block.len())
            .field("in_body", &self.header_block.in_body())
            .finish_non_exhaustive()
    }
}

impl<'s> StreamingSigner<'s> {
    /// A streaming signer for `signers`.
    ///
    /// # Errors
    /// [`Error::NoSigners`].
    pub fn new(signers: &'s [Signer]) -> Result<StreamingSigner<'s>, Error> {
        if signers.is_empty() {
            return Err(Error::NoSigners);
        }
        Ok(StreamingSigner {
            signers,
            header_block: HeaderBlock::default(),
            hashes: BodyHashes::new(signers),
        })
    }

    /// Feeds the next piece of the message.
    pub fn update(&mut self, chunk: &[u8]) {
        match self.header_block.update(chunk) {
            Fed::Header => {}
            Fed::BodyStarted { body, .. } | Fed::Body(body) => self.hashes.update(body),
        }
    }

    /// Ends the message and returns the DKIM-Signature header fields to prepend.
    ///
    /// # Errors
    /// As for [`sign`].
    pub fn finish(self, clock: Clock) -> Result<String, Error> {
        let (header_block, in_body) = self.header_block.finish()?;
        let parsed = Message::parse(&header_block)?;
        let mut hashes = self.hashes;
        // Without a separator line the last bytes may be a body line that never ended.
        if !in_body && !parsed.body().is_empty() {
            hashes.update(parsed.body());
        }
        let headers = parsed.header_fields();
        sign_headers(
            self.signers,
            headers,
            &hashes.finish(),
            clock.now(),
            &mut Scratch::with_capacity(header_block.len()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_stays_within_78_columns() {
        let mut folder = Folder::new("DKIM-Signature");
        for _ in 0..30 {
            folder.word("abcdefgh:", false);
        }
        folder.word("b=", true);
        folder.breakable(&"x".repeat(500));
        for line in folder.out.split("\r\n") {
            let columns = line.strip_prefix('\t').map_or(line.len(), |l| l.len() + 8);
            assert!(columns <= 78, "{line}");
        }
    }

    #[test]
    fn pem_labels() {
        assert!(pem_decode("-----BEGIN X-----\nAAAA\n-----END X-----\n").is_some());
        assert!(
            pem_decode("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END X-----")
                .is_none()
        );
        assert!(matches!(
            SigningKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            Err(Error::InvalidKey { format: "PEM", .. })
        ));
    }
}
