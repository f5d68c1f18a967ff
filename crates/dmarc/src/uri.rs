//! DMARC Reporting URIs, the entries of `rua=` and `ruf=` (RFC 9989 §4.6, §4.8).

use std::sync::OnceLock;

use mailproof_dns::Name;

use crate::record::{class, is};

/// One report destination from `rua=` or `ruf=`.
///
/// The obsolete size limit of RFC 7489 (`mailto:r@example.com!10m`) is accepted and kept in
/// [`ReportUri::max_size_bytes`]; RFC 9989 §4.8 says reporters "should ignore" it.
///
/// Parsing keeps only the URI's bytes; the text is checked on use and the destination
/// [`host`](ReportUri::host) is decoded on first use, since most records are parsed for their
/// policy alone.
#[derive(Clone)]
pub struct ReportUri {
    /// ASCII only (every URI character is), so always valid UTF-8.
    uri: Box<[u8]>,
    scheme_len: usize,
    max_size_bytes: Option<u64>,
    host: OnceLock<Option<Name>>,
}

// `host` is a function of `uri`, decoded or not yet: equality is that of the text.
impl PartialEq for ReportUri {
    fn eq(&self, other: &Self) -> bool {
        self.uri == other.uri && self.max_size_bytes == other.max_size_bytes
    }
}

impl Eq for ReportUri {}

impl std::fmt::Debug for ReportUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportUri")
            .field("uri", &self.as_str())
            .field("max_size_bytes", &self.max_size_bytes)
            .finish_non_exhaustive()
    }
}

impl ReportUri {
    /// The URI as written, without any `!size` suffix.
    pub fn as_str(&self) -> &str {
        // ASCII, checked by `ReportUri::new`: never the empty default.
        std::str::from_utf8(&self.uri).unwrap_or_default()
    }

    /// The scheme, lower-cased (`mailto`, `https`, ...).
    pub fn scheme(&self) -> String {
        self.as_str()[..self.scheme_len].to_ascii_lowercase()
    }

    /// True for `mailto:` URIs, which every report sender must support (RFC 9989 §4.7).
    pub fn is_mailto(&self) -> bool {
        self.uri[..self.scheme_len].eq_ignore_ascii_case(b"mailto")
    }

    /// The size limit of RFC 7489's obsolete `!size` suffix, in bytes (`k`, `m`, `g`, `t`
    /// are powers of 1024); `None` when absent or too large to count.
    pub fn max_size_bytes(&self) -> Option<u64> {
        self.max_size_bytes
    }

    /// The "destination host" of RFC 9990's external-destination check: the domain of a
    /// `mailto:` address, or the host of a URI with an authority (`https://host/...`).
    /// `None` when the URI names no host that is a valid domain name.
    pub fn host(&self) -> Option<&Name> {
        self.host.get_or_init(|| self.decode_host()).as_ref()
    }

    fn decode_host(&self) -> Option<Name> {
        let rest = &self.as_str()[self.scheme_len + 1..];
        let host_text = if self.is_mailto() {
            let address = rest.split('?').next().unwrap_or(rest);
            address.rsplit_once('@').map(|(_, domain)| domain)
        } else {
            rest.strip_prefix("//").map(|authority| {
                let authority = authority.split(['/', '?', '#']).next().unwrap_or(authority);
                let host_port = authority
                    .rsplit_once('@')
                    .map_or(authority, |(_, host)| host);
                host_port.split(':').next().unwrap_or(host_port)
            })
        }?;
        if host_text.contains('%') {
            Name::new(&percent_decode(host_text)).ok()
        } else {
            Name::new(host_text).ok()
        }
    }
}

impl std::fmt::Display for ReportUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a `dmarc-urilist` into `uris`; pushes to `bad` the byte offsets (within `list`) of
/// entries that are not URIs. One pass: each entry is read up to the `,` that ends it.
pub(crate) fn parse_uri_list(list: &[u8], uris: &mut Vec<ReportUri>, bad: &mut Vec<usize>) {
    let mut entry_start = 0;
    loop {
        let (uri, entry_end) = uri_entry(list, entry_start);
        match uri {
            Some(uri) => {
                if uris.capacity() == 0 {
                    // Lists hold one or two URIs: allocate for two at once.
                    uris.reserve_exact(2);
                }
                uris.push(uri);
            }
            None => bad.push(entry_start),
        }
        if entry_end >= list.len() {
            return;
        }
        entry_start = entry_end + 1;
    }
}

/// One `*WSP (dmarc-uri / obs-dmarc-uri) *WSP` entry starting at `start`: the URI, if the
/// entry is one, and where the entry ends (at its `,` or the end of `list`).
fn uri_entry(list: &[u8], start: usize) -> (Option<ReportUri>, usize) {
    let entry_end = |mut i: usize| {
        while i < list.len() && list[i] != b',' {
            i += 1;
        }
        i
    };
    let mut i = start;
    while i < list.len() && is_wsp(list[i]) {
        i += 1;
    }
    let uri_start = i;
    let Some((uri_len, scheme_len)) = dmarc_uri(&list[uri_start..]) else {
        return (None, entry_end(uri_start));
    };
    let uri = &list[uri_start..uri_start + uri_len];
    i = uri_start + uri_len;
    // `obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]`
    let mut size = None;
    if list.get(i) == Some(&b'!') {
        let digits_start = i + 1;
        i = digits_start;
        while i < list.len() && list[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return (None, entry_end(i));
        }
        let digits = &list[digits_start..i];
        let unit = match list.get(i) {
            Some(&u @ (b'k' | b'm' | b'g' | b't' | b'K' | b'M' | b'G' | b'T')) => {
                i += 1;
                Some(char::from(u))
            }
            _ => None,
        };
        size = Some((digits, unit));
    }
    while i < list.len() && is_wsp(list[i]) {
        i += 1;
    }
    match list.get(i) {
        None | Some(b',') => (ReportUri::new(uri, scheme_len, size), i),
        Some(_) => (None, entry_end(i)),
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl ReportUri {
    /// `uri` (with its scheme of `scheme_len` bytes, then `:`) and its `!size` suffix.
    pub(crate) fn new(
        uri: &[u8],
        scheme_len: usize,
        size: Option<(&[u8], Option<char>)>,
    ) -> Option<ReportUri> {
        if !uri.is_ascii() || uri.get(scheme_len) != Some(&b':') {
            return None;
        }
        let max_size_bytes = size.and_then(|(digits, unit)| {
            let n: u64 = crate::record::digits(digits)?;
            let shift = match unit.map(|u| u.to_ascii_lowercase()) {
                None => 0,
                Some('k') => 10,
                Some('m') => 20,
                Some('g') => 30,
                Some(_) => 40,
            };
            n.checked_mul(1u64 << shift)
        });
        Some(ReportUri {
            uri: uri.into(),
            scheme_len,
            max_size_bytes,
            host: OnceLock::new(),
        })
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `dmarc-uri = URI` (RFC 3986 §3: `scheme ":" hier-part [ "?" query ] [ "#" fragment ]`),
/// checked as `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` followed by ":" and one
/// or more URI characters; "commas (ASCII 0x2C) and exclamation points (ASCII 0x21) MUST be
/// encoded". Returns the lengths of the URI at the start of `input` and of its scheme.
fn dmarc_uri(input: &[u8]) -> Option<(usize, usize)> {
    if !input.first()?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = 1;
    while i < input.len() && is(class::SCHEME, input[i]) {
        i += 1;
    }
    let scheme_len = i;
    if input.get(scheme_len) != Some(&b':') {
        return None;
    }
    i += 1;
    while i < input.len() && is(class::URI, input[i]) {
        i += 1;
    }
    (i > scheme_len + 1).then_some((i, scheme_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &[u8]) -> (Vec<ReportUri>, Vec<usize>) {
        let (mut uris, mut bad) = (Vec::new(), Vec::new());
        parse_uri_list(text, &mut uris, &mut bad);
        (uris, bad)
    }

    #[test]
    fn lists_and_sizes() {
        let (uris, bad) =
            list(b"mailto:a@Example.COM , mailto:b@example.net!10m,https://r.example/x");
        assert!(bad.is_empty());
        assert_eq!(uris.len(), 3);
        assert_eq!(uris[0].host().unwrap().as_str(), "example.com");
        assert!(uris[0].is_mailto());
        assert_eq!(uris[1].as_str(), "mailto:b@example.net");
        assert_eq!(uris[1].max_size_bytes(), Some(10 << 20));
        assert_eq!(uris[2].scheme(), "https");
        assert_eq!(uris[2].host().unwrap().as_str(), "r.example");
        assert_eq!(uris[2].max_size_bytes(), None);
    }

    #[test]
    fn bad_entries_reported() {
        let (uris, bad) = list(b"a@example.com,mailto:ok@example.com,mailto:x!q,,");
        assert_eq!(uris.len(), 1);
        assert_eq!(bad, [0, 36, 47, 48]);
        let (_, bad) = list(b"mailto:has space@example.com");
        assert_eq!(bad, [0]);
    }

    #[test]
    fn equality_ignores_whether_the_host_was_decoded() {
        let (a, _) = list(b"mailto:r@example.com");
        let (b, _) = list(b"mailto:r@example.com");
        assert!(a[0].host().is_some());
        assert_eq!(a, b);
        let (c, _) = list(b"mailto:r@example.com!1k");
        assert_ne!(a[0], c[0]);
    }

    #[test]
    fn hosts() {
        let (uris, _) = list(
            b"mailto:r@example.com?subject=x,https://user@h.example:8443/p,urn:isbn:1,mailto:%72@ex%61mple.org",
        );
        assert_eq!(uris[0].host().unwrap().as_str(), "example.com");
        assert_eq!(uris[1].host().unwrap().as_str(), "h.example");
        assert_eq!(uris[2].host(), None);
        assert_eq!(uris[3].host().unwrap().as_str(), "example.org");
    }
}
