//! The DKIM-Signature header field (RFC 6376 §3.5).

use std::fmt;

use base64::Engine as _;
use mailproof_dns::Name;

use crate::canonical::Canonicalization;
use crate::tag_list::{self, Tag, TagListError};

/// A signing algorithm (`a=`): RFC 6376 §3.3 and RFC 8463.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `rsa-sha1`. RFC 8301 §3.1: verifiers MUST NOT accept it; see
    /// [`Policy::danger_allow_rsa_sha1`](crate::Policy::danger_allow_rsa_sha1).
    RsaSha1,
    /// `rsa-sha256` (RFC 6376 §3.3.2).
    RsaSha256,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
}

impl Algorithm {
    /// The name used in `a=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 => "rsa-sha1",
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The hash half of the algorithm.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Algorithm::RsaSha1 => HashAlgorithm::Sha1,
            Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => HashAlgorithm::Sha256,
        }
    }

    /// The key type the algorithm needs.
    pub fn key_type(self) -> KeyType {
        match self {
            Algorithm::RsaSha1 | Algorithm::RsaSha256 => KeyType::Rsa,
            Algorithm::Ed25519Sha256 => KeyType::Ed25519,
        }
    }

    fn parse(value: &[u8]) -> Option<Algorithm> {
        [
            Algorithm::RsaSha1,
            Algorithm::RsaSha256,
            Algorithm::Ed25519Sha256,
        ]
        .into_iter()
        .find(|a| value.eq_ignore_ascii_case(a.as_str().as_bytes()))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hash algorithm, as named in `a=` and in a key record's `h=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (only with the `danger` switch, RFC 8301).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlgorithm {
    /// The name used in `h=` of key records.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha256 => "sha256",
        }
    }
}

/// A key type (`k=` of a key record; implied by `a=` of a signature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `rsa` (the default).
    Rsa,
    /// `ed25519` (RFC 8463).
    Ed25519,
}

impl KeyType {
    /// The name used in `k=`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

/// The Agent or User Identifier (`i=`, RFC 6376 §3.5): `[ Local-part ] "@" domain-name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The part before the `@`, possibly empty; as written, with dkim-quoted-printable
    /// undone (`=3D` is `=`).
    pub local_part: Box<[u8]>,
    /// The domain after the `@`.
    pub domain: Name,
}

/// A parsed DKIM-Signature header field (RFC 6376 §3.5).
///
/// Parsing checks syntax and the rules that need no key or clock: required tags present,
/// `v=1`, known algorithm and canonicalizations, `q=dns/txt`, `x=` after `t=`. Whether `h=`
/// lists From, whether `i=` lies within `d=`, expiry and everything else are verification
/// results (see [`Status`](crate::Status)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signature {
    /// `a=`: the signing algorithm.
    pub algorithm: Algorithm,
    /// `b=`: the signature, base64-decoded.
    pub signature: Box<[u8]>,
    /// `bh=`: the hash of the canonicalized body, base64-decoded.
    pub body_hash: Box<[u8]>,
    /// `c=`, first half: header canonicalization (default simple).
    pub header_canonicalization: Canonicalization,
    /// `c=`, second half: body canonicalization (default simple).
    pub body_canonicalization: Canonicalization,
    /// `d=`: the Signing Domain Identifier (SDID).
    pub signing_domain: Name,
    /// `h=`: the signed header field names, in order, as written.
    pub signed_headers: SignedHeaders,
    /// `i=`: the Agent or User Identifier; `None` means `@` + `d=`.
    pub agent_identifier: Option<Identity>,
    /// `l=`: how many octets of the canonicalized body are signed; `None` means all.
    pub body_length: Option<u64>,
    /// `s=`: the selector, as written.
    pub selector: Box<str>,
    /// `t=`: signature timestamp, seconds since the Unix epoch.
    pub signed_at: Option<u64>,
    /// `x=`: signature expiration, seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    /// `z=`: the copied header fields, raw (diagnostic only, never used for verification).
    pub copied_headers: Option<Box<[u8]>>,
}

/// The header field names of `h=`, in order, as written (two allocations for the whole
/// list, however many names it holds: the value as written, and where each name lies in it).
///
/// ```
/// use mailproof_dkim::Signature;
///
/// let sig = Signature::parse(b"v=1; a=rsa-sha256; d=example.com; s=s; h=From : to:\r\n from; bh=AA; b=AA")?;
/// let names: Vec<&str> = sig.signed_headers.iter().collect();
/// assert_eq!(names, ["From", "to", "from"]);
/// assert_eq!(sig.signed_headers.len(), 3);
/// assert!(sig.signed_headers.contains("TO"));
/// # Ok::<(), mailproof_dkim::SignatureError>(())
/// ```
#[derive(Clone, Default)]
pub struct SignedHeaders {
    /// The `h=` value as written, white space and colons included (checked by `parse`:
    /// printable ASCII and FWS only). Kept whole so that parsing copies it once instead of
    /// name by name.
    value: String,
    /// Where each name starts and ends in `value`.
    spans: Vec<(u32, u32)>,
}

/// Two lists are equal when they name the same fields in the same order (however the white
/// space around the colons was written).
impl PartialEq for SignedHeaders {
    fn eq(&self, other: &SignedHeaders) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SignedHeaders {}

impl fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `h=` byte classes ([`H_CLASS`]): any other byte.
const H_OTHER: u8 = 0;
/// A field-name byte (`ftext`: printable ASCII except `:`).
const H_NAME: u8 = 1;
/// The separator.
const H_COLON: u8 = 2;
/// FWS.
const H_FWS: u8 = 3;
/// The class of every byte in `h=`.
const H_CLASS: [u8; 256] = {
    let mut table = [H_OTHER; 256];
    let mut b = 33;
    while b <= 126 {
        table[b] = H_NAME;
        b += 1;
    }
    table[b':' as usize] = H_COLON;
    table[b' ' as usize] = H_FWS;
    table[b'\t' as usize] = H_FWS;
    table[b'\r' as usize] = H_FWS;
    table[b'\n' as usize] = H_FWS;
    table
};

/// The length of the run of field-name bytes (`ftext`: `!` to `~` except `:`) that starts
/// `bytes`, eight bytes at a time: in each word, the bytes below `!`, above `~` and equal to
/// `:` are flagged with the usual borrow and carry tricks, whose lowest flag is always
/// exact (a wrong flag can only follow a right one).
fn name_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk);
        let below = x.wrapping_sub(ONES * 0x21) & !x;
        let above = x.wrapping_add(ONES) | x;
        let colon = x ^ (ONES * u64::from(b':'));
        let colon = colon.wrapping_sub(ONES) & !colon;
        let flags = (below | above | colon) & HIGH;
        if flags != 0 {
            return n + (flags.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + bytes[n..]
        .iter()
        .position(|&b| H_CLASS[usize::from(b)] != H_NAME)
        .unwrap_or(bytes.len() - n)
}

impl SignedHeaders {
    /// Reads `h=`: `hdr-name *( *FWS ":" *FWS hdr-name )`; `None` if an item is not a
    /// field name.
    fn parse(value: &[u8]) -> Option<SignedHeaders> {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = crate::canonical::avx2()
            && value.len() <= avx2_h::MAX_VALUE
        {
            let spans = avx2_h::spans(simd, value)?;
            // Checked: printable ASCII and FWS only, so always UTF-8.
            let value = std::str::from_utf8(value).ok()?.to_owned();
            return Some(SignedHeaders { value, spans });
        }
        SignedHeaders::parse_scalar(value)
    }

    /// [`parse`](Self::parse) a byte at a time (a name eight bytes at a time).
    fn parse_scalar(value: &[u8]) -> Option<SignedHeaders> {
        let class = |i: usize| value.get(i).map(|&b| H_CLASS[usize::from(b)]);
        let mut spans = Vec::with_capacity(value.len() / 4 + 1);
        let mut i = 0;
        loop {
            // Each item is [FWS] 1*ftext [FWS], and `:` separates items. White space
            // between two name bytes, an empty item or any other byte makes the list
            // invalid.
            while class(i) == Some(H_FWS) {
                i += 1;
            }
            let name_len = name_run(value.get(i..).unwrap_or_default());
            if name_len == 0 {
                return None;
            }
            spans.push((u32::try_from(i).ok()?, u32::try_from(i + name_len).ok()?));
            i += name_len;
            while class(i) == Some(H_FWS) {
                i += 1;
            }
            match class(i) {
                None => break,
                Some(H_COLON) => i += 1,
                Some(_) => return None,
            }
        }
        // Checked above: printable ASCII and FWS only, so always UTF-8.
        let value = std::str::from_utf8(value).ok()?.to_owned();
        Some(SignedHeaders { value, spans })
    }

    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        self.spans.iter().map(|&(start, end)| {
            let (start, end) = (start as usize, end as usize);
            self.value.get(start..end).unwrap_or_default()
        })
    }

    /// How many names `h=` lists (repetitions included).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the list is empty (never, for a parsed signature: `h=` must name From).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether `name` is listed (ASCII case-insensitive).
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// Why a DKIM-Signature header field is not a valid signature (RFC 6376 §6.1.1: PERMFAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The value is not a tag-list (§3.2); the signer's software is broken.
    #[error("tag-list syntax error at byte {offset}")]
    Syntax {
        /// Offset in the header field value.
        offset: usize,
    },
    /// A tag occurs twice (§3.2).
    #[error("duplicate tag at byte {offset}")]
    DuplicateTag {
        /// Offset of the second occurrence in the header field value.
        offset: usize,
    },
    /// A required tag (`v a b bh d h s`) is missing.
    #[error("required tag {tag}= is missing")]
    MissingTag {
        /// The tag's name.
        tag: &'static str,
    },
    /// A tag's value does not match its grammar (for example `d=` not a domain name, `l=`
    /// not a number, `b=` not base64).
    #[error("invalid value for {tag}=")]
    InvalidValue {
        /// The tag's name.
        tag: &'static str,
    },
    /// `v=` is not `1`.
    #[error("unsupported signature version")]
    UnsupportedVersion,
    /// `a=` names an algorithm this crate does not know.
    #[error("unsupported signing algorithm")]
    UnsupportedAlgorithm,
    /// `c=` names an unknown canonicalization.
    #[error("unsupported canonicalization")]
    UnsupportedCanonicalization,
    /// `q=` lists no query method but `dns/txt`.
    #[error("unsupported key query method")]
    UnsupportedQueryMethod,
    /// `x=` is not later than `t=` (§3.5: "the value of the x= tag MUST be greater than the
    /// value of the t= tag").
    #[error("x= is not after t=")]
    ExpiresBeforeSigned,
}

impl SignatureError {
    fn from_tag_list(error: TagListError) -> SignatureError {
        match error {
            TagListError::Syntax { offset } => SignatureError::Syntax { offset },
            TagListError::DuplicateTag { offset } => SignatureError::DuplicateTag { offset },
        }
    }
}

/// Base64 as DKIM writes it: padding optional, FWS anywhere (removed before decoding).
pub(crate) fn decode_base64(value: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; value.len() / 4 * 3 + 3];
    match decode_base64_fast(value, &mut out) {
        Some(len) => {
            out.truncate(len);
            Some(out)
        }
        None => decode_base64_engine(value),
    }
}

/// [`decode_base64`] into an allocation of exactly the decoded length: values of up to
/// 1 KiB (every `b=` up to RSA-4096, every `bh=`) are decoded on the stack first.
pub(crate) fn decode_base64_boxed(value: &[u8]) -> Option<Box<[u8]>> {
    const STACK: usize = 768;
    let need = value.len() / 4 * 3 + 3;
    if need > STACK {
        return decode_base64(value).map(Vec::into_boxed_slice);
    }
    let mut buffer = [0u8; STACK];
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = crate::canonical::avx2() {
        return match avx2_base64::decode(simd, value, &mut buffer[..need]) {
            Some(len) => Some(Box::from(&buffer[..len])),
            None => decode_base64_engine(value).map(Vec::into_boxed_slice),
        };
    }
    match decode_base64_fast(value, &mut buffer[..need]) {
        Some(len) => Some(Box::from(&buffer[..len])),
        None => decode_base64_engine(value).map(Vec::into_boxed_slice),
    }
}

/// `h=` read 64 bytes per step with AVX2: each byte classified (field-name byte, colon, FWS)
/// into bit masks, and the grammar checked on the masks. `hdr-name *( *FWS ":" *FWS
/// hdr-name )` holds exactly when every byte is of one of the three classes, the first and
/// last significant (non-FWS) bytes are name bytes, no colon is followed (past FWS) by
/// another colon, and there is one more run of name bytes than there are colons (so no FWS
/// splits a name).
#[cfg(target_arch = "x86_64")]
#[allow(clippy::inline_always)]
mod avx2_h {
    use core::arch::x86_64::__m256i;
    use pulp::NullaryFnOnce;
    use pulp::x86::V3;

    /// The longest value read this way (64 blocks of masks on the stack).
    pub(super) const MAX_VALUE: usize = 64 * 64;

    /// Per 64-byte block: the name-byte, colon and FWS masks (bit i for byte i).
    #[derive(Clone, Copy, Default)]
    struct Masks {
        name: u64,
        colon: u64,
        fws: u64,
    }

    struct Classify<'a> {
        simd: V3,
        value: &'a [u8],
        out: &'a mut [Masks; MAX_VALUE / 64],
    }

    /// The name-byte, colon and FWS masks of 32 bytes. (A function, not a closure: only
    /// what is inlined into `V3::vectorize` runs with AVX2 enabled.)
    #[inline(always)]
    fn classify(simd: V3, bytes: &[u8; 32]) -> (u64, u64, u64) {
        let avx2 = simd.avx2;
        let x: __m256i = pulp::cast(*bytes);
        let fws = avx2._mm256_or_si256(
            avx2._mm256_or_si256(
                avx2._mm256_cmpeq_epi8(x, pulp::cast([b' '; 32])),
                avx2._mm256_cmpeq_epi8(x, pulp::cast([b'\t'; 32])),
            ),
            avx2._mm256_or_si256(
                avx2._mm256_cmpeq_epi8(x, pulp::cast([b'\r'; 32])),
                avx2._mm256_cmpeq_epi8(x, pulp::cast([b'\n'; 32])),
            ),
        );
        let colon = avx2._mm256_cmpeq_epi8(x, pulp::cast([b':'; 32]));
        // 0x21..=0x7e: above SP as a signed byte (0x80 and up are negative), not DEL, not
        // the colon.
        let printable = avx2._mm256_andnot_si256(
            avx2._mm256_cmpeq_epi8(x, pulp::cast([0x7f_u8; 32])),
            avx2._mm256_cmpgt_epi8(x, pulp::cast([0x20_u8; 32])),
        );
        let name = avx2._mm256_andnot_si256(colon, printable);
        (
            u64::from(avx2._mm256_movemask_epi8(name).cast_unsigned()),
            u64::from(avx2._mm256_movemask_epi8(colon).cast_unsigned()),
            u64::from(avx2._mm256_movemask_epi8(fws).cast_unsigned()),
        )
    }

    impl NullaryFnOnce for Classify<'_> {
        type Output = usize;

        #[inline(always)]
        fn call(self) -> usize {
            let Classify { simd, value, out } = self;
            let mut blocks = 0;
            for (chunk, slot) in value.chunks(64).zip(out.iter_mut()) {
                // The last block padded with SP, which is FWS and changes nothing.
                let mut bytes = [b' '; 64];
                bytes[..chunk.len()].copy_from_slice(chunk);
                let (low, high) = bytes.split_at(32);
                let (Some(low), Some(high)) = (low.first_chunk::<32>(), high.first_chunk::<32>())
                else {
                    break;
                };
                let (n0, c0, f0) = classify(simd, low);
                let (n1, c1, f1) = classify(simd, high);
                *slot = Masks {
                    name: n0 | n1 << 32,
                    colon: c0 | c1 << 32,
                    fws: f0 | f1 << 32,
                };
                blocks += 1;
            }
            blocks
        }
    }

    /// Where each name starts and ends in `value` (at most [`MAX_VALUE`] bytes), or `None`
    /// if `value` is not a valid `h=` list.
    pub(super) fn spans(simd: V3, value: &[u8]) -> Option<Vec<(u32, u32)>> {
        let mut masks = [Masks::default(); MAX_VALUE / 64];
        let blocks = simd.vectorize(Classify {
            simd,
            value,
            out: &mut masks,
        });
        let masks = masks.get(..blocks)?;
        let mut spans: Vec<(u32, u32)> = Vec::with_capacity(value.len() / 4 + 1);
        // A colon (or the start of the value) whose next significant byte is still to come.
        let mut seeking = 1u64;
        let mut name_before = 0u64;
        let (mut runs, mut colons, mut ended) = (0u32, 0u32, 0usize);
        for (index, m) in masks.iter().enumerate() {
            if !(m.name | m.colon | m.fws) != 0 {
                return None;
            }
            // From the byte after each colon, carry through FWS to the next significant
            // byte: it must not be another colon.
            let after_colon = (m.colon << 1) | seeking;
            let (sum, carried_out) = after_colon.overflowing_add(m.fws);
            if sum & !m.fws & m.colon != 0 {
                return None;
            }
            seeking = (m.colon >> 63) | u64::from(carried_out);
            let base = u32::try_from(index * 64).ok()?;
            let name_after = masks.get(index + 1).map_or(0, |next| next.name & 1);
            let mut starts = m.name & !((m.name << 1) | name_before);
            let mut ends = m.name & !((m.name >> 1) | (name_after << 63));
            name_before = m.name >> 63;
            runs += starts.count_ones();
            colons += m.colon.count_ones();
            while starts != 0 {
                spans.push((base + starts.trailing_zeros(), 0));
                starts &= starts - 1;
            }
            while ends != 0 {
                spans.get_mut(ended)?.1 = base + ends.trailing_zeros() + 1;
                ended += 1;
                ends &= ends - 1;
            }
        }
        (seeking == 0 && runs == colons + 1).then_some(spans)
    }
}

/// Base64 decoding with AVX2 where the CPU has it (through `pulp`'s safe wrappers, checked
/// at run time): FWS removed first, then 32 symbols per step with the vector lookups of
/// Muła and Lemire ("Faster Base64 Encoding and Decoding Using AVX2 Instructions", 2018),
/// and the last symbols (and any padding) by [`decode_base64_fast`].
#[cfg(target_arch = "x86_64")]
#[allow(clippy::inline_always)]
mod avx2_base64 {
    use pulp::NullaryFnOnce;
    use pulp::x86::V3;

    /// The longest value decoded this way (the caller's stack buffers).
    const MAX_VALUE: usize = 1024;

    /// Decodes `value` (symbols, FWS anywhere, optional padding) into `out`, which holds
    /// `value.len() / 4 * 3 + 3` bytes; `None` where [`super::decode_base64_fast`] would say
    /// `None` (the caller then asks the engine).
    pub(super) fn decode(simd: V3, value: &[u8], out: &mut [u8]) -> Option<usize> {
        let mut compact = [0u8; MAX_VALUE];
        let symbols = compact_fws(value, &mut compact)?;
        let (consumed, written) = simd.vectorize(Blocks {
            simd,
            input: symbols,
            out: &mut *out,
        });
        let rest = super::decode_base64_fast(&symbols[consumed..], &mut out[written..])?;
        Some(written + rest)
    }

    /// `value` without its FWS, in `buffer`: the runs between white space copied whole,
    /// found eight bytes at a time. `None` for a control byte that is not FWS, or a value
    /// longer than the buffer.
    fn compact_fws<'b>(value: &[u8], buffer: &'b mut [u8; MAX_VALUE]) -> Option<&'b [u8]> {
        let mut n = 0;
        let mut i = 0;
        while i < value.len() {
            let run =
                crate::canonical::find_at_or_below_space(&value[i..]).unwrap_or(value.len() - i);
            buffer
                .get_mut(n..n + run)?
                .copy_from_slice(&value[i..i + run]);
            n += run;
            i += run;
            while let Some(&b) = value.get(i)
                && b <= b' '
            {
                if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                    return None;
                }
                i += 1;
            }
        }
        Some(&buffer[..n])
    }

    /// Both 16-byte lanes of a 256-bit table.
    const fn lanes(half: [u8; 16]) -> [u8; 32] {
        let mut out = [0; 32];
        let mut i = 0;
        while i < 16 {
            out[i] = half[i];
            out[i + 16] = half[i];
            i += 1;
        }
        out
    }

    /// By low nibble and by high nibble: bit sets whose intersection is empty exactly for
    /// the 64 symbols.
    const CHECK_LOW: [u8; 32] = lanes([
        0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b,
        0x1a,
    ]);
    const CHECK_HIGH: [u8; 32] = lanes([
        0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
        0x10,
    ]);
    /// What to add to a symbol to get its value, by high nibble (minus one for `/`):
    /// `/` +16, `+` +19, digits +4, `A`-`Z` -65, `a`-`z` -71 (as wrapping bytes).
    const SHIFT: [u8; 32] = lanes([0, 16, 19, 4, 191, 191, 185, 185, 0, 0, 0, 0, 0, 0, 0, 0]);
    /// The three bytes of each 32-bit group, most significant first; 0x80 clears.
    const PACK: [u8; 32] = lanes([
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0x80, 0x80, 0x80, 0x80,
    ]);

    struct Blocks<'a> {
        simd: V3,
        input: &'a [u8],
        out: &'a mut [u8],
    }

    impl NullaryFnOnce for Blocks<'_> {
        /// Symbols consumed (a multiple of 32) and bytes written (24 per 32 symbols).
        type Output = (usize, usize);

        #[inline(always)]
        fn call(self) -> (usize, usize) {
            let Blocks { simd, input, out } = self;
            let avx2 = simd.avx2;
            let table = |bytes: [u8; 32]| -> core::arch::x86_64::__m256i { pulp::cast(bytes) };
            let (mut i, mut o) = (0, 0);
            while let (Some(chunk), Some(dst)) = (
                input.get(i..).and_then(<[u8]>::first_chunk::<32>),
                out.get_mut(o..).and_then(<[u8]>::first_chunk_mut::<32>),
            ) {
                let x = table(*chunk);
                let nibble = table([0x0f; 32]);
                let high = avx2._mm256_and_si256(avx2._mm256_srli_epi32::<4>(x), nibble);
                let low = avx2._mm256_and_si256(x, nibble);
                let check = avx2._mm256_and_si256(
                    avx2._mm256_shuffle_epi8(table(CHECK_LOW), low),
                    avx2._mm256_shuffle_epi8(table(CHECK_HIGH), high),
                );
                // Any symbol outside the alphabet (padding included) ends the vector steps.
                if simd.avx._mm256_testz_si256(check, check) == 0 {
                    break;
                }
                let slash = avx2._mm256_cmpeq_epi8(x, table([b'/'; 32]));
                let shift =
                    avx2._mm256_shuffle_epi8(table(SHIFT), avx2._mm256_add_epi8(slash, high));
                let values = avx2._mm256_add_epi8(x, shift);
                // (a << 6 | b) and (c << 6 | d) in 16 bits, then the 24 bits of the group.
                let pairs = avx2._mm256_maddubs_epi16(
                    values,
                    table(lanes([
                        0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1, 0x40, 1,
                    ])),
                );
                let groups = avx2._mm256_madd_epi16(
                    pairs,
                    table(lanes([
                        0, 0x10, 1, 0, 0, 0x10, 1, 0, 0, 0x10, 1, 0, 0, 0x10, 1, 0,
                    ])),
                );
                let packed = avx2._mm256_shuffle_epi8(groups, table(PACK));
                let joined = avx2
                    ._mm256_permutevar8x32_epi32(packed, pulp::cast([0u32, 1, 2, 4, 5, 6, 7, 7]));
                *dst = pulp::cast(joined);
                i += 32;
                o += 24;
            }
            (i, o)
        }
    }
}

/// The value of each base64 symbol, [`FWS_SYMBOL`] for FWS and [`OTHER_SYMBOL`] for any
/// other byte.
const BASE64_VALUES: [u8; 256] = {
    let mut table = [OTHER_SYMBOL; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < alphabet.len() {
        // i < 64: fits in u8 (`try_from` is not const).
        #[allow(clippy::cast_possible_truncation)]
        let symbol = i as u8;
        table[alphabet[i] as usize] = symbol;
        i += 1;
    }
    table[b' ' as usize] = FWS_SYMBOL;
    table[b'\t' as usize] = FWS_SYMBOL;
    table[b'\r' as usize] = FWS_SYMBOL;
    table[b'\n' as usize] = FWS_SYMBOL;
    table
};
const FWS_SYMBOL: u8 = 0x40;
const OTHER_SYMBOL: u8 = 0x80;

/// One table-driven pass that skips FWS while it decodes, for the common shape: symbols,
/// then no padding or the canonical padding, FWS anywhere. `None` for anything else (an
/// invalid byte, misplaced or non-canonical padding, a dangling symbol); the caller then
/// asks [`decode_base64_engine`], which decides those cases exactly as before.
///
/// Writes into `out`, which must hold `value.len() / 4 * 3 + 3` bytes; returns the decoded
/// length.
fn decode_base64_fast(value: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    let mut group: u32 = 0;
    let mut symbols = 0usize;
    let mut rest = value;
    'symbols: loop {
        // Eight symbols (six bytes) at a time through the runs between folds, whatever
        // the number of symbols pending from before a fold: with p pending (6p bits in
        // `group`), the 6p + 48 bits hold two whole groups (six bytes) and leave the last
        // p symbols pending, so a fold costs a few single steps instead of realigning.
        // 0, 6, 12 or 18: the pending bits, fixed while eight symbols go at a time.
        let shift = 6 * (symbols % 4);
        let mut pending = u64::from(group);
        let start = len;
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            let v = chunk.map(|x| u64::from(BASE64_VALUES[usize::from(x)]));
            if (v[0] | v[1] | v[2] | v[3] | v[4] | v[5] | v[6] | v[7]) >= u64::from(FWS_SYMBOL) {
                break;
            }
            let word = (v[0] << 42)
                | (v[1] << 36)
                | (v[2] << 30)
                | (v[3] << 24)
                | (v[4] << 18)
                | (v[5] << 12)
                | (v[6] << 6)
                | v[7];
            let bytes = (pending << (48 - shift)) | (word >> shift);
            out.get_mut(len..len + 6)?
                .copy_from_slice(&bytes.to_be_bytes()[2..]);
            pending = word & ((1 << shift) - 1);
            len += 6;
            rest = tail;
        }
        // Six bytes per eight symbols.
        symbols += (len - start) / 6 * 8;
        group = u32::try_from(pending).unwrap_or_default();
        // One byte at a time: the symbols up to a fold and its FWS (then back to eight
        // at a time), or the last few symbols.
        let mut after_fws = false;
        loop {
            let Some((&b, tail)) = rest.split_first() else {
                break 'symbols;
            };
            let v = BASE64_VALUES[usize::from(b)];
            match v.cmp(&FWS_SYMBOL) {
                std::cmp::Ordering::Less => {
                    if after_fws {
                        break;
                    }
                    group = (group << 6) | u32::from(v);
                    symbols += 1;
                    if symbols.is_multiple_of(4) {
                        out.get_mut(len..len + 3)?
                            .copy_from_slice(&group.to_be_bytes()[1..]);
                        len += 3;
                        group = 0;
                    }
                }
                std::cmp::Ordering::Equal => after_fws = true,
                std::cmp::Ordering::Greater => break 'symbols,
            }
            rest = tail;
        }
    }
    // Padding: only `=` and FWS may follow the symbols.
    let mut padding = 0usize;
    for &b in rest {
        match b {
            b'=' => padding += 1,
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return None,
        }
    }
    let canonical_padding = (4 - symbols % 4) % 4;
    if padding != 0 && padding != canonical_padding {
        return None;
    }
    match symbols % 4 {
        0 => {}
        // 12 bits: one byte, the 4 low bits dropped (trailing bits allowed).
        2 => {
            *out.get_mut(len)? = group.to_be_bytes()[2] << 4 | group.to_be_bytes()[3] >> 4;
            len += 1;
        }
        // 18 bits: two bytes, the 2 low bits dropped.
        3 => {
            out.get_mut(len..len + 2)?
                .copy_from_slice(&(group >> 2).to_be_bytes()[2..]);
            len += 2;
        }
        _ => return None,
    }
    Some(len)
}

/// The `base64` crate's decoder, after removing FWS: the reference for
/// [`decode_base64_fast`] and the path for every input it declines.
fn decode_base64_engine(value: &[u8]) -> Option<Vec<u8>> {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let is_fws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    if !value.iter().any(is_fws) {
        return ENGINE.decode(value).ok();
    }
    // Folded values have a few long runs between line breaks: copy them whole.
    let mut compact = Vec::with_capacity(value.len());
    for run in value.split(is_fws) {
        compact.extend_from_slice(run);
    }
    ENGINE.decode(compact).ok()
}

/// `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2), each label 1–63 octets; with
/// `underscore`, `_` is accepted too (selectors in the wild use it). Octets above 127 are
/// accepted for RFC 8616 (UTF-8 in `d=` and `s=`).
fn is_domain_syntax(value: &[u8], underscore: bool) -> bool {
    !value.is_empty()
        && value.split(|&b| b == b'.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.first() != Some(&b'-')
                && label.last() != Some(&b'-')
                && label.iter().all(|&b| {
                    b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80 || (underscore && b == b'_')
                })
        })
}

/// `domain-name = sub-domain 1*("." sub-domain)` as a [`Name`].
pub(crate) fn parse_domain(value: &[u8]) -> Option<Name> {
    if !is_domain_syntax(value, false) || !value.contains(&b'.') {
        return None;
    }
    Name::from_bytes(value).ok()
}

/// `selector = sub-domain *( "." sub-domain )`.
pub(crate) fn parse_selector(value: &[u8]) -> Option<Box<str>> {
    if !is_domain_syntax(value, true) {
        return None;
    }
    std::str::from_utf8(value).ok().map(Box::from)
}

/// `1*n DIGIT` as a number.
fn parse_number(value: &[u8], max_digits: usize) -> Option<u64> {
    if value.is_empty() || value.len() > max_digits || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // `l=` may have 76 digits: a value beyond u64 saturates (it exceeds any body, which
    // verification then reports), rather than making the signature a syntax error.
    Some(value.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The tags of §3.5, each with its slot in `Signature::parse_with_b_range`.
const KNOWN_TAGS: [&str; 14] = [
    "v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x", "z",
];
const TAG_V: usize = 0;
const TAG_A: usize = 1;
const TAG_B: usize = 2;
const TAG_BH: usize = 3;
const TAG_C: usize = 4;
const TAG_D: usize = 5;
const TAG_H: usize = 6;
const TAG_I: usize = 7;
const TAG_L: usize = 8;
const TAG_Q: usize = 9;
const TAG_S: usize = 10;
const TAG_T: usize = 11;
const TAG_X: usize = 12;
const TAG_Z: usize = 13;

/// The slot of each tag of §3.5 in [`KNOWN_TAGS`]; `None` for any other name.
fn known_tag(name: &[u8]) -> Option<usize> {
    Some(match name {
        b"v" => TAG_V,
        b"a" => TAG_A,
        b"b" => TAG_B,
        b"bh" => TAG_BH,
        b"c" => TAG_C,
        b"d" => TAG_D,
        b"h" => TAG_H,
        b"i" => TAG_I,
        b"l" => TAG_L,
        b"q" => TAG_Q,
        b"s" => TAG_S,
        b"t" => TAG_T,
        b"x" => TAG_X,
        b"z" => TAG_Z,
        _ => return None,
    })
}

/// The tag list of a signature, each known tag in its slot, read in one pass with no list
/// of tags (the other names are kept only when there are any, to check them for
/// duplicates). Errors as [`tag_list::parse`] reports them: a syntax error, else the
/// earliest repeated name.
fn tag_slots(value: &[u8]) -> Result<[Option<Tag<'_>>; KNOWN_TAGS.len()], TagListError> {
    let mut slots = [None; KNOWN_TAGS.len()];
    let mut repeated: Option<usize> = None;
    let mut others: Vec<Tag<'_>> = Vec::new();
    tag_list::scan(value, |tag| match known_tag(tag.name) {
        Some(slot) if slots[slot].is_some() => {
            repeated.get_or_insert(tag.offset);
        }
        Some(slot) => slots[slot] = Some(tag),
        None => others.push(tag),
    })?;
    let repeated_other = match tag_list::check_duplicates(&others) {
        Err(TagListError::DuplicateTag { offset }) => Some(offset),
        _ => None,
    };
    match (repeated, repeated_other) {
        (Some(a), Some(b)) => Err(TagListError::DuplicateTag { offset: a.min(b) }),
        (Some(offset), None) | (None, Some(offset)) => Err(TagListError::DuplicateTag { offset }),
        (None, None) => Ok(slots),
    }
}

impl Signature {
    /// Parses the value of a DKIM-Signature header field (the bytes after the colon).
    ///
    /// Unknown tags are ignored (§3.2); duplicate tags make the whole field invalid.
    ///
    /// ```
    /// use mailproof_dkim::{Algorithm, Canonicalization, Signature};
    ///
    /// let sig = Signature::parse(
    ///     b" v=1; a=rsa-sha256; c=relaxed; d=example.com; s=sel;\r\n\
    ///       h=From : Subject; bh=AAAA; b=AA\r\n BB; l=10",
    /// )?;
    /// assert_eq!(sig.algorithm, Algorithm::RsaSha256);
    /// assert_eq!(sig.header_canonicalization, Canonicalization::Relaxed);
    /// assert_eq!(sig.body_canonicalization, Canonicalization::Simple);
    /// assert_eq!(sig.signing_domain.as_str(), "example.com");
    /// assert_eq!(&*sig.selector, "sel");
    /// assert_eq!(sig.signed_headers.len(), 2);
    /// assert_eq!(sig.body_length, Some(10));
    /// # Ok::<(), mailproof_dkim::SignatureError>(())
    /// ```
    ///
    /// # Errors
    /// A [`SignatureError`] naming the first problem found.
    pub fn parse(value: &[u8]) -> Result<Signature, SignatureError> {
        Signature::parse_with_b_range(value).map(|(sig, _)| sig)
    }

    /// Parses, and also returns the range of the `b=` value that verification must delete:
    /// from just after `b=` to the `;` or the end of the value.
    pub(crate) fn parse_with_b_range(
        value: &[u8],
    ) -> Result<(Signature, (usize, usize)), SignatureError> {
        let slots = tag_slots(value).map_err(SignatureError::from_tag_list)?;
        let find = |slot: usize| slots[slot].as_ref();
        let required = |slot: usize| -> Result<&Tag<'_>, SignatureError> {
            slots[slot].as_ref().ok_or(SignatureError::MissingTag {
                tag: KNOWN_TAGS[slot],
            })
        };
        let invalid = |tag: &'static str| SignatureError::InvalidValue { tag };

        let version = required(TAG_V)?;
        if version.value != b"1" {
            return Err(SignatureError::UnsupportedVersion);
        }
        let algorithm =
            Algorithm::parse(required(TAG_A)?.value).ok_or(SignatureError::UnsupportedAlgorithm)?;
        let b_tag = required(TAG_B)?;
        let signature = decode_base64_boxed(b_tag.value)
            .filter(|s| !s.is_empty())
            .ok_or(invalid("b"))?;
        let body_hash = decode_base64_boxed(required(TAG_BH)?.value)
            .filter(|s| !s.is_empty())
            .ok_or(invalid("bh"))?;
        let signing_domain = parse_domain(required(TAG_D)?.value).ok_or(invalid("d"))?;
        let signed_headers = SignedHeaders::parse(required(TAG_H)?.value).ok_or(invalid("h"))?;
        let selector = parse_selector(required(TAG_S)?.value).ok_or(invalid("s"))?;

        let (header_canonicalization, body_canonicalization) = match find(TAG_C) {
            None => (Canonicalization::Simple, Canonicalization::Simple),
            Some(tag) => parse_canonicalization(tag.value)?,
        };
        let agent_identifier = find(TAG_I)
            .map(|tag| parse_identity(tag.value).ok_or(invalid("i")))
            .transpose()?;
        let body_length = find(TAG_L)
            .map(|tag| parse_number(tag.value, 76).ok_or(invalid("l")))
            .transpose()?;
        if let Some(tag) = find(TAG_Q)
            && !tag_list::colon_list(tag.value).any(|m| m.eq_ignore_ascii_case(b"dns/txt"))
        {
            return Err(SignatureError::UnsupportedQueryMethod);
        }
        let signed_at = find(TAG_T)
            .map(|tag| parse_number(tag.value, 12).ok_or(invalid("t")))
            .transpose()?;
        let expires_at = find(TAG_X)
            .map(|tag| parse_number(tag.value, 12).ok_or(invalid("x")))
            .transpose()?;
        if let (Some(t), Some(x)) = (signed_at, expires_at)
            && x <= t
        {
            return Err(SignatureError::ExpiresBeforeSigned);
        }
        let copied_headers = find(TAG_Z).map(|tag| Box::from(tag.value));

        let signature = Signature {
            algorithm,
            signature,
            body_hash,
            header_canonicalization,
            body_canonicalization,
            signing_domain,
            signed_headers,
            agent_identifier,
            body_length,
            selector,
            signed_at,
            expires_at,
            copied_headers,
        };
        Ok((signature, (b_tag.after_equals, b_tag.end)))
    }

    /// Whether `h=` lists the From header field (§6.1.1: it MUST).
    pub fn signs_from(&self) -> bool {
        self.signs("from")
    }

    /// Whether `h=` lists `name` (ASCII case-insensitive).
    pub fn signs(&self, name: &str) -> bool {
        self.signed_headers.contains(name)
    }

    /// The DNS name of the key: `<selector>._domainkey.<signing domain>` (§3.6.2.1).
    ///
    /// `None` when the result is not a valid DNS name (too long).
    pub fn key_name(&self) -> Option<Name> {
        // Built on the stack: a valid name has at most 255 octets.
        const INFIX: &[u8] = b"._domainkey.";
        let (selector, domain) = (self.selector.as_bytes(), self.signing_domain.as_str());
        let len = selector.len() + INFIX.len() + domain.len();
        let mut buffer = [0u8; 256];
        let name = buffer.get_mut(..len)?;
        let (head, tail) = name.split_at_mut(selector.len());
        head.copy_from_slice(selector);
        let (infix, rest) = tail.split_at_mut(INFIX.len());
        infix.copy_from_slice(INFIX);
        rest.copy_from_slice(domain.as_bytes());
        Name::from_bytes(name).ok()
    }
}

/// `sig-c-tag-alg = "simple" / "relaxed"`; `c= hdr ["/" body]`.
fn parse_canonicalization(
    value: &[u8],
) -> Result<(Canonicalization, Canonicalization), SignatureError> {
    let one = |v: &[u8]| {
        if v.eq_ignore_ascii_case(b"simple") {
            Ok(Canonicalization::Simple)
        } else if v.eq_ignore_ascii_case(b"relaxed") {
            Ok(Canonicalization::Relaxed)
        } else {
            Err(SignatureError::UnsupportedCanonicalization)
        }
    };
    match value.iter().position(|&b| b == b'/') {
        None => Ok((one(value)?, Canonicalization::Simple)),
        Some(slash) => Ok((one(&value[..slash])?, one(&value[slash + 1..])?)),
    }
}

/// `sig-i-tag = %x69 [FWS] "=" [FWS] [ Local-part ] "@" domain-name`, written in
/// dkim-quoted-printable (§3.5: "i= ... (dkim-quoted-printable; OPTIONAL ...)"): `=XX`
/// stands for the byte XX and FWS is ignored (§2.11), both undone before the `@` is found.
fn parse_identity(value: &[u8]) -> Option<Identity> {
    let decoded;
    let value = if value
        .iter()
        .any(|&b| matches!(b, b'=' | b' ' | b'\t' | b'\r' | b'\n'))
    {
        decoded = decode_dkim_quoted_printable(value)?;
        &decoded[..]
    } else {
        value
    };
    let at = value.iter().rposition(|&b| b == b'@')?;
    let domain = parse_domain(&value[at + 1..])?;
    Some(Identity {
        local_part: Box::from(&value[..at]),
        domain,
    })
}

/// RFC 6376 §2.11 `dkim-quoted-printable = *(FWS / hex-octet / dkim-safe-char)`, decoded:
/// `None` for a `=` not followed by two hex digits.
fn decode_dkim_quoted_printable(value: &[u8]) -> Option<Vec<u8>> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'=' => {
                let [high, low, tail @ ..] = rest else {
                    return None;
                };
                let byte = hex(*high)? * 16 + hex(*low)?;
                out.push(u8::try_from(byte).ok()?);
                rest = tail;
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA";

    fn parse_str(s: &str) -> Result<Signature, SignatureError> {
        Signature::parse(s.as_bytes())
    }

    #[test]
    fn minimal_signature_and_defaults() {
        let sig = parse_str(BASE).unwrap();
        assert_eq!(sig.header_canonicalization, Canonicalization::Simple);
        assert_eq!(sig.body_canonicalization, Canonicalization::Simple);
        assert_eq!(sig.agent_identifier, None);
        assert_eq!(sig.body_length, None);
        assert!(sig.signs_from());
        assert_eq!(
            sig.key_name().unwrap().as_str(),
            "sel._domainkey.example.com"
        );
    }

    #[test]
    fn every_tag() {
        let sig = parse_str(&format!(
            "{BASE}; c=relaxed/relaxed; i=joe@mail.example.com; l=42; q=dns/txt; t=100; x=200; \
             z=From:joe|To:x; unknown=ignored"
        ))
        .unwrap();
        assert_eq!(sig.body_canonicalization, Canonicalization::Relaxed);
        let identity = sig.agent_identifier.unwrap();
        assert_eq!(&*identity.local_part, b"joe");
        assert_eq!(identity.domain.as_str(), "mail.example.com");
        assert_eq!(
            (sig.body_length, sig.signed_at, sig.expires_at),
            (Some(42), Some(100), Some(200))
        );
        assert_eq!(sig.copied_headers.as_deref(), Some(&b"From:joe|To:x"[..]));
    }

    #[test]
    fn errors() {
        let cases: [(&str, SignatureError); 12] = [
            ("v=2; a=rsa-sha256", SignatureError::UnsupportedVersion),
            (
                "a=rsa-sha256; d=x.y",
                SignatureError::MissingTag { tag: "v" },
            ),
            (
                &format!("{BASE}; b=x"),
                SignatureError::DuplicateTag { offset: 66 },
            ),
            (
                "v=1; a=rsa-md5; d=example.com; s=s; h=from; bh=AA; b=AA",
                SignatureError::UnsupportedAlgorithm,
            ),
            (
                "v=1; a=rsa-sha256; d=legitimate.com(.attacker.com; s=s; h=from; bh=AA; b=AA",
                SignatureError::InvalidValue { tag: "d" },
            ),
            (
                &format!("{BASE}; c=fancy"),
                SignatureError::UnsupportedCanonicalization,
            ),
            (
                &format!("{BASE}; q=http"),
                SignatureError::UnsupportedQueryMethod,
            ),
            (
                &format!("{BASE}; t=10; x=10"),
                SignatureError::ExpiresBeforeSigned,
            ),
            (
                &format!("{BASE}; l=x"),
                SignatureError::InvalidValue { tag: "l" },
            ),
            (
                &format!("{BASE}; i=nobody"),
                SignatureError::InvalidValue { tag: "i" },
            ),
            (
                "v=1; a=rsa-sha256; d=example.com; s=s; h=from:; bh=AA; b=AA",
                SignatureError::InvalidValue { tag: "h" },
            ),
            (
                "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AA; b=!!",
                SignatureError::InvalidValue { tag: "b" },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_str(input), Err(expected), "{input}");
        }
        // l= may have up to 76 digits (§3.5): beyond u64 it saturates (review finding: it
        // was a syntax error); 77 digits are one too many.
        let long = parse_str(&format!("{BASE}; l=123456789012345678901234")).unwrap();
        assert_eq!(long.body_length, Some(u64::MAX));
        assert_eq!(
            parse_str(&format!("{BASE}; l={}", "9".repeat(76)))
                .unwrap()
                .body_length,
            Some(u64::MAX)
        );
        assert_eq!(
            parse_str(&format!("{BASE}; l={}", "9".repeat(77))),
            Err(SignatureError::InvalidValue { tag: "l" })
        );
        assert_eq!(
            parse_str(&format!("{BASE}; l=18446744073709551615"))
                .unwrap()
                .body_length,
            Some(u64::MAX)
        );
    }

    #[test]
    fn i_is_dkim_quoted_printable() {
        // Review finding: `i=` was taken as written (§3.5: "dkim-quoted-printable").
        let identity = |i: &str| parse_str(&format!("{BASE}; i={i}")).map(|s| s.agent_identifier);
        let local = |i: &str| identity(i).unwrap().unwrap().local_part;
        assert_eq!(&*local("f=3Do@example.com"), b"f=o");
        assert_eq!(&*local("f=3do@example.com"), b"f=o");
        assert_eq!(&*local("jo e@example.com"), b"joe");
        assert_eq!(
            identity("joe@ex=61mple.com")
                .unwrap()
                .unwrap()
                .domain
                .as_str(),
            "example.com"
        );
        assert_eq!(&*local("plain@example.com"), b"plain");
        for bad in [
            "a=ZZ@example.com",
            "a=4@example.com",
            "a@example.com=",
            "a=3",
        ] {
            assert_eq!(
                identity(bad),
                Err(SignatureError::InvalidValue { tag: "i" }),
                "{bad}"
            );
        }
    }

    #[test]
    fn b_range_covers_the_value_up_to_the_semicolon() {
        let value = b" v=1; a=rsa-sha256; b=AB\r\n CD ; d=example.com; s=s; h=from; bh=AA";
        let (_, (start, end)) = Signature::parse_with_b_range(value).unwrap();
        assert_eq!(&value[start..end], b"AB\r\n CD ");
        let value = b"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AA; b= AB\r\n CD";
        let (sig, (start, end)) = Signature::parse_with_b_range(value).unwrap();
        assert_eq!(&value[start..end], b" AB\r\n CD");
        assert_eq!(&*sig.signature, &[0, 16, 131][..]);
    }

    proptest::proptest! {
        /// The table-driven base64 decoder accepts only what the `base64` engine accepts,
        /// with the same bytes.
        #[test]
        fn base64_fast_path_agrees_with_engine(value in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'='), proptest::strategy::Just(b' '),
                proptest::strategy::Just(b'\r'), proptest::strategy::Just(b'\n'),
                proptest::strategy::Just(b'A'), proptest::strategy::Just(b'z'),
                proptest::strategy::Just(b'/'), proptest::strategy::Just(b'+'),
                proptest::strategy::Just(b'9'), proptest::strategy::Just(b'Q'),
                proptest::prelude::any::<u8>(),
            ], 0..200)) {
            let engine = decode_base64_engine(&value);
            let mut out = vec![0; value.len() / 4 * 3 + 3];
            if let Some(len) = decode_base64_fast(&value, &mut out) {
                proptest::prop_assert_eq!(Some(out[..len].to_vec()), engine.clone());
            }
            proptest::prop_assert_eq!(decode_base64(&value), engine.clone());
            proptest::prop_assert_eq!(decode_base64_boxed(&value).map(Vec::from), engine);
        }

        /// Long folded values (as signers write `b=`), folds at any alignment: the fast
        /// path decodes them (no engine fallback) to the signed bytes.
        #[test]
        fn base64_fast_path_decodes_folded_values(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            folds in proptest::collection::vec(0usize..400, 0..8),
            padded in proptest::prelude::any::<bool>(),
        ) {
            use base64::Engine as _;
            let mut text = base64::engine::general_purpose::STANDARD.encode(&bytes);
            if !padded {
                text = text.trim_end_matches('=').to_owned();
            }
            let mut folds: Vec<usize> = folds.iter().map(|&f| f % (text.len() + 1)).collect();
            folds.sort_unstable();
            let mut value = Vec::new();
            let mut last = 0;
            for fold in folds {
                value.extend_from_slice(&text.as_bytes()[last..fold]);
                value.extend_from_slice(b"\r\n\t");
                last = fold;
            }
            value.extend_from_slice(&text.as_bytes()[last..]);
            let mut out = vec![0; value.len() / 4 * 3 + 3];
            let len = decode_base64_fast(&value, &mut out);
            proptest::prop_assert_eq!(len.map(|len| &out[..len]), Some(&bytes[..]));
            // The vector path (this CPU's, where it has AVX2) too, without falling back.
            #[cfg(target_arch = "x86_64")]
            if let Some(simd) = crate::canonical::avx2() {
                let mut out = vec![0; value.len() / 4 * 3 + 3];
                let len = avx2_base64::decode(simd, &value, &mut out);
                proptest::prop_assert_eq!(len.map(|len| &out[..len]), Some(&bytes[..]));
            }
            proptest::prop_assert_eq!(decode_base64_boxed(&value).map(Vec::from), Some(bytes));
        }

        /// The one-pass slots against `tag_list::parse` (with its duplicate check) followed
        /// by putting each known tag in its slot: the same tags, or the same error.
        #[test]
        fn tag_slots_equal_parse_then_slots(specs in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "v", "a", "b", "bh", "c", "d", "h", "s", "x", "z", "foo", "Foo", "q1",
                    "x_y", " v", "1a", "",
                ]),
                proptest::sample::select(vec![
                    "", "1", "abc", "a b", " x ", "a\r\n b", "=", "x\u{7f}", "\u{1}", "é",
                ]),
                proptest::sample::select(vec![";", "; ", " ;\r\n ", ";;", "", " "]),
            ),
            0..12,
        )) {
            let mut value = String::new();
            for (name, tag_value, separator) in &specs {
                value.push_str(name);
                value.push('=');
                value.push_str(tag_value);
                value.push_str(separator);
            }
            let value = value.as_bytes();
            let reference = tag_list::parse(value).map(|tags| {
                let mut slots = [None; KNOWN_TAGS.len()];
                for tag in tags {
                    if let Some(slot) = known_tag(tag.name) {
                        slots[slot] = Some(tag);
                    }
                }
                slots
            });
            proptest::prop_assert_eq!(tag_slots(value), reference);
        }

        /// Long `h=` values (several vector blocks), valid and not: the vector reader
        /// against the scalar one.
        #[test]
        fn signed_headers_vector_equals_scalar(items in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "From", "to", "Subject", "x", "List-Unsubscribe-Post", "", "a b", "é",
                    "Date\u{7f}", "DKIM-Signature",
                ]),
                proptest::sample::select(vec!["", " ", "\r\n\t", "\r\n ", "  ", "\t"]),
                proptest::sample::select(vec![":", ":", ":", "::", ": ", "", ";"]),
            ),
            0..40,
        ), tail in proptest::sample::select(vec!["", ":", " ", "\r\n", "x"])) {
            let mut value = String::new();
            for (name, fws, colon) in &items {
                value.push_str(fws);
                value.push_str(name);
                value.push_str(fws);
                value.push_str(colon);
            }
            value.push_str(tail);
            let value = value.as_bytes();
            let scalar = SignedHeaders::parse_scalar(value);
            proptest::prop_assert_eq!(SignedHeaders::parse(value), scalar.clone());
            if let Some(list) = &scalar {
                let naive: Vec<&[u8]> = tag_list::colon_list(value).collect();
                let got: Vec<&[u8]> = list.iter().map(str::as_bytes).collect();
                proptest::prop_assert_eq!(got, naive);
            }
        }

        /// Valid long `h=` lists, and the same with one byte changed anywhere: the vector
        /// reader against the scalar one (and, when valid, against splitting on colons).
        #[test]
        fn signed_headers_vector_equals_scalar_on_valid_lists(items in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "From", "to", "Subject", "x", "List-Unsubscribe-Post", "DKIM-Signature",
                    "Message-ID", "!#$%&'*+-.^_`|~",
                ]),
                proptest::sample::select(vec!["", "", "", " ", "\r\n\t", "\r\n "]),
            ),
            1..60,
        ), at in 0usize..2000, byte in proptest::prelude::any::<u8>()) {
            let names: Vec<String> = items
                .iter()
                .map(|(name, fws)| format!("{fws}{name}{fws}"))
                .collect();
            let value = names.join(":");
            let value = value.as_bytes();
            let expected: Vec<&[u8]> = tag_list::colon_list(value).collect();
            let parsed = SignedHeaders::parse(value);
            proptest::prop_assert!(parsed.is_some());
            if let Some(list) = &parsed {
                let got: Vec<&[u8]> = list.iter().map(str::as_bytes).collect();
                proptest::prop_assert_eq!(got, expected);
            }
            let mut changed = value.to_vec();
            let at = at % changed.len();
            changed[at] = byte;
            proptest::prop_assert_eq!(
                SignedHeaders::parse(&changed),
                SignedHeaders::parse_scalar(&changed)
            );
        }

        /// The word-at-a-time field-name run against a byte-by-byte one.
        #[test]
        fn name_run_equals_position(bytes in proptest::collection::vec(
            proptest::prop_oneof![
                8 => proptest::strategy::Just(b'a'),
                1 => proptest::strategy::Just(b':'),
                1 => proptest::strategy::Just(b' '),
                1 => proptest::strategy::Just(0x7e_u8),
                1 => proptest::strategy::Just(0x7f_u8),
                1 => proptest::strategy::Just(0xff_u8),
                1 => proptest::strategy::Just(b'!'),
                1 => proptest::prelude::any::<u8>(),
            ], 0..40)) {
            let naive = bytes
                .iter()
                .position(|&b| !(33..=126).contains(&b) || b == b':')
                .unwrap_or(bytes.len());
            proptest::prop_assert_eq!(name_run(&bytes), naive);
        }

        /// The one-pass `h=` reader against the obvious one: split on `:`, trim FWS, each
        /// item `1*ftext`.
        #[test]
        fn signed_headers_equal_split_and_trim(value in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b':'), proptest::strategy::Just(b' '),
                proptest::strategy::Just(b'\r'), proptest::strategy::Just(b'\n'),
                proptest::strategy::Just(b'a'), proptest::strategy::Just(b'B'),
                proptest::prelude::any::<u8>(),
            ], 0..24)) {
            let naive: Option<Vec<&[u8]>> = tag_list::colon_list(&value)
                .map(|name| {
                    let ok = !name.is_empty()
                        && name.iter().all(|&b| (33..=126).contains(&b) && b != b':');
                    ok.then_some(name)
                })
                .collect();
            let fast = SignedHeaders::parse(&value);
            match (naive, fast) {
                (None, None) => {}
                (Some(names), Some(list)) => {
                    let got: Vec<&[u8]> = list.iter().map(str::as_bytes).collect();
                    proptest::prop_assert_eq!(got, names);
                }
                (naive, fast) => proptest::prop_assert!(false, "{naive:?} vs {fast:?}"),
            }
        }
    }
}
