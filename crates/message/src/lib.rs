//! RFC 5322 / MIME messages as borrowed views over raw bytes.
//!
//! `mailproof-message` is the layer DKIM, DMARC, ARC and the `mailproof`
//! facade read messages through. It does no I/O. Parsing a [`Message`]
//! only splits the header block into fields, each a slice of the input, so
//! DKIM can canonicalize the exact bytes; structured fields (addresses,
//! dates, content types) and the MIME tree are parsed on demand.
//!
//! # Header fields
//!
//! ```
//! use mailproof_message::Message;
//!
//! let raw = b"Received: from a by b;\r\n\tFri, 21 Nov 1997 10:05:43 -0600\r\n\
//!             From: Mary <mary@example.net>\r\n\
//!             Subject: Hello\r\n\
//!             \r\n\
//!             Hi!\r\n";
//! let msg = Message::parse(raw)?;
//!
//! // In order, or bottom-up with .rev().
//! let names: Vec<&[u8]> = msg.headers().rev().map(|h| h.name()).collect();
//! assert_eq!(names, [&b"Subject"[..], b"From", b"Received"]);
//!
//! // Exact bytes, folding kept; lookup ignores case.
//! let received = msg.get("RECEIVED").next().unwrap();
//! assert_eq!(received.value(), b" from a by b;\r\n\tFri, 21 Nov 1997 10:05:43 -0600");
//! assert_eq!(received.raw(), &raw[..received.raw().len()]);
//!
//! // Header block + separator + body is the input, byte for byte.
//! assert_eq!(msg.body(), b"Hi!\r\n");
//! assert_eq!([msg.header_block(), msg.separator(), msg.body()].concat(), raw);
//! # Ok::<(), mailproof_message::Error>(())
//! ```
//!
//! ## Header block
//!
//! * Lines end with CRLF or a bare LF (mixed input is fine); a bare CR is
//!   ordinary data.
//! * A field is a name, optional white space (RFC 5322 §4.5.8 `obs-optional`),
//!   a colon, and every following line that starts with SP or HTAB. Names may
//!   hold 8-bit bytes; line length is limited only by
//!   [`Limits::max_header_field_len`].
//! * The first empty line ends the header block; the body starts after it.
//! * A line that is neither a field nor a continuation (no colon, or a
//!   continuation line with no field before it) also ends the header block:
//!   the body starts *at* that line, [`Message::separator`] is empty and the
//!   message records [`DefectKind::MissingHeaderBodySeparator`]. This is
//!   Python's choice; it never drops bytes, and a DKIM signer and verifier
//!   that both use this crate agree on where the body starts.
//!
//! # The From author domain (DMARC)
//!
//! [`Message::from_authors`] classifies the From field(s) so that every
//! case DMARC must handle differently is a separate variant of
//! [`FromAuthors`]; the multiple-From bypass (`OpenDMARC` CVE-2021-34555)
//! can't be handled by accident.
//!
//! ```
//! use mailproof_message::{FromAuthors, Message};
//!
//! let msg = Message::parse(b"From: \"Joe Q. Public\" <john.q.public@Example.COM>\r\n\r\n")?;
//! match msg.from_authors() {
//!     FromAuthors::Single { domain, .. } => {
//!         assert_eq!(domain.as_written.as_ref(), b"Example.COM");
//!         assert_eq!(domain.a_label, "example.com");
//!     }
//!     FromAuthors::Missing
//!     | FromAuthors::MultipleFields { .. }
//!     | FromAuthors::Unparsable { .. }
//!     | FromAuthors::MultipleMailboxes { .. }
//!     | FromAuthors::NoDomain { .. }
//!     | FromAuthors::InvalidDomain { .. } => panic!("not a DMARC-checkable message"),
//!     _ => unreachable!("FromAuthors is non_exhaustive"),
//! }
//!
//! let two = Message::parse(b"From: a@good.example\r\nFrom: b@evil.example\r\n\r\n")?;
//! assert!(matches!(two.from_authors(), FromAuthors::MultipleFields { .. }));
//! # Ok::<(), mailproof_message::Error>(())
//! ```
//!
//! # Structured fields
//!
//! Free functions parse a field value ([`Header::value`]):
//! [`parse_address_list`], [`parse_date`], [`parse_msg_ids`],
//! [`parse_content_type`], [`parse_content_disposition`],
//! [`parse_transfer_encoding`], [`parse_received`] (RFC 5321 trace fields)
//! and [`decode_unstructured`]. Each accepts the
//! obsolete syntax of RFC 5322 §4 and decodes RFC 2047 encoded words where
//! they may appear; leniencies beyond the RFCs are listed in each function's
//! docs.
//!
//! # MIME
//!
//! [`Message::mime`] builds a tree of [`MimePart`]s: multiparts with
//! preamble and epilogue, `message/rfc822` parts, each part with its header
//! fields and byte ranges in the original message. Bodies are decoded on
//! request ([`MimePart::decoded_body`], [`MimePart::text`]). Malformed MIME
//! yields a best-effort tree and [`Defect`]s, never an error.
//!
//! ```
//! use mailproof_message::Message;
//!
//! let raw = b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n\
//!             --XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
//!             Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n\
//!             --XX\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n\
//!             Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--XX--\r\n";
//! let root = Message::parse(raw)?.mime()?;
//! assert_eq!(root.parts().len(), 2);
//! assert_eq!(root.parts()[0].text().as_deref(), Some("café"));
//! assert_eq!(root.parts()[1].filename().as_deref(), Some("a.pdf"));
//! assert_eq!(root.parts()[1].decoded_body().as_ref(), b"%PDF");
//! assert!(root.all_defects().is_empty());
//! # Ok::<(), mailproof_message::Error>(())
//! ```
//!
//! # Limits
//!
//! Untrusted input is bounded by [`Limits`]: number of header fields per
//! header block, length of one field, MIME nesting depth and number of MIME
//! parts. Exceeding one is an [`Error`] naming the limit and the offset.
//! Comments in structured fields are scanned with a counter, not recursion,
//! so their nesting costs no stack; the MIME builder recurses once per level,
//! bounded by [`Limits::max_mime_depth`].
//!
//! # Crate features
//!
//! None. The crate is pure (no I/O) and allocation is limited to the field
//! index of a message and to values that must be decoded.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod address;
mod content_type;
mod date;
mod defect;
mod encoding;
mod error;
mod from;
mod header;
mod lexer;
mod message;
mod mime;
mod msgid;
mod received;
mod text;

pub use address::{Address, Group, Mailbox, parse_address_list};
pub use content_type::{
    ContentDisposition, ContentType, Param, TransferEncoding, parse_content_disposition,
    parse_content_type, parse_transfer_encoding,
};
pub use date::{DateTime, parse_date};
pub use defect::{Defect, DefectKind};
pub use error::{Error, Limits};
pub use from::{AuthorDomain, DomainProblem, FromAuthors, author_domain};
pub use header::{Header, Headers};
pub use message::Message;
pub use mime::{MimePart, PartKind};
pub use msgid::parse_msg_ids;
pub use received::{ExtendedDomain, Received, parse_received};
pub use text::decode_unstructured;
