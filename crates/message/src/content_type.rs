//! `Content-Type`, `Content-Disposition` (RFC 2045 §5, RFC 2183) with RFC
//! 2231 parameters, and `Content-Transfer-Encoding` (RFC 2045 §6).

use std::borrow::Cow;

use crate::encoding;
use crate::error::Error;
use crate::lexer::{self, is_wsp, skip_cfws};

/// A parsed `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContentType<'a> {
    /// The top-level type as written (`text`, `Multipart`, ...).
    pub media_type: &'a [u8],
    /// The subtype as written; `None` when the value has no `/subtype`.
    pub subtype: Option<&'a [u8]>,
    /// The parameters, RFC 2231 sections joined and decoded, in order of
    /// first appearance.
    pub params: Vec<Param<'a>>,
}

/// A `Content-Disposition` value (RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContentDisposition<'a> {
    /// `inline`, `attachment`, ... as written.
    pub disposition: &'a [u8],
    /// The parameters (`filename`, ...).
    pub params: Vec<Param<'a>>,
}

/// One MIME parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param<'a> {
    /// The attribute name as written, without RFC 2231 `*n*` suffixes.
    pub name: &'a [u8],
    /// The value: unquoted, RFC 2231 sections joined and percent-decoded,
    /// charset-decoded to UTF-8; RFC 2047 encoded words are decoded too (not
    /// standard, but what mail in the wild needs for file names).
    pub value: Cow<'a, str>,
    /// The RFC 2231 language tag, if given (`en` in `us-ascii'en'...`).
    pub language: Option<Cow<'a, [u8]>>,
}

impl ContentType<'_> {
    /// Whether the type is `media_type/subtype`, ignoring ASCII case.
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type.as_bytes())
            && self
                .subtype
                .is_some_and(|s| s.eq_ignore_ascii_case(subtype.as_bytes()))
    }

    /// Whether the top-level type is `media_type`, ignoring ASCII case.
    pub fn is_type(&self, media_type: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type.as_bytes())
    }

    /// The value of parameter `name` (ASCII case-insensitive), first match.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }
}

impl ContentDisposition<'_> {
    /// The value of parameter `name` (ASCII case-insensitive), first match.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    /// Whether the disposition is `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.disposition.eq_ignore_ascii_case(b"attachment")
    }
}

fn param<'p>(params: &'p [Param<'_>], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|p| p.value.as_ref())
}

/// Parses a `Content-Type` value.
///
/// ```text
/// content   := type "/" subtype *(";" parameter)   ; RFC 2045 §5.1
/// parameter := attribute "=" value
/// value     := token / quoted-string
/// ```
///
/// with RFC 2231 `attribute*=charset'language'%xx` and `attribute*N[*]=`
/// continuations. Lenient, as readers must be: comments and white space
/// anywhere between tokens, missing `;` between parameters, empty or
/// nameless parameters skipped, 8-bit bytes in tokens, a missing subtype, an
/// unclosed quoted string (runs to the end of the value).
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "content-type"` when there is no type
/// (`/plain`, `;charset=x`, empty).
///
/// ```
/// use mailproof_message::parse_content_type;
///
/// let ct = parse_content_type(b" text/plain; charset=\"iso-8859-1\";\r\n title*=us-ascii'en'a%20b").unwrap();
/// assert!(ct.is("text", "plain"));
/// assert_eq!(ct.param("charset"), Some("iso-8859-1"));
/// assert_eq!(ct.param("TITLE"), Some("a b"));
/// assert_eq!(ct.params[1].language.as_deref(), Some(&b"en"[..]));
/// ```
pub fn parse_content_type(value: &[u8]) -> Result<ContentType<'_>, Error> {
    let (media_type, subtype, params) = parse_typed(value).ok_or(Error::Syntax {
        field: "content-type",
        offset: 0,
    })?;
    Ok(ContentType {
        media_type,
        subtype,
        params,
    })
}

/// Parses a `Content-Disposition` value (RFC 2183), with the same grammar
/// and leniency as [`parse_content_type`] (no subtype).
///
/// # Errors
///
/// [`Error::Syntax`] with `field: "content-disposition"` when there is no
/// disposition type.
pub fn parse_content_disposition(value: &[u8]) -> Result<ContentDisposition<'_>, Error> {
    let (disposition, _, params) = parse_typed(value).ok_or(Error::Syntax {
        field: "content-disposition",
        offset: 0,
    })?;
    Ok(ContentDisposition {
        disposition,
        params,
    })
}

/// ```text
/// token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>  ; RFC 2045 §5.1
/// ```
///
/// Lenient: stops only at white space, controls, `;`, `(`, `"` and the
/// bytes in `stop`; 8-bit bytes are accepted.
fn token<'a>(input: &'a [u8], stop: &[u8]) -> (&'a [u8], &'a [u8]) {
    let len = input
        .iter()
        .position(|&b| {
            b <= b' ' || b == 0x7f || b == b';' || b == b'(' || b == b'"' || stop.contains(&b)
        })
        .unwrap_or(input.len());
    (&input[len..], &input[..len])
}

type Typed<'a> = (&'a [u8], Option<&'a [u8]>, Vec<Param<'a>>);

fn parse_typed(value: &[u8]) -> Option<Typed<'_>> {
    let rest = skip_cfws(value);
    let (rest, media_type) = token(rest, b"/");
    if media_type.is_empty() {
        return None;
    }
    let mut rest = skip_cfws(rest);
    let mut subtype = None;
    if let Some(after) = rest.strip_prefix(b"/") {
        let (after, sub) = token(skip_cfws(after), b"");
        subtype = (!sub.is_empty()).then_some(sub);
        rest = after;
    }
    Some((media_type, subtype, parameters(rest)))
}

/// A raw parameter section before RFC 2231 joining.
struct Section<'a> {
    name: &'a [u8],
    index: Option<u32>,
    extended: bool,
    value: Cow<'a, [u8]>,
}

/// ```text
/// parameter := attribute "=" value                      ; RFC 2045 §5.1
/// parameter := regular-parameter / extended-parameter   ; RFC 2231 §7
/// ```
fn parameters(mut rest: &[u8]) -> Vec<Param<'_>> {
    let mut sections: Vec<Section<'_>> = Vec::new();
    loop {
        rest = skip_cfws(rest);
        while let Some(after) = rest.strip_prefix(b";") {
            rest = skip_cfws(after);
        }
        if rest.is_empty() {
            break;
        }
        let (after, attribute) = token(rest, b"=");
        let after = skip_cfws(after);
        let Some(after) = after.strip_prefix(b"=") else {
            // No "=": skip this junk up to the next ";".
            let skip = after.iter().position(|&b| b == b';').unwrap_or(after.len());
            rest = &after[skip..];
            if attribute.is_empty() && skip == 0 && !after.is_empty() {
                rest = &after[1..];
            }
            continue;
        };
        let after = skip_cfws(after);
        let (after, value, quoted) = if after.first() == Some(&b'"') {
            match lexer::quoted_string_text(after) {
                Ok((r, q)) => (r, lexer::unquote(q), true),
                Err(_) => (&[][..], lexer::unquote(&after[1..]), true),
            }
        } else if after.starts_with(b"=?") {
            // Lenient: an unquoted value made of encoded words runs to ";".
            let len = after.iter().position(|&b| b == b';').unwrap_or(after.len());
            (
                &after[len..],
                Cow::Borrowed(after[..len].trim_ascii()),
                false,
            )
        } else {
            let (r, v) = token(after, b"");
            (r, Cow::Borrowed(v), false)
        };
        rest = after;
        if attribute.is_empty() || (value.is_empty() && !quoted) {
            continue;
        }
        let (name, index, extended) = split_attribute(attribute);
        if name.is_empty() {
            continue;
        }
        sections.push(Section {
            name,
            index,
            extended,
            value,
        });
    }
    join_sections(&sections)
}

/// `name`, `name*`, `name*N`, `name*N*` → (name, N, extended).
fn split_attribute(attribute: &[u8]) -> (&[u8], Option<u32>, bool) {
    let (attribute, extended) = match attribute.strip_suffix(b"*") {
        Some(a) => (a, true),
        None => (attribute, false),
    };
    if let Some(star) = attribute.iter().rposition(|&b| b == b'*') {
        let digits = &attribute[star + 1..];
        if !digits.is_empty() && digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit) {
            let index = digits
                .iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
            return (&attribute[..star], Some(index), extended);
        }
    }
    (attribute, None, extended)
}

fn percent_decode(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < input.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if input[i] == b'%'
            && let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits make a byte.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
}

/// Joins RFC 2231 sections (§3 continuations, §4 charset and language) and
/// decodes values. Sections are ordered by index; missing indexes are
/// tolerated.
fn join_sections<'a>(sections: &[Section<'a>]) -> Vec<Param<'a>> {
    let mut params: Vec<Param<'_>> = Vec::with_capacity(sections.len());
    let mut done = vec![false; sections.len()];
    for i in 0..sections.len() {
        if done[i] {
            continue;
        }
        let first = &sections[i];
        if first.index.is_none() && !first.extended {
            done[i] = true;
            let value = match &first.value {
                Cow::Borrowed(v) if !v.windows(2).any(|w| w == b"=?") => String::from_utf8_lossy(v),
                v => Cow::Owned(encoding::decode_words(v).into_owned()),
            };
            params.push(Param {
                name: first.name,
                value,
                language: None,
            });
            continue;
        }
        // Every RFC 2231 section with this name, ordered by index.
        let mut group: Vec<usize> = (i..sections.len())
            .filter(|&j| {
                !done[j]
                    && (sections[j].index.is_some() || sections[j].extended)
                    && sections[j].name.eq_ignore_ascii_case(first.name)
            })
            .collect();
        group.sort_by_key(|&j| sections[j].index.unwrap_or(0));
        let mut bytes = Vec::new();
        let mut charset: Option<Vec<u8>> = None;
        let mut language = None;
        for (n, &j) in group.iter().enumerate() {
            done[j] = true;
            let s = &sections[j];
            let mut value: &[u8] = &s.value;
            if n == 0 && s.extended && memchr::memchr_iter(b'\'', value).nth(1).is_some() {
                // charset'language'value
                let mut parts = value.splitn(3, |&b| b == b'\'');
                if let (Some(cs), Some(lang), Some(v)) = (parts.next(), parts.next(), parts.next())
                {
                    charset = (!cs.is_empty()).then(|| cs.to_vec());
                    language = (!lang.is_empty()).then(|| Cow::Owned(lang.to_vec()));
                    value = v;
                }
            }
            if s.extended {
                percent_decode(value, &mut bytes);
            } else {
                bytes.extend_from_slice(value);
            }
        }
        let value = match charset.and_then(|cs| encoding::decode_charset(&cs, &bytes)) {
            Some(text) => text.into_owned(),
            None => String::from_utf8_lossy(&bytes).into_owned(),
        };
        params.push(Param {
            name: first.name,
            value: Cow::Owned(value),
            language,
        });
    }
    params
}

/// A `Content-Transfer-Encoding` value (RFC 2045 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferEncoding<'a> {
    /// `7bit` (also the default when the field is absent).
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `base64`.
    Base64,
    /// `quoted-printable`.
    QuotedPrintable,
    /// Anything else (`x-uuencode`, typos), as written.
    Other(&'a [u8]),
}

/// Parses a `Content-Transfer-Encoding` value; never fails (unknown values
/// are [`TransferEncoding::Other`]). Case-insensitive, comments and a
/// trailing `;` ignored.
///
/// ```text
/// encoding  := "Content-Transfer-Encoding" ":" mechanism   ; RFC 2045 §6.1
/// mechanism := "7bit" / "8bit" / "binary" / "quoted-printable" / "base64" / ietf-token / x-token
/// ```
pub fn parse_transfer_encoding(value: &[u8]) -> TransferEncoding<'_> {
    let rest = skip_cfws(value);
    let (_, mechanism) = token(rest, b"");
    let is = |name: &str| mechanism.eq_ignore_ascii_case(name.as_bytes());
    if is("7bit") {
        TransferEncoding::SevenBit
    } else if is("8bit") {
        TransferEncoding::EightBit
    } else if is("binary") {
        TransferEncoding::Binary
    } else if is("base64") {
        TransferEncoding::Base64
    } else if is("quoted-printable") {
        TransferEncoding::QuotedPrintable
    } else {
        TransferEncoding::Other(if mechanism.iter().all(|&b| !is_wsp(b)) {
            mechanism
        } else {
            value
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: &str) -> Vec<(String, String)> {
        parse_content_type(v.as_bytes())
            .unwrap()
            .params
            .into_iter()
            .map(|p| {
                (
                    String::from_utf8_lossy(p.name).into_owned(),
                    p.value.into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn types() {
        let ct = parse_content_type(b"(hello) text (plain) / (world) plain (eod)").unwrap();
        assert_eq!(
            (ct.media_type, ct.subtype),
            (&b"text"[..], Some(&b"plain"[..]))
        );
        let ct = parse_content_type(b"inline").unwrap();
        assert_eq!(ct.subtype, None);
        assert!(parse_content_type(b"/plain").is_err());
        assert!(parse_content_type(b" ;charset=x").is_err());
    }

    #[test]
    fn rfc2231() {
        assert_eq!(
            params(
                "application/x-stuff\n title*0*=us-ascii'en'This%20is%20even%20more%20\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\n title*2=\"isn't it!\""
            ),
            [(
                "title".to_owned(),
                "This is even more ***fun*** isn't it!".to_owned()
            )]
        );
        assert_eq!(
            params("text/plain; name*=\"iso-8859-1''HasenundFr%F6sche.txt\""),
            [("name".to_owned(), "HasenundFrösche.txt".to_owned())]
        );
        assert_eq!(
            params(
                "message/external-body; access-type=URL;\n URL*0=\"ftp://\";\n URL*1=\"cs.utk.edu/x\""
            ),
            [
                ("access-type".to_owned(), "URL".to_owned()),
                ("URL".to_owned(), "ftp://cs.utk.edu/x".to_owned())
            ]
        );
    }

    #[test]
    fn lenient_params() {
        assert_eq!(
            params("text/plain ;;;;; = ;; name=\"value\""),
            [("name".to_owned(), "value".to_owned())]
        );
        assert_eq!(
            params("inva/lid; name=\"   \n    \n"),
            [("name".to_owned(), "       ".to_owned())]
        );
        assert_eq!(params("a/b; = \n"), []);
        assert_eq!(
            params("image/gif;\n name==?iso-8859-6?b?5dHNyMcgyMfk2cfk5Q==?=.gif"),
            [("name".to_owned(), "مرحبا بالعالم.gif".to_owned())]
        );
    }

    #[test]
    fn transfer_encodings() {
        assert_eq!(
            parse_transfer_encoding(b" Base64 "),
            TransferEncoding::Base64
        );
        assert_eq!(
            parse_transfer_encoding(b"quoted-printable;"),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            parse_transfer_encoding(b"x-uuencode"),
            TransferEncoding::Other(b"x-uuencode")
        );
    }
}
