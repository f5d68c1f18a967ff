//! Messages and DNS records shared by the benches.
//!
//! Messages are generated from a fixed seed: the same bytes on every run and every machine.
//! DNS data is listed once here and loaded by each bench into our `ZoneResolver` and into
//! mail-auth's caches, so both sides answer from identical records.

/// A generated message and where its header block ends.
#[derive(Clone, Debug)]
pub struct MessageFixture {
    /// Short label used in bench ids (`2KiB`, `16KiB`, `256KiB`).
    pub name: &'static str,
    /// The message, CRLF line endings.
    pub raw: Vec<u8>,
    /// Length of the header block (every field, without the empty separator line).
    pub header_len: usize,
}

/// The three message sizes the issue asks for: about 2 KiB, 16 KiB and 256 KiB.
///
/// Each is a `multipart/mixed` with a `multipart/alternative` (quoted-printable UTF-8 text
/// and HTML) and a base64 `application/octet-stream` attachment. Larger messages also have
/// more trace fields (Received, ARC) and a second DKIM-Signature, as large real messages do.
pub fn messages() -> Vec<MessageFixture> {
    [
        ("2KiB", 2 * 1024, 2, false),
        ("16KiB", 16 * 1024, 6, true),
        ("256KiB", 256 * 1024, 12, true),
    ]
    .into_iter()
    .map(|(name, size, received, extra)| {
        let raw = message(size, received, extra);
        let header_len = find(&raw, b"\r\n\r\n").map_or(raw.len(), |i| i + 2);
        MessageFixture {
            name,
            raw,
            header_len,
        }
    })
    .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// xorshift64*: deterministic, dependency-free filler.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// One byte of the next output (its high half mixes best).
    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[5]
    }

    fn below(&mut self, n: usize) -> usize {
        // `n` is small; the modulo bias is irrelevant for filler text.
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 of `data`, without line breaks.
fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(BASE64[((n >> shift) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// Appends `text` folded into lines of at most 76 characters (each ending in CRLF).
fn push_lines(out: &mut Vec<u8>, text: &[u8], width: usize, indent: &[u8]) {
    for (i, line) in text.chunks(width).enumerate() {
        if i > 0 {
            out.extend_from_slice(indent);
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
}

/// Words of the text parts, already quoted-printable (UTF-8 `é`, `ï`, `—`).
const WORDS: &[&str] = &[
    "the",
    "message",
    "report",
    "caf=C3=A9",
    "na=C3=AFve",
    "quarterly",
    "numbers",
    "are",
    "attached",
    "please",
    "review",
    "before",
    "Friday",
    "=E2=80=94",
    "thanks",
    "meeting",
    "agenda",
    "d=C3=A9j=C3=A0",
    "vu",
    "budget",
];

/// `len` bytes (about) of quoted-printable text: lines under 76 characters, every other one
/// ending in a soft line break, wrapped in `<p>` for HTML.
fn qp_text(rng: &mut Rng, len: usize, html: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 80);
    let mut line = Vec::with_capacity(80);
    let mut soft = false;
    if html {
        out.extend_from_slice(b"<html><body style=3D\"font-family: sans-serif\">\r\n");
    }
    while out.len() < len {
        if line.is_empty() && html {
            line.extend_from_slice(b"<p>");
        }
        let word = WORDS[rng.below(WORDS.len())].as_bytes();
        if line.len() + word.len() + 6 > 72 {
            if html && !soft {
                line.extend_from_slice(b"</p>");
            }
            out.extend_from_slice(&line);
            out.extend_from_slice(if soft { b" =\r\n" } else { b"\r\n" });
            soft = !soft;
            line.clear();
            continue;
        }
        if !line.is_empty() && !line.ends_with(b">") {
            line.push(b' ');
        }
        line.extend_from_slice(word);
    }
    if !line.is_empty() {
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
    if html {
        out.extend_from_slice(b"</body></html>\r\n");
    }
    out
}

fn headers(rng: &mut Rng, received: usize, extra: bool) -> Vec<u8> {
    let mut h = Vec::with_capacity(4096);
    h.extend_from_slice(b"Return-Path: <bounce+4f2a@bounce.example.com>\r\n");
    for i in 0..received {
        let id = rng.next();
        h.extend_from_slice(
            format!(
                "Received: from mail{i}.relay.example.net (mail{i}.relay.example.net [192.0.2.{}])\r\n\
                 \tby mx{i}.example.org (Postfix) with ESMTPS id {id:016X}\r\n\
                 \tfor <bob@example.net>; Tue, 4 Nov 2025 10:{:02}:{:02} +0000\r\n",
                10 + i,
                i % 60,
                (i * 7) % 60
            )
            .as_bytes(),
        );
    }
    if extra {
        h.extend_from_slice(
            b"ARC-Seal: i=1; a=rsa-sha256; t=1762250000; cv=none; d=example.org; s=arc-2025;\r\n\
              \tb=Qm9ndXMgQVJDIHNlYWwgZm9yIGEgYmVuY2htYXJrIG1lc3NhZ2U7IG5vdCBhIHJlYWwgc2lnbmF0dXJl\r\n\
              \t ZXhjZXB0IGluIGl0cyBzaGFwZQ==\r\n\
              ARC-Authentication-Results: i=1; mx.example.org; spf=pass smtp.mailfrom=bounce.example.com;\r\n\
              \tdkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n",
        );
    }
    h.extend_from_slice(
        b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=bounce.example.com;\r\n\
          \tdkim=pass header.d=example.com header.s=sel2025; dmarc=pass header.from=example.com\r\n",
    );
    let mut signature = |domain: &str, selector: &str| {
        let mut b = [0u8; 256];
        for byte in &mut b {
            *byte = rng.byte();
        }
        let mut bh = [0u8; 32];
        for byte in &mut bh {
            *byte = rng.byte();
        }
        let mut field = format!(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector};\r\n\
             \tt=1762250000; x=1762854800;\r\n\
             \th=from:to:cc:subject:date:message-id:mime-version:content-type;\r\n\
             \tbh="
        )
        .into_bytes();
        field.extend_from_slice(&base64(&bh));
        field.extend_from_slice(b";\r\n\tb=");
        push_lines(&mut field, &base64(&b), 70, b"\t ");
        field
    };
    let first = signature("example.com", "sel2025");
    let second = extra.then(|| signature("esp.example.net", "esp1"));
    h.extend_from_slice(&first);
    if let Some(second) = second {
        h.extend_from_slice(&second);
    }
    h.extend_from_slice(
        b"From: \"Alice Example\" <alice@example.com>\r\n\
          To: Bob Recipient <bob@example.net>, \"Carol C.\" <carol@example.net>\r\n\
          Cc: team@example.net\r\n\
          Subject: =?UTF-8?Q?Quarterly_report_=E2=80=94_caf=C3=A9_numbers?=\r\n\
          Date: Tue, 4 Nov 2025 10:00:00 +0000\r\n\
          Message-ID: <20251104100000.4f2a@example.com>\r\n\
          MIME-Version: 1.0\r\n\
          Content-Type: multipart/mixed; boundary=\"==mixed-7f3a==\"\r\n",
    );
    h
}

/// A message of about `size` bytes: whole base64 lines fill what the headers and text
/// parts leave, at least one, so the 2 KiB one comes out a little larger (2,260 bytes).
fn message(size: usize, received: usize, extra: bool) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ size as u64);
    let mut prefix = headers(&mut rng, received, extra);
    prefix.extend_from_slice(b"\r\nThis is a multi-part message in MIME format.\r\n\r\n");
    prefix.extend_from_slice(
        b"--==mixed-7f3a==\r\n\
          Content-Type: multipart/alternative; boundary=\"==alt-19c2==\"\r\n\r\n",
    );
    let body_budget = size.saturating_sub(prefix.len() + 600);
    let text = qp_text(&mut rng, body_budget * 15 / 100, false);
    let html = qp_text(&mut rng, body_budget * 25 / 100, true);
    prefix.extend_from_slice(
        b"--==alt-19c2==\r\n\
          Content-Type: text/plain; charset=\"utf-8\"\r\n\
          Content-Transfer-Encoding: quoted-printable\r\n\r\n",
    );
    prefix.extend_from_slice(&text);
    prefix.extend_from_slice(
        b"--==alt-19c2==\r\n\
          Content-Type: text/html; charset=\"utf-8\"\r\n\
          Content-Transfer-Encoding: quoted-printable\r\n\r\n",
    );
    prefix.extend_from_slice(&html);
    prefix.extend_from_slice(
        b"--==alt-19c2==--\r\n\r\n\
          --==mixed-7f3a==\r\n\
          Content-Type: application/octet-stream; name=\"data.bin\"\r\n\
          Content-Disposition: attachment; filename=\"data.bin\"\r\n\
          Content-Transfer-Encoding: base64\r\n\r\n",
    );
    let suffix = b"--==mixed-7f3a==--\r\n";
    // Whole base64 lines (57 bytes -> 76 characters + CRLF) fill what is left.
    let lines = size.saturating_sub(prefix.len() + suffix.len()) / 78;
    let attachment: Vec<u8> = (0..lines.max(1) * 57).map(|_| rng.byte()).collect();
    let mut raw = prefix;
    push_lines(&mut raw, &base64(&attachment), 76, b"");
    raw.extend_from_slice(suffix);
    raw
}

/// DNS records one scenario needs, as text, so every side loads the same data.
#[derive(Clone, Copy, Debug)]
pub struct DnsData {
    /// TXT records: owner name and the record's text (one character-string joined).
    pub txt: &'static [(&'static str, &'static str)],
    /// A records.
    pub a: &'static [(&'static str, [u8; 4])],
    /// MX records: owner, preference, exchange.
    pub mx: &'static [(&'static str, u16, &'static str)],
    /// Names the scenario queries (TXT) that do not exist. Our `ZoneResolver` answers
    /// NXDOMAIN for any unknown name by itself; mail-auth's caches need an explicit negative
    /// entry for each, or a lookup becomes a real query.
    pub nxdomain_txt: &'static [&'static str],
}

/// SPF records to parse: a typical one, and two long Google-like netblock records.
pub const SPF_RECORDS: &[(&str, &str)] = &[
    (
        "typical",
        "v=spf1 a mx ip4:192.0.2.0/24 include:_spf.example.net ~all",
    ),
    (
        "netblocks_ip4",
        "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 \
         ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 \
         ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all",
    ),
    (
        "netblocks_ip6",
        "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 \
         ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all",
    ),
];

/// The SPF `check_host` scenario: `example.com` includes three records (14 terms in all,
/// 5 of them DNS-querying: 3 `include`, 1 `a`, 1 `mx`); the client matches the last
/// include's `ip4`, so the result is *pass* after 7 lookups (4 TXT, 1 MX, 2 A).
pub const SPF_ZONE: DnsData = DnsData {
    txt: &[
        (
            "example.com",
            "v=spf1 include:_spf1.example.com include:_spf2.example.net \
             include:_spf3.example.org ip4:198.51.100.0/24 mx -all",
        ),
        ("example.com", "google-site-verification=Zm9vYmFyYmF6cXV4"),
        (
            "_spf1.example.com",
            "v=spf1 ip4:203.0.113.0/26 ip4:203.0.113.64/27 ip6:2001:db8:1::/48 ~all",
        ),
        (
            "_spf2.example.net",
            "v=spf1 a:relay.example.net mx:example.net ip4:192.0.2.128/25 -all",
        ),
        (
            "_spf3.example.org",
            "v=spf1 ip4:198.51.100.192/26 ip4:192.0.2.0/25 ?all",
        ),
    ],
    a: &[
        ("relay.example.net", [203, 0, 113, 200]),
        ("mx1.example.net", [198, 51, 100, 25]),
    ],
    mx: &[("example.net", 10, "mx1.example.net")],
    nxdomain_txt: &[],
};

/// SPF scenario inputs: client IP, MAIL FROM, HELO, receiver.
pub const SPF_CLIENT_IP: [u8; 4] = [192, 0, 2, 10];
/// The MAIL FROM address checked.
pub const SPF_MAIL_FROM: &str = "alice@example.com";
/// The HELO name given.
pub const SPF_HELO: &str = "mail.example.com";
/// The receiving host (`%{r}`).
pub const SPF_RECEIVER: &str = "mx.example.org";

/// A typical DMARC record.
pub const DMARC_RECORD: &str = "v=DMARC1; p=reject; sp=quarantine; pct=100; \
     rua=mailto:dmarc-reports@example.com; ruf=mailto:dmarc-forensic@example.com; \
     adkim=r; aspf=r; fo=1";

/// The DMARC scenario zone: a policy at `_dmarc.example.com`, nothing elsewhere.
pub const DMARC_ZONE: DnsData = DnsData {
    txt: &[
        ("_dmarc.example.com", DMARC_RECORD),
        ("example.com", "v=spf1 -all"),
    ],
    a: &[],
    mx: &[],
    nxdomain_txt: &[
        "_dmarc.com",
        "_dmarc.bounce.example.com",
        "_dmarc.mailer.example.net",
        "_dmarc.example.net",
        "_dmarc.net",
    ],
};

/// The From (author) domain of the DMARC scenarios.
pub const DMARC_AUTHOR: &str = "example.com";
/// A message with that From, for peers that take the message itself.
pub const DMARC_MESSAGE: &[u8] = b"From: Alice <alice@example.com>\r\n\
    To: bob@example.net\r\n\
    Subject: hi\r\n\
    \r\n\
    Hello\r\n";
/// Pass through relaxed SPF alignment: SPF passed for a subdomain of the author domain, so
/// the Organizational Domain of `bounce.example.com` is found by a second tree walk.
pub const DMARC_MAIL_FROM_ALIGNED: &str = "bounce.example.com";
/// Fail: SPF passed for an unrelated domain; the author's `p=reject` applies.
pub const DMARC_MAIL_FROM_UNALIGNED: &str = "mailer.example.net";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_close_to_the_targets() {
        for (fixture, target) in messages().iter().zip([2048usize, 16384, 262_144]) {
            assert!(
                fixture.raw.len().abs_diff(target) <= 600,
                "{} is {} bytes",
                fixture.name,
                fixture.raw.len()
            );
            assert!(fixture.raw[..fixture.header_len].ends_with(b"\r\n"));
            assert_eq!(
                &fixture.raw[fixture.header_len..fixture.header_len + 2],
                b"\r\n"
            );
        }
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, output) in [
            (&b""[..], &b""[..]),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foobar", b"Zm9vYmFy"),
        ] {
            assert_eq!(base64(input), output);
        }
    }
}
