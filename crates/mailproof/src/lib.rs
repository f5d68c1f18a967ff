//! mailproof: email authentication in one call. SPF (RFC 7208), DKIM (RFC 6376/8301/8463)
//! and DMARC (RFC 9989, with an RFC 7489 mode) run as one pipeline and come back as one
//! [`Verdict`], rendered as an `Authentication-Results` header field (RFC 8601).
//!
//! # How a receiver decides
//! When a message arrives, the receiving server knows three things about the sender before it
//! reads a byte of the message — the *envelope* ([`Envelope`]): the client's IP address, the
//! name it gave in HELO/EHLO and the MAIL FROM address (the bounce address, later written
//! into `Return-Path`). Then come the message's own header fields, among them the `From:`
//! the reader sees. The three protocols each check one link:
//!
//! 1. **SPF** asks the MAIL FROM domain's DNS (`TXT v=spf1 ...`): may this IP address send
//!    for you? It checks the envelope only, so it breaks when mail is forwarded (the
//!    forwarder's IP is not in the original domain's record).
//! 2. **DKIM** verifies signatures in `DKIM-Signature:` fields with the public key published
//!    at `<selector>._domainkey.<d=>`. It survives forwarding, but any domain can sign.
//! 3. **DMARC** ties them to what the reader sees: the `From:` domain must be *aligned* with
//!    a domain that passed SPF or DKIM, otherwise the From domain's policy (`_dmarc.<from>`,
//!    `p=none|quarantine|reject`) says what to do.
//!
//! [`Authenticator::verify`] runs SPF for both identities and fetches every DKIM key
//! concurrently, verifies the signatures, then runs DMARC with those outcomes.
//!
//! # Verifying a message
//! The spoof DMARC exists for: the envelope and the DKIM signature are `fake.example`'s and
//! pass, but the From is `a.example`, which publishes `p=reject`.
//! ```
//! use mailproof::{Authenticator, Clock, Envelope, Policy, Signer, SigningKey};
//! use mailproof_dns::{Name, ZoneResolver};
//!
//! let name = |s: &str| Name::new(s).unwrap();
//! let key = SigningKey::from_ed25519_seed(&[7; 32])?;
//! let record = mailproof_dkim::DnsTxtRecord::for_key(&key);
//! let mut zone = ZoneResolver::new();
//! zone.add_txt(name("fake.example"), &["v=spf1 ip4:203.0.113.66 -all"])
//!     .add_txt(name("s1._domainkey.fake.example"), &[record.as_str()])
//!     .add_txt(name("_dmarc.a.example"), &["v=DMARC1; p=reject"]);
//!
//! let message = b"From: admin@a.example\r\nTo: b@c.example\r\nSubject: urgent\r\n\r\nPay now.\r\n";
//! let signed = Signer::new()
//!     .with_key(key, "fake.example", "s1")?
//!     .with_clock(Clock::Fixed(1_700_000_000))
//!     .sign(message)?;
//!
//! let authenticator = Authenticator::new(zone, "mx.c.example").with_clock(Clock::Fixed(1_700_000_060));
//! let envelope = Envelope::new("203.0.113.66".parse()?, "mail.fake.example", "xxx@fake.example");
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let verdict = authenticator.verify(&envelope, &signed).await;
//! assert_eq!(verdict.spf.mail_from.result.as_str(), "pass");
//! assert_eq!(verdict.dkim[0].result.result().as_str(), "pass");
//! assert_eq!(verdict.dmarc.result().as_str(), "fail");
//! assert_eq!(verdict.disposition(), Policy::Reject);
//! let header = verdict.authentication_results().to_string();
//! assert!(header.starts_with("Authentication-Results: mx.c.example; spf=pass"), "{header}");
//! assert!(header.contains("dmarc=fail (p=reject dis=reject;"), "{header}");
//! assert!(header.contains("header.from=a.example policy.dmarc=reject"), "{header}");
//! # });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Without an async runtime, [`Authenticator::verify_blocking`] does the same on an internal
//! current-thread runtime:
//! ```
//! # use mailproof::{Authenticator, Envelope};
//! # use mailproof_dns::ZoneResolver;
//! let authenticator = Authenticator::new(ZoneResolver::new(), "mx.example.org");
//! let envelope = Envelope::new("192.0.2.1".parse()?, "client.example", "");
//! let verdict = authenticator.verify_blocking(&envelope, b"Subject: no From\r\n\r\nhi\r\n")?;
//! // No From: DMARC can never pass such a message.
//! assert_eq!(verdict.dmarc.result().as_str(), "permerror");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # SPF at MAIL FROM time
//! An MTA usually checks SPF while the SMTP session is still at `MAIL FROM`, to reject early.
//! [`Authenticator::check_spf`] (or [`check_spf_blocking`](Authenticator::check_spf_blocking))
//! evaluates both identities then; once the message is in,
//! [`Authenticator::verify_with_spf`] takes that result instead of evaluating SPF again.
//! ```
//! # use mailproof::{Authenticator, Envelope};
//! # use mailproof_dns::{Name, ZoneResolver};
//! let mut zone = ZoneResolver::new();
//! zone.add_txt(Name::new("a.example")?, &["v=spf1 ip4:192.0.2.0/24 -all"]);
//! let authenticator = Authenticator::new(zone, "mx.example.org");
//! let envelope = Envelope::new("198.51.100.1".parse()?, "client.example", "bounce@a.example");
//! let spf = authenticator.check_spf_blocking(&envelope)?;
//! assert_eq!(spf.mail_from.result.as_str(), "fail"); // reject now, or accept and go on:
//! let message = b"From: x@a.example\r\n\r\nhi\r\n";
//! let verdict = authenticator.verify_with_spf_blocking(&envelope, spf, message)?;
//! assert_eq!(verdict.spf.mail_from.result.as_str(), "fail");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Messages that do not parse, and odd From fields
//! A message whose header block exceeds the parser's limits still gets SPF; DKIM finds no
//! signature; DMARC is *permerror* ("no usable From"). A message with no From, with several
//! From fields (the `OpenDMARC` CVE-2021-34555 bypass), or with a From whose domain cannot be
//! read is never a DMARC pass: the result is at least *permerror*, and the policies of the
//! domains that could be read apply as if they had failed. Several mailboxes in one From are
//! each evaluated; the strictest result wins.
//!
//! # Signing
//! [`Signer`] wraps `mailproof-dkim`'s signer: several keys, one pass over the message.
//!
//! # Authentication-Results
//! [`Verdict::authentication_results`] builds an [`AuthResults`]: `Display` writes it on one
//! line, [`AuthResults::to_header_field`] folds it one clause per line (and a long clause
//! before its spaces) with CRLF. Values from the message are quoted and escaped so they
//! cannot add clauses. [`AuthResults::parse`] and
//! [`AuthResults::parse_arc`] read RFC 8601 fields (unknown methods and results kept);
//! [`remove_forged_results`] and [`upstream_results`] deal with fields that claim *your*
//! authserv-id, which can only have been forged upstream.
//! ```
//! use mailproof::AuthResults;
//!
//! let field = AuthResults::parse(b" mx.google.com; dkim=pass header.i=@qq.com header.s=s201512; \
//!                                  spf=softfail (domain of transitioning b@qq.com) smtp.mailfrom=b@qq.com")?;
//! assert_eq!(field.authserv_id, "mx.google.com");
//! assert_eq!(field.results[0].property("header", "i"), Some("@qq.com"));
//! assert_eq!(field.results[1].result, "softfail");
//! # Ok::<(), mailproof::ParseError>(())
//! ```
//!
//! # Where I/O happens
//! Only through the [`Resolver`](mailproof_dns::Resolver) you pass to
//! [`Authenticator::new`] (use `mailproof-dns-hickory` for the network, or
//! `mailproof_dns::ZoneResolver` for zone files), and in [`Authenticator::verify_blocking`],
//! which creates a tokio runtime. The clock is read unless [`Clock::Fixed`] is set.
//!
//! # Crate features
//! - `blocking` (default): [`Authenticator::verify_blocking`], with tokio's current-thread
//!   runtime.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth_results;
mod authenticator;
mod error;
mod signer;
mod verdict;

use std::borrow::Cow;

pub use auth_results::{
    ARC_AUTHENTICATION_RESULTS, AUTHENTICATION_RESULTS, AuthResults, MethodResult, ParseError,
    Property, claims_authserv_id, remove_forged_results, upstream_results,
};
pub use authenticator::{Authenticator, Discovery};
pub use error::Error;
pub use mailproof_dkim::{Clock, SigningKey};
pub use mailproof_dmarc::Policy;
pub use signer::Signer;
pub use verdict::{
    DkimVerdict, DmarcVerdict, Envelope, KeyLookup, SignatureTags, SpfVerdict, Verdict,
};

/// `raw` with every bare LF turned into CRLF, as DKIM needs (messages stored on Unix, in mbox
/// or Maildir, usually end lines with LF alone). Borrowed when nothing changes.
///
/// ```
/// assert_eq!(&*mailproof::to_crlf(b"A: 1\nB: 2\r\n\nbody\n"), b"A: 1\r\nB: 2\r\n\r\nbody\r\n");
/// ```
pub fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = |i: usize| raw[i] == b'\n' && (i == 0 || raw[i - 1] != b'\r');
    if !(0..raw.len()).any(bare) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &byte) in raw.iter().enumerate() {
        if bare(i) {
            out.push(b'\r');
        }
        out.push(byte);
    }
    Cow::Owned(out)
}

/// The README's code blocks, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
