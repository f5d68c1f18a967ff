//! Sender Policy Framework (RFC 7208): the record parser, the macro expander and
//! `check_host()`, on mailproof's [`Resolver`](mailproof_dns::Resolver) trait.
//!
//! # Overview
//! A receiving mail server asks: may this client IP send mail for this domain? SPF answers
//! with one of seven results ([`SpfResult`]: none, neutral, pass, fail, softfail, temperror,
//! permerror), each returned as a value with a typed [`Reason`]. Nothing here returns `Err`
//! for anything the DNS or a record's publisher did; `Err` is only for a caller parsing a
//! record or macro string directly.
//!
//! - [`Verifier`] holds the settings (limits, deadline, receiver name, clock for `%{t}`) and
//!   runs evaluations: [`Verifier::verify_mail_from`] and [`Verifier::verify_helo`] check one
//!   identity each; [`Verifier::verify_both`] runs both and returns both outcomes;
//!   [`Verifier::check_host`] is the RFC's function itself.
//! - [`SpfOutput`] carries the result, the reason (which directive decided, or why the
//!   evaluation failed), the explanation on *fail*, and a [`Trace`] of every query and term.
//!   [`SpfOutput::received_spf`] and [`SpfOutput::auth_result`] give the `Received-SPF`
//!   header field (§9.1) and the `spf=` piece of Authentication-Results as values with a
//!   `Display`.
//! - [`Record::parse`] turns a TXT record into a typed [`Record`]; [`MacroString`] parses
//!   and expands macro strings (§7) without any I/O.
//!
//! # Checking a message
//! ```
//! use mailproof_dns::{Name, ZoneResolver};
//! use mailproof_spf::{Reason, SpfResult, Verifier};
//!
//! // Any `Resolver` works; the in-memory zone keeps the example offline.
//! let mut zone = ZoneResolver::new();
//! zone.add_txt("example.com".parse::<Name>()?, &["v=spf1 mx -all"])
//!     .add_mx("example.com".parse()?, 10, "mail.example.com".parse()?)
//!     .add_a("mail.example.com".parse()?, "192.0.2.25".parse().unwrap());
//!
//! let mut verifier = Verifier::default();
//! verifier.receiver = "mx.example.org".into();
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = "192.0.2.25".parse().unwrap();
//! let both = verifier
//!     .verify_both(&zone, client, "mail.example.com", "alice@example.com")
//!     .await;
//! // The HELO name has no SPF record; the MAIL FROM domain authorizes its MX host.
//! assert_eq!(both.helo.result, SpfResult::None);
//! assert_eq!(both.mail_from.result, SpfResult::Pass);
//! let Reason::Matched { directive, .. } = &both.mail_from.reason else { panic!() };
//! assert_eq!(directive.to_string(), "mx");
//! assert_eq!(
//!     both.mail_from.received_spf().to_string(),
//!     "Received-SPF: pass (mx.example.org: domain of alice@example.com designates 192.0.2.25 \
//!      as permitted sender) client-ip=192.0.2.25; envelope-from=alice@example.com; \
//!      helo=mail.example.com; receiver=mx.example.org; identity=mailfrom;"
//! );
//! # });
//! # Ok::<(), mailproof_dns::NameError>(())
//! ```
//!
//! # Parsing a record
//! ```
//! use mailproof_spf::{Mechanism, ParseErrorKind, Record};
//!
//! let record = Record::parse(b"v=spf1 a:%{d}/24//64 include:_spf.example.net ~all")?;
//! assert_eq!(record.directives().count(), 3);
//! assert!(matches!(record.directives().next().unwrap().mechanism, Mechanism::A { .. }));
//!
//! // A syntax error names the term and its byte offset; check_host() returns permerror.
//! let error = Record::parse(b"v=spf1 ip4:192.0.2.1/33 -all").unwrap_err();
//! assert_eq!(error.kind(), ParseErrorKind::InvalidCidr);
//! assert_eq!((error.term(), error.position()), (&b"ip4:192.0.2.1/33"[..], 7));
//! # Ok::<(), mailproof_spf::ParseError>(())
//! ```
//!
//! # Limits and time
//! RFC 7208 §4.6.4's limits are fields of [`Verifier`]: ten DNS-querying terms per
//! evaluation (includes and redirects counted in), two void lookups, ten MX and ten PTR
//! names per mechanism. Exceeding them gives *permerror* (PTR names past the limit are
//! ignored instead). The `exp=` lookup counts against none of them. There is no hidden
//! timer: [`Verifier::time_limit`] and [`Verifier::deadline`] are checked before every
//! query, and a single slow query is bounded by wrapping the resolver in
//! `mailproof_dns::Timeout`. Every [`LookupError`](mailproof_dns::LookupError), whatever its
//! kind, is *temperror* (except where RFC 7208 says a failing lookup just does not match:
//! the `ptr` mechanism and `%{p}`).
//!
//! # Decisions where RFC 7208 leaves room
//! - A target name that is not a valid DNS name after macro expansion (an empty or
//!   over-long label) is treated as nonexistent: the mechanism does not match and the void
//!   lookup counts. For `include:`/`redirect=` that means *permerror*.
//! - Void lookups are counted per term: the A/AAAA query of `a`, the MX query of `mx`, the A
//!   query of `exists`, and the PTR query of `ptr` when it comes back empty. Address lookups
//!   of MX exchanges and PTR names do not count.
//! - `%{i}` for IPv6 gives lower-case nibbles, as in §7.4's example.
//! - An `ip6:` mechanism never matches an IPv4 client, even written as an IPv4-mapped
//!   address (§5: IPv4 clients are evaluated with `ip4` and `a` only).
//! - The sender domain and HELO name go through §4.3's check strictly: letters, digits, `-`,
//!   `_` and dots, at least two labels, not an address literal, not an all-numeric top
//!   label. Anything else is *none*.
//!
//! # Where I/O happens
//! Only through the resolver the caller passes in. Parsing, macro expansion, CIDR matching
//! and limit counting are pure; the crate reads the system clock only for the deadline
//! check and, when [`Verifier::now`] is not set, once per evaluation for `%{t}`.
//!
//! # Crate features
//! None.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod macros;
mod output;
mod record;
mod verifier;

pub use error::{ParseError, ParseErrorKind};
pub use macros::{
    Delimiters, Macro, MacroContext, MacroKind, MacroLetter, MacroString, MacroToken,
};
pub use output::{
    AuthProperty, AuthResult, DnsAnswer, Entry, Explanation, ExplanationSource, Identity, Reason,
    ReceivedSpf, SpfOutput, SpfResult, TermOutcome, Trace, TraceEvent,
};
pub use record::{
    Directive, DualCidr, Mechanism, Modifier, Qualifier, Record, Term, is_spf_record,
};
pub use verifier::{BothIdentities, Verifier};
