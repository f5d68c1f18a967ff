//! Key tooling: key generation and the DNS TXT record that publishes a key.

use std::fmt;

use crate::crypto::{self, KeyPair};
use crate::error::Error;
use crate::key::RSA_ENCRYPTION_OID;
use crate::sign::SigningKey;
use base64::Engine as _;

/// Appends a DER length.
fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn der(tag: u8, contents: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    der_length(contents.len(), out);
    out.extend_from_slice(contents);
}

/// Wraps a PKCS#1 `RSAPublicKey` in a `SubjectPublicKeyInfo` (rsaEncryption, NULL
/// parameters), the form `p=` usually carries.
pub(crate) fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    let mut algorithm = Vec::with_capacity(15);
    der(0x06, RSA_ENCRYPTION_OID, &mut algorithm);
    der(0x05, &[], &mut algorithm);
    let mut bit_string = Vec::with_capacity(pkcs1.len() + 1);
    bit_string.push(0);
    bit_string.extend_from_slice(pkcs1);
    let mut inner = Vec::with_capacity(pkcs1.len() + 32);
    der(0x30, &algorithm, &mut inner);
    der(0x03, &bit_string, &mut inner);
    let mut out = Vec::with_capacity(inner.len() + 4);
    der(0x30, &inner, &mut out);
    out
}

/// A DKIM key record ready to publish at `<selector>._domainkey.<domain>`:
/// `v=DKIM1; k=<type>; p=<base64>`.
///
/// ```
/// use mailproof_dkim::{DnsTxtRecord, SigningKey};
///
/// let key = SigningKey::from_ed25519_seed(&[9; 32])?;
/// let record = DnsTxtRecord::for_key(&key);
/// assert!(record.as_str().starts_with("v=DKIM1; k=ed25519; p="));
/// assert_eq!(record.character_strings().count(), 1);
/// assert_eq!(record.zone_file_value(), format!("\"{}\"", record.as_str()));
/// # Ok::<(), mailproof_dkim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsTxtRecord {
    text: String,
}

/// The longest DNS character-string (RFC 1035 §3.3).
const MAX_CHARACTER_STRING: usize = 255;

impl DnsTxtRecord {
    /// The record publishing `key`'s public half.
    pub fn for_key(key: &SigningKey) -> DnsTxtRecord {
        let key_type = match key.pair {
            KeyPair::Rsa(_) => "rsa",
            KeyPair::Ed25519(_) => "ed25519",
        };
        let p = base64::engine::general_purpose::STANDARD.encode(key.public_key_bytes());
        DnsTxtRecord {
            text: format!("v=DKIM1; k={key_type}; p={p}"),
        }
    }

    /// The record as one string (what a DNS API or a TXT record editor takes).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The record cut into character-strings of at most 255 bytes, as a TXT record must
    /// carry it (a 2048-bit RSA key needs two). Resolvers join them with nothing between.
    pub fn character_strings(&self) -> impl Iterator<Item = &str> {
        // The record is ASCII, so every byte offset is a character boundary.
        self.text
            .as_bytes()
            .chunks(MAX_CHARACTER_STRING)
            .map(|chunk| std::str::from_utf8(chunk).unwrap_or(""))
    }

    /// The record for a zone file: each character-string quoted, separated by spaces.
    pub fn zone_file_value(&self) -> String {
        let strings: Vec<String> = self
            .character_strings()
            .map(|s| format!("\"{s}\""))
            .collect();
        strings.join(" ")
    }
}

impl fmt::Display for DnsTxtRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A freshly generated private key, kept as PKCS#8 so it can be saved and loaded again.
pub struct GeneratedKey {
    pkcs8: Vec<u8>,
    key: SigningKey,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

impl GeneratedKey {
    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<GeneratedKey, Error> {
        let key = SigningKey::from_pkcs8_der(&pkcs8)?;
        Ok(GeneratedKey { pkcs8, key })
    }

    /// The private key as PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.pkcs8);
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or(""));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem
    }

    /// The key, ready to sign.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The key, ready to sign, keeping no copy of the PKCS#8 bytes.
    pub fn into_signing_key(self) -> SigningKey {
        self.key
    }

    /// The DNS TXT record publishing the public key.
    pub fn dns_record(&self) -> DnsTxtRecord {
        DnsTxtRecord::for_key(&self.key)
    }
}

/// Generates an Ed25519 key (RFC 8463) with the crypto backend.
///
/// ```
/// let key = mailproof_dkim::generate_ed25519_key()?;
/// assert!(key.to_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
/// assert!(key.dns_record().as_str().starts_with("v=DKIM1; k=ed25519; p="));
/// # Ok::<(), mailproof_dkim::Error>(())
/// ```
///
/// # Errors
/// [`Error::Crypto`] if the system has no randomness.
pub fn generate_ed25519_key() -> Result<GeneratedKey, Error> {
    GeneratedKey::from_pkcs8(crypto::generate_ed25519_pkcs8().ok_or(Error::Crypto)?)
}

/// RSA key sizes offered for generation (RFC 8301 §3.2: at least 1024 bits, 2048
/// recommended; ring signs with 2048–4096).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaKeySize {
    /// 2048 bits: fits in a TXT record as two character-strings.
    Bits2048,
    /// 4096 bits: some DNS hosting panels cannot publish records this long.
    Bits4096,
}

impl RsaKeySize {
    /// The size in bits.
    pub fn bits(self) -> usize {
        match self {
            RsaKeySize::Bits2048 => 2048,
            RsaKeySize::Bits4096 => 4096,
        }
    }
}

/// Generates an RSA key with `RustCrypto`'s `rsa` crate (ring cannot generate RSA keys);
/// the key is then handed to ring, which does all signing.
///
/// Slow in unoptimized builds (seconds for 2048 bits, longer for 4096).
///
/// # Errors
/// [`Error::Crypto`] if generation fails.
#[cfg(feature = "rsa-keygen")]
pub fn generate_rsa_key(size: RsaKeySize) -> Result<GeneratedKey, Error> {
    use rsa::pkcs8::EncodePrivateKey as _;
    let key =
        rsa::PrivateKey::new(&mut getrandom::SysRng, size.bits()).map_err(|_| Error::Crypto)?;
    let document = key.to_pkcs8_der().map_err(|_| Error::Crypto)?;
    GeneratedKey::from_pkcs8(document.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{KeyRecord, PublicKey};

    #[test]
    fn spki_wrapping_round_trips_through_the_key_record_parser() {
        let pkcs1 = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03];
        let spki = rsa_spki(&pkcs1);
        let p = base64::engine::general_purpose::STANDARD.encode(&spki);
        let record = KeyRecord::parse(format!("p={p}").as_bytes()).unwrap();
        let PublicKey::Rsa(rsa) = record.public_key else {
            panic!("not rsa")
        };
        assert_eq!(rsa.pkcs1_der(), pkcs1);
        assert_eq!(rsa.modulus_bits(), 3);
    }

    #[test]
    fn long_records_split_into_255_byte_strings() {
        let record = DnsTxtRecord {
            text: "x".repeat(600),
        };
        let lengths: Vec<usize> = record.character_strings().map(str::len).collect();
        assert_eq!(lengths, [255, 255, 90]);
        assert_eq!(record.zone_file_value().matches('"').count(), 6);
    }

    #[test]
    fn ed25519_generation_gives_a_usable_record() {
        let key = generate_ed25519_key().unwrap();
        let record = KeyRecord::parse(key.dns_record().as_str().as_bytes()).unwrap();
        assert!(matches!(record.public_key, PublicKey::Ed25519(_)));
        let again = SigningKey::from_pem(&key.to_pem()).unwrap();
        assert_eq!(
            again.public_key_bytes(),
            key.signing_key().public_key_bytes()
        );
    }
}
