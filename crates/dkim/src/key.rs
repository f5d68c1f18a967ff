//! DKIM key records (RFC 6376 §3.6.1) and the public keys they carry.

use crate::signature::{HashAlgorithm, KeyType, decode_base64};
use crate::tag_list::{self, TagListError};

/// A public key published in a key record (`p=`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// `p=` is empty: the key has been revoked (§3.6.1).
    Revoked,
    /// An RSA key.
    Rsa(RsaPublicKey),
    /// An Ed25519 key: the raw 32 bytes (RFC 8463 §4.2).
    Ed25519([u8; 32]),
}

/// An RSA public key, normalized to the PKCS#1 `RSAPublicKey` DER ring verifies with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicKey {
    pkcs1_der: Box<[u8]>,
    modulus_bits: usize,
}

impl RsaPublicKey {
    /// The key as a PKCS#1 `RSAPublicKey` (DER).
    pub fn pkcs1_der(&self) -> &[u8] {
        &self.pkcs1_der
    }

    /// The size of the modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// Reads `p=` bytes: a `SubjectPublicKeyInfo` (the usual form) or a bare PKCS#1
    /// `RSAPublicKey` (published by some signers and accepted by most verifiers).
    pub(crate) fn from_der(der: &[u8]) -> Option<RsaPublicKey> {
        let pkcs1 = spki_rsa_key(der).unwrap_or(der);
        let modulus_bits = pkcs1_modulus_bits(pkcs1)?;
        Some(RsaPublicKey {
            pkcs1_der: pkcs1.into(),
            modulus_bits,
        })
    }
}

/// One DER TLV at the start of `input`: (tag, contents, rest). Definite lengths only, as
/// DER requires; lengths of up to four octets.
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OBJECT_IDENTIFIER: u8 = 0x06;
/// 1.2.840.113549.1.1.1, rsaEncryption (RFC 8017 Appendix C).
pub(crate) const RSA_ENCRYPTION_OID: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// ```text
/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
/// AlgorithmIdentifier  ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
/// ```
/// The RSA key inside an SPKI whose algorithm is rsaEncryption, or `None` if `der` is not
/// one.
fn spki_rsa_key(der: &[u8]) -> Option<&[u8]> {
    let (tag, spki, rest) = der_tlv(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let (tag, algorithm, spki) = der_tlv(spki)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, oid, _params) = der_tlv(algorithm)?;
    if tag != OBJECT_IDENTIFIER || oid != RSA_ENCRYPTION_OID {
        return None;
    }
    let (tag, bits, rest) = der_tlv(spki)?;
    if tag != BIT_STRING || !rest.is_empty() {
        return None;
    }
    // The first octet counts unused bits; a key is whole octets.
    match bits.split_first() {
        Some((0, key)) => Some(key),
        _ => None,
    }
}

/// ```text
/// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
/// ```
/// The modulus size in bits, if `der` is exactly one such structure.
fn pkcs1_modulus_bits(der: &[u8]) -> Option<usize> {
    let (tag, key, rest) = der_tlv(der)?;
    if tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let (tag, modulus, key) = der_tlv(key)?;
    if tag != INTEGER {
        return None;
    }
    let (tag, exponent, rest) = der_tlv(key)?;
    if tag != INTEGER || !rest.is_empty() {
        return None;
    }
    // What both crypto backends accept (they refuse the key otherwise, and the signature
    // would read as a mismatch rather than an unusable key): positive integers in minimal
    // DER, a public exponent that is odd, at least 3 and below 2^33.
    let significant = positive_der_integer(modulus)?;
    let exponent = positive_der_integer(exponent)?;
    if exponent.len() > 5 {
        return None;
    }
    let e = exponent.iter().fold(0u64, |e, &b| (e << 8) | u64::from(b));
    if e < 3 || e % 2 == 0 || e >= 1 << 33 {
        return None;
    }
    let top = significant.first().copied().unwrap_or(0);
    Some((significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// The magnitude of a DER INTEGER that is positive and minimally encoded (X.690 §8.3.2: no
/// leading 0x00 unless the next byte has its top bit set), without its sign byte.
fn positive_der_integer(contents: &[u8]) -> Option<&[u8]> {
    match contents {
        // Empty, zero, negative, or a needless leading zero.
        [] | [0] => None,
        [first, ..] if first & 0x80 != 0 => None,
        [0, next, ..] if next & 0x80 == 0 => None,
        [0, rest @ ..] => Some(rest),
        _ => Some(contents),
    }
}

/// A parsed DKIM key record: the TXT record at `<selector>._domainkey.<domain>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyRecord {
    /// `k=`: the key type (default rsa).
    pub key_type: KeyType,
    /// `h=`: the hash algorithms the key may be used with; `None` (no `h=`) allows all.
    /// Unknown names are left out.
    pub hash_algorithms: Option<Vec<HashAlgorithm>>,
    /// `s=`: whether the service types include `email` or `*` (the default `*`).
    pub allows_email: bool,
    /// `t=y`: the domain is testing DKIM. §3.6.1: verifiers "MUST NOT treat messages from
    /// Signers in testing mode differently from unsigned email, even should the signature
    /// fail to verify"; the result is still reported, which they "MAY wish to track".
    pub testing: bool,
    /// `t=s`: the `i=` domain must equal `d=`, not be a subdomain of it.
    pub strict_identity: bool,
    /// `p=`: the public key, or [`PublicKey::Revoked`].
    pub public_key: PublicKey,
}

/// Why a TXT record is not a usable DKIM key record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRecordError {
    /// The record is not a tag-list (§3.2); the publisher's record is broken.
    #[error("key record syntax error at byte {offset}")]
    Syntax {
        /// Offset in the record.
        offset: usize,
    },
    /// A tag occurs twice.
    #[error("duplicate tag at byte {offset} of the key record")]
    DuplicateTag {
        /// Offset of the second occurrence.
        offset: usize,
    },
    /// `v=` is present but not `DKIM1`, or not the first tag (§3.6.1).
    #[error("key record version is not DKIM1 or not first")]
    UnsupportedVersion,
    /// No `p=` tag.
    #[error("key record has no p= tag")]
    MissingPublicKey,
    /// `k=` names an unknown key type.
    #[error("unknown key type in k=")]
    UnknownKeyType,
    /// `p=` is not base64, or not a key of the `k=` type (for RSA: neither an SPKI nor a
    /// PKCS#1 `RSAPublicKey`; for Ed25519: not 32 bytes).
    #[error("p= is not a valid public key")]
    InvalidPublicKey,
}

impl KeyRecord {
    /// Parses a key record (the TXT record's strings joined).
    ///
    /// ```
    /// use mailproof_dkim::{KeyRecord, KeyType, PublicKey};
    ///
    /// let record = KeyRecord::parse(
    ///     b"v=DKIM1; k=ed25519; t=y:s; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    /// )?;
    /// assert_eq!(record.key_type, KeyType::Ed25519);
    /// assert!(record.testing && record.strict_identity);
    /// assert!(matches!(record.public_key, PublicKey::Ed25519(_)));
    ///
    /// let revoked = KeyRecord::parse(b"v=DKIM1; p=")?;
    /// assert_eq!(revoked.public_key, PublicKey::Revoked);
    /// # Ok::<(), mailproof_dkim::KeyRecordError>(())
    /// ```
    ///
    /// # Errors
    /// A [`KeyRecordError`] naming the first problem found.
    pub fn parse(record: &[u8]) -> Result<KeyRecord, KeyRecordError> {
        let tags = tag_list::parse(record).map_err(|e| match e {
            TagListError::Syntax { offset } => KeyRecordError::Syntax { offset },
            TagListError::DuplicateTag { offset } => KeyRecordError::DuplicateTag { offset },
        })?;
        for (i, tag) in tags.iter().enumerate() {
            if tag.name == b"v" && (i != 0 || tag.value != b"DKIM1") {
                return Err(KeyRecordError::UnsupportedVersion);
            }
        }
        let find = |name: &[u8]| tags.iter().find(|t| t.name == name).map(|t| t.value);

        let key_type = match find(b"k") {
            None => KeyType::Rsa,
            Some(v) if v.eq_ignore_ascii_case(b"rsa") => KeyType::Rsa,
            Some(v) if v.eq_ignore_ascii_case(b"ed25519") => KeyType::Ed25519,
            Some(_) => return Err(KeyRecordError::UnknownKeyType),
        };
        let hash_algorithms = find(b"h").map(|v| {
            tag_list::colon_list(v)
                .filter_map(|h| {
                    if h.eq_ignore_ascii_case(b"sha256") {
                        Some(HashAlgorithm::Sha256)
                    } else if h.eq_ignore_ascii_case(b"sha1") {
                        Some(HashAlgorithm::Sha1)
                    } else {
                        None
                    }
                })
                .collect()
        });
        let allows_email = find(b"s").is_none_or(|v| {
            tag_list::colon_list(v).any(|s| s == b"*" || s.eq_ignore_ascii_case(b"email"))
        });
        let flags = find(b"t");
        // ABNF literals ("y", "s") match either case (RFC 5234 §2.3).
        let has_flag = |flag: &[u8]| {
            flags.is_some_and(|v| tag_list::colon_list(v).any(|f| f.eq_ignore_ascii_case(flag)))
        };
        let p = find(b"p").ok_or(KeyRecordError::MissingPublicKey)?;
        let public_key = if tag_list::trim_fws(p).is_empty() {
            PublicKey::Revoked
        } else {
            let der = decode_base64(p).ok_or(KeyRecordError::InvalidPublicKey)?;
            match key_type {
                KeyType::Rsa => PublicKey::Rsa(
                    RsaPublicKey::from_der(&der).ok_or(KeyRecordError::InvalidPublicKey)?,
                ),
                KeyType::Ed25519 => PublicKey::Ed25519(
                    der.try_into()
                        .map_err(|_| KeyRecordError::InvalidPublicKey)?,
                ),
            }
        };
        Ok(KeyRecord {
            key_type,
            hash_algorithms,
            allows_email,
            testing: has_flag(b"y"),
            strict_identity: has_flag(b"s"),
            public_key,
        })
    }

    /// Whether `h=` allows `hash` (no `h=` allows every hash).
    pub fn allows_hash(&self, hash: HashAlgorithm) -> bool {
        self.hash_algorithms
            .as_ref()
            .is_none_or(|list| list.contains(&hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 8463 Appendix A.2 RSA key (1024 bits), as SPKI.
    const RFC8463_RSA: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    #[test]
    fn rsa_spki_and_pkcs1_give_the_same_key() {
        let spki = KeyRecord::parse(format!("v=DKIM1; k=rsa; p={RFC8463_RSA}").as_bytes()).unwrap();
        let PublicKey::Rsa(rsa) = &spki.public_key else {
            panic!("not rsa")
        };
        assert_eq!(rsa.modulus_bits(), 1024);
        let pkcs1 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, rsa.pkcs1_der());
        let bare = KeyRecord::parse(format!("p={pkcs1}").as_bytes()).unwrap();
        assert_eq!(bare.public_key, spki.public_key);
    }

    #[test]
    fn flags_services_and_hashes() {
        let r = KeyRecord::parse(
            format!(
                "v=DKIM1; h=sha256:foo; s=email:tlsrpt; t=y:x; n=notes here; g=*; p={RFC8463_RSA}"
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(r.hash_algorithms, Some(vec![HashAlgorithm::Sha256]));
        assert!(!r.allows_hash(HashAlgorithm::Sha1));
        assert!(r.allows_email && r.testing && !r.strict_identity);
        let r = KeyRecord::parse(format!("s=tlsrpt; p={RFC8463_RSA}").as_bytes()).unwrap();
        assert!(!r.allows_email);
        // Flags are ABNF literals: either case (review finding: `t=S` was ignored).
        let r = KeyRecord::parse(format!("t=S:Y; p={RFC8463_RSA}").as_bytes()).unwrap();
        assert!(r.testing && r.strict_identity);
    }

    /// A PKCS#1 `RSAPublicKey` of a 2048-bit modulus (encoded as `modulus`) and `exponent`
    /// (INTEGER contents), as a `p=` value.
    fn pkcs1_record(modulus: &[u8], exponent: &[u8]) -> String {
        use base64::Engine as _;
        let integer = |contents: &[u8]| {
            let mut tlv = vec![INTEGER];
            let len = u16::try_from(contents.len()).unwrap();
            if len < 0x80 {
                tlv.push(u8::try_from(len).unwrap());
            } else {
                tlv.push(0x82);
                tlv.extend_from_slice(&len.to_be_bytes());
            }
            tlv.extend_from_slice(contents);
            tlv
        };
        let body = [integer(modulus), integer(exponent)].concat();
        let mut der = vec![SEQUENCE, 0x82];
        der.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        der.extend_from_slice(&body);
        format!(
            "v=DKIM1; p={}",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    }

    #[test]
    fn rsa_keys_the_backends_refuse_are_invalid_records() {
        // Review finding: such keys parsed, the backend refused them, and the signature read
        // as a mismatch (fail) instead of an unusable key (permerror).
        let modulus = [&[0x00, 0xc1][..], &[0x5a; 255]].concat();
        let parse = |modulus: &[u8], exponent: &[u8]| {
            KeyRecord::parse(pkcs1_record(modulus, exponent).as_bytes())
        };
        let good = parse(&modulus, &[0x01, 0x00, 0x01]).unwrap();
        let PublicKey::Rsa(rsa) = good.public_key else {
            panic!("not rsa")
        };
        assert_eq!(rsa.modulus_bits(), 2048);
        assert!(parse(&modulus, &[0x03]).is_ok());
        assert!(
            parse(&modulus, &[0x01, 0xff, 0xff, 0xff, 0xff]).is_ok(),
            "2^33 - 1"
        );
        for exponent in [
            &[0x01][..],                     // below 3
            &[0x01, 0x00, 0x00],             // even
            &[0x02, 0x00, 0x00, 0x00, 0x01], // 2^33 + 1
            &[0x00, 0x01, 0x00, 0x01],       // not minimal DER
            &[0x81],                         // negative
            &[],                             // empty
        ] {
            assert_eq!(
                parse(&modulus, exponent),
                Err(KeyRecordError::InvalidPublicKey),
                "{exponent:02x?}"
            );
        }
        let negative = [&[0xc1][..], &[0x5a; 255]].concat();
        let padded = [&[0x00, 0x00, 0xc1][..], &[0x5a; 255]].concat();
        for modulus in [&negative[..], &padded, &[0x00]] {
            assert_eq!(
                parse(modulus, &[0x01, 0x00, 0x01]),
                Err(KeyRecordError::InvalidPublicKey)
            );
        }
    }

    #[test]
    fn errors() {
        let bad = |s: &str| KeyRecord::parse(s.as_bytes()).unwrap_err();
        assert_eq!(
            bad("v=DKIM1: k=rsa; p=AA"),
            KeyRecordError::UnsupportedVersion
        );
        assert_eq!(
            bad("k=rsa; v=DKIM1; p=AA"),
            KeyRecordError::UnsupportedVersion
        );
        assert_eq!(
            bad("v=DKIM1; k=ed25519-sha256; p=AA"),
            KeyRecordError::UnknownKeyType
        );
        assert_eq!(bad("v=DKIM1; k=rsa"), KeyRecordError::MissingPublicKey);
        assert_eq!(
            bad(
                "p=MFwwDQYJKoZIhvNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD5PR52Tb/mPfjC0QJTocVBq6Za/PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ=="
            ),
            KeyRecordError::InvalidPublicKey
        );
        // An Ed25519 key in SPKI form is not the raw 32 bytes RFC 8463 asks for.
        assert_eq!(
            bad("k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
            KeyRecordError::InvalidPublicKey
        );
        assert_eq!(bad("p=AA; p="), KeyRecordError::DuplicateTag { offset: 6 });
    }
}
